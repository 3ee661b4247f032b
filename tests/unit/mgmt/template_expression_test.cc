// The expression parser and evaluator (template/expression.cc): literals, escaping, nesting, property
// access and indexing, whitespace, limits, error messages and the deep walk over template JSON.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mgmt/template/expression.h"
#include "template_fake_context.h"

namespace isthmus::mgmt::tmpl {
namespace {

using testing::FakeContext;
using ::testing::HasSubstr;

Result<Json> Eval(FakeContext& ctx, std::string_view text, std::string_view path = "p") {
  return Evaluate(Json(std::string(text)), ctx, path);
}

std::string ErrorOf(FakeContext& ctx, std::string_view text, std::string_view path = "p") {
  auto r = Eval(ctx, text, path);
  if (r) return "no error, got " + r->dump();
  EXPECT_EQ(r.error().code, "InvalidTemplate");
  return r.error().message;
}

TEST(TemplateParse, LiteralsCallsAndPostfixes) {
  auto e = ParseExpression("[concat('a''b', -12, f().x[0])]");
  ASSERT_TRUE(e) << e.error().message;
  ASSERT_EQ(e->kind, Expr::Kind::kCall);
  EXPECT_EQ(e->text, "concat");
  ASSERT_EQ(e->args.size(), 3u);
  EXPECT_EQ(e->args[0].kind, Expr::Kind::kString);
  EXPECT_EQ(e->args[0].text, "a'b");
  EXPECT_EQ(e->args[1].kind, Expr::Kind::kInt);
  EXPECT_EQ(e->args[1].number, -12);
  const Expr& idx = e->args[2];
  ASSERT_EQ(idx.kind, Expr::Kind::kIndex);
  ASSERT_EQ(idx.args[0].kind, Expr::Kind::kProperty);
  EXPECT_EQ(idx.args[0].text, "x");
  EXPECT_EQ(idx.args[0].args[0].kind, Expr::Kind::kCall);
  EXPECT_EQ(idx.args[1].number, 0);
}

TEST(TemplateParse, IntegerRange) {
  auto min = ParseExpression("[-9223372036854775808]");
  ASSERT_TRUE(min);
  EXPECT_EQ(min->number, INT64_MIN);
  auto max = ParseExpression("[9223372036854775807]");
  ASSERT_TRUE(max);
  EXPECT_EQ(max->number, INT64_MAX);
  EXPECT_FALSE(ParseExpression("[9223372036854775808]"));
  EXPECT_FALSE(ParseExpression("[-9223372036854775809]"));
  auto f = ParseExpression("[1.5]");
  ASSERT_FALSE(f);
  EXPECT_THAT(f.error().message, HasSubstr("floating-point"));
}

TEST(TemplateParse, IsExpression) {
  EXPECT_TRUE(IsExpression("[a()]"));
  EXPECT_FALSE(IsExpression("[[a()]"));
  EXPECT_FALSE(IsExpression("a()]"));
  EXPECT_FALSE(IsExpression("[a()"));
  EXPECT_FALSE(IsExpression("["));
  EXPECT_FALSE(IsExpression(""));
}

TEST(TemplateEvaluate, NonExpressionsAreLiterals) {
  FakeContext ctx;
  EXPECT_EQ(*Eval(ctx, "plain"), "plain");
  EXPECT_EQ(*Eval(ctx, "[not closed"), "[not closed");
  EXPECT_EQ(*Eval(ctx, "not opened]"), "not opened]");
  EXPECT_EQ(*Evaluate(Json(42), ctx), 42);
  EXPECT_EQ(*Evaluate(Json{{"a", "[x()]"}}, ctx), (Json{{"a", "[x()]"}}));  // Evaluate is not deep
}

TEST(TemplateEvaluate, DoubleBracketEscapes) {
  FakeContext ctx;
  EXPECT_EQ(*Eval(ctx, "[[concat('a', 'b')]"), "[concat('a', 'b')]");
  EXPECT_EQ(*Eval(ctx, "[[this is literal"), "[this is literal");
  EXPECT_EQ(*Eval(ctx, "[[]"), "[]");
}

TEST(TemplateEvaluate, QuoteEscapesInStrings) {
  FakeContext ctx;
  EXPECT_EQ(*Eval(ctx, "['it''s']"), "it's");
  EXPECT_EQ(*Eval(ctx, "['''']"), "'");
  EXPECT_EQ(*Eval(ctx, "['']"), "");
  EXPECT_EQ(*Eval(ctx, "['a]b']"), "a]b");  // brackets inside strings are text
}

TEST(TemplateEvaluate, WhitespaceBetweenTokens) {
  FakeContext ctx;
  EXPECT_EQ(*Eval(ctx, "[ concat ( 'a' ,\t'b' , \n 'c' ) ]"), "abc");
  ctx.parameters["x"] = Json{{"a", Json::array({Json{{"b", 7}}})}};
  EXPECT_EQ(*Eval(ctx, "[parameters('x') . a [ 0 ] . b]"), 7);
}

TEST(TemplateEvaluate, NestedPropertyAndIndex) {
  FakeContext ctx;
  ctx.parameters["x"] = Json{{"a", Json::array({Json{{"b", "deep"}}, Json{{"b", "second"}}})}};
  EXPECT_EQ(*Eval(ctx, "[parameters('x').a[0].b]"), "deep");
  EXPECT_EQ(*Eval(ctx, "[parameters('x').a[add(0, 1)].b]"), "second");
  EXPECT_EQ(*Eval(ctx, "[parameters('x')['a'][1]['b']]"), "second");
  // ARM property names are case-insensitive.
  EXPECT_EQ(*Eval(ctx, "[parameters('x').A[0].B]"), "deep");
  EXPECT_EQ(*Eval(ctx, "[createArray(1, 2, 3)[2]]"), 3);
  EXPECT_EQ(*Eval(ctx, "[split('a,b', ',')[1]]"), "b");
}

TEST(TemplateEvaluate, PropertyAndIndexErrors) {
  FakeContext ctx;
  ctx.parameters["x"] = Json{{"a", Json::array({1})}, {"c", 2}};
  EXPECT_THAT(ErrorOf(ctx, "[parameters('x').nope]"),
              HasSubstr("'nope' doesn't exist; available properties are 'a, c'"));
  EXPECT_THAT(ErrorOf(ctx, "[parameters('x').a[1]]"),
              HasSubstr("index 1 is out of range for an array of length 1"));
  EXPECT_THAT(ErrorOf(ctx, "[parameters('x').a[-1]]"), HasSubstr("out of range"));
  EXPECT_THAT(ErrorOf(ctx, "[parameters('x').a['k']]"), HasSubstr("array index must be an Integer"));
  EXPECT_THAT(ErrorOf(ctx, "[parameters('x').c.d]"),
              HasSubstr("cannot be read from a value of type Integer"));
  EXPECT_THAT(ErrorOf(ctx, "[parameters('x').c[0]]"), HasSubstr("type Integer cannot be indexed"));
  EXPECT_THAT(ErrorOf(ctx, "[parameters('x')[0]]"), HasSubstr("object index must be a String"));
}

TEST(TemplateEvaluate, ErrorsNamePathExpressionAndProblem) {
  FakeContext ctx;
  const std::string path = "resources[3].properties.ipConfigurations[0].name";
  auto r = Eval(ctx, "[fooo('x')]", path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(r.error().code, "InvalidTemplate");
  EXPECT_EQ(r.error().target, path);
  EXPECT_THAT(r.error().message, HasSubstr(path));
  EXPECT_THAT(r.error().message, HasSubstr("[fooo('x')]"));
  EXPECT_THAT(r.error().message, HasSubstr("'fooo' is not known"));
}

TEST(TemplateEvaluate, SyntaxErrorsSayWhereAndWhat) {
  FakeContext ctx;
  EXPECT_THAT(ErrorOf(ctx, "[concat('abc, 'd')]"), HasSubstr("at offset"));
  EXPECT_THAT(ErrorOf(ctx, "[concat('abc]"), HasSubstr("unterminated string starting at offset 8"));
  EXPECT_THAT(ErrorOf(ctx, "[concat('a'"), HasSubstr("no error"));  // not an expression: a literal
  EXPECT_THAT(ErrorOf(ctx, "[concat('a']"), HasSubstr("expected ',' or ')'"));
  EXPECT_THAT(ErrorOf(ctx, "[concat('a'))]"), HasSubstr("expected the end of the expression at offset 12"));
  EXPECT_THAT(ErrorOf(ctx, "[]"), HasSubstr("the expression is empty"));
  EXPECT_THAT(ErrorOf(ctx, "[   ]"), HasSubstr("the expression is empty"));
  EXPECT_THAT(ErrorOf(ctx, "[true]"), HasSubstr("must be called as a function: true()"));
  EXPECT_THAT(ErrorOf(ctx, "[ns.fn()]"), HasSubstr("user-defined functions"));
  EXPECT_THAT(ErrorOf(ctx, "[f(,)]"), HasSubstr("expected a function call"));
  EXPECT_THAT(ErrorOf(ctx, "[f().]"), HasSubstr("a property name after '.'"));
  EXPECT_THAT(ErrorOf(ctx, "[f()[0]"), HasSubstr("']' closing the index"));
  EXPECT_THAT(ErrorOf(ctx, "[12abc]"), HasSubstr("a delimiter after the integer"));
  EXPECT_THAT(ErrorOf(ctx, "[-]"), HasSubstr("expected a digit"));
  EXPECT_THAT(ErrorOf(ctx, "[\"x\"]"), HasSubstr("found '\"'"));
}

TEST(TemplateEvaluate, TrueFalseAndNullAreFunctions) {
  FakeContext ctx;
  EXPECT_EQ(*Eval(ctx, "[true()]"), true);
  EXPECT_EQ(*Eval(ctx, "[FALSE()]"), false);
  EXPECT_TRUE(Eval(ctx, "[null()]")->is_null());
}

TEST(TemplateEvaluate, DepthLimit) {
  FakeContext ctx;
  auto nest = [](int n) {
    std::string s = "[";
    for (int i = 0; i < n; ++i) s += "string(";
    s += "1";
    for (int i = 0; i < n; ++i) s += ")";
    return s + "]";
  };
  EXPECT_TRUE(Eval(ctx, nest(kMaxExpressionDepth - 1)));
  EXPECT_THAT(ErrorOf(ctx, nest(kMaxExpressionDepth)), HasSubstr("nests deeper than 64 levels"));
  EXPECT_THAT(ErrorOf(ctx, nest(100000)), HasSubstr("characters long"));  // the length check comes first
  std::string indexes = "[createArray(1)";
  for (int i = 0; i < 100; ++i) indexes += "[0";
  EXPECT_THAT(ErrorOf(ctx, indexes + "]"), HasSubstr("nests deeper"));
}

TEST(TemplateEvaluate, LengthLimit) {
  FakeContext ctx;
  const std::string at_limit = "['" + std::string(kMaxExpressionLength - 4, 'a') + "']";
  ASSERT_EQ(at_limit.size(), kMaxExpressionLength);
  EXPECT_EQ(Eval(ctx, at_limit)->get<std::string>().size(), kMaxExpressionLength - 4);
  const std::string over = "['" + std::string(kMaxExpressionLength - 3, 'a') + "']";
  EXPECT_THAT(ErrorOf(ctx, over), HasSubstr("24577 characters long; the limit is 24576"));
}

TEST(TemplateEvaluate, GrowthIsCapped) {
  FakeContext ctx;
  // Each replace() quadruples the text: 4^15 bytes would be a gigabyte.
  std::string e = "'aaaa'";
  for (int i = 0; i < 15; ++i) e = "replace(" + e + ", 'a', 'aaaa')";
  EXPECT_THAT(ErrorOf(ctx, "[" + e + "]"), HasSubstr("exceed"));
  std::string f = "'x'";
  for (int i = 0; i < 15; ++i) f = "format('{0}{0}{0}{0}', " + f + ")";
  EXPECT_THAT(ErrorOf(ctx, "[" + f + "]"), HasSubstr("exceed"));
}

TEST(TemplateEvaluate, ContextErrorsAreLocated) {
  FakeContext ctx;
  auto r = Eval(ctx, "[parameters('missing')]", "resources[0].name");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);  // the context's kind is kept
  EXPECT_THAT(r.error().message, HasSubstr("resources[0].name"));
  EXPECT_THAT(r.error().message, HasSubstr("the parameter 'missing' is not defined"));
}

TEST(TemplateEvaluate, IfIsLazy) {
  FakeContext ctx;
  ctx.parameters["on"] = true;
  // The branch not taken refers to a parameter that does not exist.
  EXPECT_EQ(*Eval(ctx, "[if(parameters('on'), 'yes', parameters('missing'))]"), "yes");
  EXPECT_EQ(*Eval(ctx, "[if(not(parameters('on')), parameters('missing'), 'no')]"), "no");
  EXPECT_TRUE(ctx.references.empty());
  EXPECT_EQ(*Eval(ctx, "[if(false(), reference('r1'), 1)]"), 1);
  EXPECT_TRUE(ctx.references.empty());  // a reference() not evaluated adds no dependency
  EXPECT_THAT(ErrorOf(ctx, "[if('true', 1, 2)]"),
              HasSubstr("'if' expects argument 1 to be a Boolean, got String"));
  EXPECT_THAT(ErrorOf(ctx, "[if(true(), 1)]"), HasSubstr("'if' expects 3 arguments, got 2"));
}

TEST(TemplateEvaluate, FunctionNamesAreCaseInsensitive) {
  FakeContext ctx;
  ctx.parameters["Name"] = "v";
  EXPECT_EQ(*Eval(ctx, "[CONCAT(ToLower('A'), PARAMETERS('name'))]"), "av");
  EXPECT_EQ(*Eval(ctx, "[If(True(), 1, 2)]"), 1);
}

TEST(TemplateEvaluateDeep, WalksObjectsArraysAndKeys) {
  FakeContext ctx;
  ctx.parameters["prefix"] = "vnet";
  ctx.variables["count"] = 2;
  const Json tmpl = {
      {"name", "[concat(parameters('prefix'), '-1')]"},
      {"[concat('k', variables('count'))]", "literal"},
      {"list", Json::array({"[add(1, 2)]", "x", Json{{"inner", "[[escaped]"}}, 5, nullptr})},
  };
  auto r = EvaluateDeep(tmpl, ctx, "resources[0]");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)["name"], "vnet-1");
  EXPECT_EQ((*r)["k2"], "literal");
  EXPECT_FALSE(r->contains("[concat('k', variables('count'))]"));
  EXPECT_EQ((*r)["list"], Json::array({3, "x", Json{{"inner", "[escaped]"}}, 5, nullptr}));
}

TEST(TemplateEvaluateDeep, PathsInErrors) {
  FakeContext ctx;
  const Json tmpl = {{"properties", {{"ipConfigurations", Json::array({Json{{"name", "[bad(]"}}})}}}};
  auto r = EvaluateDeep(tmpl, ctx, "resources[3]");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("'resources[3].properties.ipConfigurations[0].name'"));
  EXPECT_EQ(r.error().target, "resources[3].properties.ipConfigurations[0].name");

  auto odd = EvaluateDeep(Json{{"a b", "[x(]"}}, ctx, "");
  ASSERT_FALSE(odd);
  EXPECT_THAT(odd.error().message, HasSubstr("['a b']"));
}

TEST(TemplateEvaluateDeep, KeyErrors) {
  FakeContext ctx;
  auto non_string = EvaluateDeep(Json{{"[add(1, 1)]", 1}}, ctx, "variables");
  ASSERT_FALSE(non_string);
  EXPECT_THAT(non_string.error().message, HasSubstr("must evaluate to a String, got Integer"));
  auto dup = EvaluateDeep(Json{{"a", 1}, {"[toLower('A')]", 2}}, ctx, "variables");
  ASSERT_FALSE(dup);
  EXPECT_THAT(dup.error().message, HasSubstr("'a' at 'variables['[toLower('A')]']' is a duplicate"));
}

TEST(TemplateEvaluateDeep, DepthLimit) {
  FakeContext ctx;
  Json deep = "x";
  for (int i = 0; i < 200; ++i) deep = Json::array({deep});
  auto r = EvaluateDeep(deep, ctx, "outputs");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("nests deeper than 128 levels"));
  Json ok = "[add(1, 1)]";
  for (int i = 0; i < 100; ++i) ok = Json::array({ok});
  auto fine = EvaluateDeep(ok, ctx, "outputs");
  ASSERT_TRUE(fine);
  const Json* inner = &*fine;
  for (int i = 0; i < 100; ++i) inner = &(*inner)[0];
  EXPECT_EQ(*inner, 2);
}

TEST(TemplateEvaluate, GarbageNeverCrashes) {
  FakeContext ctx;
  for (const char* s :
       {"[(]",      "[)]",  "[,]",      "[[]]",    "[']",    "['''']",     "[f(]",     "[f(()]",
        "[f(1 2)]", "[.a]", "[f()..a]", "[f()[]]", "[\x01]", "[\xff\xfe]", "[f(']')]", "[f()]]",
        "[[",       "]",    "[ ]",      "[-'a']",  "[0x10]", "[f\0()]"}) {
    (void)Eval(ctx, s);  // any answer but a crash; ASan/UBSan builds check the rest
  }
  EXPECT_THAT(ErrorOf(ctx, "[f()]]"), HasSubstr("expected the end of the expression"));
  EXPECT_THAT(ErrorOf(ctx, "[\xff]"), HasSubstr("expected a function call"));
}

}  // namespace
}  // namespace isthmus::mgmt::tmpl
