// `deployment group …` and `deployment operation group list` through RunCli against a fake transport:
// the request az would send (template inline, parameters from files and name=value typed by the
// template), following a deployment to its end with progress, failures, what-if's rendering, and bad
// input refused before anything is sent.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "fake_transport.h"

namespace isthmus::cli {
namespace {

using testing::GroupUrlPath;
using testing::Harness;

constexpr char kTemplate[] = R"({
  // comments are allowed, as ARM allows them
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "vnetName": { "type": "string" },
    "count": { "type": "int", "defaultValue": 1 },
    "deployVms": { "type": "bool", "defaultValue": true },
    "prefixes": { "type": "array", "defaultValue": [] },
    "sharedKey": { "type": "securestring" }
  },
  "resources": []
})";

std::string DeploymentUrlPath(const std::string& name) {
  return GroupUrlPath("RG1") + "/providers/Microsoft.Resources/deployments/" + name;
}

Json DeploymentDoc(const std::string& name, const std::string& state, Json extra = Json::object()) {
  Json props = {{"provisioningState", state}, {"mode", "Incremental"}, {"timestamp", "2026-12-03T10:00:00Z"}};
  props.update(extra);
  return {{"id", DeploymentUrlPath(name)},
          {"name", name},
          {"type", "Microsoft.Resources/deployments"},
          {"properties", props}};
}

Json Op(const std::string& type, const std::string& name, const std::string& state) {
  return {{"operationId", name},
          {"properties",
           {{"provisioningState", state},
            {"duration", "PT1S"},
            {"statusCode", "Created"},
            {"targetResource",
             {{"id", GroupUrlPath("RG1") + "/providers/" + type + "/" + name},
              {"resourceType", type},
              {"resourceName", name}}}}}};
}

struct DeploymentCli : ::testing::Test {
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("isthmus-deploy-cli-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
    Write("azuredeploy.json", kTemplate);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  }
  std::string File(const std::string& name) const { return (dir / name).string(); }
  Json SentBody(const std::string& key, std::size_t i = 0) {
    auto sent = h.transport.Sent(key);
    EXPECT_GT(sent.size(), i) << key;
    return sent.size() > i ? Json::parse(sent[i].body) : Json();
  }
  std::size_t Writes() const {
    std::size_t n = 0;
    for (const auto& r : h.transport.requests) n += r.method != "GET";
    return n;
  }
  Harness h;
  std::filesystem::path dir;
};

TEST_F(DeploymentCli, CreateSendsTheTemplateAndTypedParametersThenFollowsItToTheEnd) {
  Write("params.json", R"({
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
    "contentVersion": "1.0.0.0",
    "parameters": { "vnetName": { "value": "FromFile" }, "count": { "value": 2 } }
  })");
  const std::string path = DeploymentUrlPath("azuredeploy");
  h.transport.On("PUT " + path, 201, DeploymentDoc("azuredeploy", "Accepted"), {{"Retry-After", "1"}});
  h.transport.On("GET " + path, 200, DeploymentDoc("azuredeploy", "Running"));
  h.transport.On("GET " + path, 200,
                 DeploymentDoc("azuredeploy", "Succeeded",
                               {{"outputs", {{"x", {{"type", "String"}, {"value", "y"}}}}}}));
  h.transport.On("GET " + path + "/operations", 200,
                 {{"value", Json::array({Op("Microsoft.Network/virtualNetworks", "VNet1", "Running")})}});
  h.transport.On("GET " + path + "/operations", 200,
                 {{"value", Json::array({Op("Microsoft.Network/virtualNetworks", "VNet1", "Succeeded")})}});

  int rc = h.Run({"deployment", "group", "create", "-g", "RG1", "--template-file", File("azuredeploy.json"),
                  "--parameters", "@" + File("params.json"), "VNETNAME=Inline", "deployVms=false",
                  "prefixes=[\"10.1.0.0/16\"]", "--parameters", "sharedKey=s3cret-value", "count=3"});
  ASSERT_EQ(rc, 0) << h.err.str();
  Json body = SentBody("PUT " + path);
  EXPECT_EQ(body["properties"]["mode"], "Incremental");
  EXPECT_EQ(body["properties"]["template"]["parameters"]["count"]["type"], "int") << "the template, inline";
  // Later values win; names take the template's spelling; types follow the template's declarations.
  EXPECT_EQ(body["properties"]["parameters"],
            Json::parse(R"({"vnetName":{"value":"Inline"},"count":{"value":3},
      "deployVms":{"value":false},"prefixes":{"value":["10.1.0.0/16"]},"sharedKey":{"value":"s3cret-value"}})"));
  EXPECT_EQ(h.OutJson()["properties"]["outputs"]["x"]["value"], "y");
  EXPECT_EQ(h.OutJson()["resourceGroup"], "RG1");
  // Progress on stderr: the resource's state each time it changes, not on every poll.
  EXPECT_NE(h.err.str().find("Running    Microsoft.Network/virtualNetworks/VNet1"), std::string::npos)
      << h.err.str();
  EXPECT_NE(h.err.str().find("Succeeded  Microsoft.Network/virtualNetworks/VNet1"), std::string::npos)
      << h.err.str();
  EXPECT_EQ(h.err.str().find("s3cret"), std::string::npos);
}

TEST_F(DeploymentCli, CreateWithNoWaitReturnsAfterThePut) {
  const std::string path = DeploymentUrlPath("mine");
  h.transport.On("PUT " + path, 201, DeploymentDoc("mine", "Accepted"));
  ASSERT_EQ(h.Run({"deployment", "group", "create", "-g", "RG1", "-n", "mine", "-f", File("azuredeploy.json"),
                   "-p", "vnetName=V", "sharedKey=k", "--mode", "complete", "--no-wait"}),
            0)
      << h.err.str();
  EXPECT_EQ(SentBody("PUT " + path)["properties"]["mode"], "Complete") << "choices are case-insensitive";
  EXPECT_TRUE(h.transport.Sent("GET " + path).empty());
  EXPECT_EQ(h.out.str(), "");
}

TEST_F(DeploymentCli, AFailedDeploymentIsAnErrorNamingEachFailedResource) {
  const std::string path = DeploymentUrlPath("azuredeploy");
  h.transport.On("PUT " + path, 201, DeploymentDoc("azuredeploy", "Accepted"));
  h.transport.On(
      "GET " + path, 200,
      DeploymentDoc("azuredeploy", "Failed",
                    {{"error",
                      {{"code", "DeploymentFailed"},
                       {"message", "At least one resource deployment operation failed."},
                       {"details", Json::array({{{"code", "PublicIpNotFound"},
                                                 {"message", "The public IP 'gwip' does not exist."},
                                                 {"target", "resources[2]"}}})}}}}));
  h.transport.On("GET " + path + "/operations", 200, {{"value", Json::array()}});
  EXPECT_EQ(h.Run({"deployment", "group", "create", "-g", "RG1", "-f", File("azuredeploy.json"), "-p",
                   "vnetName=V", "sharedKey=k"}),
            1);
  EXPECT_NE(h.err.str().find("DeploymentFailed"), std::string::npos) << h.err.str();
  EXPECT_NE(h.err.str().find("PublicIpNotFound: The public IP 'gwip' does not exist. (target resources[2])"),
            std::string::npos)
      << h.err.str();
}

TEST_F(DeploymentCli, BadParametersAreRefusedBeforeAnythingIsSent) {
  Write("vault.json",
        R"({"parameters":{"sharedKey":{"reference":{"keyVault":{"id":"x"},"secretName":"s"}}}})");
  Write("bare.json", R"({"vnetName":"no value wrapper"})");
  Write("broken.json", R"({"$schema": "x", "parameters": {)");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"-p", "nosuch=1"}, "the template has no parameter 'nosuch'"},
      {{"-p", "count=three"}, "'count' is of type int and its value is not valid JSON"},
      {{"-p", "justaword"}, "Unable to parse parameter: justaword"},
      {{"-p", "@" + File("vault.json")}, "Key Vault reference"},
      {{"-p", "@" + File("bare.json")}, "parameter 'vnetName' must be an object with a 'value'"},
      {{"-p", "@" + File("broken.json")}, "does not hold a JSON object"},
      {{"-p", "@" + File("missing.json")}, "no such file"},
  };
  for (const auto& [extra, message] : cases) {
    std::vector<std::string> args = {
        "deployment", "group", "create", "-g", "RG1", "-f", File("azuredeploy.json")};
    args.insert(args.end(), extra.begin(), extra.end());
    EXPECT_EQ(h.Run(args), 2) << extra.back();
    EXPECT_NE(h.err.str().find(message), std::string::npos) << h.err.str();
  }
  Write("bad-template.json", R"({"resources": [ }")");
  EXPECT_EQ(h.Run({"deployment", "group", "validate", "-g", "RG1", "-f", File("bad-template.json")}), 2);
  EXPECT_NE(h.err.str().find("is not valid JSON"), std::string::npos) << h.err.str();
  EXPECT_EQ(h.Run({"deployment", "group", "create", "-g", "RG1"}), 2);
  EXPECT_NE(h.err.str().find("--template-file/-f"), std::string::npos) << h.err.str();
  EXPECT_EQ(Writes(), 0u);
}

TEST_F(DeploymentCli, WhatIfPrintsSymbolsDeltasAndCountsAndNeverASecret) {
  const std::string vnet = GroupUrlPath("RG1") + "/providers/Microsoft.Network/virtualNetworks/VNet1";
  Json result = {
      {"status", "Succeeded"},
      {"properties",
       {{"changes",
         Json::array(
             {{{"resourceId", vnet},
               {"changeType", "Modify"},
               {"delta", Json::array({{{"path", "properties.addressSpace.addressPrefixes"},
                                       {"propertyChangeType", "Modify"},
                                       {"before", {"10.1.0.0/16"}},
                                       {"after", {"10.1.0.0/16", "10.2.0.0/16"}}}})}},
              {{"resourceId", GroupUrlPath("RG1") + "/providers/Microsoft.Network/connections/C1"},
               {"changeType", "Modify"},
               {"delta",
                Json::array({{{"path", "properties.sharedKey"}, {"propertyChangeType", "Modify"}}})}},
              {{"resourceId", GroupUrlPath("RG1") + "/providers/Microsoft.Network/publicIPAddresses/ip"},
               {"changeType", "Create"}},
              {{"resourceId", GroupUrlPath("RG1") + "/providers/Microsoft.Network/publicIPAddresses/old"},
               {"changeType", "Ignore"}}})}}}};
  h.transport.On("POST " + DeploymentUrlPath("azuredeploy") + "/whatIf", 200, result);
  ASSERT_EQ(h.Run({"deployment", "group", "what-if", "-g", "RG1", "-f", File("azuredeploy.json"), "-p",
                   "vnetName=V", "sharedKey=the-secret"}),
            0)
      << h.err.str();
  const std::string out = h.out.str();
  EXPECT_NE(out.find("  ~ Microsoft.Network/virtualNetworks/VNet1\n"
                     "      ~ properties.addressSpace.addressPrefixes: [\"10.1.0.0/16\"] => "
                     "[\"10.1.0.0/16\",\"10.2.0.0/16\"]\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("~ properties.sharedKey: (a new secret value)"), std::string::npos) << out;
  EXPECT_NE(out.find("  + Microsoft.Network/publicIPAddresses/ip\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  * Microsoft.Network/publicIPAddresses/old\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Resource changes: 1 to create, 2 to modify, 1 to ignore."), std::string::npos) << out;
  EXPECT_EQ(out.find("the-secret"), std::string::npos);
  EXPECT_EQ(SentBody("POST " + DeploymentUrlPath("azuredeploy") +
                     "/whatIf")["properties"]["whatIfSettings"]["resultFormat"],
            "FullResourcePayloads");
  EXPECT_EQ(Writes(), 1u) << "what-if only asks";

  ASSERT_EQ(
      h.Run({"deployment", "group", "what-if", "-g", "RG1", "-f", File("azuredeploy.json"), "-p",
             "vnetName=V", "sharedKey=k", "--no-pretty-print", "--query", "properties.changes[].changeType"}),
      0);
  EXPECT_EQ(h.OutJson(), Json::parse(R"(["Modify","Modify","Create","Ignore"])"));
}

TEST_F(DeploymentCli, ShowListExportDeleteAndOperations) {
  const std::string path = DeploymentUrlPath("d1");
  h.transport.On("GET " + path, 200, DeploymentDoc("d1", "Succeeded"));
  h.transport.On("GET " + GroupUrlPath("RG1") + "/providers/Microsoft.Resources/deployments", 200,
                 {{"value", Json::array({DeploymentDoc("d1", "Succeeded"), DeploymentDoc("d2", "Failed")})}});
  h.transport.On("POST " + path + "/exportTemplate", 200,
                 {{"template", Json::parse(kTemplate, nullptr, true, true)}});
  h.transport.On("GET " + path + "/operations", 200,
                 {{"value", Json::array({Op("Microsoft.Network/virtualNetworks", "VNet1", "Succeeded"),
                                         Op("Microsoft.Network/connections", "C1", "Failed")})}});
  h.transport.On("DELETE " + path, 204);

  ASSERT_EQ(h.Run({"deployment", "group", "show", "-g", "RG1", "-n", "d1", "--query",
                   "properties.provisioningState", "-o", "tsv"}),
            0);
  EXPECT_EQ(h.out.str(), "Succeeded\n");
  ASSERT_EQ(h.Run({"deployment", "group", "list", "-g", "RG1", "-o", "table"}), 0);
  EXPECT_NE(h.out.str().find("Name  State      Timestamp             Mode         ResourceGroup"),
            std::string::npos)
      << h.out.str();
  EXPECT_NE(h.out.str().find("d2    Failed"), std::string::npos) << h.out.str();
  ASSERT_EQ(h.Run({"deployment", "group", "export", "-g", "RG1", "-n", "d1"}), 0);
  EXPECT_EQ(h.OutJson()["parameters"]["count"]["type"], "int") << "az prints the template itself";
  ASSERT_EQ(h.Run({"deployment", "operation", "group", "list", "-g", "RG1", "-n", "d1", "--query",
                   "[].properties.provisioningState"}),
            0);
  EXPECT_EQ(h.OutJson(), Json::parse(R"(["Succeeded","Failed"])"));
  ASSERT_EQ(h.Run({"deployment", "operation", "group", "list", "-g", "RG1", "-n", "d1", "-o", "table"}), 0);
  EXPECT_NE(h.out.str().find("C1        Microsoft.Network/connections"), std::string::npos) << h.out.str();
  ASSERT_EQ(h.Run({"deployment", "group", "delete", "-g", "RG1", "-n", "d1"}), 0) << h.err.str();
  EXPECT_EQ(h.transport.Sent("DELETE " + path).size(), 1u);
  EXPECT_EQ(h.Run({"deployment", "group", "show", "-g", "RG1"}), 2) << "show needs --name";
}

}  // namespace
}  // namespace isthmus::cli
