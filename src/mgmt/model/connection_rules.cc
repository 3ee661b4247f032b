// Connections: which gateways may be joined, the shared key, and custom IPsec/IKE policies.
#include <cctype>

#include <fmt/format.h>

#include "mgmt/model/fields.h"
#include "mgmt/model/planner.h"

namespace isthmus::mgmt {

using fields::Bad;

namespace {

// Azure: "dpdTimeoutSeconds" 9..3600, default 45.
constexpr std::int64_t kMinDpd = 9, kMaxDpd = 3600, kDefaultDpd = 45;
// Azure IPsec/IKE policy bounds: SA lifetime 300..172799 s; data size 1024..2147483647 KB.
constexpr std::int64_t kMinSaLifetime = 300, kMaxSaLifetime = 172799;
constexpr std::int64_t kMinSaKilobytes = 1024, kMaxSaKilobytes = 2147483647;
constexpr std::size_t kMaxSharedKeyLength = 128;
constexpr std::size_t kGeneratedKeyLength = 32;

struct PolicyField {
  const char* name;
  std::vector<std::string> azure;      // every value Azure's API accepts
  std::vector<std::string> supported;  // the subset Isthmus can negotiate (DESIGN.md §4)
};

const std::vector<PolicyField>& PolicyFields() {
  static const std::vector<PolicyField> f = {
      {"ipsecEncryption",
       {"None", "DES", "DES3", "AES128", "AES192", "AES256", "GCMAES128", "GCMAES192", "GCMAES256"},
       {"AES128", "AES256", "GCMAES128", "GCMAES256"}},
      {"ipsecIntegrity",
       {"MD5", "SHA1", "SHA256", "GCMAES128", "GCMAES192", "GCMAES256"},
       {"SHA256", "GCMAES128", "GCMAES256"}},
      {"ikeEncryption",
       {"DES", "DES3", "AES128", "AES192", "AES256", "GCMAES256", "GCMAES128"},
       {"AES128", "AES256", "GCMAES128", "GCMAES256"}},
      {"ikeIntegrity",
       {"MD5", "SHA1", "SHA256", "SHA384", "GCMAES256", "GCMAES128"},
       {"SHA256", "SHA384", "GCMAES256", "GCMAES128"}},
      {"dhGroup",
       {"None", "DHGroup1", "DHGroup2", "DHGroup14", "DHGroup2048", "ECP256", "ECP384", "DHGroup24"},
       {"DHGroup2", "DHGroup14", "DHGroup2048", "ECP256", "ECP384"}},
      {"pfsGroup",
       {"None", "PFS1", "PFS2", "PFS2048", "ECP256", "ECP384", "PFS24", "PFS14", "PFSMM"},
       {"None", "PFS2", "PFS2048", "ECP256", "ECP384", "PFS14"}},
  };
  return f;
}

std::string RandomKey(const std::function<std::string()>& new_guid, std::size_t length) {
  // GUIDs come from the process CSPRNG in production; their hex digits make a printable key.
  std::string key;
  while (key.size() < length) {
    for (char c : new_guid()) {
      if (std::isalnum(static_cast<unsigned char>(c)) && key.size() < length) key.push_back(c);
    }
  }
  return key;
}

}  // namespace

Status CheckSharedKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxSharedKeyLength) {
    return Fail(Bad("InvalidSharedKey",
                    fmt::format("The shared key must be 1 to {} characters long (it has {}).",
                                kMaxSharedKeyLength, key.size()),
                    "properties.sharedKey"));
  }
  for (unsigned char c : key) {
    if (c < 0x21 || c > 0x7e) {
      return Fail(Bad("InvalidSharedKey",
                      "The shared key may contain only printable ASCII characters, without spaces.",
                      "properties.sharedKey"));
    }
  }
  return {};
}

Result<Json> NormalizeIpsecPolicy(const Json& policy, const std::string& path) {
  if (!policy.is_object()) return Fail(fields::WrongType(path, "an object"));
  Json out = Json::object();
  std::vector<std::string> missing;
  auto life = fields::Integer(policy, "saLifeTimeSeconds", path);
  if (!life) return Fail(life.error());
  auto size = fields::Integer(policy, "saDataSizeKilobytes", path);
  if (!size) return Fail(size.error());
  if (!*life) missing.emplace_back("saLifeTimeSeconds");
  if (!*size) missing.emplace_back("saDataSizeKilobytes");
  for (const auto& f : PolicyFields()) {
    auto v = fields::Enum(policy, f.name, path, f.azure);
    if (!v) return Fail(v.error());
    if (!*v) {
      missing.emplace_back(f.name);
      continue;
    }
    bool ok = false;
    for (const auto& s : f.supported) ok = ok || s == **v;
    if (!ok) {
      return Fail(
          Bad("IpsecPolicyValueNotSupported",
              fmt::format("{}.{} = {} is accepted by Azure but not supported by Isthmus; use one of {}.",
                          path, f.name, **v, fmt::join(f.supported, ", ")),
              path + "." + f.name));
    }
    out[f.name] = **v;
  }
  if (!missing.empty()) {
    return Fail(Bad("IpsecPolicyIncomplete",
                    fmt::format("An IPsec/IKE policy must set every parameter; {} is missing {}.", path,
                                fmt::join(missing, ", ")),
                    path));
  }
  if (**life < kMinSaLifetime || **life > kMaxSaLifetime) {
    return Fail(Bad("IpsecPolicyLifetimeOutOfRange",
                    fmt::format("{}.saLifeTimeSeconds = {} is outside {}..{}.", path, **life, kMinSaLifetime,
                                kMaxSaLifetime),
                    path + ".saLifeTimeSeconds"));
  }
  if (**size < kMinSaKilobytes || **size > kMaxSaKilobytes) {
    return Fail(Bad("IpsecPolicyLifetimeOutOfRange",
                    fmt::format("{}.saDataSizeKilobytes = {} is outside {}..{}.", path, **size,
                                kMinSaKilobytes, kMaxSaKilobytes),
                    path + ".saDataSizeKilobytes"));
  }
  auto gcm = [](const std::string& v) { return v.starts_with("GCMAES"); };
  const std::string enc = out["ipsecEncryption"], integ = out["ipsecIntegrity"];
  if ((gcm(enc) || gcm(integ)) && enc != integ) {
    return Fail(
        Bad("IpsecPolicyGcmMismatch",
            fmt::format("With GCM, ipsecEncryption and ipsecIntegrity must be the same GCMAES algorithm "
                        "and key length; got {} and {}.",
                        enc, integ),
            path + ".ipsecIntegrity"));
  }
  const std::string ike_enc = out["ikeEncryption"], ike_integ = out["ikeIntegrity"];
  if (gcm(ike_integ) && ike_enc != ike_integ) {
    return Fail(
        Bad("IpsecPolicyGcmMismatch",
            fmt::format("ikeIntegrity {} requires ikeEncryption {}; got {}.", ike_integ, ike_integ, ike_enc),
            path + ".ikeIntegrity"));
  }
  out["saLifeTimeSeconds"] = **life;
  out["saDataSizeKilobytes"] = **size;
  return out;
}

Result<Plan> Planner::PutConnection(const ResourceId& id, const Json& body) {
  const Resource* existing = state_.Find(id);
  auto env = ReadEnvelope(id, body, true);
  if (!env) return Fail(env.error());
  auto props = fields::Object(body, "properties", "");
  if (!props) return Fail(props.error());
  const std::string pp = "properties";

  auto type = fields::Enum(*props, "connectionType", pp, {"Vnet2Vnet", "IPsec", "ExpressRoute", "VPNClient"});
  if (!type) return Fail(type.error());
  if (!*type) {
    return Fail(Bad("MissingRequiredProperty", "properties.connectionType is required (Vnet2Vnet or IPsec).",
                    "properties.connectionType"));
  }
  if (**type != "Vnet2Vnet" && **type != "IPsec") {
    return Fail(
        Bad("UnsupportedConnectionType",
            fmt::format("Connection type '{}' is not supported by Isthmus; use Vnet2Vnet or IPsec.", **type),
            "properties.connectionType"));
  }
  const bool v2v = **type == "Vnet2Vnet";

  auto ref1 = fields::Reference(*props, "virtualNetworkGateway1", pp);
  if (!ref1) return Fail(ref1.error());
  auto ref2 = fields::Reference(*props, "virtualNetworkGateway2", pp);
  if (!ref2) return Fail(ref2.error());
  auto local2 = fields::Reference(*props, "localNetworkGateway2", pp);
  if (!local2) return Fail(local2.error());
  if (!*ref1) {
    return Fail(Bad("MissingRequiredProperty", "properties.virtualNetworkGateway1.id is required.",
                    "properties.virtualNetworkGateway1"));
  }
  if (v2v && (!*ref2 || *local2)) {
    return Fail(Bad("InvalidConnectionEnds",
                    "A Vnet2Vnet connection needs virtualNetworkGateway2 and no localNetworkGateway2.",
                    "properties.virtualNetworkGateway2"));
  }
  if (!v2v && (!*local2 || *ref2)) {
    return Fail(Bad("InvalidConnectionEnds",
                    "An IPsec connection needs localNetworkGateway2 and no virtualNetworkGateway2.",
                    "properties.localNetworkGateway2"));
  }
  auto lookup = [&](const ResourceId& rid, Kind want, const char* field) -> Result<const Resource*> {
    const Resource* r = rid.kind == want ? state_.Find(rid) : nullptr;
    if (!r) {
      return Fail(Bad("InvalidResourceReference",
                      fmt::format("properties.{}.id '{}' does not name an existing {}.", field,
                                  rid.ToString(), DisplayName(want)),
                      fmt::format("properties.{}.id", field)));
    }
    auto st = r->doc["properties"].value("provisioningState", "");
    if (st != kSucceeded) {
      return Fail(Error::Conflict("ReferencedResourceNotProvisioned",
                                  fmt::format("Cannot proceed: {} '{}' is in provisioning state '{}', not "
                                              "Succeeded. Wait for it to finish and try again.",
                                              DisplayName(want), r->id.name, st)));
    }
    return r;
  };
  auto gw1 = lookup(**ref1, Kind::kVirtualNetworkGateway, "virtualNetworkGateway1");
  if (!gw1) return Fail(gw1.error());
  const Resource* other = nullptr;
  if (v2v) {
    auto gw2 = lookup(**ref2, Kind::kVirtualNetworkGateway, "virtualNetworkGateway2");
    if (!gw2) return Fail(gw2.error());
    other = *gw2;
    if ((*gw1)->id.Key() == other->id.Key()) {
      return Fail(
          Bad("ConnectionToSelfNotAllowed",
              fmt::format("Connection '{}' joins gateway '{}' to itself; virtualNetworkGateway2 must be "
                          "another gateway.",
                          id.name, other->id.name),
              "properties.virtualNetworkGateway2.id"));
    }
    for (const Resource* g : {*gw1, other}) {
      if (g->doc["properties"].value("vpnType", "") != "RouteBased") {
        return Fail(Bad("Vnet2VnetRequiresRouteBasedGateway",
                        fmt::format("Vnet2Vnet connections need RouteBased gateways; '{}' is {}.", g->id.name,
                                    g->doc["properties"].value("vpnType", "")),
                        "properties.connectionType"));
      }
    }
  } else {
    auto lgw = lookup(**local2, Kind::kLocalNetworkGateway, "localNetworkGateway2");
    if (!lgw) return Fail(lgw.error());
    other = *lgw;
  }
  if (existing) {
    const auto& ep = existing->doc["properties"];
    bool same1 = IEquals(ep["virtualNetworkGateway1"].value("id", ""), (*gw1)->id.ToString());
    const char* end2 = v2v ? "virtualNetworkGateway2" : "localNetworkGateway2";
    bool same2 = ep.contains(end2) && IEquals(ep[end2].value("id", ""), other->id.ToString());
    if (!same1 || !same2) {
      return Fail(
          Bad("ConnectionEndsCannotBeChanged",
              fmt::format("The gateways of connection '{}' cannot be changed; create a new connection.",
                          existing->id.name),
              "properties.virtualNetworkGateway1"));
    }
  }
  // Address spaces joined by a connection must not overlap (DESIGN.md §1).
  if (auto o = SpaceBehind(**gw1).FirstOverlap(SpaceBehind(*other))) {
    const Resource* vnet1 = VnetOfGateway(**gw1);
    const Resource* vnet2 = v2v ? VnetOfGateway(*other) : nullptr;
    return Fail(Bad(
        "VnetAddressSpacesOverlap",
        fmt::format("Cannot connect: address prefix {} of virtual network '{}' overlaps address prefix {} "
                    "of {} '{}'.",
                    o->first.ToString(), vnet1 ? vnet1->id.name : (*gw1)->id.name, o->second.ToString(),
                    v2v ? "virtual network" : "local network gateway",
                    vnet2 ? vnet2->id.name : other->id.name),
        "properties.virtualNetworkGateway2.id"));
  }
  // Tunnel limit of gateway1's SKU (each connection resource is one tunnel of its gateway1).
  std::string sku = (*gw1)->doc["properties"]["sku"].value("name", "");
  int used = 0;
  for (const Resource* c : ConnectionsUsing((*gw1)->id)) {
    if (c->id.Key() != id.Key() &&
        IEquals(c->doc["properties"]["virtualNetworkGateway1"].value("id", ""), (*gw1)->id.ToString())) {
      ++used;
    }
  }
  if (used + 1 > TunnelLimit(sku)) {
    return Fail(Bad("MaxTunnelsPerGatewayReached",
                    fmt::format("Gateway '{}' (SKU {}) already has {} connections, the SKU's limit.",
                                (*gw1)->id.name, sku, used),
                    "properties.virtualNetworkGateway1.id"));
  }

  auto protocol = fields::Enum(*props, "connectionProtocol", pp, {"IKEv2", "IKEv1"});
  if (!protocol) return Fail(protocol.error());
  if (protocol->value_or("IKEv2") != "IKEv2") {
    return Fail(Bad("ConnectionProtocolNotSupported", "Isthmus speaks IKEv2 only; IKEv1 is not supported.",
                    "properties.connectionProtocol"));
  }
  auto mode = fields::Enum(*props, "connectionMode", pp, {"Default", "InitiatorOnly", "ResponderOnly"});
  if (!mode) return Fail(mode.error());
  auto dpd = fields::Integer(*props, "dpdTimeoutSeconds", pp);
  if (!dpd) return Fail(dpd.error());
  if (*dpd && (**dpd < kMinDpd || **dpd > kMaxDpd)) {
    return Fail(
        Bad("InvalidDpdTimeout",
            fmt::format("properties.dpdTimeoutSeconds = {} is outside {}..{}.", **dpd, kMinDpd, kMaxDpd),
            "properties.dpdTimeoutSeconds"));
  }
  auto bgp = fields::Bool(*props, "enableBgp", pp);
  if (!bgp) return Fail(bgp.error());
  if (bgp->value_or(false)) {
    for (const Resource* g : {*gw1, other}) {
      if (g->id.kind == Kind::kVirtualNetworkGateway && !g->doc["properties"].value("enableBgp", false)) {
        return Fail(Bad("BgpNotEnabledOnGateway",
                        fmt::format("enableBgp needs BGP enabled on gateway '{}'.", g->id.name),
                        "properties.enableBgp"));
      }
    }
  }
  auto pbts = fields::Bool(*props, "usePolicyBasedTrafficSelectors", pp);
  if (!pbts) return Fail(pbts.error());
  auto weight = fields::Integer(*props, "routingWeight", pp);
  if (!weight) return Fail(weight.error());
  if (weight->value_or(0) < 0 || weight->value_or(0) > 32000) {  // Azure's range
    return Fail(Bad("InvalidRoutingWeight",
                    fmt::format("properties.routingWeight must be within 0..32000, got {}.", **weight),
                    "properties.routingWeight"));
  }

  Json policies = Json::array();
  if (props->contains("ipsecPolicies") && !(*props)["ipsecPolicies"].is_null()) {
    if (!(*props)["ipsecPolicies"].is_array()) {
      return Fail(fields::WrongType("properties.ipsecPolicies", "an array"));
    }
    if ((*props)["ipsecPolicies"].size() > 1) {
      return Fail(Bad("TooManyIpsecPolicies", "A connection takes at most one custom IPsec/IKE policy.",
                      "properties.ipsecPolicies"));
    }
    for (const auto& pol : (*props)["ipsecPolicies"]) {
      auto n = NormalizeIpsecPolicy(pol, "properties.ipsecPolicies[0]");
      if (!n) return Fail(n.error());
      policies.push_back(*n);
    }
  }
  if (!policies.empty() && sku == "Basic") {
    return Fail(Bad("BasicSkuFeatureNotSupported",
                    "Custom IPsec/IKE policies are not available on the Basic SKU.",
                    "properties.ipsecPolicies"));
  }
  if (pbts->value_or(false) && policies.empty()) {
    return Fail(
        Bad("PolicyBasedTrafficSelectorsRequireIpsecPolicy",
            "usePolicyBasedTrafficSelectors requires a custom IPsec/IKE policy (properties.ipsecPolicies).",
            "properties.usePolicyBasedTrafficSelectors"));
  }

  auto key = fields::String(*props, "sharedKey", pp);
  if (!key) return Fail(key.error());
  std::string shared_key;
  std::vector<std::string> warnings;
  if (*key) {
    if (auto s = CheckSharedKey(**key); !s) return Fail(s.error());
    shared_key = **key;
  } else if (existing) {
    shared_key = existing->doc["properties"].value("sharedKey", "");
  } else {
    shared_key = RandomKey(ctx_.new_guid, kGeneratedKeyLength);
    warnings.push_back(
        "No shared key was given, so a random one was generated; read it with "
        "'vpn-connection shared-key show' and set the same key on the other side.");
  }

  Json d = BaseDoc(id, *env, existing);
  Json p = Json::object();
  p["provisioningState"] = kUpdating;
  p["resourceGuid"] = existing ? existing->doc["properties"]["resourceGuid"] : Json(ctx_.new_guid());
  p["connectionType"] = **type;
  p["virtualNetworkGateway1"] = {{"id", (*gw1)->id.ToString()}};
  p[v2v ? "virtualNetworkGateway2" : "localNetworkGateway2"] = {{"id", other->id.ToString()}};
  p["connectionProtocol"] = "IKEv2";
  p["connectionMode"] = mode->value_or("Default");
  p["dpdTimeoutSeconds"] = dpd->value_or(kDefaultDpd);
  p["routingWeight"] = weight->value_or(0);
  p["enableBgp"] = bgp->value_or(false);
  p["usePolicyBasedTrafficSelectors"] = pbts->value_or(false);
  p["ipsecPolicies"] = policies;
  p["sharedKey"] = shared_key;
  const Json* prev = existing ? &existing->doc["properties"] : nullptr;
  p["connectionStatus"] = prev ? prev->value("connectionStatus", "Unknown") : "Unknown";
  p["ingressBytesTransferred"] = prev ? prev->value("ingressBytesTransferred", 0) : 0;
  p["egressBytesTransferred"] = prev ? prev->value("egressBytesTransferred", 0) : 0;
  d["properties"] = p;
  Plan plan = Single({existing ? existing->id : id, d}, existing == nullptr, true);
  plan.warnings = std::move(warnings);
  return plan;
}

Result<Plan> Planner::SetSharedKey(const ResourceId& connection, const std::string& key) {
  const Resource* existing = state_.Find(connection);
  if (!existing || connection.kind != Kind::kConnection) {
    return Fail(
        Error::NotFound("ResourceNotFound", fmt::format("Connection '{}' was not found.", connection.name)));
  }
  if (auto s = CheckNotBusy(existing); !s) return Fail(s.error());
  if (auto s = CheckSharedKey(key); !s) {
    Error e = s.error();
    e.target = "value";
    return Fail(std::move(e));
  }
  Resource r = *existing;
  r.doc["properties"]["sharedKey"] = key;
  r.doc["etag"] = fmt::format("W/\"{}\"", ctx_.new_guid());
  // The tunnel must be re-keyed with the new secret: the reconciler takes it from here.
  r.doc["properties"]["provisioningState"] = kUpdating;
  return Single(std::move(r), false, true);
}

}  // namespace isthmus::mgmt
