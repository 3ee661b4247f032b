#include "dataplane/replay/replay_window.h"

#include <set>

#include <gtest/gtest.h>

#include "base/clock.h"

namespace isthmus::dataplane {
namespace {

using V = ReplayWindow::Verdict;

// The obvious implementation: remembers every sequence number. The window must agree with it for any
// stream, as long as nothing older than the window is asked about twice (the oracle never forgets).
class NaiveWindow {
 public:
  explicit NaiveWindow(std::uint64_t w) : w_(w) {}
  V Check(std::uint64_t s) const {
    if (s == 0) return V::kZero;
    if (s > top_) return V::kOk;
    if (top_ - s >= w_) return V::kTooOld;
    return seen_.contains(s) ? V::kReplayed : V::kOk;
  }
  void Update(std::uint64_t s) {
    seen_.insert(s);
    top_ = std::max(top_, s);
  }

 private:
  std::uint64_t w_;
  std::uint64_t top_ = 0;
  std::set<std::uint64_t> seen_;
};

TEST(ReplayWindow, RoundsSizeToBlocks) {
  EXPECT_EQ(ReplayWindow(1000).window_bits(), 1024u);
  EXPECT_EQ(ReplayWindow(1).window_bits(), 64u);
  EXPECT_EQ(ReplayWindow(1u << 20).window_bits(), 4096u);
}

TEST(ReplayWindow, AcceptsInOrderAndRejectsDuplicates) {
  ReplayWindow w(1024);
  EXPECT_EQ(w.Check(0), V::kZero);
  for (std::uint64_t s = 1; s <= 3000; ++s) {
    ASSERT_EQ(w.Check(s), V::kOk) << s;
    w.Update(s);
    ASSERT_EQ(w.Check(s), V::kReplayed) << s;
  }
  EXPECT_EQ(w.Check(3000 - 1023), V::kReplayed);
  EXPECT_EQ(w.Check(3000 - 1024), V::kTooOld);
}

TEST(ReplayWindow, ReorderingWithinTheWindowIsAccepted) {
  ReplayWindow w(1024);
  w.Update(2000);
  for (std::uint64_t s = 1999; s > 2000 - 1024; --s) {
    ASSERT_EQ(w.Check(s), V::kOk) << s;
    w.Update(s);
  }
  EXPECT_EQ(w.Check(976), V::kTooOld);
}

TEST(ReplayWindow, BigJumpClearsTheWholeRing) {
  ReplayWindow w(1024);
  for (std::uint64_t s = 1; s <= 1000; ++s) w.Update(s);
  w.Update(1'000'000);
  for (std::uint64_t s = 1'000'000 - 1023; s < 1'000'000; ++s) ASSERT_EQ(w.Check(s), V::kOk) << s;
}

TEST(ReplayWindow, AgreesWithNaiveOracleOnRandomStreams) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SeededRng rng(seed);
    std::uint32_t bits = 64u << (seed % 6);  // 64 .. 2048
    ReplayWindow w(bits);
    NaiveWindow oracle(w.window_bits());
    std::uint64_t next = 1;
    for (int i = 0; i < 20000; ++i) {
      std::uint64_t r = rng.NextU64();
      std::uint64_t s;
      switch (r % 8) {
        case 0:
          s = next > 3 * bits ? next - (r >> 8) % (3 * bits) : 1 + (r >> 8) % next;
          break;  // old or late
        case 1:
          s = next + (r >> 8) % (2 * bits);
          break;  // jump ahead
        case 2:
          s = next > 1 ? next - 1 : 1;
          break;  // duplicate-ish
        default:
          s = next++;
          break;  // in order
      }
      V got = w.Check(s);
      ASSERT_EQ(got, oracle.Check(s)) << "seed " << seed << " step " << i << " seq " << s;
      if (got == V::kOk && (r >> 60) != 0) {  // some packets fail authentication: no Update
        w.Update(s);
        oracle.Update(s);
        next = std::max(next, s + 1);
      }
    }
  }
}

TEST(ReplayWindow, EsnInferenceAcrossTheWrap) {
  // The sender counts past 2^32; the receiver sees 32 bits and reorders within the window.
  ReplayWindow w(1024, /*esn=*/true);
  SeededRng rng(3);
  std::uint64_t base = (std::uint64_t{1} << 32) - 5000;
  w.Update(base);
  for (std::uint64_t s = base + 1; s < base + 10000; ++s) {
    std::uint64_t late = s - rng.NextU64() % 512;  // a packet that arrives up to 511 late
    for (std::uint64_t t : {s, late}) {
      std::uint64_t inferred = w.Infer(static_cast<std::uint32_t>(t));
      ASSERT_EQ(inferred, t) << std::hex << "top " << w.highest() << " t " << t;
    }
    w.Update(s);
  }
}

TEST(ReplayWindow, EsnInferenceAtTheStartHasNoNegativeSubspace) {
  ReplayWindow w(1024, true);
  w.Update(10);
  EXPECT_EQ(w.Infer(5), 5u);
  EXPECT_EQ(w.Infer(0xFFFFFF00u), 0xFFFFFF00u);  // far ahead in subspace 0, not subspace -1
}

TEST(ReplayWindow, WithoutEsnTheHighHalfIsZero) {
  ReplayWindow w(1024, false);
  w.Update(0xFFFFFFF0u);
  EXPECT_EQ(w.Infer(3), 3u);
  EXPECT_EQ(w.Check(w.Infer(3)), V::kTooOld);
}

}  // namespace
}  // namespace isthmus::dataplane
