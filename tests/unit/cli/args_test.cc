#include "cli/args.h"

#include <gtest/gtest.h>

#include "cli/errors.h"
#include "cli/resource_id.h"

namespace isthmus::cli {
namespace {

std::vector<OptionSpec> Options() {
  OptionSpec rg{"resource_group", {"--resource-group", "-g"}, "", ArgKind::kValue, true};
  rg.id_part = true;
  OptionSpec name{"name", {"--name", "-n"}, "", ArgKind::kValue, true};
  name.id_part = true;
  return {rg,
          name,
          {"address_prefixes", {"--address-prefixes"}, "", ArgKind::kList},
          {"vnet_gateway1", {"--vnet-gateway1"}, ""},
          {"vnet_gateway2", {"--vnet-gateway2"}, ""},
          {"no_wait", {"--no-wait"}, "", ArgKind::kFlag},
          {"enable_bgp", {"--enable-bgp"}, "", ArgKind::kBool},
          {"sku", {"--sku"}, "", ArgKind::kValue, false, {"Basic", "VpnGw1"}, "Basic"},
          {"asn", {"--asn"}, ""},
          {"ids", {"--ids"}, "", ArgKind::kList}};
}

Result<ParseOutcome> Parse(std::vector<std::string> tokens) {
  auto opts = Options();
  return ParseArgs(opts, tokens);
}

TEST(Args, LongShortAndEqualsForms) {
  auto r = Parse({"-g", "RG1", "--name=VNet1"});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->args.Get("resource_group"), "RG1");
  EXPECT_EQ(r->args.Get("name"), "VNet1");
  auto attached = Parse({"-gRG1", "-n", "VNet1"});
  ASSERT_TRUE(attached.has_value());
  EXPECT_EQ(attached->args.Get("resource_group"), "RG1");
}

TEST(Args, MissingRequiredListsEveryMissingFlag) {
  auto r = Parse({"--sku", "Basic"});
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(IsUsageError(r.error()));
  EXPECT_EQ(r.error().message, "the following arguments are required: --resource-group/-g, --name/-n");
}

TEST(Args, AnAppendOptionAddsUpWhileOthersKeepTheLastValue) {
  OptionSpec params{"parameters", {"--parameters", "-p"}, "", ArgKind::kList};
  params.append = true;
  std::vector<OptionSpec> opts = {params, {"address_prefixes", {"--address-prefixes"}, "", ArgKind::kList}};
  std::vector<std::string> tokens = {"-p",          "@a.json",      "x=1", "--address-prefixes",
                                     "10.1.0.0/16", "--parameters", "y=2", "--address-prefixes",
                                     "10.2.0.0/16"};
  auto r = ParseArgs(opts, tokens);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->args.GetList("parameters"), (std::vector<std::string>{"@a.json", "x=1", "y=2"}));
  EXPECT_EQ(r->args.GetList("address_prefixes"), (std::vector<std::string>{"10.2.0.0/16"}));
}

TEST(Args, HelpSkipsRequiredCheck) {
  auto r = Parse({"-h"});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->help_requested);
}

TEST(Args, UnknownFlagsAndStrayWordsAreRejected) {
  auto r = Parse({"-g", "a", "-n", "b", "--bogus", "x", "stray"});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "unrecognized arguments: --bogus x stray");
}

TEST(Args, MultiValueListTakesWordsUntilNextOption) {
  auto r = Parse({"--address-prefixes", "10.11.0.0/16", "10.12.0.0/16", "-g", "a", "-n", "b"});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->args.GetList("address_prefixes"), (std::vector<std::string>{"10.11.0.0/16", "10.12.0.0/16"}));
  auto empty = Parse({"--address-prefixes", "-g", "a", "-n", "b"});
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().message, "argument --address-prefixes: expected at least one argument");
}

TEST(Args, ValueMissingIsAnError) {
  auto r = Parse({"-g", "-n", "b"});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "argument --resource-group/-g: expected one argument");
}

TEST(Args, UniquePrefixMatchesAmbiguousPrefixFails) {
  auto r = Parse({"-g", "a", "-n", "b", "--address-prefix", "10.0.0.0/16"});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->args.GetList("address_prefixes"), std::vector<std::string>{"10.0.0.0/16"});
  auto amb = Parse({"-g", "a", "-n", "b", "--vnet-gateway", "x"});
  ASSERT_FALSE(amb.has_value());
  EXPECT_NE(amb.error().message.find(
                "ambiguous option: --vnet-gateway could match --vnet-gateway1, --vnet-gateway2"),
            std::string::npos)
      << amb.error().message;
}

TEST(Args, ChoicesAreCaseInsensitiveAndCanonicalised) {
  auto r = Parse({"-g", "a", "-n", "b", "--sku", "vpngw1"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->args.Get("sku"), "VpnGw1");
  auto bad = Parse({"-g", "a", "-n", "b", "--sku", "Huge"});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "argument --sku: invalid choice: 'Huge' (choose from 'Basic', 'VpnGw1')");
}

TEST(Args, DefaultsApplyOnlyWhenAbsent) {
  auto r = Parse({"-g", "a", "-n", "b"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->args.Get("sku"), "Basic");
  EXPECT_FALSE(r->args.Has("asn"));
}

TEST(Args, FlagsAndThreeStateBooleans) {
  auto r = Parse({"-g", "a", "-n", "b", "--no-wait", "--enable-bgp"});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->args.Flag("no_wait"));
  EXPECT_EQ(r->args.Bool("enable_bgp"), true);
  auto f = Parse({"-g", "a", "-n", "b", "--enable-bgp", "false"});
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->args.Bool("enable_bgp"), false);
  auto absent = Parse({"-g", "a", "-n", "b"});
  EXPECT_FALSE(absent->args.Bool("enable_bgp").has_value());
}

TEST(Args, NegativeNumbersAreValues) {
  auto r = Parse({"-g", "a", "-n", "b", "--asn", "-1"});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->args.Get("asn"), "-1");
}

TEST(Args, IdsReplaceIdPartArguments) {
  auto r =
      Parse({"--ids", "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v"});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->args.GetList("ids").size(), 1u);
}

TEST(ResourceIds, NameOrIdResolution) {
  auto by_name = ResolveNameOrId("VNet4GW", "s", "RG1", "virtualNetworkGateways", "--vnet-gateway2");
  ASSERT_TRUE(by_name.has_value());
  EXPECT_EQ(*by_name,
            "/subscriptions/s/resourceGroups/RG1/providers/Microsoft.Network/virtualNetworkGateways/VNet4GW");
  const std::string id =
      "/subscriptions/s/resourceGroups/RG4/providers/Microsoft.Network/virtualNetworkGateways/VNet4GW";
  auto by_id = ResolveNameOrId(id, "s", "RG1", "virtualNetworkGateways", "--vnet-gateway2");
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(*by_id, id);
  // Case-insensitive type names, as in ARM.
  EXPECT_TRUE(ResolveNameOrId("/subscriptions/s/resourcegroups/RG4/providers/microsoft.network/"
                              "VIRTUALNETWORKGATEWAYS/x",
                              "s", "RG1", "virtualNetworkGateways", "--vnet-gateway2")
                  .has_value());
  auto wrong_type = ResolveNameOrId(
      "/subscriptions/s/resourceGroups/RG4/providers/Microsoft.Network/"
      "localNetworkGateways/x",
      "s", "RG1", "virtualNetworkGateways", "--vnet-gateway2");
  ASSERT_FALSE(wrong_type.has_value());
  EXPECT_NE(wrong_type.error().message.find("--vnet-gateway2"), std::string::npos);
  EXPECT_FALSE(ResolveNameOrId("a/b", "s", "RG1", "virtualNetworkGateways", "--vnet-gateway2").has_value());
}

TEST(ResourceIds, ParseChildAndEncode) {
  auto id = ParseResourceId(
      "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/x");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->child_type, "subnets");
  EXPECT_EQ(id->child_name, "x");
  EXPECT_FALSE(
      ParseResourceId("/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/v").has_value());
  EXPECT_EQ(EncodeSegment("a b/c"), "a%20b%2Fc");
}

}  // namespace
}  // namespace isthmus::cli
