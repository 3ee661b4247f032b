#include "ike/wire/ts_payload.h"

#include <gtest/gtest.h>

#include "test_messages.h"

namespace isthmus::ike::wire {
namespace {

using testing::Hex;

net::Prefix P(std::string_view s) {
  return *net::Prefix::Parse(s);
}
net::IpAddress A(std::string_view s) {
  return *net::IpAddress::Parse(s);
}

std::vector<std::string> Strings(const std::vector<net::Prefix>& v) {
  std::vector<std::string> out;
  for (const auto& p : v) out.push_back(p.ToString());
  return out;
}

TEST(TsPayload, ParsesHandWrittenIpv4Range) {
  // 1 selector; TS_IPV4_ADDR_RANGE, TCP (6), length 16, ports 443-443, 10.1.0.0 - 10.1.255.255
  auto ts = TsPayload::Parse(Hex("01 00 00 00  07 06 00 10 01 bb 01 bb 0a 01 00 00 0a 01 ff ff"));
  ASSERT_TRUE(ts.has_value()) << ts.error().ToString();
  ASSERT_EQ(ts->selectors.size(), 1u);
  const auto& s = ts->selectors[0];
  EXPECT_EQ(s.type, TsType::kIpv4AddrRange);
  EXPECT_EQ(s.ip_protocol, 6);
  EXPECT_EQ(s.start_port, 443);
  EXPECT_EQ(s.end_port, 443);
  EXPECT_FALSE(s.all_ports());
  EXPECT_EQ(s.ToPrefix(), P("10.1.0.0/16"));
}

TEST(TsPayload, RoundTripsBothFamiliesAndUnknownTypes) {
  TsPayload ts;
  ts.selectors.push_back(TrafficSelector::FromPrefix(P("10.1.0.0/16")));
  ts.selectors.push_back(TrafficSelector::FromPrefix(P("fd00:1::/48"), 17, 500, 500));
  ts.selectors.push_back(TrafficSelector::FromRange(A("10.0.0.5"), A("10.0.0.9")));
  TrafficSelector unknown;
  unknown.type = static_cast<TsType>(9);  // TS_FC_ADDR_RANGE (RFC 4595): carried, not interpreted
  unknown.start_port = 0;
  unknown.end_port = 0;
  unknown.opaque = Hex("00 00 00 01 00 00 00 02");
  ts.selectors.push_back(unknown);
  ByteWriter w;
  ts.AppendBody(w);
  ASSERT_TRUE(w.ok()) << w.error();
  auto back = TsPayload::Parse(w.bytes());
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(*back, ts);
  EXPECT_FALSE(back->selectors[3].is_address_range());
  EXPECT_TRUE(back->selectors[3].ToPrefixes().empty());
}

TEST(TrafficSelector, PrefixConversions) {
  EXPECT_EQ(TrafficSelector::FromPrefix(P("0.0.0.0/0")).ToPrefix(), P("0.0.0.0/0"));
  EXPECT_EQ(TrafficSelector::FromPrefix(P("::/0")).ToPrefix(), P("::/0"));
  EXPECT_EQ(TrafficSelector::FromPrefix(P("10.1.2.3/32")).ToPrefix(), P("10.1.2.3/32"));
  auto ts = TrafficSelector::FromPrefix(P("fd00:4::/48"));
  EXPECT_EQ(ts.type, TsType::kIpv6AddrRange);
  EXPECT_EQ(ts.start.ToString(), "fd00:4::");
  EXPECT_EQ(ts.end.ToString(), "fd00:4:0:ffff:ffff:ffff:ffff:ffff");
  EXPECT_TRUE(ts.all_ports());
  // Not a single prefix.
  EXPECT_FALSE(TrafficSelector::FromRange(A("10.0.0.1"), A("10.0.0.2")).ToPrefix().has_value());
  EXPECT_FALSE(TrafficSelector::FromRange(A("10.0.0.0"), A("10.0.1.0")).ToPrefix().has_value());
}

TEST(TrafficSelector, RangesDecomposeIntoTheFewestPrefixes) {
  EXPECT_EQ(Strings(TrafficSelector::FromRange(A("10.0.0.5"), A("10.0.0.9")).ToPrefixes()),
            (std::vector<std::string>{"10.0.0.5/32", "10.0.0.6/31", "10.0.0.8/31"}));
  EXPECT_EQ(Strings(TrafficSelector::FromRange(A("10.0.0.0"), A("10.0.2.255")).ToPrefixes()),
            (std::vector<std::string>{"10.0.0.0/23", "10.0.2.0/24"}));
  EXPECT_EQ(Strings(TrafficSelector::FromRange(A("0.0.0.1"), A("255.255.255.255")).ToPrefixes()).size(), 32u);
  EXPECT_EQ(
      Strings(TrafficSelector::FromRange(A("::"), A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")).ToPrefixes())
          .size(),
      128u);
  // Reversed or mixed-family ranges are empty, not guessed at.
  EXPECT_TRUE(TrafficSelector::FromRange(A("10.0.0.9"), A("10.0.0.5")).ToPrefixes().empty());
  EXPECT_TRUE(TrafficSelector::FromRange(A("10.0.0.1"), A("fd00::1")).ToPrefixes().empty());
}

TEST(TsPayload, RejectsMalformedSelectors) {
  const char* bad[] = {
      "01 00 00",                                                                  // truncated header
      "00 00 00 00",                                                               // zero selectors
      "02 00 00 00  07 00 00 10 00 00 ff ff 0a 00 00 00 0a 00 00 ff",              // count 2, one present
      "01 00 00 00  07 00 00 10 00 00 ff ff 0a 00 00 00 0a 00 00",                 // selector cut short
      "01 00 00 00  07 00 00 14 00 00 ff ff 0a 00 00 00 0a 00 00 ff 00 00 00 00",  // IPv4 length 20
      "01 00 00 00  08 00 00 10 00 00 ff ff 0a 00 00 00 0a 00 00 ff",              // IPv6 length 16
      "01 00 00 00  09 00 00 03",                                                  // length below 4
      "01 00 00 00  07 00",                                                        // selector head cut
  };
  for (const char* hex : bad) EXPECT_FALSE(TsPayload::Parse(Hex(hex)).has_value()) << hex;
}

}  // namespace
}  // namespace isthmus::ike::wire
