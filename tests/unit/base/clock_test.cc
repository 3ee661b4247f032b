#include "base/clock.h"

#include <gtest/gtest.h>

namespace isthmus {
namespace {

TEST(ManualClock, MovesOnlyWhenAdvanced) {
  ManualClock c;
  auto t0 = c.Now();
  EXPECT_EQ(c.Now(), t0);
  c.Advance(std::chrono::seconds(3));
  EXPECT_EQ(c.Now() - t0, std::chrono::seconds(3));
}

TEST(SeededRng, SameSeedSameStream) {
  SeededRng a(42), b(42), c(43);
  EXPECT_EQ(a.NextU64(), b.NextU64());
  EXPECT_NE(a.NextU64(), c.NextU64());
}

}  // namespace
}  // namespace isthmus
