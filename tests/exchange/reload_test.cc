// Engine::Reload with several connections between the same two engines (the IKEv2 issue: "reloading
// the config leaves unaffected tunnels untouched").
//
// What the engine does with the new list (engine.h):
//   unchanged (ConnectionConfig::SameAs)  nothing at all: same IKE SA, same CHILD SAs, no message;
//   changed                               INFORMATIONAL { D(IKE) } on the old IKE SA (its CHILD SAs
//                                         are uninstalled), then a new IKE_SA_INIT at once if this side
//                                         initiates (initiator or both);
//   removed                               INFORMATIONAL { D(IKE) }, CHILD SAs uninstalled, forgotten;
//   added                                 initiated at once if this side initiates.
// The peer treats a D(IKE) as final (no reconnect), so a changed connection comes back from the side
// that reloads only if that side initiates it.
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ike/sa/proposal.h"
#include "ike/wire/header.h"
#include "simulated_wire.h"

namespace isthmus::ike::testing {
namespace {

using Kind = ipsec::RecordingSaInstaller::CallKind;

std::vector<net::Prefix> Prefixes(std::initializer_list<const char*> texts) {
  std::vector<net::Prefix> out;
  for (const char* t : texts) out.push_back(*net::Prefix::Parse(t));
  return out;
}

std::vector<sa::Proposal> Props(std::string_view text, wire::ProtocolId p) {
  return *sa::ParseProposals(text, p);
}

// Connection `name` as seen from side A (198.18.0.1) or side B (198.18.0.2). IDs are FQDNs "a.NAME" and
// "b.NAME" (connections to the same peer address differ only by ID); the prefixes are 10.1.k.0/24
// behind A and 10.2.k.0/24 behind B. Lifetimes of an hour: no rekey within a test unless a reload
// caused one.
ConnectionConfig Conn(const std::string& name, int k, bool side_a, ConnectionMode mode) {
  ConnectionConfig c;
  c.name = name;
  const auto addr_a = *net::IpAddress::Parse(kAddrA);
  const auto addr_b = *net::IpAddress::Parse(kAddrB);
  c.local = {side_a ? addr_a : addr_b, kIkePort};
  c.remote = {side_a ? addr_b : addr_a, kIkePort};
  c.local_id = wire::IdPayload::Fqdn((side_a ? "a." : "b.") + name);
  c.remote_id = wire::IdPayload::Fqdn((side_a ? "b." : "a.") + name);
  c.psk = SecretBytes(std::string_view("psk of " + name));
  const auto net_a = *net::Prefix::Parse(fmt::format("10.1.{}.0/24", k));
  const auto net_b = *net::Prefix::Parse(fmt::format("10.2.{}.0/24", k));
  c.local_prefixes = {side_a ? net_a : net_b};
  c.remote_prefixes = {side_a ? net_b : net_a};
  c.ike_proposals = Props("aes256gcm16-prfsha256-ecp256", wire::ProtocolId::kIke);
  // Either end accepts AES-GCM-128 as well; an initiator's first choice (256) wins until a reload
  // narrows the list to 128, which both ends then accept without a reload of their own.
  c.esp_proposals = Props("aes256gcm16, aes128gcm16", wire::ProtocolId::kEsp);
  c.mode = mode;
  c.ike_lifetime = {std::chrono::hours(1), 360s, 0s};
  c.child_lifetime = {std::chrono::hours(1), 360s, 0s};
  return c;
}

bool Up(const Side& s, std::string_view name) {
  auto st = s.engine->SnapshotOf(name);
  return st && st->state == ConnectionState::kConnected && st->children.size() == 1 &&
         st->children[0].state == "INSTALLED";
}

// The datagrams sent from `from` on that belong to the IKE SA with initiator SPI `spi_i`.
std::vector<WireEvent> MessagesOn(const SimulatedWire& w, std::size_t from, std::uint64_t spi_i) {
  std::vector<WireEvent> out;
  for (std::size_t i = from; i < w.sent.size(); ++i) {
    const auto& d = w.sent[i].datagram;
    wire::ByteView bytes = d.bytes;
    if (d.to.port == kNatTPort) bytes = bytes.subspan(kNonEspMarkerSize);
    auto h = wire::ParseHeader(bytes);
    if (h && h->initiator_spi == spi_i) out.push_back(w.sent[i]);
  }
  return out;
}

// Installer calls from index `from` on that name one of the CHILD SA's SPIs.
std::size_t CallsTouching(const ipsec::RecordingSaInstaller& inst, std::size_t from,
                          const ChildSaStatus& child) {
  std::size_t n = 0;
  for (std::size_t i = from; i < inst.calls().size(); ++i) {
    const auto& c = inst.calls()[i];
    n += (c.spi == child.inbound_spi && c.direction == ipsec::Direction::kInbound) ||
         (c.spi == child.outbound_spi && c.direction == ipsec::Direction::kOutbound) ||
         (c.kind == Kind::kAllocateSpi && c.spi == child.inbound_spi);
  }
  return n;
}

bool Deleted(const ipsec::RecordingSaInstaller& inst, std::size_t from, std::uint32_t spi,
             ipsec::Direction d) {
  for (std::size_t i = from; i < inst.calls().size(); ++i) {
    const auto& c = inst.calls()[i];
    if (c.kind == Kind::kDeleteSa && c.spi == spi && c.direction == d && c.result) return true;
  }
  return false;
}

bool Logged(const Side& s, std::size_t from, std::string_view conn, std::string_view what,
            std::string_view why) {
  for (std::size_t i = from; i < s.log.size(); ++i) {
    const auto& l = s.log[i];
    if (l.connection == conn && l.what == what && l.why.find(why) != std::string::npos) return true;
  }
  return false;
}

// Everything observable about one connection's SAs is as it was.
void ExpectSameSas(const ConnectionStatus& before, const ConnectionStatus& after, const std::string& who) {
  SCOPED_TRACE(who);
  EXPECT_EQ(after.state, ConnectionState::kConnected);
  EXPECT_EQ(after.ike_spi_i, before.ike_spi_i);
  EXPECT_EQ(after.ike_spi_r, before.ike_spi_r);
  EXPECT_EQ(after.initiator, before.initiator);
  EXPECT_EQ(after.established_at, before.established_at);
  EXPECT_EQ(after.ike_rekeys, 0u);
  EXPECT_EQ(after.child_rekeys, 0u);
  ASSERT_EQ(after.children.size(), 1u);
  ASSERT_EQ(before.children.size(), 1u);
  EXPECT_EQ(after.children[0].id, before.children[0].id);
  EXPECT_EQ(after.children[0].inbound_spi, before.children[0].inbound_spi);
  EXPECT_EQ(after.children[0].outbound_spi, before.children[0].outbound_spi);
  EXPECT_EQ(after.children[0].established_at, before.children[0].established_at);
  EXPECT_EQ(after.children[0].state, "INSTALLED");
}

// The CHILD SA is gone from the status and from the installer, with a successful DeleteSa for each
// direction since call `from`.
void ExpectChildRemoved(const Side& s, std::size_t from, const ChildSaStatus& child) {
  SCOPED_TRACE(s.name);
  EXPECT_EQ(s.installer.Find(child.inbound_spi, ipsec::Direction::kInbound), nullptr);
  EXPECT_EQ(s.installer.Find(child.outbound_spi, ipsec::Direction::kOutbound), nullptr);
  EXPECT_TRUE(Deleted(s.installer, from, child.inbound_spi, ipsec::Direction::kInbound));
  EXPECT_TRUE(Deleted(s.installer, from, child.outbound_spi, ipsec::Direction::kOutbound));
}

// Marks taken just before a reload: what happened after it is what the reload caused.
struct Marks {
  std::size_t wire, calls_a, calls_b, log_a, log_b;
};
Marks Mark(EnginePair& p) {
  p.RunFor(0s);  // moves pending logs and outboxes out first
  return {p.wire.sent.size(), p.a.installer.calls().size(), p.b.installer.calls().size(), p.a.log.size(),
          p.b.log.size()};
}

// Side A initiates connections A, B and C to side B; both are up. `a_knows_d`/`b_knows_d`: that side
// also has connection D configured (not initiated) from the start.
struct ThreeConnections {
  ThreeConnections(ConnectionMode a_mode, ConnectionMode b_mode, bool a_knows_d, bool b_knows_d)
      : p(Connections(true, a_mode, a_knows_d), Connections(false, b_mode, b_knows_d)) {
    for (const char* n : {"A", "B", "C"}) EXPECT_TRUE(p.a.engine->Initiate(n)) << n;
    const bool up = p.RunUntil(
        [&] {
          for (const char* n : {"A", "B", "C"}) {
            if (!Up(p.a, n) || !Up(p.b, n)) return false;
          }
          return true;
        },
        10s);
    EXPECT_TRUE(up) << p.DumpLogs();
    p.RunFor(20s);  // established_at of what survives a reload is then clearly not the reload's time
    for (const char* n : {"A", "B", "C"}) {
      before_a[n] = *p.a.engine->SnapshotOf(n);
      before_b[n] = *p.b.engine->SnapshotOf(n);
      EXPECT_EQ(before_a[n].children.at(0).algorithms, "ESP:AES_GCM_16_256/NO_EXT_SEQ");
    }
  }
  static std::vector<ConnectionConfig> Connections(bool side_a, ConnectionMode mode, bool with_d) {
    std::vector<ConnectionConfig> v{Conn("A", 1, side_a, mode), Conn("B", 2, side_a, mode),
                                    Conn("C", 3, side_a, mode)};
    if (with_d) v.push_back(Conn("D", 4, side_a, mode));
    return v;
  }
  EnginePair p;
  std::map<std::string, ConnectionStatus> before_a, before_b;
};

// Reload of the initiating end: A unchanged; B changed (narrower remote prefixes, AES-GCM-128 only);
// C removed; D added (the responder knows D already: a responder-only connection waits).
//
//   INFORMATIONAL { D(IKE) } on B's and C's IKE SAs  -->      <--  INFORMATIONAL { }
//   IKE_SA_INIT, IKE_AUTH for the new B and for D    -->      <--  ...
//   (nothing on A's IKE SA)
TEST(Reload, InitiatorSideLeavesUnchangedConnectionUntouched) {
  ThreeConnections t(ConnectionMode::kInitiator, ConnectionMode::kResponder, /*a_knows_d=*/false,
                     /*b_knows_d=*/true);
  EnginePair& p = t.p;
  ASSERT_FALSE(HasFailure());
  auto b_of_a = Conn("B", 2, true, ConnectionMode::kInitiator);
  b_of_a.remote_prefixes = Prefixes({"10.2.2.0/25"});
  b_of_a.esp_proposals = Props("aes128gcm16", wire::ProtocolId::kEsp);
  const Marks m = Mark(p);
  p.a.engine->Reload({Conn("A", 1, true, ConnectionMode::kInitiator), b_of_a,
                      Conn("D", 4, true, ConnectionMode::kInitiator)});
  ASSERT_TRUE(p.RunUntil(
      [&] {
        return Up(p.a, "B") && Up(p.b, "B") && Up(p.a, "D") && Up(p.b, "D") &&
               p.a.engine->ike_sa_count() == 3 && p.b.engine->ike_sa_count() == 3 &&
               p.b.engine->SnapshotOf("C")->ike_spi_i == 0;
      },
      10s))
      << p.DumpLogs();
  p.RunFor(30s);  // anything the reload set off has happened by now

  // A: the very same IKE SA and CHILD SA on both ends; no message on A's IKE SA; no installer call
  // naming A's SPIs; its SAs still installed.
  const auto& a_before = t.before_a["A"];
  ExpectSameSas(a_before, *p.a.engine->SnapshotOf("A"), "A on the initiator");
  ExpectSameSas(t.before_b["A"], *p.b.engine->SnapshotOf("A"), "A on the responder");
  EXPECT_TRUE(MessagesOn(p.wire, m.wire, a_before.ike_spi_i).empty());
  EXPECT_EQ(CallsTouching(p.a.installer, m.calls_a, a_before.children[0]), 0u);
  EXPECT_EQ(CallsTouching(p.b.installer, m.calls_b, t.before_b["A"].children[0]), 0u);
  EXPECT_NE(p.a.installer.Find(a_before.children[0].inbound_spi, ipsec::Direction::kInbound), nullptr);
  EXPECT_NE(p.a.installer.Find(a_before.children[0].outbound_spi, ipsec::Direction::kOutbound), nullptr);
  EXPECT_NE(p.b.installer.Find(a_before.children[0].outbound_spi, ipsec::Direction::kInbound), nullptr);
  EXPECT_NE(p.b.installer.Find(a_before.children[0].inbound_spi, ipsec::Direction::kOutbound), nullptr);

  // B: the old IKE SA deleted by the reloading end, a new one with the new settings.
  EXPECT_TRUE(Logged(p.a, m.log_a, "B", "IKE SA deleting", "configuration changed")) << p.DumpLogs();
  EXPECT_TRUE(Logged(p.b, m.log_b, "B", "IKE SA deleted", "peer sent D(IKE)")) << p.DumpLogs();
  ExpectChildRemoved(p.a, m.calls_a, t.before_a["B"].children[0]);
  ExpectChildRemoved(p.b, m.calls_b, t.before_b["B"].children[0]);
  const auto b_a = *p.a.engine->SnapshotOf("B");
  const auto b_b = *p.b.engine->SnapshotOf("B");
  EXPECT_NE(b_a.ike_spi_i, t.before_a["B"].ike_spi_i);
  EXPECT_EQ(b_a.ike_spi_i, b_b.ike_spi_i);
  EXPECT_TRUE(b_a.initiator);
  EXPECT_EQ(b_a.children[0].algorithms, "ESP:AES_GCM_16_128/NO_EXT_SEQ");
  EXPECT_EQ(b_a.children[0].remote_prefixes, Prefixes({"10.2.2.0/25"}));
  EXPECT_EQ(b_b.children[0].local_prefixes, Prefixes({"10.2.2.0/25"}));
  // C: D(IKE) sent by the reloading end, its CHILD SAs uninstalled on both ends, gone from its list.
  EXPECT_FALSE(p.a.engine->SnapshotOf("C"));
  EXPECT_TRUE(Logged(p.a, m.log_a, "C", "IKE SA deleting", "connection removed")) << p.DumpLogs();
  EXPECT_TRUE(Logged(p.b, m.log_b, "C", "IKE SA deleted", "peer sent D(IKE)")) << p.DumpLogs();
  EXPECT_EQ(p.b.engine->SnapshotOf("C")->state, ConnectionState::kNotConnected);
  ExpectChildRemoved(p.a, m.calls_a, t.before_a["C"].children[0]);
  ExpectChildRemoved(p.b, m.calls_b, t.before_b["C"].children[0]);
  // D: up on both ends.
  EXPECT_TRUE(Up(p.a, "D"));
  EXPECT_TRUE(Up(p.b, "D"));
  // Nothing else: A, B, D installed (two SAs each), crosswise consistent.
  EXPECT_EQ(p.a.installer.installed_count(), 6u);
  EXPECT_EQ(p.b.installer.installed_count(), 6u);
  EXPECT_EQ(CheckCrosswise(p.a.installer, p.b.installer), "");
}

// Only B changes (its remote prefixes), on the initiator. On the wire, the old IKE SA's D(IKE) is a
// request from the reloading end, answered; both ends uninstall its CHILD SAs; A and C see nothing.
TEST(Reload, ChangedConnectionIsDeletedThenReestablished) {
  ThreeConnections t(ConnectionMode::kInitiator, ConnectionMode::kResponder, false, false);
  EnginePair& p = t.p;
  ASSERT_FALSE(HasFailure());
  auto b_of_a = Conn("B", 2, true, ConnectionMode::kInitiator);
  b_of_a.remote_prefixes = Prefixes({"10.2.2.0/25"});
  const Marks m = Mark(p);
  p.a.engine->Reload({Conn("A", 1, true, ConnectionMode::kInitiator), b_of_a,
                      Conn("C", 3, true, ConnectionMode::kInitiator)});
  ASSERT_TRUE(
      p.RunUntil([&] { return Up(p.a, "B") && Up(p.b, "B") && p.b.engine->ike_sa_count() == 3; }, 10s))
      << p.DumpLogs();
  p.RunFor(30s);
  const auto& old_b = t.before_a["B"];
  const auto on_old = MessagesOn(p.wire, m.wire, old_b.ike_spi_i);
  ASSERT_EQ(on_old.size(), 2u);  // request and response
  EXPECT_EQ(on_old[0].from_side, 0);
  EXPECT_EQ(on_old[1].from_side, 1);
  auto h = wire::ParseHeader(on_old[0].datagram.bytes);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->exchange, wire::ExchangeType::kInformational);
  EXPECT_FALSE(h->response);
  EXPECT_TRUE(Logged(p.a, m.log_a, "B", "IKE SA deleting", "configuration changed")) << p.DumpLogs();
  ExpectChildRemoved(p.a, m.calls_a, old_b.children[0]);
  ExpectChildRemoved(p.b, m.calls_b, t.before_b["B"].children[0]);
  const auto b_a = *p.a.engine->SnapshotOf("B");
  EXPECT_NE(b_a.ike_spi_i, old_b.ike_spi_i);
  EXPECT_EQ(b_a.children[0].remote_prefixes, Prefixes({"10.2.2.0/25"}));
  EXPECT_EQ(b_a.children[0].algorithms, "ESP:AES_GCM_16_256/NO_EXT_SEQ");
  for (const char* n : {"A", "C"}) {
    ExpectSameSas(t.before_a[n], *p.a.engine->SnapshotOf(n), std::string(n) + " on the initiator");
    ExpectSameSas(t.before_b[n], *p.b.engine->SnapshotOf(n), std::string(n) + " on the responder");
    EXPECT_TRUE(MessagesOn(p.wire, m.wire, t.before_a[n].ike_spi_i).empty()) << n;
    EXPECT_EQ(CallsTouching(p.a.installer, m.calls_a, t.before_a[n].children[0]), 0u) << n;
    EXPECT_EQ(CallsTouching(p.b.installer, m.calls_b, t.before_b[n].children[0]), 0u) << n;
  }
  EXPECT_EQ(p.a.installer.installed_count(), 6u);
  EXPECT_EQ(p.b.installer.installed_count(), 6u);
  EXPECT_EQ(CheckCrosswise(p.a.installer, p.b.installer), "");
}

// Reload of the responding end (both ends `both`, so the reloading end can initiate): A unchanged; B
// changed (narrower local prefixes, AES-GCM-128 only); C removed; D added (the other end has D
// configured but never initiated it). The reloading end deletes B and C and initiates the new B and D
// itself; the other end answers with the configuration it has.
TEST(Reload, ResponderSideLeavesUnchangedConnectionUntouched) {
  ThreeConnections t(ConnectionMode::kBoth, ConnectionMode::kBoth, /*a_knows_d=*/true, /*b_knows_d=*/false);
  EnginePair& p = t.p;
  ASSERT_FALSE(HasFailure());
  auto b_of_b = Conn("B", 2, false, ConnectionMode::kBoth);
  b_of_b.local_prefixes = Prefixes({"10.2.2.0/25"});
  b_of_b.esp_proposals = Props("aes128gcm16", wire::ProtocolId::kEsp);
  const Marks m = Mark(p);
  p.b.engine->Reload(
      {Conn("A", 1, false, ConnectionMode::kBoth), b_of_b, Conn("D", 4, false, ConnectionMode::kBoth)});
  ASSERT_TRUE(p.RunUntil(
      [&] {
        return Up(p.a, "B") && Up(p.b, "B") && Up(p.a, "D") && Up(p.b, "D") &&
               p.a.engine->ike_sa_count() == 3 && p.b.engine->ike_sa_count() == 3;
      },
      10s))
      << p.DumpLogs();
  p.RunFor(30s);

  for (const Side* side : {&p.a, &p.b}) {
    const auto& before = side == &p.a ? t.before_a["A"] : t.before_b["A"];
    ExpectSameSas(before, *side->engine->SnapshotOf("A"), "A on " + side->name);
    EXPECT_EQ(CallsTouching(side->installer, side == &p.a ? m.calls_a : m.calls_b, before.children[0]), 0u);
  }
  EXPECT_TRUE(MessagesOn(p.wire, m.wire, t.before_a["A"].ike_spi_i).empty());
  // B: deleted by the reloading end, then initiated by it with its new settings.
  EXPECT_TRUE(Logged(p.b, m.log_b, "B", "IKE SA deleting", "configuration changed")) << p.DumpLogs();
  EXPECT_TRUE(Logged(p.a, m.log_a, "B", "IKE SA deleted", "peer sent D(IKE)")) << p.DumpLogs();
  ExpectChildRemoved(p.a, m.calls_a, t.before_a["B"].children[0]);
  ExpectChildRemoved(p.b, m.calls_b, t.before_b["B"].children[0]);
  const auto b_b = *p.b.engine->SnapshotOf("B");
  EXPECT_TRUE(b_b.initiator);
  EXPECT_NE(b_b.ike_spi_i, t.before_b["B"].ike_spi_i);
  EXPECT_EQ(b_b.ike_spi_i, p.a.engine->SnapshotOf("B")->ike_spi_i);
  EXPECT_EQ(b_b.children[0].algorithms, "ESP:AES_GCM_16_128/NO_EXT_SEQ");
  EXPECT_EQ(b_b.children[0].local_prefixes, Prefixes({"10.2.2.0/25"}));
  EXPECT_EQ(p.a.engine->SnapshotOf("B")->children[0].remote_prefixes, Prefixes({"10.2.2.0/25"}));
  // C: deleted by the reloading end; the other end keeps the connection, and does not reconnect (a
  // D(IKE) from the peer is final).
  EXPECT_FALSE(p.b.engine->SnapshotOf("C"));
  EXPECT_TRUE(Logged(p.b, m.log_b, "C", "IKE SA deleting", "connection removed")) << p.DumpLogs();
  EXPECT_TRUE(Logged(p.a, m.log_a, "C", "IKE SA deleted", "peer sent D(IKE)")) << p.DumpLogs();
  EXPECT_EQ(p.a.engine->SnapshotOf("C")->state, ConnectionState::kNotConnected);
  ExpectChildRemoved(p.a, m.calls_a, t.before_a["C"].children[0]);
  ExpectChildRemoved(p.b, m.calls_b, t.before_b["C"].children[0]);
  // D: initiated by the reloading end.
  EXPECT_TRUE(p.b.engine->SnapshotOf("D")->initiator);
  EXPECT_EQ(p.a.installer.installed_count(), 6u);
  EXPECT_EQ(p.b.installer.installed_count(), 6u);
  EXPECT_EQ(CheckCrosswise(p.a.installer, p.b.installer), "");
}

// A responder-only end cannot bring a changed connection back: it deletes it, and the initiator takes
// the D(IKE) as final. The connection returns with the initiator's own reload (the order
// docs/gateway.md recommends: responder first, then initiator). A and C are untouched throughout.
TEST(Reload, ResponderOnlyEndDeletesChangedConnectionUntilTheInitiatorReloads) {
  ThreeConnections t(ConnectionMode::kInitiator, ConnectionMode::kResponder, false, false);
  EnginePair& p = t.p;
  ASSERT_FALSE(HasFailure());
  auto b_of_b = Conn("B", 2, false, ConnectionMode::kResponder);
  b_of_b.psk = SecretBytes(std::string_view("new psk of B"));
  const Marks m = Mark(p);
  p.b.engine->Reload({Conn("A", 1, false, ConnectionMode::kResponder), b_of_b,
                      Conn("C", 3, false, ConnectionMode::kResponder)});
  p.RunFor(60s);  // well past the initiator's reconnect delay (5 s)
  EXPECT_TRUE(Logged(p.b, m.log_b, "B", "IKE SA deleting", "configuration changed")) << p.DumpLogs();
  EXPECT_EQ(p.a.engine->SnapshotOf("B")->state, ConnectionState::kNotConnected) << p.DumpLogs();
  EXPECT_EQ(p.b.engine->SnapshotOf("B")->state, ConnectionState::kNotConnected);
  ExpectChildRemoved(p.a, m.calls_a, t.before_a["B"].children[0]);
  ExpectChildRemoved(p.b, m.calls_b, t.before_b["B"].children[0]);

  auto b_of_a = Conn("B", 2, true, ConnectionMode::kInitiator);
  b_of_a.psk = SecretBytes(std::string_view("new psk of B"));
  p.a.engine->Reload({Conn("A", 1, true, ConnectionMode::kInitiator), b_of_a,
                      Conn("C", 3, true, ConnectionMode::kInitiator)});
  ASSERT_TRUE(p.RunUntil([&] { return Up(p.a, "B") && Up(p.b, "B"); }, 10s)) << p.DumpLogs();
  p.RunFor(10s);
  for (const char* n : {"A", "C"}) {
    ExpectSameSas(t.before_a[n], *p.a.engine->SnapshotOf(n), std::string(n) + " on the initiator");
    ExpectSameSas(t.before_b[n], *p.b.engine->SnapshotOf(n), std::string(n) + " on the responder");
    EXPECT_TRUE(MessagesOn(p.wire, m.wire, t.before_a[n].ike_spi_i).empty()) << n;
  }
  EXPECT_EQ(p.a.installer.installed_count(), 6u);
  EXPECT_EQ(p.b.installer.installed_count(), 6u);
  EXPECT_EQ(CheckCrosswise(p.a.installer, p.b.installer), "");
}

// Reloading an identical configuration on both ends changes nothing: no datagram, no installer call,
// no log line, the same SAs.
TEST(Reload, IdenticalConfigurationChangesNothing) {
  ThreeConnections t(ConnectionMode::kInitiator, ConnectionMode::kResponder, /*a_knows_d=*/true,
                     /*b_knows_d=*/false);
  EnginePair& p = t.p;
  ASSERT_FALSE(HasFailure());
  const Marks m = Mark(p);
  p.a.engine->Reload(
      {Conn("A", 1, true, ConnectionMode::kInitiator), Conn("B", 2, true, ConnectionMode::kInitiator),
       Conn("C", 3, true, ConnectionMode::kInitiator), Conn("D", 4, true, ConnectionMode::kInitiator)});
  EXPECT_TRUE(p.a.engine->TakeOutbox().empty());
  p.b.engine->Reload({Conn("A", 1, false, ConnectionMode::kResponder),
                      Conn("B", 2, false, ConnectionMode::kResponder),
                      Conn("C", 3, false, ConnectionMode::kResponder)});
  EXPECT_TRUE(p.b.engine->TakeOutbox().empty());
  p.RunFor(60s);
  EXPECT_EQ(p.wire.sent.size(), m.wire);
  EXPECT_EQ(p.a.installer.calls().size(), m.calls_a);
  EXPECT_EQ(p.b.installer.calls().size(), m.calls_b);
  EXPECT_EQ(p.a.log.size(), m.log_a) << p.DumpLogs();
  EXPECT_EQ(p.b.log.size(), m.log_b) << p.DumpLogs();
  for (const char* n : {"A", "B", "C"}) {
    ExpectSameSas(t.before_a[n], *p.a.engine->SnapshotOf(n), std::string(n) + " on the initiator");
    ExpectSameSas(t.before_b[n], *p.b.engine->SnapshotOf(n), std::string(n) + " on the responder");
  }
}

}  // namespace
}  // namespace isthmus::ike::testing
