#include "gateway/status.h"

#include <gtest/gtest.h>

namespace isthmus::gateway {
namespace {

using std::chrono::seconds;

ike::ConnectionStatus Connected(TimePoint at) {
  ike::ConnectionStatus c;
  c.name = "to-b";
  c.state = ike::ConnectionState::kConnected;
  c.ike_spi_i = 0x0123456789abcdefULL;
  c.ike_spi_r = 0x42;
  c.initiator = true;
  c.ike_algorithms = "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256";
  c.local = {*net::IpAddress::Parse("198.18.0.2"), 4500};
  c.remote = {*net::IpAddress::Parse("198.18.0.3"), 4500};
  c.established_at = at;
  c.ike_lifetime = seconds(28800);
  c.child_lifetime = seconds(27000);
  c.child_rekeys = 2;
  ike::ChildSaStatus ch;
  ch.id = 7;
  ch.inbound_spi = 0xc0ffee01;
  ch.outbound_spi = 0x00000abc;
  ch.algorithms = "ESP:AES_GCM_16_256/NO_EXT_SEQ";
  ch.local_prefixes = {*net::Prefix::Parse("10.1.0.0/16")};
  ch.remote_prefixes = {*net::Prefix::Parse("10.2.0.0/16")};
  ch.established_at = at;
  ch.state = "INSTALLED";
  c.children.push_back(ch);
  return c;
}

TEST(Status, JoinsEngineSnapshotAndDataplaneCounters) {
  const TimePoint t0 = TimePoint{} + seconds(1000);
  DataplaneView dp;
  dp.connections["to-b"] = {{10, 1000}, {20, 3000}, {{"bad_icv", 3}}};
  dp.inbound[0xc0ffee01] = {10, 1000};
  dp.outbound[0x00000abc] = {20, 3000};
  dp.worker_drops["unknown_spi"] = 4;
  auto j = StatusJson({Connected(t0)}, dp, t0 + seconds(90),
                      std::chrono::system_clock::time_point{} + seconds(90));
  const auto& c = j["connections"][0];
  EXPECT_EQ(c["state"], "Connected");
  EXPECT_EQ(c["ike_sa"]["spi_i"], "0123456789abcdef");
  EXPECT_EQ(c["ike_sa"]["spi_r"], "0000000000000042");
  EXPECT_EQ(c["ike_sa"]["established_s"], 90);
  EXPECT_EQ(c["ike_sa"]["established_at"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(c["ike_sa"]["lifetime_s"], 28800);
  EXPECT_EQ(c["children"][0]["lifetime_s"], 27000);
  EXPECT_EQ(c["child_rekeys"], 2);
  EXPECT_EQ(c["children"][0]["inbound_spi"], "c0ffee01");
  EXPECT_EQ(c["children"][0]["outbound_spi"], "00000abc");
  EXPECT_EQ(c["children"][0]["in"]["bytes"], 1000);
  EXPECT_EQ(c["children"][0]["out"]["packets"], 20);
  EXPECT_EQ(c["in"]["packets"], 10);
  EXPECT_EQ(c["out"]["bytes"], 3000);
  EXPECT_EQ(c["drops"]["bad_icv"], 3);
  EXPECT_EQ(j["drops"]["unknown_spi"], 4);
}

TEST(Status, NotConnectedHasNoIkeSaAndZeroTraffic) {
  ike::ConnectionStatus c;
  c.name = "to-c";
  c.last_error = "AUTHENTICATION_FAILED";
  auto j = StatusJson({c}, {}, TimePoint{}, std::chrono::system_clock::now());
  const auto& s = j["connections"][0];
  EXPECT_EQ(s["state"], "NotConnected");
  EXPECT_FALSE(s.contains("ike_sa"));
  EXPECT_EQ(s["last_error"], "AUTHENTICATION_FAILED");
  EXPECT_EQ(s["in"]["bytes"], 0);
  EXPECT_TRUE(s["children"].empty());
}

TEST(Status, CarriesIkeRetransmitsPerConnectionAndHalfOpenFiguresAtTopLevel) {
  const TimePoint t0 = TimePoint{} + seconds(5);
  ike::ConnectionStatus up = Connected(t0);
  up.ike_retransmits = {3, 5};
  ike::ConnectionStatus down;
  down.name = "to-c";
  down.ike_retransmits = {4, 0};  // its SAs are gone, the counts are not
  const ike::DosStatus dos{7, 11, 13};
  auto j = StatusJson({up, down}, dos, {}, t0, std::chrono::system_clock::now());
  EXPECT_EQ(j["connections"][0]["ike_retransmits"], (nlohmann::json{{"sent", 3}, {"answered", 5}}));
  EXPECT_EQ(j["connections"][1]["ike_retransmits"], (nlohmann::json{{"sent", 4}, {"answered", 0}}));
  EXPECT_EQ(j["ike"], (nlohmann::json{{"half_open", 7}, {"cookies_sent", 11}, {"init_dropped", 13}}));
  // Without the engine's figures (callers that render connections only): no top-level "ike".
  auto connections_only = StatusJson({up}, {}, t0, std::chrono::system_clock::now());
  EXPECT_FALSE(connections_only.contains("ike"));
  EXPECT_EQ(connections_only["connections"][0]["ike_retransmits"]["answered"], 5);
  // The digest sees them: a counter that moves changes it.
  ike::ConnectionStatus later = up;
  later.ike_retransmits.sent = 4;
  EXPECT_NE(StatusDigest(StatusJson({up}, dos, {}, t0, {}, false)),
            StatusDigest(StatusJson({later}, dos, {}, t0, {}, false)));
  EXPECT_NE(StatusDigest(StatusJson({up}, dos, {}, t0, {}, false)),
            StatusDigest(StatusJson({up}, ike::DosStatus{7, 12, 13}, {}, t0, {}, false)));

  const std::string table = RenderStatusTable(j);
  EXPECT_NE(table.find("  IKE RETRANSMITS sent 3 answered 5\n"), std::string::npos) << table;
  EXPECT_NE(table.find("  IKE RETRANSMITS sent 4 answered 0\n"), std::string::npos) << table;
  EXPECT_NE(table.find("gateway IKE half-open 7, cookies sent 11, IKE_SA_INIT dropped 13\n"),
            std::string::npos)
      << table;
  // All zero: no such lines.
  const std::string quiet = RenderStatusTable(StatusJson({Connected(t0)}, ike::DosStatus{}, {}, t0, {}));
  EXPECT_EQ(quiet.find("RETRANSMITS"), std::string::npos) << quiet;
  EXPECT_EQ(quiet.find("half-open"), std::string::npos) << quiet;
}

TEST(Status, TableShowsStateSpisAndChildren) {
  const TimePoint t0 = TimePoint{} + seconds(5);
  DataplaneView dp;
  dp.connections["to-b"] = {{1, 84}, {2, 20480}, {}};
  auto table = RenderStatusTable(StatusJson({Connected(t0)}, dp, t0, std::chrono::system_clock::now()));
  EXPECT_NE(table.find("to-b"), std::string::npos);
  EXPECT_NE(table.find("Connected"), std::string::npos);
  EXPECT_NE(table.find("0123456789abcdef_0000000000000042"), std::string::npos);
  EXPECT_NE(table.find("CHILD INSTALLED in c0ffee01 out 00000abc"), std::string::npos);
  EXPECT_NE(table.find("2/20K"), std::string::npos);
}

}  // namespace
}  // namespace isthmus::gateway
