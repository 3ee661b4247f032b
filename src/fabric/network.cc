#include "fabric/network.h"

#include <signal.h>

#include <algorithm>

#include <fmt/format.h>

namespace isthmus::fabric {
namespace {

using mgmt::render::GatewayPlan;
using mgmt::render::HostPlan;
using mgmt::render::LegPlan;
using mgmt::render::VmPlan;
using mgmt::render::VnetPlan;
using platform::InterfaceAddress;
using platform::LinkInfo;
using platform::RouteInfo;

const LinkInfo* FindLink(const std::vector<LinkInfo>& links, const std::string& name) {
  for (const auto& l : links) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

Error InNs(const std::string& ns, const Error& e) {
  Error out = e;
  if (out.message.find(ns) == std::string::npos) out.message = fmt::format("netns {}: {}", ns, e.message);
  return out;
}

}  // namespace

Result<std::vector<std::string>> Network::Existing(const std::string& prefix) {
  auto all = netns_.List();
  if (!all) return Fail(all.error());
  std::vector<std::string> out;
  for (const auto& n : *all) {
    if (n.starts_with(prefix)) out.push_back(n);
  }
  return out;
}

Status Network::EnsureNamespace(const std::string& name) {
  if (!pass_names_) {
    auto all = netns_.List();
    if (!all) return Fail(all.error());
    if (std::find(all->begin(), all->end(), name) != all->end()) return {};
    return Count(netns_.Create(name));
  }
  if (pass_names_->contains(name)) return {};
  auto s = Count(netns_.Create(name));
  if (s) pass_names_->insert(name);
  return s;
}

Status Network::RemoveNamespace(const std::string& name) {
  // Deleting a namespace kills nothing: stop what still runs inside first, or the namespace (and its
  // veths) would live on, orphaned, as long as those processes do.
  if (auto pids = netns_.Pids(name)) {
    for (int pid : *pids) processes_.Signal(pid, SIGKILL);
  }
  auto s = netns_.Delete(name);
  if (!s && s.error().kind == ErrorKind::kNotFound) return {};
  return Count(s);
}

Status Network::RemoveAll(const std::string& prefix) {
  auto names = Existing(prefix);
  if (!names) return Fail(names.error());
  Status result;
  for (const auto& n : *names) {
    if (auto s = RemoveNamespace(n); !s && result) result = s;
  }
  return result;
}

Status Network::EnsureSysctl(platform::NetConfig& cfg, const std::string& path, const std::string& value) {
  auto now = cfg.GetSysctl(path);
  if (now && *now == value) return {};
  return Count(cfg.SetSysctl(path, value));
}

Status Network::Forwarding(platform::NetConfig& cfg) {
  // A router or gateway forwards, and its asymmetric paths (traffic in via a bridge, out via a TUN)
  // must not be dropped by reverse-path filtering.
  for (const auto& [path, value] :
       {std::pair{"ipv4/ip_forward", "1"}, std::pair{"ipv4/conf/all/rp_filter", "0"},
        std::pair{"ipv4/conf/default/rp_filter", "0"}}) {
    if (auto s = EnsureSysctl(cfg, path, value); !s) return s;
  }
  return {};
}

Status Network::EnsureAddresses(platform::NetConfig& cfg, const std::string& link,
                                const std::vector<InterfaceAddress>& want,
                                const std::vector<LinkInfo>& links) {
  const LinkInfo* l = FindLink(links, link);
  std::vector<InterfaceAddress> have = l ? l->addresses : std::vector<InterfaceAddress>{};
  for (const auto& a : have) {
    if (std::find(want.begin(), want.end(), a) == want.end()) {
      if (auto s = Count(cfg.DeleteAddress(link, a)); !s) return s;
    }
  }
  for (const auto& a : want) {
    if (std::find(have.begin(), have.end(), a) == have.end()) {
      if (auto s = Count(cfg.AddAddress(link, a)); !s) return s;
    }
  }
  return {};
}

Status Network::EnsureRoutes(platform::NetConfig& cfg, const std::vector<RouteInfo>& want,
                             const std::optional<std::string>& device) {
  auto have = cfg.Routes();
  if (!have) return Fail(have.error());
  auto same = [](const RouteInfo& a, const RouteInfo& b) {
    return a.destination == b.destination && a.via == b.via && a.device == b.device;
  };
  for (const auto& r : *have) {
    // Only routes on our device are ours: a gateway's routes into its TUN are the gateway's business.
    if (device && r.device != *device) continue;
    if (std::none_of(want.begin(), want.end(), [&](const RouteInfo& w) { return same(w, r); })) {
      auto s = cfg.DeleteRoute(r.destination);
      if (!s && s.error().kind != ErrorKind::kNotFound) return s;
      ++counters_.changes;
    }
  }
  for (const auto& w : want) {
    if (std::none_of(have->begin(), have->end(), [&](const RouteInfo& r) { return same(w, r); })) {
      if (auto s = Count(cfg.ReplaceRoute(w)); !s) return s;
    }
  }
  return {};
}

Status Network::EnsureLeg(platform::NetConfig& here, const LegPlan& leg) {
  auto peer = netns_.Open(leg.peer_ns);
  if (!peer) return Fail(peer.error());
  auto links = here.Links();
  if (!links) return Fail(links.error());
  if (!FindLink(*links, leg.ifname)) {
    // A half of an earlier pair may be left in the peer namespace (its other end's namespace was
    // deleted by hand, say): remove it so the name is free.
    if (auto pl = (*peer)->Links(); pl && FindLink(*pl, leg.peer_ifname)) {
      if (auto s = Count((*peer)->DeleteLink(leg.peer_ifname)); !s && s.error().kind != ErrorKind::kNotFound)
        return s;
    }
    if (auto s = Count(here.AddVeth(leg.ifname, leg.peer_ns, leg.peer_ifname)); !s) return s;
    links = here.Links();
    if (!links) return Fail(links.error());
  }
  const LinkInfo* l = FindLink(*links, leg.ifname);
  if (!l) return Fail(Error::Internal(fmt::format("{} vanished after it was created", leg.ifname)));
  if (!leg.mac.empty() && l->mac != leg.mac) {
    if (auto s = Count(here.SetMac(leg.ifname, leg.mac)); !s) return s;
  }
  if (auto s = EnsureAddresses(here, leg.ifname, {{leg.address, leg.prefix_length}}, *links); !s) return s;
  if (!l->up) {
    if (auto s = Count(here.SetUp(leg.ifname, true)); !s) return s;
  }
  auto pl = (*peer)->Links();
  if (!pl) return Fail(pl.error());
  const LinkInfo* p = FindLink(*pl, leg.peer_ifname);
  if (!p)
    return Fail(Error::Internal(
        fmt::format("the peer {} of {} is not in {}", leg.peer_ifname, leg.ifname, leg.peer_ns)));
  if (p->master != leg.bridge) {
    if (auto s = Count((*peer)->SetMaster(leg.peer_ifname, leg.bridge)); !s) return s;
  }
  if (!p->up) {
    if (auto s = Count((*peer)->SetUp(leg.peer_ifname, true)); !s) return s;
  }
  return {};
}

Status Network::ConvergeUnderlay(const HostPlan& plan) {
  if (auto s = EnsureNamespace(plan.underlay_ns); !s) return s;
  auto cfg = netns_.Open(plan.underlay_ns);
  if (!cfg) return Fail(cfg.error());
  auto links = (*cfg)->Links();
  if (!links) return Fail(links.error());
  const LinkInfo* br = FindLink(*links, plan.underlay_bridge);
  if (!br) {
    if (auto s = Count((*cfg)->AddBridge(plan.underlay_bridge)); !s) return s;
  }
  if (!br || !br->up) {
    if (auto s = Count((*cfg)->SetUp(plan.underlay_bridge, true)); !s) return s;
  }
  // Links of gateways that no longer exist, or are no longer impaired. Only the fabric's own
  // ("g-<hash>" legs, "b-"/"t-"/"u-<hash>" of impairers): a leg a user plugged in for an outside peer
  // (docs/fabric.md) is theirs.
  std::set<std::string> wanted;
  for (const auto& g : plan.gateways) {
    wanted.insert(g.wan.peer_ifname);
    if (g.impair) wanted.insert({g.impair->bridge, g.impair->inner_tap, g.impair->outer_tap});
  }
  for (const auto& l : *links) {
    const bool ours = (l.kind == "veth" && l.name.starts_with("g-")) ||
                      (l.kind == "bridge" && l.name.starts_with("b-")) ||
                      (l.kind == "tun" && (l.name.starts_with("t-") || l.name.starts_with("u-")));
    if (ours && !wanted.contains(l.name)) {
      if (auto s = Count((*cfg)->DeleteLink(l.name)); !s && s.error().kind != ErrorKind::kNotFound) return s;
    }
  }
  // An impaired gateway's outside path: g-<h> ─ bridge b-<h> ─ TAP t-<h> ⇄ isthmus-impair ⇄ TAP u-<h> ─ ul0.
  // The TAPs are persistent, so they keep their bridge ports while the impairer restarts.
  for (const auto& g : plan.gateways) {
    if (!g.impair) continue;
    const auto& ip = *g.impair;
    const std::pair<const std::string*, const std::string*> ports[] = {
        {&ip.inner_tap, &ip.bridge}, {&ip.outer_tap, &plan.underlay_bridge}};
    if (!FindLink(*links, ip.bridge)) {
      if (auto s = Count((*cfg)->AddBridge(ip.bridge)); !s) return s;
    }
    for (const auto& [tap, bridge] : ports) {
      if (!FindLink(*links, *tap)) {
        if (auto s = Count((*cfg)->AddTap(*tap)); !s) return s;
      }
    }
    auto now = (*cfg)->Links();
    if (!now) return Fail(now.error());
    const LinkInfo* b = FindLink(*now, ip.bridge);
    if (b && !b->up) {
      if (auto s = Count((*cfg)->SetUp(ip.bridge, true)); !s) return s;
    }
    for (const auto& [tap, bridge] : ports) {
      const LinkInfo* t = FindLink(*now, *tap);
      if (!t) return Fail(Error::Internal(fmt::format("{} vanished after it was created", *tap)));
      if (t->master != *bridge) {
        if (auto s = Count((*cfg)->SetMaster(*tap, *bridge)); !s) return s;
      }
      if (!t->up) {
        if (auto s = Count((*cfg)->SetUp(*tap, true)); !s) return s;
      }
    }
  }
  return {};
}

Status Network::ConvergeVnet(const VnetPlan& v, const HostPlan& plan) {
  if (auto s = EnsureNamespace(v.ns); !s) return s;
  auto cfg = netns_.Open(v.ns);
  if (!cfg) return Fail(cfg.error());
  if (auto s = Forwarding(**cfg); !s) return s;
  auto links = (*cfg)->Links();
  if (!links) return Fail(links.error());
  std::set<std::string> bridges, legs;
  for (const auto& b : v.bridges) {
    bridges.insert(b.name);
    const LinkInfo* l = FindLink(*links, b.name);
    if (!l) {
      if (auto s = Count((*cfg)->AddBridge(b.name)); !s) return s;
    }
    if (auto s = EnsureAddresses(**cfg, b.name, {{b.router_address, b.prefix.length()}}, *links); !s)
      return s;
    if (!l || !l->up) {
      if (auto s = Count((*cfg)->SetUp(b.name, true)); !s) return s;
    }
  }
  std::vector<RouteInfo> routes;
  for (const auto& r : v.routes) {
    // Out of the bridge whose subnet holds the gateway's address (the GatewaySubnet).
    for (const auto& b : v.bridges) {
      if (b.prefix.Contains(r.via)) routes.push_back({r.destination, r.via, b.name});
    }
  }
  if (auto s = EnsureRoutes(**cfg, routes, std::nullopt); !s) return s;  // a router's routes are all ours
  for (const auto& g : plan.gateways) {
    if (g.lan.peer_ns == v.ns) legs.insert(g.lan.peer_ifname);
  }
  for (const auto& m : plan.vms) {
    if (m.nic.peer_ns == v.ns) legs.insert(m.nic.peer_ifname);
  }
  for (const auto& l : *links) {
    const bool stale_bridge = l.kind == "bridge" && !bridges.contains(l.name);
    const bool stale_leg = l.kind == "veth" && !legs.contains(l.name);
    if (stale_bridge || stale_leg) {
      if (auto s = Count((*cfg)->DeleteLink(l.name)); !s && s.error().kind != ErrorKind::kNotFound) return s;
    }
  }
  return {};
}

Status Network::ConvergeGateway(const GatewayPlan& g) {
  if (auto s = EnsureNamespace(g.ns); !s) return s;
  auto cfg = netns_.Open(g.ns);
  if (!cfg) return Fail(cfg.error());
  if (auto s = Forwarding(**cfg); !s) return s;
  if (auto s = EnsureLeg(**cfg, g.lan); !s) return s;
  if (auto s = EnsureLeg(**cfg, g.wan); !s) return s;
  std::vector<RouteInfo> routes;
  for (const auto& r : g.routes) routes.push_back({r.destination, r.via, g.lan.ifname});
  return EnsureRoutes(**cfg, routes, g.lan.ifname);
}

Status Network::ConvergeVm(const VmPlan& m) {
  if (auto s = EnsureNamespace(m.ns); !s) return s;
  auto cfg = netns_.Open(m.ns);
  if (!cfg) return Fail(cfg.error());
  if (auto s = EnsureLeg(**cfg, m.nic); !s) return s;
  const RouteInfo def{*net::Prefix::Parse("0.0.0.0/0"), m.default_gateway, m.nic.ifname};
  return EnsureRoutes(**cfg, {def}, m.nic.ifname);
}

void Network::Converge(const HostPlan& plan, mgmt::ConvergeReport& report) {
  // Remove what the plan no longer names (inside-out is not needed: a namespace takes its links along).
  // The underlay exists while some gateway needs it: a host with nothing declared has no namespace.
  const bool need_underlay = !plan.gateways.empty();
  std::set<std::string> wanted;
  if (need_underlay) wanted.insert(plan.underlay_ns);
  for (const auto& v : plan.vnets) wanted.insert(v.ns);
  for (const auto& g : plan.gateways) wanted.insert(g.ns);
  for (const auto& m : plan.vms) wanted.insert(m.ns);
  if (auto existing = Existing(plan.prefix)) {
    pass_names_.emplace(existing->begin(), existing->end());
    for (const auto& n : *existing) {
      if (wanted.contains(n)) continue;
      if (auto s = RemoveNamespace(n); !s) {
        report.removals_done = false;
      } else {
        pass_names_->erase(n);
      }
    }
  } else {
    report.removals_done = false;
  }
  struct EndOfPass {
    std::optional<std::set<std::string>>& names;
    ~EndOfPass() { names.reset(); }
  } end_of_pass{pass_names_};
  auto record = [&](const std::string& key, const std::string& ns, Status s) {
    if (!s) report.errors.emplace(key, InNs(ns, s.error()));
  };
  Status underlay = need_underlay ? ConvergeUnderlay(plan) : Status{};
  if (!underlay) {
    // Nothing with a public address can work without it.
    for (const auto& g : plan.gateways) record(g.key, plan.underlay_ns, underlay);
  }
  std::set<std::string> failed_vnets;
  for (const auto& v : plan.vnets) {
    auto s = ConvergeVnet(v, plan);
    if (!s) failed_vnets.insert(v.ns);
    record(v.key, v.ns, s);
  }
  for (const auto& g : plan.gateways) {
    if (!underlay || failed_vnets.contains(g.lan.peer_ns)) continue;
    record(g.key, g.ns, ConvergeGateway(g));
  }
  for (const auto& m : plan.vms) {
    if (failed_vnets.contains(m.nic.peer_ns)) {
      record(m.key, m.ns, Fail(Error::Unavailable("VnetNotRealized", "its virtual network is not realized")));
      continue;
    }
    record(m.key, m.ns, ConvergeVm(m));
  }
}

}  // namespace isthmus::fabric
