#include "cli/output.h"

#include <gtest/gtest.h>

#include "cli/json.h"

namespace isthmus::cli {
namespace {

TEST(Output, JsonSortsKeysWithTwoSpaceIndent) {
  Json v = Json::parse(R"({"name": "VNet1", "id": "/x", "tags": {}, "list": [1]})");
  EXPECT_EQ(FormatJson(v, false),
            "{\n  \"id\": \"/x\",\n  \"list\": [\n    1\n  ],\n  \"name\": \"VNet1\",\n  \"tags\": {}\n}\n");
}

TEST(Output, JsoncIsColoredButSameContent) {
  Json v = {{"a", "x"}, {"b", 1}};
  std::string c = FormatJson(v, true);
  EXPECT_NE(c.find("\x1b["), std::string::npos);
  std::string stripped;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (c[i] == '\x1b') {
      i = c.find('m', i);
      continue;
    }
    stripped += c[i];
  }
  EXPECT_EQ(stripped, FormatJson(v, false));
}

TEST(Output, TableListsScalarColumnsUnderlined) {
  Json list = Json::parse(R"([
    {"name": "VNet1", "location": "westus2", "id": "/a", "etag": "e", "type": "t", "subnets": [1], "dhcp": {},
     "enabled": true},
    {"name": "LongerName", "location": "eastus", "id": "/b", "enabled": false}
  ])");
  // Columns in the item's key order; id/type/etag and nested values left out; first letter capitalised.
  EXPECT_EQ(FormatTable(list, false),
            "Name        Location  Enabled\n"
            "----------  --------  -------\n"
            "VNet1       westus2   True\n"
            "LongerName  eastus    False\n");
}

TEST(Output, TableShowsIdWhenQueried) {
  Json v = {{"id", "/a"}};
  EXPECT_EQ(FormatTable(v, true), "Id\n--\n/a\n");
  EXPECT_EQ(FormatTable(v, false), "");
}

TEST(Output, TableOfScalarsUsesResultColumnAndRightAlignsNumbers) {
  EXPECT_EQ(FormatTable(Json::array({"a", "bb"}), true), "Result\n------\na\nbb\n");
  EXPECT_EQ(FormatTable(Json::array({5, 100}), true), "Result\n------\n     5\n   100\n");
}

TEST(Output, TsvRowsAndColumns) {
  Json rows = Json::array(
      {{{"name", "VNet1"}, {"count", 2}, {"ok", true}, {"list", {1, 2, 3}}, {"obj", {{"k", 1}}}},
       {{"name", "VNet2"}, {"count", 0}, {"ok", false}, {"list", Json::array()}, {"obj", nullptr}}});
  EXPECT_EQ(FormatTsv(rows), "VNet1\t2\ttrue\t3\t\nVNet2\t0\tfalse\t0\t\n");
  EXPECT_EQ(FormatTsv(Json::array({"10.11.0.0/16", "10.12.0.0/16"})), "10.11.0.0/16\n10.12.0.0/16\n");
  EXPECT_EQ(FormatTsv(Json("VNet1")), "VNet1\n");
  EXPECT_EQ(FormatTsv(Json::array({Json::array({"a", "b"})})), "a\tb\n");
}

TEST(Output, NoneAndFormatNames) {
  EXPECT_EQ(Format(OutputFormat::kNone, Json{{"a", 1}}, false), "");
  EXPECT_TRUE(ParseOutputFormat("tsv").has_value());
  EXPECT_FALSE(ParseOutputFormat("yaml").has_value());
}

TEST(AzView, FlattensPropertiesAndAddsResourceGroup) {
  Json arm = Json::parse(R"({
    "id": "/subscriptions/s/resourceGroups/RG1/providers/Microsoft.Network/virtualNetworks/VNet1",
    "name": "VNet1",
    "properties": {
      "addressSpace": {"addressPrefixes": ["10.11.0.0/16"]},
      "subnets": [{"id": "/subscriptions/s/resourceGroups/RG1/providers/Microsoft.Network/virtualNetworks/VNet1/subnets/A",
                   "name": "A", "properties": {"addressPrefix": "10.11.0.0/24"}}]
    }
  })");
  Json v = AzView(arm);
  EXPECT_FALSE(v.contains("properties"));
  EXPECT_EQ(v["addressSpace"]["addressPrefixes"][0], "10.11.0.0/16");
  EXPECT_EQ(v["resourceGroup"], "RG1");
  EXPECT_EQ(v["subnets"][0]["addressPrefix"], "10.11.0.0/24");
  EXPECT_EQ(v["subnets"][0]["resourceGroup"], "RG1");
}

}  // namespace
}  // namespace isthmus::cli
