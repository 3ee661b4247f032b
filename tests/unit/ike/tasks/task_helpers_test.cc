// Unit tests of the task helpers: §2.9 narrowing, §2.8.1 nonce order, §2.23 NAT-D, §2.1 backoff.
#include <gtest/gtest.h>

#include "ike/tasks/child_setup.h"
#include "ike/tasks/natd.h"
#include "ike/tasks/task.h"

namespace isthmus::ike::tasks {
namespace {

net::Prefix P(const char* s) {
  return *net::Prefix::Parse(s);
}

TEST(TrafficSelectors, NarrowsToIntersection) {
  auto r = NarrowSelectors({P("10.0.0.0/8")}, {P("10.2.0.0/16"), P("192.168.0.0/24")});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], P("10.2.0.0/16"));
  EXPECT_EQ(NarrowSelectors({P("10.2.1.0/24")}, {P("10.2.0.0/16")}), std::vector{P("10.2.1.0/24")});
  EXPECT_TRUE(NarrowSelectors({P("10.9.0.0/16")}, {P("10.2.0.0/16")}).empty());
}

TEST(TrafficSelectors, RoundTripThroughTsPayload) {
  std::vector<net::Prefix> v{P("10.1.0.0/16"), P("172.16.4.0/22")};
  EXPECT_EQ(FromTsPayload(ToTsPayload(v)), v);
  EXPECT_TRUE(WithinSelectors({P("10.1.2.0/24")}, {P("10.1.0.0/16")}));
  EXPECT_FALSE(WithinSelectors({P("10.0.0.0/8")}, {P("10.1.0.0/16")}));
}

TEST(Nonces, ComparedAsNumbers) {
  wire::Bytes a{0x00, 0xff}, b{0x01, 0x00}, c{0xff};
  EXPECT_TRUE(NonceLess(a, b));
  EXPECT_FALSE(NonceLess(b, a));
  EXPECT_TRUE(NonceLess(c, b));  // 0x00ff < 0x0100
  EXPECT_EQ(&MinNonce(a, b), &a);
}

TEST(Natd, DetectsTranslationAndForcing) {
  SeededRng rng(1);
  Endpoint l{*net::IpAddress::Parse("198.18.0.1"), 500};
  Endpoint r{*net::IpAddress::Parse("198.18.0.2"), 500};
  wire::Message m;
  m.header.initiator_spi = 42;
  for (auto& n : NatdNotifies(42, 0, r, l, false, rng)) m.payloads.push_back(n);
  // Sent by r to l, checked at l: no NAT.
  auto ok = CheckNatd(m, l, r);
  EXPECT_TRUE(ok.present);
  EXPECT_FALSE(ok.nat_here);
  EXPECT_FALSE(ok.nat_there);
  wire::Message forced;
  forced.header.initiator_spi = 42;
  for (auto& n : NatdNotifies(42, 0, r, l, true, rng)) forced.payloads.push_back(n);
  EXPECT_TRUE(CheckNatd(forced, l, r).nat_there);
}

TEST(Lifetimes, SoftBeforeHardWithJitter) {
  SeededRng rng(7);
  TimePoint now{};
  LifetimeConfig lt{std::chrono::seconds(3600), std::chrono::seconds(300), std::chrono::seconds(60)};
  for (int i = 0; i < 50; ++i) {
    TimePoint soft = SoftDeadline(now, lt, rng);
    EXPECT_LE(soft, now + std::chrono::seconds(3300));
    EXPECT_GT(soft, now + std::chrono::seconds(3240));
  }
  EXPECT_EQ(SoftDeadline(now, LifetimeConfig{}, rng), TimePoint::max());
}

}  // namespace
}  // namespace isthmus::ike::tasks
