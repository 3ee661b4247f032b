#include "gateway/engine_config.h"

#include <chrono>

#include <gtest/gtest.h>

namespace isthmus::gateway {
namespace {

GatewayConfig Sample() {
  GatewayConfig g;
  g.local_address = *net::IpAddress::Parse("198.18.0.2");
  g.local_id = "198.18.0.2";
  ConnectionConfig c;
  c.name = "to-b";
  c.remote_address = *net::IpAddress::Parse("198.18.0.3");
  c.remote_id = "gw-b.example";
  c.shared_key = SecretBytes(std::string_view("psk-0123"));
  c.local_prefixes = {*net::Prefix::Parse("10.1.0.0/16")};
  c.remote_prefixes = {*net::Prefix::Parse("10.2.0.0/16")};
  c.ike_proposals = {"aes256gcm16-prfsha256-ecp256", "chacha20poly1305-prfsha512-curve25519"};
  c.esp_proposals = {"aes256gcm16"};
  c.mode = ConnectionMode::kResponder;
  c.dpd_timeout_s = 30;
  c.ike_lifetime_s = 3600;
  c.child_lifetime_s = 100;
  g.connections.push_back(c);
  return g;
}

TEST(EngineConfig, MapsEveryField) {
  auto r = ToEngineConnections(Sample());
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  const ike::ConnectionConfig& e = (*r)[0];
  EXPECT_EQ(e.name, "to-b");
  EXPECT_EQ(e.local.address.ToString(), "198.18.0.2");
  EXPECT_EQ(e.local.port, 500);
  EXPECT_EQ(e.remote.address.ToString(), "198.18.0.3");
  EXPECT_EQ(e.remote.port, 500);
  EXPECT_EQ(e.local_id.AsAddress()->ToString(), "198.18.0.2");
  EXPECT_EQ(e.remote_id.AsText().value_or(""), "gw-b.example");  // not an address: ID_FQDN
  EXPECT_EQ(e.ike_proposals.size(), 2u);
  EXPECT_EQ(e.esp_proposals.size(), 1u);
  EXPECT_EQ(e.mode, ike::ConnectionMode::kResponder);
  EXPECT_FALSE(e.initiates());
  EXPECT_EQ(e.dpd_timeout, std::chrono::seconds(30));
  EXPECT_EQ(e.child_lifetime.hard, std::chrono::seconds(100));
  EXPECT_EQ(e.child_lifetime.margin, std::chrono::seconds(10));
  EXPECT_EQ(e.child_lifetime.jitter, std::chrono::seconds(5));
  EXPECT_EQ(e.ike_lifetime.hard, std::chrono::seconds(3600));
  EXPECT_TRUE(e.force_encapsulation);
  EXPECT_EQ(e.psk.size(), 8u);
}

TEST(EngineConfig, PerConnectionLocalIdOverridesTheGateways) {
  auto g = Sample();
  g.connections[0].local_id = "gw-a.example";
  auto r = ToEngineConnections(g);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].local_id.AsText().value_or(""), "gw-a.example");
}

TEST(EngineConfig, ABadProposalNamesItsField) {
  auto g = Sample();
  g.connections[0].esp_proposals = {"aes256gcm16", "rot13-md4"};
  auto r = ToEngineConnections(g);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().target, "connections[0].esp_proposals[1]");
}

TEST(EngineConfig, ZeroLifetimeNeverRekeys) {
  auto l = LifetimeFor(0);
  EXPECT_EQ(l.hard, Duration::zero());
  EXPECT_EQ(l.margin, Duration::zero());
}

TEST(EngineConfig, UnchangedConfigIsSameAsForReload) {
  auto a = ToEngineConnections(Sample());
  auto b = ToEngineConnections(Sample());
  ASSERT_TRUE(a && b);
  EXPECT_TRUE((*a)[0].SameAs((*b)[0]));
  auto g = Sample();
  g.connections[0].remote_prefixes.push_back(*net::Prefix::Parse("10.3.0.0/16"));
  auto c = ToEngineConnections(g);
  ASSERT_TRUE(c);
  EXPECT_FALSE((*a)[0].SameAs((*c)[0]));
}

}  // namespace
}  // namespace isthmus::gateway
