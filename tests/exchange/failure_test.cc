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

// Peer vanishes: after dpd_timeout of silence an empty INFORMATIONAL goes out, is retransmitted
// (1 + 2 + 4 s) and given up (8 s later); the IKE SA is dead and its CHILD SAs are removed.
TEST(Exchange, DpdTimeout) {
  Scenario s;
  s.dpd = 10s;
  s.engine.retransmit = {1s, 2.0, 3};
  s.reconnect_delay = 1000s;
  EnginePair p(s);
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s));
  const TimePoint vanished = p.clock.Now();
  p.wire.cut[1] = true;  // B sends nothing any more
  ASSERT_TRUE(p.RunUntil([&] { return p.StatusOf(p.a).state == ConnectionState::kNotConnected; }, 60s))
      << p.DumpLogs();
  const Duration took = p.clock.Now() - vanished;
  EXPECT_GE(took, 10s + 1s + 2s + 4s + 8s) << p.DumpLogs();
  EXPECT_LE(took, 10s + 1s + 2s + 4s + 8s + 1s);
  EXPECT_EQ(p.a.installer.installed_count(), 0u);
  EXPECT_TRUE(LogHas(p.a, "retransmissions exhausted"));
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
