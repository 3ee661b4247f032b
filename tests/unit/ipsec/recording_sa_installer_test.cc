#include "ipsec/recording_sa_installer.h"

#include <gtest/gtest.h>

#include "test_specs.h"

namespace isthmus::ipsec {
namespace {

using CallKind = RecordingSaInstaller::CallKind;
using testing::AeadSpec;
using testing::CbcSpec;

TEST(RecordingSaInstaller, AllocatesDistinctSpisInOrder) {
  RecordingSaInstaller sai;
  auto a = sai.AllocateSpi();
  auto b = sai.AllocateSpi();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, RecordingSaInstaller::kDefaultFirstSpi);
  EXPECT_EQ(*b, RecordingSaInstaller::kDefaultFirstSpi + 1);
  EXPECT_TRUE(sai.IsReserved(*a));
  ASSERT_EQ(sai.calls().size(), 2u);
  EXPECT_EQ(sai.calls()[0].kind, CallKind::kAllocateSpi);
  EXPECT_EQ(sai.calls()[1].spi, *b);
}

TEST(RecordingSaInstaller, NeverHandsOutAReservedOrInstalledSpiAndReportsExhaustion) {
  RecordingSaInstaller sai(1000, 1002);
  auto s1 = sai.AllocateSpi();
  auto s2 = sai.AllocateSpi();
  ASSERT_TRUE(s1 && s2);
  ASSERT_TRUE(sai.AddSa(AeadSpec(Direction::kInbound, *s1)));
  auto s3 = sai.AllocateSpi();
  ASSERT_TRUE(s3);
  EXPECT_EQ(*s3, 1002u);
  auto none = sai.AllocateSpi();  // 1000 installed, 1001 and 1002 reserved
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, kSpiExhausted);
  EXPECT_EQ(none.error().kind, ErrorKind::kUnavailable);
  ASSERT_TRUE(sai.ReleaseSpi(*s2));
  auto again = sai.AllocateSpi();  // wraps around and finds the released one
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *s2);
  ASSERT_TRUE(sai.DeleteSa(*s1, Direction::kInbound));
  auto reused = sai.AllocateSpi();
  ASSERT_TRUE(reused);
  EXPECT_EQ(*reused, *s1);
}

TEST(RecordingSaInstaller, InstallsInboundOnlyOnAnAllocatedSpi) {
  RecordingSaInstaller sai;
  auto r = sai.AddSa(AeadSpec(Direction::kInbound, 0x5000));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kSpiNotAllocated);
  EXPECT_EQ(sai.installed_count(), 0u);

  auto spi = sai.AllocateSpi();
  ASSERT_TRUE(spi);
  ASSERT_TRUE(sai.AddSa(AeadSpec(Direction::kInbound, *spi)));
  EXPECT_FALSE(sai.IsReserved(*spi));  // installed now, no longer merely reserved
  const SaSpec* got = sai.Find(*spi, Direction::kInbound);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(*got, AeadSpec(Direction::kInbound, *spi));  // keys included
  EXPECT_EQ(sai.Find(*spi, Direction::kOutbound), nullptr);
}

TEST(RecordingSaInstaller, OutboundSpiIsThePeersAndDuplicatesAreRefused) {
  RecordingSaInstaller sai;
  ASSERT_TRUE(sai.AddSa(CbcSpec(Direction::kOutbound, 0x1234)));
  auto dup = sai.AddSa(CbcSpec(Direction::kOutbound, 0x1234));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, kSaExists);
  EXPECT_EQ(sai.Installed(Direction::kOutbound).size(), 1u);
  EXPECT_TRUE(sai.Installed(Direction::kInbound).empty());
}

TEST(RecordingSaInstaller, InvalidSpecIsRecordedButNotInstalled) {
  RecordingSaInstaller sai;
  SaSpec bad = CbcSpec();
  bad.keys.integ = testing::Key(20, 1);
  auto r = sai.AddSa(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidSaSpec");
  ASSERT_EQ(sai.calls().size(), 1u);
  EXPECT_EQ(sai.calls()[0].kind, CallKind::kAddSa);
  ASSERT_TRUE(sai.calls()[0].spec.has_value());
  EXPECT_FALSE(sai.calls()[0].result.has_value());
  EXPECT_EQ(sai.installed_count(), 0u);
}

TEST(RecordingSaInstaller, UpdateChangesThePathOnlyAndKeepsKeys) {
  RecordingSaInstaller sai;
  SaSpec out = CbcSpec(Direction::kOutbound, 0x4242);
  ASSERT_TRUE(sai.AddSa(out));
  SaPathUpdate u;
  u.spi = 0x4242;
  u.direction = Direction::kOutbound;
  u.remote_address = *net::IpAddress::Parse("203.0.113.9");
  u.encap = UdpEncap{true, 4500, 61000};
  ASSERT_TRUE(sai.UpdateSa(u));
  const SaSpec* got = sai.Find(0x4242, Direction::kOutbound);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->remote_address.ToString(), "203.0.113.9");
  EXPECT_EQ(got->local_address, out.local_address);
  EXPECT_EQ(got->encap, (UdpEncap{true, 4500, 61000}));
  EXPECT_EQ(got->keys, out.keys);

  u.spi = 0x9999;
  auto missing = sai.UpdateSa(u);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, kSaNotFound);

  // An update that would make the spec invalid (mixed families) is refused and changes nothing.
  u.spi = 0x4242;
  u.remote_address = *net::IpAddress::Parse("2001:db8::9");
  u.encap.reset();
  ASSERT_FALSE(sai.UpdateSa(u));
  EXPECT_EQ(sai.Find(0x4242, Direction::kOutbound)->remote_address.ToString(), "203.0.113.9");
  EXPECT_EQ(sai.CallsOf(CallKind::kUpdateSa).size(), 3u);
}

TEST(RecordingSaInstaller, DeleteRemovesOneDirection) {
  RecordingSaInstaller sai;
  auto spi = sai.AllocateSpi();
  ASSERT_TRUE(spi);
  ASSERT_TRUE(sai.AddSa(AeadSpec(Direction::kInbound, *spi)));
  ASSERT_TRUE(sai.AddSa(AeadSpec(Direction::kOutbound, *spi)));  // the peer may pick the same number
  ASSERT_TRUE(sai.DeleteSa(*spi, Direction::kInbound));
  EXPECT_EQ(sai.Find(*spi, Direction::kInbound), nullptr);
  EXPECT_NE(sai.Find(*spi, Direction::kOutbound), nullptr);
  auto again = sai.DeleteSa(*spi, Direction::kInbound);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, kSaNotFound);
}

TEST(RecordingSaInstaller, InjectedFailureHitsTheNextCallOnlyAndChangesNothing) {
  RecordingSaInstaller sai;
  sai.FailNext(CallKind::kAddSa, Error::Internal("data plane is restarting"));
  auto spi = sai.AllocateSpi();
  ASSERT_TRUE(spi);
  auto r = sai.AddSa(AeadSpec(Direction::kInbound, *spi));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "data plane is restarting");
  EXPECT_EQ(sai.installed_count(), 0u);
  EXPECT_TRUE(sai.IsReserved(*spi));
  EXPECT_TRUE(sai.AddSa(AeadSpec(Direction::kInbound, *spi)));

  sai.FailNext(CallKind::kAllocateSpi, Error::Internal("no"));
  EXPECT_FALSE(sai.AllocateSpi());
  EXPECT_TRUE(sai.AllocateSpi());
}

TEST(RecordingSaInstaller, EventsAndUsageComeFromTheTestHooks) {
  RecordingSaInstaller sai;
  ASSERT_TRUE(sai.AddSa(CbcSpec(Direction::kOutbound, 0x777)));
  SaUsage usage{1500, 1, TimePoint{} + std::chrono::seconds(1), TimePoint{} + std::chrono::seconds(5)};
  sai.SetUsage(0x777, Direction::kOutbound, usage);
  auto got = sai.QueryUsage(0x777, Direction::kOutbound);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, usage);
  EXPECT_FALSE(sai.QueryUsage(0x777, Direction::kInbound));

  SaEvent e;
  e.kind = SaEventKind::kSoftExpire;
  e.spi = 0x777;
  e.direction = Direction::kOutbound;
  e.cause = ExpireCause::kBytes;
  sai.PushEvent(e);
  auto drained = sai.DrainEvents();
  ASSERT_EQ(drained.size(), 1u);
  EXPECT_EQ(drained[0], e);
  EXPECT_TRUE(sai.DrainEvents().empty());
  // Queries and drains are not state changes, so they are not recorded.
  EXPECT_EQ(sai.calls().size(), 1u);
}

}  // namespace
}  // namespace isthmus::ipsec
