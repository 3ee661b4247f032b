#include "cli/output.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

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
  EXPECT_EQ(Format(OutputFormat::kNone, Json{{"a", 1}}, false, false), "");
  EXPECT_TRUE(ParseOutputFormat("tsv").has_value());
  EXPECT_EQ(ParseOutputFormat("yaml"), OutputFormat::kYaml);
  EXPECT_EQ(ParseOutputFormat("yamlc"), OutputFormat::kYamlc);
  EXPECT_FALSE(ParseOutputFormat("xml").has_value());
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

namespace isthmus::cli {
namespace {

// Strings that a careless emitter would write plain and a reader would take for something else.
Json TrickyData() {
  Json strings = Json::array();
  for (const char* s : {"10",
                        "true",
                        "yes",
                        "No",
                        "on",
                        "OFF",
                        "null",
                        "~",
                        "",
                        "1e3",
                        "0x1F",
                        "012",
                        "0b11",
                        "1.5",
                        ".5",
                        "1_000",
                        "2023-09-01",
                        "2023-09-01T10:00:00Z",
                        "1:30",
                        "a: b",
                        "#x",
                        "- x",
                        " lead",
                        "trail ",
                        "multi\nline",
                        "h\u00e9 \u2603",
                        "<<",
                        "=",
                        "@x",
                        "`x",
                        "!x",
                        "&x",
                        "*x",
                        "%x",
                        "|",
                        ">",
                        "{x}",
                        "[x]",
                        "'q'",
                        "\"dq\"",
                        ",",
                        "?",
                        "x #y",
                        ".inf",
                        "-.inf",
                        ".nan",
                        "-",
                        "10.11.0.0/16",
                        "VNet1",
                        "tab\there",
                        "back\\slash"}) {
    strings.push_back(s);
  }
  return {{"strings", strings},
          {"numbers", Json::array({1, -1, 0, 1.5, 1e21, 0.0001, -2.5e-7, 9007199254740993LL})},
          {"literals", Json::array({true, false, nullptr})},
          {"empty",
           {{"list", Json::array()}, {"object", Json::object()}, {"nested", Json::array({Json::array()})}}},
          {"keys", {{"10", 1}, {"true", 2}, {"a b", 3}, {"x:y", 4}, {"", 5}, {"null", 6}}},
          {"rows",
           Json::array({{{"name", "FrontEnd"}, {"addressPrefix", "10.11.0.0/24"}},
                        {{"name", "GatewaySubnet"}, {"addressPrefixes", Json::array({"10.12.255.0/27"})}}})}};
}

TEST(Output, YamlIsBlockStyleWithSortedKeysAndQuotedLookalikes) {
  Json v = {{"name", "VNet1"},
            {"tags", Json::object()},
            {"addressSpace", {{"addressPrefixes", Json::array({"10.11.0.0/16"})}}},
            {"count", "10"},
            {"enabled", true},
            {"dns", nullptr},
            {"asn", 65515}};
  EXPECT_EQ(FormatYaml(v, false),
            "addressSpace:\n"
            "  addressPrefixes:\n"
            "    - 10.11.0.0/16\n"
            "asn: 65515\n"
            "count: '10'\n"
            "dns: null\n"
            "enabled: true\n"
            "name: VNet1\n"
            "tags: {}\n");
  EXPECT_EQ(FormatYaml(Json::array(), false), "[]\n");
  EXPECT_EQ(FormatYaml(Json("VNet1"), false), "VNet1\n...\n");  // as PyYAML ends a plain scalar
  EXPECT_EQ(FormatYaml(Json("true"), false), "'true'\n");
  EXPECT_EQ(FormatYaml(Json(1e21), false), "1.0e+21\n...\n");
}

// Turns a loaded YAML node back into JSON the way a YAML 1.2 reader types plain scalars.
Json FromYaml(const YAML::Node& n) {
  if (n.IsMap()) {
    Json o = Json::object();
    for (const auto& kv : n) o[kv.first.as<std::string>()] = FromYaml(kv.second);
    return o;
  }
  if (n.IsSequence()) {
    Json a = Json::array();
    for (const auto& e : n) a.push_back(FromYaml(e));
    return a;
  }
  if (n.IsNull()) return Json(nullptr);
  const std::string s = n.Scalar();
  if (n.Tag() == "!") return Json(s);  // quoted: a string whatever it looks like
  if (s == "true" || s == "false") return Json(s == "true");
  auto num = Json::parse(s, nullptr, false);
  if (!num.is_discarded() && num.is_number()) return num;
  return Json(s);
}

TEST(Output, YamlLoadsBackAsTheSameDataInYamlCpp) {
  const Json v = TrickyData();
  EXPECT_EQ(FromYaml(YAML::Load(FormatYaml(v, false))), SortedKeys(v));
}

TEST(Output, YamlLoadsBackAsTheSameDataInPyYaml) {
  // az's own reader: PyYAML resolves YAML 1.1 types (yes/no/on/off, 012, 1:30, dates).
  if (std::system("/usr/bin/python3 -c 'import yaml' 2>/dev/null") != 0) {
    GTEST_SKIP() << "python3-yaml is not installed (scripts/deps.sh installs it)";
  }
  const Json v = TrickyData();
  const auto dir = std::filesystem::temp_directory_path() / ("isthmus-yaml-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "out.yaml") << FormatYaml(v, false);
  std::ofstream(dir / "out.json") << FormatJson(v, false);
  const std::string cmd =
      "/usr/bin/python3 -c 'import json, sys, yaml; "
      "y = yaml.safe_load(open(sys.argv[1])); j = json.load(open(sys.argv[2])); "
      "sys.exit(0 if y == j and json.dumps(y, sort_keys=True) == json.dumps(j, sort_keys=True) "
      "else 1)' " +
      (dir / "out.yaml").string() + " " + (dir / "out.json").string();
  EXPECT_EQ(std::system(cmd.c_str()), 0) << FormatYaml(v, false);
  std::filesystem::remove_all(dir);
}

TEST(Output, YamlcColoursOnlyWhenAskedAndKeepsTheText) {
  Json v = {{"name", "VNet1"}, {"list", Json::array({1, "a"})}, {"ok", true}};
  EXPECT_EQ(Format(OutputFormat::kYamlc, v, false, false), FormatYaml(v, false));
  EXPECT_EQ(Format(OutputFormat::kJsonc, v, false, false), FormatJson(v, false));
  const std::string c = Format(OutputFormat::kYamlc, v, false, true);
  EXPECT_NE(c.find("\x1b[94mname\x1b[0m: \x1b[32mVNet1\x1b[0m"), std::string::npos) << c;
  EXPECT_NE(c.find("- \x1b[36m1\x1b[0m"), std::string::npos) << c;
  std::string stripped;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (c[i] == '\x1b') {
      i = c.find('m', i);
      continue;
    }
    stripped += c[i];
  }
  EXPECT_EQ(stripped, FormatYaml(v, false));
}

}  // namespace
}  // namespace isthmus::cli
