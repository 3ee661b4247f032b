// Delete, dead peers, retransmission give-up and refused negotiations.
#include <gtest/gtest.h>

#include "simulated_wire.h"

namespace isthmus::ike::testing {
namespace {

bool LogHas(const Side& s, std::string_view what) {
  for (const auto& l : s.log) {
    if (l.what.find(what) != std::string::npos || l.why.find(what) != std::string::npos) return true;
  }
  return false;
}

// INFORMATIONAL { D(IKE) }  -->   <--  INFORMATIONAL { }     (all CHILD SAs go with it, §1.4.1)
TEST(Exchange, Delete) {
  EnginePair p(Scenario{});
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s));
  ASSERT_TRUE(p.a.engine->Terminate("to-b"));
  ASSERT_TRUE(
      p.RunUntil([&] { return p.a.engine->ike_sa_count() == 0 && p.b.engine->ike_sa_count() == 0; }, 10s))
      << p.DumpLogs();
  EXPECT_EQ(p.a.installer.installed_count(), 0u);
  EXPECT_EQ(p.b.installer.installed_count(), 0u);
  EXPECT_EQ(p.StatusOf(p.a).state, ConnectionState::kNotConnected);
  EXPECT_EQ(p.StatusOf(p.b).state, ConnectionState::kNotConnected);
  p.RunFor(60s);  // terminated: no reconnect
  EXPECT_EQ(p.a.engine->ike_sa_count(), 0u);
}

// Requests A sent on its established IKE SA after `from` (its index among A's sends): INFORMATIONAL
// liveness checks are empty, so an INFORMATIONAL request is a check or a Delete.
int RequestsFromA(const EnginePair& p, wire::ExchangeType exchange, int after_index) {
  int n = 0;
  for (const auto& ev : p.wire.sent) {
    if (ev.from_side != 0 || ev.index <= after_index) continue;
    auto h = wire::ParseHeader(ev.datagram.bytes);
    if (h && !h->response && h->exchange == exchange) ++n;
  }
  return n;
}

// Peer vanishes (Azure's semantics: dead once dpd_timeout passed without a packet from it). After a
// third of the timeout of silence A checks liveness, HDR, SK { } -->, sends it again every sixth
// (four sends in all), and at the timeout the IKE SA is dead and its CHILD SAs are removed — not after
// the general retransmission schedule (4 s x 1.8^n, ~165 s).
TEST(Exchange, DpdTimeout) {
  Scenario s;
  s.dpd = 10s;
  s.reconnect_delay = 1000s;
  EnginePair p(s);
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s));
  const TimePoint vanished = p.clock.Now();  // B's IKE_AUTH response, its last packet, just arrived
  const int sent_before = p.wire.sent_by[0];
  p.wire.cut[1] = true;  // B sends nothing any more
  ASSERT_TRUE(p.RunUntil([&] { return p.StatusOf(p.a).state == ConnectionState::kNotConnected; }, 200s))
      << p.DumpLogs();
  const Duration took = p.clock.Now() - vanished;
  EXPECT_GE(took, 10s - 20ms) << p.DumpLogs();
  EXPECT_LE(took, 10s) << p.DumpLogs();
  EXPECT_EQ(RequestsFromA(p, wire::ExchangeType::kInformational, sent_before), 4) << p.DumpLogs();
  EXPECT_EQ(p.a.installer.installed_count(), 0u);
  EXPECT_NE(p.StatusOf(p.a).last_error.find("dpd_timeout (10 s)"), std::string::npos)
      << p.StatusOf(p.a).last_error;
}

// The peer vanishes while another exchange of ours is in flight (a CHILD rekey, on the general
// schedule: 4 s, then 7.2 s): it holds the window, so no liveness check can start, and the IKE SA is
// dead at dpd_timeout all the same.
TEST(Exchange, DpdDeadlineWhileAnotherExchangeWaits) {
  Scenario s;
  s.dpd = 10s;
  s.reconnect_delay = 1000s;
  s.child_life = {31s, 10s, 0s};  // A's CHILD rekey starts 21 s in
  s.b_child_life = LifetimeConfig{1000s, 10s, 0s};
  EnginePair p(s);
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s));
  const int sent_before = p.wire.sent_by[0];
  // Idle: liveness checks every 10/3 s, answered; until the rekey request, the last one B answers.
  ASSERT_TRUE(
      p.RunUntil([&] { return RequestsFromA(p, wire::ExchangeType::kCreateChildSa, sent_before) == 1; }, 30s))
      << p.DumpLogs();
  EXPECT_GE(RequestsFromA(p, wire::ExchangeType::kInformational, sent_before), 5) << p.DumpLogs();
  EXPECT_TRUE(p.Connected(p.a));
  const TimePoint cut = p.clock.Now();
  p.wire.cut[1] = true;
  ASSERT_TRUE(p.RunUntil([&] { return p.StatusOf(p.a).state == ConnectionState::kNotConnected; }, 200s))
      << p.DumpLogs();
  // B's last packet answered the last liveness check, at most 10/3 s before the rekey went out.
  EXPECT_LE(p.clock.Now() - cut, 10s) << p.DumpLogs();
  EXPECT_GE(p.clock.Now() - cut, 10s - 3400ms) << p.DumpLogs();
  EXPECT_TRUE(LogHas(p.a, "no packet from the peer for dpd_timeout (10 s)")) << p.DumpLogs();
  EXPECT_EQ(RequestsFromA(p, wire::ExchangeType::kCreateChildSa, sent_before), 2) << p.DumpLogs();
}

// An idle tunnel with a live peer: liveness checks come and are answered; the SAs stay.
TEST(Exchange, DpdIdleTunnelStaysUp) {
  Scenario s;
  s.dpd = 9s;
  EnginePair p(s);
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s));
  const auto before = p.StatusOf(p.a);
  const int sent_before = p.wire.sent_by[0];
  p.RunFor(60s);
  EXPECT_TRUE(p.Connected(p.a));
  EXPECT_TRUE(p.Connected(p.b));
  EXPECT_EQ(p.StatusOf(p.a).ike_spi_i, before.ike_spi_i);
  EXPECT_EQ(p.StatusOf(p.a).ike_retransmits.sent, 0u);
  // Both ends check (B too: it has the same dpd_timeout), so each sees the other's checks as traffic:
  // about one check per 3 s between them.
  EXPECT_GE(RequestsFromA(p, wire::ExchangeType::kInformational, sent_before), 5);
  EXPECT_LE(RequestsFromA(p, wire::ExchangeType::kInformational, sent_before), 21);
}

// ESP from the peer is activity too: no liveness check while it arrives.
TEST(Exchange, DpdQuietWhileEspArrives) {
  Scenario s;
  s.dpd = 9s;
  EnginePair p(s);
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s));
  const int sent_before = p.wire.sent_by[0];
  const auto in_a = p.StatusOf(p.a).children.at(0).inbound_spi;
  for (int i = 0; i < 30; ++i) {
    p.a.installer.SetUsage(in_a, ipsec::Direction::kInbound, ipsec::SaUsage{1, 1, {}, p.clock.Now()});
    p.RunFor(1s);
  }
  EXPECT_EQ(RequestsFromA(p, wire::ExchangeType::kInformational, sent_before), 0) << p.DumpLogs();
  EXPECT_TRUE(p.Connected(p.a));
}

// No answer at all: IKE_SA_INIT is retransmitted with backoff, then given up (§2.1).
TEST(Exchange, RetransmitGiveUp) {
  Scenario s;
  s.engine.retransmit = {1s, 2.0, 3};
  s.reconnect_delay = 1000s;
  EnginePair p(s);
  p.wire.cut[1] = true;
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.a.engine->ike_sa_count() == 0; }, 60s)) << p.DumpLogs();
  EXPECT_EQ(p.wire.sent_by[0], 4);  // first send + 3 retransmissions
  EXPECT_EQ(p.clock.Now() - (TimePoint{} + std::chrono::hours(1)), 15s);
  EXPECT_EQ(p.StatusOf(p.a).state, ConnectionState::kNotConnected);
  EXPECT_NE(p.StatusOf(p.a).last_error.find("retransmissions"), std::string::npos);
}

// HDR, SK { IDi, AUTH(wrong key), SA, TSi, TSr }  -->   <--  HDR, SK { N(AUTHENTICATION_FAILED) }
TEST(Exchange, WrongPsk) {
  Scenario s;
  s.b_psk = "not the same key";
  s.reconnect_delay = 1000s;
  EnginePair p(s);
  p.a.engine->Start();
  p.RunFor(10s);
  EXPECT_EQ(p.a.installer.installed_count(), 0u);
  EXPECT_EQ(p.b.installer.installed_count(), 0u);
  EXPECT_EQ(p.b.installer.CallsOf(ipsec::RecordingSaInstaller::CallKind::kAllocateSpi).size(), 0u);
  // The initiator's reserved SPI went back.
  EXPECT_EQ(p.a.installer.CallsOf(ipsec::RecordingSaInstaller::CallKind::kReleaseSpi).size(), 1u);
  EXPECT_EQ(p.StatusOf(p.a).last_error, "AUTHENTICATION_FAILED") << p.DumpLogs();
  EXPECT_EQ(p.StatusOf(p.a).state, ConnectionState::kNotConnected);
  EXPECT_EQ(p.b.engine->ike_sa_count(), 0u);
  EXPECT_EQ(p.a.engine->ike_sa_count(), 0u);
}

// HDR, SA(aes128gcm16), KEi, Ni  -->   <--  HDR, N(NO_PROPOSAL_CHOSEN)
TEST(Exchange, NoCommonProposal) {
  Scenario s;
  s.a_ike = "aes128gcm16-prfsha256-ecp256";
  s.b_ike = "aes256gcm16-prfsha384-ecp384";
  s.reconnect_delay = 1000s;
  EnginePair p(s);
  p.a.engine->Start();
  p.RunFor(5s);
  ASSERT_EQ(p.wire.sent.size(), 2u);
  auto refusal = wire::ParseMessage(p.wire.sent[1].datagram.bytes);
  ASSERT_TRUE(refusal);
  EXPECT_NE(refusal->FindNotify(wire::NotifyType::kNoProposalChosen), nullptr);
  EXPECT_EQ(p.StatusOf(p.a).last_error, "NO_PROPOSAL_CHOSEN");
  EXPECT_EQ(p.b.engine->ike_sa_count(), 0u);  // nothing kept
}

// ESP proposals do not match: IKE_AUTH answers N(NO_PROPOSAL_CHOSEN); no CHILD SA, and the initiator
// closes the IKE SA that would carry no traffic.
TEST(Exchange, NoCommonEspProposal) {
  Scenario s;
  s.a_esp = "aes128gcm16";
  s.b_esp = "chacha20poly1305";
  s.reconnect_delay = 1000s;
  EnginePair p(s);
  p.a.engine->Start();
  p.RunFor(5s);
  EXPECT_EQ(p.a.installer.installed_count(), 0u);
  EXPECT_EQ(p.b.installer.installed_count(), 0u);
  EXPECT_EQ(p.StatusOf(p.a).last_error, "NO_PROPOSAL_CHOSEN") << p.DumpLogs();
  EXPECT_EQ(p.a.engine->ike_sa_count(), 0u);
  EXPECT_EQ(p.b.engine->ike_sa_count(), 0u);
}

// B restarts (kill -9: all its state is gone) under an established IKE SA. A's next liveness check
// reaches a B that knows no such SA, which answers (RFC 7296 §2.21.4)
//                                  <--  HDR(same SPIs and Message ID, R), N(INVALID_IKE_SPI)  (no SK)
// Unauthenticated, so A changes no state for it (the SA stays Connected, the check goes on, sooner);
// the SA is dead at dpd_timeout after B's last packet, and since something answered at B's address A
// initiates again at once rather than after its reconnect delay.
TEST(Exchange, PeerRestartAnswersInvalidIkeSpiAndComesBack) {
  Scenario s;
  s.dpd = 10s;
  s.reconnect_delay = 30s;
  EnginePair p(s);
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s));
  const auto old_spi = p.StatusOf(p.a).ike_spi_i;
  const TimePoint restart = p.clock.Now();
  p.b.engine.reset();
  p.b.installer = ipsec::RecordingSaInstaller(0xb1000001);
  p.b.engine = std::make_unique<Engine>(p.scenario.engine, std::vector{MakeConnection(p.scenario, false)},
                                        p.clock, p.b.rng, p.b.installer);
  const int b_sent = p.wire.sent_by[1];
  p.RunFor(9s);
  EXPECT_TRUE(p.Connected(p.a)) << p.DumpLogs();  // a hint, not a verdict
  EXPECT_EQ(p.StatusOf(p.a).ike_spi_i, old_spi);
  EXPECT_TRUE(LogHas(p.a, "INVALID_IKE_SPI")) << p.DumpLogs();
  int answers = 0;
  for (const auto& ev : p.wire.sent) {
    if (ev.from_side != 1 || ev.index <= b_sent) continue;
    auto m = wire::ParseMessage(ev.datagram.bytes);
    ASSERT_TRUE(m);
    EXPECT_TRUE(m->header.response);
    EXPECT_FALSE(m->header.initiator);  // B was the responder of that IKE SA
    EXPECT_EQ(m->header.initiator_spi, old_spi);
    EXPECT_EQ(m->encrypted(), nullptr);
    ASSERT_EQ(m->payloads.size(), 1u);
    EXPECT_NE(m->FindNotify(wire::NotifyType::kInvalidIkeSpi), nullptr);
    ++answers;
  }
  EXPECT_GE(answers, 1);
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s)) << p.DumpLogs();
  EXPECT_LE(p.clock.Now() - restart, 10s + 200ms) << p.DumpLogs();  // no 30 s reconnect delay
  EXPECT_NE(p.StatusOf(p.a).ike_spi_i, old_spi);
  EXPECT_EQ(p.a.engine->ike_sa_count(), 1u);
  EXPECT_EQ(CheckCrosswise(p.a.installer, p.b.installer), "");
}

// An initiator-mode connection whose peer died comes back once the peer does.
TEST(Exchange, ReconnectAfterDeadPeer) {
  Scenario s;
  s.dpd = 10s;
  s.engine.retransmit = {1s, 2.0, 2};
  s.reconnect_delay = 5s;
  EnginePair p(s);
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s));
  p.wire.cut[1] = true;
  ASSERT_TRUE(p.RunUntil([&] { return p.StatusOf(p.a).state != ConnectionState::kConnected; }, 60s));
  p.wire.cut[1] = false;
  ASSERT_TRUE(p.RunUntil(
      [&] { return p.Connected(p.a) && p.Connected(p.b) && p.b.engine->ike_sa_count() == 1; }, 120s))
      << p.DumpLogs();
  EXPECT_EQ(CheckCrosswise(p.a.installer, p.b.installer), "");
}

}  // namespace
}  // namespace isthmus::ike::testing
