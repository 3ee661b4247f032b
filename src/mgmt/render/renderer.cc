#include <algorithm>
#include <cctype>
#include <expected>
#include <set>

#include <fmt/format.h>

#include "mgmt/render/host_plan.h"
#include "net/region_latency.h"

namespace isthmus::mgmt::render {
namespace {

// Fabric constants (implementation choices, DESIGN.md §6). Azure reserves .0-.3 and the last address
// of every subnet; .1 is the subnet's default gateway, and a gateway's first instance takes .4 of the
// GatewaySubnet.
constexpr std::uint32_t kRouterHost = 1;
constexpr std::uint32_t kGatewayHost = 4;
constexpr std::size_t kNsHash = 8;      // hex digits in namespace names
constexpr std::size_t kLinkHash = 8;    // "g-" + 8 = 10 characters, under IFNAMSIZ (15)
constexpr std::size_t kBridgeHash = 6;  // "br-" + 6
// Azure VPN gateway MTU and TCP MSS clamp ("About VPN devices": 1400 / 1350).
constexpr std::uint32_t kTunnelMtu = 1400;
constexpr std::uint32_t kMssClamp = 1350;

std::vector<net::Prefix> V4Prefixes(const Json& list) {
  std::vector<net::Prefix> out;
  if (!list.is_array()) return out;
  for (const auto& s : list) {
    if (!s.is_string()) continue;
    auto p = net::Prefix::Parse(s.get<std::string>());
    if (p && p->family() == net::Family::kV4) out.push_back(*p);
  }
  return out;
}

std::vector<net::Prefix> VnetSpace(const Resource& vnet) {
  const auto& p = vnet.doc["properties"];
  if (!p.contains("addressSpace")) return {};
  return V4Prefixes(p["addressSpace"].value("addressPrefixes", Json::array()));
}

std::optional<net::Prefix> SubnetPrefix(const Json& subnet) {
  const auto& p = subnet["properties"];
  std::vector<net::Prefix> v;
  if (p.contains("addressPrefix")) v = V4Prefixes(Json::array({p["addressPrefix"]}));
  if (v.empty() && p.contains("addressPrefixes")) v = V4Prefixes(p["addressPrefixes"]);
  if (v.empty()) return std::nullopt;
  return v.front();
}

net::IpAddress Host(const net::Prefix& p, std::uint32_t n) {
  return p.address().Plus(n);
}

const Json* GetObject(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? &*it : nullptr;
}

std::string RefId(const Json& props, const char* key) {
  const Json* o = GetObject(props, key);
  return o ? ToLower(o->value("id", "")) : "";
}

std::string StringOr(const Json& j, const char* key, const std::string& def) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : def;
}

template <typename T>
T NumberOr(const Json& j, const char* key, T def) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<T>() : def;
}

bool Deleting(const Resource& r) {
  return StringOr(r.doc["properties"], "provisioningState", "") == "Deleting";
}

// Everything about one gateway that the connection rendering needs.
struct GatewayFacts {
  const Resource* gateway = nullptr;
  const Resource* vnet = nullptr;
  net::Prefix gateway_subnet;
  std::string gateway_subnet_key;
  net::IpAddress public_ip;
  std::vector<net::Prefix> space;
};

class Renderer {
 public:
  Renderer(const State& state, const std::vector<std::string>& subs, const RenderOptions& o)
      : state_(state), subs_(subs), o_(o) {}

  HostPlan Run() {
    plan_.prefix = o_.prefix;
    plan_.underlay_ns = UnderlayNamespace(o_.prefix);
    for (Kind k :
         {Kind::kResourceGroup, Kind::kVirtualNetwork, Kind::kPublicIpAddress, Kind::kLocalNetworkGateway,
          Kind::kVirtualNetworkGateway, Kind::kConnection, Kind::kNetworkInterface, Kind::kVirtualMachine}) {
      for (const Resource* r : All(k)) {
        if (!Deleting(*r)) plan_.keys.push_back(r->id.Key());
      }
    }
    for (const Resource* v : All(Kind::kVirtualNetwork)) {
      if (!Deleting(*v)) plan_.vnets.push_back(RenderVnet(*v));
    }
    for (const Resource* g : All(Kind::kVirtualNetworkGateway)) {
      if (Deleting(*g)) continue;
      auto facts = Facts(*g);
      if (!facts) {
        plan_.blocked[g->id.Key()] = facts.error();
        continue;
      }
      facts_[g->id.Key()] = *facts;
    }
    // Connections indexed once: by the gateway that owns them, and the (gateway1, gateway2) pairs that
    // exist, so rendering N gateways with M connections stays linear.
    for (const Resource* conn : All(Kind::kConnection)) {
      if (Deleting(*conn)) continue;
      const auto& p = conn->doc["properties"];
      std::string g1 = RefId(p, "virtualNetworkGateway1");
      pairs_.emplace(g1, RefId(p, "virtualNetworkGateway2"));
      by_gateway_[std::move(g1)].push_back(conn);
    }
    for (auto& [key, facts] : facts_) RenderGateway(facts);
    for (const Resource* vm : All(Kind::kVirtualMachine)) {
      if (Deleting(*vm)) continue;
      auto m = RenderVm(*vm);
      if (!m) {
        plan_.blocked[vm->id.Key()] = m.error();
        continue;
      }
      plan_.vms.push_back(std::move(*m));
    }
    return std::move(plan_);
  }

 private:
  std::vector<const Resource*> All(Kind k) const {
    std::vector<const Resource*> out;
    for (const auto& s : subs_) {
      auto v = state_.List(k, s);
      out.insert(out.end(), v.begin(), v.end());
    }
    return out;
  }

  VnetPlan RenderVnet(const Resource& v) {
    VnetPlan vp;
    vp.key = v.id.Key();
    vp.name = v.id.name;
    vp.ns = VnetNamespace(o_.prefix, vp.key);
    for (const auto& s : v.doc["properties"].value("subnets", Json::array())) {
      auto prefix = SubnetPrefix(s);
      if (!prefix || prefix->length() > 29) continue;  // IPv6-only subnets are not realized yet
      BridgePlan b;
      b.subnet_key = ToLower(StringOr(s, "id", ""));
      b.name = "br-" + NameHash(b.subnet_key, kBridgeHash);
      b.prefix = *prefix;
      b.router_address = Host(*prefix, kRouterHost);
      vp.bridges.push_back(std::move(b));
    }
    std::sort(vp.bridges.begin(), vp.bridges.end());
    return vp;
  }

  std::expected<VmPlan, std::string> RenderVm(const Resource& vm) const {
    const auto& nics = vm.doc["properties"]
                           .value("networkProfile", Json::object())
                           .value("networkInterfaces", Json::array());
    if (nics.empty() || !nics[0].is_object())
      return std::unexpected(std::string("the VM has no network interface"));
    const Resource* nic = state_.FindKey(ToLower(StringOr(nics[0], "id", "")));
    if (!nic) return std::unexpected(std::string("the VM's network interface does not exist"));
    const auto& cfgs = nic->doc["properties"].value("ipConfigurations", Json::array());
    if (cfgs.empty()) return std::unexpected(std::string("the network interface has no ipConfigurations"));
    const auto& cp = cfgs[0]["properties"];
    auto subnet_id = ResourceId::Parse(RefId(cp, "subnet"));
    const Json* subnet = subnet_id ? state_.FindSubnet(*subnet_id) : nullptr;
    auto prefix = subnet ? SubnetPrefix(*subnet) : std::nullopt;
    auto address = net::IpAddress::Parse(StringOr(cp, "privateIPAddress", ""));
    if (!subnet_id || !subnet || !prefix || !address) {
      return std::unexpected(std::string("the network interface's subnet or address is not valid"));
    }
    VmPlan m;
    m.key = vm.id.Key();
    m.name = vm.id.name;
    m.ns = VmNamespace(o_.prefix, m.key);
    m.nic =
        Leg("eth0", VnetNamespace(o_.prefix, subnet_id->Parent().Key()), "m-" + NameHash(m.key, kLinkHash),
            "br-" + NameHash(subnet_id->Key(), kBridgeHash), *address, prefix->length());
    m.nic.mac = KernelMac(StringOr(nic->doc["properties"], "macAddress", ""));
    m.default_gateway = Host(*prefix, kRouterHost);
    return m;
  }

  std::expected<GatewayFacts, std::string> Facts(const Resource& g) const {
    GatewayFacts f;
    f.gateway = &g;
    const auto& cfgs = g.doc["properties"].value("ipConfigurations", Json::array());
    if (cfgs.empty()) return std::unexpected(std::string("the gateway has no ipConfigurations"));
    const auto& cp = cfgs[0]["properties"];
    auto subnet_id = ResourceId::Parse(RefId(cp, "subnet"));
    if (!subnet_id) return std::unexpected(std::string("the gateway's subnet reference is not valid"));
    f.vnet = state_.Find(subnet_id->Parent());
    const Json* subnet = state_.FindSubnet(*subnet_id);
    if (!f.vnet || !subnet)
      return std::unexpected(fmt::format("subnet '{}' does not exist", subnet_id->ToString()));
    auto prefix = SubnetPrefix(*subnet);
    if (!prefix) return std::unexpected(std::string("the GatewaySubnet has no IPv4 prefix"));
    f.gateway_subnet = *prefix;
    f.gateway_subnet_key = subnet_id->Key();
    const Resource* pip = state_.FindKey(RefId(cp, "publicIPAddress"));
    auto addr = net::IpAddress::Parse(pip ? StringOr(pip->doc["properties"], "ipAddress", "") : "");
    if (!addr) return std::unexpected(std::string("the gateway's public IP address has no address"));
    f.public_ip = *addr;
    f.space = VnetSpace(*f.vnet);
    return f;
  }

  LegPlan Leg(const std::string& ifname, const std::string& peer_ns, const std::string& peer_ifname,
              const std::string& bridge, net::IpAddress address, int length) const {
    return LegPlan{ifname, peer_ns, peer_ifname, bridge, address, length, ""};
  }

  void RenderGateway(const GatewayFacts& f) {
    const Resource& g = *f.gateway;
    GatewayPlan gp;
    gp.key = g.id.Key();
    gp.name = g.id.name;
    gp.ns = GatewayNamespace(o_.prefix, gp.key);
    gp.file_stem = "gw-" + NameHash(gp.key, kNsHash);
    const std::string link = "g-" + NameHash(gp.key, kLinkHash);
    const std::string vnet_ns = VnetNamespace(o_.prefix, f.vnet->id.Key());
    const net::IpAddress lan_address = Host(f.gateway_subnet, kGatewayHost);
    gp.lan = Leg("lan0", vnet_ns, link, "br-" + NameHash(f.gateway_subnet_key, kBridgeHash), lan_address,
                 f.gateway_subnet.length());
    gp.wan =
        Leg("wan0", plan_.underlay_ns, link, plan_.underlay_bridge, f.public_ip, o_.underlay_pool.length());
    for (const auto& p : f.space) gp.routes.push_back({p, Host(f.gateway_subnet, kRouterHost)});
    gp.reset_generation = NumberOr<std::int64_t>(g.doc["properties"], "resetGeneration", 0);

    gateway::GatewayConfig& c = gp.config;
    c.local_address = f.public_ip;
    c.local_id = f.public_ip.ToString();
    c.tunnel_interface = "isth0";
    c.tunnel_mtu = kTunnelMtu;
    c.mss_clamp = kMssClamp;
    c.control_socket = o_.runtime_dir + "/" + gp.file_stem + ".sock";
    std::set<std::string> names;
    const auto mine = by_gateway_.find(gp.key);
    for (const Resource* conn : mine != by_gateway_.end() ? mine->second : std::vector<const Resource*>{}) {
      auto cc = RenderConnection(*conn, f);
      if (!cc) {
        plan_.blocked[conn->id.Key()] = cc.error();
        continue;
      }
      if (!names.insert(cc->name).second) cc->name += "-" + NameHash(conn->id.Key(), 4);
      names.insert(cc->name);
      gp.connection_keys[cc->name] = conn->id.Key();
      if (!HasReverse(*conn)) {
        // Until the other side's connection exists its gateway would refuse us: respond only, and
        // initiate once the pair is complete (the configuration change restarts the connection).
        gp.unpaired.insert(cc->name);
        if (cc->mode == gateway::ConnectionMode::kBoth) cc->mode = gateway::ConnectionMode::kResponder;
      }
      // The VNet's router sends the connection's remote prefixes to the gateway (route-based).
      for (const auto& p : cc->remote_prefixes) RouteVia(f.vnet->id.Key(), p, lan_address);
      c.connections.push_back(std::move(*cc));
    }
    gp.config_text = gateway::RenderGatewayConfig(c);
    gp.impair = RenderImpairment(g, gp, c);
    if (gp.impair) gp.wan.bridge = gp.impair->bridge;
    plan_.gateways.push_back(std::move(gp));
  }

  // The region of a connection's far end: its remote gateway's, or its local network gateway's location
  // (taken as the site's region).
  std::string RemoteRegion(const Resource& conn) const {
    const auto& p = conn.doc["properties"];
    const std::string ref = StringOr(p, "connectionType", "Vnet2Vnet") == "Vnet2Vnet"
                                ? RefId(p, "virtualNetworkGateway2")
                                : RefId(p, "localNetworkGateway2");
    const Resource* far = state_.FindKey(ref);
    return far ? StringOr(far->doc, "location", "") : "";
  }

  const RegionPairImpairment* PairImpairment(const std::string& a, const std::string& b) const {
    for (const auto& i : o_.impairments) {
      if ((IEquals(i.region_a, a) && IEquals(i.region_b, b)) ||
          (IEquals(i.region_a, b) && IEquals(i.region_b, a)))
        return &i;
    }
    return nullptr;
  }

  std::optional<ImpairPlan> RenderImpairment(const Resource& g, const GatewayPlan& gp,
                                             const gateway::GatewayConfig& c) const {
    if (o_.impairments.empty()) return std::nullopt;
    const std::string region = StringOr(g.doc, "location", "");
    ImpairPlan ip;
    Json rules = Json::array();
    for (const auto& cc : c.connections) {
      const Resource* conn = state_.FindKey(gp.connection_keys.at(cc.name));
      if (!conn) continue;
      const std::string far = RemoteRegion(*conn);
      const RegionPairImpairment* pair = PairImpairment(region, far);
      if (!pair) continue;
      if (std::any_of(ip.links.begin(), ip.links.end(),
                      [&](const ImpairLink& l) { return l.remote == cc.remote_address; }))
        continue;  // the pair's two connections share one peer
      const Duration rtt =
          pair->round_trip ? *pair->round_trip : net::RegionRoundTrip(region, far).value_or(Duration{});
      const Duration one_way = rtt / 2;
      ip.links.push_back({cc.remote_address, far, one_way});
      auto ms = [](Duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
      rules.push_back({{"prefix", cc.remote_address.ToString() + "/32"},
                       {"delayMs", ms(one_way)},
                       {"jitterMs", ms(std::min(pair->jitter, one_way))},
                       {"lossPercent", pair->loss * 100},
                       {"reorderPercent", one_way > Duration{} ? pair->reorder * 100 : 0.0},
                       {"duplicatePercent", pair->duplicate * 100}});
    }
    if (ip.links.empty()) return std::nullopt;
    const std::string h = NameHash(gp.key, kLinkHash);
    ip.bridge = "b-" + h;
    ip.inner_tap = "t-" + h;
    ip.outer_tap = "u-" + h;
    ip.file_stem = "imp-" + NameHash(gp.key, kNsHash);
    ip.config_text = Json{{"a_to_b", {{"rules", rules}}}, {"b_to_a", Json::object()}}.dump(2) + "\n";
    return ip;
  }

  // A Vnet2Vnet connection gw1 -> gw2 is paired when some connection gw2 -> gw1 exists.
  bool HasReverse(const Resource& conn) const {
    const auto& p = conn.doc["properties"];
    if (StringOr(p, "connectionType", "Vnet2Vnet") != "Vnet2Vnet") return true;
    return pairs_.contains({RefId(p, "virtualNetworkGateway2"), RefId(p, "virtualNetworkGateway1")});
  }

  void RouteVia(const std::string& vnet_key, const net::Prefix& p, const net::IpAddress& via) {
    for (auto& v : plan_.vnets) {
      if (v.key != vnet_key) continue;
      RoutePlan r{p, via};
      if (std::find(v.routes.begin(), v.routes.end(), r) == v.routes.end()) v.routes.push_back(r);
      std::sort(v.routes.begin(), v.routes.end());
    }
  }

  std::expected<gateway::ConnectionConfig, std::string> RenderConnection(const Resource& conn,
                                                                         const GatewayFacts& local) {
    const auto& p = conn.doc["properties"];
    gateway::ConnectionConfig cc;
    cc.name = conn.id.name;
    const std::string type = StringOr(p, "connectionType", "Vnet2Vnet");
    net::IpAddress remote_ip;
    if (type == "Vnet2Vnet") {
      auto it = facts_.find(RefId(p, "virtualNetworkGateway2"));
      if (it == facts_.end()) {
        return std::unexpected(fmt::format(
            "the remote gateway '{}' is not realized",
            p.contains("virtualNetworkGateway2") ? StringOr(p["virtualNetworkGateway2"], "id", "") : ""));
      }
      remote_ip = it->second.public_ip;
      cc.remote_prefixes = it->second.space;
      // One side of a pair initiates, so that the pair's two connection resources drive one IKE SA:
      // the gateway with the lower public address; the other only responds.
      cc.mode =
          local.public_ip < remote_ip ? gateway::ConnectionMode::kBoth : gateway::ConnectionMode::kResponder;
    } else if (type == "IPsec") {
      const Resource* lng = state_.FindKey(RefId(p, "localNetworkGateway2"));
      if (!lng) return std::unexpected(std::string("the local network gateway does not exist"));
      const auto& lp = lng->doc["properties"];
      auto addr = net::IpAddress::Parse(StringOr(lp, "gatewayIpAddress", ""));
      if (!addr || !addr->is_v4()) {
        return std::unexpected(std::string("the local network gateway has no IPv4 gatewayIpAddress"));
      }
      remote_ip = *addr;
      if (const Json* space = GetObject(lp, "localNetworkAddressSpace")) {
        cc.remote_prefixes = V4Prefixes(space->value("addressPrefixes", Json::array()));
      }
      cc.mode = gateway::ConnectionMode::kBoth;
    } else {
      return std::unexpected(fmt::format("connection type '{}' is not realized by this fabric", type));
    }
    const std::string mode = StringOr(p, "connectionMode", "Default");
    if (mode == "InitiatorOnly") cc.mode = gateway::ConnectionMode::kInitiator;
    if (mode == "ResponderOnly") cc.mode = gateway::ConnectionMode::kResponder;
    if (cc.remote_prefixes.empty())
      return std::unexpected(std::string("the remote side has no IPv4 address space"));
    if (local.space.empty()) return std::unexpected(std::string("the local VNet has no IPv4 address space"));
    cc.remote_address = remote_ip;
    cc.remote_id = remote_ip.ToString();
    cc.local_prefixes = local.space;
    cc.shared_key = SecretBytes(StringOr(p, "sharedKey", ""));
    if (cc.shared_key.empty()) return std::unexpected(std::string("the connection has no shared key"));
    cc.dpd_timeout_s = NumberOr<std::uint32_t>(p, "dpdTimeoutSeconds", 45);
    cc.policy_based_selectors = p.value("usePolicyBasedTrafficSelectors", false);
    const auto& policies = p.value("ipsecPolicies", Json::array());
    if (!policies.empty() && policies[0].is_object()) {
      const auto& pol = policies[0];
      cc.ipsec_policy = gateway::AzureIpsecPolicyText{
          StringOr(pol, "ipsecEncryption", ""), StringOr(pol, "ipsecIntegrity", ""),
          StringOr(pol, "ikeEncryption", ""),   StringOr(pol, "ikeIntegrity", ""),
          StringOr(pol, "dhGroup", ""),         StringOr(pol, "pfsGroup", "None")};
      cc.child_lifetime_s = NumberOr<std::uint32_t>(pol, "saLifeTimeSeconds", cc.child_lifetime_s);
    }
    return cc;
  }

  const State& state_;
  const std::vector<std::string>& subs_;
  const RenderOptions& o_;
  HostPlan plan_;
  std::map<std::string, GatewayFacts> facts_;
  std::map<std::string, std::vector<const Resource*>> by_gateway_;  // lowercased gateway1 key → connections
  std::set<std::pair<std::string, std::string>> pairs_;             // (gateway1, gateway2) of each connection
};

}  // namespace

std::string NameHash(const std::string& key, std::size_t hex_digits) {
  // FNV-1a 64 (a stable, well-known hash: names must not change between releases or restarts).
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char ch : ToLower(key)) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h).substr(0, hex_digits);
}

std::string VnetNamespace(const std::string& prefix, const std::string& key) {
  return prefix + "v-" + NameHash(key, kNsHash);
}
std::string GatewayNamespace(const std::string& prefix, const std::string& key) {
  return prefix + "g-" + NameHash(key, kNsHash);
}
std::string VmNamespace(const std::string& prefix, const std::string& key) {
  return prefix + "m-" + NameHash(key, kNsHash);
}
std::string UnderlayNamespace(const std::string& prefix) {
  return prefix + "u";
}

std::string KernelMac(const std::string& azure_mac) {
  std::string out;
  int digits = 0;
  for (char ch : azure_mac) {
    if (std::isxdigit(static_cast<unsigned char>(ch))) {
      if (digits > 0 && digits % 2 == 0) out.push_back(':');
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
      ++digits;
    } else if (ch != '-' && ch != ':') {
      return "";
    }
  }
  return digits == 12 ? out : "";
}

HostPlan Render(const State& state, const std::vector<std::string>& subscriptions,
                const RenderOptions& options) {
  return Renderer(state, subscriptions, options).Run();
}

}  // namespace isthmus::mgmt::render
