#include "gateway/config.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace isthmus::gateway {
namespace {

nlohmann::json Valid() {
  return {{"local", {{"address", "198.18.0.1"}, {"id", "198.18.0.1"}}},
          {"tunnel", {{"interface", "isth0"}, {"mtu", 1400}}},
          {"connections",
           {{{"name", "to-b"},
             {"remote_address", "198.18.0.2"},
             {"remote_id", "198.18.0.2"},
             {"shared_key", "s3cret-psk"},
             {"local_prefixes", {"10.1.0.0/16"}},
             {"remote_prefixes", {"10.2.0.0/16"}},
             {"ike_proposals", {"aes256gcm16-prfsha256-ecp256"}},
             {"esp_proposals", {"aes256gcm16"}},
             {"mode", "initiator"},
             {"dpd_timeout_s", 45},
             {"ike_lifetime_s", 28800},
             {"child_lifetime_s", 27000}}}}};
}

TEST(GatewayConfig, ParsesTheDocumentedShape) {
  auto g = ParseGatewayConfig(Valid().dump());
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->local_address.ToString(), "198.18.0.1");
  EXPECT_EQ(g->tunnel_mtu, 1400u);
  EXPECT_EQ(g->mss_clamp, 1350u);
  ASSERT_EQ(g->connections.size(), 1u);
  const auto& c = g->connections[0];
  EXPECT_EQ(c.name, "to-b");
  EXPECT_EQ(c.mode, ConnectionMode::kInitiator);
  EXPECT_EQ(c.remote_prefixes[0].ToString(), "10.2.0.0/16");
  EXPECT_EQ(c.shared_key.size(), 10u);
  EXPECT_TRUE(c.force_encapsulation);
}

TEST(GatewayConfig, DefaultsAreAzuresAndModern) {
  auto j = Valid();
  for (auto k :
       {"ike_proposals", "esp_proposals", "mode", "dpd_timeout_s", "ike_lifetime_s", "child_lifetime_s"}) {
    j["connections"][0].erase(k);
  }
  j.erase("tunnel");
  auto g = ParseGatewayConfig(j.dump());
  ASSERT_TRUE(g) << g.error().message;
  const auto& c = g->connections[0];
  EXPECT_EQ(c.mode, ConnectionMode::kBoth);
  EXPECT_EQ(c.dpd_timeout_s, 45u);
  EXPECT_EQ(c.ike_lifetime_s, 28800u);
  EXPECT_EQ(c.child_lifetime_s, 27000u);
  EXPECT_EQ(c.ike_proposals[0], "aes256gcm16-prfsha256-ecp256");
  EXPECT_EQ(g->tunnel_interface, "isth0");
  EXPECT_EQ(g->cookie_threshold, 64u);
  EXPECT_EQ(g->max_half_open, 4096u);
}

TEST(GatewayConfig, IkeDosLimitsCanBeLifted) {
  auto j = Valid();
  j["ike"] = {{"cookie_threshold", 100000}, {"max_half_open", 100000}};
  auto g = ParseGatewayConfig(j.dump());
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->cookie_threshold, 100000u);
  EXPECT_EQ(g->max_half_open, 100000u);
}

TEST(GatewayConfig, ErrorsNameTheFieldAndNeverTheKey) {
  struct Case {
    std::function<void(nlohmann::json&)> edit;
    std::string field;
  };
  std::vector<Case> cases = {
      {[](auto& j) { j["local"]["address"] = "nope"; }, "local.address"},
      {[](auto& j) { j.erase("local"); }, "local"},
      {[](auto& j) { j["connections"][0]["remote_prefixes"][0] = "10.2.0.1/16"; },
       "connections[0].remote_prefixes[0]"},
      {[](auto& j) { j["connections"][0]["remote_prefixes"] = {"10.1.128.0/17"}; },
       "connections[0].remote_prefixes"},
      {[](auto& j) { j["connections"][0]["mode"] = "sometimes"; }, "connections[0].mode"},
      {[](auto& j) { j["connections"][0]["dpd_timeout_s"] = 5; }, "connections[0].dpd_timeout_s"},
      {[](auto& j) { j["connections"][0].erase("shared_key"); }, "connections[0].shared_key"},
      {[](auto& j) { j["connections"].push_back(j["connections"][0]); }, "connections[1].name"},
      {[](auto& j) { j["tunnel"]["interface"] = "a-very-long-interface-name"; }, "tunnel.interface"},
      {[](auto& j) { j["connections"][0]["remote_address"] = "fd00::1"; }, "connections[0].remote_address"},
      {[](auto& j) {
         j["ike"] = {{"max_half_open", 0}};
       },
       "ike.max_half_open"},
      {[](auto& j) { j["ike"] = 7; }, "ike"},
  };
  for (const auto& c : cases) {
    auto j = Valid();
    c.edit(j);
    auto g = ParseGatewayConfig(j.dump());
    ASSERT_FALSE(g) << c.field;
    EXPECT_EQ(g.error().target, c.field) << g.error().message;
    EXPECT_EQ(g.error().message.find("s3cret-psk"), std::string::npos);
  }
  EXPECT_FALSE(ParseGatewayConfig("{not json"));
}

}  // namespace
}  // namespace isthmus::gateway
