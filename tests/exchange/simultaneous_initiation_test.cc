// Both ends initiate the same connection at once (both configured to initiate): two IKE SAs come up,
// one started by each end, and exactly one of them — the same one on both ends — must survive, with one
// CHILD SA pair, while the other is deleted (RFC 7296 §2.8.1's rule for colliding rekeys, applied to the
// crossing IKE_SA_INITs: the SA with the lowest nonce is redundant and its initiator deletes it).
//
//   A: HDR, SA, KEi, Ni_a -->                  <-- HDR, SA, KEi, Ni_b :B       (crossing)
//      <-- HDR, SA, KEr, Nr_b                   HDR, SA, KEr, Nr_a -->
//   A: HDR, SK { IDi, N(INITIAL_CONTACT), AUTH, SA, TSi, TSr } -->   (and B the same the other way)
//   then, by the initiator of the SA holding the lowest of the nonces:  HDR, SK { D(IKE) } -->
#include <array>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "simulated_wire.h"

namespace isthmus::ike::testing {
namespace {

Scenario BothInitiate() {
  Scenario s;
  s.a_mode = ConnectionMode::kBoth;
  s.b_mode = ConnectionMode::kBoth;
  s.dpd = 10s;
  return s;
}

// Empty if both ends have the same single IKE SA with one CHILD SA pair, else what differs.
std::string OnePair(EnginePair& p) {
  std::vector<std::string> bad;
  for (const Side* s : {&p.a, &p.b}) {
    if (s->engine->ike_sa_count() != 1)
      bad.push_back(fmt::format("{} has {} IKE SAs", s->name, s->engine->ike_sa_count()));
    if (s->installer.installed_count() != 2)
      bad.push_back(fmt::format("{} has {} SAs installed", s->name, s->installer.installed_count()));
    if (!p.Connected(*s)) bad.push_back(fmt::format("{} is not connected", s->name));
  }
  const auto a = p.StatusOf(p.a);
  const auto b = p.StatusOf(p.b);
  if (a.ike_spi_i != b.ike_spi_i || a.ike_spi_r != b.ike_spi_r)
    bad.push_back("the ends use different IKE SAs");
  if (a.children.size() != 1 || b.children.size() != 1) {
    bad.push_back("not one CHILD SA each");
  } else if (a.children[0].inbound_spi != b.children[0].outbound_spi ||
             a.children[0].outbound_spi != b.children[0].inbound_spi) {
    bad.push_back("the CHILD SAs do not cross");
  }
  if (auto c = CheckCrosswise(p.a.installer, p.b.installer); !c.empty()) bad.push_back(c);
  std::string out;
  for (const auto& x : bad) out += (out.empty() ? "" : "; ") + x;
  return out;
}

// The outbound SA one side sends on: the last installed of those still installed (newest wins).
std::optional<std::uint32_t> SendingOn(const ipsec::RecordingSaInstaller& x) {
  std::optional<std::uint32_t> spi;
  for (const auto& c : x.calls()) {
    if (c.kind == ipsec::RecordingSaInstaller::CallKind::kAddSa &&
        c.direction == ipsec::Direction::kOutbound && c.result &&
        x.Find(c.spi, ipsec::Direction::kOutbound)) {
      spi = c.spi;
    }
  }
  return spi;
}

// Records every moment one end sends on an SA whose inbound half the other end already removed, while
// `watching` (a terminated connection loses what is in flight anyway).
void WatchSending(EnginePair& p, std::vector<std::string>& violations, const bool& watching) {
  auto ever = std::make_shared<std::array<std::set<std::uint32_t>, 2>>();
  p.after_input = [&p, &violations, &watching, ever] {
    for (int x = 0; x < 2; ++x) {
      if (!watching) {
        (*ever)[x].clear();
        continue;
      }
      const auto& theirs = p.side(1 - x).installer;
      for (const auto& in : theirs.Installed(ipsec::Direction::kInbound)) (*ever)[1 - x].insert(in.spi);
      const auto spi = SendingOn(p.side(x).installer);
      if (spi && (*ever)[1 - x].contains(*spi) && !theirs.Find(*spi, ipsec::Direction::kInbound)) {
        violations.push_back(
            fmt::format("{} sends on {:08x}, removed by the other end", p.side(x).name, *spi));
      }
    }
  };
}

int Resolved(const EnginePair& p) {
  int n = 0;
  for (const Side* s : {&p.a, &p.b}) {
    for (const auto& l : s->log) n += l.what == "IKE SA redundant";
  }
  return n;
}

TEST(SimultaneousInitiation, OnePairSurvivesTheSameOnBothEnds) {
  int crossed = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    for (auto offset : {0ms, 3ms, 9ms, 15ms, 30ms}) {
      EnginePair p(BothInitiate(), seed);
      std::vector<std::string> violations;
      const bool watching = true;
      WatchSending(p, violations, watching);
      p.a.engine->Start();
      p.RunFor(offset);
      p.b.engine->Start();
      const std::string where = fmt::format("seed {} offset {} ms", seed, offset.count());
      ASSERT_TRUE(p.RunUntil([&] { return OnePair(p).empty(); }, 10s)) << where << ": " << OnePair(p) << "\n"
                                                                       << p.DumpLogs();
      const auto settled = p.StatusOf(p.a);
      p.RunFor(40s);  // nothing else happens: no late Delete, no reconnect, no second pair
      EXPECT_EQ(OnePair(p), "") << where << "\n" << p.DumpLogs();
      EXPECT_EQ(p.StatusOf(p.a).ike_spi_i, settled.ike_spi_i) << where << "\n" << p.DumpLogs();
      EXPECT_TRUE(violations.empty()) << where << ": " << violations.front() << "\n" << p.DumpLogs();
      crossed += Resolved(p) > 0;
    }
  }
  EXPECT_GE(crossed, 10);  // most of these really crossed
}

// As gateway_faults_test.sh section 2 does it: terminate on both ends at once, then initiate on both.
TEST(SimultaneousInitiation, TerminateAndInitiateOnBothEndsAtOnce) {
  EnginePair p(BothInitiate(), 7);
  std::vector<std::string> violations;
  bool watching = true;
  WatchSending(p, violations, watching);
  p.a.engine->Start();
  p.b.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return OnePair(p).empty(); }, 10s)) << OnePair(p) << "\n" << p.DumpLogs();
  for (int round = 1; round <= 8; ++round) {
    watching = false;
    ASSERT_TRUE(p.a.engine->Terminate("to-b"));
    ASSERT_TRUE(p.b.engine->Terminate("to-a"));
    ASSERT_TRUE(
        p.RunUntil([&] { return p.a.engine->ike_sa_count() == 0 && p.b.engine->ike_sa_count() == 0; }, 10s))
        << "round " << round << "\n"
        << p.DumpLogs();
    watching = true;
    ASSERT_TRUE(p.a.engine->Initiate("to-b"));
    ASSERT_TRUE(p.b.engine->Initiate("to-a"));
    ASSERT_TRUE(p.RunUntil([&] { return OnePair(p).empty(); }, 3s))
        << "round " << round << ": " << OnePair(p) << "\n"
        << p.DumpLogs();
    p.RunFor(12s);
    EXPECT_EQ(OnePair(p), "") << "round " << round << "\n" << p.DumpLogs();
  }
  EXPECT_TRUE(violations.empty()) << violations.front() << "\n" << p.DumpLogs();
  EXPECT_GE(Resolved(p), 8);
}

}  // namespace
}  // namespace isthmus::ike::testing
