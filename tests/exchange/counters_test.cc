// What the engine counts for operators (docs/gateway.md, `status`): RFC 7296 §2.1 retransmissions per
// connection, sent and answered from the response cache, across rekeys, give-ups and reconnects; and
// the responder's half-open IKE SAs with the §2.6 COOKIE demands and max_half_open drops. Every figure
// is checked exactly, against a wire that drops chosen datagrams.
#include <set>

#include <gtest/gtest.h>

#include "simulated_wire.h"

namespace isthmus::ike::testing {
namespace {

RetransmitCounts Retransmits(const EnginePair& p, const Side& s) {
  return p.StatusOf(s).ike_retransmits;
}

// HDR, SA, KEi, Ni  -->                 (A#1)
//                   X--  HDR, SA, KEr, Nr   (B#1, lost)
// HDR, SA, KEi, Ni  -->                 (A#2, +1 s: sent 1)
//                   X--  the same, from B's cache (B#2, lost: answered 1)
// HDR, SA, KEi, Ni  -->                 (A#3, +2 s: sent 2)
//                  <--  the same, from B's cache (B#3: answered 2)
// HDR, SK { IDi, AUTH, SA, TSi, TSr }  -->   (A#4)
//                   X--  HDR, SK { IDr, AUTH, SA, TSi, TSr }  (B#4, lost)
// HDR, SK { IDi, AUTH, SA, TSi, TSr }  -->   (A#5, +1 s: sent 3)
//                  <--  the same, from B's cache (B#5: answered 3)
TEST(Exchange, LostResponsesAreRetransmittedAndCountedOnBothSides) {
  Scenario s;
  s.engine.retransmit = {1s, 2.0, 3};
  EnginePair p(s);
  const std::set<int> lost{1, 2, 4};
  p.wire.drop_rule = [&](const WireEvent& e) { return e.from_side == 1 && lost.contains(e.index); };
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 30s)) << p.DumpLogs();
  EXPECT_EQ(p.wire.sent_by[0], 5);
  EXPECT_EQ(p.wire.sent_by[1], 5);
  EXPECT_EQ(Retransmits(p, p.a), (RetransmitCounts{3, 0}));
  EXPECT_EQ(Retransmits(p, p.b), (RetransmitCounts{0, 3}));
  // Nothing further is retransmitted once both are up.
  p.RunFor(60s);
  EXPECT_EQ(Retransmits(p, p.a), (RetransmitCounts{3, 0}));
  EXPECT_EQ(Retransmits(p, p.b), (RetransmitCounts{0, 3}));
  // A clean establishment counts nothing.
  EnginePair clean(s);
  clean.a.engine->Start();
  ASSERT_TRUE(clean.RunUntil([&] { return clean.Connected(clean.a) && clean.Connected(clean.b); }, 10s));
  EXPECT_EQ(Retransmits(clean, clean.a), (RetransmitCounts{}));
  EXPECT_EQ(Retransmits(clean, clean.b), (RetransmitCounts{}));
}

// The counts belong to the connection, not to an IKE SA: the CREATE_CHILD_SA that rekeys the IKE SA is
// retransmitted on the old IKE SA, which is deleted afterwards; its counts stay.
// CREATE_CHILD_SA { SA(IKE), Ni, KEi }  -->   X--  { SA(IKE), Nr, KEr }   (lost)
// CREATE_CHILD_SA { SA(IKE), Ni, KEi }  -->  <--  the same, from B's cache
// INFORMATIONAL { D(IKE) } (old IKE SA)  -->  <--  INFORMATIONAL { }
TEST(Exchange, RetransmitCountsSurviveAnIkeRekey) {
  Scenario s;
  s.engine.retransmit = {1s, 2.0, 3};
  s.ike_life = {100s, 10s, 0s};
  s.b_ike_life = LifetimeConfig{1000s, 10s, 0s};
  EnginePair p(s);
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s));
  const std::uint64_t old_spi = p.StatusOf(p.a).ike_spi_i;
  const int rekey_response = p.wire.sent_by[1] + 1;  // B sends nothing else before it
  p.wire.drop_rule = [&](const WireEvent& e) { return e.from_side == 1 && e.index == rekey_response; };
  ASSERT_TRUE(p.RunUntil(
      [&] {
        return p.StatusOf(p.a).ike_rekeys == 1 && p.a.engine->ike_sa_count() == 1 &&
               p.b.engine->ike_sa_count() == 1;
      },
      120s))
      << p.DumpLogs();
  EXPECT_NE(p.StatusOf(p.a).ike_spi_i, old_spi);
  EXPECT_EQ(Retransmits(p, p.a), (RetransmitCounts{1, 0})) << p.DumpLogs();
  EXPECT_EQ(Retransmits(p, p.b), (RetransmitCounts{0, 1})) << p.DumpLogs();
}

// A dead peer: 3 retransmissions, give up, reconnect, 3 more. The SAs are gone; the counts add up.
TEST(Exchange, RetransmitCountsSurviveGiveUpAndReconnect) {
  Scenario s;
  s.engine.retransmit = {1s, 2.0, 3};
  s.reconnect_delay = 5s;
  EnginePair p(s);
  p.wire.cut[1] = true;
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.a.engine->ike_sa_count() == 0; }, 60s)) << p.DumpLogs();
  EXPECT_EQ(Retransmits(p, p.a), (RetransmitCounts{3, 0}));
  ASSERT_TRUE(p.RunUntil([&] { return p.a.engine->ike_sa_count() == 1; }, 10s)) << p.DumpLogs();
  ASSERT_TRUE(p.RunUntil([&] { return p.a.engine->ike_sa_count() == 0; }, 60s)) << p.DumpLogs();
  EXPECT_EQ(Retransmits(p, p.a), (RetransmitCounts{6, 0}));
  EXPECT_EQ(p.wire.sent_by[0], 8);  // 2 x (first send + 3 retransmissions)
  // All 8 reached B: 2 IKE_SA_INIT requests that opened half-open SAs, and 6 retransmissions answered
  // from those SAs' caches (the answers were lost).
  EXPECT_EQ(Retransmits(p, p.b), (RetransmitCounts{0, 6}));
}

// B with cookie_threshold 2 and max_half_open 3, fed IKE_SA_INIT requests of distinct initiators
// (A's request with another SPIi each):
//   #1, #2                 --> full responses: half_open 1, 2
//   #3                     --> <-- N(COOKIE)            cookies_sent 1
//   N(COOKIE), #3          --> full response: half_open 3
//   #4, #5                 --> nothing                  init_dropped 1, 2
//   #1 again               --> the cached response      (a retransmission: neither)
// then the half-open SAs time out: half_open 0, the counters stay, and #6 gets a full response.
TEST(Exchange, HalfOpenCookiesAndDropsAreCounted) {
  Scenario s;
  s.b_cookie_threshold = 2;
  s.engine.max_half_open = 3;
  EnginePair p(s);
  p.a.engine->Start();
  auto out = p.a.engine->TakeOutbox();
  ASSERT_EQ(out.size(), 1u);
  const Datagram request = out[0];
  auto parsed = wire::ParseMessage(request.bytes);
  ASSERT_TRUE(parsed);
  auto from_initiator = [&](std::uint64_t spi_i, const wire::Bytes* cookie = nullptr) {
    wire::Message m = *parsed;
    m.header.initiator_spi = spi_i;
    if (cookie) {
      m.payloads.insert(m.payloads.begin(),
                        wire::Payload::Of(wire::NotifyPayload::Of(wire::NotifyType::kCookie, *cookie)));
    }
    return *wire::SerializeMessage(m);
  };
  Engine& b = *p.b.engine;
  auto feed = [&](const wire::Bytes& bytes) {
    b.Receive(p.clock.Now(), request.to, request.from, bytes);
    return b.TakeOutbox();
  };
  auto is_cookie_demand = [](const Datagram& d) {
    auto m = wire::ParseMessage(d.bytes);
    return m && m->FindNotify(wire::NotifyType::kCookie) != nullptr && m->header.responder_spi == 0;
  };
  auto dos = [&] { return b.dos_status(); };
  EXPECT_EQ(dos().half_open, 0u);

  const wire::Bytes first = from_initiator(0x1001);
  auto r1 = feed(first);
  ASSERT_EQ(r1.size(), 1u);
  EXPECT_FALSE(is_cookie_demand(r1[0]));
  ASSERT_EQ(feed(from_initiator(0x1002)).size(), 1u);
  EXPECT_EQ(dos().half_open, 2u);
  EXPECT_EQ(dos().cookies_sent, 0u);

  const wire::Bytes third = from_initiator(0x1003);
  auto demand = feed(third);
  ASSERT_EQ(demand.size(), 1u);
  ASSERT_TRUE(is_cookie_demand(demand[0]));
  EXPECT_EQ(dos().cookies_sent, 1u);
  EXPECT_EQ(dos().half_open, 2u);  // no state for it
  const wire::Bytes cookie = wire::ParseMessage(demand[0].bytes)->FindNotify(wire::NotifyType::kCookie)->data;
  auto r3 = feed(from_initiator(0x1003, &cookie));
  ASSERT_EQ(r3.size(), 1u);
  EXPECT_FALSE(is_cookie_demand(r3[0]));
  EXPECT_EQ(dos().half_open, 3u);
  EXPECT_EQ(dos().cookies_sent, 1u);  // a retry that passes is not a demand

  EXPECT_TRUE(feed(from_initiator(0x1004)).empty());
  EXPECT_TRUE(feed(from_initiator(0x1005)).empty());
  EXPECT_EQ(dos().init_dropped, 2u);
  EXPECT_EQ(dos().half_open, 3u);
  EXPECT_EQ(dos().cookies_sent, 1u);  // max_half_open comes first: no cookie for those

  // #1 again: answered from the half-open SA's cache, byte for byte; not a drop, not a demand.
  auto again = feed(first);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].bytes, r1[0].bytes);
  EXPECT_EQ(dos().init_dropped, 2u);
  EXPECT_EQ(dos().cookies_sent, 1u);
  // Not yet authenticated, it counts for the connection IKE_SA_INIT was answered for.
  EXPECT_EQ(Retransmits(p, p.b), (RetransmitCounts{0, 1}));

  p.clock.Advance(s.engine.half_open_timeout + 1s);
  b.Tick(p.clock.Now());
  EXPECT_EQ(dos().half_open, 0u);
  EXPECT_EQ(dos().cookies_sent, 1u);
  EXPECT_EQ(dos().init_dropped, 2u);
  EXPECT_EQ(Retransmits(p, p.b), (RetransmitCounts{0, 1}));  // the SA went, its count stayed
  auto r6 = feed(from_initiator(0x1006));
  ASSERT_EQ(r6.size(), 1u);
  EXPECT_FALSE(is_cookie_demand(r6[0]));
  EXPECT_EQ(dos().half_open, 1u);
}

// The real initiator's round trip through a COOKIE demand (threshold 0) counts exactly one demand, and
// once established no SA is half open.
TEST(Exchange, CookieChallengeCountsOneDemand) {
  Scenario s;
  s.b_cookie_threshold = 0;
  EnginePair p(s);
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s)) << p.DumpLogs();
  const DosStatus dos = p.b.engine->dos_status();
  EXPECT_EQ(dos.cookies_sent, 1u);
  EXPECT_EQ(dos.init_dropped, 0u);
  EXPECT_EQ(dos.half_open, 0u);
  EXPECT_EQ(p.a.engine->dos_status().cookies_sent, 0u);
  EXPECT_EQ(Retransmits(p, p.a), (RetransmitCounts{}));  // a COOKIE retry is not a retransmission
}

}  // namespace
}  // namespace isthmus::ike::testing
