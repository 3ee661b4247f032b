#include "mgmt/model/resource_id.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include <fmt/format.h>

namespace isthmus::mgmt {
namespace {

constexpr std::string_view kNetwork = "Microsoft.Network";
constexpr std::string_view kCompute = "Microsoft.Compute";

struct KindInfo {
  Kind kind;
  std::string_view arm_type;
  std::string_view provider;
  std::string_view collection;
  std::string_view display;
};

// Indexed by Kind: keep the order of the enum.
constexpr std::array<KindInfo, 10> kKinds = {{
    {Kind::kSubscription, "Microsoft.Resources/subscriptions", "", "", "subscription"},
    {Kind::kResourceGroup, "Microsoft.Resources/resourceGroups", "", "", "resource group"},
    {Kind::kVirtualNetwork, "Microsoft.Network/virtualNetworks", kNetwork, "virtualNetworks",
     "virtual network"},
    {Kind::kSubnet, "Microsoft.Network/virtualNetworks/subnets", kNetwork, "subnets", "subnet"},
    {Kind::kPublicIpAddress, "Microsoft.Network/publicIPAddresses", kNetwork, "publicIPAddresses",
     "public IP address"},
    {Kind::kVirtualNetworkGateway, "Microsoft.Network/virtualNetworkGateways", kNetwork,
     "virtualNetworkGateways", "virtual network gateway"},
    {Kind::kLocalNetworkGateway, "Microsoft.Network/localNetworkGateways", kNetwork, "localNetworkGateways",
     "local network gateway"},
    {Kind::kConnection, "Microsoft.Network/connections", kNetwork, "connections", "connection"},
    {Kind::kNetworkInterface, "Microsoft.Network/networkInterfaces", kNetwork, "networkInterfaces",
     "network interface"},
    {Kind::kVirtualMachine, "Microsoft.Compute/virtualMachines", kCompute, "virtualMachines",
     "virtual machine"},
}};

constexpr bool InEnumOrder() {
  for (std::size_t i = 0; i < kKinds.size(); ++i) {
    if (static_cast<std::size_t>(kKinds[i].kind) != i) return false;
  }
  return true;
}
static_assert(InEnumOrder(), "kKinds is indexed by Kind");

const KindInfo& Info(Kind k) {
  return kKinds[static_cast<std::size_t>(k)];
}

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto j = s.find('/', i);
    if (j == std::string_view::npos) j = s.size();
    out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

std::string ToLower(std::string_view s) {
  std::string r(s);
  std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return std::tolower(c); });
  return r;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

std::string_view ArmType(Kind k) {
  return Info(k).arm_type;
}
std::string_view ProviderNamespace(Kind k) {
  return Info(k).provider;
}
std::string_view CollectionName(Kind k) {
  return Info(k).collection;
}
std::string_view DisplayName(Kind k) {
  return Info(k).display;
}
bool IsAsync(Kind k) {
  return k == Kind::kVirtualNetworkGateway || k == Kind::kConnection || k == Kind::kVirtualMachine;
}

bool IsKnownProvider(std::string_view provider) {
  return IEquals(provider, kNetwork) || IEquals(provider, kCompute);
}

std::optional<Kind> KindFromCollection(std::string_view provider, std::string_view segment) {
  for (const auto& i : kKinds) {
    if (!i.collection.empty() && i.kind != Kind::kSubnet && IEquals(i.provider, provider) &&
        IEquals(i.collection, segment)) {
      return i.kind;
    }
  }
  return std::nullopt;
}

std::optional<Kind> KindFromCollection(std::string_view segment) {
  return KindFromCollection(kNetwork, segment);
}

ResourceId ResourceId::Group(std::string sub, std::string rg) {
  return {Kind::kResourceGroup, std::move(sub), std::move(rg), {}, {}};
}

ResourceId ResourceId::Network(Kind k, std::string sub, std::string rg, std::string name) {
  return {k, std::move(sub), std::move(rg), std::move(name), {}};
}

Result<ResourceId> ResourceId::Parse(std::string_view id) {
  auto bad = [&] {
    return Fail(Error::Invalid("LinkedInvalidPropertyId",
                               fmt::format("'{}' is not a valid resource ID; expected "
                                           "/subscriptions/{{s}}/resourceGroups/{{rg}}/providers/"
                                           "Microsoft.Network/{{type}}/{{name}} (or Microsoft.Compute/"
                                           "virtualMachines/{{name}})",
                                           id)));
  };
  if (id.empty() || id.front() != '/' || id.back() == '/') return bad();
  auto seg = Split(id.substr(1));
  for (auto s : seg) {
    if (s.empty()) return bad();
  }
  if (seg.size() < 2 || !IEquals(seg[0], "subscriptions")) return bad();
  ResourceId r;
  r.subscription = std::string(seg[1]);
  if (seg.size() == 2) {
    r.kind = Kind::kSubscription;
    return r;
  }
  if (seg.size() < 4 || !IEquals(seg[2], "resourceGroups")) return bad();
  r.resource_group = std::string(seg[3]);
  if (seg.size() == 4) {
    r.kind = Kind::kResourceGroup;
    return r;
  }
  if (seg.size() < 8 || !IEquals(seg[4], "providers")) return bad();
  auto k = KindFromCollection(seg[5], seg[6]);
  if (!k) return bad();
  r.kind = *k;
  r.name = std::string(seg[7]);
  if (seg.size() == 8) return r;
  if (seg.size() == 10 && *k == Kind::kVirtualNetwork && IEquals(seg[8], "subnets")) {
    r.kind = Kind::kSubnet;
    r.child_name = std::string(seg[9]);
    return r;
  }
  return bad();
}

std::string ResourceId::ToString() const {
  switch (kind) {
    case Kind::kSubscription:
      return fmt::format("/subscriptions/{}", subscription);
    case Kind::kResourceGroup:
      return fmt::format("/subscriptions/{}/resourceGroups/{}", subscription, resource_group);
    case Kind::kSubnet:
      return fmt::format(
          "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/{}/subnets/{}",
          subscription, resource_group, name, child_name);
    default:
      return fmt::format("/subscriptions/{}/resourceGroups/{}/providers/{}/{}/{}", subscription,
                         resource_group, ProviderNamespace(kind), CollectionName(kind), name);
  }
}

std::string ResourceId::Key() const {
  return ToLower(ToString());
}

ResourceId ResourceId::Parent() const {
  if (kind == Kind::kSubnet) return Network(Kind::kVirtualNetwork, subscription, resource_group, name);
  if (kind == Kind::kResourceGroup) return {Kind::kSubscription, subscription, {}, {}, {}};
  return Group(subscription, resource_group);
}

}  // namespace isthmus::mgmt
