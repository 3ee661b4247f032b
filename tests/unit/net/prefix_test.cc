#include "net/prefix.h"

#include <gtest/gtest.h>

namespace isthmus::net {
namespace {

Prefix P(std::string_view s) {
  auto p = Prefix::Parse(s);
  EXPECT_TRUE(p.has_value()) << s;
  return *p;
}

TEST(IpAddress, ParsesBothFamilies) {
  EXPECT_EQ(IpAddress::Parse("10.1.2.3")->ToString(), "10.1.2.3");
  EXPECT_EQ(IpAddress::Parse("2001:db8::1")->ToString(), "2001:db8::1");
  EXPECT_TRUE(IpAddress::Parse("10.1.2.3")->is_v4());
  EXPECT_FALSE(IpAddress::Parse("fd00::")->is_v4());
}

TEST(IpAddress, RejectsGarbage) {
  for (auto s : {"", "10.1.2", "10.1.2.256", "1.2.3.4.5", "abc", "10.0.0.1 ", "::g", "1::2::3"}) {
    EXPECT_FALSE(IpAddress::Parse(s).has_value()) << s;
  }
}

TEST(IpAddress, PlusCarriesAcrossBytes) {
  EXPECT_EQ(IpAddress::Parse("10.0.0.255")->Plus(1).ToString(), "10.0.1.0");
  EXPECT_EQ(IpAddress::Parse("10.0.255.255")->Plus(2).ToString(), "10.1.0.1");
  EXPECT_EQ(IpAddress::Parse("fd00::ffff")->Plus(1).ToString(), "fd00::1:0");
}

TEST(Prefix, ParsesValid) {
  auto p = P("10.11.0.0/16");
  EXPECT_EQ(p.length(), 16);
  EXPECT_EQ(p.ToString(), "10.11.0.0/16");
  EXPECT_EQ(P("0.0.0.0/0").length(), 0);
  EXPECT_EQ(P("10.1.2.3/32").ToString(), "10.1.2.3/32");
  EXPECT_EQ(P("fd00:1::/48").ToString(), "fd00:1::/48");
  EXPECT_EQ(P("::/0").length(), 0);
}

TEST(Prefix, RejectsHostBitsAndNamesTheFix) {
  auto p = Prefix::Parse("10.11.0.1/16");
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code, "InvalidAddressPrefixFormat");
  EXPECT_NE(p.error().message.find("host bits"), std::string::npos);
  EXPECT_NE(p.error().message.find("10.11.0.0/16"), std::string::npos);
  EXPECT_FALSE(Prefix::Parse("fd00::1/64").has_value());
}

TEST(Prefix, RejectsBadLengths) {
  for (auto s : {"10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0", "10.0.0.0/1a", "10.0.0.0/08",
                 "fd00::/129", "/24", "10.0.0.0/24/1", "10.0.0.0/ 24"}) {
    EXPECT_FALSE(Prefix::Parse(s).has_value()) << s;
  }
}

TEST(Prefix, ContainmentAndOverlap) {
  EXPECT_TRUE(P("10.0.0.0/8").Contains(P("10.5.0.0/16")));
  EXPECT_FALSE(P("10.5.0.0/16").Contains(P("10.0.0.0/8")));
  EXPECT_TRUE(P("10.5.0.0/16").Contains(P("10.5.0.0/16")));
  EXPECT_TRUE(P("10.0.0.0/8").Overlaps(P("10.5.0.0/16")));
  EXPECT_TRUE(P("10.5.0.0/16").Overlaps(P("10.0.0.0/8")));
  EXPECT_FALSE(P("10.11.0.0/16").Overlaps(P("10.12.0.0/16")));
  EXPECT_FALSE(P("10.0.0.0/8").Overlaps(P("fd00::/8")));  // families never overlap
  EXPECT_TRUE(P("0.0.0.0/0").Overlaps(P("192.168.1.0/24")));
  EXPECT_TRUE(P("10.0.0.0/8").Contains(*IpAddress::Parse("10.255.255.255")));
  EXPECT_FALSE(P("10.0.0.0/8").Contains(*IpAddress::Parse("11.0.0.0")));
}

TEST(Prefix, LastAndSize) {
  EXPECT_EQ(P("10.1.255.0/27").Last().ToString(), "10.1.255.31");
  EXPECT_EQ(P("10.1.255.0/27").Size(), 32u);
  EXPECT_EQ(P("10.0.0.0/8").Last().ToString(), "10.255.255.255");
  EXPECT_EQ(P("fd00::/120").Last().ToString(), "fd00::ff");
  EXPECT_EQ(P("fd00::/64").Last().ToString(), "fd00::ffff:ffff:ffff:ffff");
  EXPECT_EQ(P("10.0.0.1/32").Size(), 1u);
}

TEST(PrefixSet, FindsOverlapsAndNamesBoth) {
  PrefixSet a({P("10.11.0.0/16"), P("10.12.0.0/16")});
  PrefixSet b({P("10.41.0.0/16"), P("10.12.128.0/17")});
  auto o = a.FirstOverlap(b);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->first.ToString(), "10.12.0.0/16");
  EXPECT_EQ(o->second.ToString(), "10.12.128.0/17");
  EXPECT_FALSE(a.FirstOverlap(PrefixSet({P("10.41.0.0/16")})).has_value());
  EXPECT_TRUE(a.Contains(P("10.12.3.0/24")));
  EXPECT_FALSE(a.Contains(P("10.13.0.0/24")));
  EXPECT_FALSE(a.FirstInternalOverlap().has_value());
  PrefixSet self({P("10.0.0.0/8"), P("192.168.0.0/16"), P("10.1.0.0/16")});
  auto s = self.FirstInternalOverlap();
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->first.ToString(), "10.0.0.0/8");
  EXPECT_EQ(s->second.ToString(), "10.1.0.0/16");
}

}  // namespace
}  // namespace isthmus::net
