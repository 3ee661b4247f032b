#include "platform/fake/fake_net_config.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include "platform/iface/net_config_rules.h"

namespace isthmus::platform {
namespace {

// The kernel's defaults the fake reproduces, with their sources.
constexpr std::uint32_t kEthMtu = 1500;        // ETH_DATA_LEN: veth and bridge (and a bridge without ports)
constexpr std::uint32_t kLoopbackMtu = 65536;  // drivers/net/loopback.c
constexpr std::uint32_t kEthMinMtu = 68;       // ETH_MIN_MTU, linux/if_ether.h
constexpr std::uint32_t kEthMaxMtu = 65535;    // ETH_MAX_MTU

// Per-interface sysctls (ipv4/conf/X/…, ipv6/conf/X/…) and their defaults in a new namespace.
const std::vector<std::pair<std::string, std::string>>& ConfDefaults() {
  static const std::vector<std::pair<std::string, std::string>> defaults = {
      {"ipv4/conf/{}/forwarding", "0"},     {"ipv4/conf/{}/rp_filter", "0"},
      {"ipv4/conf/{}/accept_local", "0"},   {"ipv4/conf/{}/proxy_arp", "0"},
      {"ipv4/conf/{}/send_redirects", "1"}, {"ipv4/conf/{}/accept_redirects", "1"},
      {"ipv4/conf/{}/arp_ignore", "0"},     {"ipv4/conf/{}/arp_announce", "0"},
      {"ipv6/conf/{}/forwarding", "0"},     {"ipv6/conf/{}/disable_ipv6", "0"},
      {"ipv6/conf/{}/accept_ra", "1"},      {"ipv6/conf/{}/accept_dad", "1"},
      {"ipv6/conf/{}/autoconf", "1"},       {"ipv6/conf/{}/keep_addr_on_down", "0"},
  };
  return defaults;
}
const std::vector<std::pair<std::string, std::string>>& GlobalDefaults() {
  static const std::vector<std::pair<std::string, std::string>> defaults = {
      {"ipv4/ip_forward", "0"}, {"ipv4/ip_nonlocal_bind", "0"}, {"ipv6/ip_nonlocal_bind", "0"}};
  return defaults;
}

std::string ConfPath(std::string_view pattern, std::string_view dir) {
  return fmt::format(fmt::runtime(pattern), dir);
}

struct Link {
  int index = 0;
  std::string name;
  std::string kind;  // "loopback", "veth", "bridge"
  int master = 0;    // ifindex of the bridge
  bool up = false;
  std::uint32_t mtu = kEthMtu;
  MacAddress mac{};
  bool mtu_by_user = false;  // a bridge follows its ports until its MTU or MAC is set
  bool mac_by_user = false;
  std::vector<InterfaceAddress> addresses;
  std::uint64_t peer_ns = 0;  // veth: the other end
  int peer_index = 0;
};

struct Route {
  net::Prefix destination;
  std::optional<net::IpAddress> via;
  int device = 0;
};

struct Namespace {
  std::uint64_t id = 0;
  std::string name;
  bool alive = true;
  int next_index = 1;
  std::vector<Link> links;
  std::vector<Route> routes;
  std::map<std::string, std::string> sysctls;
  std::vector<int> pids;

  Link* Find(std::string_view n) {
    auto it = std::find_if(links.begin(), links.end(), [&](const Link& l) { return l.name == n; });
    return it == links.end() ? nullptr : &*it;
  }
  Link* At(int index) {
    auto it = std::find_if(links.begin(), links.end(), [&](const Link& l) { return l.index == index; });
    return it == links.end() ? nullptr : &*it;
  }
};

bool SameFamily(const net::IpAddress& a, const net::IpAddress& b) {
  return a.family() == b.family();
}
bool LinkLocalV6(const net::IpAddress& a) {
  return !a.is_v4() && a.bytes()[0] == 0xfe && (a.bytes()[1] & 0xc0) == 0x80;  // fe80::/10
}

// proc_dointvec: an integer, white space around it allowed.
std::optional<std::string> IntegerValue(std::string_view v) {
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  long long n = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || ptr != v.data() + v.size() || n < INT32_MIN || n > INT32_MAX)
    return {};
  return std::to_string(n);
}

std::string RouteText(const RouteInfo& r) {
  std::string s = r.destination.ToString();
  if (r.via) s += " via " + r.via->ToString();
  if (!r.device.empty()) s += " dev " + r.device;
  return s;
}

}  // namespace

struct FakeNetNs::World {
  struct Failure {
    std::string ns;
    Error error;
  };
  mutable std::mutex mu;
  std::map<std::string, std::shared_ptr<Namespace>> named;
  std::uint64_t next_id = 1;
  std::uint32_t next_mac = 1;
  std::map<std::string, std::deque<Failure>, std::less<>> failures;
  std::map<std::string, std::size_t, std::less<>> calls;
  std::size_t total_calls = 0;
  std::size_t mutating_calls = 0;
  std::vector<std::string> journal;
  std::vector<std::string> deleted_with_processes;

  // Counts a call (journals it when it may change something) and hands out an injected failure.
  std::optional<Error> Enter(std::string_view op, const std::string& ns, bool mutates,
                             std::string_view args) {
    ++total_calls;
    ++calls[std::string(op)];
    if (mutates) {
      ++mutating_calls;
      journal.push_back(fmt::format("{}: {}{}{}", ns, op, args.empty() ? "" : " ", args));
    }
    auto it = failures.find(op);
    if (it == failures.end()) return std::nullopt;
    auto& queue = it->second;
    auto f = std::find_if(queue.begin(), queue.end(),
                          [&](const Failure& x) { return x.ns.empty() || x.ns == ns; });
    if (f == queue.end()) return std::nullopt;
    Error e = f->error;
    queue.erase(f);
    return e;
  }

  Namespace* Alive(std::uint64_t id) {
    for (auto& [name, ns] : named) {
      if (ns->id == id) return ns.get();
    }
    return nullptr;
  }

  // Locally administered unicast addresses (IEEE 802 U/L bit), distinct and repeatable run to run.
  MacAddress NewMac() {
    const std::uint32_t n = next_mac++;
    return {0x02,
            0x00,
            static_cast<std::uint8_t>(n >> 24),
            static_cast<std::uint8_t>(n >> 16),
            static_cast<std::uint8_t>(n >> 8),
            static_cast<std::uint8_t>(n)};
  }

  static Link& AddLink(Namespace& ns, std::string name, std::string kind, MacAddress mac) {
    Link l;
    l.index = ns.next_index++;
    l.name = std::move(name);
    l.kind = std::move(kind);
    l.mac = mac;
    for (const auto& [pattern, value] : ConfDefaults()) {
      const auto dflt = ns.sysctls.find(ConfPath(pattern, "default"));
      ns.sysctls[ConfPath(pattern, l.name)] = dflt != ns.sysctls.end() ? dflt->second : value;
    }
    ns.links.push_back(std::move(l));
    return ns.links.back();
  }

  // br_mtu_auto_adjust() and br_stp_recalculate_bridge_id() (net/bridge/).
  static void FollowPorts(Namespace& ns, int bridge) {
    Link* br = ns.At(bridge);
    if (!br || br->kind != "bridge") return;
    std::optional<std::uint32_t> mtu;
    std::optional<MacAddress> mac;
    for (const auto& l : ns.links) {
      if (l.master != bridge) continue;
      if (!mtu || l.mtu < *mtu) mtu = l.mtu;
      if (!mac || l.mac < *mac) mac = l.mac;
    }
    if (!br->mtu_by_user) br->mtu = mtu.value_or(kEthMtu);
    if (!br->mac_by_user) br->mac = mac.value_or(MacAddress{});
  }

  static void DropRoutes(Namespace& ns, int device, std::optional<net::Family> family = std::nullopt) {
    std::erase_if(ns.routes, [&](const Route& r) {
      return r.device == device && (!family || r.destination.family() == *family);
    });
  }

  static void DropIpv6(Namespace& ns, Link& l) {
    std::erase_if(l.addresses, [](const InterfaceAddress& a) { return !a.address.is_v4(); });
    DropRoutes(ns, l.index, net::Family::kV6);
  }

  // One end only; DestroyLink takes care of a veth's other end.
  static void RemoveLink(Namespace& ns, int index) {
    Link* l = ns.At(index);
    if (!l) return;
    const int master = l->master;
    const std::string name = l->name;
    for (auto& port : ns.links) {
      if (port.master == index) port.master = 0;  // a deleted bridge releases its ports
    }
    DropRoutes(ns, index);
    for (const auto& [pattern, value] : ConfDefaults()) ns.sysctls.erase(ConfPath(pattern, name));
    std::erase_if(ns.links, [&](const Link& x) { return x.index == index; });
    if (master) FollowPorts(ns, master);
  }

  void DestroyLink(Namespace& ns, int index) {
    Link* l = ns.At(index);
    if (!l) return;
    const std::uint64_t peer_ns = l->peer_ns;
    const int peer_index = l->peer_index;
    RemoveLink(ns, index);
    if (Namespace* other = peer_index ? Alive(peer_ns) : nullptr) RemoveLink(*other, peer_index);
  }

  void DestroyNamespace(const std::string& name) {
    auto it = named.find(name);
    if (it == named.end()) return;
    std::shared_ptr<Namespace> ns = it->second;
    std::vector<int> indexes;
    for (const auto& l : ns->links) indexes.push_back(l.index);
    for (int i : indexes) DestroyLink(*ns, i);
    ns->alive = false;
    named.erase(it);
  }
};

namespace {

using World = FakeNetNs::World;

class FakeNetConfig final : public NetConfig {
 public:
  FakeNetConfig(std::shared_ptr<World> world, std::shared_ptr<Namespace> ns)
      : world_(std::move(world)), ns_(std::move(ns)), name_(ns_->name) {}

  const std::string& ns() const override { return name_; }

  Result<std::vector<LinkInfo>> Links() override {
    std::lock_guard lock(world_->mu);
    if (auto e = Begin("Links", false, {}, "list links")) return Fail(*e);
    std::vector<LinkInfo> out;
    for (const auto& l : ns_->links) {
      LinkInfo info{l.name, l.kind, {}, l.up, l.mtu, FormatMac(l.mac), {}};
      if (const Link* m = ns_->At(l.master)) info.master = m->name;
      for (const auto& a : l.addresses) {
        if (!LinkLocalV6(a.address)) info.addresses.push_back(a);
      }
      out.push_back(std::move(info));
    }
    return out;
  }

  Status AddBridge(const std::string& name) override {
    const std::string what = fmt::format("add bridge {}", name);
    std::lock_guard lock(world_->mu);
    if (auto e = Begin("AddBridge", true, name, what)) return Fail(*e);
    if (auto s = CheckLinkName(name); !s) return Fail(InNs(what, s.error()));
    if (ns_->Find(name)) return Fail(NetConfigError(name_, what, EEXIST));
    World::AddLink(*ns_, name, "bridge", world_->NewMac());
    return {};
  }

  Status AddTap(const std::string& name) override {
    const std::string what = fmt::format("add tap {}", name);
    std::lock_guard lock(world_->mu);
    if (auto e = Begin("AddTap", true, name, what)) return Fail(*e);
    if (auto s = CheckLinkName(name); !s) return Fail(InNs(what, s.error()));
    if (ns_->Find(name)) return Fail(NetConfigError(name_, what, EEXIST));
    World::AddLink(*ns_, name, "tun", world_->NewMac());
    return {};
  }

  Status AddVeth(const std::string& name, const std::string& peer_ns, const std::string& peer_name) override {
    const std::string what = fmt::format("add veth {} with peer {} in netns {}", name, peer_name, peer_ns);
    std::lock_guard lock(world_->mu);
    if (auto e = Begin("AddVeth", true, fmt::format("{} {}/{}", name, peer_ns, peer_name), what))
      return Fail(*e);
    if (auto s = CheckLinkName(name); !s) return Fail(InNs(what, s.error()));
    if (auto s = CheckLinkName(peer_name); !s) return Fail(InNs(what, s.error()));
    if (auto s = CheckNetnsName(peer_ns); !s) return Fail(InNs(what, s.error()));
    auto other = world_->named.find(peer_ns);
    if (other == world_->named.end()) {
      return Fail(NetConfigError(name_, what, ENOENT, fmt::format("no network namespace named {}", peer_ns)));
    }
    Namespace& there = *other->second;
    if (ns_->Find(name) || there.Find(peer_name) || (&there == ns_.get() && name == peer_name)) {
      return Fail(NetConfigError(name_, what, EEXIST));
    }
    // veth_newlink() registers the peer first.
    const int there_index = World::AddLink(there, peer_name, "veth", world_->NewMac()).index;
    const int here_index = World::AddLink(*ns_, name, "veth", world_->NewMac()).index;
    Link* there_end = there.At(there_index);  // looked up again: both may share one vector
    there_end->peer_ns = ns_->id;
    there_end->peer_index = here_index;
    Link* here_end = ns_->At(here_index);
    here_end->peer_ns = there.id;
    here_end->peer_index = there_index;
    return {};
  }

  Status DeleteLink(const std::string& name) override {
    const std::string what = fmt::format("delete link {}", name);
    std::lock_guard lock(world_->mu);
    if (auto e = Begin("DeleteLink", true, name, what)) return Fail(*e);
    if (auto s = CheckLinkName(name); !s) return Fail(InNs(what, s.error()));
    Link* l = ns_->Find(name);
    if (!l) return Fail(NetConfigError(name_, what, ENODEV));
    if (l->kind == "loopback") return Fail(NetConfigError(name_, what, EOPNOTSUPP));
    world_->DestroyLink(*ns_, l->index);
    return {};
  }

  Status SetUp(const std::string& name, bool up) override {
    const std::string what = fmt::format("set {} {}", name, up ? "up" : "down");
    std::lock_guard lock(world_->mu);
    if (auto e = Begin("SetUp", true, fmt::format("{} {}", name, up ? "up" : "down"), what)) return Fail(*e);
    auto l = Lookup(name, what);
    if (!l) return Fail(l.error());
    Link& link = **l;
    if (link.up == up) return {};
    link.up = up;
    if (!up) {
      // The kernel flushes the routes through a link that goes down, and (keep_addr_on_down=0) its
      // IPv6 addresses.
      World::DropRoutes(*ns_, link.index);
      World::DropIpv6(*ns_, link);
    } else if (link.kind == "loopback") {
      // inetdev_event(NETDEV_UP) and addrconf's init_loopback().
      for (const char* text : {"127.0.0.1/8", "::1/128"}) {
        const auto a = *InterfaceAddress::Parse(text);
        if (std::find(link.addresses.begin(), link.addresses.end(), a) == link.addresses.end()) {
          link.addresses.push_back(a);
        }
      }
    }
    return {};
  }

  Status SetMtu(const std::string& name, std::uint32_t mtu) override {
    const std::string what = fmt::format("set mtu {} on {}", mtu, name);
    std::lock_guard lock(world_->mu);
    if (auto e = Begin("SetMtu", true, fmt::format("{} {}", name, mtu), what)) return Fail(*e);
    auto l = Lookup(name, what);
    if (!l) return Fail(l.error());
    Link& link = **l;
    if (link.kind != "loopback" && mtu < kEthMinMtu)
      return Fail(NetConfigError(name_, what, EINVAL, "mtu less than device minimum"));
    if (link.kind != "loopback" && mtu > kEthMaxMtu)
      return Fail(NetConfigError(name_, what, EINVAL, "mtu greater than device maximum"));
    link.mtu = mtu;
    if (link.kind == "bridge") link.mtu_by_user = true;
    if (link.master) World::FollowPorts(*ns_, link.master);
    return {};
  }

  Status SetMac(const std::string& name, const std::string& mac) override {
    const std::string what = fmt::format("set mac {} on {}", mac, name);
    std::lock_guard lock(world_->mu);
    if (auto e = Begin("SetMac", true, fmt::format("{} {}", name, mac), what)) return Fail(*e);
    auto parsed = ParseMac(mac);
    if (!parsed) return Fail(InNs(what, parsed.error()));
    if (!UsableMac(*parsed))
      return Fail(InNs(what, Error::Invalid("InvalidMacAddress", "a multicast or all-zero address")));
    auto l = Lookup(name, what);
    if (!l) return Fail(l.error());
    Link& link = **l;
    link.mac = *parsed;
    if (link.kind == "bridge") link.mac_by_user = true;
    if (link.master) World::FollowPorts(*ns_, link.master);
    return {};
  }

  Status SetMaster(const std::string& name, const std::string& bridge) override {
    const std::string what = bridge.empty() ? fmt::format("release {} from its bridge", name)
                                            : fmt::format("attach {} to bridge {}", name, bridge);
    std::lock_guard lock(world_->mu);
    if (auto e = Begin("SetMaster", true, fmt::format("{} {}", name, bridge.empty() ? "nomaster" : bridge),
                       what)) {
      return Fail(*e);
    }
    int master = 0;
    if (!bridge.empty()) {
      auto b = Lookup(bridge, what);
      if (!b) return Fail(b.error());
      master = (*b)->index;
    }
    auto l = Lookup(name, what);
    if (!l) return Fail(l.error());
    Link& link = **l;
    if (master) {
      const Link& br = *ns_->At(master);
      if (br.kind != "bridge") return Fail(NetConfigError(name_, what, EOPNOTSUPP));
      if (link.kind == "bridge")
        return Fail(NetConfigError(name_, what, ELOOP, "Can not enslave a bridge to a bridge"));
      if (link.kind == "loopback") return Fail(NetConfigError(name_, what, EINVAL));
    }
    const int old = link.master;
    link.master = master;
    if (old && old != master) World::FollowPorts(*ns_, old);
    if (master) World::FollowPorts(*ns_, master);
    return {};
  }

  Status AddAddress(const std::string& name, const InterfaceAddress& a) override {
    const std::string what = fmt::format("add address {} to {}", a.ToString(), name);
    std::lock_guard lock(world_->mu);
    if (auto e = Begin("AddAddress", true, fmt::format("{} {}", name, a.ToString()), what)) return Fail(*e);
    if (a.prefix_length < 0 || a.prefix_length > a.address.bits()) {
      return Fail(NetConfigError(name_, what, EINVAL, "prefix length out of range"));
    }
    auto l = Lookup(name, what);
    if (!l) return Fail(l.error());
    Link& link = **l;
    if (!a.address.is_v4() && ns_->sysctls[ConfPath("ipv6/conf/{}/disable_ipv6", link.name)] != "0") {
      return Fail(NetConfigError(name_, what, EACCES, "ipv6: IPv6 is disabled on this device"));
    }
    for (const auto& have : link.addresses) {
      if (have == a) return {};  // idempotent, as the interface promises
      if (!a.address.is_v4() && have.address == a.address) {
        return Fail(NetConfigError(name_, what, EEXIST, "ipv6: address already assigned"));
      }
    }
    link.addresses.push_back(a);
    return {};
  }

  Status DeleteAddress(const std::string& name, const InterfaceAddress& a) override {
    const std::string what = fmt::format("delete address {} from {}", a.ToString(), name);
    std::lock_guard lock(world_->mu);
    if (auto e = Begin("DeleteAddress", true, fmt::format("{} {}", name, a.ToString()), what))
      return Fail(*e);
    auto l = Lookup(name, what);
    if (!l) return Fail(l.error());
    auto& addrs = (*l)->addresses;
    auto it = std::find(addrs.begin(), addrs.end(), a);
    if (it == addrs.end()) {
      return Fail(NetConfigError(name_, what, EADDRNOTAVAIL,
                                 a.address.is_v4() ? "ipv4: Address not found" : "ipv6: address not found"));
    }
    addrs.erase(it);
    return {};
  }

  Result<std::vector<RouteInfo>> Routes() override {
    std::lock_guard lock(world_->mu);
    if (auto e = Begin("Routes", false, {}, "list routes")) return Fail(*e);
    std::vector<RouteInfo> out;
    for (const auto& r : ns_->routes) {
      const Link* dev = ns_->At(r.device);
      out.push_back({r.destination, r.via, dev ? dev->name : std::string()});
    }
    return out;
  }

  Status ReplaceRoute(const RouteInfo& r) override {
    const std::string what = fmt::format("replace route {}", RouteText(r));
    std::lock_guard lock(world_->mu);
    if (auto e = Begin("ReplaceRoute", true, RouteText(r), what)) return Fail(*e);
    if (r.via && !SameFamily(*r.via, r.destination.address())) {
      return Fail(NetConfigError(name_, what, EINVAL, "the gateway's family differs from the destination's"));
    }
    if (!r.via && r.device.empty())
      return Fail(NetConfigError(name_, what, EINVAL, "neither a device nor a gateway"));
    const Link* dev = nullptr;
    if (!r.device.empty()) {
      auto l = Lookup(r.device, what);
      if (!l) return Fail(l.error());
      dev = *l;
    }
    auto device = Nexthop(r, dev, what);
    if (!device) return Fail(device.error());
    Route route{r.destination, r.via, *device};
    auto it = std::find_if(ns_->routes.begin(), ns_->routes.end(),
                           [&](const Route& x) { return x.destination == r.destination; });
    if (it != ns_->routes.end()) {
      *it = route;
    } else {
      // The kernel lists IPv4 before IPv6, each in address order.
      auto pos = std::find_if(ns_->routes.begin(), ns_->routes.end(), [&](const Route& x) {
        return std::pair(x.destination.family(), x.destination) >
               std::pair(r.destination.family(), r.destination);
      });
      ns_->routes.insert(pos, route);
    }
    return {};
  }

  Status DeleteRoute(const net::Prefix& destination) override {
    const std::string what = fmt::format("delete route {}", destination.ToString());
    std::lock_guard lock(world_->mu);
    if (auto e = Begin("DeleteRoute", true, destination.ToString(), what)) return Fail(*e);
    auto it = std::find_if(ns_->routes.begin(), ns_->routes.end(),
                           [&](const Route& x) { return x.destination == destination; });
    if (it == ns_->routes.end()) return Fail(NetConfigError(name_, what, ESRCH, "no such route"));
    ns_->routes.erase(it);
    return {};
  }

  Status SetSysctl(const std::string& path, const std::string& value) override {
    const std::string what = fmt::format("set sysctl net/{} to {}", path, value);
    std::lock_guard lock(world_->mu);
    if (auto e = Begin("SetSysctl", true, fmt::format("{} {}", path, value), what)) return Fail(*e);
    if (auto s = CheckSysctlPath(path); !s) return Fail(InNs(what, s.error()));
    if (!ns_->sysctls.contains(path)) return Fail(NetConfigError(name_, what, ENOENT));
    auto v = IntegerValue(value);
    if (!v) return Fail(NetConfigError(name_, what, EINVAL));
    Write(path, *v);
    return {};
  }

  Result<std::string> GetSysctl(const std::string& path) override {
    const std::string what = fmt::format("read sysctl net/{}", path);
    std::lock_guard lock(world_->mu);
    if (auto e = Begin("GetSysctl", false, path, what)) return Fail(*e);
    if (auto s = CheckSysctlPath(path); !s) return Fail(InNs(what, s.error()));
    auto it = ns_->sysctls.find(path);
    if (it == ns_->sysctls.end()) return Fail(NetConfigError(name_, what, ENOENT));
    return it->second;
  }

 private:
  // Under the lock: counts the call, then an injected failure or a namespace deleted meanwhile.
  std::optional<Error> Begin(std::string_view op, bool mutates, std::string_view args,
                             std::string_view what) {
    if (auto e = world_->Enter(op, name_, mutates, args)) return e;
    if (!ns_->alive) return NetConfigError(name_, what, ENOENT, "the namespace was deleted");
    return std::nullopt;
  }

  Error InNs(std::string_view what, Error e) const {
    e.message = fmt::format("netns {}: {}: {}", name_, what, e.message);
    e.target = name_;
    return e;
  }

  Result<Link*> Lookup(const std::string& name, std::string_view what) {
    if (auto s = CheckLinkName(name); !s) return Fail(InNs(what, s.error()));
    Link* l = ns_->Find(name);
    if (!l) return Fail(NetConfigError(name_, what, ENODEV));
    return l;
  }

  // The link a route leaves by, or the kernel's refusal (fib_check_nh() for IPv4,
  // ip6_route_check_nh() and ip6_validate_gw() for IPv6; wording as they give it).
  Result<int> Nexthop(const RouteInfo& r, const Link* dev, std::string_view what) {
    const bool v4 = r.destination.family() == net::Family::kV4;
    if (!r.via) {
      if (!dev->up) {
        return Fail(NetConfigError(name_, what, ENETDOWN,
                                   v4 ? "Device for nexthop is not up" : "Nexthop device is not up"));
      }
      return dev->index;
    }
    if (!v4 && LinkLocalV6(*r.via)) {
      if (!dev) return Fail(NetConfigError(name_, what, EINVAL, "Egress device not specified"));
      if (!dev->up) return Fail(NetConfigError(name_, what, ENETDOWN, "Nexthop device is not up"));
      return dev->index;
    }
    // On-link: inside the prefix of an address on an up link (its connected route), or of a device
    // route (scope link); a gateway reached only through another gateway is not.
    for (const auto& l : ns_->links) {
      if (!l.up || (dev && l.index != dev->index)) continue;
      for (const auto& a : l.addresses) {
        if (SameFamily(a.address, *r.via) && a.Network().Contains(*r.via)) return l.index;
      }
    }
    for (const auto& x : ns_->routes) {
      if (!x.via && (!dev || x.device == dev->index) && x.destination.Contains(*r.via)) return x.device;
    }
    if (v4) return Fail(NetConfigError(name_, what, ENETUNREACH, "Nexthop has invalid gateway"));
    return Fail(NetConfigError(name_, what, EHOSTUNREACH));
  }

  void SetEverywhere(std::string_view pattern, const std::string& value) {
    ns_->sysctls[ConfPath(pattern, "all")] = value;
    ns_->sysctls[ConfPath(pattern, "default")] = value;
    for (const auto& l : ns_->links) ns_->sysctls[ConfPath(pattern, l.name)] = value;
  }

  // The side effects of the writes the kernel propagates (devinet_sysctl_forward(),
  // addrconf_fixup_forwarding(), addrconf_disable_ipv6()).
  void Write(const std::string& path, const std::string& value) {
    if (path == "ipv4/ip_forward" || path == "ipv4/conf/all/forwarding") {
      ns_->sysctls["ipv4/ip_forward"] = value;
      SetEverywhere("ipv4/conf/{}/forwarding", value);
      return;
    }
    if (path == "ipv6/conf/all/forwarding") {
      SetEverywhere("ipv6/conf/{}/forwarding", value);
      return;
    }
    if (path == "ipv6/conf/all/disable_ipv6") SetEverywhere("ipv6/conf/{}/disable_ipv6", value);
    ns_->sysctls[path] = value;
    if (!path.ends_with("/disable_ipv6") || value == "0") return;
    for (auto& l : ns_->links) {
      if (ns_->sysctls[ConfPath("ipv6/conf/{}/disable_ipv6", l.name)] != "0") World::DropIpv6(*ns_, l);
    }
  }

  std::shared_ptr<World> world_;
  std::shared_ptr<Namespace> ns_;
  std::string name_;
};

}  // namespace

FakeNetNs::FakeNetNs() : world_(std::make_shared<World>()) {}
FakeNetNs::~FakeNetNs() = default;

Result<std::vector<std::string>> FakeNetNs::List() {
  std::lock_guard lock(world_->mu);
  if (auto e = world_->Enter("List", {}, false, {})) return Fail(*e);
  std::vector<std::string> names;
  for (const auto& [name, ns] : world_->named) names.push_back(name);
  return names;  // std::map: sorted
}

Status FakeNetNs::Create(const std::string& name) {
  std::lock_guard lock(world_->mu);
  if (auto e = world_->Enter("Create", name, true, {})) return Fail(*e);
  if (auto s = CheckNetnsName(name); !s) return s;
  if (world_->named.contains(name))
    return Fail(NetConfigError(name, fmt::format("create /run/netns/{}", name), EEXIST));
  auto ns = std::make_shared<Namespace>();
  ns->id = world_->next_id++;
  ns->name = name;
  for (const auto& [path, value] : GlobalDefaults()) ns->sysctls[path] = value;
  for (const auto& [pattern, value] : ConfDefaults()) {
    ns->sysctls[ConfPath(pattern, "all")] = value;
    ns->sysctls[ConfPath(pattern, "default")] = value;
  }
  Link& lo = World::AddLink(*ns, "lo", "loopback", MacAddress{});
  lo.up = true;
  lo.mtu = kLoopbackMtu;
  lo.addresses = {*InterfaceAddress::Parse("127.0.0.1/8"), *InterfaceAddress::Parse("::1/128")};
  world_->named.emplace(name, std::move(ns));
  return {};
}

Status FakeNetNs::Delete(const std::string& name) {
  std::lock_guard lock(world_->mu);
  if (auto e = world_->Enter("Delete", name, true, {})) return Fail(*e);
  if (auto s = CheckNetnsName(name); !s) return s;
  auto it = world_->named.find(name);
  if (it == world_->named.end())
    return Fail(NetConfigError(name, fmt::format("delete /run/netns/{}", name), ENOENT));
  if (!it->second->pids.empty()) world_->deleted_with_processes.push_back(name);
  world_->DestroyNamespace(name);
  return {};
}

Result<std::unique_ptr<NetConfig>> FakeNetNs::Open(const std::string& name) {
  std::lock_guard lock(world_->mu);
  if (auto e = world_->Enter("Open", name, false, {})) return Fail(*e);
  if (auto s = CheckNetnsName(name); !s) return Fail(s.error());
  auto it = world_->named.find(name);
  if (it == world_->named.end())
    return Fail(NetConfigError(name, fmt::format("open /run/netns/{}", name), ENOENT));
  return std::unique_ptr<NetConfig>(std::make_unique<FakeNetConfig>(world_, it->second));
}

Result<std::vector<int>> FakeNetNs::Pids(const std::string& name) {
  std::lock_guard lock(world_->mu);
  if (auto e = world_->Enter("Pids", name, false, {})) return Fail(*e);
  if (auto s = CheckNetnsName(name); !s) return Fail(s.error());
  auto it = world_->named.find(name);
  if (it == world_->named.end())
    return Fail(NetConfigError(name, fmt::format("stat /run/netns/{}", name), ENOENT));
  return it->second->pids;
}

void FakeNetNs::FailNext(std::string op, Error error, std::string ns) {
  std::lock_guard lock(world_->mu);
  world_->failures[std::move(op)].push_back({std::move(ns), std::move(error)});
}

std::size_t FakeNetNs::Calls(std::string_view op) const {
  std::lock_guard lock(world_->mu);
  if (op.empty()) return world_->total_calls;
  auto it = world_->calls.find(op);
  return it == world_->calls.end() ? 0 : it->second;
}

std::size_t FakeNetNs::MutatingCalls() const {
  std::lock_guard lock(world_->mu);
  return world_->mutating_calls;
}

std::vector<std::string> FakeNetNs::Journal() const {
  std::lock_guard lock(world_->mu);
  return world_->journal;
}

void FakeNetNs::ResetCounts() {
  std::lock_guard lock(world_->mu);
  world_->calls.clear();
  world_->total_calls = 0;
  world_->mutating_calls = 0;
  world_->journal.clear();
}

void FakeNetNs::SetPids(const std::string& ns, std::vector<int> pids) {
  std::lock_guard lock(world_->mu);
  if (auto it = world_->named.find(ns); it != world_->named.end()) it->second->pids = std::move(pids);
}

std::vector<std::string> FakeNetNs::DeletedWithProcesses() const {
  std::lock_guard lock(world_->mu);
  return world_->deleted_with_processes;
}

}  // namespace isthmus::platform
