// The template functions (template/functions*.cc), each with the edge cases ARM documents and its
// errors, evaluated through the real parser against the fake context.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mgmt/model/resource_id.h"
#include "mgmt/template/functions.h"
#include "mgmt/template/functions_internal.h"
#include "template_fake_context.h"

namespace isthmus::mgmt::tmpl {
namespace {

using testing::FakeContext;
using ::testing::HasSubstr;

class TemplateFunctions : public ::testing::Test {
 protected:
  Json Ok(std::string_view text) {
    auto r = Evaluate(Json(std::string(text)), ctx_, "t");
    EXPECT_TRUE(r) << text << ": " << (r ? "" : r.error().message);
    return r ? *r : Json("<error>");
  }
  std::string Err(std::string_view text) {
    auto r = Evaluate(Json(std::string(text)), ctx_, "t");
    if (r) return "no error for " + std::string(text) + ", got " + r->dump();
    return r.error().message;
  }
  FakeContext ctx_;
};

TEST_F(TemplateFunctions, ParametersAndVariables) {
  ctx_.parameters["location"] = "westeurope";
  ctx_.variables["cfg"] = Json{{"a", 1}};
  EXPECT_EQ(Ok("[parameters('location')]"), "westeurope");
  EXPECT_EQ(Ok("[variables('cfg').a]"), 1);
  EXPECT_THAT(Err("[variables('nope')]"), HasSubstr("the variable 'nope' is not defined"));
  EXPECT_THAT(Err("[parameters()]"), HasSubstr("'parameters' expects 1 argument, got 0"));
  EXPECT_THAT(Err("[parameters(1)]"),
              HasSubstr("'parameters' expects argument 1 to be a String, got Integer"));
}

TEST_F(TemplateFunctions, Concat) {
  EXPECT_EQ(Ok("[concat('a', 'b', 'c')]"), "abc");
  EXPECT_EQ(Ok("[concat('n', 1, '-', -2)]"), "n1--2");
  EXPECT_EQ(Ok("[concat(createArray(1, 2), createArray(3), createArray())]"), Json::array({1, 2, 3}));
  EXPECT_EQ(Ok("[concat(createArray('a'), null())]"), Json::array({"a"}));
  EXPECT_THAT(
      Err("[concat(createArray(1), 'x')]"),
      HasSubstr("'concat' expects argument 2 to be an Array (the first argument is an Array), got String"));
  EXPECT_THAT(Err("[concat('x', createObject())]"), HasSubstr("'concat' expects argument 2 to be a String"));
  EXPECT_THAT(Err("[concat()]"), HasSubstr("'concat' expects at least 1 argument, got 0"));
}

TEST_F(TemplateFunctions, Format) {
  EXPECT_EQ(Ok("[format('{0}-{1}-{0}', 'a', 2)]"), "a-2-a");
  EXPECT_EQ(Ok("[format('{{literal}} {0}', 'x')]"), "{literal} x");
  EXPECT_EQ(Ok("[format('{0:D3}|{1:X}|{1:x4}|{2:N0}|{2:N}', 7, 255, 1234567)]"),
            "007|FF|00ff|1,234,567|1,234,567.00");
  EXPECT_EQ(Ok("[format('[{0,5}][{0,-5}]', 'ab')]"), "[   ab][ab   ]");
  EXPECT_EQ(Ok("[format('{0} {1}', true(), false())]"), "True False");
  EXPECT_EQ(Ok("[format('{0:D3}', -5)]"), "-005");
  EXPECT_THAT(Err("[format('{1}', 'a')]"),
              HasSubstr("{1} refers to an argument that was not given (1 given)"));
  EXPECT_THAT(Err("[format('{0', 'a')]"), HasSubstr("unmatched '{'"));
  EXPECT_THAT(Err("[format('a}', 'a')]"), HasSubstr("unmatched '}'"));
  EXPECT_THAT(Err("[format('{x}', 'a')]"), HasSubstr("'{x}' is not valid"));
  EXPECT_THAT(Err("[format('{0:Q}', 1)]"), HasSubstr("format specifier 'Q' is not supported"));
}

TEST_F(TemplateFunctions, ResourceIdEveryOverload) {
  const std::string sub = "/subscriptions/00000000-0000-0000-0000-000000000001";
  EXPECT_EQ(Ok("[resourceId('Microsoft.Network/virtualNetworks', 'v1')]"),
            sub + "/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v1");
  EXPECT_EQ(Ok("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'v1', 'GatewaySubnet')]"),
            sub + "/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v1/subnets/GatewaySubnet");
  EXPECT_EQ(Ok("[resourceId('otherRg', 'Microsoft.Network/publicIPAddresses', 'ip')]"),
            sub + "/resourceGroups/otherRg/providers/Microsoft.Network/publicIPAddresses/ip");
  EXPECT_EQ(Ok("[resourceId('s2', 'rg2', 'Microsoft.Network/virtualNetworks/subnets', 'v', 's')]"),
            "/subscriptions/s2/resourceGroups/rg2/providers/Microsoft.Network/virtualNetworks/v/subnets/s");
  EXPECT_THAT(Err("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'v1')]"),
              HasSubstr("takes 2 resource name(s), got 1"));
  EXPECT_THAT(Err("[resourceId('Microsoft.Network/virtualNetworks', 'a', 'b')]"),
              HasSubstr("takes 1 resource name(s), got 2"));
  EXPECT_THAT(Err("[resourceId('a', 'b', 'c', 'Microsoft.Network/virtualNetworks', 'v')]"),
              HasSubstr("no resource type"));
  EXPECT_THAT(Err("[resourceId('Microsoft.Network/', 'v')]"), HasSubstr("is not a resource type"));
  EXPECT_THAT(Err("[resourceId('Microsoft.Network/virtualNetworks', '')]"),
              HasSubstr("resource name 1 is empty"));
  EXPECT_THAT(Err("[resourceId('Microsoft.Network/virtualNetworks', 1)]"),
              HasSubstr("argument 2 to be a String"));
}

TEST_F(TemplateFunctions, OtherScopesResourceIds) {
  EXPECT_EQ(
      Ok("[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'g')]"),
      "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Resources/resourceGroups/g");
  EXPECT_EQ(Ok("[subscriptionResourceId('s9', 'Microsoft.Authorization/roleDefinitions', 'r')]"),
            "/subscriptions/s9/providers/Microsoft.Authorization/roleDefinitions/r");
  EXPECT_EQ(Ok("[tenantResourceId('Microsoft.Management/managementGroups', 'm')]"),
            "/providers/Microsoft.Management/managementGroups/m");
  EXPECT_EQ(Ok("[extensionResourceId('/x/y', 'Microsoft.Authorization/locks', 'l')]"),
            "/x/y/providers/Microsoft.Authorization/locks/l");
}

TEST_F(TemplateFunctions, ScopeObjects) {
  const Json rg = Ok("[resourceGroup()]");
  EXPECT_EQ(rg["id"], "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1");
  EXPECT_EQ(rg["name"], "rg1");
  EXPECT_EQ(rg["location"], "westeurope");
  EXPECT_EQ(rg["tags"], (Json{{"env", "test"}}));
  EXPECT_EQ(Ok("[resourceGroup().properties.provisioningState]"), "Succeeded");
  const Json sub = Ok("[subscription()]");
  EXPECT_EQ(sub["id"], "/subscriptions/00000000-0000-0000-0000-000000000001");
  EXPECT_EQ(sub["subscriptionId"], "00000000-0000-0000-0000-000000000001");
  EXPECT_EQ(sub["tenantId"], "tenant-1");
  EXPECT_TRUE(sub.contains("displayName"));
  EXPECT_EQ(Ok("[deployment().name]"), "deploy1");
  EXPECT_EQ(Ok("[deployment().properties.template.contentVersion]"), "1.0.0.0");
  EXPECT_EQ(Ok("[deployment().properties.mode]"), "Incremental");
  EXPECT_THAT(Err("[resourceGroup('x')]"), HasSubstr("'resourceGroup' expects 0 arguments, got 1"));
}

TEST_F(TemplateFunctions, UniqueStringMatchesArm) {
  // Values ARM/Bicep produce (published with a reimplementation of ARM's MurmurHash64 variant).
  EXPECT_EQ(Ok("[uniqueString('test')]"), "rbgf3xv4ufgzg");
  EXPECT_EQ(Ok("[uniqueString('hello', 'world')]"), "a7wkljktk6wne");
  EXPECT_EQ(Ok("[uniqueString('abc')]"), "cgtzqvhu4i23s");
  EXPECT_EQ(Ok("[uniqueString('foo', 'bar', 'baz')]"), "xzi4ioaxtmth4");
  EXPECT_EQ(UniqueString("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/my-rg"),
            "bmg7c6xu4tw46");
  EXPECT_NE(Ok("[uniqueString('ABC')]"), Ok("[uniqueString('abc')]"));  // case-sensitive
  EXPECT_THAT(Err("[uniqueString()]"), HasSubstr("expects at least 1 argument"));
  EXPECT_THAT(Err("[uniqueString('a', 1)]"), HasSubstr("argument 2 to be a String"));
}

TEST_F(TemplateFunctions, GuidIsArmsUuidV5) {
  // uuid5(11fb06fb-712d-4ddd-98c7-e71bbd588830, "a-b-c"), as computed by Python's uuid module.
  EXPECT_EQ(Ok("[guid('a', 'b', 'c')]"), "a98fa280-e03f-5afa-8d8e-92d0a9c201e8");
  EXPECT_EQ(Ok("[guid('hello')]"), "520f8434-fe3a-5d99-888d-450a827486a1");
  EXPECT_THAT(Err("[guid(createArray())]"), HasSubstr("argument 1 to be a String, got Array"));
}

TEST_F(TemplateFunctions, CaseAndTrim) {
  EXPECT_EQ(Ok("[toLower('One TWO')]"), "one two");
  EXPECT_EQ(Ok("[toUpper('One two')]"), "ONE TWO");
  EXPECT_EQ(Ok("[trim('  \t x y \n ')]"), "x y");
  EXPECT_EQ(Ok("[trim('   ')]"), "");
  EXPECT_THAT(Err("[toLower(1)]"), HasSubstr("'toLower' expects argument 1 to be a String, got Integer"));
}

TEST_F(TemplateFunctions, EqualsIsDeepAndCaseSensitive) {
  EXPECT_EQ(Ok("[equals('a', 'a')]"), true);
  EXPECT_EQ(Ok("[equals('a', 'A')]"), false);
  EXPECT_EQ(Ok("[equals(1, 1)]"), true);
  EXPECT_EQ(Ok("[equals(1, '1')]"), false);
  EXPECT_EQ(Ok("[equals(createArray(1, createObject('a', 'b')), createArray(1, createObject('a', 'b')))]"),
            true);
  EXPECT_EQ(Ok("[equals(createArray(1, 2), createArray(2, 1))]"), false);
  EXPECT_EQ(Ok("[equals(createObject('a', 1, 'b', 2), createObject('b', 2, 'a', 1))]"), true);  // order-free
  EXPECT_EQ(Ok("[equals(createObject('a', 1), createObject('a', 1, 'b', 2))]"), false);
  EXPECT_THAT(Err("[equals(1)]"), HasSubstr("'equals' expects 2 arguments, got 1"));
}

TEST_F(TemplateFunctions, Logic) {
  EXPECT_EQ(Ok("[not(true())]"), false);
  EXPECT_EQ(Ok("[and(true(), true(), false())]"), false);
  EXPECT_EQ(Ok("[and(true(), true())]"), true);
  EXPECT_EQ(Ok("[or(false(), false(), true())]"), true);
  EXPECT_EQ(Ok("[or(false(), false())]"), false);
  EXPECT_THAT(Err("[and(true())]"), HasSubstr("'and' expects at least 2 arguments, got 1"));
  EXPECT_THAT(Err("[not('true')]"), HasSubstr("argument 1 to be a Boolean, got String"));
  EXPECT_THAT(Err("[or(false(), 1)]"), HasSubstr("argument 2 to be a Boolean, got Integer"));
}

TEST_F(TemplateFunctions, Comparisons) {
  EXPECT_EQ(Ok("[less(1, 2)]"), true);
  EXPECT_EQ(Ok("[less(2, 2)]"), false);
  EXPECT_EQ(Ok("[lessOrEquals(2, 2)]"), true);
  EXPECT_EQ(Ok("[greater(3, 2)]"), true);
  EXPECT_EQ(Ok("[greaterOrEquals(1, 2)]"), false);
  EXPECT_EQ(Ok("[less('A', 'a')]"), true);  // ordinal, as ARM's example
  EXPECT_EQ(Ok("[greater('b', 'a')]"), true);
  EXPECT_THAT(Err("[less(1, 'a')]"), HasSubstr("two Integers or two Strings, got Integer and String"));
}

TEST_F(TemplateFunctions, JsonAndString) {
  EXPECT_EQ(Ok("[json('{\"a\": [1, true, null]}')]"), (Json{{"a", Json::array({1, true, nullptr})}}));
  EXPECT_TRUE(Ok("[json('null')]").is_null());
  EXPECT_EQ(Ok("[json('[1]')[0]]"), 1);
  EXPECT_THAT(Err("[json('{bad')]"), HasSubstr("is not valid JSON"));
  EXPECT_THAT(Err("[json(concat(replace(padLeft('', 100, 'x'), 'x', '['), '1'))]"),
              HasSubstr("nests deeper than 64"));
  EXPECT_EQ(Ok("[string(createObject('a', 1, 'b', 'x'))]"), "{\"a\":1,\"b\":\"x\"}");
  EXPECT_EQ(Ok("[string(createArray('a', 'b'))]"), "[\"a\",\"b\"]");
  EXPECT_EQ(Ok("[string(5)]"), "5");
  EXPECT_EQ(Ok("[string('s')]"), "s");
  EXPECT_EQ(Ok("[string(true())]"), "true");
}

TEST_F(TemplateFunctions, IntAndBool) {
  EXPECT_EQ(Ok("[int('4')]"), 4);
  EXPECT_EQ(Ok("[int('-12')]"), -12);
  EXPECT_EQ(Ok("[int(7)]"), 7);
  EXPECT_THAT(Err("[int('4a')]"), HasSubstr("'4a' is not an integer"));
  EXPECT_THAT(Err("[int('')]"), HasSubstr("is not an integer"));
  EXPECT_THAT(Err("[int('99999999999999999999')]"), HasSubstr("is not an integer"));
  EXPECT_THAT(Err("[int(true())]"), HasSubstr("a String or an Integer"));
  EXPECT_EQ(Ok("[bool('TRUE')]"), true);
  EXPECT_EQ(Ok("[bool('false')]"), false);
  EXPECT_EQ(Ok("[bool(1)]"), true);
  EXPECT_EQ(Ok("[bool(0)]"), false);
  EXPECT_THAT(Err("[bool('yes')]"), HasSubstr("'yes' is not a Boolean"));
}

TEST_F(TemplateFunctions, LengthAndEmpty) {
  EXPECT_EQ(Ok("[length('abc')]"), 3);
  EXPECT_EQ(Ok("[length(createArray(1, 2))]"), 2);
  EXPECT_EQ(Ok("[length(createObject('a', 1, 'b', 2, 'c', 3))]"), 3);
  EXPECT_THAT(Err("[length(1)]"), HasSubstr("a String, an Array or an Object, got Integer"));
  EXPECT_EQ(Ok("[empty('')]"), true);
  EXPECT_EQ(Ok("[empty(createArray())]"), true);
  EXPECT_EQ(Ok("[empty(createObject())]"), true);
  EXPECT_EQ(Ok("[empty(null())]"), true);
  EXPECT_EQ(Ok("[empty(' ')]"), false);
  EXPECT_EQ(Ok("[empty(createArray(1))]"), false);
  EXPECT_THAT(Err("[empty(0)]"), HasSubstr("got Integer"));
}

TEST_F(TemplateFunctions, Split) {
  EXPECT_EQ(Ok("[split('one,two,three', ',')]"), Json::array({"one", "two", "three"}));
  EXPECT_EQ(Ok("[split('one;two,three', createArray(',', ';'))]"), Json::array({"one", "two", "three"}));
  EXPECT_EQ(Ok("[split('a,,b,', ',')]"), Json::array({"a", "", "b", ""}));  // empties kept
  EXPECT_EQ(Ok("[split('', ',')]"), Json::array({""}));
  EXPECT_EQ(Ok("[split('a--b-c', createArray('-', '--'))]"), Json::array({"a", "", "b", "c"}));  // first wins
  EXPECT_EQ(Ok("[split('a b\tc', '')]"), Json::array({"a", "b", "c"}));  // .NET: no delimiter = white space
  EXPECT_THAT(Err("[split('a', 1)]"), HasSubstr("a String or an Array of Strings"));
  EXPECT_THAT(Err("[split('a', createArray(1))]"), HasSubstr("Array of Strings"));
}

TEST_F(TemplateFunctions, Replace) {
  EXPECT_EQ(Ok("[replace('123-123-1234', '-', '')]"), "1231231234");
  EXPECT_EQ(Ok("[replace('aAa', 'a', 'b')]"), "bAb");  // case-sensitive
  EXPECT_EQ(Ok("[replace('aaa', 'aa', 'x')]"), "xa");
  EXPECT_THAT(Err("[replace('a', '', 'x')]"), HasSubstr("must not be empty"));
}

TEST_F(TemplateFunctions, Contains) {
  EXPECT_EQ(Ok("[contains('OneTwoThree', 'e')]"), true);
  EXPECT_EQ(Ok("[contains('OneTwoThree', 'z')]"), false);
  EXPECT_EQ(Ok("[contains('OneTwoThree', 'one')]"), false);  // strings: case-sensitive
  EXPECT_EQ(Ok("[contains('a1b', 1)]"), true);
  EXPECT_EQ(Ok("[contains(createObject('one', 'a'), 'ONE')]"), true);  // keys: case-insensitive
  EXPECT_EQ(Ok("[contains(createObject('one', 'a'), 'a')]"), false);
  EXPECT_EQ(Ok("[contains(createArray('one', 'two'), 'two')]"), true);
  EXPECT_EQ(Ok("[contains(createArray('one', 'two'), 'TWO')]"), false);
  EXPECT_EQ(Ok("[contains(createArray(createArray(1)), createArray(1))]"), true);
  EXPECT_THAT(Err("[contains(1, 1)]"), HasSubstr("got Integer"));
}

TEST_F(TemplateFunctions, Union) {
  EXPECT_EQ(Ok("[union(createObject('a', 'b', 'c', 'd'), createObject('c', 'z', 'e', 'f'))]"),
            (Json{{"a", "b"}, {"c", "z"}, {"e", "f"}}));
  // ARM's documented nested case: objects merge recursively, arrays inside are replaced.
  ctx_.parameters["first"] = Json{{"property", {{"one", "a"}, {"three", "c1"}}}, {"nestedArray", {1, 2}}};
  ctx_.parameters["second"] = Json{{"property", {{"three", "c2"}, {"four", "d"}}}, {"nestedArray", {3, 4}}};
  EXPECT_EQ(Ok("[union(parameters('first'), parameters('second'))]"),
            (Json{{"property", {{"one", "a"}, {"three", "c2"}, {"four", "d"}}}, {"nestedArray", {3, 4}}}));
  EXPECT_EQ(Ok("[union(createArray('one', 'two', 'three'), createArray('three', 'four', 'two'))]"),
            Json::array({"one", "two", "three", "four"}));
  EXPECT_EQ(Ok("[union(createArray(1, 1))]"), Json::array({1}));
  EXPECT_THAT(Err("[union(createArray(1), createObject())]"), HasSubstr("argument 2 to be an Array"));
  EXPECT_THAT(Err("[union('a', 'b')]"), HasSubstr("an Array or an Object, got String"));
}

TEST_F(TemplateFunctions, UnionOfArraysUsesDeepEquality) {
  // Objects equal regardless of key order are one element; 1 and '1' are two.
  EXPECT_EQ(Ok("[union(createArray(createObject('a', 1, 'b', 2), 1), "
               "createArray(createObject('b', 2, 'a', 1), '1'))]"),
            Json::array({Json{{"a", 1}, {"b", 2}}, 1, "1"}));
}

TEST_F(TemplateFunctions, OurLimitsOnJsonAndSplit) {
  EXPECT_THAT(Err("[json(padLeft('1', 70000, ' '))]"),
              HasSubstr("the JSON text is 70000 bytes; the limit is 65536"));
  // 2000 distinct keys: {"0":1,"1":1,...}
  EXPECT_THAT(Err("[json(concat('{\"', replace(replace(replace(string(range(0, 2000)), '[', ''), ']', ''), "
                  "',', '\":1,\"'), '\":1}'))]"),
              HasSubstr("more than 1024 properties"));
  EXPECT_EQ(
      Ok("[length(json(concat('{\"', replace(replace(replace(string(range(0, 1000)), '[', ''), ']', ''), "
         "',', '\":1,\"'), '\":1}')))]"),
      1000);
  EXPECT_EQ(Ok("[createObject('a', 1, 'a', 2)]"), (Json{{"a", 2}}));
  EXPECT_THAT(Err("[split(padLeft('', 200000, 'a'), 'a')]"),
              HasSubstr("'split' makes more than 100000 parts"));
  EXPECT_EQ(Ok("[length(split(padLeft('', 99998, 'a'), 'a'))]"), 99999);
}

TEST_F(TemplateFunctions, FirstAndLast) {
  EXPECT_EQ(Ok("[first(createArray('one', 'two'))]"), "one");
  EXPECT_EQ(Ok("[last(createArray('one', 'two'))]"), "two");
  EXPECT_EQ(Ok("[first('One Two')]"), "O");
  EXPECT_EQ(Ok("[last('One Two')]"), "o");
  EXPECT_TRUE(Ok("[first(createArray())]").is_null());
  EXPECT_EQ(Ok("[last('')]"), "");
  EXPECT_THAT(Err("[first(1)]"), HasSubstr("an Array or a String"));
}

TEST_F(TemplateFunctions, CreateArrayObjectCoalesce) {
  EXPECT_EQ(Ok("[createArray()]"), Json::array());
  EXPECT_EQ(Ok("[createArray(1, 'a', createArray())]"), Json::array({1, "a", Json::array()}));
  EXPECT_EQ(Ok("[createObject('a', 1, 'b', createArray(2))]"), (Json{{"a", 1}, {"b", Json::array({2})}}));
  EXPECT_THAT(Err("[createObject('a')]"), HasSubstr("even number of arguments"));
  EXPECT_THAT(Err("[createObject(1, 2)]"), HasSubstr("argument 1 to be a String"));
  EXPECT_EQ(Ok("[coalesce(null(), null(), 'x', 'y')]"), "x");
  EXPECT_TRUE(Ok("[coalesce(null())]").is_null());
  EXPECT_EQ(Ok("[coalesce(null(), createObject())]"), Json::object());
}

TEST_F(TemplateFunctions, Arithmetic) {
  EXPECT_EQ(Ok("[add(5, 3)]"), 8);
  EXPECT_EQ(Ok("[sub(7, 10)]"), -3);
  EXPECT_EQ(Ok("[mul(-4, 3)]"), -12);
  EXPECT_EQ(Ok("[div(8, 3)]"), 2);
  EXPECT_EQ(Ok("[div(-8, 3)]"), -2);  // truncation, as .NET
  EXPECT_EQ(Ok("[mod(7, 3)]"), 1);
  EXPECT_EQ(Ok("[mod(-7, 3)]"), -1);
  EXPECT_THAT(Err("[div(1, 0)]"), HasSubstr("'div' division by zero"));
  EXPECT_THAT(Err("[mod(1, 0)]"), HasSubstr("division by zero"));
  EXPECT_THAT(Err("[add(9223372036854775807, 1)]"), HasSubstr("out of the 64-bit integer range"));
  EXPECT_THAT(Err("[div(-9223372036854775808, -1)]"), HasSubstr("out of the 64-bit"));
  EXPECT_THAT(Err("[add('1', 2)]"), HasSubstr("argument 1 to be an Integer, got String"));
}

TEST_F(TemplateFunctions, MinMaxRange) {
  EXPECT_EQ(Ok("[min(createArray(0, 3, 2, 5, 4))]"), 0);
  EXPECT_EQ(Ok("[min(0, 3, -2)]"), -2);
  EXPECT_EQ(Ok("[max(createArray(0, 3, 2, 5, 4))]"), 5);
  EXPECT_EQ(Ok("[max(7)]"), 7);
  EXPECT_THAT(Err("[max(createArray())]"), HasSubstr("the array is empty"));
  EXPECT_THAT(Err("[min(1, 'a')]"), HasSubstr("expects Integers, got String"));
  EXPECT_EQ(Ok("[range(1, 3)]"), Json::array({1, 2, 3}));
  EXPECT_EQ(Ok("[range(-1, 2)]"), Json::array({-1, 0}));
  EXPECT_EQ(Ok("[range(5, 0)]"), Json::array());
  EXPECT_EQ(Ok("[length(range(0, 10000))]"), 10000);
  EXPECT_THAT(Err("[range(0, 10001)]"), HasSubstr("between 0 and 10000"));
  EXPECT_THAT(Err("[range(0, -1)]"), HasSubstr("between 0 and 10000"));
  EXPECT_THAT(Err("[range(2147483647, 1)]"), HasSubstr("32-bit"));
}

TEST_F(TemplateFunctions, SkipAndTake) {
  EXPECT_EQ(Ok("[skip(createArray('one', 'two', 'three'), 2)]"), Json::array({"three"}));
  EXPECT_EQ(Ok("[skip('one two three', 4)]"), "two three");
  EXPECT_EQ(Ok("[skip('abc', -1)]"), "abc");
  EXPECT_EQ(Ok("[skip('abc', 10)]"), "");
  EXPECT_EQ(Ok("[take(createArray('one', 'two', 'three'), 2)]"), Json::array({"one", "two"}));
  EXPECT_EQ(Ok("[take('on two three', 2)]"), "on");
  EXPECT_EQ(Ok("[take('abc', 0)]"), "");
  EXPECT_EQ(Ok("[take(createArray(1), 5)]"), Json::array({1}));
  EXPECT_THAT(Err("[take(1, 1)]"), HasSubstr("an Array or a String"));
}

TEST_F(TemplateFunctions, IndexOfAndAffixes) {
  EXPECT_EQ(Ok("[indexOf('test', 't')]"), 0);
  EXPECT_EQ(Ok("[indexOf('abcdef', 'CD')]"), 2);  // case-insensitive
  EXPECT_EQ(Ok("[lastIndexOf('test', 't')]"), 3);
  EXPECT_EQ(Ok("[lastIndexOf('abcdef', 'AB')]"), 0);
  EXPECT_EQ(Ok("[indexOf('abcdef', 'z')]"), -1);
  EXPECT_EQ(Ok("[indexOf('abc', '')]"), 0);
  EXPECT_EQ(Ok("[indexOf(createArray('a', 'b', 'a'), 'a')]"), 0);
  EXPECT_EQ(Ok("[lastIndexOf(createArray('a', 'b', 'a'), 'a')]"), 2);
  EXPECT_EQ(Ok("[indexOf(createArray(1), 2)]"), -1);
  EXPECT_EQ(Ok("[startsWith('abcdef', 'ab')]"), true);
  EXPECT_EQ(Ok("[startsWith('abcdef', 'A')]"), true);  // case-insensitive
  EXPECT_EQ(Ok("[startsWith('abcdef', 'e')]"), false);
  EXPECT_EQ(Ok("[endsWith('abcdef', 'EF')]"), true);
  EXPECT_EQ(Ok("[endsWith('abcdef', 'e')]"), false);
  EXPECT_EQ(Ok("[endsWith('a', 'abc')]"), false);
}

TEST_F(TemplateFunctions, PadLeftAndSubstring) {
  EXPECT_EQ(Ok("[padLeft('123', 10, '0')]"), "0000000123");
  EXPECT_EQ(Ok("[padLeft(42, 4)]"), "  42");
  EXPECT_EQ(Ok("[padLeft('abcdef', 3, '0')]"), "abcdef");
  EXPECT_THAT(Err("[padLeft('a', 3, '00')]"), HasSubstr("single character"));
  EXPECT_THAT(Err("[padLeft('a', 99999999, '0')]"), HasSubstr("totalLength"));
  EXPECT_EQ(Ok("[substring('hello world', 6)]"), "world");
  EXPECT_EQ(Ok("[substring('hello world', 0, 5)]"), "hello");
  EXPECT_EQ(Ok("[substring('abc', 3)]"), "");
  EXPECT_EQ(Ok("[substring('abc', 1, 2)]"), "bc");
  EXPECT_THAT(Err("[substring('hello', 2, 10)]"), HasSubstr("must refer to a location within the string"));
  EXPECT_THAT(Err("[substring('hello', 6)]"), HasSubstr("startIndex 6"));
  EXPECT_THAT(Err("[substring('hello', -1)]"), HasSubstr("startIndex -1"));
  EXPECT_THAT(Err("[substring('hello', 0, -1)]"), HasSubstr("length -1"));
}

TEST_F(TemplateFunctions, ArrayBase64Join) {
  EXPECT_EQ(Ok("[array('a')]"), Json::array({"a"}));
  EXPECT_EQ(Ok("[array(createArray(1))]"), Json::array({1}));
  EXPECT_EQ(Ok("[array(createObject('a', 1))]"), Json::array({Json{{"a", 1}}}));
  EXPECT_EQ(Ok("[base64('one, two, three')]"), "b25lLCB0d28sIHRocmVl");  // ARM's example
  EXPECT_EQ(Ok("[base64('a')]"), "YQ==");
  EXPECT_EQ(Ok("[base64('ab')]"), "YWI=");
  EXPECT_EQ(Ok("[base64ToString('b25lLCB0d28sIHRocmVl')]"), "one, two, three");
  EXPECT_EQ(Ok("[base64ToString(base64('xy'))]"), "xy");
  EXPECT_EQ(Ok("[base64ToString('')]"), "");
  EXPECT_THAT(Err("[base64ToString('abc')]"), HasSubstr("not valid base64"));
  EXPECT_THAT(Err("[base64ToString('a=bc')]"), HasSubstr("not valid base64"));
  EXPECT_EQ(Ok("[base64ToJson(base64('{\"a\":1}')).a]"), 1);
  EXPECT_EQ(Ok("[join(createArray('a', 1, true()), ', ')]"), "a, 1, True");
}

TEST_F(TemplateFunctions, CopyIndex) {
  ctx_.index = 2;
  EXPECT_EQ(Ok("[copyIndex()]"), 2);
  EXPECT_EQ(Ok("[copyIndex(1)]"), 3);
  EXPECT_EQ(Ok("[copyIndex('items')]"), 2);
  EXPECT_EQ(Ok("[copyIndex('ITEMS', 10)]"), 12);
  EXPECT_THAT(Err("[copyIndex('other')]"), HasSubstr("'other' is not in scope"));
  EXPECT_THAT(Err("[copyIndex(1, 2)]"), HasSubstr("([loopName], [offset])"));
  EXPECT_THAT(Err("[copyIndex('a', 'b')]"), HasSubstr("argument 2 to be an Integer"));
}

TEST_F(TemplateFunctions, ReferenceRecordsDependencies) {
  ctx_.resources["vnet1"] = Json{{"id", "/x/vnet1"}, {"properties", {{"addressSpace", "10.0.0.0/16"}}}};
  EXPECT_EQ(Ok("[reference('vnet1').addressSpace]"), "10.0.0.0/16");
  EXPECT_EQ(Ok("[reference('vnet1', '2023-05-01', 'Full').id]"), "/x/vnet1");
  EXPECT_EQ(ctx_.last_api_version, "2023-05-01");
  EXPECT_EQ(ctx_.references, (std::vector<std::string>{"vnet1", "vnet1"}));
  EXPECT_THAT(Err("[reference('vnet1', '2023-05-01', 'Partial')]"), HasSubstr("argument 3 must be 'Full'"));
  EXPECT_THAT(Err("[reference('nope')]"), HasSubstr("the resource 'nope' is not defined"));
  EXPECT_EQ(ctx_.references.back(), "nope");  // recorded even when it fails: still a dependency
}

TEST_F(TemplateFunctions, ListFunctionsGoToTheContext) {
  EXPECT_EQ(Ok("[listKeys('/x/sa', '2021-01-01').keys[0].value]"), "k1");
  EXPECT_EQ(Ok("[listSecrets('/x/kv', '2021-01-01', createObject('a', 1)).keys[0].value]"), "k1");
  EXPECT_EQ(ctx_.list_calls, (std::vector<std::string>{"listKeys /x/sa 2021-01-01 null",
                                                       "listSecrets /x/kv 2021-01-01 {\"a\":1}"}));
  EXPECT_THAT(Err("[listKeys('/x')]"), HasSubstr("'listKeys' expects at least 2 arguments"));
  EXPECT_THAT(Err("[list('/x', 'v')]"), HasSubstr("'list' is not known"));
}

TEST_F(TemplateFunctions, IntersectionOfObjects) {
  // ARM's example: only the properties with the same name and value in both.
  ctx_.parameters["first"] = Json{{"one", "a"}, {"two", "b"}, {"three", "c"}};
  ctx_.parameters["second"] = Json{{"one", "a"}, {"two", "z"}, {"three", "c"}};
  EXPECT_EQ(Ok("[intersection(parameters('first'), parameters('second'))]"),
            (Json{{"one", "a"}, {"three", "c"}}));
  EXPECT_EQ(Ok("[intersection(parameters('first'), parameters('second'), createObject('three', 'c'))]"),
            (Json{{"three", "c"}}));
  // Values compare deeply (nested key order does not matter, nested values do); names case-sensitively.
  EXPECT_EQ(Ok("[intersection(createObject('o', createObject('x', 1, 'y', 2)), "
               "createObject('o', createObject('y', 2, 'x', 1)))]"),
            (Json{{"o", {{"x", 1}, {"y", 2}}}}));
  EXPECT_EQ(
      Ok("[intersection(createObject('o', createObject('x', 1)), createObject('o', createObject('x', 2)))]"),
      Json::object());
  EXPECT_EQ(Ok("[intersection(createObject('a', 1), createObject('A', 1))]"), Json::object());
  EXPECT_EQ(Ok("[intersection(createObject('a', 1), createObject('a', '1'))]"), Json::object());
  EXPECT_EQ(Ok("[intersection(createObject(), createObject('a', 1))]"), Json::object());
  EXPECT_THAT(
      Err("[intersection(createObject(), createArray())]"),
      HasSubstr("'intersection' expects argument 2 to be an Object (the first argument is an Object), "
                "got Array"));
}

TEST_F(TemplateFunctions, IntersectionOfArrays) {
  // ARM's example.
  EXPECT_EQ(Ok("[intersection(createArray('one', 'two', 'three'), createArray('two', 'three'))]"),
            Json::array({"two", "three"}));
  // The first array's order, each element once, present in every argument.
  EXPECT_EQ(Ok("[intersection(createArray(3, 2, 2, 1), createArray(1, 2, 3, 3))]"), Json::array({3, 2, 1}));
  EXPECT_EQ(Ok("[intersection(createArray(1, 2, 3), createArray(2, 3), createArray(3, 4))]"),
            Json::array({3}));
  EXPECT_EQ(Ok("[intersection(createArray(1, '1', 'A'), createArray('1', 'a'))]"), Json::array({"1"}));
  EXPECT_EQ(Ok("[intersection(createArray(createObject('a', 1, 'b', 2), createArray(1)), "
               "createArray(createObject('b', 2, 'a', 1)))]"),
            Json::array({Json{{"a", 1}, {"b", 2}}}));
  EXPECT_EQ(Ok("[intersection(createArray(), createArray(1))]"), Json::array());
  EXPECT_EQ(Ok("[intersection(createArray(1), createArray())]"), Json::array());
  EXPECT_THAT(Err("[intersection(createArray(1))]"),
              HasSubstr("'intersection' expects at least 2 arguments, got 1"));
  EXPECT_THAT(Err("[intersection(createArray(1), createArray(1), 'x')]"),
              HasSubstr("expects argument 3 to be an Array (the first argument is an Array), got String"));
  EXPECT_THAT(Err("[intersection('ab', 'b')]"),
              HasSubstr("argument 1 to be an Array or an Object, got String"));
}

TEST_F(TemplateFunctions, ItemsSortsByKeyIgnoringCase) {
  // ARM's example: item002 is declared first, item001 comes out first.
  ctx_.variables["entities"] =
      Json{{"item002", {{"enabled", false}, {"displayName", "Example item 2"}, {"number", 200}}},
           {"item001", {{"enabled", true}, {"displayName", "Example item 1"}, {"number", 300}}}};
  EXPECT_EQ(Ok("[items(variables('entities'))]"),
            Json::array(
                {Json{{"key", "item001"},
                      {"value", {{"enabled", true}, {"displayName", "Example item 1"}, {"number", 300}}}},
                 Json{{"key", "item002"},
                      {"value", {{"enabled", false}, {"displayName", "Example item 2"}, {"number", 200}}}}}));
  EXPECT_EQ(Ok("[items(variables('entities'))[1].value.displayName]"), "Example item 2");
  // OrdinalIgnoreCase compares upper-cased: 'b' < 'C' < '_' (a case-sensitive sort puts '_' before 'b').
  EXPECT_EQ(Ok("[items(createObject('_x', 1, 'C', 2, 'b', 3, 'A', 4))]"),
            Json::array({Json{{"key", "A"}, {"value", 4}}, Json{{"key", "b"}, {"value", 3}},
                         Json{{"key", "C"}, {"value", 2}}, Json{{"key", "_x"}, {"value", 1}}}));
  // Keys equal but for case keep the object's order (ARM's objectKeys({a, A}) is [a, A], of {A, a} [A, a]).
  EXPECT_EQ(Ok("[items(createObject('b', 0, 'a', 1, 'A', 2))]"),
            Json::array({Json{{"key", "a"}, {"value", 1}}, Json{{"key", "A"}, {"value", 2}},
                         Json{{"key", "b"}, {"value", 0}}}));
  EXPECT_EQ(Ok("[items(createObject('A', 2, 'a', 1))[0].key]"), "A");
  EXPECT_EQ(Ok("[items(createObject('ab', 1, 'a', 2))[0].key]"), "a");  // a prefix sorts first
  EXPECT_EQ(Ok("[items(createObject())]"), Json::array());
  EXPECT_EQ(Ok("[length(items(createObject('k', createArray(1, 2))))]"), 1);
  EXPECT_THAT(Err("[items(createArray(1))]"),
              HasSubstr("'items' expects argument 1 to be an Object, got Array"));
  EXPECT_THAT(Err("[items()]"), HasSubstr("'items' expects 1 argument, got 0"));
}

TEST_F(TemplateFunctions, UriResolvesAsRfc3986) {
  // ARM's documented examples.
  EXPECT_EQ(Ok("[uri('http://contoso.org/firstpath', 'myscript.sh')]"), "http://contoso.org/myscript.sh");
  EXPECT_EQ(Ok("[uri('http://contoso.org/firstpath/', 'myscript.sh')]"),
            "http://contoso.org/firstpath/myscript.sh");
  EXPECT_EQ(Ok("[uri('http://contoso.org/firstpath/azuredeploy.json', 'myscript.sh')]"),
            "http://contoso.org/firstpath/myscript.sh");
  EXPECT_EQ(Ok("[uri('http://contoso.org/firstpath/azuredeploy.json/', 'myscript.sh')]"),
            "http://contoso.org/firstpath/azuredeploy.json/myscript.sh");
  EXPECT_EQ(Ok("[uri('http://contoso.com/resources/azuredeploy.json', 'nested/azuredeploy.json')]"),
            "http://contoso.com/resources/nested/azuredeploy.json");
  EXPECT_EQ(Ok("[uri('https://contoso.org', 'x')]"), "https://contoso.org/x");  // no path: "/" + relative
  // RFC 3986 §5.4's examples against its base.
  const std::string base = "[uri('http://a/b/c/d;p?q', '";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"g:h", "g:h"},
      {"g", "http://a/b/c/g"},
      {"./g", "http://a/b/c/g"},
      {"g/", "http://a/b/c/g/"},
      {"/g", "http://a/g"},
      {"//g", "http://g"},
      {"?y", "http://a/b/c/d;p?y"},
      {"g?y", "http://a/b/c/g?y"},
      {"#s", "http://a/b/c/d;p?q#s"},
      {"g?y#s", "http://a/b/c/g?y#s"},
      {"", "http://a/b/c/d;p?q"},
      {".", "http://a/b/c/"},
      {"..", "http://a/b/"},
      {"../g", "http://a/b/g"},
      {"../..", "http://a/"},
      {"../../g", "http://a/g"},
      {"../../../g", "http://a/g"},
      {"/./g", "http://a/g"},
      {"/../g", "http://a/g"},
      {"g.", "http://a/b/c/g."},
      {"..g", "http://a/b/c/..g"},
      {"./../g", "http://a/b/g"},
      {"g/./h", "http://a/b/c/g/h"},
      {"g/../h", "http://a/b/c/h"},
      {"g;x=1/../y", "http://a/b/c/y"},
  };
  for (const auto& [ref, want] : cases) EXPECT_EQ(Ok(base + ref + "')]"), want) << ref;
  EXPECT_THAT(Err("[uri('contoso.org/firstpath', 'x')]"),
              HasSubstr("'uri' expects argument 1 (baseUri) to be an absolute URI with a scheme"));
  EXPECT_THAT(Err("[uri('//contoso.org/a', 'x')]"), HasSubstr("to be an absolute URI"));
  EXPECT_THAT(Err("[uri('http://a/', 1)]"),
              HasSubstr("'uri' expects argument 2 to be a String, got Integer"));
  EXPECT_THAT(Err("[uri('http://a/')]"), HasSubstr("'uri' expects 2 arguments, got 1"));
}

TEST_F(TemplateFunctions, UriComponentEscapesAllButUnreserved) {
  // ARM's example.
  EXPECT_EQ(Ok("[uriComponent('http://contoso.com/resources/nested/azuredeploy.json')]"),
            "http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json");
  EXPECT_EQ(Ok("[uriComponent('AZaz09-._~')]"), "AZaz09-._~");
  EXPECT_EQ(Ok("[uriComponent('a b+c?d=e&f#g%')]"), "a%20b%2Bc%3Fd%3De%26f%23g%25");
  EXPECT_EQ(Ok("[uriComponent('caf\xc3\xa9')]"), "caf%C3%A9");  // UTF-8 bytes, upper-case hex
  EXPECT_EQ(Ok("[uriComponent('')]"), "");
  EXPECT_THAT(Err("[uriComponent(1)]"),
              HasSubstr("'uriComponent' expects argument 1 to be a String, got Integer"));
  EXPECT_THAT(Err("[uriComponent(padLeft('', 400000, ' '))]"), HasSubstr("exceeds 1048576 bytes"));
}

TEST_F(TemplateFunctions, UriComponentToStringDecodesWhatIsUtf8) {
  // ARM's example.
  EXPECT_EQ(Ok("[uriComponentToString('http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json')]"),
            "http://contoso.com/resources/nested/azuredeploy.json");
  EXPECT_EQ(Ok("[uriComponentToString(uriComponent('a b/c?d=e&f#g%+\xc3\xa9'))]"), "a b/c?d=e&f#g%+\xc3\xa9");
  EXPECT_EQ(Ok("[uriComponentToString('%c3%a9%41')]"),
            "\xc3\xa9"
            "A");                                         // either case of hex
  EXPECT_EQ(Ok("[uriComponentToString('a+b')]"), "a+b");  // not form encoding
  // Malformed escapes, and bytes that are not UTF-8, stay as written (as .NET's UnescapeDataString).
  EXPECT_EQ(Ok("[uriComponentToString('100%')]"), "100%");
  EXPECT_EQ(Ok("[uriComponentToString('%zz%4')]"), "%zz%4");
  EXPECT_EQ(Ok("[uriComponentToString('%C3')]"), "%C3");
  EXPECT_EQ(Ok("[uriComponentToString('%C3%A9%FF%41')]"), "\xc3\xa9%FFA");
  EXPECT_EQ(Ok("[uriComponentToString('%E2%82x')]"), "%E2%82x");         // a 3-byte sequence cut short
  EXPECT_EQ(Ok("[uriComponentToString('%ED%A0%80')]"), "%ED%A0%80");     // a UTF-16 surrogate
  EXPECT_EQ(Ok("[uriComponentToString('%C0%AF')]"), "%C0%AF");           // overlong '/'
  EXPECT_EQ(Ok("[uriComponentToString('%E2%82%AC')]"), "\xe2\x82\xac");  // the euro sign
  EXPECT_THAT(Err("[uriComponentToString()]"), HasSubstr("'uriComponentToString' expects 1 argument, got 0"));
  EXPECT_THAT(Err("[uriComponentToString(createArray())]"),
              HasSubstr("argument 1 to be a String, got Array"));
}

TEST(TemplateFunctionTable, EverySupportedFunctionResolves) {
  // docs/templates.md's list: a function dropped from its family's table would fail here.
  for (const char* name : {"add",
                           "and",
                           "array",
                           "base64",
                           "base64ToJson",
                           "base64ToString",
                           "bool",
                           "coalesce",
                           "concat",
                           "contains",
                           "copyIndex",
                           "createArray",
                           "createObject",
                           "deployment",
                           "div",
                           "empty",
                           "endsWith",
                           "equals",
                           "extensionResourceId",
                           "false",
                           "first",
                           "format",
                           "greater",
                           "greaterOrEquals",
                           "guid",
                           "if",
                           "indexOf",
                           "int",
                           "intersection",
                           "items",
                           "join",
                           "json",
                           "last",
                           "lastIndexOf",
                           "length",
                           "less",
                           "lessOrEquals",
                           "max",
                           "min",
                           "mod",
                           "mul",
                           "not",
                           "null",
                           "or",
                           "padLeft",
                           "parameters",
                           "range",
                           "reference",
                           "replace",
                           "resourceGroup",
                           "resourceId",
                           "skip",
                           "split",
                           "startsWith",
                           "string",
                           "sub",
                           "subscription",
                           "subscriptionResourceId",
                           "substring",
                           "take",
                           "tenantResourceId",
                           "toLower",
                           "toUpper",
                           "trim",
                           "true",
                           "union",
                           "uniqueString",
                           "uri",
                           "uriComponent",
                           "uriComponentToString",
                           "variables"}) {
    EXPECT_NE(FindFunction(name), nullptr) << name;
  }
  EXPECT_EQ(FindFunction("URICOMPONENTTOSTRING"), FindFunction("uriComponentToString"));
  EXPECT_NE(FindFunction("Intersection"), FindFunction("items"));
}

TEST(TemplateFunctionTable, NoNameIsInTwoFamilies) {
  // FindFunction takes the first match, so a second entry for a name would be silently unreachable.
  std::set<std::string> seen;
  for (const auto table : {detail::CollectionFunctions(), detail::TextFunctions(),
                           detail::EncodingFunctions(), detail::ScopeFunctions()}) {
    for (const auto& e : table) EXPECT_TRUE(seen.insert(ToLower(e.name)).second) << e.name;
  }
  EXPECT_EQ(seen.size(), 71u);
}

TEST_F(TemplateFunctions, NewFunctionNamesAreCaseInsensitive) {
  EXPECT_EQ(Ok("[ITEMS(createObject('a', 1))[0].key]"), "a");
  EXPECT_EQ(Ok("[Intersection(createArray(1, 2), createArray(2))]"), Json::array({2}));
  EXPECT_EQ(Ok("[URI('http://a/b', 'c')]"), "http://a/c");
}

TEST(TemplateFunctionTable, LookupIsCaseInsensitive) {
  EXPECT_NE(FindFunction("uniquestring"), nullptr);
  EXPECT_EQ(FindFunction("uniquestring"), FindFunction("UNIQUESTRING"));
  EXPECT_EQ(FindFunction("fooo"), nullptr);
  EXPECT_NE(FindFunction("ListKeys"), nullptr);
}

}  // namespace
}  // namespace isthmus::mgmt::tmpl
