#include "ike/tasks/child_setup.h"

#include <algorithm>

#include <fmt/format.h>

#include "ike/sa/keymat.h"

namespace isthmus::ike::tasks {

wire::TsPayload ToTsPayload(const std::vector<net::Prefix>& prefixes) {
  wire::TsPayload ts;
  for (const auto& p : prefixes) ts.selectors.push_back(wire::TrafficSelector::FromPrefix(p));
  return ts;
}

std::vector<net::Prefix> FromTsPayload(const wire::TsPayload& ts) {
  std::vector<net::Prefix> out;
  for (const auto& s : ts.selectors) {
    if (!s.is_address_range()) continue;
    for (const auto& p : s.ToPrefixes()) out.push_back(p);
  }
  return out;
}

std::vector<net::Prefix> NarrowSelectors(const std::vector<net::Prefix>& proposed,
                                         const std::vector<net::Prefix>& policy) {
  std::vector<net::Prefix> out;
  for (const auto& o : proposed) {
    for (const auto& p : policy) {
      if (o.family() != p.family()) continue;
      std::optional<net::Prefix> x;
      if (p.Contains(o)) {
        x = o;
      } else if (o.Contains(p)) {
        x = p;
      }
      if (x && std::find(out.begin(), out.end(), *x) == out.end()) out.push_back(*x);
    }
  }
  return out;
}

bool WithinSelectors(const std::vector<net::Prefix>& answer, const std::vector<net::Prefix>& proposed) {
  if (answer.empty()) return false;
  return std::all_of(answer.begin(), answer.end(), [&](const net::Prefix& a) {
    return std::any_of(proposed.begin(), proposed.end(), [&](const net::Prefix& p) { return p.Contains(a); });
  });
}

TimePoint SoftDeadline(TimePoint now, const LifetimeConfig& lifetime, Rng& rng) {
  if (lifetime.hard <= Duration::zero()) return TimePoint::max();
  Duration jitter{};
  if (lifetime.jitter > Duration::zero()) {
    jitter = Duration(
        static_cast<Duration::rep>(rng.NextU64() % static_cast<std::uint64_t>(lifetime.jitter.count())));
  }
  Duration soft = lifetime.hard - lifetime.margin - jitter;
  if (soft <= Duration::zero()) soft = lifetime.hard / 2;
  return now + soft;
}

TimePoint HardDeadline(TimePoint now, const LifetimeConfig& lifetime) {
  if (lifetime.hard <= Duration::zero()) return TimePoint::max();
  return now + lifetime.hard;
}

namespace {

ipsec::SaSpec BaseSpec(const TaskContext& ctx, const NewChild& c, ipsec::Direction d) {
  ipsec::SaSpec s;
  s.direction = d;
  s.spi = d == ipsec::Direction::kInbound ? c.inbound_spi : c.outbound_spi;
  s.local_address = ctx.sa.local.address;
  s.remote_address = ctx.sa.remote.address;
  s.encap.enabled = ctx.sa.encap();
  s.encap.local_port = ctx.sa.local.port;
  s.encap.remote_port = ctx.sa.remote.port;
  for (const auto& p : c.local_ts) s.selectors.local.push_back({p});
  for (const auto& p : c.remote_ts) s.selectors.remote.push_back({p});
  s.transform.encr = c.suite.encr.id;
  s.transform.encr_key_bits = c.suite.encr.key_bits;
  s.transform.integ = c.suite.integ;
  s.transform.esn = c.suite.esn;
  const auto& lt = ctx.conn.child_lifetime;
  if (lt.hard > Duration::zero()) {
    auto hard = std::chrono::duration_cast<std::chrono::seconds>(lt.hard).count();
    s.lifetimes.hard.seconds = static_cast<std::uint64_t>(std::max<std::int64_t>(hard, 1));
  }
  s.connection = ctx.conn.name;
  return s;
}

}  // namespace

Result<sa::ChildSa*> InstallChild(TaskContext& ctx, const NewChild& c) {
  auto& installer = ctx.host.installer();
  auto release = [&] { (void)installer.ReleaseSpi(c.inbound_spi); };
  if (!ctx.sa.suite || !ctx.sa.keys) {
    release();
    return Fail(Error::Internal("CHILD SA before IKE keys"));
  }
  const sa::IkeRole role = c.we_initiated ? sa::IkeRole::kInitiator : sa::IkeRole::kResponder;
  auto keys = sa::DeriveChildSaKeys(ctx.sa.suite->prf, ctx.sa.keys->sk_d, c.suite, c.pfs_secret, c.ni, c.nr);
  if (!keys) {
    release();
    return Fail(keys.error());
  }
  const std::uint64_t id = ctx.host.NewChildId();
  ipsec::SaSpec in = BaseSpec(ctx, c, ipsec::Direction::kInbound);
  in.keys = keys->Inbound(role);
  in.child_sa_id = id;
  ipsec::SaSpec out = BaseSpec(ctx, c, ipsec::Direction::kOutbound);
  out.keys = keys->Outbound(role);
  out.child_sa_id = id;
  if (auto s = installer.AddSa(in); !s) {
    release();
    return Fail(s.error());
  }
  sa::ChildSa child;
  if (c.replaces != 0) {
    child.pending_outbound = std::move(out);
    child.replaces = c.replaces;
  } else if (auto s = installer.AddSa(out); !s) {
    (void)installer.DeleteSa(c.inbound_spi, ipsec::Direction::kInbound);
    return Fail(s.error());
  }
  child.id = id;
  child.inbound_spi = c.inbound_spi;
  child.outbound_spi = c.outbound_spi;
  child.suite = c.suite;
  child.local_ts = c.local_ts;
  child.remote_ts = c.remote_ts;
  const TimePoint now = ctx.host.now();
  child.established_at = now;
  child.rekey_at = SoftDeadline(now, ctx.conn.child_lifetime, ctx.host.rng());
  child.expire_at = HardDeadline(now, ctx.conn.child_lifetime);
  child.rekeys = c.rekeys;
  ctx.sa.children.push_back(std::move(child));
  sa::ChildSa& added = ctx.sa.children.back();
  ctx.host.ChildSaInstalled(ctx.sa, added);
  return &added;
}

void RemoveChild(TaskContext& ctx, std::uint64_t child_id, std::string_view why) {
  auto& kids = ctx.sa.children;
  auto it = std::find_if(kids.begin(), kids.end(), [&](const sa::ChildSa& c) { return c.id == child_id; });
  if (it == kids.end()) return;
  for (auto& k : kids) {
    if (k.replaces != child_id || !k.pending_outbound) continue;
    // The path as it is now: the peer may have moved (NAT) since the SA was negotiated.
    k.pending_outbound->local_address = ctx.sa.local.address;
    k.pending_outbound->remote_address = ctx.sa.remote.address;
    k.pending_outbound->encap = {ctx.sa.encap(), ctx.sa.local.port, ctx.sa.remote.port};
    if (auto s = ctx.host.installer().AddSa(*k.pending_outbound); !s) {
      ctx.host.Log(ctx.sa, fmt::format("CHILD SA outbound {:08x} not installed", k.outbound_spi),
                   s.error().message);
    }
    k.pending_outbound.reset();
  }
  if (it->sends()) (void)ctx.host.installer().DeleteSa(it->outbound_spi, ipsec::Direction::kOutbound);
  (void)ctx.host.installer().DeleteSa(it->inbound_spi, ipsec::Direction::kInbound);
  ctx.host.Log(ctx.sa,
               fmt::format("CHILD SA deleted (in {:08x}, out {:08x})", it->inbound_spi, it->outbound_spi),
               std::string(why));
  kids.erase(it);
}

void StopSending(TaskContext& ctx, sa::ChildSa& child) {
  const bool installed = child.sends();
  child.pending_outbound.reset();
  child.replaces = 0;
  child.outbound_stopped = true;
  if (installed) (void)ctx.host.installer().DeleteSa(child.outbound_spi, ipsec::Direction::kOutbound);
}

void RemoveAllChildren(TaskHost& host, sa::IkeSa& sa, std::string_view why) {
  for (const auto& c : sa.children) {
    if (c.sends()) (void)host.installer().DeleteSa(c.outbound_spi, ipsec::Direction::kOutbound);
    (void)host.installer().DeleteSa(c.inbound_spi, ipsec::Direction::kInbound);
    host.Log(sa, fmt::format("CHILD SA removed (in {:08x}, out {:08x})", c.inbound_spi, c.outbound_spi),
             std::string(why));
  }
  sa.children.clear();
}

}  // namespace isthmus::ike::tasks
