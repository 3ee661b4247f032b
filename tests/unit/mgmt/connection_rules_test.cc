// Rules on connections: ends, overlap, SKU limits, shared keys, IPsec policies, and changes that would
// make connected networks overlap.
#include <fmt/format.h>

#include "model_fixture.h"

namespace isthmus::mgmt::testing {
namespace {

class ConnectionRules : public ModelTest {
 protected:
  void SetUp() override {
    gw1_ = MakeSite("rg1", "VNet1", {"10.11.0.0/16", "10.12.0.0/16"}, "10.12.255.0/27", "10.11.0.0/24");
    gw4_ = MakeSite("rg4", "VNet4", {"10.41.0.0/16", "10.42.0.0/16"}, "10.42.255.0/27", "10.41.0.0/24");
  }
  ResourceId Conn(const std::string& n = "c14", const std::string& rg = "rg1") {
    return Net(Kind::kConnection, rg, n);
  }
  static Json Policy() {
    return {{"saLifeTimeSeconds", 27000},
            {"saDataSizeKilobytes", 102400000},
            {"ipsecEncryption", "GCMAES256"},
            {"ipsecIntegrity", "GCMAES256"},
            {"ikeEncryption", "AES256"},
            {"ikeIntegrity", "SHA384"},
            {"dhGroup", "ECP256"},
            {"pfsGroup", "ECP256"}};
  }
  Result<Plan> PutPolicy(const Json& policy) {
    Json body = ConnectionBody(gw1_, gw4_);
    body["properties"]["ipsecPolicies"] = Json::array({policy});
    return Put(Conn(), body);
  }
  ResourceId gw1_, gw4_;
};

TEST_F(ConnectionRules, BothDirectionsWithTheSameKey) {
  auto a = PutExpectOk(Conn("VNet1ToVNet4"), ConnectionBody(gw1_, gw4_, "AzureA1b2C3"));
  auto b = PutExpectOk(Conn("VNet4ToVNet1", "rg4"), ConnectionBody(gw4_, gw1_, "AzureA1b2C3"));
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->async);
  const auto& p = state_.Find(Conn("VNet1ToVNet4"))->doc["properties"];
  EXPECT_EQ(p["connectionStatus"], "Unknown");
  EXPECT_EQ(p["dpdTimeoutSeconds"], 45);
  EXPECT_EQ(p["connectionProtocol"], "IKEv2");
  EXPECT_EQ(p["connectionMode"], "Default");
  EXPECT_EQ(p["ingressBytesTransferred"], 0);
}

TEST_F(ConnectionRules, OverlappingVnetsAreRefusedNamingBothPrefixes) {
  MakeSite("rg5", "VNet5", {"10.50.0.0/16", "10.12.128.0/17"}, "10.50.255.0/27", "10.50.0.0/24");
  auto r = Put(Conn("c15"), ConnectionBody(gw1_, Net(Kind::kVirtualNetworkGateway, "rg5", "VNet5-gw")));
  ExpectError(r, "VnetAddressSpacesOverlap", {"10.12.0.0/16", "VNet1", "10.12.128.0/17", "VNet5"});
  EXPECT_EQ(state_.Find(Conn("c15")), nullptr);
}

TEST_F(ConnectionRules, RoutingWeightIsWithinAzuresRange) {
  Json body = ConnectionBody(gw1_, gw4_);
  for (int bad : {-1, 32001}) {
    body["properties"]["routingWeight"] = bad;
    ExpectError(Put(Conn(), body), "InvalidRoutingWeight", {"0..32000", std::to_string(bad)});
  }
  body["properties"]["routingWeight"] = "10";
  ASSERT_FALSE(Put(Conn(), body));
  EXPECT_EQ(state_.Find(Conn()), nullptr);
  body["properties"]["routingWeight"] = 32000;
  ASSERT_TRUE(PutExpectOk(Conn(), body));
  EXPECT_EQ(state_.Find(Conn())->doc["properties"]["routingWeight"], 32000);
}

TEST_F(ConnectionRules, RefusesSelfConnection) {
  ExpectError(Put(Conn(), ConnectionBody(gw1_, gw1_)), "ConnectionToSelfNotAllowed", {"VNet1-gw"});
}

TEST_F(ConnectionRules, RefusesPolicyBasedGateways) {
  PutExpectOk(Group("rg6"), {{"location", "westus"}});
  PutExpectOk(Net(Kind::kVirtualNetwork, "rg6", "v6"),
              VnetBody({"10.60.0.0/16"}, {{"GatewaySubnet", "10.60.255.0/27"}}));
  PutExpectOk(Net(Kind::kPublicIpAddress, "rg6", "ip"), PipBody());
  PutExpectOk(Net(Kind::kVirtualNetworkGateway, "rg6", "pb"),
              GatewayBody("rg6", "v6", "ip", "PolicyBased", "Basic"));
  Provision();
  ExpectError(Put(Conn(), ConnectionBody(gw1_, Net(Kind::kVirtualNetworkGateway, "rg6", "pb"))),
              "Vnet2VnetRequiresRouteBasedGateway", {"pb", "PolicyBased"});
}

TEST_F(ConnectionRules, RefusesGatewayNotYetProvisioned) {
  PutExpectOk(Group("rg7"), {{"location", "westus"}});
  PutExpectOk(Net(Kind::kVirtualNetwork, "rg7", "v7"),
              VnetBody({"10.70.0.0/16"}, {{"GatewaySubnet", "10.70.255.0/27"}}));
  PutExpectOk(Net(Kind::kPublicIpAddress, "rg7", "ip"), PipBody());
  PutExpectOk(Net(Kind::kVirtualNetworkGateway, "rg7", "g"), GatewayBody("rg7", "v7", "ip"));
  auto r = Put(Conn(), ConnectionBody(gw1_, Net(Kind::kVirtualNetworkGateway, "rg7", "g")));
  ExpectError(r, "ReferencedResourceNotProvisioned", {"Updating"});
  EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
}

TEST_F(ConnectionRules, RefusesMissingOrWrongEnds) {
  ExpectError(Put(Conn(), ConnectionBody(gw1_, Net(Kind::kVirtualNetworkGateway, "rg4", "nope"))),
              "InvalidResourceReference", {"nope"});
  Json body = ConnectionBody(gw1_, gw4_);
  body["properties"].erase("virtualNetworkGateway2");
  ExpectError(Put(Conn(), body), "InvalidConnectionEnds");
  body["properties"]["connectionType"] = "ExpressRoute";
  ExpectError(Put(Conn(), body), "UnsupportedConnectionType");
  body["properties"].erase("connectionType");
  ExpectError(Put(Conn(), body), "MissingRequiredProperty", {"connectionType"});
}

TEST_F(ConnectionRules, TunnelLimitOfTheSku) {
  // Basic allows 10 tunnels: make 10 more sites and connect them all from a Basic gateway.
  PutExpectOk(Group("rgb"), {{"location", "westus"}});
  PutExpectOk(Net(Kind::kVirtualNetwork, "rgb", "vb"),
              VnetBody({"10.99.0.0/16"}, {{"GatewaySubnet", "10.99.255.0/27"}}));
  PutExpectOk(Net(Kind::kPublicIpAddress, "rgb", "ip"), PipBody());
  PutExpectOk(Net(Kind::kVirtualNetworkGateway, "rgb", "basic"),
              GatewayBody("rgb", "vb", "ip", "RouteBased", "Basic"));
  Provision();
  auto basic = Net(Kind::kVirtualNetworkGateway, "rgb", "basic");
  for (int i = 0; i < 11; ++i) {
    auto site = MakeSite(fmt::format("s{}", i), "v", {fmt::format("10.{}.0.0/16", 100 + i)},
                         fmt::format("10.{}.255.0/27", 100 + i), fmt::format("10.{}.0.0/24", 100 + i));
    auto r = Put(Net(Kind::kConnection, "rgb", fmt::format("c{}", i)), ConnectionBody(basic, site));
    if (i < 10) {
      ASSERT_TRUE(r) << i << ": " << r.error().message;
      Provision();
    } else {
      ExpectError(r, "MaxTunnelsPerGatewayReached", {"basic", "Basic", "10"});
    }
  }
  // Replacing an existing connection does not count it twice.
  Provision();
  EXPECT_TRUE(Put(Net(Kind::kConnection, "rgb", "c3"),
                  ConnectionBody(basic, Net(Kind::kVirtualNetworkGateway, "s3", "v-gw"))));
}

TEST_F(ConnectionRules, SharedKeyRules) {
  ExpectError(Put(Conn(), ConnectionBody(gw1_, gw4_, std::string(129, 'a'))), "InvalidSharedKey", {"128"});
  ExpectError(Put(Conn(), ConnectionBody(gw1_, gw4_, "has space")), "InvalidSharedKey", {"printable"});
  ExpectError(Put(Conn(), ConnectionBody(gw1_, gw4_, "tab\tkey")), "InvalidSharedKey");
  ExpectError(Put(Conn(), ConnectionBody(gw1_, gw4_, "")), "InvalidSharedKey");
  EXPECT_TRUE(Put(Conn(), ConnectionBody(gw1_, gw4_, std::string(128, 'k'))));
  EXPECT_TRUE(CheckSharedKey("A1!#$%&()*+,-./:;<=>?@[]^_`{|}~").has_value());
}

TEST_F(ConnectionRules, SharedKeyNeverInErrors) {
  const std::string key = "Secret Key With Spaces";
  auto r = Put(Conn(), ConnectionBody(gw1_, gw4_, key));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.find(key), std::string::npos);
}

TEST_F(ConnectionRules, OmittedKeyOnReplaceKeepsTheStoredOne) {
  PutExpectOk(Conn(), ConnectionBody(gw1_, gw4_, "first-key"));
  Provision();
  Json body = ConnectionBody(gw1_, gw4_);
  body["properties"].erase("sharedKey");
  PutExpectOk(Conn(), body);
  EXPECT_EQ(state_.Find(Conn())->doc["properties"]["sharedKey"], "first-key");
}

TEST_F(ConnectionRules, EndsCannotChange) {
  PutExpectOk(Conn(), ConnectionBody(gw1_, gw4_));
  Provision();
  MakeSite("rg8", "VNet8", {"10.80.0.0/16"}, "10.80.255.0/27", "10.80.0.0/24");
  ExpectError(Put(Conn(), ConnectionBody(gw1_, Net(Kind::kVirtualNetworkGateway, "rg8", "VNet8-gw"))),
              "ConnectionEndsCannotBeChanged");
}

TEST_F(ConnectionRules, DpdBoundsAndProtocol) {
  Json body = ConnectionBody(gw1_, gw4_);
  body["properties"]["dpdTimeoutSeconds"] = 8;
  ExpectError(Put(Conn(), body), "InvalidDpdTimeout", {"9..3600"});
  body["properties"]["dpdTimeoutSeconds"] = 3601;
  ExpectError(Put(Conn(), body), "InvalidDpdTimeout");
  body["properties"]["dpdTimeoutSeconds"] = 9;
  body["properties"]["connectionProtocol"] = "IKEv1";
  ExpectError(Put(Conn(), body), "ConnectionProtocolNotSupported");
  body["properties"]["connectionProtocol"] = "IKEv2";
  body["properties"]["connectionMode"] = "Sometimes";
  ExpectError(Put(Conn(), body), "InvalidParameter", {"InitiatorOnly"});
  body["properties"]["connectionMode"] = "ResponderOnly";
  ASSERT_TRUE(Put(Conn(), body));
  EXPECT_EQ(state_.Find(Conn())->doc["properties"]["dpdTimeoutSeconds"], 9);
}

TEST_F(ConnectionRules, IpsecPolicyAcceptedWhole) {
  ASSERT_TRUE(PutPolicy(Policy()));
  const auto& pol = state_.Find(Conn())->doc["properties"]["ipsecPolicies"][0];
  EXPECT_EQ(pol["dhGroup"], "ECP256");
  EXPECT_EQ(pol["saLifeTimeSeconds"], 27000);
}

TEST_F(ConnectionRules, IpsecPolicyPartialIsRefusedNamingWhatIsMissing) {
  Json p = Policy();
  p.erase("pfsGroup");
  p.erase("ikeIntegrity");
  ExpectError(PutPolicy(p), "IpsecPolicyIncomplete", {"pfsGroup", "ikeIntegrity"});
}

TEST_F(ConnectionRules, IpsecPolicyGcmMismatch) {
  Json p = Policy();
  p["ipsecIntegrity"] = "GCMAES128";
  ExpectError(PutPolicy(p), "IpsecPolicyGcmMismatch", {"GCMAES256", "GCMAES128"});
  p["ipsecIntegrity"] = "SHA256";
  ExpectError(PutPolicy(p), "IpsecPolicyGcmMismatch");
  p = Policy();
  p["ikeIntegrity"] = "GCMAES128";
  ExpectError(PutPolicy(p), "IpsecPolicyGcmMismatch");
}

TEST_F(ConnectionRules, IpsecPolicyLifetimesInBounds) {
  Json p = Policy();
  p["saLifeTimeSeconds"] = 299;
  ExpectError(PutPolicy(p), "IpsecPolicyLifetimeOutOfRange", {"300..172799"});
  p["saLifeTimeSeconds"] = 172800;
  ExpectError(PutPolicy(p), "IpsecPolicyLifetimeOutOfRange");
  p = Policy();
  p["saDataSizeKilobytes"] = 1023;
  ExpectError(PutPolicy(p), "IpsecPolicyLifetimeOutOfRange", {"saDataSizeKilobytes"});
}

TEST_F(ConnectionRules, IpsecPolicyValuesAzureHasButIsthmusCannotNegotiate) {
  Json p = Policy();
  p["dhGroup"] = "DHGroup24";
  ExpectError(PutPolicy(p), "IpsecPolicyValueNotSupported", {"DHGroup24", "ECP256"});
  p = Policy();
  p["ipsecEncryption"] = "Blowfish";
  ExpectError(PutPolicy(p), "InvalidParameter", {"Blowfish"});
}

TEST_F(ConnectionRules, OnePolicyOnlyAndPolicyBasedSelectorsNeedOne) {
  Json body = ConnectionBody(gw1_, gw4_);
  body["properties"]["ipsecPolicies"] = Json::array({Policy(), Policy()});
  ExpectError(Put(Conn(), body), "TooManyIpsecPolicies");
  body["properties"]["ipsecPolicies"] = Json::array();
  body["properties"]["usePolicyBasedTrafficSelectors"] = true;
  ExpectError(Put(Conn(), body), "PolicyBasedTrafficSelectorsRequireIpsecPolicy");
}

TEST_F(ConnectionRules, DeletingAConnectedGatewayIsAConflict) {
  PutExpectOk(Conn(), ConnectionBody(gw1_, gw4_));
  Provision();
  ExpectError(Delete(gw4_), "InUseVirtualNetworkGatewayCannotBeDeleted", {"VNet4-gw", "c14"});
}

TEST_F(ConnectionRules, ChangingAddressSpaceToOverlapAConnectedVnetIsRefused) {
  PutExpectOk(Conn(), ConnectionBody(gw1_, gw4_));
  Provision();
  auto r = Put(Net(Kind::kVirtualNetwork, "rg1", "VNet1"),
               VnetBody({"10.11.0.0/16", "10.12.0.0/16", "10.41.128.0/17"},
                        {{"FrontEnd", "10.11.0.0/24"}, {"GatewaySubnet", "10.12.255.0/27"}}));
  ExpectError(r, "VnetAddressSpacesOverlap", {"10.41.128.0/17", "10.41.0.0/16", "c14"});
  EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
  // A non-overlapping addition is fine.
  EXPECT_TRUE(Put(Net(Kind::kVirtualNetwork, "rg1", "VNet1"),
                  VnetBody({"10.11.0.0/16", "10.12.0.0/16", "10.13.0.0/16"},
                           {{"FrontEnd", "10.11.0.0/24"}, {"GatewaySubnet", "10.12.255.0/27"}})));
}

TEST_F(ConnectionRules, IpsecToLocalGatewayChecksOverlapBothWays) {
  auto lgw = Net(Kind::kLocalNetworkGateway, "rg1", "onprem");
  PutExpectOk(lgw, {{"location", "westus"},
                    {"properties",
                     {{"gatewayIpAddress", "198.51.100.7"},
                      {"localNetworkAddressSpace", {{"addressPrefixes", {"10.11.5.0/24"}}}}}}});
  Json body = {{"location", "westus"},
               {"properties",
                {{"connectionType", "IPsec"},
                 {"virtualNetworkGateway1", {{"id", gw1_.ToString()}}},
                 {"localNetworkGateway2", {{"id", lgw.ToString()}}},
                 {"sharedKey", "k"}}}};
  ExpectError(Put(Conn("s2s"), body), "VnetAddressSpacesOverlap", {"10.11.0.0/16", "10.11.5.0/24"});
  PutExpectOk(lgw, {{"location", "westus"},
                    {"properties",
                     {{"gatewayIpAddress", "198.51.100.7"},
                      {"localNetworkAddressSpace", {{"addressPrefixes", {"192.168.0.0/16"}}}}}}});
  ASSERT_TRUE(Put(Conn("s2s"), body));
  Provision();
  // Now the local side may not grow into the VNet.
  auto r =
      Put(lgw, {{"location", "westus"},
                {"properties",
                 {{"gatewayIpAddress", "198.51.100.7"},
                  {"localNetworkAddressSpace", {{"addressPrefixes", {"192.168.0.0/16", "10.12.0.0/24"}}}}}}});
  ExpectError(r, "LocalNetworkAddressSpaceOverlapsConnectedVnet", {"10.12.0.0/24"});
}

TEST_F(ConnectionRules, GroupDeleteMarksEverythingAndRefusesForeignReferences) {
  PutExpectOk(Conn("c41", "rg4"), ConnectionBody(gw4_, gw1_));
  Provision();
  // rg1's gateway is referenced by a connection in rg4.
  ExpectError(Delete(Group("rg1")), "ResourceGroupInUse", {"c41", "rg4"});
  auto d = Delete(Group("rg4"));
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->async);
  for (const Resource* r : state_.List(Kind::kVirtualNetworkGateway, kSub, std::string("rg4"))) {
    EXPECT_EQ(r->doc["properties"]["provisioningState"], "Deleting");
  }
  EXPECT_EQ(state_.Find(Group("rg4"))->doc["properties"]["provisioningState"], "Deleting");
  // Nothing new may enter a group that is being deleted.
  auto r = Put(Net(Kind::kPublicIpAddress, "rg4", "late"), PipBody());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ResourceGroupBeingDeleted");
}

}  // namespace
}  // namespace isthmus::mgmt::testing
