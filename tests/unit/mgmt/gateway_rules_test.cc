// Rules on public IPs, gateways, local gateways, and deletion of what is in use.
#include "model_fixture.h"

namespace isthmus::mgmt::testing {
namespace {

class GatewayRules : public ModelTest {
 protected:
  void SetUp() override {
    PutExpectOk(Group("rg"), {{"location", "westus"}});
    PutExpectOk(
        Net(Kind::kVirtualNetwork, "rg", "v1"),
        VnetBody({"10.11.0.0/16"}, {{"FrontEnd", "10.11.0.0/24"}, {"GatewaySubnet", "10.11.255.0/27"}}));
    PutExpectOk(Net(Kind::kPublicIpAddress, "rg", "ip1"), PipBody("Dynamic"));
    PutExpectOk(Net(Kind::kPublicIpAddress, "rg", "ip2"), PipBody("Dynamic"));
  }
  ResourceId Gw(const std::string& n = "gw1") { return Net(Kind::kVirtualNetworkGateway, "rg", n); }
  const Json& Doc(const ResourceId& id) { return state_.Find(id)->doc; }
};

TEST_F(GatewayRules, CreatesAsyncAndAssignsPublicIpFromPool) {
  EXPECT_FALSE(Doc(Net(Kind::kPublicIpAddress, "rg", "ip1"))["properties"].contains("ipAddress"));
  auto p = PutExpectOk(Gw(), GatewayBody("rg", "v1", "ip1"));
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->async);
  EXPECT_EQ(Doc(Gw())["properties"]["provisioningState"], "Updating");
  std::string addr = Doc(Net(Kind::kPublicIpAddress, "rg", "ip1"))["properties"]["ipAddress"];
  EXPECT_TRUE(net::Prefix::Parse("198.18.0.0/15")->Contains(*net::IpAddress::Parse(addr))) << addr;
  EXPECT_EQ(Doc(Gw())["properties"]["bgpSettings"]["bgpPeeringAddress"], "10.11.255.30");
}

TEST_F(GatewayRules, IpConfigurationNamesAndBgpAddressesOfTheWrongTypeAreRefused) {
  Json body = GatewayBody("rg", "v1", "ip1");
  body["properties"]["ipConfigurations"][0]["name"] = 7;
  auto r = Put(Gw(), body);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(r.error().target, "properties.ipConfigurations[0].name");
  body["properties"]["ipConfigurations"][0]["name"] = "bad/name";
  ExpectError(Put(Gw(), body), "InvalidResourceName", {"ipConfigurations[0].name"});
  body = GatewayBody("rg", "v1", "ip1");
  body["properties"]["enableBgp"] = true;
  body["properties"]["bgpSettings"] = {{"asn", 65010}, {"bgpPeeringAddress", 5}};
  r = Put(Gw(), body);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(state_.Find(Gw()), nullptr);
}

TEST_F(GatewayRules, StaticPublicIpsGetDistinctAddressesAtCreation) {
  PutExpectOk(Net(Kind::kPublicIpAddress, "rg", "s1"), PipBody("Static"));
  PutExpectOk(Net(Kind::kPublicIpAddress, "rg", "s2"), PipBody("Static"));
  auto a = Doc(Net(Kind::kPublicIpAddress, "rg", "s1"))["properties"]["ipAddress"];
  auto b = Doc(Net(Kind::kPublicIpAddress, "rg", "s2"))["properties"]["ipAddress"];
  EXPECT_NE(a, b);
  EXPECT_EQ(a, "198.18.0.2");  // .0 network and .1 underlay router are reserved
}

TEST_F(GatewayRules, PublicIpsSkipAnOutsidePeersAddressInThePool) {
  // An outside peer attached to the underlay holds 198.18.0.2; its local network gateway names it.
  PutExpectOk(Net(Kind::kLocalNetworkGateway, "rg", "onprem"),
              {{"location", "eastus"},
               {"properties",
                {{"gatewayIpAddress", "198.18.0.2"},
                 {"localNetworkAddressSpace", {{"addressPrefixes", {"10.200.0.0/24"}}}}}}});
  PutExpectOk(Net(Kind::kPublicIpAddress, "rg", "s1"), PipBody("Static"));
  EXPECT_EQ(Doc(Net(Kind::kPublicIpAddress, "rg", "s1"))["properties"]["ipAddress"], "198.18.0.3");
}

TEST_F(GatewayRules, StandardSkuMustBeStatic) {
  Json body = PipBody("Dynamic");
  body["sku"]["name"] = "Standard";
  ExpectError(Put(Net(Kind::kPublicIpAddress, "rg", "x"), body), "StandardSkuPublicIPAddressesMustBeStatic");
}

TEST_F(GatewayRules, RefusesSubnetThatIsNotGatewaySubnet) {
  ExpectError(Put(Gw(), GatewayBody("rg", "v1", "ip1", "RouteBased", "VpnGw1", "FrontEnd")),
              "GatewaySubnetRequired", {"GatewaySubnet", "FrontEnd"});
  EXPECT_EQ(state_.Find(Gw()), nullptr);
  EXPECT_FALSE(Doc(Net(Kind::kPublicIpAddress, "rg", "ip1"))["properties"].contains("ipAddress"));
}

TEST_F(GatewayRules, GatewaySubnetNameIsExact) {
  PutExpectOk(Subnet("rg", "v1", "gatewaysubnet2"), {{"properties", {{"addressPrefix", "10.11.254.0/27"}}}});
  ExpectError(Put(Gw(), GatewayBody("rg", "v1", "ip1", "RouteBased", "VpnGw1", "gatewaysubnet2")),
              "GatewaySubnetRequired");
}

TEST_F(GatewayRules, GatewaySubnetSmallerThan29IsRefusedAndBelow27Warned) {
  // /29 is the floor for any subnet, so a too-small GatewaySubnet cannot even be created...
  ExpectError(
      Put(Subnet("rg", "v1", "GatewaySubnet"), {{"properties", {{"addressPrefix", "10.11.255.0/30"}}}}),
      "InvalidSubnetPrefixLength");
  // ...and /28 works with a warning.
  PutExpectOk(Subnet("rg", "v1", "GatewaySubnet"), {{"properties", {{"addressPrefix", "10.11.255.0/28"}}}});
  auto p = PutExpectOk(Gw(), GatewayBody("rg", "v1", "ip1"));
  ASSERT_TRUE(p);
  ASSERT_EQ(p->warnings.size(), 1u);
  EXPECT_NE(p->warnings[0].find("/27"), std::string::npos);
}

TEST_F(GatewayRules, OneVpnGatewayPerVnet) {
  PutExpectOk(Gw(), GatewayBody("rg", "v1", "ip1"));
  Provision();
  ExpectError(Put(Gw("gw2"), GatewayBody("rg", "v1", "ip2")), "VnetAlreadyHasVpnGateway", {"v1", "gw1"});
}

TEST_F(GatewayRules, PublicIpCannotServeTwoGateways) {
  PutExpectOk(Net(Kind::kVirtualNetwork, "rg", "v2"),
              VnetBody({"10.21.0.0/16"}, {{"GatewaySubnet", "10.21.255.0/27"}}));
  PutExpectOk(Gw(), GatewayBody("rg", "v1", "ip1"));
  ExpectError(Put(Gw("gw2"), GatewayBody("rg", "v2", "ip1")), "PublicIPAddressInUse", {"ip1"});
}

TEST_F(GatewayRules, VpnTypeIsImmutable) {
  PutExpectOk(Gw(), GatewayBody("rg", "v1", "ip1", "RouteBased", "VpnGw1"));
  Provision();
  ExpectError(Put(Gw(), GatewayBody("rg", "v1", "ip1", "PolicyBased", "Basic")), "VpnTypeCannotBeChanged",
              {"RouteBased", "PolicyBased"});
}

TEST_F(GatewayRules, SkuRules) {
  ExpectError(Put(Gw(), GatewayBody("rg", "v1", "ip1", "RouteBased", "VpnGw9")), "InvalidParameter",
              {"VpnGw9"});
  ExpectError(Put(Gw(), GatewayBody("rg", "v1", "ip1", "PolicyBased", "VpnGw1")),
              "PolicyBasedGatewayRequiresBasicSku");
  EXPECT_EQ(TunnelLimit("Basic"), 10);
  EXPECT_EQ(TunnelLimit("VpnGw1"), 30);
  EXPECT_EQ(TunnelLimit("VpnGw3AZ"), 30);
  EXPECT_EQ(TunnelLimit("VpnGw5"), 100);
  EXPECT_EQ(TunnelLimit("vpngw4az"), 100);
}

TEST_F(GatewayRules, RefusesMissingReferences) {
  ExpectError(Put(Gw(), GatewayBody("rg", "nope", "ip1")), "InvalidResourceReference", {"nope"});
  ExpectError(Put(Gw(), GatewayBody("rg", "v1", "nope")), "InvalidResourceReference", {"nope"});
  Json no_cfg = GatewayBody("rg", "v1", "ip1");
  no_cfg["properties"]["ipConfigurations"] = Json::array();
  ExpectError(Put(Gw(), no_cfg), "MissingRequiredProperty", {"ipConfigurations"});
}

TEST_F(GatewayRules, OnlyVpnGatewayType) {
  Json body = GatewayBody("rg", "v1", "ip1");
  body["properties"]["gatewayType"] = "ExpressRoute";
  ExpectError(Put(Gw(), body), "UnsupportedGatewayType");
}

TEST_F(GatewayRules, DeletingWhatIsInUseIsAConflict) {
  PutExpectOk(Gw(), GatewayBody("rg", "v1", "ip1"));
  Provision();
  auto vnet = Delete(Net(Kind::kVirtualNetwork, "rg", "v1"));
  ExpectError(vnet, "InUseVirtualNetworkCannotBeDeleted", {"v1", "gw1"});
  EXPECT_EQ(vnet.error().kind, ErrorKind::kConflict);
  ExpectError(Delete(Subnet("rg", "v1", "GatewaySubnet")), "InUseSubnetCannotBeDeleted");
  ExpectError(Delete(Net(Kind::kPublicIpAddress, "rg", "ip1")), "PublicIPAddressInUse");
  // Removing GatewaySubnet through a VNet PUT is the same conflict.
  ExpectError(
      Put(Net(Kind::kVirtualNetwork, "rg", "v1"), VnetBody({"10.11.0.0/16"}, {{"FrontEnd", "10.11.0.0/24"}})),
      "InUseSubnetCannotBeDeleted");
  ExpectError(
      Put(Net(Kind::kVirtualNetwork, "rg", "v1"),
          VnetBody({"10.11.0.0/16"}, {{"FrontEnd", "10.11.0.0/24"}, {"GatewaySubnet", "10.11.254.0/27"}})),
      "InUseSubnetCannotBeUpdated");
  // An unused subnet goes.
  auto fe = Delete(Subnet("rg", "v1", "FrontEnd"));
  ASSERT_TRUE(fe);
  EXPECT_EQ(state_.Find(Net(Kind::kVirtualNetwork, "rg", "v1"))->doc["properties"]["subnets"].size(), 1u);
}

TEST_F(GatewayRules, GatewayDeletionIsAsyncAndReleasesDynamicIp) {
  PutExpectOk(Gw(), GatewayBody("rg", "v1", "ip1"));
  Provision();
  auto d = Delete(Gw());
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->async);
  EXPECT_EQ(Doc(Gw())["properties"]["provisioningState"], "Deleting");
  Planner p(state_, Ctx());
  state_.Apply(p.FinishDelete(*state_.Find(Gw())));
  EXPECT_EQ(state_.Find(Gw()), nullptr);
  EXPECT_FALSE(Doc(Net(Kind::kPublicIpAddress, "rg", "ip1"))["properties"].contains("ipAddress"));
  EXPECT_TRUE(Delete(Net(Kind::kVirtualNetwork, "rg", "v1")));
}

TEST_F(GatewayRules, DeleteOfMissingIsNoop) {
  auto d = Delete(Gw("never"));
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->noop);
}

TEST_F(GatewayRules, ChangingAnUpdatingGatewayIsRefused) {
  PutExpectOk(Gw(), GatewayBody("rg", "v1", "ip1"));
  ExpectError(Put(Gw(), GatewayBody("rg", "v1", "ip1")), "AnotherOperationInProgress");
}

TEST_F(GatewayRules, LocalGatewayRules) {
  auto id = Net(Kind::kLocalNetworkGateway, "rg", "onprem");
  Json body = {{"location", "westus"},
               {"properties",
                {{"gatewayIpAddress", "198.51.100.7"},
                 {"localNetworkAddressSpace", {{"addressPrefixes", {"192.168.0.0/16"}}}}}}};
  PutExpectOk(id, body);
  body["properties"]["gatewayIpAddress"] = "not-an-ip";
  ExpectError(Put(id, body), "InvalidGatewayIpAddress");
  body["properties"]["gatewayIpAddress"] = "198.51.100.7";
  body["properties"]["localNetworkAddressSpace"]["addressPrefixes"] = {"192.168.0.0/16", "192.168.1.0/24"};
  ExpectError(Put(id, body), "OverlappingAddressPrefixes");
  body["properties"]["localNetworkAddressSpace"]["addressPrefixes"] = {"192.168.1.1/24"};
  ExpectError(Put(id, body), "InvalidAddressPrefixFormat");
}

}  // namespace
}  // namespace isthmus::mgmt::testing
