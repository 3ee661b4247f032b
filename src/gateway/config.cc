#include "gateway/config.h"

#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace isthmus::gateway {
namespace {

using Json = nlohmann::json;

Error Bad(const std::string& field, const std::string& why) {
  return Error::Invalid("InvalidGatewayConfig", fmt::format("{}: {}", field, why), field);
}

Result<std::string> Str(const Json& o, const char* key, const std::string& path, bool required,
                        const std::string& def = "") {
  if (!o.contains(key) || o[key].is_null()) {
    if (required) return Fail(Bad(path + key, "is required"));
    return def;
  }
  if (!o[key].is_string()) return Fail(Bad(path + key, "must be a string"));
  return o[key].get<std::string>();
}

Result<std::uint32_t> Uint(const Json& o, const char* key, const std::string& path, std::uint32_t def,
                           std::uint32_t lo, std::uint32_t hi) {
  if (!o.contains(key) || o[key].is_null()) return def;
  if (!o[key].is_number_unsigned()) return Fail(Bad(path + key, "must be a non-negative integer"));
  auto v = o[key].get<std::uint64_t>();
  if (v < lo || v > hi) return Fail(Bad(path + key, fmt::format("must be between {} and {}", lo, hi)));
  return static_cast<std::uint32_t>(v);
}

Result<std::vector<std::string>> Strings(const Json& o, const char* key, const std::string& path,
                                         std::vector<std::string> def) {
  if (!o.contains(key) || o[key].is_null()) return def;
  if (!o[key].is_array()) return Fail(Bad(path + key, "must be an array of strings"));
  std::vector<std::string> out;
  for (const auto& v : o[key]) {
    if (!v.is_string()) return Fail(Bad(path + key, "must be an array of strings"));
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::vector<net::Prefix>> Prefixes(const Json& o, const char* key, const std::string& path) {
  auto s = Strings(o, key, path, {});
  if (!s) return Fail(s.error());
  if (s->empty()) return Fail(Bad(path + key, "needs at least one prefix"));
  std::vector<net::Prefix> out;
  for (std::size_t i = 0; i < s->size(); ++i) {
    auto p = net::Prefix::Parse((*s)[i]);
    if (!p) return Fail(Bad(fmt::format("{}{}[{}]", path, key, i), p.error().message));
    out.push_back(*p);
  }
  return out;
}

std::vector<std::string> PrefixTexts(const std::vector<net::Prefix>& ps) {
  std::vector<std::string> out;
  for (const auto& p : ps) out.push_back(p.ToString());
  return out;
}

Result<AzureIpsecPolicyText> IpsecPolicy(const Json& o, const std::string& path) {
  if (!o.is_object()) return Fail(Bad(path.substr(0, path.size() - 1), "must be an object"));
  AzureIpsecPolicyText t;
  struct Field {
    const char* key;
    std::string* out;
  };
  for (const Field& f :
       {Field{"ipsecEncryption", &t.ipsec_encryption}, Field{"ipsecIntegrity", &t.ipsec_integrity},
        Field{"ikeEncryption", &t.ike_encryption}, Field{"ikeIntegrity", &t.ike_integrity},
        Field{"dhGroup", &t.dh_group}, Field{"pfsGroup", &t.pfs_group}}) {
    auto v = Str(o, f.key, path, true);
    if (!v) return Fail(v.error());
    *f.out = *v;
  }
  return t;
}

}  // namespace

const char* ModeName(ConnectionMode m) {
  switch (m) {
    case ConnectionMode::kInitiator:
      return "initiator";
    case ConnectionMode::kResponder:
      return "responder";
    case ConnectionMode::kBoth:
      return "both";
  }
  return "?";
}

Result<GatewayConfig> ParseGatewayConfig(const std::string& json_text) {
  Json root = Json::parse(json_text, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    return Fail(Bad("config", "is not a JSON object (check for a syntax error)"));
  }
  GatewayConfig g;
  if (!root.contains("local") || !root["local"].is_object())
    return Fail(Bad("local", "is required (an object)"));
  const Json& local = root["local"];
  auto addr = Str(local, "address", "local.", true);
  if (!addr) return Fail(addr.error());
  auto ip = net::IpAddress::Parse(*addr);
  if (!ip) return Fail(Bad("local.address", fmt::format("'{}' is not an IP address", *addr)));
  g.local_address = *ip;
  auto id = Str(local, "id", "local.", false, *addr);
  if (!id) return Fail(id.error());
  g.local_id = *id;
  auto ike_port = Uint(local, "ike_port", "local.", 500, 1, 65535);
  auto natt_port = Uint(local, "natt_port", "local.", 4500, 1, 65535);
  if (!ike_port) return Fail(ike_port.error());
  if (!natt_port) return Fail(natt_port.error());
  g.ike_port = static_cast<std::uint16_t>(*ike_port);
  g.natt_port = static_cast<std::uint16_t>(*natt_port);

  if (root.contains("tunnel")) {
    if (!root["tunnel"].is_object()) return Fail(Bad("tunnel", "must be an object"));
    const Json& t = root["tunnel"];
    auto ifname = Str(t, "interface", "tunnel.", false, g.tunnel_interface);
    if (!ifname) return Fail(ifname.error());
    if (ifname->empty() || ifname->size() > 15)
      return Fail(Bad("tunnel.interface", "must be 1-15 characters"));
    g.tunnel_interface = *ifname;
    auto mtu = Uint(t, "mtu", "tunnel.", g.tunnel_mtu, 576, 9000);
    if (!mtu) return Fail(mtu.error());
    g.tunnel_mtu = *mtu;
    auto mss = Uint(t, "mss_clamp", "tunnel.", g.tunnel_mtu - 50, 0, 8960);
    if (!mss) return Fail(mss.error());
    g.mss_clamp = *mss;
  }
  if (root.contains("ike")) {
    if (!root["ike"].is_object()) return Fail(Bad("ike", "must be an object"));
    const Json& k = root["ike"];
    auto cookies = Uint(k, "cookie_threshold", "ike.", g.cookie_threshold, 0, 1U << 20);
    if (!cookies) return Fail(cookies.error());
    auto half_open = Uint(k, "max_half_open", "ike.", g.max_half_open, 1, 1U << 20);
    if (!half_open) return Fail(half_open.error());
    g.cookie_threshold = *cookies;
    g.max_half_open = *half_open;
  }
  auto sock = Str(root, "control_socket", "", false, "");
  if (!sock) return Fail(sock.error());
  g.control_socket = *sock;

  if (!root.contains("connections") || !root["connections"].is_array()) {
    return Fail(Bad("connections", "is required (an array, possibly empty)"));
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < root["connections"].size(); ++i) {
    const Json& c = root["connections"][i];
    std::string p = fmt::format("connections[{}].", i);
    if (!c.is_object()) return Fail(Bad(fmt::format("connections[{}]", i), "must be an object"));
    ConnectionConfig cc;
    auto name = Str(c, "name", p, true);
    if (!name) return Fail(name.error());
    if (!names.insert(*name).second) return Fail(Bad(p + "name", fmt::format("'{}' is used twice", *name)));
    cc.name = *name;
    auto raddr = Str(c, "remote_address", p, true);
    if (!raddr) return Fail(raddr.error());
    auto rip = net::IpAddress::Parse(*raddr);
    if (!rip) return Fail(Bad(p + "remote_address", fmt::format("'{}' is not an IP address", *raddr)));
    if (rip->family() != g.local_address.family()) {
      return Fail(Bad(p + "remote_address", "must be of the same IP family as local.address"));
    }
    cc.remote_address = *rip;
    auto rid = Str(c, "remote_id", p, false, *raddr);
    if (!rid) return Fail(rid.error());
    cc.remote_id = *rid;
    if (c.contains("local_id")) {
      auto lid = Str(c, "local_id", p, true);
      if (!lid) return Fail(lid.error());
      cc.local_id = *lid;
    }
    if (!c.contains("shared_key") || !c["shared_key"].is_string() ||
        c["shared_key"].get<std::string>().empty()) {
      return Fail(Bad(p + "shared_key", "is required (a non-empty string)"));
    }
    cc.shared_key = SecretBytes(c["shared_key"].get<std::string>());
    auto lp = Prefixes(c, "local_prefixes", p);
    if (!lp) return Fail(lp.error());
    auto rp = Prefixes(c, "remote_prefixes", p);
    if (!rp) return Fail(rp.error());
    cc.local_prefixes = *lp;
    cc.remote_prefixes = *rp;
    if (auto o = net::PrefixSet(cc.local_prefixes).FirstOverlap(net::PrefixSet(cc.remote_prefixes))) {
      return Fail(Bad(p + "remote_prefixes",
                      fmt::format("{} overlaps local prefix {}", o->second.ToString(), o->first.ToString())));
    }
    auto ike = Strings(c, "ike_proposals", p, cc.ike_proposals);
    auto esp = Strings(c, "esp_proposals", p, cc.esp_proposals);
    if (!ike) return Fail(ike.error());
    if (!esp) return Fail(esp.error());
    if (ike->empty() || esp->empty())
      return Fail(Bad(p + "ike_proposals", "proposal lists must not be empty"));
    cc.ike_proposals = *ike;
    cc.esp_proposals = *esp;
    auto mode = Str(c, "mode", p, false, "both");
    if (!mode) return Fail(mode.error());
    if (*mode == "initiator") {
      cc.mode = ConnectionMode::kInitiator;
    } else if (*mode == "responder") {
      cc.mode = ConnectionMode::kResponder;
    } else if (*mode == "both") {
      cc.mode = ConnectionMode::kBoth;
    } else {
      return Fail(Bad(p + "mode", fmt::format("'{}' is not one of initiator, responder, both", *mode)));
    }
    auto dpd = Uint(c, "dpd_timeout_s", p, 45, 9, 3600);  // Azure's bounds
    auto ike_life = Uint(c, "ike_lifetime_s", p, 28800, 60, 172800);
    auto child_life = Uint(c, "child_lifetime_s", p, 27000, 10, 172799);
    if (!dpd) return Fail(dpd.error());
    if (!ike_life) return Fail(ike_life.error());
    if (!child_life) return Fail(child_life.error());
    cc.dpd_timeout_s = *dpd;
    cc.ike_lifetime_s = *ike_life;
    cc.child_lifetime_s = *child_life;
    auto encap = Str(c, "encapsulation", p, false, "force");
    if (!encap) return Fail(encap.error());
    if (*encap != "force" && *encap != "auto")
      return Fail(Bad(p + "encapsulation", "must be 'force' or 'auto'"));
    cc.force_encapsulation = *encap == "force";
    if (c.contains("policy_based_selectors")) {
      if (!c["policy_based_selectors"].is_boolean())
        return Fail(Bad(p + "policy_based_selectors", "must be a boolean"));
      cc.policy_based_selectors = c["policy_based_selectors"].get<bool>();
    }
    if (c.contains("ipsec_policy")) {
      auto pol = IpsecPolicy(c["ipsec_policy"], p + "ipsec_policy.");
      if (!pol) return Fail(pol.error());
      cc.ipsec_policy = std::move(*pol);
    }
    g.connections.push_back(std::move(cc));
  }
  return g;
}

std::string RenderGatewayConfig(const GatewayConfig& g) {
  Json root;
  root["local"] = {{"address", g.local_address.ToString()}, {"id", g.local_id}};
  if (g.ike_port != 500) root["local"]["ike_port"] = g.ike_port;
  if (g.natt_port != 4500) root["local"]["natt_port"] = g.natt_port;
  root["tunnel"] = {{"interface", g.tunnel_interface}, {"mtu", g.tunnel_mtu}, {"mss_clamp", g.mss_clamp}};
  root["ike"] = {{"cookie_threshold", g.cookie_threshold}, {"max_half_open", g.max_half_open}};
  if (!g.control_socket.empty()) root["control_socket"] = g.control_socket;
  Json conns = Json::array();
  for (const auto& c : g.connections) {
    Json j;
    j["name"] = c.name;
    j["remote_address"] = c.remote_address.ToString();
    j["remote_id"] = c.remote_id;
    if (c.local_id) j["local_id"] = *c.local_id;
    j["shared_key"] = std::string(c.shared_key.view().begin(), c.shared_key.view().end());
    j["local_prefixes"] = PrefixTexts(c.local_prefixes);
    j["remote_prefixes"] = PrefixTexts(c.remote_prefixes);
    j["ike_proposals"] = c.ike_proposals;
    j["esp_proposals"] = c.esp_proposals;
    j["mode"] = ModeName(c.mode);
    j["dpd_timeout_s"] = c.dpd_timeout_s;
    j["ike_lifetime_s"] = c.ike_lifetime_s;
    j["child_lifetime_s"] = c.child_lifetime_s;
    j["encapsulation"] = c.force_encapsulation ? "force" : "auto";
    j["policy_based_selectors"] = c.policy_based_selectors;
    if (c.ipsec_policy) {
      const auto& pol = *c.ipsec_policy;
      j["ipsec_policy"] = {{"ipsecEncryption", pol.ipsec_encryption},
                           {"ipsecIntegrity", pol.ipsec_integrity},
                           {"ikeEncryption", pol.ike_encryption},
                           {"ikeIntegrity", pol.ike_integrity},
                           {"dhGroup", pol.dh_group},
                           {"pfsGroup", pol.pfs_group}};
    }
    conns.push_back(std::move(j));
  }
  root["connections"] = std::move(conns);
  return root.dump(2) + "\n";
}

std::string DescribeError(const Error& e) {
  if (e.target.empty() || e.message.find(e.target) != std::string::npos) return e.message;
  return e.target + ": " + e.message;
}

}  // namespace isthmus::gateway
