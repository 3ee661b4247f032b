// Rekeying CHILD SAs (RFC 7296 §1.3.3) and the IKE SA (§1.3.2, §2.18), including simultaneous rekeys
// from both ends (§2.8.1).
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "simulated_wire.h"

namespace isthmus::ike::testing {
namespace {

using Kind = ipsec::RecordingSaInstaller::CallKind;

// Every SPI the installer handed out was installed or given back: nothing leaks.
void ExpectNoSpiLeak(const Side& s) {
  const auto allocated = s.installer.CallsOf(Kind::kAllocateSpi).size();
  std::size_t inbound_adds = 0;
  for (const auto& c : s.installer.CallsOf(Kind::kAddSa))
    inbound_adds += c.direction == ipsec::Direction::kInbound;
  EXPECT_EQ(allocated, inbound_adds + s.installer.CallsOf(Kind::kReleaseSpi).size()) << s.name;
}

Scenario ChildRekeyScenario() {
  Scenario s;
  s.child_life = {100s, 10s, 0s};                   // A rekeys after 90 s
  s.b_child_life = LifetimeConfig{1000s, 10s, 0s};  // B would much later
  return s;
}

// The collision really happened: one end deleted the SA it created as redundant (§2.8.1).
bool CollisionResolved(const EnginePair& p) {
  for (const Side* s : {&p.a, &p.b}) {
    for (const auto& l : s->log) {
      if (l.why.find("redundant after rekey collision") != std::string::npos) return true;
    }
  }
  return false;
}

// Both ends with the same IKE lifetime (rekey due at 90 s, jitter 10 s), so that their rekeys cross.
Scenario SimultaneousIkeRekeyScenario() {
  Scenario s;
  s.ike_life = {100s, 10s, 0s};
  s.b_ike_life = s.ike_life;
  return s;
}

// Connects over a 200 ms wire and runs to just past both ends' IKE rekey deadlines.
void ConnectAndRunIntoIkeRekeys(EnginePair& p) {
  p.wire.faults.latency = 200ms;
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s));
  p.RunFor(95s);
}

bool Settled(EnginePair& p, std::uint32_t child_rekeys) {
  return p.Connected(p.a) && p.Connected(p.b) &&
         p.StatusOf(p.a).child_rekeys + p.StatusOf(p.b).child_rekeys >= child_rekeys &&
         p.a.installer.installed_count() == 2 && p.b.installer.installed_count() == 2;
}

// CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr }  -->
//                                  <--  CREATE_CHILD_SA { SA, Nr, TSi, TSr }
// INFORMATIONAL { D(ESP, old SPI) }  -->
//                                  <--  INFORMATIONAL { D(ESP, old SPI) }
TEST(Exchange, ChildRekey) {
  EnginePair p(ChildRekeyScenario());
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s));
  const auto before = p.StatusOf(p.a).children.at(0);
  ASSERT_TRUE(p.RunUntil([&] { return Settled(p, 1); }, 120s)) << p.DumpLogs();
  p.RunFor(5s);
  const auto after = p.StatusOf(p.a).children.at(0);
  EXPECT_NE(after.inbound_spi, before.inbound_spi);
  EXPECT_NE(after.outbound_spi, before.outbound_spi);
  EXPECT_EQ(p.StatusOf(p.a).children.size(), 1u);
  EXPECT_EQ(p.StatusOf(p.b).children.size(), 1u);
  EXPECT_EQ(CheckCrosswise(p.a.installer, p.b.installer), "");
  // The new pair was installed (inbound, then outbound) before the old one was deleted.
  auto calls = p.a.installer.calls();
  auto first_delete =
      std::find_if(calls.begin(), calls.end(), [](const auto& c) { return c.kind == Kind::kDeleteSa; });
  ASSERT_NE(first_delete, calls.end());
  EXPECT_EQ(std::count_if(calls.begin(), first_delete, [](const auto& c) { return c.kind == Kind::kAddSa; }),
            4);
  ExpectNoSpiLeak(p.a);
  ExpectNoSpiLeak(p.b);
}

// CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, KEi, TSi, TSr }  -->   <--  { SA, Nr, KEr, TSi, TSr }
TEST(Exchange, ChildRekeyWithPfs) {
  Scenario s = ChildRekeyScenario();
  s.esp = "aes256gcm16-ecp256";
  EnginePair p(s);
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s));
  ASSERT_TRUE(p.RunUntil([&] { return Settled(p, 1); }, 120s)) << p.DumpLogs();
  bool pfs = false;
  for (const auto& l : p.a.log)
    pfs |= l.what == "CHILD SA rekeyed" && l.why.find("(PFS)") != std::string::npos;
  EXPECT_TRUE(pfs) << p.DumpLogs();
  EXPECT_EQ(CheckCrosswise(p.a.installer, p.b.installer), "");
  ExpectNoSpiLeak(p.a);
  ExpectNoSpiLeak(p.b);
}

// CREATE_CHILD_SA { SA(IKE, new SPIi), Ni, KEi }  -->   <--  CREATE_CHILD_SA { SA(IKE, new SPIr), Nr, KEr }
// INFORMATIONAL { D(IKE) } (on the old IKE SA)  -->      <--  INFORMATIONAL { }
TEST(Exchange, IkeRekey) {
  Scenario s;
  s.ike_life = {100s, 10s, 0s};
  s.b_ike_life = LifetimeConfig{1000s, 10s, 0s};
  EnginePair p(s);
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s));
  const auto before = p.StatusOf(p.a);
  ASSERT_TRUE(p.RunUntil(
      [&] {
        return p.StatusOf(p.a).ike_rekeys == 1 && p.a.engine->ike_sa_count() == 1 &&
               p.b.engine->ike_sa_count() == 1;
      },
      120s))
      << p.DumpLogs();
  const auto after_a = p.StatusOf(p.a);
  const auto after_b = p.StatusOf(p.b);
  EXPECT_EQ(after_a.state, ConnectionState::kConnected);
  EXPECT_EQ(after_b.state, ConnectionState::kConnected);
  EXPECT_NE(after_a.ike_spi_i, before.ike_spi_i);
  EXPECT_EQ(after_a.ike_spi_i, after_b.ike_spi_i);
  EXPECT_EQ(after_a.ike_spi_r, after_b.ike_spi_r);
  // CHILD SAs moved to the new IKE SA untouched.
  ASSERT_EQ(after_a.children.size(), 1u);
  EXPECT_EQ(after_a.children[0].inbound_spi, before.children[0].inbound_spi);
  EXPECT_EQ(p.a.installer.CallsOf(Kind::kDeleteSa).size(), 0u);
  // The new IKE SA works: a CHILD rekey and a DPD-free delete run over it.
  ASSERT_TRUE(p.a.engine->Terminate("to-b"));
  ASSERT_TRUE(p.RunUntil(
      [&] { return p.a.installer.installed_count() == 0 && p.b.installer.installed_count() == 0; }, 10s))
      << p.DumpLogs();
}

// Both ends rekey the same CHILD SA at once (§2.8.1):
//   A: CREATE_CHILD_SA { N(REKEY_SA), SA, Ni_a, ... } -->   <-- CREATE_CHILD_SA { N(REKEY_SA), SA, Ni_b, ...
//   } :B
// Each answers the other; the new SA with the lowest of the four nonces is deleted by its creator,
// the other end deletes the old SA. Exactly one CHILD SA pair survives; nothing leaks.
TEST(Exchange, SimultaneousChildRekey) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    Scenario s;
    s.child_life = {100s, 10s, 0s};
    s.b_child_life = s.child_life;
    EnginePair p(s, seed);
    p.wire.faults.latency = 200ms;  // both requests are in flight at once
    p.a.engine->Start();
    ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s));
    p.RunFor(95s);  // both rekeys start within 200 ms of each other
    ASSERT_TRUE(p.RunUntil([&] { return Settled(p, 2); }, 30s)) << "seed " << seed << "\n" << p.DumpLogs();
    p.RunFor(5s);
    EXPECT_EQ(p.a.installer.installed_count(), 2u) << "seed " << seed << "\n" << p.DumpLogs();
    EXPECT_EQ(p.b.installer.installed_count(), 2u) << "seed " << seed;
    EXPECT_EQ(CheckCrosswise(p.a.installer, p.b.installer), "") << "seed " << seed;
    EXPECT_EQ(p.StatusOf(p.a).children.size(), 1u) << "seed " << seed;
    EXPECT_EQ(p.StatusOf(p.b).children.size(), 1u) << "seed " << seed;
    EXPECT_TRUE(CollisionResolved(p)) << "seed " << seed << "\n" << p.DumpLogs();
    ExpectNoSpiLeak(p.a);
    ExpectNoSpiLeak(p.b);
  }
}

// The outbound SA one side's data plane sends on: of those installed, the last installed (the newest
// outbound SA for a destination wins, dataplane/sad/sad_snapshot.cc).
std::optional<std::uint32_t> SendingOn(const ipsec::RecordingSaInstaller& x) {
  std::optional<std::uint32_t> spi;
  for (const auto& c : x.calls()) {
    if (c.kind == Kind::kAddSa && c.direction == ipsec::Direction::kOutbound && c.result &&
        x.Find(c.spi, ipsec::Direction::kOutbound)) {
      spi = c.spi;
    }
  }
  return spi;
}

// §2.8.1 + §2.8.2: both ends rekey the same CHILD SA at once,
//   A: CREATE_CHILD_SA { N(REKEY_SA), SA, Ni_a, ... } -->   <-- CREATE_CHILD_SA { N(REKEY_SA), SA, Ni_b, ...
//   } :B
// and the end whose new SA holds the lowest nonce deletes it:
//   INFORMATIONAL { D(ESP, redundant SA) } -->   <-- INFORMATIONAL { D(ESP, redundant SA) }
// At no moment between any two events does an end send on an SA whose inbound half the other end has
// already removed (in the gateway each such packet is an unknown_spi drop).
TEST(Exchange, ChildRekeyCollisionNeverSendsOnARemovedSa) {
  int collisions = 0;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    Scenario s;
    s.child_life = {100s, 10s, 0s};
    s.b_child_life = s.child_life;
    EnginePair p(s, seed);
    p.wire.faults.latency = 200ms;
    std::set<std::uint32_t> ever_inbound[2];
    std::vector<std::string> violations;
    p.after_input = [&] {
      for (int x = 0; x < 2; ++x) {
        const auto& mine = p.side(x).installer;
        const auto& theirs = p.side(1 - x).installer;
        for (const auto& in : theirs.Installed(ipsec::Direction::kInbound))
          ever_inbound[1 - x].insert(in.spi);
        const auto spi = SendingOn(mine);
        if (spi && ever_inbound[1 - x].contains(*spi) && !theirs.Find(*spi, ipsec::Direction::kInbound)) {
          violations.push_back(fmt::format("{} sends on {:08x}, which {} has removed", p.side(x).name, *spi,
                                           p.side(1 - x).name));
        }
      }
    };
    p.a.engine->Start();
    ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s));
    p.RunFor(95s);
    ASSERT_TRUE(p.RunUntil([&] { return Settled(p, 2); }, 30s)) << "seed " << seed << "\n" << p.DumpLogs();
    p.RunFor(5s);
    collisions += CollisionResolved(p);
    EXPECT_TRUE(violations.empty()) << "seed " << seed << ": " << violations.front() << " (and "
                                    << violations.size() - 1 << " more)\n"
                                    << p.DumpLogs();
    EXPECT_EQ(CheckCrosswise(p.a.installer, p.b.installer), "") << "seed " << seed;
    ExpectNoSpiLeak(p.a);
    ExpectNoSpiLeak(p.b);
  }
  EXPECT_GE(collisions, 6);
}

// Both ends rekey the IKE SA at once (§2.8.1): one new IKE SA survives on both ends, carrying the
// CHILD SA; the other new one and the old one are deleted.
TEST(Exchange, SimultaneousIkeRekey) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    EnginePair p(SimultaneousIkeRekeyScenario(), seed);
    ASSERT_NO_FATAL_FAILURE(ConnectAndRunIntoIkeRekeys(p));
    ASSERT_TRUE(p.RunUntil(
        [&] {
          return p.a.engine->ike_sa_count() == 1 && p.b.engine->ike_sa_count() == 1 && p.Connected(p.a) &&
                 p.Connected(p.b);
        },
        60s))
        << "seed " << seed << "\n"
        << p.DumpLogs();
    const auto a = p.StatusOf(p.a);
    const auto b = p.StatusOf(p.b);
    EXPECT_EQ(a.ike_spi_i, b.ike_spi_i) << "seed " << seed;
    EXPECT_EQ(a.ike_spi_r, b.ike_spi_r) << "seed " << seed;
    EXPECT_EQ(a.children.size(), 1u) << "seed " << seed << "\n" << p.DumpLogs();
    EXPECT_EQ(b.children.size(), 1u) << "seed " << seed;
    EXPECT_TRUE(CollisionResolved(p)) << "seed " << seed << "\n" << p.DumpLogs();
    EXPECT_EQ(p.a.installer.installed_count(), 2u) << "seed " << seed;
    EXPECT_EQ(p.b.installer.installed_count(), 2u) << "seed " << seed;
    // The surviving SA is alive: a Terminate over it removes everything on both ends.
    ASSERT_TRUE(p.a.engine->Terminate("to-b"));
    ASSERT_TRUE(p.RunUntil(
        [&] { return p.a.installer.installed_count() == 0 && p.b.installer.installed_count() == 0; }, 30s))
        << "seed " << seed << "\n"
        << p.DumpLogs();
  }
}

// After an IKE rekey collision the end whose new IKE SA is redundant sends its Delete in the same turn
// that finds it redundant, not at the next unrelated timer:
//   CREATE_CHILD_SA { SA(IKE), Ni, KEi } -->  <-- CREATE_CHILD_SA { SA(IKE), Ni', KEi' }   (crossing)
//   <-- CREATE_CHILD_SA { SA, Nr, KEr }           (our new SA holds the lowest nonce)
//   INFORMATIONAL { D(IKE) } (on our new SA) -->  at once
TEST(Exchange, RedundantIkeSaDeletedAtOnce) {
  int collisions = 0;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    EnginePair p(SimultaneousIkeRekeyScenario(), seed);
    ASSERT_NO_FATAL_FAILURE(ConnectAndRunIntoIkeRekeys(p));
    ASSERT_TRUE(
        p.RunUntil([&] { return p.a.engine->ike_sa_count() == 1 && p.b.engine->ike_sa_count() == 1; }, 60s))
        << "seed " << seed << "\n"
        << p.DumpLogs();
    for (const Side* side : {&p.a, &p.b}) {
      std::optional<TimePoint> rekeyed;
      for (const auto& l : side->log) {
        if (l.what == "IKE SA rekeyed") rekeyed = l.at;
        if (l.what == "IKE SA deleting" &&
            l.why.find("redundant after rekey collision") != std::string::npos) {
          ASSERT_TRUE(rekeyed) << p.DumpLogs();
          const auto late = std::chrono::duration_cast<std::chrono::milliseconds>(l.at - *rekeyed);
          EXPECT_EQ(late.count(), 0) << side->name << " seed " << seed << "\n" << p.DumpLogs();
          ++collisions;
        }
      }
    }
  }
  EXPECT_GE(collisions, 4);  // most seeds really collide
}

}  // namespace
}  // namespace isthmus::ike::testing
