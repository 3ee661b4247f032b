#include "net/impair.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <vector>

#include <gtest/gtest.h>

namespace isthmus::net {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr TimePoint kT0 = TimePoint(std::chrono::seconds(1000));

// An Ethernet frame carrying an IPv4 header to `dst`, its 4-byte sequence number after the header.
std::vector<std::uint8_t> Ipv4Frame(std::string_view dst, std::uint32_t seq, std::size_t size = 64,
                                    bool vlan = false) {
  std::vector<std::uint8_t> f(size);
  std::size_t at = 12;
  if (vlan) {
    f[at] = 0x81, f[at + 1] = 0x00, f[at + 2] = 0x00, f[at + 3] = 0x07;  // 802.1Q, VLAN 7
    at += 4;
  }
  f[at] = 0x08, f[at + 1] = 0x00;
  const std::size_t ip = at + 2;
  f[ip] = 0x45;
  const std::uint32_t d = IpAddress::Parse(dst)->v4();
  for (int i = 0; i < 4; ++i) f[ip + 16 + i] = static_cast<std::uint8_t>(d >> (24 - 8 * i));
  std::memcpy(&f[ip + 20], &seq, sizeof seq);
  return f;
}

std::uint32_t SeqOf(std::span<const std::uint8_t> f) {
  std::uint32_t seq;
  std::memcpy(&seq, &f[34], sizeof seq);  // untagged frames only
  return seq;
}

std::vector<std::uint8_t> ArpFrame() {
  std::vector<std::uint8_t> f(42);
  f[12] = 0x08, f[13] = 0x06;
  return f;
}

ImpairProfile Delay(Duration d, Duration jitter = {}) {
  ImpairProfile p;
  p.delay = d;
  p.jitter = jitter;
  return p;
}

ImpairConfig Default(ImpairProfile p) {
  ImpairConfig c;
  c.default_profile = p;
  return c;
}

Prefix P(std::string_view s) {
  return *Prefix::Parse(s);
}

ImpairmentStage Make(ImpairConfig c, Rng& rng) {
  auto s = ImpairmentStage::Create(std::move(c), rng);
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return std::move(*s);
}

// Pops everything due at `now`: the sequence numbers, in release order.
std::vector<std::uint32_t> Drain(ImpairmentStage& s, TimePoint now) {
  std::vector<std::uint32_t> out;
  s.Due(now, [&](std::span<const std::uint8_t> f) { out.push_back(SeqOf(f)); });
  return out;
}

void ExpectBalanced(const ImpairCounters& c, std::size_t queued) {
  EXPECT_EQ(c.submitted + c.duplicated, c.passed + c.dropped_loss + c.dropped_queue + queued);
}

TEST(ImpairProfile, RefusesValuesOutOfRangeNamingTheField) {
  struct Case {
    ImpairProfile p;
    const char* field;
  };
  ImpairProfile neg_delay = Delay(milliseconds(-1));
  ImpairProfile long_delay = Delay(std::chrono::seconds(61));
  ImpairProfile neg_jitter = Delay(milliseconds(10), milliseconds(-1));
  ImpairProfile wide_jitter = Delay(milliseconds(10), milliseconds(11));
  ImpairProfile loss = Delay(milliseconds(10));
  loss.loss = 1.5;
  ImpairProfile nan = Delay(milliseconds(10));
  nan.duplicate = std::numeric_limits<double>::quiet_NaN();
  ImpairProfile neg_reorder = Delay(milliseconds(10));
  neg_reorder.reorder = -0.1;
  ImpairProfile reorder_no_delay;
  reorder_no_delay.reorder = 0.5;
  for (const Case& c : {Case{neg_delay, "delay"}, Case{long_delay, "delay"}, Case{neg_jitter, "jitter"},
                        Case{wide_jitter, "jitter"}, Case{loss, "loss"}, Case{nan, "duplicate"},
                        Case{neg_reorder, "reorder"}, Case{reorder_no_delay, "reorder"}}) {
    auto s = ValidateProfile(c.p);
    ASSERT_FALSE(s.has_value()) << c.field;
    EXPECT_EQ(s.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_EQ(s.error().target, c.field);
    EXPECT_NE(s.error().message.find(c.field), std::string::npos) << s.error().message;
  }
  ImpairProfile ok = Delay(milliseconds(10), milliseconds(10));
  ok.loss = 1, ok.reorder = 0.5, ok.duplicate = 0;
  EXPECT_TRUE(ValidateProfile(ok).has_value());
  EXPECT_TRUE(ValidateProfile({}).has_value());
}

TEST(ImpairConfig, RefusesBadRulesAndBounds) {
  ImpairConfig c;
  c.rules.push_back({P("fd00::/64"), {}});
  EXPECT_EQ(ValidateConfig(c).error().target, "rules[0].destination");

  c.rules = {{P("10.0.0.0/8"), {}}, {P("10.0.0.0/8"), Delay(milliseconds(1))}};
  EXPECT_EQ(ValidateConfig(c).error().target, "rules[1].destination");

  c.rules = {{P("10.0.0.0/8"), {}}, {P("10.1.0.0/16"), Delay(milliseconds(1), milliseconds(2))}};
  EXPECT_EQ(ValidateConfig(c).error().target, "rules[1].jitter");

  c.rules.clear();
  c.default_profile.loss = 2;
  EXPECT_EQ(ValidateConfig(c).error().target, "default.loss");

  c.default_profile = {};
  c.queue_packets = 0;
  EXPECT_FALSE(ValidateConfig(c).has_value());
  c.queue_packets = 10;
  c.queue_bytes = 0;
  EXPECT_FALSE(ValidateConfig(c).has_value());

  SeededRng rng(1);
  EXPECT_FALSE(ImpairmentStage::Create(c, rng).has_value());
}

TEST(ImpairmentStage, DelayHoldsEachFrameAndKeepsOrder) {
  SeededRng rng(1);
  auto s = Make(Default(Delay(milliseconds(30))), rng);
  EXPECT_FALSE(s.NextDeadline().has_value());
  for (std::uint32_t i = 0; i < 100; ++i) {
    EXPECT_EQ(s.Submit(Ipv4Frame("198.18.0.5", i), kT0 + microseconds(100 * i)), ImpairVerdict::kQueued);
  }
  EXPECT_EQ(s.queued_packets(), 100u);
  EXPECT_EQ(s.queued_bytes(), 6400u);
  EXPECT_EQ(*s.NextDeadline(), kT0 + milliseconds(30));
  EXPECT_TRUE(Drain(s, kT0 + milliseconds(30) - microseconds(1)).empty());

  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < 100; ++i) {
    const TimePoint release = kT0 + microseconds(100 * i) + milliseconds(30);
    EXPECT_EQ(*s.NextDeadline(), release);
    auto got = Drain(s, release);
    ASSERT_EQ(got.size(), 1u) << i;
    out.push_back(got[0]);
  }
  for (std::uint32_t i = 0; i < 100; ++i) EXPECT_EQ(out[i], i);
  EXPECT_FALSE(s.NextDeadline().has_value());
  EXPECT_EQ(s.total().passed, 100u);
  EXPECT_EQ(s.total().bytes, 6400u);
}

TEST(ImpairmentStage, ZeroDelayForwardsAtOnceWithoutACopy) {
  SeededRng rng(1);
  auto s = Make(Default({}), rng);
  EXPECT_EQ(s.Submit(Ipv4Frame("10.0.0.1", 1), kT0), ImpairVerdict::kForwardNow);
  EXPECT_EQ(s.queued_packets(), 0u);
  EXPECT_EQ(s.total().passed, 1u);
}

struct SpacedRun {
  std::vector<std::uint32_t> order;  // sequence numbers as they came out
  std::vector<Duration> waited;      // how long each of them was held
};

// Sends `frames` frames `spacing` apart through a stage with `profile`, stepping the clock by 1 ms.
SpacedRun RunSpaced(const ImpairProfile& profile, std::uint32_t frames, Duration spacing) {
  SeededRng rng(7);
  auto s = Make(Default(profile), rng);
  SpacedRun run;
  std::uint32_t sent = 0;
  for (TimePoint now = kT0; sent < frames || s.queued_packets() > 0; now += milliseconds(1)) {
    if (sent < frames && now >= kT0 + spacing * sent) {
      EXPECT_EQ(s.Submit(Ipv4Frame("198.18.0.5", sent), now), ImpairVerdict::kQueued);
      ++sent;
    }
    for (std::uint32_t seq : Drain(s, now)) {
      run.order.push_back(seq);
      run.waited.push_back(now - (kT0 + spacing * seq));
    }
  }
  return run;
}

constexpr Duration kDelay = milliseconds(50), kJitter = milliseconds(40);

TEST(ImpairmentStage, JitterSpreadsTheDelayUniformly) {
  // Frames further apart than the jitter band: no clamping, the raw distribution shows.
  const SpacedRun run = RunSpaced(Delay(kDelay, kJitter), 400, milliseconds(100));
  ASSERT_EQ(run.waited.size(), 400u);
  const auto [lo, hi] = std::minmax_element(run.waited.begin(), run.waited.end());
  EXPECT_GE(*lo, kDelay - kJitter);
  EXPECT_LE(*hi, kDelay + kJitter);
  EXPECT_LT(*lo, kDelay - kJitter + milliseconds(5));
  EXPECT_GT(*hi, kDelay + kJitter - milliseconds(5));
  Duration sum{};
  for (auto w : run.waited) sum += w;
  const double mean_ms = std::chrono::duration<double, std::milli>(sum / 400).count();
  EXPECT_NEAR(mean_ms, 50.0, 3.0);
}

TEST(ImpairmentStage, JitterNeverReorders) {
  // Frames 1 ms apart inside an 80 ms band: unclamped, most would overtake each other.
  const SpacedRun run = RunSpaced(Delay(kDelay, kJitter), 2000, milliseconds(1));
  ASSERT_EQ(run.order.size(), 2000u);
  for (std::uint32_t i = 0; i < run.order.size(); ++i) ASSERT_EQ(run.order[i], i) << "jitter reordered";
  // Clamped to the previous release, which itself was within the band: never beyond it.
  const auto [lo, hi] = std::minmax_element(run.waited.begin(), run.waited.end());
  EXPECT_GE(*lo, kDelay - kJitter);
  EXPECT_LE(*hi, kDelay + kJitter);
}

TEST(ImpairmentStage, LossRateWithinBounds) {
  SeededRng rng(42);
  ImpairProfile p;
  p.loss = 0.2;
  auto s = Make(Default(p), rng);
  constexpr int kFrames = 20000;
  int forwarded = 0;
  for (int i = 0; i < kFrames; ++i) {
    if (s.Submit(Ipv4Frame("198.18.0.5", i), kT0) == ImpairVerdict::kForwardNow) ++forwarded;
  }
  const double lost = static_cast<double>(s.total().dropped_loss) / kFrames;
  EXPECT_NEAR(lost, 0.2, 0.015);  // 5 standard deviations of a binomial(20000, 0.2) share
  EXPECT_EQ(forwarded + s.total().dropped_loss, static_cast<std::uint64_t>(kFrames));
  ExpectBalanced(s.total(), s.queued_packets());
}

TEST(ImpairmentStage, DuplicateRateWithinBoundsAndCopiesAreDelayedToo) {
  SeededRng rng(43);
  ImpairProfile p = Delay(milliseconds(5));
  p.duplicate = 0.1;
  ImpairConfig c = Default(p);
  c.queue_packets = 100000;
  auto s = Make(c, rng);
  constexpr int kFrames = 20000;
  std::map<std::uint32_t, int> seen;
  for (int i = 0; i < kFrames; ++i)
    ASSERT_EQ(s.Submit(Ipv4Frame("198.18.0.5", i), kT0), ImpairVerdict::kQueued);
  EXPECT_TRUE(Drain(s, kT0 + milliseconds(5) - microseconds(1)).empty());
  for (std::uint32_t seq : Drain(s, kT0 + milliseconds(5))) ++seen[seq];
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kFrames));
  const double dup = static_cast<double>(s.total().duplicated) / kFrames;
  EXPECT_NEAR(dup, 0.1, 0.011);
  EXPECT_EQ(s.total().passed, kFrames + s.total().duplicated);
  int twice = 0;
  for (auto [seq, n] : seen) twice += n == 2;
  EXPECT_EQ(static_cast<std::uint64_t>(twice), s.total().duplicated);
  ExpectBalanced(s.total(), s.queued_packets());
}

TEST(ImpairmentStage, ReorderSendsAShareAtOnceAheadOfTheDelayed) {
  SeededRng rng(44);
  ImpairProfile p = Delay(milliseconds(10));
  p.reorder = 0.25;
  auto s = Make(Default(p), rng);
  constexpr std::uint32_t kFrames = 20000;
  std::vector<std::uint32_t> out, delayed;
  std::uint32_t at_once = 0;
  TimePoint now = kT0;
  for (std::uint32_t i = 0; i < kFrames || s.queued_packets() > 0; ++i) {
    for (std::uint32_t seq : Drain(s, now)) {
      out.push_back(seq);
      delayed.push_back(seq);
    }
    if (i < kFrames) {
      if (s.Submit(Ipv4Frame("198.18.0.5", i), now) == ImpairVerdict::kForwardNow) {
        out.push_back(i);
        ++at_once;
      }
    }
    now += milliseconds(1);
  }
  EXPECT_EQ(at_once, s.total().reordered);
  EXPECT_NEAR(static_cast<double>(at_once) / kFrames, 0.25, 0.015);
  // The frames that waited keep their order among themselves; the whole stream does not.
  EXPECT_TRUE(std::is_sorted(delayed.begin(), delayed.end()));
  EXPECT_FALSE(std::is_sorted(out.begin(), out.end()));
  EXPECT_EQ(out.size(), kFrames);
}

TEST(ImpairmentStage, NonIpv4PassesAtOnceUnimpaired) {
  SeededRng rng(1);
  ImpairProfile p = Delay(milliseconds(100));
  p.loss = 1.0;
  auto s = Make(Default(p), rng);
  EXPECT_EQ(s.Submit(ArpFrame(), kT0), ImpairVerdict::kForwardNow);
  std::vector<std::uint8_t> v6(80);
  v6[12] = 0x86, v6[13] = 0xdd;
  EXPECT_EQ(s.Submit(v6, kT0), ImpairVerdict::kForwardNow);
  std::vector<std::uint8_t> runt(10);
  EXPECT_EQ(s.Submit(runt, kT0), ImpairVerdict::kForwardNow);
  EXPECT_EQ(s.Submit(Ipv4Frame("10.0.0.1", 1), kT0), ImpairVerdict::kDropped);
  EXPECT_EQ(s.Submit(Ipv4Frame("10.0.0.1", 2, 64, /*vlan=*/true), kT0), ImpairVerdict::kDropped);
  EXPECT_EQ(s.non_ipv4().submitted, 3u);
  EXPECT_EQ(s.non_ipv4().passed, 3u);
  EXPECT_EQ(s.total().submitted, 5u);
  EXPECT_EQ(s.total().dropped_loss, 2u);
  EXPECT_EQ(s.Rules()[0].counters.submitted, 2u);  // the default lane saw only the IPv4 frames
}

TEST(ImpairmentStage, LongestPrefixRuleWins) {
  SeededRng rng(1);
  ImpairConfig c = Default(Delay(milliseconds(1)));
  c.rules = {{P("198.18.0.0/15"), Delay(milliseconds(10))},
             {P("198.18.0.5/32"), Delay(milliseconds(32))},
             {P("0.0.0.0/0"), Delay(milliseconds(3))},
             {P("198.18.0.0/24"), Delay(milliseconds(20))}};
  auto s = Make(c, rng);
  auto held = [&](std::string_view dst) {
    auto st = Make(c, rng);
    st.Submit(Ipv4Frame(dst, 0), kT0);
    return *st.NextDeadline() - kT0;
  };
  EXPECT_EQ(held("198.18.0.5"), milliseconds(32));
  EXPECT_EQ(held("198.18.0.6"), milliseconds(20));
  EXPECT_EQ(held("198.19.1.1"), milliseconds(10));
  EXPECT_EQ(held("8.8.8.8"), milliseconds(3));  // 0/0 is a rule, and longer than nothing

  for (auto dst : {"198.18.0.5", "198.18.0.5", "198.18.0.9", "198.19.0.1"}) s.Submit(Ipv4Frame(dst, 0), kT0);
  const auto rules = s.Rules();
  ASSERT_EQ(rules.size(), 5u);
  EXPECT_FALSE(rules[0].destination.has_value());
  std::map<std::string, std::uint64_t> submitted;
  for (const auto& r : rules)
    submitted[r.destination ? r.destination->ToString() : "default"] = r.counters.submitted;
  EXPECT_EQ(submitted["198.18.0.5/32"], 2u);
  EXPECT_EQ(submitted["198.18.0.0/24"], 1u);
  EXPECT_EQ(submitted["198.18.0.0/15"], 1u);
  EXPECT_EQ(submitted["default"], 0u);
  EXPECT_EQ(rules[1].destination->length(), 32);  // longest first
}

TEST(ImpairmentStage, QueueIsBoundedInFramesAndBytes) {
  SeededRng rng(1);
  ImpairConfig c = Default(Delay(milliseconds(10)));
  c.queue_packets = 10;
  auto s = Make(c, rng);
  for (int i = 0; i < 15; ++i) s.Submit(Ipv4Frame("10.0.0.1", i), kT0);
  EXPECT_EQ(s.queued_packets(), 10u);
  EXPECT_EQ(s.total().dropped_queue, 5u);
  EXPECT_EQ(Drain(s, kT0 + milliseconds(10)).size(), 10u);
  ExpectBalanced(s.total(), s.queued_packets());

  c.queue_packets = 1000;
  c.queue_bytes = 1000;
  auto b = Make(c, rng);
  for (int i = 0; i < 15; ++i) b.Submit(Ipv4Frame("10.0.0.1", i, 100), kT0);
  EXPECT_EQ(b.queued_packets(), 10u);
  EXPECT_EQ(b.queued_bytes(), 1000u);
  EXPECT_EQ(b.total().dropped_queue, 5u);
  // Room again once frames have left; buffers are recycled.
  EXPECT_EQ(Drain(b, kT0 + milliseconds(10)).size(), 10u);
  EXPECT_EQ(b.Submit(Ipv4Frame("10.0.0.1", 99, 100), kT0 + milliseconds(10)), ImpairVerdict::kQueued);
}

TEST(ImpairmentStage, ReconfigureKeepsQueuedFramesAndOrder) {
  SeededRng rng(1);
  ImpairConfig slow = Default(Delay(milliseconds(1)));
  slow.rules = {{P("198.18.0.5/32"), Delay(milliseconds(100))}};
  auto s = Make(slow, rng);
  for (std::uint32_t i = 0; i < 10; ++i) s.Submit(Ipv4Frame("198.18.0.5", i), kT0 + milliseconds(i));

  ImpairConfig fast = Default(Delay(milliseconds(1)));
  fast.rules = {{P("198.18.0.5/32"), Delay(milliseconds(10))}};
  ASSERT_TRUE(s.Reconfigure(fast).has_value());
  EXPECT_EQ(s.queued_packets(), 10u);
  for (std::uint32_t i = 10; i < 20; ++i) s.Submit(Ipv4Frame("198.18.0.5", i), kT0 + milliseconds(i));
  // The new frames would be due at +20..+29 ms; they wait behind the old ones (due from +100 ms).
  EXPECT_TRUE(Drain(s, kT0 + milliseconds(99)).empty());
  auto out = Drain(s, kT0 + milliseconds(200));
  ASSERT_EQ(out.size(), 20u);
  for (std::uint32_t i = 0; i < 20; ++i) EXPECT_EQ(out[i], i);
  const auto rules = s.Rules();
  EXPECT_EQ(rules[1].counters.submitted, 20u);  // the /32 rule's counters carried over
  EXPECT_EQ(rules[1].profile.delay, milliseconds(10));

  // A bad configuration changes nothing.
  ImpairConfig bad = fast;
  bad.rules[0].profile.loss = -1;
  EXPECT_FALSE(s.Reconfigure(bad).has_value());
  EXPECT_EQ(s.config().rules[0].profile.delay, milliseconds(10));
}

TEST(ImpairmentStage, ReconfigureMovesQueuedFramesToTheirNewRule) {
  SeededRng rng(1);
  auto s = Make(Default(Delay(milliseconds(50))), rng);
  for (std::uint32_t i = 0; i < 3; ++i) s.Submit(Ipv4Frame("198.18.0.5", i), kT0);
  ImpairConfig c = Default(Delay(milliseconds(50)));
  c.rules = {{P("198.18.0.0/16"), Delay(milliseconds(5))}};
  ASSERT_TRUE(s.Reconfigure(c).has_value());
  const auto rules = s.Rules();
  EXPECT_EQ(rules[0].queued, 0u);
  EXPECT_EQ(rules[1].queued, 3u);
  EXPECT_EQ(*s.NextDeadline(), kT0 + milliseconds(50));  // release times do not change
  EXPECT_EQ(Drain(s, kT0 + milliseconds(50)).size(), 3u);
  EXPECT_EQ(s.Rules()[1].counters.passed, 3u);
}

TEST(ImpairmentStage, SameSeedSameDecisions) {
  ImpairProfile p = Delay(milliseconds(20), milliseconds(10));
  p.loss = 0.1, p.reorder = 0.1, p.duplicate = 0.1;
  auto run = [&](std::uint64_t seed) {
    SeededRng rng(seed);
    auto s = Make(Default(p), rng);
    std::vector<int> trace;
    for (int i = 0; i < 500; ++i) {
      trace.push_back(static_cast<int>(s.Submit(Ipv4Frame("10.0.0.1", i), kT0 + milliseconds(i))));
      for (std::uint32_t seq : Drain(s, kT0 + milliseconds(i))) trace.push_back(1000 + static_cast<int>(seq));
    }
    ExpectBalanced(s.total(), s.queued_packets());
    return trace;
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

}  // namespace
}  // namespace isthmus::net
