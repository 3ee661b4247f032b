// Network interfaces and virtual machines. On the single-host fabric a VM is an endpoint to test from: a
// namespace with one NIC in a subnet (DESIGN.md §1). The rules are Azure's: dynamic addresses from .4 up,
// the reserved addresses refused, GatewaySubnet kept for gateways, one VM per NIC, and what is in use stays
// until its users are gone (the deletion side lives with the other deletion rules in planner.cc).
#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

#include "mgmt/model/fields.h"
#include "mgmt/model/planner.h"

namespace isthmus::mgmt {

using fields::Bad;

namespace {

// Azure reserves five addresses of every IPv4 subnet: the network address, .1 (the default gateway), .2 and
// .3 (Azure DNS) and the broadcast address (Azure Virtual Network FAQ, "Are there any restrictions on using
// IP addresses within these subnets?"). Dynamic allocation starts right after them.
constexpr std::uint64_t kReservedAtStart = 4;
// The OUI of Azure's NICs, in the dashed upper-case form az prints ("00-0D-3A-78-99-D1").
constexpr char kMacOui[] = "00-0D-3A";
// Implementation choice: 24 random bits per MAC; a few retries make a refused create practically impossible.
constexpr int kMacAttempts = 32;
constexpr char kDefaultVmSize[] = "Standard_B1s";     // what Isthmus documents as the default size
constexpr char kDefaultIpConfigName[] = "ipconfig1";  // Azure's default configuration name
constexpr char kGatewaySubnet[] = "GatewaySubnet";    // exact, as for gateways (gateway_rules.cc)
constexpr std::size_t kMaxComputerNameLength = 64;    // Azure's limit for Linux computer names

std::vector<net::Prefix> SubnetV4Prefixes(const Json& subnet) {
  std::vector<net::Prefix> out;
  const auto& p = subnet["properties"];
  std::vector<std::string> all;
  if (p.contains("addressPrefix")) all.push_back(p["addressPrefix"].get<std::string>());
  for (const auto& s : p.value("addressPrefixes", Json::array())) all.push_back(s.get<std::string>());
  for (const auto& s : all) {
    auto x = net::Prefix::Parse(s);
    if (x && x->family() == net::Family::kV4) out.push_back(*x);
  }
  return out;
}

bool IsReserved(const net::Prefix& p, const net::IpAddress& a) {
  return a.v4() - p.address().v4() < kReservedAtStart || a == p.Last();
}

bool SamePrefixes(const Json& a, const Json& b) {
  const auto& pa = a["properties"];
  const auto& pb = b["properties"];
  return pa.value("addressPrefix", "") == pb.value("addressPrefix", "") &&
         pa.value("addressPrefixes", Json::array()) == pb.value("addressPrefixes", Json::array());
}

std::string SubnetKeyOf(const Json& cfg) {
  auto p = cfg.find("properties");
  if (p == cfg.end() || !p->contains("subnet")) return "";
  return ToLower((*p)["subnet"].value("id", ""));
}

Status CheckComputerName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= kMaxComputerNameLength &&
            std::all_of(name.begin(), name.end(),
                        [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.'; });
  if (ok) return {};
  return Fail(
      Bad("InvalidParameter",
          fmt::format("Computer name '{}' is invalid: use 1-{} letters, digits, '-' or '.'. (It defaults to "
                      "the VM's name; set properties.osProfile.computerName when that name does not fit.)",
                      name, kMaxComputerNameLength),
          "properties.osProfile.computerName"));
}

}  // namespace

// ---- Helpers ------------------------------------------------------------------------------------------

std::vector<std::pair<std::string, Json>> Planner::NicConfigsInSubnet(const std::string& subnet_key,
                                                                      const PendingNic* pending) const {
  std::vector<std::pair<std::string, Json>> out;
  auto add = [&](const Json& nic_doc) {
    for (const auto& cfg : nic_doc["properties"].value("ipConfigurations", Json::array())) {
      if (SubnetKeyOf(cfg) == subnet_key) out.emplace_back(cfg.value("id", ""), cfg);
    }
  };
  auto sid = ResourceId::Parse(subnet_key);
  if (!sid) return out;
  for (const Resource* n : state_.List(Kind::kNetworkInterface, sid->subscription)) {
    if (pending && n->id.Key() == pending->key) continue;
    add(n->doc);
  }
  if (pending && pending->doc) add(*pending->doc);
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return ToLower(a.first) < ToLower(b.first); });
  return out;
}

void Planner::ListSubnetIpConfigurations(Json& subnets, const PendingNic* pending) const {
  for (auto& s : subnets) {
    auto configs = NicConfigsInSubnet(ToLower(s.value("id", "")), pending);
    auto& p = s["properties"];
    if (configs.empty()) {
      p.erase("ipConfigurations");
      continue;
    }
    Json list = Json::array();
    for (const auto& [cfg_id, cfg] : configs) list.push_back({{"id", cfg_id}});
    p["ipConfigurations"] = list;
  }
}

Status Planner::CheckSubnetsKeepNics(const Resource& vnet, const Json& subnets) const {
  for (const auto& old : vnet.doc["properties"].value("subnets", Json::array())) {
    auto configs = NicConfigsInSubnet(ToLower(old.value("id", "")), nullptr);
    if (configs.empty()) continue;
    const std::string name = old.value("name", "");
    const Json* now = nullptr;
    for (const auto& s : subnets) {
      if (IEquals(s.value("name", ""), name)) now = &s;
    }
    if (!now) {
      return Fail(
          Error::Conflict("InUseSubnetCannotBeDeleted",
                          fmt::format("Subnet '{}' is in use by '{}' and cannot be deleted. In order to "
                                      "delete the subnet, delete all the resources within the subnet.",
                                      name, configs.front().first)));
    }
    if (!SamePrefixes(old, *now)) {
      return Fail(
          Error::Conflict("InUseSubnetCannotBeUpdated",
                          fmt::format("Subnet '{}' is in use by '{}'; its address prefix cannot change while "
                                      "network interfaces use it.",
                                      name, configs.front().first)));
    }
  }
  return {};
}

std::vector<Change> Planner::VnetChangesForNic(const Json* before, const PendingNic& after) const {
  std::set<std::string> vnet_keys;
  auto collect = [&](const Json& doc) {
    for (const auto& cfg : doc["properties"].value("ipConfigurations", Json::array())) {
      if (auto sid = ResourceId::Parse(SubnetKeyOf(cfg))) vnet_keys.insert(sid->Parent().Key());
    }
  };
  if (before) collect(*before);
  if (after.doc) collect(*after.doc);
  std::vector<Change> out;
  for (const auto& key : vnet_keys) {
    const Resource* vnet = state_.FindKey(key);
    if (!vnet) continue;
    const Json old_subnets = vnet->doc["properties"].value("subnets", Json::array());
    Json subnets = old_subnets;
    ListSubnetIpConfigurations(subnets, &after);
    if (subnets == old_subnets) continue;
    for (std::size_t i = 0; i < subnets.size(); ++i) {
      if (subnets[i] != old_subnets[i]) subnets[i]["etag"] = fmt::format("W/\"{}\"", ctx_.new_guid());
    }
    Resource r = *vnet;
    r.doc["properties"]["subnets"] = subnets;
    r.doc["etag"] = fmt::format("W/\"{}\"", ctx_.new_guid());
    out.push_back({key, std::move(r)});
  }
  return out;
}

Result<std::string> Planner::AllocatePrivateIp(const Json& subnet, const std::string& nic_key) const {
  const PendingNic without_self{nic_key, nullptr};
  std::set<net::IpAddress> taken;
  for (const auto& [cfg_id, cfg] : NicConfigsInSubnet(ToLower(subnet.value("id", "")), &without_self)) {
    if (auto a = net::IpAddress::Parse(cfg["properties"].value("privateIPAddress", ""))) taken.insert(*a);
  }
  const auto prefixes = SubnetV4Prefixes(subnet);
  for (const auto& p : prefixes) {
    const std::uint64_t size = p.Size();
    for (std::uint64_t i = kReservedAtStart; i + 1 < size; ++i) {
      net::IpAddress a = p.address().Plus(i);
      if (!taken.contains(a)) return a.ToString();
    }
  }
  if (prefixes.empty()) {
    return Fail(Bad("PrivateIPv6NotSupported",
                    fmt::format("Subnet '{}' has no IPv4 prefix; Isthmus network interfaces are IPv4 only.",
                                subnet.value("name", "")),
                    "properties.ipConfigurations[0].properties.subnet.id"));
  }
  return Fail(Error::Conflict(
      "SubnetIsFull", fmt::format("Subnet '{}' ({}) has no free address left: every address from .{} to "
                                  "the last but one is taken.",
                                  subnet.value("name", ""), prefixes.front().ToString(), kReservedAtStart)));
}

Status Planner::CheckStaticPrivateIp(const Json& subnet, const std::string& address,
                                     const std::string& nic_key, const std::string& path) const {
  const std::string target = path + ".properties.privateIPAddress";
  auto a = net::IpAddress::Parse(address);
  if (!a || !a->is_v4()) {
    return Fail(Bad("InvalidPrivateIPAddress", fmt::format("'{}' is not an IPv4 address.", address), target));
  }
  const auto prefixes = SubnetV4Prefixes(subnet);
  const net::Prefix* in = nullptr;
  for (const auto& p : prefixes) {
    if (p.Contains(*a)) in = &p;
  }
  const std::string subnet_name = subnet.value("name", "");
  if (!in) {
    std::string all;
    for (const auto& p : prefixes) all += (all.empty() ? "" : ", ") + p.ToString();
    return Fail(Bad(
        "PrivateIPAddressNotInSubnet",
        fmt::format("Private IP address {} is not within subnet '{}' ({}).", a->ToString(), subnet_name, all),
        target));
  }
  if (IsReserved(*in, *a)) {
    return Fail(
        Bad("PrivateIPAddressInReservedRange",
            fmt::format("Private static IP address {} falls within the reserved addresses of subnet '{}' "
                        "({}): Azure keeps the network address, .1, .2, .3 and the broadcast address {} for "
                        "itself; use {} to {}.",
                        a->ToString(), subnet_name, in->ToString(), in->Last().ToString(),
                        in->address().Plus(kReservedAtStart).ToString(),
                        net::IpAddress::V4(in->Last().v4() - 1).ToString()),
            target));
  }
  const PendingNic without_self{nic_key, nullptr};
  for (const auto& [cfg_id, cfg] : NicConfigsInSubnet(ToLower(subnet.value("id", "")), &without_self)) {
    auto other = net::IpAddress::Parse(cfg["properties"].value("privateIPAddress", ""));
    if (other && *other == *a) {
      return Fail(
          Error::Conflict("PrivateIPAddressInUse",
                          fmt::format("IP configuration {} is referencing private IP address {} which is "
                                      "already in use by '{}'.",
                                      path, a->ToString(), cfg_id)));
    }
  }
  return {};
}

Result<std::string> Planner::NewMacAddress() const {
  std::set<std::string> used;
  for (const Resource* n : state_.ListAll(Kind::kNetworkInterface)) {
    used.insert(n->doc["properties"].value("macAddress", ""));
  }
  for (int attempt = 0; attempt < kMacAttempts; ++attempt) {
    std::string hex;
    for (char c : ctx_.new_guid()) {
      if (std::isxdigit(static_cast<unsigned char>(c))) hex.push_back(static_cast<char>(std::toupper(c)));
    }
    if (hex.size() < 6) continue;
    hex = hex.substr(hex.size() - 6);
    std::string mac =
        fmt::format("{}-{}-{}-{}", kMacOui, hex.substr(0, 2), hex.substr(2, 2), hex.substr(4, 2));
    if (!used.contains(mac)) return mac;
  }
  return Fail(Error::Internal("could not draw an unused MAC address for the network interface"));
}

const Resource* Planner::VmUsingNic(const std::string& nic_key, const std::string& except_vm_key) const {
  auto nic_id = ResourceId::Parse(nic_key);
  if (!nic_id) return nullptr;
  for (const Resource* vm : state_.List(Kind::kVirtualMachine, nic_id->subscription)) {
    if (vm->id.Key() == except_vm_key) continue;
    for (const auto& ref :
         vm->doc["properties"]["networkProfile"].value("networkInterfaces", Json::array())) {
      if (ToLower(ref.value("id", "")) == nic_key) return vm;
    }
  }
  return nullptr;
}

// ---- Network interfaces ---------------------------------------------------------------------------------

// The subnet of a NIC's IP configuration: it must exist, in the NIC's subscription and location, and not be
// the gateways' own.
Result<const Json*> Planner::NicSubnet(const ResourceId& nic, const std::string& location, const Json& cprops,
                                       const std::string& cpath) const {
  auto subnet_id = fields::Reference(cprops, "subnet", cpath);
  if (!subnet_id) return Fail(subnet_id.error());
  if (!*subnet_id || (*subnet_id)->kind != Kind::kSubnet) {
    return Fail(Bad("MissingRequiredProperty", fmt::format("{}.subnet.id must name a subnet.", cpath),
                    cpath + ".subnet"));
  }
  if (!IEquals((*subnet_id)->subscription, nic.subscription)) {
    return Fail(
        Bad("InvalidResourceReference",
            fmt::format("Subnet '{}' is in another subscription; a network interface must be in its virtual "
                        "network's subscription.",
                        (*subnet_id)->ToString()),
            cpath + ".subnet.id"));
  }
  const Json* subnet = state_.FindSubnet(**subnet_id);
  if (!subnet) {
    return Fail(
        Bad("InvalidResourceReference",
            fmt::format("Subnet '{}' referenced by {} was not found.", (*subnet_id)->ToString(), cpath),
            cpath + ".subnet.id"));
  }
  const Resource* vnet = state_.Find((*subnet_id)->Parent());
  if ((*subnet)["name"].get<std::string>() == kGatewaySubnet) {
    return Fail(Bad(
        "VmInGatewaySubnetNotAllowed",
        fmt::format("Subnet 'GatewaySubnet' of virtual network '{}' is reserved for virtual network "
                    "gateways: network interfaces, and so VMs, cannot be placed in it. Use another subnet.",
                    vnet->id.name),
        cpath + ".subnet.id"));
  }
  if (vnet->doc.value("location", "") != location) {
    return Fail(
        Bad("NicAndVnetInDifferentLocations",
            fmt::format("Network interface '{}' is in location '{}' but virtual network '{}' is in '{}'; a "
                        "network interface must be in its virtual network's location.",
                        nic.name, location, vnet->id.name, vnet->doc.value("location", "")),
            "location"));
  }
  if (auto s = CheckNotBusy(vnet); !s) return Fail(s.error());
  if (cprops.contains("publicIPAddress") && !cprops["publicIPAddress"].is_null()) {
    return Fail(
        Bad("PublicIPAddressOnNicNotSupported",
            "Isthmus VMs have no public IP address (the underlay pool is for VPN gateways); reach a VM "
            "through its virtual network.",
            cpath + ".publicIPAddress"));
  }
  auto version = fields::Enum(cprops, "privateIPAddressVersion", cpath, {"IPv4", "IPv6"});
  if (!version) return Fail(version.error());
  if (version->value_or("IPv4") == "IPv6") {
    return Fail(Bad("PrivateIPv6NotSupported", "Isthmus network interfaces are IPv4 only.",
                    cpath + ".privateIPAddressVersion"));
  }
  return subnet;
}

// A NIC's private address: Static as given (and checked), Dynamic the first free one from .4.
Result<std::pair<std::string, std::string>> Planner::NicAddress(const Json& subnet, const Json& cprops,
                                                                const std::string& path,
                                                                const Resource* existing,
                                                                const std::string& nic_key) const {
  const std::string cpath = path + ".properties";
  auto method = fields::Enum(cprops, "privateIPAllocationMethod", cpath, {"Dynamic", "Static"});
  if (!method) return Fail(method.error());
  auto address = fields::String(cprops, "privateIPAddress", cpath);
  if (!address) return Fail(address.error());
  const bool has_address = *address && !(*address)->empty();
  const std::string alloc = method->value_or(has_address ? "Static" : "Dynamic");
  std::string ip;
  if (alloc == "Static") {
    if (!has_address) {
      return Fail(
          Bad("MissingRequiredProperty",
              fmt::format("{}.privateIPAddress is required with the Static allocation method.", cpath),
              cpath + ".privateIPAddress"));
    }
    if (auto s = CheckStaticPrivateIp(subnet, **address, nic_key, path); !s) return Fail(s.error());
    ip = net::IpAddress::Parse(**address)->ToString();
  } else if (existing) {
    // A dynamic address stays while the NIC stays in its subnet, as in Azure.
    for (const auto& old : existing->doc["properties"].value("ipConfigurations", Json::array())) {
      if (SubnetKeyOf(old) == ToLower(subnet["id"].get<std::string>())) {
        ip = old["properties"].value("privateIPAddress", "");
      }
    }
  }
  if (ip.empty()) {
    auto a = AllocatePrivateIp(subnet, nic_key);
    if (!a) return Fail(a.error());
    ip = *a;
  }
  return std::pair{alloc, ip};
}

Result<Plan> Planner::PutNetworkInterface(const ResourceId& id, const Json& body) {
  const Resource* existing = state_.Find(id);
  const ResourceId self = existing ? existing->id : id;
  auto env = ReadEnvelope(id, body, true);
  if (!env) return Fail(env.error());
  auto props = fields::Object(body, "properties", "");
  if (!props) return Fail(props.error());
  const std::string list_path = "properties.ipConfigurations";
  if (!props->contains("ipConfigurations") || !(*props)["ipConfigurations"].is_array() ||
      (*props)["ipConfigurations"].empty()) {
    return Fail(
        Bad("MissingRequiredProperty",
            "A network interface needs properties.ipConfigurations with one IP configuration naming its "
            "subnet.",
            list_path));
  }
  if ((*props)["ipConfigurations"].size() != 1) {
    return Fail(
        Bad("InvalidIpConfigurationCount",
            fmt::format("Isthmus network interfaces have exactly one IP configuration; this one has {}.",
                        (*props)["ipConfigurations"].size()),
            list_path));
  }
  const Json& cfg = (*props)["ipConfigurations"][0];
  const std::string path = list_path + "[0]";
  if (!cfg.is_object()) return Fail(fields::WrongType(path, "an object"));
  auto cfg_name = fields::String(cfg, "name", path);
  if (!cfg_name) return Fail(cfg_name.error());
  const std::string name = cfg_name->value_or(kDefaultIpConfigName);
  if (auto n = CheckName(Kind::kSubnet, name); !n) {
    Error e = n.error();
    e.target = path + ".name";
    return Fail(std::move(e));
  }
  auto cprops = fields::Object(cfg, "properties", path);
  if (!cprops) return Fail(cprops.error());
  const std::string cpath = path + ".properties";

  auto subnet = NicSubnet(self, env->location, *cprops, cpath);
  if (!subnet) return Fail(subnet.error());
  auto address = NicAddress(**subnet, *cprops, path, existing, self.Key());
  if (!address) return Fail(address.error());
  const auto& [alloc, ip] = *address;
  auto forwarding = fields::Bool(*props, "enableIPForwarding", "properties");
  if (!forwarding) return Fail(forwarding.error());
  std::string mac = existing ? existing->doc["properties"].value("macAddress", "") : "";
  if (mac.empty()) {
    auto m = NewMacAddress();
    if (!m) return Fail(m.error());
    mac = *m;
  }

  Json d = BaseDoc(id, *env, existing);
  Json c = Json::object();
  c["name"] = name;
  c["id"] = fmt::format("{}/ipConfigurations/{}", self.ToString(), name);
  c["etag"] = d["etag"];
  c["type"] = "Microsoft.Network/networkInterfaces/ipConfigurations";
  c["properties"] = {
      {"provisioningState", kSucceeded},      {"privateIPAddress", ip}, {"privateIPAllocationMethod", alloc},
      {"subnet", {{"id", (**subnet)["id"]}}}, {"primary", true},        {"privateIPAddressVersion", "IPv4"}};
  Json p = Json::object();
  p["provisioningState"] = kSucceeded;
  p["resourceGuid"] = existing ? existing->doc["properties"]["resourceGuid"] : Json(ctx_.new_guid());
  p["ipConfigurations"] = Json::array({c});
  p["macAddress"] = mac;
  p["enableAcceleratedNetworking"] = false;
  p["enableIPForwarding"] = forwarding->value_or(false);
  p["nicType"] = "Standard";
  // Only a VM PUT sets the back-reference (and only a VM's deletion clears it).
  if (existing && existing->doc["properties"].contains("virtualMachine")) {
    p["virtualMachine"] = existing->doc["properties"]["virtualMachine"];
  }
  d["properties"] = p;

  Plan plan = Single({self, d}, existing == nullptr, false);
  for (auto& change : VnetChangesForNic(existing ? &existing->doc : nullptr, PendingNic{self.Key(), &d})) {
    plan.changes.push_back(std::move(change));
  }
  return plan;
}

// ---- Virtual machines -------------------------------------------------------------------------------------

// A VM's network interface: exactly one, of the VM's subscription and location, that no other VM holds.
Result<const Resource*> Planner::VmNic(const ResourceId& vm, const std::string& location,
                                       const Json& props) const {
  auto network = fields::Object(props, "networkProfile", "properties");
  if (!network) return Fail(network.error());
  const std::string np = "properties.networkProfile.networkInterfaces";
  if (!network->contains("networkInterfaces") || !(*network)["networkInterfaces"].is_array() ||
      (*network)["networkInterfaces"].empty()) {
    return Fail(
        Bad("MissingRequiredProperty",
            "A virtual machine needs properties.networkProfile.networkInterfaces with the ID of one network "
            "interface.",
            np));
  }
  if ((*network)["networkInterfaces"].size() != 1) {
    return Fail(Bad("InvalidParameter",
                    fmt::format("Isthmus VMs have exactly one network interface; this one names {}.",
                                (*network)["networkInterfaces"].size()),
                    np));
  }
  const Json& ref = (*network)["networkInterfaces"][0];
  if (!ref.is_object()) return Fail(fields::WrongType(np + "[0]", "an object"));
  auto nic_text = fields::RequiredString(ref, "id", np + "[0]");
  if (!nic_text) return Fail(nic_text.error());
  auto nic_id = ResourceId::Parse(*nic_text);
  if (!nic_id || nic_id->kind != Kind::kNetworkInterface) {
    return Fail(Bad("InvalidParameter", fmt::format("'{}' is not the ID of a network interface.", *nic_text),
                    np + "[0].id"));
  }
  if (!IEquals(nic_id->subscription, vm.subscription)) {
    return Fail(Bad(
        "InvalidParameter",
        fmt::format("Network interface '{}' is in subscription '{}'; a VM can use only network interfaces "
                    "of its own subscription '{}'.",
                    nic_id->name, nic_id->subscription, vm.subscription),
        np + "[0].id"));
  }
  const Resource* nic = state_.Find(*nic_id);
  if (!nic) {
    return Fail(
        Bad("InvalidResourceReference",
            fmt::format("Network interface '{}' referenced by {}[0] was not found.", nic_id->ToString(), np),
            np + "[0].id"));
  }
  if (nic->doc.value("location", "") != location) {
    return Fail(Bad(
        "NicAndVmInDifferentLocations",
        fmt::format("Virtual machine '{}' is in location '{}' but network interface '{}' is in '{}'; a VM "
                    "and its network interface must be in the same location.",
                    vm.name, location, nic->id.name, nic->doc.value("location", "")),
        np + "[0].id"));
  }
  if (auto s = CheckNotBusy(nic); !s) return Fail(s.error());
  if (const Resource* other = VmUsingNic(nic->id.Key(), vm.Key())) {
    return Fail(Error::Conflict("NicInUse",
                                fmt::format("Network interface {} is used by existing virtual machine {}; "
                                            "a network interface serves one VM.",
                                            nic->id.ToString(), other->id.ToString())));
  }
  return nic;
}

// The NIC learns its VM; a NIC the VM no longer names (`old_props`: the VM's stored properties) forgets it.
std::vector<Change> Planner::NicBackReferences(const ResourceId& vm, const Resource& nic,
                                               const Json* old_props) const {
  std::vector<Change> out;
  const Json back = {{"id", vm.ToString()}};
  if (nic.doc["properties"].value("virtualMachine", Json::object()) != back) {
    Resource n = nic;
    n.doc["properties"]["virtualMachine"] = back;
    n.doc["etag"] = fmt::format("W/\"{}\"", ctx_.new_guid());
    out.push_back({n.id.Key(), std::move(n)});
  }
  if (old_props) {
    for (const auto& old_ref : (*old_props)["networkProfile"].value("networkInterfaces", Json::array())) {
      const std::string old_key = ToLower(old_ref.value("id", ""));
      const Resource* old_nic = old_key == nic.id.Key() ? nullptr : state_.FindKey(old_key);
      if (!old_nic ||
          ToLower(old_nic->doc["properties"].value("virtualMachine", Json::object()).value("id", "")) !=
              vm.Key()) {
        continue;
      }
      Resource n = *old_nic;
      n.doc["properties"].erase("virtualMachine");
      n.doc["etag"] = fmt::format("W/\"{}\"", ctx_.new_guid());
      out.push_back({old_key, std::move(n)});
    }
  }
  return out;
}

Result<Plan> Planner::PutVirtualMachine(const ResourceId& id, const Json& body) {
  const Resource* existing = state_.Find(id);
  const ResourceId self = existing ? existing->id : id;
  auto env = ReadEnvelope(id, body, true);
  if (!env) return Fail(env.error());
  auto props = fields::Object(body, "properties", "");
  if (!props) return Fail(props.error());
  const Json* old_props = existing ? &existing->doc["properties"] : nullptr;

  auto hardware = fields::Object(*props, "hardwareProfile", "properties");
  if (!hardware) return Fail(hardware.error());
  auto size = fields::String(*hardware, "vmSize", "properties.hardwareProfile");
  if (!size) return Fail(size.error());
  const std::string vm_size = size->value_or("").empty() ? kDefaultVmSize : **size;

  // The image is stored as given: the single-host fabric runs the host's own userland whatever it names.
  auto storage = fields::Object(*props, "storageProfile", "properties");
  if (!storage) return Fail(storage.error());
  auto image = fields::Object(*storage, "imageReference", "properties.storageProfile");
  if (!image) return Fail(image.error());
  for (const auto& [k, v] : image->items()) {
    if (!v.is_string()) {
      return Fail(fields::WrongType("properties.storageProfile.imageReference." + k, "a string"));
    }
  }
  Json image_ref = *image;
  if (old_props) {
    const Json old_image = (*old_props)["storageProfile"].value("imageReference", Json::object());
    if (image_ref.empty()) {
      image_ref = old_image;
    } else if (image_ref != old_image) {
      return Fail(Bad("PropertyChangeNotAllowed", "Changing property 'imageReference' is not allowed.",
                      "properties.storageProfile.imageReference"));
    }
  }

  auto os = fields::Object(*props, "osProfile", "properties");
  if (!os) return Fail(os.error());
  auto computer = fields::String(*os, "computerName", "properties.osProfile");
  if (!computer) return Fail(computer.error());
  auto admin = fields::String(*os, "adminUsername", "properties.osProfile");
  if (!admin) return Fail(admin.error());
  std::string computer_name =
      computer->value_or(old_props ? (*old_props)["osProfile"].value("computerName", "") : "");
  if (computer_name.empty()) computer_name = self.name;
  if (auto s = CheckComputerName(computer_name); !s) return Fail(s.error());
  if (old_props && (*old_props)["osProfile"].value("computerName", "") != computer_name) {
    return Fail(Bad("PropertyChangeNotAllowed", "Changing property 'computerName' is not allowed.",
                    "properties.osProfile.computerName"));
  }

  auto nic = VmNic(self, env->location, *props);
  if (!nic) return Fail(nic.error());

  Json d = BaseDoc(id, *env, existing);
  Json p = Json::object();
  p["provisioningState"] = kUpdating;
  p["vmId"] = old_props ? (*old_props)["vmId"] : Json(ctx_.new_guid());
  p["hardwareProfile"] = {{"vmSize", vm_size}};
  Json sp = Json::object();
  if (!image_ref.empty()) sp["imageReference"] = image_ref;
  sp["osDisk"] = {{"osType", "Linux"}, {"createOption", "FromImage"}};
  p["storageProfile"] = sp;
  // Secrets (adminPassword, customData) are never stored: nothing here would use them.
  Json osp = {{"computerName", computer_name}};
  std::string admin_name =
      admin->value_or(old_props ? (*old_props)["osProfile"].value("adminUsername", "") : "");
  if (!admin_name.empty()) osp["adminUsername"] = admin_name;
  p["osProfile"] = osp;
  p["networkProfile"] = {{"networkInterfaces", Json::array({{{"id", (*nic)->id.ToString()},
                                                             {"properties", {{"primary", true}}}}})}};
  d["properties"] = p;

  Plan plan = Single({self, d}, existing == nullptr, true);
  for (auto& change : NicBackReferences(self, **nic, old_props)) plan.changes.push_back(std::move(change));
  return plan;
}

}  // namespace isthmus::mgmt
