// Rules on virtual networks and subnets.
#include "model_fixture.h"

namespace isthmus::mgmt::testing {
namespace {

class VnetRules : public ModelTest {
 protected:
  void SetUp() override { PutExpectOk(Group("rg"), {{"location", "westus"}}); }
  ResourceId V(const std::string& n = "v1") { return Net(Kind::kVirtualNetwork, "rg", n); }
};

TEST_F(VnetRules, AcceptsTwoPrefixesAndSubnetsInEither) {
  auto p =
      PutExpectOk(V(), VnetBody({"10.11.0.0/16", "10.12.0.0/16"}, {{"FrontEnd", "10.11.0.0/24"},
                                                                   {"BackEnd", "10.12.0.0/24"},
                                                                   {"GatewaySubnet", "10.12.255.0/27"}}));
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->created);
  const auto& doc = state_.Find(V())->doc;
  EXPECT_EQ(doc["properties"]["subnets"].size(), 3u);
  EXPECT_EQ(doc["properties"]["provisioningState"], "Succeeded");
  EXPECT_EQ(doc["type"], "Microsoft.Network/virtualNetworks");
  EXPECT_TRUE(doc["etag"].get<std::string>().starts_with("W/\""));
}

// Kept but not acted on: still checked, never silently dropped or mistyped.
TEST_F(VnetRules, DnsServersAreKeptAndCheckedAndDdosProtectionIsRefused) {
  Json body = VnetBody({"10.11.0.0/16"}, {});
  body["properties"]["dhcpOptions"] = {{"dnsServers", {"10.11.0.4", "2001:db8::53"}}};
  ASSERT_TRUE(PutExpectOk(V(), body));
  EXPECT_EQ(state_.Find(V())->doc["properties"]["dhcpOptions"]["dnsServers"],
            Json::parse(R"(["10.11.0.4", "2001:db8::53"])"));
  for (const Json& bad : {Json::parse(R"({"dnsServers": [1]})"), Json::parse(R"({"dnsServers": "10.0.0.1"})"),
                          Json::parse(R"("x")")}) {
    body["properties"]["dhcpOptions"] = bad;
    auto r = Put(V("v2"), body);
    ASSERT_FALSE(r) << bad.dump();
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument) << bad.dump();
    EXPECT_NE(r.error().target.find("dhcpOptions"), std::string::npos) << r.error().target;
  }
  body["properties"]["dhcpOptions"] = {{"dnsServers", {"10.0.0.300"}}};
  ExpectError(Put(V("v2"), body), "InvalidDnsServerAddress", {"dnsServers[0]"});
  body["properties"].erase("dhcpOptions");
  body["properties"]["enableDdosProtection"] = "yes";
  ASSERT_FALSE(Put(V("v2"), body));
  body["properties"]["enableDdosProtection"] = true;
  ExpectError(Put(V("v2"), body), "DdosProtectionPlanNotSupported");
  body["properties"]["enableDdosProtection"] = false;
  ASSERT_TRUE(Put(V("v2"), body));
}

TEST_F(VnetRules, LocationsAreLettersAndDigitsAndAreEchoedInert) {
  using namespace std::string_literals;
  for (const std::string& bad :
       {"east\nus"s, "east/us"s, "east\0us"s, "'; DROP"s, "eastus\r\nX-Injected: 1"s}) {
    Json body = VnetBody({"10.11.0.0/16"}, {});
    body["location"] = bad;
    auto r = Put(V(), body);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "LocationNotAvailableForResourceType") << bad;
    for (char c : r.error().message) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << r.error().message;
  }
  EXPECT_EQ(state_.Find(V()), nullptr);
  Json body = VnetBody({"10.11.0.0/16"}, {});
  body["location"] = "West US 2";
  ASSERT_TRUE(PutExpectOk(V(), body));
  EXPECT_EQ(state_.Find(V())->doc["location"], "westus2");
}

TEST_F(VnetRules, AcceptsIpv6AddressSpace) {
  ASSERT_TRUE(Put(V(), VnetBody({"10.1.0.0/16", "fd00:db8::/48"}, {{"a", "fd00:db8:0:1::/64"}})));
}

TEST_F(VnetRules, RefusesHostBitsAndNamesTheField) {
  auto r = Put(V(), VnetBody({"10.11.0.1/16"}, {}));
  ExpectError(r, "InvalidAddressPrefixFormat", {"10.11.0.1/16", "host bits", "addressPrefixes"});
  EXPECT_EQ(state_.Find(V()), nullptr);  // nothing stored
}

TEST_F(VnetRules, RefusesBadLengths) {
  ExpectError(Put(V(), VnetBody({"10.0.0.0/33"}, {})), "InvalidAddressPrefixFormat", {"0..32"});
  ExpectError(Put(V(), VnetBody({"10.0.0.0"}, {})), "InvalidAddressPrefixFormat");
  ExpectError(Put(V(), VnetBody({"10.0.0.0/16"}, {{"a", "10.0.0.0/16x"}})), "InvalidAddressPrefixFormat");
}

TEST_F(VnetRules, RefusesOwnPrefixesOverlapping) {
  ExpectError(Put(V(), VnetBody({"10.0.0.0/8", "10.12.0.0/16"}, {})), "VnetAddressPrefixesOverlap",
              {"10.0.0.0/8", "10.12.0.0/16"});
}

TEST_F(VnetRules, RefusesEmptyAddressSpace) {
  ExpectError(Put(V(), VnetBody({}, {})), "MissingRequiredProperty", {"addressPrefixes"});
}

TEST_F(VnetRules, RefusesSubnetOutsideSpace) {
  ExpectError(Put(V(), VnetBody({"10.11.0.0/16"}, {{"FrontEnd", "10.13.0.0/24"}})),
              "NetcfgSubnetRangeOutsideVnet", {"FrontEnd", "10.13.0.0/24", "10.11.0.0/16"});
}

TEST_F(VnetRules, RefusesSiblingSubnetsOverlapping) {
  ExpectError(Put(V(), VnetBody({"10.11.0.0/16"}, {{"a", "10.11.0.0/24"}, {"b", "10.11.0.128/25"}})),
              "NetcfgSubnetRangesOverlap", {"'b'", "10.11.0.128/25", "'a'", "10.11.0.0/24"});
}

TEST_F(VnetRules, RefusesDuplicateSubnetNames) {
  ExpectError(Put(V(), VnetBody({"10.11.0.0/16"}, {{"a", "10.11.0.0/24"}, {"A", "10.11.1.0/24"}})),
              "DuplicateResourceName");
}

TEST_F(VnetRules, RefusesTooSmallSubnets) {
  ExpectError(Put(V(), VnetBody({"10.11.0.0/16"}, {{"a", "10.11.0.0/30"}})), "InvalidSubnetPrefixLength",
              {"/29"});
}

TEST_F(VnetRules, SubnetChildResourceFollowsTheSameRules) {
  PutExpectOk(V(), VnetBody({"10.11.0.0/16"}, {{"FrontEnd", "10.11.0.0/24"}}));
  auto ok = Put(Subnet("rg", "v1", "BackEnd"), {{"properties", {{"addressPrefix", "10.11.1.0/24"}}}});
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->created);
  EXPECT_EQ(state_.Find(V())->doc["properties"]["subnets"].size(), 2u);
  ExpectError(Put(Subnet("rg", "v1", "Other"), {{"properties", {{"addressPrefix", "10.11.1.0/25"}}}}),
              "NetcfgSubnetRangesOverlap");
  ExpectError(Put(Subnet("rg", "v1", "Other"), {{"properties", {{"addressPrefix", "10.99.0.0/24"}}}}),
              "NetcfgSubnetRangeOutsideVnet");
  EXPECT_EQ(state_.Find(V())->doc["properties"]["subnets"].size(), 2u);
  auto missing = Put(Subnet("rg", "nope", "x"), {{"properties", {{"addressPrefix", "10.0.0.0/24"}}}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST_F(VnetRules, ShrinkingTheSpaceUnderASubnetIsRefused) {
  PutExpectOk(V(), VnetBody({"10.11.0.0/16", "10.12.0.0/16"}, {{"b", "10.12.0.0/24"}}));
  ExpectError(Put(V(), VnetBody({"10.11.0.0/16"}, {{"b", "10.12.0.0/24"}})), "NetcfgSubnetRangeOutsideVnet");
}

TEST_F(VnetRules, RequiresLocationAndValidNames) {
  Json body = VnetBody({"10.0.0.0/16"}, {});
  body.erase("location");
  ExpectError(Put(V(), body), "LocationRequired");
  ExpectError(Put(V("-bad"), VnetBody({"10.0.0.0/16"}, {})), "InvalidResourceName");
  ExpectError(Put(V("a b"), VnetBody({"10.0.0.0/16"}, {})), "InvalidResourceName");
  ExpectError(Put(V(std::string(81, 'a')), VnetBody({"10.0.0.0/16"}, {})), "InvalidResourceName");
}

TEST_F(VnetRules, WrongJsonTypesNameTheProperty) {
  Json body = VnetBody({"10.0.0.0/16"}, {});
  body["properties"]["addressSpace"]["addressPrefixes"] = "10.0.0.0/16";
  ExpectError(Put(V(), body), "InvalidRequestFormat", {"properties.addressSpace.addressPrefixes"});
  ExpectError(Put(V(), Json::array()), "InvalidRequestFormat");
}

TEST_F(VnetRules, GroupMustExist) {
  auto r = Put(Net(Kind::kVirtualNetwork, "nogroup", "v"), VnetBody({"10.0.0.0/16"}, {}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ResourceGroupNotFound");
}

TEST_F(VnetRules, NewResourcesTakeTheGroupsStoredCasing) {
  PutExpectOk(Group("MyGroup"), {{"location", "westus"}});
  PutExpectOk(Net(Kind::kVirtualNetwork, "MYGROUP", "v"), VnetBody({"10.0.0.0/16"}, {{"s", "10.0.0.0/24"}}));
  const auto& doc = state_.Find(Net(Kind::kVirtualNetwork, "mygroup", "v"))->doc;
  EXPECT_NE(doc["id"].get<std::string>().find("/resourceGroups/MyGroup/"), std::string::npos) << doc["id"];
  EXPECT_NE(doc["properties"]["subnets"][0]["id"].get<std::string>().find("/resourceGroups/MyGroup/"),
            std::string::npos);
}

TEST_F(VnetRules, ReplaceKeepsGuidAndOriginalCasing) {
  PutExpectOk(V("VNet1"), VnetBody({"10.0.0.0/16"}, {}));
  auto guid = state_.Find(V("VNet1"))->doc["properties"]["resourceGuid"];
  auto etag = state_.Find(V("VNet1"))->doc["etag"];
  auto r = PutExpectOk(V("vnet1"), VnetBody({"10.0.0.0/16"}, {}));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->created);
  EXPECT_EQ(state_.Find(V("vnet1"))->doc["name"], "VNet1");
  EXPECT_EQ(state_.Find(V("vnet1"))->doc["properties"]["resourceGuid"], guid);
  EXPECT_NE(state_.Find(V("vnet1"))->doc["etag"], etag);
}

}  // namespace
}  // namespace isthmus::mgmt::testing
