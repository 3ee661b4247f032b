// Virtual network gateways: where they may live, which public IP they take, and Azure's SKU limits.
#include <fmt/format.h>

#include "mgmt/model/fields.h"
#include "mgmt/model/planner.h"

namespace isthmus::mgmt {

using fields::Bad;

namespace {

struct SkuInfo {
  const char* name;
  int tunnels;  // Azure's maximum S2S/VNet-to-VNet tunnels for the SKU
};

// Azure VPN Gateway SKU table ("About gateway SKUs", learn.microsoft.com).
constexpr SkuInfo kSkus[] = {
    {"Basic", 10},    {"VpnGw1", 30},    {"VpnGw2", 30},    {"VpnGw3", 30},
    {"VpnGw4", 100},  {"VpnGw5", 100},   {"VpnGw1AZ", 30},  {"VpnGw2AZ", 30},
    {"VpnGw3AZ", 30}, {"VpnGw4AZ", 100}, {"VpnGw5AZ", 100},
};

// A GatewaySubnet must be /29 or larger; Azure recommends /27 so that later features fit.
constexpr int kMinGatewaySubnetLength = 29;
constexpr int kRecommendedGatewaySubnetLength = 27;
constexpr std::int64_t kDefaultAsn = 65515;

}  // namespace

const std::vector<std::string> kGatewaySkus = [] {
  std::vector<std::string> v;
  for (const auto& s : kSkus) v.emplace_back(s.name);
  return v;
}();

int TunnelLimit(const std::string& sku) {
  for (const auto& s : kSkus) {
    if (IEquals(s.name, sku)) return s.tunnels;
  }
  return 0;
}

const Resource* Planner::VnetOfGateway(const Resource& gateway) const {
  for (const auto& cfg : gateway.doc["properties"].value("ipConfigurations", Json::array())) {
    auto sid = ResourceId::Parse(cfg["properties"]["subnet"].value("id", ""));
    if (sid) return state_.Find(sid->Parent());
  }
  return nullptr;
}

net::PrefixSet Planner::SpaceBehind(const Resource& r) const {
  if (r.id.kind == Kind::kLocalNetworkGateway) {
    net::PrefixSet set;
    for (const auto& s :
         r.doc["properties"]["localNetworkAddressSpace"].value("addressPrefixes", Json::array())) {
      if (auto p = net::Prefix::Parse(s.get<std::string>())) set.Add(*p);
    }
    return set;
  }
  const Resource* vnet = VnetOfGateway(r);
  return vnet ? VnetSpace(*vnet) : net::PrefixSet{};
}

std::vector<const Resource*> Planner::ConnectionsUsing(const ResourceId& gateway_id) const {
  std::vector<const Resource*> out;
  std::string key = gateway_id.Key();
  for (const Resource* c : state_.List(Kind::kConnection, gateway_id.subscription)) {
    const auto& p = c->doc["properties"];
    for (const char* end : {"virtualNetworkGateway1", "virtualNetworkGateway2", "localNetworkGateway2"}) {
      if (p.contains(end) && ToLower(p[end].value("id", "")) == key) {
        out.push_back(c);
        break;
      }
    }
  }
  return out;
}

Result<Plan> Planner::PutGateway(const ResourceId& id, const Json& body) {
  const Resource* existing = state_.Find(id);
  auto env = ReadEnvelope(id, body, true);
  if (!env) return Fail(env.error());
  auto props = fields::Object(body, "properties", "");
  if (!props) return Fail(props.error());
  const std::string pp = "properties";

  auto gtype = fields::Enum(*props, "gatewayType", pp, {"Vpn", "ExpressRoute", "LocalGateway"});
  if (!gtype) return Fail(gtype.error());
  if (gtype->value_or("Vpn") != "Vpn") {
    return Fail(Bad("UnsupportedGatewayType",
                    fmt::format("Gateway type '{}' is not supported by Isthmus; use 'Vpn'.", **gtype),
                    "properties.gatewayType"));
  }
  auto vpn_type = fields::Enum(*props, "vpnType", pp, {"RouteBased", "PolicyBased"});
  if (!vpn_type) return Fail(vpn_type.error());
  std::string vt = vpn_type->value_or("RouteBased");
  if (existing) {
    std::string old = existing->doc["properties"].value("vpnType", "RouteBased");
    if (old != vt) {
      return Fail(
          Bad("VpnTypeCannotBeChanged",
              fmt::format("The VPN type of gateway '{}' is {} and cannot be changed to {}; delete and "
                          "recreate the gateway instead.",
                          existing->id.name, old, vt),
              "properties.vpnType"));
    }
  }
  auto sku_obj = fields::Object(*props, "sku", pp);
  if (!sku_obj) return Fail(sku_obj.error());
  auto sku = fields::Enum(*sku_obj, "name", "properties.sku", kGatewaySkus);
  if (!sku) return Fail(sku.error());
  std::string sku_name = sku->value_or(vt == "PolicyBased" ? "Basic" : "VpnGw1");
  if (vt == "PolicyBased" && sku_name != "Basic") {
    return Fail(Bad("PolicyBasedGatewayRequiresBasicSku",
                    fmt::format("A PolicyBased gateway must use the Basic SKU, not {}.", sku_name),
                    "properties.sku.name"));
  }
  auto active = fields::Bool(*props, "activeActive", pp);
  if (!active) return Fail(active.error());
  auto bgp = fields::Bool(*props, "enableBgp", pp);
  if (!bgp) return Fail(bgp.error());
  auto generation = fields::Enum(*props, "vpnGatewayGeneration", pp, {"Generation1", "Generation2", "None"});
  if (!generation) return Fail(generation.error());
  if (sku_name == "Basic" && (active->value_or(false) || bgp->value_or(false))) {
    return Fail(Bad("BasicSkuFeatureNotSupported",
                    "The Basic SKU supports neither active-active mode nor BGP.", "properties.sku.name"));
  }

  // ipConfigurations: the GatewaySubnet and the public IP of each gateway instance.
  if (!props->contains("ipConfigurations") || !(*props)["ipConfigurations"].is_array() ||
      (*props)["ipConfigurations"].empty()) {
    return Fail(
        Bad("MissingRequiredProperty",
            "A virtual network gateway needs properties.ipConfigurations with a subnet and a public IP "
            "address.",
            "properties.ipConfigurations"));
  }
  const auto& cfgs = (*props)["ipConfigurations"];
  std::size_t want = active->value_or(false) ? 2 : 1;
  if (cfgs.size() != want) {
    return Fail(Bad("InvalidIpConfigurationCount",
                    fmt::format("A gateway with activeActive={} needs exactly {} ipConfigurations, not {}.",
                                active->value_or(false), want, cfgs.size()),
                    "properties.ipConfigurations"));
  }
  Json out_cfgs = Json::array();
  std::vector<Change> pip_changes;
  const Resource* vnet = nullptr;
  std::vector<std::string> warnings;
  std::size_t i = 0;
  for (const auto& cfg : cfgs) {
    std::string path = fmt::format("properties.ipConfigurations[{}]", i++);
    if (!cfg.is_object()) return Fail(fields::WrongType(path, "an object"));
    auto given_name = fields::String(cfg, "name", path);
    if (!given_name) return Fail(given_name.error());
    std::string cfg_name = given_name->value_or(fmt::format("vnetGatewayConfig{}", i - 1));
    if (auto n = CheckName(Kind::kVirtualNetworkGateway, cfg_name); !n) {
      return Fail(Bad("InvalidResourceName",
                      fmt::format("{}.name must be 1-80 letters, digits, '_', '-' or '.'.", path),
                      path + ".name"));
    }
    auto cprops = fields::Object(cfg, "properties", path);
    if (!cprops) return Fail(cprops.error());
    auto subnet_id = fields::Reference(*cprops, "subnet", path + ".properties");
    if (!subnet_id) return Fail(subnet_id.error());
    if (!*subnet_id || (*subnet_id)->kind != Kind::kSubnet) {
      return Fail(Bad("MissingRequiredProperty",
                      fmt::format("{}.properties.subnet.id must name a subnet.", path),
                      path + ".properties.subnet"));
    }
    const Json* subnet = state_.FindSubnet(**subnet_id);
    if (!subnet) {
      return Fail(
          Bad("InvalidResourceReference",
              fmt::format("Subnet '{}' referenced by {} was not found.", (*subnet_id)->ToString(), path),
              path + ".properties.subnet.id"));
    }
    std::string subnet_name = (*subnet)["name"].get<std::string>();
    if (subnet_name != "GatewaySubnet") {
      return Fail(
          Bad("GatewaySubnetRequired",
              fmt::format("A VPN gateway must be deployed in the subnet named exactly 'GatewaySubnet'; "
                          "'{}' is not it.",
                          subnet_name),
              path + ".properties.subnet.id"));
    }
    auto prefix = net::Prefix::Parse((*subnet)["properties"].value("addressPrefix", ""));
    if (prefix && prefix->family() == net::Family::kV4) {
      if (prefix->length() > kMinGatewaySubnetLength) {
        return Fail(Bad("GatewaySubnetTooSmall",
                        fmt::format("GatewaySubnet {} is too small: it must be /{} or larger.",
                                    prefix->ToString(), kMinGatewaySubnetLength),
                        path + ".properties.subnet.id"));
      }
      if (prefix->length() > kRecommendedGatewaySubnetLength) {
        warnings.push_back(
            fmt::format("GatewaySubnet {} is smaller than the recommended /{}; some gateway "
                        "features may not fit later.",
                        prefix->ToString(), kRecommendedGatewaySubnetLength));
      }
    }
    const Resource* this_vnet = state_.Find((*subnet_id)->Parent());
    if (vnet && vnet->id.Key() != this_vnet->id.Key()) {
      return Fail(Bad("IpConfigurationsInDifferentVnets",
                      "All ipConfigurations of a gateway must use the GatewaySubnet of one virtual network.",
                      path + ".properties.subnet.id"));
    }
    vnet = this_vnet;
    if (auto s = CheckNotBusy(vnet); !s) return Fail(s.error());

    auto pip_id = fields::Reference(*cprops, "publicIPAddress", path + ".properties");
    if (!pip_id) return Fail(pip_id.error());
    if (!*pip_id || (*pip_id)->kind != Kind::kPublicIpAddress) {
      return Fail(Bad("MissingRequiredProperty",
                      fmt::format("{}.properties.publicIPAddress.id must name a public IP address.", path),
                      path + ".properties.publicIPAddress"));
    }
    const Resource* pip = state_.Find(**pip_id);
    if (!pip) {
      return Fail(Bad(
          "InvalidResourceReference",
          fmt::format("Public IP address '{}' referenced by {} was not found.", (*pip_id)->ToString(), path),
          path + ".properties.publicIPAddress.id"));
    }
    ResourceId self_id = existing ? existing->id : id;
    std::string cfg_id = fmt::format("{}/ipConfigurations/{}", self_id.ToString(), cfg_name);
    const auto& pprops = pip->doc["properties"];
    if (pprops.contains("ipConfiguration")) {
      std::string owner = ToLower(pprops["ipConfiguration"].value("id", ""));
      if (!owner.starts_with(self_id.Key() + "/")) {
        return Fail(Error::Conflict("PublicIPAddressInUse",
                                    fmt::format("Public IP address '{}' is already used by '{}'.",
                                                pip->id.name, pprops["ipConfiguration"].value("id", ""))));
      }
    }
    for (const auto& c : pip_changes) {
      if (c.key == pip->id.Key()) {
        return Fail(Bad("PublicIPAddressInUse", "Each ipConfiguration needs its own public IP address.",
                        path + ".properties.publicIPAddress.id"));
      }
    }
    Resource updated = *pip;
    updated.doc["properties"]["ipConfiguration"] = {{"id", cfg_id}};
    updated.doc["etag"] = fmt::format("W/\"{}\"", ctx_.new_guid());
    if (!updated.doc["properties"].contains("ipAddress")) {
      auto addr = AllocatePublicIp(id.subscription, pip->id.Key());
      if (!addr) return Fail(addr.error());
      updated.doc["properties"]["ipAddress"] = *addr;
    }
    pip_changes.push_back({pip->id.Key(), updated});

    Json c = Json::object();
    c["name"] = cfg_name;
    c["id"] = cfg_id;
    c["properties"] = {{"privateIPAllocationMethod", "Dynamic"},
                       {"subnet", {{"id", (*subnet)["id"]}}},
                       {"publicIPAddress", {{"id", pip->id.ToString()}}},
                       {"provisioningState", kSucceeded}};
    out_cfgs.push_back(c);
  }

  // One VPN gateway per virtual network.
  if (const Resource* other = GatewayInVnet(vnet->id); other && other->id.Key() != id.Key()) {
    return Fail(
        Error::Conflict("VnetAlreadyHasVpnGateway",
                        fmt::format("Virtual network '{}' already has VPN gateway '{}'; a virtual network "
                                    "can have only one.",
                                    vnet->id.name, other->id.name)));
  }
  if (existing) {
    int used = 0;
    for (const Resource* c : ConnectionsUsing(existing->id)) {
      if (IEquals(c->doc["properties"]["virtualNetworkGateway1"].value("id", ""), existing->id.ToString()))
        ++used;
    }
    if (used > TunnelLimit(sku_name)) {
      return Fail(Error::Conflict("TooManyConnectionsForSku",
                                  fmt::format("Gateway '{}' has {} connections; SKU {} allows {}.", id.name,
                                              used, sku_name, TunnelLimit(sku_name))));
    }
  }

  Json d = BaseDoc(id, *env, existing);
  Json p = Json::object();
  p["provisioningState"] = kUpdating;
  p["resourceGuid"] = existing ? existing->doc["properties"]["resourceGuid"] : Json(ctx_.new_guid());
  p["gatewayType"] = "Vpn";
  p["vpnType"] = vt;
  p["vpnGatewayGeneration"] = generation->value_or(sku_name == "Basic" ? "Generation1" : "Generation1");
  p["sku"] = {{"name", sku_name}, {"tier", sku_name}, {"capacity", 2}};
  p["activeActive"] = active->value_or(false);
  p["enableBgp"] = bgp->value_or(false);
  p["ipConfigurations"] = out_cfgs;

  auto bgp_obj = fields::Object(*props, "bgpSettings", pp);
  if (!bgp_obj) return Fail(bgp_obj.error());
  auto asn = fields::Integer(*bgp_obj, "asn", "properties.bgpSettings");
  if (!asn) return Fail(asn.error());
  std::int64_t asn_value = asn->value_or(kDefaultAsn);
  // RFC 6996/7300 ranges are fine; Azure reserves 65515-65520 for itself except its own default.
  if (asn_value < 1 || asn_value > 4294967294LL ||
      (asn_value != kDefaultAsn && asn_value >= 65515 && asn_value <= 65520)) {
    return Fail(Bad("InvalidAsn", fmt::format("BGP ASN {} is not allowed.", asn_value),
                    "properties.bgpSettings.asn"));
  }
  auto peer_weight = fields::Integer(*bgp_obj, "peerWeight", "properties.bgpSettings");
  if (!peer_weight) return Fail(peer_weight.error());
  auto given_peering = fields::String(*bgp_obj, "bgpPeeringAddress", "properties.bgpSettings");
  if (!given_peering) return Fail(given_peering.error());
  std::string peering = given_peering->value_or("");
  if (peering.empty()) {
    // Azure takes the last usable address of the GatewaySubnet.
    auto gw_subnet = net::Prefix::Parse(
        state_.FindSubnet(*ResourceId::Parse(out_cfgs[0]["properties"]["subnet"]["id"].get<std::string>()))
            ->at("properties")
            .value("addressPrefix", ""));
    if (gw_subnet && gw_subnet->family() == net::Family::kV4) {
      peering = net::IpAddress::V4(gw_subnet->Last().v4() - 1).ToString();
    }
  } else if (!net::IpAddress::Parse(peering)) {
    return Fail(Bad("InvalidBgpPeeringAddress", fmt::format("'{}' is not an IP address.", peering),
                    "properties.bgpSettings.bgpPeeringAddress"));
  }
  p["bgpSettings"] = {
      {"asn", asn_value}, {"bgpPeeringAddress", peering}, {"peerWeight", peer_weight->value_or(0)}};
  d["properties"] = p;

  Plan plan = Single({existing ? existing->id : id, d}, existing == nullptr, true);
  // Release public IPs this gateway no longer uses.
  if (existing) {
    for (const auto& cfg : existing->doc["properties"].value("ipConfigurations", Json::array())) {
      std::string old_key = ToLower(cfg["properties"]["publicIPAddress"].value("id", ""));
      bool kept = false;
      for (const auto& c : pip_changes) kept = kept || c.key == old_key;
      if (kept) continue;
      if (const Resource* old = state_.FindKey(old_key)) {
        Resource r = *old;
        r.doc["etag"] = fmt::format("W/\"{}\"", ctx_.new_guid());
        r.doc["properties"].erase("ipConfiguration");
        if (r.doc["properties"].value("publicIPAllocationMethod", "") == "Dynamic") {
          r.doc["properties"].erase("ipAddress");
        }
        plan.changes.push_back({old_key, r});
      }
    }
  }
  for (auto& c : pip_changes) plan.changes.push_back(std::move(c));
  plan.warnings = std::move(warnings);
  return plan;
}

}  // namespace isthmus::mgmt
