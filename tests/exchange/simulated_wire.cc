#include "simulated_wire.h"

#include <algorithm>

#include <fmt/format.h>

#include "ike/sa/proposal.h"

namespace isthmus::ike::testing {

double SimulatedWire::Uniform() {
  return static_cast<double>(rng_.NextU64() >> 11) / static_cast<double>(1ull << 53);
}

void SimulatedWire::Send(TimePoint now, int from_side, Datagram d) {
  if (nat_a_port && from_side == 0 && d.from.port == kNatTPort) d.from.port = *nat_a_port;
  bool stale = false;  // to a mapping the NAT no longer has: it goes nowhere
  if (nat_a_port && from_side == 1 && d.to.port != kIkePort && d.to.port != kNatTPort) {
    if (d.to.port == *nat_a_port) {
      d.to.port = kNatTPort;
    } else {
      stale = true;
    }
  }
  WireEvent ev{from_side, ++sent_by[from_side], std::move(d)};
  if (stale) {
    sent.push_back(ev);
    return;
  }
  sent.push_back(ev);
  if (cut[from_side]) return;
  if (drop_rule && drop_rule(ev)) return;
  if (Uniform() < faults.drop) return;
  auto enqueue = [&](WireEvent e) {
    Duration delay = faults.latency;
    if (Uniform() < faults.reorder) {
      delay +=
          Duration(static_cast<Duration::rep>(Uniform() * static_cast<double>(faults.reorder_delay.count())));
    }
    if (Uniform() < faults.corrupt && !e.datagram.bytes.empty()) {
      std::size_t at = static_cast<std::size_t>(rng_.NextU64() % e.datagram.bytes.size());
      e.datagram.bytes[at] ^= static_cast<std::uint8_t>(1u << (rng_.NextU64() % 8));
    }
    flight_.push_back({now + delay, ++seq_, std::move(e)});
  };
  if (Uniform() < faults.duplicate) enqueue(ev);
  enqueue(std::move(ev));
}

std::optional<WireEvent> SimulatedWire::Pop(TimePoint now) {
  auto best = flight_.end();
  for (auto it = flight_.begin(); it != flight_.end(); ++it) {
    if (it->at > now) continue;
    if (best == flight_.end() || it->at < best->at || (it->at == best->at && it->seq < best->seq)) best = it;
  }
  if (best == flight_.end()) return std::nullopt;
  WireEvent ev = std::move(best->ev);
  flight_.erase(best);
  return ev;
}

std::optional<TimePoint> SimulatedWire::NextDelivery() const {
  std::optional<TimePoint> t;
  for (const auto& f : flight_) {
    if (!t || f.at < *t) t = f.at;
  }
  return t;
}

namespace {

std::vector<net::Prefix> Prefixes(const std::vector<std::string>& v) {
  std::vector<net::Prefix> out;
  for (const auto& s : v) out.push_back(*net::Prefix::Parse(s));
  return out;
}

std::vector<sa::Proposal> Props(const std::string& text, wire::ProtocolId p) {
  auto r = sa::ParseProposals(text, p);
  if (!r) throw std::runtime_error("bad proposal in test: " + text);
  return *r;
}

}  // namespace

ConnectionConfig MakeConnection(const Scenario& s, bool side_a) {
  ConnectionConfig c;
  c.name = side_a ? "to-b" : "to-a";
  auto addr_a = *net::IpAddress::Parse(kAddrA);
  auto addr_b = *net::IpAddress::Parse(kAddrB);
  c.local = {side_a ? addr_a : addr_b, kIkePort};
  c.remote = {side_a ? addr_b : addr_a, kIkePort};
  c.local_id = wire::IdPayload::Address(c.local.address);
  c.remote_id = wire::IdPayload::Address(c.remote.address);
  c.psk = SecretBytes(std::string_view(!side_a && !s.b_psk.empty() ? s.b_psk : s.psk));
  c.local_prefixes = Prefixes(side_a ? s.a_local : s.b_local);
  c.remote_prefixes = Prefixes(side_a ? s.a_remote : s.b_remote);
  const std::string& ike = side_a ? (s.a_ike.empty() ? s.ike : s.a_ike) : (s.b_ike.empty() ? s.ike : s.b_ike);
  const std::string& esp = side_a ? (s.a_esp.empty() ? s.esp : s.a_esp) : (s.b_esp.empty() ? s.esp : s.b_esp);
  c.ike_proposals = Props(ike, wire::ProtocolId::kIke);
  c.esp_proposals = Props(esp, wire::ProtocolId::kEsp);
  c.mode = side_a ? s.a_mode : s.b_mode;
  c.dpd_timeout = s.dpd;
  c.ike_lifetime = !side_a && s.b_ike_life ? *s.b_ike_life : s.ike_life;
  c.child_lifetime = !side_a && s.b_child_life ? *s.b_child_life : s.child_life;
  c.force_encapsulation = s.force_encap;
  c.reconnect_delay = s.reconnect_delay;
  return c;
}

EnginePair::EnginePair(Scenario s, std::uint64_t seed)
    : a("A", seed * 1000 + 1, 0xa0000001),
      b("B", seed * 1000 + 2, 0xb0000001),
      wire(seed * 1000 + 3),
      scenario(std::move(s)) {
  clock.Set(TimePoint{} + std::chrono::hours(1));
  EngineConfig ea = scenario.engine;
  EngineConfig eb = scenario.engine;
  eb.cookie_threshold = scenario.b_cookie_threshold;
  a.engine = std::make_unique<Engine>(ea, std::vector<ConnectionConfig>{MakeConnection(scenario, true)},
                                      clock, a.rng, a.installer);
  b.engine = std::make_unique<Engine>(eb, std::vector<ConnectionConfig>{MakeConnection(scenario, false)},
                                      clock, b.rng, b.installer);
}

EnginePair::EnginePair(std::vector<ConnectionConfig> a_connections,
                       std::vector<ConnectionConfig> b_connections, EngineConfig engine, std::uint64_t seed)
    : a("A", seed * 1000 + 1, 0xa0000001), b("B", seed * 1000 + 2, 0xb0000001), wire(seed * 1000 + 3) {
  clock.Set(TimePoint{} + std::chrono::hours(1));
  scenario.engine = engine;
  a.engine = std::make_unique<Engine>(engine, std::move(a_connections), clock, a.rng, a.installer);
  b.engine = std::make_unique<Engine>(engine, std::move(b_connections), clock, b.rng, b.installer);
}

void EnginePair::Drain() {
  for (int i = 0; i < 2; ++i) {
    Side& s = side(i);
    for (auto& d : s.engine->TakeOutbox()) wire.Send(clock.Now(), i, std::move(d));
    for (auto& l : s.engine->TakeLog()) s.log.push_back(std::move(l));
  }
}

void EnginePair::Step(TimePoint until, const std::function<bool()>& done) {
  Drain();
  // Deliver everything due now.
  while (auto ev = wire.Pop(clock.Now())) {
    Side& to = ev->datagram.to.address == *net::IpAddress::Parse(kAddrA) ? a : b;
    to.engine->Receive(clock.Now(), ev->datagram.to, ev->datagram.from, ev->datagram.bytes);
    Drain();
    if (after_input) after_input();
  }
  if (done()) return;  // observe the condition before time moves on
  // Advance to the next event.
  TimePoint next = until;
  if (auto t = wire.NextDelivery()) next = std::min(next, *t);
  for (int i = 0; i < 2; ++i) {
    if (auto t = side(i).engine->NextWakeup()) next = std::min(next, *t);
  }
  if (next > clock.Now()) clock.Set(next);
  for (int i = 0; i < 2; ++i) {
    side(i).engine->Tick(clock.Now());
    Drain();
    if (after_input) after_input();
  }
}

bool EnginePair::RunUntil(const std::function<bool()>& done, Duration limit) {
  const TimePoint end = clock.Now() + limit;
  for (int guard = 0; guard < 200000; ++guard) {
    Drain();
    if (done()) return true;
    if (clock.Now() >= end) return false;
    Step(end, done);
  }
  return false;
}

void EnginePair::RunFor(Duration d) {
  RunUntil([] { return false; }, d);
}

ConnectionStatus EnginePair::StatusOf(const Side& s) const {
  auto all = s.engine->Snapshot();
  return all.empty() ? ConnectionStatus{} : all.front();
}

bool EnginePair::Connected(const Side& s) const {
  auto st = StatusOf(s);
  return st.state == ConnectionState::kConnected && !st.children.empty();
}

std::string EnginePair::DumpLogs() const {
  std::string out;
  for (const Side* s : {&a, &b}) {
    for (const auto& l : s->log) {
      out += fmt::format(
          "[{}] +{}ms {}\n", s->name,
          std::chrono::duration_cast<std::chrono::milliseconds>(l.at.time_since_epoch()).count() - 3600000,
          l.ToString());
    }
  }
  return out;
}

std::string CheckCrosswise(const ipsec::RecordingSaInstaller& x, const ipsec::RecordingSaInstaller& y) {
  auto one_way = [](const ipsec::RecordingSaInstaller& from,
                    const ipsec::RecordingSaInstaller& to) -> std::string {
    for (const auto& out : from.Installed(ipsec::Direction::kOutbound)) {
      const ipsec::SaSpec* in = to.Find(out.spi, ipsec::Direction::kInbound);
      if (!in) return fmt::format("outbound {:08x} has no inbound peer", out.spi);
      if (!(in->keys == out.keys)) return fmt::format("keys of {:08x} differ", out.spi);
      if (!(in->transform == out.transform)) return fmt::format("transform of {:08x} differs", out.spi);
    }
    return {};
  };
  if (auto e = one_way(x, y); !e.empty()) return "A->B: " + e;
  if (auto e = one_way(y, x); !e.empty()) return "B->A: " + e;
  if (x.Installed(ipsec::Direction::kInbound).size() != y.Installed(ipsec::Direction::kOutbound).size() ||
      y.Installed(ipsec::Direction::kInbound).size() != x.Installed(ipsec::Direction::kOutbound).size()) {
    return "inbound/outbound counts differ";
  }
  return {};
}

}  // namespace isthmus::ike::testing
