#include "cli/jmespath.h"

#include <gtest/gtest.h>

namespace isthmus::cli::jmespath {
namespace {

const Json& Data() {
  static const Json d = Json::parse(R"({
    "name": "VNet1",
    "addressSpace": {"addressPrefixes": ["10.11.0.0/16", "10.12.0.0/16"]},
    "subnets": [
      {"name": "FrontEnd", "addressPrefix": "10.11.0.0/24", "size": 256},
      {"name": "BackEnd", "addressPrefix": "10.12.0.0/24", "size": 256},
      {"name": "GatewaySubnet", "addressPrefix": "10.12.255.0/27", "size": 32}
    ],
    "tags": {"env": "test", "owner": "net"},
    "nested": [[1, 2], [3], 4],
    "with space": "quoted",
    "flag": true
  })");
  return d;
}

Json Q(const std::string& expr) {
  auto r = Search(expr, Data());
  EXPECT_TRUE(r.has_value()) << expr << ": " << (r ? "" : r.error().message);
  return r ? *r : Json("<error>");
}

TEST(JmesPath, IdentifiersAndDottedPaths) {
  EXPECT_EQ(Q("name"), "VNet1");
  EXPECT_EQ(Q("addressSpace.addressPrefixes"), Json::array({"10.11.0.0/16", "10.12.0.0/16"}));
  EXPECT_TRUE(Q("missing.field").is_null());
  EXPECT_TRUE(Q("name.length").is_null());  // a field of a string is null, not an error
}

TEST(JmesPath, QuotedIdentifier) {
  EXPECT_EQ(Q("\"with space\""), "quoted");
}

TEST(JmesPath, IndexesIncludingNegative) {
  EXPECT_EQ(Q("subnets[0].name"), "FrontEnd");
  EXPECT_EQ(Q("subnets[-1].name"), "GatewaySubnet");
  EXPECT_TRUE(Q("subnets[7]").is_null());
  EXPECT_EQ(Q("addressSpace.addressPrefixes[1]"), "10.12.0.0/16");
}

TEST(JmesPath, Slices) {
  EXPECT_EQ(Q("subnets[:2].name"), Json::array({"FrontEnd", "BackEnd"}));
  EXPECT_EQ(Q("subnets[::-1].name"), Json::array({"GatewaySubnet", "BackEnd", "FrontEnd"}));
}

TEST(JmesPath, ListProjection) {
  EXPECT_EQ(Q("subnets[*].name"), Json::array({"FrontEnd", "BackEnd", "GatewaySubnet"}));
  // A projection drops nulls.
  EXPECT_EQ(Q("subnets[*].missing"), Json::array());
  // The right side of a projection applies per element: [0] of each name would be null, so [*].x[0]
  // on strings yields nothing, while a pipe stops the projection.
  EXPECT_EQ(Q("subnets[*].name | [0]"), "FrontEnd");
}

TEST(JmesPath, ObjectProjection) {
  Json v = Q("tags.*");
  EXPECT_EQ(v, Json::array({"test", "net"}));
}

TEST(JmesPath, Flatten) {
  EXPECT_EQ(Q("nested[]"), Json::array({1, 2, 3, 4}));
  EXPECT_EQ(Q("subnets[].name"), Json::array({"FrontEnd", "BackEnd", "GatewaySubnet"}));
}

TEST(JmesPath, MultiselectListAndHash) {
  EXPECT_EQ(Q("[name, flag]"), Json::array({"VNet1", true}));
  Json rows = Q("subnets[].{Name: name, Prefix: addressPrefix}");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2]["Prefix"], "10.12.255.0/27");
  // Key order is the order written, which table/tsv output relies on.
  Json h = Q("{z: name, a: flag}");
  EXPECT_EQ(h.begin().key(), "z");
}

TEST(JmesPath, Filters) {
  EXPECT_EQ(Q("subnets[?name=='BackEnd'].addressPrefix"), Json::array({"10.12.0.0/24"}));
  EXPECT_EQ(Q("subnets[?name!='BackEnd'].name"), Json::array({"FrontEnd", "GatewaySubnet"}));
  EXPECT_EQ(Q("subnets[?size < `100`].name"), Json::array({"GatewaySubnet"}));
  EXPECT_EQ(Q("subnets[?size >= `256` && name != 'FrontEnd'].name"), Json::array({"BackEnd"}));
  EXPECT_EQ(Q("subnets[?name=='BackEnd'] | [0].size"), 256);
  EXPECT_EQ(Q("subnets[?!(name=='BackEnd')] | length(@)"), 2);
}

TEST(JmesPath, Functions) {
  EXPECT_EQ(Q("length(subnets)"), 3);
  EXPECT_EQ(Q("length(name)"), 5);
  EXPECT_EQ(Q("contains(addressSpace.addressPrefixes, '10.12.0.0/16')"), true);
  EXPECT_EQ(Q("subnets[?starts_with(name, 'Gate')].name"), Json::array({"GatewaySubnet"}));
  EXPECT_EQ(Q("sort(subnets[].name)"), Json::array({"BackEnd", "FrontEnd", "GatewaySubnet"}));
  EXPECT_EQ(Q("join(',', addressSpace.addressPrefixes)"), "10.11.0.0/16,10.12.0.0/16");
  EXPECT_EQ(Q("max(subnets[].size)"), 256);
}

TEST(JmesPath, LiteralsAndOr) {
  EXPECT_EQ(Q("missing || 'fallback'"), "fallback");
  EXPECT_EQ(Q("`{\"a\": 1}`.a"), 1);
  EXPECT_EQ(Q("'it\\'s'"), "it's");
}

TEST(JmesPath, BadExpressionsAreUsageErrors) {
  for (const char* bad : {"[?", "subnets[", "a.", "{a b}", "foo(", "unknown_fn(@)", "a = b", "`{bad json`",
                          "[0", "subnets[?name=='x'", "a..b", "\"unterminated"}) {
    auto r = Search(bad, Data());
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_NE(r.error().message.find("--query"), std::string::npos) << r.error().message;
  }
}

TEST(JmesPath, FunctionTypeErrorsFailAtEvaluation) {
  auto e = Expression::Parse("length(flag)");
  ASSERT_TRUE(e.has_value());
  auto r = e->Evaluate(Data());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, kTypeErrorCode);
  // jmespath.py's wording (the value as Python shows it), which az prints after its own prefix.
  EXPECT_EQ(r.error().message,
            "In function length(), invalid type for value: True, expected one of: ['string', 'array', "
            "'object'], received: \"boolean\"");
  auto s = Search("sum(subnets[].name)", Data());
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, kQueryErrorCode);
  EXPECT_EQ(s.error().message,
            "Invalid jmespath query supplied for `--query`: In function sum(), invalid type for value: "
            "'FrontEnd', expected one of: ['array-number'], received: \"string\"");
}

TEST(JmesPath, ArityAndUnknownFunctionsAreRefusedWhenParsed) {
  auto e = Expression::Parse("length(name, flag)");
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().code, kArityErrorCode);
  EXPECT_EQ(e.error().message, "Expected 1 argument for function length(), received 2");
  e = Expression::Parse("merge()");
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().message, "Expected at least 1 argument for function merge(), received 0");
  e = Expression::Parse("frobnicate(@)");
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().code, kUnknownFunctionCode);
  EXPECT_EQ(e.error().message, "Unknown function: frobnicate()");
}

TEST(JmesPath, ExpressionReferences) {
  EXPECT_EQ(Q("sort_by(subnets, &size)[].name"), Json::array({"GatewaySubnet", "FrontEnd", "BackEnd"}));
  EXPECT_EQ(Q("sort_by(subnets, &name)[].name"), Json::array({"BackEnd", "FrontEnd", "GatewaySubnet"}));
  EXPECT_EQ(Q("max_by(subnets, &size).name"), "FrontEnd");  // the first of equal maxima
  EXPECT_EQ(Q("min_by(subnets, &size).name"), "GatewaySubnet");
  EXPECT_EQ(Q("map(&addressPrefix, subnets)"),
            Json::array({"10.11.0.0/24", "10.12.0.0/24", "10.12.255.0/27"}));
  EXPECT_EQ(Q("map(&missing, subnets)"), Json::array({nullptr, nullptr, nullptr}));  // map keeps nulls
  // An expression where a value is wanted, and a value where an expression is wanted, are type errors.
  EXPECT_FALSE(Search("length(&name)", Data()).has_value());
  EXPECT_FALSE(Search("sort_by(subnets, name)", Data()).has_value());
  EXPECT_FALSE(Search("sort_by(subnets, &flag)", Data()).has_value());
}

TEST(JmesPath, EveryBuiltInFunction) {
  EXPECT_EQ(Q("abs(`-3`)"), 3);
  EXPECT_EQ(Q("avg(subnets[].size)"), 544.0 / 3);
  EXPECT_EQ(Q("ceil(`1.2`)"), 2);
  EXPECT_EQ(Q("floor(`-1.2`)"), -2);
  EXPECT_EQ(Q("ends_with(name, 'Net1')"), true);
  EXPECT_EQ(Q("keys(tags)"), Json::array({"env", "owner"}));
  EXPECT_EQ(Q("values(tags)"), Json::array({"test", "net"}));
  EXPECT_EQ(Q("merge(tags, `{\"env\": \"prod\"}`)"), Json({{"env", "prod"}, {"owner", "net"}}));
  EXPECT_EQ(Q("min(subnets[].size)"), 32);
  EXPECT_EQ(Q("not_null(missing, `null`, name)"), "VNet1");
  EXPECT_EQ(Q("reverse(name)"), "1teNV");
  EXPECT_EQ(Q("reverse(nested)"), Json::parse("[4, [3], [1, 2]]"));
  EXPECT_EQ(Q("sum(subnets[].size)"), 544);
  EXPECT_EQ(Q("to_array(name)"), Json::array({"VNet1"}));
  EXPECT_EQ(Q("to_number('42')"), 42);
  EXPECT_EQ(Q("to_number('4.5e1')"), 45.0);
  EXPECT_TRUE(Q("to_number('forty')").is_null());
  EXPECT_EQ(Q("to_string(tags)"), "{\"env\":\"test\",\"owner\":\"net\"}");
  EXPECT_EQ(Q("type(subnets)"), "array");
  EXPECT_EQ(Q("type(flag)"), "boolean");
  EXPECT_EQ(Q("length('h\u00e9')"), 2);  // code points, not bytes
}

}  // namespace
}  // namespace isthmus::cli::jmespath
