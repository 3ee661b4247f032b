// IKE_SA_INIT + IKE_AUTH + first CHILD SA between two engines (RFC 7296 §1.2).
#include <gtest/gtest.h>

#include "simulated_wire.h"

namespace isthmus::ike::testing {
namespace {

// HDR, SA, KEi, Ni, N(NAT_D_SRC), N(NAT_D_DST)  -->
//                                <--  HDR, SA, KEr, Nr, N(NAT_D_SRC), N(NAT_D_DST)
// HDR, SK { IDi, N(INITIAL_CONTACT), IDr, AUTH, SA, TSi, TSr }  -->
//                                <--  HDR, SK { IDr, AUTH, SA, TSi, TSr }
TEST(Exchange, Establishment) {
  EnginePair p(Scenario{});
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s)) << p.DumpLogs();
  EXPECT_EQ(p.wire.sent.size(), 4u);  // exactly two exchanges
  auto sa = p.StatusOf(p.a);
  auto sb = p.StatusOf(p.b);
  EXPECT_EQ(sa.ike_spi_i, sb.ike_spi_i);
  EXPECT_EQ(sa.ike_spi_r, sb.ike_spi_r);
  EXPECT_TRUE(sa.initiator);
  EXPECT_FALSE(sb.initiator);
  EXPECT_EQ(sa.ike_algorithms, "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256");
  ASSERT_EQ(sa.children.size(), 1u);
  ASSERT_EQ(sb.children.size(), 1u);
  EXPECT_EQ(sa.children[0].inbound_spi, sb.children[0].outbound_spi);
  EXPECT_EQ(sa.children[0].outbound_spi, sb.children[0].inbound_spi);
  EXPECT_EQ(p.a.installer.installed_count(), 2u);
  EXPECT_EQ(p.b.installer.installed_count(), 2u);
  EXPECT_EQ(CheckCrosswise(p.a.installer, p.b.installer), "");
  // Inbound before outbound on both sides (make-before-break).
  for (Side* s : {&p.a, &p.b}) {
    auto adds = s->installer.CallsOf(ipsec::RecordingSaInstaller::CallKind::kAddSa);
    ASSERT_EQ(adds.size(), 2u);
    EXPECT_EQ(adds[0].direction, ipsec::Direction::kInbound);
    EXPECT_EQ(adds[1].direction, ipsec::Direction::kOutbound);
  }
  // No NAT and nothing forced: port 500, no UDP encapsulation.
  EXPECT_FALSE(sa.udp_encapsulated);
  EXPECT_EQ(p.wire.sent.back().datagram.to.port, 500);
}

// strongSwan's `encap = yes`: a faked NAT-D source hash moves IKE to port 4500 and the CHILD SAs to
// UDP encapsulation (RFC 7296 §2.23, RFC 3948).
TEST(Exchange, ForcedEncapsulationSwitchesToPort4500) {
  Scenario s;
  s.force_encap = true;
  EnginePair p(s);
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s)) << p.DumpLogs();
  ASSERT_EQ(p.wire.sent.size(), 4u);
  EXPECT_EQ(p.wire.sent[2].datagram.to.port, kNatTPort);
  EXPECT_EQ(p.wire.sent[2].datagram.from.port, kNatTPort);
  // Non-ESP marker in front of the IKE header.
  EXPECT_EQ(p.wire.sent[2].datagram.bytes[0], 0);
  EXPECT_EQ(p.wire.sent[3].datagram.from.port, kNatTPort);
  for (Side* side : {&p.a, &p.b}) {
    for (const auto& spec : side->installer.Installed(ipsec::Direction::kOutbound)) {
      EXPECT_TRUE(spec.encap.enabled);
      EXPECT_EQ(spec.encap.remote_port, kNatTPort);
    }
  }
  EXPECT_TRUE(p.StatusOf(p.b).udp_encapsulated);
}

// Drops, reorders, duplicates and corrupts datagrams; retransmissions (§2.1) and the response cache
// (§2.2) still converge to exactly one IKE SA and one CHILD SA pair, within bounded simulated time.
TEST(Exchange, EstablishmentOverLossyWire) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Scenario s;
    s.engine.retransmit = {500ms, 1.5, 8};
    EnginePair p(s, seed);
    p.wire.faults.drop = 0.2;
    p.wire.faults.duplicate = 0.2;
    p.wire.faults.corrupt = 0.1;
    p.wire.faults.reorder = 0.3;
    p.a.engine->Start();
    ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 120s))
        << "seed " << seed << "\n"
        << p.DumpLogs();
    // Let stragglers arrive: nothing changes afterwards. A corrupted copy of IKE_SA_INIT (its SPI or
    // nonce changed, which nothing protects) leaves a half-open SA on B that only the half-open timeout
    // removes: INITIAL_CONTACT replaces authenticated SAs of the connection, not half-open ones, which
    // may belong to another connection to the same address (peer_identity_test.cc).
    p.wire.faults = {};
    p.RunFor(s.engine.half_open_timeout + 5s);
    EXPECT_EQ(p.a.installer.installed_count(), 2u) << "seed " << seed;
    EXPECT_EQ(p.b.installer.installed_count(), 2u) << "seed " << seed;
    EXPECT_EQ(CheckCrosswise(p.a.installer, p.b.installer), "") << "seed " << seed;
    EXPECT_EQ(p.a.engine->ike_sa_count(), 1u) << "seed " << seed << "\n" << p.DumpLogs();
    EXPECT_EQ(p.b.engine->ike_sa_count(), 1u) << "seed " << seed << "\n" << p.DumpLogs();
  }
}

// Responder over its half-open threshold (here 0: always) demands a cookie (§2.6):
// HDR, SA, KEi, Ni  -->   <-- HDR, N(COOKIE)   HDR, N(COOKIE), SA, KEi, Ni  -->   <-- HDR, SA, KEr, Nr
TEST(Exchange, CookieChallenge) {
  Scenario s;
  s.b_cookie_threshold = 0;
  EnginePair p(s);
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s)) << p.DumpLogs();
  ASSERT_EQ(p.wire.sent.size(), 6u);
  auto first_response = wire::ParseMessage(p.wire.sent[1].datagram.bytes);
  ASSERT_TRUE(first_response);
  ASSERT_NE(first_response->FindNotify(wire::NotifyType::kCookie), nullptr);
  EXPECT_EQ(first_response->header.responder_spi, 0u);  // no state kept
  auto retry = wire::ParseMessage(p.wire.sent[2].datagram.bytes);
  ASSERT_TRUE(retry);
  const auto* n = retry->payloads.front().As<wire::NotifyPayload>();
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->type, wire::NotifyType::kCookie);  // first payload (§2.6)
  EXPECT_EQ(retry->header.message_id, 0u);
}

// The initiator guesses ECP-256, the responder only does Curve25519 (§1.2):
// HDR, SA, KEi(19), Ni -->  <-- HDR, N(INVALID_KE_PAYLOAD, 31)  HDR, SA, KEi(31), Ni -->  <-- HDR, SA, KEr,
// Nr
TEST(Exchange, InvalidKePayloadRetry) {
  Scenario s;
  s.a_ike = "aes256gcm16-prfsha256-ecp256-curve25519";
  s.b_ike = "aes256gcm16-prfsha256-curve25519";
  EnginePair p(s);
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s)) << p.DumpLogs();
  ASSERT_EQ(p.wire.sent.size(), 6u);
  auto refusal = wire::ParseMessage(p.wire.sent[1].datagram.bytes);
  ASSERT_TRUE(refusal);
  const auto* n = refusal->FindNotify(wire::NotifyType::kInvalidKePayload);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->invalid_ke_group(), 31);
  EXPECT_EQ(p.StatusOf(p.a).ike_algorithms, "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519");
}

// §2.9: the initiator proposes 10.1.0.0/16 <-> 10.0.0.0/8; the responder's policy only covers
// 10.2.0.0/16 behind it, so it answers TSr = 10.2.0.0/16.
TEST(Exchange, TrafficSelectorNarrowing) {
  Scenario s;
  s.a_remote = {"10.0.0.0/8"};
  s.b_local = {"10.2.0.0/16"};
  EnginePair p(s);
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s)) << p.DumpLogs();
  auto a = p.StatusOf(p.a);
  ASSERT_EQ(a.children.size(), 1u);
  ASSERT_EQ(a.children[0].remote_prefixes.size(), 1u);
  EXPECT_EQ(a.children[0].remote_prefixes[0].ToString(), "10.2.0.0/16");
  auto out = p.a.installer.Installed(ipsec::Direction::kOutbound);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].selectors.remote[0].prefix.ToString(), "10.2.0.0/16");
}

// No intersection at all: N(TS_UNACCEPTABLE), no CHILD SA on either side.
TEST(Exchange, TrafficSelectorUnacceptable) {
  Scenario s;
  s.a_remote = {"10.9.0.0/16"};
  EnginePair p(s);
  p.a.engine->Start();
  p.RunFor(3s);
  EXPECT_EQ(p.a.installer.installed_count(), 0u);
  EXPECT_EQ(p.b.installer.installed_count(), 0u);
  EXPECT_EQ(p.StatusOf(p.a).last_error, "TS_UNACCEPTABLE") << p.DumpLogs();
}

}  // namespace
}  // namespace isthmus::ike::testing

namespace isthmus::ike::testing {
namespace {

bool IsKeepalive(const WireEvent& e) {
  return e.datagram.bytes.size() == 1 && e.datagram.bytes[0] == 0xff;
}

// RFC 3948 §2.3/§4: with encapsulation (here forced, as behind a NAT), the side that is translated
// sends a one-octet 0xFF datagram to the peer's 4500 every `nat_keepalive` of silence — and none while
// ESP flows; the peer ignores it and nothing else changes.
TEST(Exchange, NatKeepalivesWhileIdleOnly) {
  Scenario s;
  s.force_encap = true;
  s.engine.nat_keepalive = 20s;
  EnginePair p(s);
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s));
  const std::size_t before = p.wire.sent.size();
  p.RunFor(65s);
  int from_a = 0;
  for (std::size_t i = before; i < p.wire.sent.size(); ++i) {
    const WireEvent& e = p.wire.sent[i];
    if (!IsKeepalive(e)) continue;
    if (e.from_side == 0) ++from_a;
    EXPECT_EQ(e.datagram.to.port, kNatTPort);
    EXPECT_EQ(e.datagram.from.port, kNatTPort);
  }
  EXPECT_EQ(from_a, 3) << p.DumpLogs();  // at 20, 40 and 60 s of silence
  EXPECT_TRUE(p.Connected(p.a));
  EXPECT_TRUE(p.Connected(p.b));

  // Outbound ESP in the last interval stands in for a keepalive.
  const std::size_t mark = p.wire.sent.size();
  for (int i = 0; i < 6; ++i) {
    for (const auto& out : p.a.installer.Installed(ipsec::Direction::kOutbound)) {
      ipsec::SaUsage u;
      u.last_used = p.clock.Now();
      p.a.installer.SetUsage(out.spi, ipsec::Direction::kOutbound, u);
    }
    p.RunFor(10s);
  }
  for (std::size_t i = mark; i < p.wire.sent.size(); ++i) {
    EXPECT_FALSE(IsKeepalive(p.wire.sent[i]) && p.wire.sent[i].from_side == 0) << "keepalive while ESP flows";
  }
}

}  // namespace
}  // namespace isthmus::ike::testing

namespace isthmus::ike::testing {
namespace {

// RFC 7296 §2.23: when the NAT in front of A changes its mapping, B follows A's authenticated messages
// to the new port and moves the CHILD SAs' ESP path there (UpdateSa); the SAs themselves stay.
TEST(Exchange, PeerBehindNatMovesAndChildSasFollow) {
  Scenario s;
  s.force_encap = true;
  s.dpd = 10s;
  EnginePair p(s);
  p.wire.nat_a_port = 40000;
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s)) << p.DumpLogs();
  EXPECT_EQ(p.StatusOf(p.b).remote.port, 40000);
  const auto in_b = p.StatusOf(p.b).children.at(0).inbound_spi;
  p.b.installer.ClearCalls();
  p.wire.nat_a_port = 41234;  // the mapping changed
  p.RunFor(15s);              // A's next liveness check comes from the new port
  ASSERT_TRUE(p.Connected(p.a));
  ASSERT_TRUE(p.Connected(p.b));
  EXPECT_EQ(p.StatusOf(p.b).remote.port, 41234);
  EXPECT_EQ(p.StatusOf(p.b).children.at(0).inbound_spi, in_b);  // same SAs
  const auto updates = p.b.installer.CallsOf(ipsec::RecordingSaInstaller::CallKind::kUpdateSa);
  ASSERT_EQ(updates.size(), 2U) << p.DumpLogs();
  for (const auto& u : updates) {
    ASSERT_TRUE(u.update && u.update->encap);
    EXPECT_EQ(u.update->encap->remote_port, 41234);
    EXPECT_TRUE(u.result);
  }
  const auto* out =
      p.b.installer.Find(p.StatusOf(p.b).children.at(0).outbound_spi, ipsec::Direction::kOutbound);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->encap.remote_port, 41234);
  EXPECT_EQ(CheckCrosswise(p.a.installer, p.b.installer), "");
}

}  // namespace
}  // namespace isthmus::ike::testing
