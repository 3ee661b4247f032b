// The renderer on the resources of Microsoft's VNet-to-VNet tutorial: what the host must hold.
#include <gtest/gtest.h>

#include "gateway/config.h"
#include "mgmt/render/host_plan.h"
#include "model_fixture.h"

namespace isthmus::mgmt::render {
namespace {

using testing::ModelTest;

class RenderTest : public ModelTest {
 protected:
  void SetUp() override {
    gw1_ = MakeSite("TestRG1", "VNet1", {"10.11.0.0/16", "10.12.0.0/16"}, "10.12.255.0/27", "10.11.0.0/24");
    gw4_ = MakeSite("TestRG4", "VNet4", {"10.41.0.0/16", "10.42.0.0/16"}, "10.42.255.0/27", "10.41.0.0/24");
  }
  HostPlan Plan(std::vector<RegionPairImpairment> impairments = {}) {
    RenderOptions o;
    o.impairments = std::move(impairments);
    o.prefix = "t1-";
    o.runtime_dir = "/run/isthmus";
    o.underlay_pool = *net::Prefix::Parse("198.18.0.0/15");
    return Render(state_, {testing::kSub}, o);
  }
  const GatewayPlan* Gw(const HostPlan& p, const ResourceId& id) {
    for (const auto& g : p.gateways) {
      if (g.key == id.Key()) return &g;
    }
    return nullptr;
  }
  std::string Pip(const std::string& rg, const std::string& name) {
    return state_.Find(Net(Kind::kPublicIpAddress, rg, name))->doc["properties"]["ipAddress"];
  }
  void Relocate(const ResourceId& id, const std::string& location) {
    Resource r = *state_.Find(id);
    r.doc["location"] = location;
    state_.Apply({{id.Key(), r}});
  }
  ResourceId gw1_, gw4_;
};

TEST_F(RenderTest, TheTutorialsTwoSites) {
  PutExpectOk(Net(Kind::kConnection, "TestRG1", "VNet1ToVNet4"), ConnectionBody(gw1_, gw4_, "AzureA1b2C3"));
  PutExpectOk(Net(Kind::kConnection, "TestRG4", "VNet4ToVNet1"), ConnectionBody(gw4_, gw1_, "AzureA1b2C3"));
  HostPlan p = Plan();
  EXPECT_TRUE(p.blocked.empty());
  EXPECT_EQ(p.underlay_ns, "t1-u");
  ASSERT_EQ(p.vnets.size(), 2u);
  ASSERT_EQ(p.gateways.size(), 2u);

  const GatewayPlan* g1 = Gw(p, gw1_);
  const GatewayPlan* g4 = Gw(p, gw4_);
  ASSERT_TRUE(g1 && g4);
  EXPECT_EQ(g1->ns, GatewayNamespace("t1-", gw1_.Key()));
  EXPECT_TRUE(g1->ns.starts_with("t1-g-"));
  // The inside leg lives in GatewaySubnet (.4; .1 is the VNet router), the outside one on the
  // underlay with the public IP.
  EXPECT_EQ(g1->lan.address.ToString(), "10.12.255.4");
  EXPECT_EQ(g1->lan.prefix_length, 27);
  EXPECT_EQ(g1->lan.peer_ns, VnetNamespace("t1-", Net(Kind::kVirtualNetwork, "TestRG1", "VNet1").Key()));
  EXPECT_EQ(g1->wan.address.ToString(), Pip("TestRG1", "VNet1-ip"));
  EXPECT_EQ(g1->wan.prefix_length, 15);
  EXPECT_EQ(g1->wan.peer_ns, "t1-u");
  ASSERT_EQ(g1->routes.size(), 2u);  // the VNet's space via the router's GatewaySubnet address
  EXPECT_EQ(g1->routes[0].via.ToString(), "10.12.255.1");

  // One complete gateway configuration, parseable by isthmus-gateway, key included.
  auto cfg = gateway::ParseGatewayConfig(g1->config_text);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->local_address.ToString(), Pip("TestRG1", "VNet1-ip"));
  EXPECT_EQ(cfg->control_socket, "/run/isthmus/" + g1->file_stem + ".sock");
  ASSERT_EQ(cfg->connections.size(), 1u);
  const auto& c = cfg->connections[0];
  EXPECT_EQ(c.name, "VNet1ToVNet4");
  EXPECT_EQ(c.remote_address.ToString(), Pip("TestRG4", "VNet4-ip"));
  EXPECT_EQ(c.shared_key, SecretBytes(std::string_view("AzureA1b2C3")));
  ASSERT_EQ(c.local_prefixes.size(), 2u);
  EXPECT_EQ(c.local_prefixes[1].ToString(), "10.12.0.0/16");
  ASSERT_EQ(c.remote_prefixes.size(), 2u);
  EXPECT_EQ(c.remote_prefixes[0].ToString(), "10.41.0.0/16");
  EXPECT_EQ(c.dpd_timeout_s, 45u);
  EXPECT_EQ(g1->connection_keys.at("VNet1ToVNet4"), Net(Kind::kConnection, "TestRG1", "VNet1ToVNet4").Key());
  EXPECT_TRUE(g1->unpaired.empty());

  // Exactly one side of the pair initiates: the lower public address.
  const auto m1 = g1->config.connections[0].mode, m4 = g4->config.connections[0].mode;
  EXPECT_NE(m1 == gateway::ConnectionMode::kResponder, m4 == gateway::ConnectionMode::kResponder);

  // The VNet routers send the remote space to their gateway.
  for (const auto& v : p.vnets) {
    ASSERT_EQ(v.routes.size(), 2u);
    EXPECT_EQ(v.bridges.size(), 2u);  // FrontEnd and GatewaySubnet
    const bool is1 = v.name == "VNet1";
    EXPECT_EQ(v.routes[0].destination.ToString(), is1 ? "10.41.0.0/16" : "10.11.0.0/16");
    EXPECT_EQ(v.routes[0].via.ToString(), is1 ? "10.12.255.4" : "10.42.255.4");
    for (const auto& b : v.bridges) EXPECT_EQ(b.router_address, b.prefix.address().Plus(1));
  }
}

TEST_F(RenderTest, IsDeterministic) {
  PutExpectOk(Net(Kind::kConnection, "TestRG1", "VNet1ToVNet4"), ConnectionBody(gw1_, gw4_));
  HostPlan a = Plan(), b = Plan();
  ASSERT_EQ(a.gateways.size(), b.gateways.size());
  for (std::size_t i = 0; i < a.gateways.size(); ++i)
    EXPECT_EQ(a.gateways[i].config_text, b.gateways[i].config_text);
  EXPECT_EQ(a.vnets, b.vnets);
}

TEST_F(RenderTest, AConnectionWithoutItsReverseIsUnpaired) {
  PutExpectOk(Net(Kind::kConnection, "TestRG1", "VNet1ToVNet4"), ConnectionBody(gw1_, gw4_));
  HostPlan p = Plan();
  EXPECT_TRUE(Gw(p, gw1_)->unpaired.contains("VNet1ToVNet4"));
  EXPECT_TRUE(Gw(p, gw4_)->config.connections.empty());
  // It only responds until the other side exists (its gateway would refuse an IKE_SA_INIT now, and the
  // initiator would then wait out its reconnect delay); complete, the lower public IP initiates.
  ASSERT_EQ(Gw(p, gw1_)->config.connections.size(), 1u);
  EXPECT_EQ(Gw(p, gw1_)->config.connections[0].mode, gateway::ConnectionMode::kResponder);
  PutExpectOk(Net(Kind::kConnection, "TestRG4", "VNet4ToVNet1"), ConnectionBody(gw4_, gw1_));
  HostPlan paired = Plan();
  EXPECT_TRUE(Gw(paired, gw1_)->unpaired.empty());
  EXPECT_NE(Gw(paired, gw1_)->config.connections[0].mode == gateway::ConnectionMode::kResponder,
            Gw(paired, gw4_)->config.connections[0].mode == gateway::ConnectionMode::kResponder);
}

TEST_F(RenderTest, DeletingConnectionsAndTheirRoutesAreLeftOut) {
  PutExpectOk(Net(Kind::kConnection, "TestRG1", "VNet1ToVNet4"), ConnectionBody(gw1_, gw4_));
  Provision();
  ASSERT_TRUE(Delete(Net(Kind::kConnection, "TestRG1", "VNet1ToVNet4")));
  HostPlan p = Plan();
  EXPECT_TRUE(Gw(p, gw1_)->config.connections.empty());
  for (const auto& v : p.vnets) EXPECT_TRUE(v.routes.empty());
}

TEST_F(RenderTest, CustomIpsecPolicyReachesTheGateway) {
  Json body = ConnectionBody(gw1_, gw4_);
  body["properties"]["ipsecPolicies"] = {{{"saLifeTimeSeconds", 3600},
                                          {"saDataSizeKilobytes", 102400000},
                                          {"ipsecEncryption", "AES256"},
                                          {"ipsecIntegrity", "SHA256"},
                                          {"ikeEncryption", "AES256"},
                                          {"ikeIntegrity", "SHA384"},
                                          {"dhGroup", "DHGroup14"},
                                          {"pfsGroup", "PFS2048"}}};
  PutExpectOk(Net(Kind::kConnection, "TestRG1", "c"), body);
  auto cfg = gateway::ParseGatewayConfig(Gw(Plan(), gw1_)->config_text);
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_TRUE(cfg->connections[0].ipsec_policy);
  EXPECT_EQ(cfg->connections[0].ipsec_policy->ike_integrity, "SHA384");
  EXPECT_EQ(cfg->connections[0].ipsec_policy->pfs_group, "PFS2048");
  EXPECT_EQ(cfg->connections[0].child_lifetime_s, 3600u);
}

TEST(RenderNames, AreStableShortAndValid) {
  EXPECT_EQ(NameHash("/subscriptions/x/resourcegroups/rg/providers/microsoft.network/virtualnetworks/v", 8),
            NameHash("/SUBSCRIPTIONS/x/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/V", 8));
  EXPECT_EQ(NameHash("abc", 8).size(), 8u);
  EXPECT_NE(NameHash("a", 8), NameHash("b", 8));
  EXPECT_EQ(KernelMac("00-0D-3A-1B-2C-3D"), "00:0d:3a:1b:2c:3d");
  EXPECT_EQ(KernelMac("00-0D-3A"), "");
}

TEST_F(RenderTest, AnImpairedPairOfRegionsPutsTheImpairerInBothOutsideLegs) {
  PutExpectOk(Net(Kind::kConnection, "TestRG1", "VNet1ToVNet4"), ConnectionBody(gw1_, gw4_, "AzureA1b2C3"));
  PutExpectOk(Net(Kind::kConnection, "TestRG4", "VNet4ToVNet1"), ConnectionBody(gw4_, gw1_, "AzureA1b2C3"));
  Relocate(gw1_, "eastus");  // gw4_ stays in westus

  // Not switched on (or for another pair): the legs go straight into the underlay's bridge.
  RegionPairImpairment other;
  other.region_a = "eastus";
  other.region_b = "westeurope";
  for (const HostPlan& p : {Plan(), Plan({other})}) {
    for (const auto& g : p.gateways) {
      EXPECT_FALSE(g.impair) << g.name;
      EXPECT_EQ(g.wan.bridge, "ul0");
    }
  }

  RegionPairImpairment pair;
  pair.region_a = "WestUS";  // either order, any case
  pair.region_b = "EastUS";
  pair.loss = 0.01;
  pair.jitter = std::chrono::milliseconds(2);
  HostPlan p = Plan({pair});
  const GatewayPlan* g1 = Gw(p, gw1_);
  const GatewayPlan* g4 = Gw(p, gw4_);
  ASSERT_TRUE(g1 && g4 && g1->impair && g4->impair);
  // Microsoft's P50 eastus-westus is 64 ms: 32 ms on each gateway's egress, to the other's address.
  ASSERT_EQ(g1->impair->links.size(), 1u) << "the pair's two connections share one peer";
  EXPECT_EQ(g1->impair->links[0].remote.ToString(), Pip("TestRG4", "VNet4-ip"));
  EXPECT_EQ(g1->impair->links[0].one_way, std::chrono::milliseconds(32));
  EXPECT_EQ(g4->impair->links[0].remote.ToString(), Pip("TestRG1", "VNet1-ip"));
  EXPECT_EQ(g4->impair->links[0].remote_region, "eastus");
  EXPECT_EQ(g1->wan.bridge, g1->impair->bridge) << "wan0's underlay end goes into the impairer's bridge";
  EXPECT_TRUE(g1->impair->bridge.starts_with("b-"));
  EXPECT_EQ(g1->impair->bridge.substr(2), g1->wan.peer_ifname.substr(2));
  EXPECT_NE(g1->impair->bridge, g4->impair->bridge);
  EXPECT_LE(g1->impair->outer_tap.size(), 15u);
  Json cfg = Json::parse(g1->impair->config_text);
  ASSERT_EQ(cfg["a_to_b"]["rules"].size(), 1u);
  const Json& rule = cfg["a_to_b"]["rules"][0];
  EXPECT_EQ(rule["prefix"], Pip("TestRG4", "VNet4-ip") + "/32");
  EXPECT_DOUBLE_EQ(rule["delayMs"].get<double>(), 32.0);
  EXPECT_DOUBLE_EQ(rule["jitterMs"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(rule["lossPercent"].get<double>(), 1.0);
  EXPECT_TRUE(cfg["b_to_a"].empty()) << "ingress is the other side's egress";

  // A round trip of one's own overrides the table; a pair of the same region has none but that.
  pair.round_trip = std::chrono::milliseconds(100);
  EXPECT_EQ(Gw(Plan({pair}), gw1_)->impair->links[0].one_way, std::chrono::milliseconds(50));
  Relocate(gw1_, "westus");
  RegionPairImpairment local;
  local.region_a = local.region_b = "westus";
  local.round_trip = std::chrono::milliseconds(4);
  EXPECT_EQ(Gw(Plan({local}), gw4_)->impair->links[0].one_way, std::chrono::milliseconds(2));
}

}  // namespace
}  // namespace isthmus::mgmt::render
