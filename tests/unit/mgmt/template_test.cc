// Templates as documents (template/template.cc): parameters against their declarations, variables with
// copy, resources expanded by copy and condition, nested children, the dependency waves and their
// cycles, rendering with reference(), outputs; and the examples/ templates as they are shipped.
#include "mgmt/template/template.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace isthmus::mgmt::tmpl {
namespace {

const std::vector<std::string> kTypes = {
    "Microsoft.Network/virtualNetworks",      "Microsoft.Network/virtualNetworks/subnets",
    "Microsoft.Network/publicIPAddresses",    "Microsoft.Network/virtualNetworkGateways",
    "Microsoft.Network/localNetworkGateways", "Microsoft.Network/connections",
    "Microsoft.Network/networkInterfaces",    "Microsoft.Compute/virtualMachines"};

Scope TestScope() {
  Scope s;
  s.subscription_id = "sub1";
  s.tenant_id = "tenant1";
  s.resource_group = "rg";
  s.location = "eastus";
  s.deployment_name = "dep";
  return s;
}

Json Load(const std::string& relative) {
  std::ifstream in(std::string(ISTHMUS_SOURCE_DIR) + "/" + relative);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str(), nullptr, false);
}

Result<Plan> Prep(const Json& doc, const Json& params = Json::object()) {
  return Prepare(doc, params, TestScope(), PrepareOptions{kTypes});
}

std::string Id(const std::string& type_and_name) {
  return "/subscriptions/sub1/resourceGroups/rg/providers/" + type_and_name;
}

const PlannedResource* Find(const Plan& p, const std::string& name) {
  for (const auto& r : p.resources) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

// The wave a resource is deployed in.
int WaveOf(const Plan& p, const std::string& name) {
  for (std::size_t w = 0; w < p.waves.size(); ++w) {
    for (auto i : p.waves[w]) {
      if (p.resources[i].name == name) return static_cast<int>(w);
    }
  }
  return -1;
}

Json Vnet(const std::string& name, Json extra = Json::object()) {
  Json r = {{"type", "Microsoft.Network/virtualNetworks"},
            {"apiVersion", "2023-09-01"},
            {"name", name},
            {"location", "[resourceGroup().location]"},
            {"properties", {{"addressSpace", {{"addressPrefixes", {"10.0.0.0/16"}}}}}}};
  r.update(extra);
  return r;
}

Json Doc(Json resources, Json parameters = Json::object(), Json variables = Json::object()) {
  return {{"$schema", "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"},
          {"contentVersion", "1.0.0.0"},
          {"parameters", std::move(parameters)},
          {"variables", std::move(variables)},
          {"resources", std::move(resources)}};
}

// ---- The shipped examples ------------------------------------------------------------------------------

TEST(TemplateExamples, VnetToVnetPlansInDependencyOrder) {
  Json doc = Load("examples/vnet-to-vnet/azuredeploy.json");
  ASSERT_FALSE(doc.is_discarded());
  Json file = Load("examples/vnet-to-vnet/azuredeploy.parameters.json");
  auto plan = Prep(doc, file["parameters"]);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->resources.size(), 12u);  // 2 VNets, 2 IPs, 2 gateways, 2 connections, 2 NICs, 2 VMs
  EXPECT_EQ(WaveOf(*plan, "VNet1"), 0);
  EXPECT_EQ(WaveOf(*plan, "VNet4GWIP"), 0);
  EXPECT_EQ(WaveOf(*plan, "VNet1GW"), 1);
  EXPECT_EQ(WaveOf(*plan, "VNet1ToVNet4"), 2);
  EXPECT_EQ(WaveOf(*plan, "VM1VMNic"), 1);
  EXPECT_EQ(WaveOf(*plan, "VM4"), 2);
  const PlannedResource* gw = Find(*plan, "VNet4GW");
  ASSERT_NE(gw, nullptr);
  EXPECT_EQ(gw->id, Id("Microsoft.Network/virtualNetworkGateways/VNet4GW"));
  EXPECT_EQ(gw->copy_name, "gateways");
  EXPECT_EQ(gw->copy_index, 1);
  // The secure parameter is never shown.
  Json shown = DisplayParameters(*plan);
  EXPECT_EQ(shown["sharedKey"], Json({{"type", "SecureString"}}));
  EXPECT_EQ(shown["location2"]["value"], "westus");
  EXPECT_EQ(shown.dump().find("ExampleKey"), std::string::npos);

  // Rendering the gateway resolves its references into IDs.
  auto body =
      RenderResource(*plan, *gw, TestScope(), [](const std::string&) { return Result<Json>(Json()); });
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ((*body)["location"], "westus");
  EXPECT_EQ((*body)["properties"]["sku"]["name"], "VpnGw1");
  EXPECT_EQ((*body)["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"],
            Id("Microsoft.Network/virtualNetworks/VNet4/subnets/GatewaySubnet"));
  auto vnet = RenderResource(*plan, *Find(*plan, "VNet4"), TestScope(),
                             [](const std::string&) { return Result<Json>(Json()); });
  ASSERT_TRUE(vnet) << vnet.error().message;
  EXPECT_EQ((*vnet)["properties"]["subnets"][2]["properties"]["addressPrefix"], "10.42.255.0/27");

  // Without VMs, the NICs and VMs are planned but not deployed.
  Json no_vms = file["parameters"];
  no_vms["deployVms"] = {{"value", false}};
  auto lean = Prep(doc, no_vms);
  ASSERT_TRUE(lean) << lean.error().message;
  EXPECT_FALSE(Find(*lean, "VM1")->enabled);
  EXPECT_EQ(WaveOf(*lean, "VM1"), -1);
}

TEST(TemplateExamples, ChainPlansThreeGatewaysAndFourConnections) {
  Json doc = Load("examples/vnet-chain/azuredeploy.json");
  auto plan = Prep(doc, Load("examples/vnet-chain/azuredeploy.parameters.json")["parameters"]);
  ASSERT_TRUE(plan) << plan.error().message;
  std::vector<std::string> connections;
  for (const auto& r : plan->resources) {
    if (r.type == "Microsoft.Network/connections") connections.push_back(r.name);
  }
  EXPECT_EQ(connections,
            (std::vector<std::string>{"VNet1ToVNet4", "VNet4ToVNet1", "VNet4ToVNet5", "VNet5ToVNet4"}));
  EXPECT_EQ(WaveOf(*plan, "VNet5ToVNet4"), 2);
  auto outputs = RenderOutputs(*plan, TestScope(), [](const std::string&) { return Result<Json>(Json()); });
  ASSERT_TRUE(outputs) << outputs.error().message;
  EXPECT_EQ((*outputs)["connections"]["value"].size(), 4u);
  EXPECT_EQ((*outputs)["connections"]["type"], "Array");
}

TEST(TemplateExamples, SiteToSiteReadsTheGatewayAddressThroughReference) {
  Json doc = Load("examples/site-to-site/azuredeploy.json");
  auto plan = Prep(doc, Load("examples/site-to-site/azuredeploy.parameters.json")["parameters"]);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(WaveOf(*plan, "TestVNet1ToSite1"), 2);
  EXPECT_EQ(Find(*plan, "TestVNet1")->source["location"], "[parameters('location')]");
  std::vector<std::string> asked;
  auto outputs = RenderOutputs(*plan, TestScope(), [&](const std::string& id) -> Result<Json> {
    asked.push_back(id);
    return Json{{"id", id}, {"properties", {{"ipAddress", "198.18.0.7"}}}};
  });
  ASSERT_TRUE(outputs) << outputs.error().message;
  EXPECT_EQ((*outputs)["gatewayAddress"]["value"], "198.18.0.7");
  EXPECT_EQ(asked, std::vector<std::string>{Id("Microsoft.Network/publicIPAddresses/TestVNet1GWIP")});
}

// ---- Parameters ----------------------------------------------------------------------------------------

TEST(TemplateParameters, DefaultsTypesAndBoundsAreChecked) {
  Json params = {
      {"name", {{"type", "string"}, {"minLength", 2}, {"maxLength", 5}}},
      {"count", {{"type", "int"}, {"defaultValue", 2}, {"minValue", 1}, {"maxValue", 3}}},
      {"sku", {{"type", "string"}, {"defaultValue", "VpnGw1"}, {"allowedValues", {"VpnGw1", "VpnGw2"}}}},
      {"derived", {{"type", "string"}, {"defaultValue", "[concat(parameters('name'), '-x')]"}}},
      {"flag", {{"type", "bool"}, {"defaultValue", false}}}};
  Json doc = Doc(Json::array({Vnet("[parameters('derived')]")}), params);
  auto ok =
      Prep(doc, {{"name", {{"value", "ab"}}}, {"count", {{"value", "3"}}}, {"flag", {{"value", "true"}}}});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->parameters["count"].value, 3) << "an int typed on a command line arrives as text";
  EXPECT_EQ(ok->parameters["flag"].value, true);
  EXPECT_EQ(ok->resources[0].name, "ab-x") << "a default can use other parameters";

  struct Bad {
    Json given;
    std::string fragment;
  };
  for (const Bad& b : std::vector<Bad>{
           {Json::object(), "The value for the template parameter 'name' is not provided"},
           {{{"name", {{"value", "a"}}}}, "its length is 1, shorter than the minimum 2"},
           {{{"name", {{"value", "abcdef"}}}}, "longer than the maximum 5"},
           {{{"name", {{"value", 7}}}}, "expected a value of type 'String', got Integer"},
           {{{"name", {{"value", "ab"}}}, {"count", {{"value", 4}}}}, "more than the maximum 3"},
           {{{"name", {{"value", "ab"}}}, {"sku", {{"value", "Basic"}}}},
            "The value 'Basic' is not part of the allowed value(s): 'VpnGw1,VpnGw2'"},
           {{{"name", {{"value", "ab"}}}, {"nosuch", {{"value", 1}}}},
            "The template parameters 'nosuch' in the parameters file are not valid"},
           {{{"name", "ab"}}, "must be given as {\"value\": ...}"},
           {{{"name", {{"reference", {{"keyVault", {{"id", "x"}}}}}}}}, "Key Vault"},
       }) {
    auto r = Prep(doc, b.given);
    ASSERT_FALSE(r) << b.given.dump();
    EXPECT_NE(r.error().message.find(b.fragment), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().code, "InvalidTemplate");
  }
}

TEST(TemplateParameters, SecureValuesAreNotEchoedInErrors) {
  Json doc = Doc(Json::array({Vnet("v")}),
                 {{"key", {{"type", "securestring"}, {"allowedValues", {"only-this-one"}}}}});
  auto r = Prep(doc, {{"key", {{"value", "Secret-Value-9"}}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.find("Secret-Value-9"), std::string::npos) << r.error().message;
}

// ---- Variables, copy and condition ---------------------------------------------------------------------

TEST(TemplateResources, CopyLoopsVariablesAndNestedChildren) {
  Json variables = {
      {"base", "net"},
      {"names", "[createArray(concat(variables('base'), '-a'), concat(variables('base'), '-b'))]"},
      {"copy",
       {{{"name", "prefixes"},
         {"count", 2},
         {"input", "[format('10.{0}.0.0/16', copyIndex('prefixes'))]"}}}}};
  Json vnet =
      Vnet("[variables('names')[copyIndex()]]",
           {{"copy", {{"name", "nets"}, {"count", "[length(variables('names'))]"}}},
            {"properties",
             {{"addressSpace", {{"addressPrefixes", {"[variables('prefixes')[copyIndex()]]"}}}},
              {"copy",
               {{{"name", "subnets"},
                 {"count", 2},
                 {"input",
                  {{"name", "[concat('s', copyIndex('subnets'))]"},
                   {"properties",
                    {{"addressPrefix",
                      "[format('10.{0}.{1}.0/24', copyIndex('nets'), copyIndex('subnets'))]"}}}}}}}}}},
            {"resources",
             {{{"type", "subnets"},
               {"apiVersion", "2023-09-01"},
               {"name", "GatewaySubnet"},
               {"properties", {{"addressPrefix", "10.9.255.0/27"}}}}}}});
  auto plan = Prep(Doc(Json::array({vnet}), Json::object(), variables));
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->resources.size(), 4u);
  EXPECT_EQ(plan->resources[0].name, "net-a");
  EXPECT_EQ(plan->resources[1].name, "net-a/GatewaySubnet");
  EXPECT_EQ(plan->resources[1].type, "Microsoft.Network/virtualNetworks/subnets");
  EXPECT_EQ(plan->resources[1].id, Id("Microsoft.Network/virtualNetworks/net-a/subnets/GatewaySubnet"));
  EXPECT_EQ(plan->resources[1].depends_on, std::vector<std::size_t>{0}) << "a child waits for its parent";
  EXPECT_EQ(plan->resources[2].name, "net-b");
  auto body = RenderResource(*plan, plan->resources[2], TestScope(),
                             [](const std::string&) { return Result<Json>(Json()); });
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ((*body)["location"], "eastus");
  EXPECT_EQ((*body)["properties"]["addressSpace"]["addressPrefixes"][0], "10.1.0.0/16");
  ASSERT_EQ((*body)["properties"]["subnets"].size(), 2u) << body->dump();
  EXPECT_EQ((*body)["properties"]["subnets"][1]["name"], "s1");
  EXPECT_EQ((*body)["properties"]["subnets"][1]["properties"]["addressPrefix"], "10.1.1.0/24");
  EXPECT_FALSE((*body)["properties"].contains("copy"));
}

TEST(TemplateResources, ConditionsMustBeBooleansAndSkipDependencies) {
  Json doc = Doc(Json::array({Vnet("a", {{"condition", false}}), Vnet("b", {{"dependsOn", {"a"}}})}));
  auto plan = Prep(doc);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_FALSE(plan->resources[0].enabled);
  EXPECT_TRUE(plan->resources[1].depends_on.empty()) << "a skipped resource is no dependency";
  EXPECT_EQ(WaveOf(*plan, "b"), 0);
  auto bad = Prep(Doc(Json::array({Vnet("a", {{"condition", "yes"}})})));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("resources[0].condition must evaluate to true or false"),
            std::string::npos)
      << bad.error().message;
}

// ---- Dependencies ---------------------------------------------------------------------------------------

TEST(TemplateDependencies, ByNameIdLoopAndReference) {
  Json ip = {{"type", "Microsoft.Network/publicIPAddresses"},
             {"apiVersion", "2023-09-01"},
             {"name", "ip"},
             {"copy", {{"name", "ips"}, {"count", 2}}},
             {"location", "eastus"}};
  ip["name"] = "[concat('ip', copyIndex())]";
  Json by_ref = Vnet(
      "r", {{"tags",
             {{"addr", "[reference(resourceId('Microsoft.Network/publicIPAddresses', 'ip1')).ipAddress]"}}}});
  Json by_loop = Vnet("l", {{"dependsOn", {"ips"}}});
  Json by_id = Vnet("i", {{"dependsOn", {"[resourceId('Microsoft.Network/virtualNetworks', 'l')]"}}});
  Json outside = Vnet("o", {{"tags",
                             {{"x",
                               "[reference('/subscriptions/sub1/resourceGroups/other/providers/"
                               "Microsoft.Network/virtualNetworks/z').provisioningState]"}}}});
  auto plan = Prep(Doc(Json::array({ip, by_ref, by_loop, by_id, outside})));
  ASSERT_TRUE(plan) << plan.error().message;
  auto deps = [&](const std::string& n) {
    std::vector<std::string> out;
    for (auto i : Find(*plan, n)->depends_on) out.push_back(plan->resources[i].name);
    return out;
  };
  EXPECT_EQ(deps("r"), std::vector<std::string>{"ip1"}) << "reference() is an implicit dependency";
  EXPECT_EQ(deps("l"), (std::vector<std::string>{"ip0", "ip1"}));
  EXPECT_EQ(deps("i"), std::vector<std::string>{"l"});
  EXPECT_TRUE(deps("o").empty()) << "a resource outside the template is no dependency";
  EXPECT_EQ(WaveOf(*plan, "i"), 2);

  auto unknown = Prep(Doc(Json::array({Vnet("a", {{"dependsOn", {"nope"}}})})));
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("resources[0].dependsOn: the resource 'nope' is not defined"),
            std::string::npos)
      << unknown.error().message;
}

TEST(TemplateDependencies, CyclesAreNamed) {
  auto plan = Prep(Doc(Json::array({Vnet("a", {{"dependsOn", {"c"}}}), Vnet("b", {{"dependsOn", {"a"}}}),
                                    Vnet("c", {{"dependsOn", {"b"}}}), Vnet("free")})));
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, "InvalidTemplate");
  for (const char* n : {"'a' (resources[0])", "'b' (resources[1])", "'c' (resources[2])"}) {
    EXPECT_NE(plan.error().message.find(n), std::string::npos) << plan.error().message;
  }
  EXPECT_EQ(plan.error().message.find("'free'"), std::string::npos) << plan.error().message;
  auto self = Prep(Doc(Json::array({Vnet("a", {{"dependsOn", {"a"}}})})));
  EXPECT_TRUE(self) << "ARM ignores a resource's dependency on itself";
}

// ---- Errors point into the template
// ------------------------------------------------------------------------

TEST(TemplateErrors, NameThePlaceAndTheType) {
  Json vm = {{"type", "Microsoft.Storage/storageAccounts"}, {"apiVersion", "2023-01-01"}, {"name", "st"}};
  auto unsupported = Prep(Doc(Json::array({Vnet("a"), vm})));
  ASSERT_FALSE(unsupported);
  EXPECT_EQ(unsupported.error().code, "UnsupportedResourceType");
  EXPECT_NE(
      unsupported.error().message.find("resources[1]: the resource type 'Microsoft.Storage/storageAccounts'"),
      std::string::npos)
      << unsupported.error().message;
  EXPECT_EQ(unsupported.error().target, "resources[1].type");

  auto bad_expr = Prep(Doc(Json::array({Vnet("[concat('a', nosuchfunction())]")})));
  ASSERT_FALSE(bad_expr);
  EXPECT_NE(bad_expr.error().message.find("resources[0].name"), std::string::npos)
      << bad_expr.error().message;

  auto ref_in_name = Prep(Doc(Json::array({Vnet("[reference('x').name]")})));
  ASSERT_FALSE(ref_in_name);
  EXPECT_NE(ref_in_name.error().message.find("not expected at this location"), std::string::npos)
      << ref_in_name.error().message;

  auto twice = Prep(Doc(Json::array({Vnet("a"), Vnet("A")})));
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("defined more than once"), std::string::npos) << twice.error().message;

  auto wrong_segments = Prep(Doc(Json::array({Vnet("a/b")})));
  ASSERT_FALSE(wrong_segments);
  EXPECT_NE(wrong_segments.error().message.find("has 2 segment(s) but the type"), std::string::npos)
      << wrong_segments.error().message;

  auto var_cycle = Prep(Doc(Json::array({Vnet("[variables('x')]")}), Json::object(),
                            {{"x", "[variables('y')]"}, {"y", "[variables('x')]"}}));
  ASSERT_FALSE(var_cycle);
  EXPECT_NE(var_cycle.error().message.find("refers to itself"), std::string::npos)
      << var_cycle.error().message;

  auto big = Prep(
      Doc(Json::array({Vnet("[concat('v', copyIndex())]", {{"copy", {{"name", "n"}, {"count", 801}}}})})));
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("between 0 and 800"), std::string::npos) << big.error().message;

  EXPECT_FALSE(Prep(Json::array()));
  EXPECT_FALSE(Prep(Json{{"resources", "x"}}));
}

TEST(TemplateIds, SegmentsFollowTheType) {
  EXPECT_EQ(*ResourceIdFor("s", "g", "Microsoft.Network/virtualNetworks/subnets", "v/s1"),
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/s1");
  EXPECT_FALSE(ResourceIdFor("s", "g", "Microsoft.Network", "v"));
  EXPECT_FALSE(ResourceIdFor("s", "g", "Microsoft.Network/virtualNetworks", "v/"));
  EXPECT_FALSE(ResourceIdFor("s", "g", "Microsoft.Network/virtualNetworks/subnets", "v"));
}

}  // namespace
}  // namespace isthmus::mgmt::tmpl
