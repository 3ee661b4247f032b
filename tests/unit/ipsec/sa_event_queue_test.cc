#include <thread>

#include <gtest/gtest.h>

#include "ipsec/sa_event.h"

namespace isthmus::ipsec {
namespace {

SaEvent Ev(std::uint32_t spi, SaEventKind kind = SaEventKind::kHardExpire) {
  SaEvent e;
  e.kind = kind;
  e.spi = spi;
  return e;
}

TEST(SaEventQueue, DrainsInOrderAndEmpties) {
  SaEventQueue q;
  EXPECT_TRUE(q.Push(Ev(1)));
  EXPECT_TRUE(q.Push(Ev(2, SaEventKind::kIdle)));
  EXPECT_EQ(q.size(), 2u);
  auto got = q.Drain();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].spi, 1u);
  EXPECT_EQ(got[1].kind, SaEventKind::kIdle);
  EXPECT_TRUE(q.Drain().empty());
}

TEST(SaEventQueue, CountsWhatOverflowsInsteadOfGrowing) {
  SaEventQueue q(2);
  EXPECT_TRUE(q.Push(Ev(1)));
  EXPECT_TRUE(q.Push(Ev(2)));
  EXPECT_FALSE(q.Push(Ev(3)));
  EXPECT_EQ(q.dropped(), 1u);
  EXPECT_EQ(q.Drain().size(), 2u);
  EXPECT_TRUE(q.Push(Ev(4)));  // room again after a drain
}

TEST(SaEventQueue, ConcurrentProducersLoseNothingBelowCapacity) {
  SaEventQueue q(10000);
  std::vector<std::thread> producers;
  for (std::uint32_t t = 0; t < 4; ++t) {
    producers.emplace_back([&q, t] {
      for (std::uint32_t i = 0; i < 1000; ++i) q.Push(Ev(t * 1000 + i));
    });
  }
  for (auto& p : producers) p.join();
  auto got = q.Drain();
  EXPECT_EQ(got.size(), 4000u);
  EXPECT_EQ(q.dropped(), 0u);
}

TEST(SaEventKindName, NamesEveryKind) {
  EXPECT_EQ(SaEventKindName(SaEventKind::kSoftExpire), "soft-expire");
  EXPECT_EQ(SaEventKindName(SaEventKind::kHardExpire), "hard-expire");
  EXPECT_EQ(SaEventKindName(SaEventKind::kFirstUse), "first-use");
  EXPECT_EQ(SaEventKindName(SaEventKind::kIdle), "idle");
}

}  // namespace
}  // namespace isthmus::ipsec
