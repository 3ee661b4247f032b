// SA tables: SPI allocation, snapshots, longest-prefix match, make-before-break, path updates that keep
// state, events from the worker side.
#include <set>

#include <gtest/gtest.h>

#include "crypto/transforms.h"
#include "dataplane/sad/dataplane_sa_installer.h"

namespace isthmus::dataplane {
namespace {

using ipsec::Direction;

net::Prefix P(const char* s) {
  return *net::Prefix::Parse(s);
}
net::IpAddress A(const char* s) {
  return *net::IpAddress::Parse(s);
}

ipsec::SaSpec Spec(Direction d, std::uint32_t spi, std::vector<const char*> remote, const char* conn = "c1") {
  ipsec::SaSpec s;
  s.direction = d;
  s.spi = spi;
  s.local_address = A("198.18.0.2");
  s.remote_address = A("198.18.0.3");
  s.encap = {true, 4500, 4500};
  s.selectors.local = {{P("10.1.0.0/24")}};
  for (auto r : remote) s.selectors.remote.push_back({P(r)});
  s.transform = {crypto::EncrId::kAesGcm16, 256, crypto::IntegId::kNone, true};
  s.keys.encr = SecretBytes(std::vector<std::uint8_t>(36, 7));
  s.connection = conn;
  return s;
}

class SadTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  SeededRng spi_rng_{42};
  SeededRng iv_rng_{43};
  DataplaneSaInstaller sad_{clock_, spi_rng_, iv_rng_};

  std::uint32_t AddInbound(const char* conn = "c1") {
    auto spi = sad_.AllocateSpi();
    EXPECT_TRUE(spi);
    EXPECT_TRUE(sad_.AddSa(Spec(Direction::kInbound, *spi, {"10.2.0.0/16"}, conn)));
    return *spi;
  }
  const SadEntry* Out(const char* dst) {
    snap_ = sad_.publisher().Load();
    return snap_->FindOutbound(A(dst).bytes(), A(dst).is_v4());
  }
  std::shared_ptr<const SadSnapshot> snap_;
};

TEST_F(SadTest, AllocatedSpisAreRandomUniqueAndNeverReserved) {
  std::set<std::uint32_t> seen;
  for (int i = 0; i < 2000; ++i) {
    auto spi = sad_.AllocateSpi();
    ASSERT_TRUE(spi);
    EXPECT_GE(*spi, ipsec::kMinSpi);
    EXPECT_TRUE(seen.insert(*spi).second);
  }
  EXPECT_GT(*seen.rbegin() - *seen.begin(), 1u << 30);  // spread, not a counter
}

TEST_F(SadTest, InboundNeedsAnAllocatedSpiAndIsUsableAtOnce) {
  EXPECT_FALSE(sad_.AddSa(Spec(Direction::kInbound, 0x12345678, {"10.2.0.0/16"})));
  const std::uint32_t spi = AddInbound();
  auto snap = sad_.publisher().Load();
  ASSERT_NE(snap->FindInbound(spi), nullptr);
  EXPECT_EQ(snap->FindInbound(spi + 1), nullptr);
  EXPECT_FALSE(sad_.AddSa(Spec(Direction::kInbound, spi, {"10.2.0.0/16"})));  // duplicate
  EXPECT_FALSE(sad_.ReleaseSpi(spi));                                         // installed, not reserved
}

// The gateway defers publishing to once per turn of its loop: nothing is visible before Flush, then
// everything at once in one snapshot; switching deferral off publishes what is pending.
TEST_F(SadTest, DeferredPublishingShowsNothingUntilFlushThenEverythingAtOnce) {
  const auto before = sad_.publisher().Load();
  sad_.DeferPublishing(true);
  const std::uint32_t in = AddInbound();
  ASSERT_TRUE(sad_.AddSa(Spec(Direction::kOutbound, 0x2000, {"10.2.0.0/16"})));
  EXPECT_EQ(sad_.publisher().Load(), before);
  sad_.Flush();
  auto snap = sad_.publisher().Load();
  ASSERT_NE(snap, before);
  EXPECT_NE(snap->FindInbound(in), nullptr);
  EXPECT_NE(Out("10.2.3.4"), nullptr);
  sad_.Flush();  // nothing changed: no new snapshot
  EXPECT_EQ(sad_.publisher().Load(), snap);
  ASSERT_TRUE(sad_.DeleteSa(0x2000, Direction::kOutbound));
  EXPECT_NE(Out("10.2.3.4"), nullptr);
  sad_.DeferPublishing(false);
  EXPECT_EQ(Out("10.2.3.4"), nullptr);
}

// The policy check on decrypted packets (RFC 4301 §5.2 step 4): source in a remote selector, destination
// in a local one, for each family; an IPv4 fast path must agree with the prefixes.
TEST_F(SadTest, InnerPacketsMustMatchTheSelectors) {
  auto spec = Spec(Direction::kInbound, 0, {"10.2.0.0/16", "192.0.2.7/32", "fd00:2::/48"});
  spec.selectors.local = {{P("10.1.0.0/24")}, {P("fd00:1::/64")}};
  auto spi = sad_.AllocateSpi();
  ASSERT_TRUE(spi);
  spec.spi = *spi;
  ASSERT_TRUE(sad_.AddSa(spec));
  const SaRuntime& sa = *sad_.publisher().Load()->FindInbound(*spi)->sa;
  auto ok = [&](const char* src, const char* dst) {
    return sa.InnerAllowed(A(src).bytes(), A(dst).bytes(), A(src).is_v4());
  };
  EXPECT_TRUE(ok("10.2.255.254", "10.1.0.9"));
  EXPECT_TRUE(ok("192.0.2.7", "10.1.0.255"));
  EXPECT_FALSE(ok("192.0.2.8", "10.1.0.9"));  // next to the /32
  EXPECT_FALSE(ok("10.3.0.1", "10.1.0.9"));   // source outside every remote selector
  EXPECT_FALSE(ok("10.2.0.1", "10.1.1.9"));   // destination outside the local one
  EXPECT_FALSE(ok("10.1.0.9", "10.2.0.1"));   // reversed
  EXPECT_TRUE(ok("fd00:2::1", "fd00:1::5"));
  EXPECT_FALSE(ok("fd00:3::1", "fd00:1::5"));
  EXPECT_FALSE(ok("fd00:2::1", "fd00:1:0:1::5"));

  auto any = Spec(Direction::kInbound, 0, {"0.0.0.0/0"});
  auto spi2 = sad_.AllocateSpi();
  ASSERT_TRUE(spi2);
  any.spi = *spi2;
  ASSERT_TRUE(sad_.AddSa(any));
  const SaRuntime& wide = *sad_.publisher().Load()->FindInbound(*spi2)->sa;
  EXPECT_TRUE(wide.InnerAllowed(A("203.0.113.1").bytes(), A("10.1.0.1").bytes(), true));
  EXPECT_FALSE(wide.InnerAllowed(A("203.0.113.1").bytes(), A("10.9.0.1").bytes(), true));
}

TEST_F(SadTest, LongestPrefixWinsAndUnknownDestinationsMiss) {
  ASSERT_TRUE(sad_.AddSa(Spec(Direction::kOutbound, 0x1000, {"10.2.0.0/16"}, "wide")));
  ASSERT_TRUE(sad_.AddSa(Spec(Direction::kOutbound, 0x2000, {"10.2.3.0/24"}, "narrow")));
  ASSERT_TRUE(sad_.AddSa(Spec(Direction::kOutbound, 0x3000, {"fd00:2::/48"}, "v6")));
  EXPECT_EQ(Out("10.2.3.4")->sa->spi(), 0x2000u);
  EXPECT_EQ(Out("10.2.4.4")->sa->spi(), 0x1000u);
  EXPECT_EQ(Out("10.3.0.1"), nullptr);
  EXPECT_EQ(Out("fd00:2::1")->sa->spi(), 0x3000u);
  EXPECT_EQ(Out("fd00:3::1"), nullptr);
}

TEST_F(SadTest, MakeBeforeBreakNewOutboundTakesOverOldKeepsWorkingUntilDeleted) {
  const std::uint32_t old_in = AddInbound();
  ASSERT_TRUE(sad_.AddSa(Spec(Direction::kOutbound, 0x1000, {"10.2.0.0/16"})));
  auto before = sad_.publisher().Load();
  const std::uint32_t new_in = AddInbound();
  ASSERT_TRUE(sad_.AddSa(Spec(Direction::kOutbound, 0x1001, {"10.2.0.0/16"})));
  EXPECT_EQ(Out("10.2.0.9")->sa->spi(), 0x1001u);
  EXPECT_NE(snap_->FindInbound(old_in), nullptr);  // both inbound SAs decrypt during the rekey
  EXPECT_NE(snap_->FindInbound(new_in), nullptr);
  // A worker still holding the old snapshot keeps a valid SA.
  EXPECT_EQ(before->FindOutbound(A("10.2.0.9").bytes(), true)->sa->spi(), 0x1000u);
  ASSERT_TRUE(sad_.DeleteSa(0x1001, Direction::kOutbound));
  EXPECT_EQ(Out("10.2.0.9")->sa->spi(), 0x1000u);  // falls back to what remains
  ASSERT_TRUE(sad_.DeleteSa(old_in, Direction::kInbound));
  EXPECT_EQ(sad_.publisher().Load()->FindInbound(old_in), nullptr);
  EXPECT_FALSE(sad_.DeleteSa(old_in, Direction::kInbound));
}

TEST_F(SadTest, UpdateSaChangesThePathAndKeepsSequenceNumbers) {
  ASSERT_TRUE(sad_.AddSa(Spec(Direction::kOutbound, 0x1000, {"10.2.0.0/16"})));
  SaRuntime& sa = *Out("10.2.0.1")->sa;
  EXPECT_EQ(sa.NextSeq(), 1u);
  EXPECT_EQ(sa.NextSeq(), 2u);
  ipsec::SaPathUpdate u;
  u.spi = 0x1000;
  u.direction = Direction::kOutbound;
  u.remote_address = A("198.18.0.99");
  u.encap = ipsec::UdpEncap{true, 4500, 31000};
  ASSERT_TRUE(sad_.UpdateSa(u));
  const SadEntry* e = Out("10.2.0.1");
  EXPECT_EQ(e->path.remote.address, A("198.18.0.99"));
  EXPECT_EQ(e->path.remote.port, 31000);
  EXPECT_EQ(e->sa.get(), &sa);
  EXPECT_EQ(e->sa->NextSeq(), 3u);
}

TEST_F(SadTest, SoftHardFirstUseAndIdleEventsAndUsage) {
  auto spi = *sad_.AllocateSpi();
  auto s = Spec(Direction::kInbound, spi, {"10.2.0.0/16"});
  s.lifetimes.soft.packets = 3;
  s.lifetimes.hard.packets = 5;
  s.idle_report_seconds = 10;
  s.child_sa_id = 77;
  ASSERT_TRUE(sad_.AddSa(s));
  SaRuntime& sa = *sad_.publisher().Load()->FindInbound(spi)->sa;
  for (int i = 0; i < 4; ++i) sa.Count(100, clock_.Now());
  auto ev = sad_.DrainEvents();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, ipsec::SaEventKind::kFirstUse);
  EXPECT_EQ(ev[1].kind, ipsec::SaEventKind::kSoftExpire);
  EXPECT_EQ(ev[1].cause, ipsec::ExpireCause::kPackets);
  EXPECT_EQ(ev[1].packets, 3u);
  EXPECT_EQ(ev[1].child_sa_id, 77u);
  EXPECT_FALSE(sa.hard_expired());
  sa.Count(100, clock_.Now());
  ev = sad_.DrainEvents();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, ipsec::SaEventKind::kHardExpire);
  EXPECT_TRUE(sa.hard_expired());
  clock_.Advance(std::chrono::seconds(11));
  sa.Tick(clock_.Now());
  ev = sad_.DrainEvents();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, ipsec::SaEventKind::kIdle);
  sa.Tick(clock_.Now());
  EXPECT_TRUE(sad_.DrainEvents().empty());  // reported once per idle period
  auto u = sad_.QueryUsage(spi, Direction::kInbound);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->packets, 5u);
  EXPECT_EQ(u->bytes, 500u);
}

}  // namespace
}  // namespace isthmus::dataplane
