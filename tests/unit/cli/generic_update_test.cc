// az's generic update arguments on an ARM body: paths through flattened properties, indexes and
// filters, JSON values, and az's errors for bad paths.
#include "cli/generic_update.h"

#include <gtest/gtest.h>

namespace isthmus::cli {
namespace {

Json Vnet() {
  return Json::parse(R"({
    "id": "/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v1",
    "name": "v1", "location": "eastus",
    "properties": {
      "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
      "subnets": [
        {"name": "FrontEnd", "properties": {"addressPrefix": "10.0.1.0/24"}},
        {"name": "GatewaySubnet", "properties": {"addressPrefix": "10.0.255.0/27"}}
      ]
    }
  })");
}

// Applies `tokens` (as typed after the command) to `body`; returns the error message, or "".
std::string Apply(Json& body, const std::vector<std::string>& tokens) {
  const auto options = GenericUpdateOptions();
  auto parsed = ParseArgs(options, tokens);
  if (!parsed) return "parse: " + parsed.error().message;
  auto s = ApplyGenericUpdates(parsed->args, body);
  return s ? "" : s.error().message;
}

TEST(GenericUpdate, SetThroughFlattenedPropertiesAndIntoTags) {
  Json v = Vnet();
  ASSERT_EQ(Apply(v, {"--set", "tags.env=dev", "addressSpace.addressPrefixes[0]=10.1.0.0/16",
                      "subnets[1].addressPrefix=10.0.254.0/27"}),
            "");
  EXPECT_EQ(v["tags"], Json({{"env", "dev"}}));  // absent tags are created, at the top level
  EXPECT_EQ(v["properties"]["addressSpace"]["addressPrefixes"], Json::array({"10.1.0.0/16"}));
  EXPECT_EQ(v["properties"]["subnets"][1]["properties"]["addressPrefix"], "10.0.254.0/27");
  EXPECT_FALSE(v.contains("addressSpace"));
}

TEST(GenericUpdate, ValuesAreJsonUnlessForceString) {
  Json v = Vnet();
  ASSERT_EQ(Apply(v, {"--set", "tags.n=10", "addressSpace.addressPrefixes=[\"10.0.0.0/16\",\"10.9.0.0/16\"]",
                      "enableDdosProtection=false"}),
            "");
  EXPECT_EQ(v["tags"]["n"], 10);
  EXPECT_EQ(v["properties"]["addressSpace"]["addressPrefixes"].size(), 2u);
  EXPECT_EQ(v["properties"]["enableDdosProtection"], false);  // a new property goes inside properties
  ASSERT_EQ(Apply(v, {"--set", "tags.n=10", "--force-string"}), "");
  EXPECT_EQ(v["tags"]["n"], "10");
  ASSERT_EQ(Apply(v, {"--set", "tags.url=http://x/?a=b"}), "");  // only the first '=' splits
  EXPECT_EQ(v["tags"]["url"], "http://x/?a=b");
}

TEST(GenericUpdate, FiltersAndNegativeIndexes) {
  Json v = Vnet();
  ASSERT_EQ(Apply(v, {"--set", "subnets[name=FrontEnd].addressPrefix=10.0.2.0/24",
                      "subnets[-1].name=GatewaySubnet"}),
            "");
  EXPECT_EQ(v["properties"]["subnets"][0]["properties"]["addressPrefix"], "10.0.2.0/24");
  EXPECT_EQ(Apply(v, {"--set", "subnets[name=Nope].addressPrefix=x"}),
            "item with value 'Nope' doesn't exist for key 'name' on subnets");
}

TEST(GenericUpdate, AddAppendsValuesAndKeyValueObjectsInArmShape) {
  Json v = Vnet();
  ASSERT_EQ(Apply(v, {"--add", "addressSpace.addressPrefixes", "10.2.0.0/16", "10.3.0.0/16"}), "");
  EXPECT_EQ(v["properties"]["addressSpace"]["addressPrefixes"],
            Json::array({"10.0.0.0/16", "10.2.0.0/16", "10.3.0.0/16"}));
  ASSERT_EQ(Apply(v, {"--add", "subnets", "name=BackEnd", "addressPrefix=10.0.3.0/24"}), "");
  ASSERT_EQ(v["properties"]["subnets"].size(), 3u);
  EXPECT_EQ(v["properties"]["subnets"][2],
            Json::parse(R"({"name":"BackEnd","properties":{"addressPrefix":"10.0.3.0/24"}})"));
  ASSERT_EQ(Apply(v, {"--add", "dhcpOptions.dnsServers", "10.0.0.4"}), "");  // both created
  EXPECT_EQ(v["properties"]["dhcpOptions"]["dnsServers"], Json::array({"10.0.0.4"}));
  EXPECT_EQ(Apply(v, {"--add", "name", "x"}),
            "invalid syntax: --add property.listProperty <key=value, string or JSON string>");
}

TEST(GenericUpdate, RemoveAnIndexOrAProperty) {
  Json v = Vnet();
  v["tags"] = {{"env", "dev"}, {"owner", "net"}};
  ASSERT_EQ(Apply(v, {"--remove", "subnets", "0", "--remove", "tags.env"}), "");
  ASSERT_EQ(v["properties"]["subnets"].size(), 1u);
  EXPECT_EQ(v["properties"]["subnets"][0]["name"], "GatewaySubnet");
  EXPECT_EQ(v["tags"], Json({{"owner", "net"}}));
  ASSERT_EQ(Apply(v, {"--remove", "addressSpace"}), "");
  EXPECT_FALSE(v["properties"].contains("addressSpace"));
  EXPECT_EQ(Apply(v, {"--remove", "subnets", "5"}), "index 5 doesn't exist on subnets");
}

TEST(GenericUpdate, AppliedInTheOrderTyped) {
  Json v = Vnet();
  ASSERT_EQ(
      Apply(v, {"--add", "addressSpace.addressPrefixes", "10.5.0.0/16", "--remove",
                "addressSpace.addressPrefixes", "0", "--set", "addressSpace.addressPrefixes[0]=10.6.0.0/16"}),
      "");
  EXPECT_EQ(v["properties"]["addressSpace"]["addressPrefixes"], Json::array({"10.6.0.0/16"}));
}

TEST(GenericUpdate, BadPathsGetAzsErrors) {
  Json v = Vnet();
  EXPECT_EQ(Apply(v, {"--set", "nosuch.thing=1"}),
            "Couldn't find 'nosuch' in ''. Available options: ['addressSpace', 'id', 'location', 'name', "
            "'subnets']");
  EXPECT_EQ(Apply(v, {"--set", "subnets[7].name=x"}), "index 7 doesn't exist on subnets");
  EXPECT_EQ(Apply(v, {"--set", "name.first=x"}),
            "Couldn't find 'first' in 'name'. 'name' does not support further indexing.");
  EXPECT_EQ(Apply(v, {"--set", "subnets.name=x"}),
            "Couldn't find 'name' in 'subnets'. Available options: index into the collection 'subnets' with "
            "[<index>] or [<key=value>]");
  EXPECT_EQ(Apply(v, {"--set", "=x"}),
            "usage error: Empty key in --set. Correct syntax: --set KEY=VALUE [KEY=VALUE ...]");
  EXPECT_EQ(Apply(v, {"--remove", "tags.env"}).substr(0, 30), "Couldn't find 'env' in 'tags'.");
  EXPECT_EQ(Apply(v, {"--remove", "subnets", "one"}),
            "invalid syntax: --remove property.list <indexToRemove> OR --remove propertyToRemove");
}

TEST(GenericUpdate, CamelAndSnakeCaseNameTheSameProperty) {
  Json v = Vnet();
  ASSERT_EQ(Apply(v, {"--set", "address_space.address_prefixes[0]=10.7.0.0/16"}), "");
  EXPECT_EQ(v["properties"]["addressSpace"]["addressPrefixes"][0], "10.7.0.0/16");
}

}  // namespace
}  // namespace isthmus::cli
