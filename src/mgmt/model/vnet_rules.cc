// Virtual networks and subnets: address space arithmetic and the rules Azure enforces on them.
#include <fmt/format.h>

#include "mgmt/model/fields.h"
#include "mgmt/model/planner.h"

namespace isthmus::mgmt {

using fields::Bad;

namespace {

// Azure reserves 5 addresses per IPv4 subnet, so /29 is the smallest usable one; IPv6 subnets are /64.
constexpr int kMaxV4SubnetLength = 29;
constexpr int kV6SubnetLength = 64;

net::PrefixSet SubnetPrefixes(const Json& subnet) {
  net::PrefixSet set;
  const auto& p = subnet["properties"];
  if (p.contains("addressPrefix")) {
    if (auto x = net::Prefix::Parse(p["addressPrefix"].get<std::string>())) set.Add(*x);
  }
  if (p.contains("addressPrefixes")) {
    for (const auto& s : p["addressPrefixes"]) {
      if (auto x = net::Prefix::Parse(s.get<std::string>())) set.Add(*x);
    }
  }
  return set;
}

}  // namespace

net::PrefixSet Planner::VnetSpace(const Resource& vnet) const {
  net::PrefixSet set;
  for (const auto& s : vnet.doc["properties"]["addressSpace"].value("addressPrefixes", Json::array())) {
    if (auto p = net::Prefix::Parse(s.get<std::string>())) set.Add(*p);
  }
  return set;
}

Result<Json> Planner::NormalizeSubnet(const ResourceId& vnet_id, const Json& subnet,
                                      const std::string& path) const {
  if (!subnet.is_object()) return Fail(fields::WrongType(path, "an object"));
  auto name = fields::RequiredString(subnet, "name", path);
  if (!name) return Fail(name.error());
  if (auto n = CheckName(Kind::kSubnet, *name); !n) {
    Error e = n.error();
    e.target = path + ".name";
    return Fail(std::move(e));
  }
  auto props = fields::Object(subnet, "properties", path);
  if (!props) return Fail(props.error());
  std::string ppath = path + ".properties";
  auto single = fields::String(*props, "addressPrefix", ppath);
  if (!single) return Fail(single.error());
  auto many = fields::PrefixList(*props, "addressPrefixes", ppath);
  if (!many) return Fail(many.error());
  std::vector<net::Prefix> prefixes = *many;
  if (*single) {
    auto p = net::Prefix::Parse(**single);
    if (!p) {
      Error e = p.error();
      e.message = fmt::format("{} (in {}.addressPrefix of subnet '{}')", e.message, ppath, *name);
      e.target = ppath + ".addressPrefix";
      return Fail(std::move(e));
    }
    prefixes.insert(prefixes.begin(), *p);
  }
  if (prefixes.empty()) {
    return Fail(Bad("MissingRequiredProperty",
                    fmt::format("Subnet '{}' needs properties.addressPrefix.", *name),
                    ppath + ".addressPrefix"));
  }
  for (const auto& p : prefixes) {
    bool too_small =
        p.family() == net::Family::kV4 ? p.length() > kMaxV4SubnetLength : p.length() != kV6SubnetLength;
    if (too_small) {
      return Fail(Bad("InvalidSubnetPrefixLength",
                      fmt::format("Subnet '{}' prefix {} is not usable: IPv4 subnets must be /{} or larger "
                                  "(Azure reserves 5 addresses in each) and IPv6 subnets must be /{}.",
                                  *name, p.ToString(), kMaxV4SubnetLength, kV6SubnetLength),
                      ppath + ".addressPrefix"));
    }
  }
  ResourceId sid = vnet_id;
  sid.kind = Kind::kSubnet;
  sid.child_name = *name;
  Json d = Json::object();
  d["name"] = *name;
  d["id"] = sid.ToString();
  d["etag"] = fmt::format("W/\"{}\"", ctx_.new_guid());
  d["type"] = std::string(ArmType(Kind::kSubnet));
  Json p = Json::object();
  p["provisioningState"] = kSucceeded;
  if (prefixes.size() == 1) {
    p["addressPrefix"] = prefixes[0].ToString();
  } else {
    Json list = Json::array();
    for (const auto& x : prefixes) list.push_back(x.ToString());
    p["addressPrefixes"] = list;
  }
  d["properties"] = p;
  return d;
}

Status Planner::CheckVnetSpace(const ResourceId& vnet_id, const net::PrefixSet& space,
                               const Json& subnets) const {
  if (space.empty()) {
    return Fail(Bad("MissingRequiredProperty",
                    fmt::format("Virtual network '{}' needs at least one address prefix in "
                                "properties.addressSpace.addressPrefixes.",
                                vnet_id.name),
                    "properties.addressSpace.addressPrefixes"));
  }
  if (auto o = space.FirstInternalOverlap()) {
    return Fail(Bad("VnetAddressPrefixesOverlap",
                    fmt::format("Address prefixes {} and {} of virtual network '{}' overlap each other.",
                                o->first.ToString(), o->second.ToString(), vnet_id.name),
                    "properties.addressSpace.addressPrefixes"));
  }
  std::vector<std::pair<std::string, net::Prefix>> seen;
  for (const auto& s : subnets) {
    std::string name = s["name"].get<std::string>();
    const net::PrefixSet mine = SubnetPrefixes(s);
    for (const auto& p : mine.prefixes()) {
      if (!space.Contains(p)) {
        return Fail(
            Bad("NetcfgSubnetRangeOutsideVnet",
                fmt::format("Subnet '{}' prefix {} is not within the address space of virtual network "
                            "'{}' ({}).",
                            name, p.ToString(), vnet_id.name,
                            [&] {
                              std::string all;
                              for (const auto& x : space.prefixes()) {
                                all += (all.empty() ? "" : ", ") + x.ToString();
                              }
                              return all;
                            }()),
                "properties.subnets"));
      }
      for (const auto& [other, op] : seen) {
        if (op.Overlaps(p)) {
          return Fail(Bad("NetcfgSubnetRangesOverlap",
                          fmt::format("Subnet '{}' prefix {} overlaps subnet '{}' prefix {}.", name,
                                      p.ToString(), other, op.ToString()),
                          "properties.subnets"));
        }
      }
    }
    for (const auto& p : mine.prefixes()) seen.emplace_back(name, p);
  }
  return {};
}

const Resource* Planner::GatewayInVnet(const ResourceId& vnet_id) const {
  std::string key = vnet_id.Key() + "/subnets/";
  for (const Resource* g : state_.List(Kind::kVirtualNetworkGateway, vnet_id.subscription)) {
    for (const auto& cfg : g->doc["properties"].value("ipConfigurations", Json::array())) {
      auto sid = ToLower(cfg["properties"]["subnet"].value("id", ""));
      if (sid.starts_with(key)) return g;
    }
  }
  return nullptr;
}

Status Planner::CheckConnectedOverlap(const ResourceId& vnet_id, const net::PrefixSet& space) const {
  const Resource* gw = GatewayInVnet(vnet_id);
  if (!gw) return {};
  for (const Resource* c : ConnectionsUsing(gw->id)) {
    const auto& p = c->doc["properties"];
    for (const char* end : {"virtualNetworkGateway1", "virtualNetworkGateway2", "localNetworkGateway2"}) {
      if (!p.contains(end)) continue;
      auto other_id = ResourceId::Parse(p[end].value("id", ""));
      if (!other_id || other_id->Key() == gw->id.Key()) continue;
      const Resource* other = state_.Find(*other_id);
      if (!other) continue;
      if (auto o = space.FirstOverlap(SpaceBehind(*other))) {
        return Fail(Error::Conflict(
            "VnetAddressSpacesOverlap",
            fmt::format("Address prefix {} of virtual network '{}' would overlap prefix {} behind {} '{}', "
                        "which connection '{}' joins to it.",
                        o->first.ToString(), vnet_id.name, o->second.ToString(), DisplayName(other->id.kind),
                        other->id.name, c->id.name)));
      }
    }
  }
  return {};
}

Result<Plan> Planner::PutVnet(const ResourceId& id, const Json& body) {
  const Resource* existing = state_.Find(id);
  auto env = ReadEnvelope(id, body, true);
  if (!env) return Fail(env.error());
  auto props = fields::Object(body, "properties", "");
  if (!props) return Fail(props.error());
  auto space_obj = fields::Object(*props, "addressSpace", "properties");
  if (!space_obj) return Fail(space_obj.error());
  auto prefixes = fields::PrefixList(*space_obj, "addressPrefixes", "properties.addressSpace");
  if (!prefixes) return Fail(prefixes.error());
  net::PrefixSet space(*prefixes);
  // Properties Isthmus keeps but does not act on are still checked: a wrong type is an error, never a
  // value silently dropped.
  auto ddos = fields::Bool(*props, "enableDdosProtection", "properties");
  if (!ddos) return Fail(ddos.error());
  if (ddos->value_or(false)) {
    return Fail(Bad("DdosProtectionPlanNotSupported",
                    "Isthmus has no DDoS protection plans: properties.enableDdosProtection must be false.",
                    "properties.enableDdosProtection"));
  }
  auto dhcp = fields::Object(*props, "dhcpOptions", "properties");
  if (!dhcp) return Fail(dhcp.error());
  auto dns = fields::StringList(*dhcp, "dnsServers", "properties.dhcpOptions");
  if (!dns) return Fail(dns.error());
  for (std::size_t k = 0; k < dns->size(); ++k) {
    if (!net::IpAddress::Parse((*dns)[k])) {
      return Fail(Bad("InvalidDnsServerAddress",
                      fmt::format("properties.dhcpOptions.dnsServers[{}] is not an IP address.", k),
                      fmt::format("properties.dhcpOptions.dnsServers[{}]", k)));
    }
  }

  Json subnets = Json::array();
  if (props->contains("subnets") && !(*props)["subnets"].is_null()) {
    if (!(*props)["subnets"].is_array()) return Fail(fields::WrongType("properties.subnets", "an array"));
    std::size_t i = 0;
    for (const auto& s : (*props)["subnets"]) {
      auto n = NormalizeSubnet(id, s, fmt::format("properties.subnets[{}]", i++));
      if (!n) return Fail(n.error());
      for (const auto& prev : subnets) {
        if (IEquals(prev["name"].get<std::string>(), (*n)["name"].get<std::string>())) {
          return Fail(
              Bad("DuplicateResourceName",
                  fmt::format("Subnet name '{}' appears more than once.", (*n)["name"].get<std::string>()),
                  "properties.subnets"));
        }
      }
      subnets.push_back(*n);
    }
  }
  if (auto s = CheckVnetSpace(id, space, subnets); !s) return Fail(s.error());

  if (existing) {
    // A subnet a gateway lives in can be neither removed nor re-addressed while the gateway exists.
    if (const Resource* gw = GatewayInVnet(existing->id)) {
      for (const auto& old : existing->doc["properties"].value("subnets", Json::array())) {
        if (!IEquals(old.value("name", ""), "GatewaySubnet")) continue;
        const Json* now = nullptr;
        for (const auto& s : subnets) {
          if (IEquals(s.value("name", ""), "GatewaySubnet")) now = &s;
        }
        if (!now) {
          return Fail(
              Error::Conflict("InUseSubnetCannotBeDeleted",
                              fmt::format("Subnet 'GatewaySubnet' is in use by virtual network gateway "
                                          "'{}' and cannot be removed from virtual network '{}'.",
                                          gw->id.name, id.name)));
        }
        if (SubnetPrefixes(*now).prefixes() != SubnetPrefixes(old).prefixes()) {
          return Fail(
              Error::Conflict("InUseSubnetCannotBeUpdated",
                              fmt::format("Subnet 'GatewaySubnet' is in use by virtual network gateway "
                                          "'{}'; its address prefix cannot change.",
                                          gw->id.name)));
        }
      }
    }
    if (auto s = CheckSubnetsKeepNics(*existing, subnets); !s) return Fail(s.error());
    if (auto s = CheckConnectedOverlap(existing->id, space); !s) return Fail(s.error());
    // Keep subnet etags stable for subnets that did not change.
    for (auto& s : subnets) {
      for (const auto& old : existing->doc["properties"].value("subnets", Json::array())) {
        if (IEquals(old.value("name", ""), s["name"].get<std::string>()) &&
            old["properties"].value("addressPrefix", "") == s["properties"].value("addressPrefix", "")) {
          s["etag"] = old["etag"];
        }
      }
    }
  }

  Json d = BaseDoc(id, *env, existing);
  Json p = Json::object();
  p["provisioningState"] = kSucceeded;
  p["resourceGuid"] = existing ? existing->doc["properties"]["resourceGuid"] : Json(ctx_.new_guid());
  Json list = Json::array();
  for (const auto& x : space.prefixes()) list.push_back(x.ToString());
  p["addressSpace"] = {{"addressPrefixes", list}};
  ListSubnetIpConfigurations(subnets, nullptr);
  p["subnets"] = subnets;
  p["virtualNetworkPeerings"] = Json::array();
  p["enableDdosProtection"] = false;
  if (!dns->empty()) p["dhcpOptions"] = {{"dnsServers", *dns}};
  d["properties"] = p;
  return Single({existing ? existing->id : id, d}, existing == nullptr, false);
}

Result<Plan> Planner::PutSubnet(const ResourceId& id, const Json& body) {
  const Resource* vnet = state_.Find(id.Parent());
  if (!vnet) {
    return Fail(
        Error::NotFound("ResourceNotFound", fmt::format("Virtual network '{}' was not found.", id.name)));
  }
  if (!body.is_object()) return Fail(Bad("InvalidRequestFormat", "The request body must be a JSON object."));
  Json named = body;
  named["name"] = id.child_name;
  const Json* old = state_.FindSubnet(id);
  if (old) named["name"] = (*old)["name"];  // keep the original casing
  auto subnet = NormalizeSubnet(vnet->id, named, "");
  if (!subnet) return Fail(subnet.error());

  Json subnets = Json::array();
  bool replaced = false;
  for (const auto& s : vnet->doc["properties"].value("subnets", Json::array())) {
    if (IEquals(s.value("name", ""), id.child_name)) {
      subnets.push_back(*subnet);
      replaced = true;
    } else {
      subnets.push_back(s);
    }
  }
  if (!replaced) subnets.push_back(*subnet);
  if (auto s = CheckVnetSpace(vnet->id, VnetSpace(*vnet), subnets); !s) return Fail(s.error());
  if (old && IEquals(id.child_name, "GatewaySubnet")) {
    if (const Resource* gw = GatewayInVnet(vnet->id);
        gw && SubnetPrefixes(*old).prefixes() != SubnetPrefixes(*subnet).prefixes()) {
      return Fail(
          Error::Conflict("InUseSubnetCannotBeUpdated",
                          fmt::format("Subnet 'GatewaySubnet' is in use by virtual network gateway '{}'; "
                                      "its address prefix cannot change.",
                                      gw->id.name)));
    }
  }
  if (auto s = CheckSubnetsKeepNics(*vnet, subnets); !s) return Fail(s.error());
  ListSubnetIpConfigurations(subnets, nullptr);
  Resource r = *vnet;
  r.doc["properties"]["subnets"] = subnets;
  r.doc["etag"] = fmt::format("W/\"{}\"", ctx_.new_guid());
  Plan plan;
  plan.changes.push_back({r.id.Key(), r});
  ResourceId sid = vnet->id;
  sid.kind = Kind::kSubnet;
  sid.child_name = (*subnet)["name"].get<std::string>();
  plan.result = {sid, *subnet};
  for (const auto& s : subnets) {
    if (IEquals(s.value("name", ""), sid.child_name)) plan.result.doc = s;
  }
  plan.created = !replaced;
  return plan;
}

}  // namespace isthmus::mgmt
