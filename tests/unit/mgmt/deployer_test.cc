// Deployments (template/deployer.cc) over a real ResourceService on an in-memory SqliteStore, the
// reconciler run by hand with no fabric: the shipped VNet-to-VNet example deploys wave by wave, its
// operations and outputs are ARM's, a redeploy changes nothing, a changed parameter changes only what
// uses it, a failure stops only its dependents, bad templates change nothing, Complete mode deletes
// what the template does not hold, and a running deployment resumes from the store.
#include "mgmt/template/deployer.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mgmt/reconcile/host_realizer.h"
#include "mgmt/reconcile/reconciler.h"
#include "mgmt/store/sqlite_store.h"

namespace isthmus::mgmt::tmpl {
namespace {

Json Load(const std::string& relative) {
  std::ifstream in(std::string(ISTHMUS_SOURCE_DIR) + "/" + relative);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str(), nullptr, false);
}

class DeployerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = ::testing::TempDir() + "/deployer_" + std::to_string(::getpid()) + "_" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    std::remove(db_.c_str());
    Open();
    Json group = {{"location", "eastus"}};
    ASSERT_TRUE(svc_->Put(ResourceId::Group(sub_, "rg"), group, {}));
  }
  void TearDown() override { std::remove(db_.c_str()); }

  void Open() {
    deployments_.reset();
    svc_.reset();
    auto store = SqliteStore::Open(db_);
    ASSERT_TRUE(store) << store.error().message;
    svc_ = std::make_unique<ResourceService>(std::move(*store),
                                             ServiceOptions{*net::Prefix::Parse("198.18.0.0/15")}, rng_);
    ASSERT_TRUE(svc_->Open());
    sub_ = svc_->DefaultSubscription();
    deployments_ = std::make_unique<Deployments>(*svc_);
    ASSERT_TRUE(deployments_->Load());
  }

  // Runs deployments and the reconciler until nothing moves; the deployment's final document.
  Json Settle(const std::string& name = "dep") {
    ReconcilerOptions opts;
    opts.render.underlay_pool = *net::Prefix::Parse("198.18.0.0/15");
    Reconciler reconciler(*svc_, realizer_, opts);
    for (int i = 0; i < 50; ++i) {
      const bool moved = deployments_->RunOnce();
      const bool realized = reconciler.RunOnce().progressed > 0;
      if (!moved && !realized && !deployments_->AnyRunning()) break;
    }
    auto d = deployments_->Get(Key(name));
    EXPECT_TRUE(d) << d.error().message;
    return d ? *d : Json();
  }

  DeploymentKey Key(const std::string& name = "dep") const { return {sub_, "rg", name}; }

  static Json Request(const Json& tmpl, const Json& params, const std::string& mode = "Incremental") {
    return {{"properties", {{"template", tmpl}, {"parameters", params}, {"mode", mode}}}};
  }

  Json Example(bool vms = false) const {
    Json params = Load("examples/vnet-to-vnet/azuredeploy.parameters.json")["parameters"];
    params["deployVms"] = {{"value", vms}};
    return Request(Load("examples/vnet-to-vnet/azuredeploy.json"), params);
  }

  Result<Json> Resource(const std::string& type, const std::string& name) const {
    auto id = ResourceId::Parse(
        fmt::format("/subscriptions/{}/resourceGroups/rg/providers/{}/{}", sub_, type, name));
    if (!id) return Fail(id.error());
    return svc_->Get(*id);
  }

  std::map<std::string, std::string> OpStates(const std::string& name = "dep") const {
    std::map<std::string, std::string> out;
    auto ops = deployments_->Operations(Key(name));
    EXPECT_TRUE(ops);
    for (const auto& o : (*ops)["value"]) {
      out[o["properties"]["targetResource"]["resourceName"]] = o["properties"]["provisioningState"];
    }
    return out;
  }

  std::string db_;
  SeededRng rng_{7};
  std::unique_ptr<ResourceService> svc_;
  std::unique_ptr<Deployments> deployments_;
  NoFabric realizer_;
  std::string sub_;
};

TEST_F(DeployerTest, TheVnetToVnetExampleDeploysWithOperationsAndOutputs) {
  auto put = deployments_->Put(Key(), Example());
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_TRUE(put->created);
  EXPECT_EQ(put->body["properties"]["provisioningState"], "Running");
  EXPECT_EQ(put->body["type"], "Microsoft.Resources/deployments");
  EXPECT_EQ(put->body.dump().find("ExampleKey"), std::string::npos) << "a secure parameter is never shown";

  Json done = Settle();
  ASSERT_EQ(done["properties"]["provisioningState"], "Succeeded") << done.dump(2);
  EXPECT_TRUE(done["properties"]["duration"].get<std::string>().starts_with("PT"));
  EXPECT_EQ(done["properties"]["outputResources"].size(), 8u);
  const std::string addr1 = done["properties"]["outputs"]["gateway1Address"]["value"];
  EXPECT_TRUE(addr1.starts_with("198.18.") || addr1.starts_with("198.19.")) << addr1;
  EXPECT_EQ(done["properties"]["outputs"]["gateway1Address"]["type"], "String");

  auto conn = Resource("Microsoft.Network/connections", "VNet1ToVNet4");
  ASSERT_TRUE(conn) << conn.error().message;
  EXPECT_EQ((*conn)["properties"]["provisioningState"], "Succeeded");
  auto key = svc_->GetSharedKey(*ResourceId::Parse((*conn)["id"].get<std::string>()));
  ASSERT_TRUE(key);
  EXPECT_EQ(*key, "ExampleKey-ChangeMe-1234");
  auto gw = Resource("Microsoft.Network/virtualNetworkGateways", "VNet4GW");
  ASSERT_TRUE(gw);
  EXPECT_EQ((*gw)["location"], "westus");

  auto states = OpStates();
  EXPECT_EQ(states.size(), 8u);
  for (const auto& [name, state] : states) EXPECT_EQ(state, "Succeeded") << name;
  auto list = deployments_->List(sub_, "rg");
  ASSERT_TRUE(list);
  EXPECT_EQ((*list)["value"].size(), 1u);
  auto exported = deployments_->ExportTemplate(Key());
  ASSERT_TRUE(exported);
  EXPECT_EQ((*exported)["template"], Load("examples/vnet-to-vnet/azuredeploy.json"));
}

TEST_F(DeployerTest, RedeployingChangesNothingAndOneParameterChangesOnlyItsUsers) {
  ASSERT_TRUE(deployments_->Put(Key(), Example()));
  ASSERT_EQ(Settle()["properties"]["provisioningState"], "Succeeded");
  const std::string gw_etag = (*Resource("Microsoft.Network/virtualNetworkGateways", "VNet1GW"))["etag"];
  const std::string conn_etag = (*Resource("Microsoft.Network/connections", "VNet1ToVNet4"))["etag"];

  auto what = deployments_->WhatIf(Key("again"), Example());
  ASSERT_TRUE(what) << what.error().message;
  for (const auto& c : (*what)["properties"]["changes"]) {
    EXPECT_EQ(c["changeType"], "NoChange") << c.dump();
  }
  ASSERT_TRUE(deployments_->Put(Key("again"), Example()));
  ASSERT_EQ(Settle("again")["properties"]["provisioningState"], "Succeeded");
  EXPECT_EQ((*Resource("Microsoft.Network/virtualNetworkGateways", "VNet1GW"))["etag"], gw_etag)
      << "an unchanged gateway is not PUT again (its tunnel keeps its SAs)";
  EXPECT_EQ((*Resource("Microsoft.Network/connections", "VNet1ToVNet4"))["etag"], conn_etag);

  // A new shared key changes the two connections and nothing else.
  Json changed = Example();
  changed["properties"]["parameters"]["sharedKey"] = {{"value", "AnotherKey-5678"}};
  auto diff = deployments_->WhatIf(Key("third"), changed);
  ASSERT_TRUE(diff);
  std::set<std::string> modified;
  for (const auto& c : (*diff)["properties"]["changes"]) {
    if (c["changeType"] != "NoChange")
      modified.insert(
          c["resourceId"].get<std::string>().substr(c["resourceId"].get<std::string>().rfind('/') + 1));
  }
  EXPECT_EQ(modified, (std::set<std::string>{"VNet1ToVNet4", "VNet4ToVNet1"}));
  for (const auto& c : (*diff)["properties"]["changes"]) {
    if (c["changeType"] != "Modify") continue;
    ASSERT_EQ(c["delta"].size(), 1u) << c["delta"].dump() << ": only the key differs";
    EXPECT_EQ(c["delta"][0]["path"], "properties.sharedKey");
    EXPECT_EQ(c["delta"][0]["propertyChangeType"], "Modify");
    EXPECT_FALSE(c["delta"][0].contains("after")) << "a secret's new value is not shown";
  }
  EXPECT_EQ(diff->dump().find("AnotherKey"), std::string::npos) << "what-if never shows the key";
  ASSERT_TRUE(deployments_->Put(Key("third"), changed));
  ASSERT_EQ(Settle("third")["properties"]["provisioningState"], "Succeeded");
  EXPECT_EQ((*Resource("Microsoft.Network/virtualNetworkGateways", "VNet1GW"))["etag"], gw_etag);
  EXPECT_NE((*Resource("Microsoft.Network/connections", "VNet1ToVNet4"))["etag"], conn_etag);
  EXPECT_EQ(*svc_->GetSharedKey(*ResourceId::Parse(
                (*Resource("Microsoft.Network/connections", "VNet4ToVNet1"))["id"].get<std::string>())),
            "AnotherKey-5678");
}

TEST_F(DeployerTest, AFailureStopsOnlyItsDependents) {
  // VNet "b" overlaps nothing but its gateway names a public IP that is never made: the gateway fails,
  // its connection is never started, the independent VNet "c" still deploys.
  Json tmpl = {
      {"$schema", "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"},
      {"contentVersion", "1.0.0.0"},
      {"resources",
       {{{"type", "Microsoft.Network/virtualNetworks"},
         {"apiVersion", "2023-09-01"},
         {"name", "b"},
         {"location", "eastus"},
         {"properties",
          {{"addressSpace", {{"addressPrefixes", {"10.5.0.0/16"}}}},
           {"subnets",
            {{{"name", "GatewaySubnet"}, {"properties", {{"addressPrefix", "10.5.255.0/27"}}}}}}}}},
        {{"type", "Microsoft.Network/virtualNetworkGateways"},
         {"apiVersion", "2023-09-01"},
         {"name", "bgw"},
         {"location", "eastus"},
         {"dependsOn", {"b"}},
         {"properties",
          {{"gatewayType", "Vpn"},
           {"vpnType", "RouteBased"},
           {"sku", {{"name", "VpnGw1"}}},
           {"ipConfigurations",
            {{{"name", "c"},
              {"properties",
               {{"subnet",
                 {{"id", "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'b', 'GatewaySubnet')]"}}},
                {"publicIPAddress",
                 {{"id", "[resourceId('Microsoft.Network/publicIPAddresses', 'missing')]"}}}}}}}}}}},
        {{"type", "Microsoft.Network/localNetworkGateways"},
         {"apiVersion", "2023-09-01"},
         {"name", "site"},
         {"location", "eastus"},
         {"properties",
          {{"gatewayIpAddress", "198.19.255.1"},
           {"localNetworkAddressSpace", {{"addressPrefixes", {"10.200.0.0/24"}}}}}}},
        {{"type", "Microsoft.Network/connections"},
         {"apiVersion", "2023-09-01"},
         {"name", "bToSite"},
         {"location", "eastus"},
         {"dependsOn", {"bgw", "site"}},
         {"properties",
          {{"connectionType", "IPsec"},
           {"sharedKey", "abcdefgh"},
           {"virtualNetworkGateway1",
            {{"id", "[resourceId('Microsoft.Network/virtualNetworkGateways', 'bgw')]"}}},
           {"localNetworkGateway2",
            {{"id", "[resourceId('Microsoft.Network/localNetworkGateways', 'site')]"}}}}}},
        {{"type", "Microsoft.Network/virtualNetworks"},
         {"apiVersion", "2023-09-01"},
         {"name", "c"},
         {"location", "eastus"},
         {"dependsOn", {"site"}},
         {"properties", {{"addressSpace", {{"addressPrefixes", {"10.6.0.0/16"}}}}}}}}}};
  ASSERT_TRUE(deployments_->Put(Key(), Request(tmpl, Json::object())));
  Json done = Settle();
  EXPECT_EQ(done["properties"]["provisioningState"], "Failed");
  EXPECT_EQ(done["properties"]["error"]["code"], "DeploymentFailed");
  ASSERT_EQ(done["properties"]["error"]["details"].size(), 1u) << done.dump(2);
  auto states = OpStates();
  EXPECT_EQ(states["bgw"], "Failed");
  EXPECT_FALSE(states.contains("bToSite")) << "a dependent of a failure is not started";
  EXPECT_EQ(states["c"], "Succeeded");
  EXPECT_TRUE(Resource("Microsoft.Network/virtualNetworks", "c"));
  EXPECT_FALSE(Resource("Microsoft.Network/connections", "bToSite"));
}

TEST_F(DeployerTest, BadRequestsChangeNothing) {
  Json tmpl = Load("examples/vnet-to-vnet/azuredeploy.json");
  struct Bad {
    Json request;
    std::string code;
  };
  for (const Bad& b : std::vector<Bad>{
           {Request(tmpl, Json::object()), "InvalidTemplate"},  // sharedKey is required
           {Request(tmpl, {{"sharedKey", {{"value", "short"}}}}), "InvalidTemplate"},
           {Request(tmpl, {{"sharedKey", {{"value", "long-enough-1"}}}}, "Sideways"),
            "InvalidDeploymentMode"},
           {Json{{"properties", {{"templateLink", {{"uri", "https://example.com/t.json"}}}}}},
            "InvalidTemplateDeployment"},
           {Json::array(), "InvalidRequestContent"},
       }) {
    auto r = deployments_->Put(Key(), b.request);
    ASSERT_FALSE(r) << b.request.dump().substr(0, 200);
    EXPECT_EQ(r.error().code, b.code) << r.error().message;
    EXPECT_FALSE(deployments_->Validate(Key(), b.request));
  }
  EXPECT_FALSE(deployments_->Get(Key()));
  EXPECT_FALSE(Resource("Microsoft.Network/virtualNetworks", "VNet1"));
  auto missing_group = deployments_->Put({sub_, "nope", "dep"}, Example());
  ASSERT_FALSE(missing_group);
  EXPECT_EQ(missing_group.error().code, "ResourceGroupNotFound");
  auto ok = deployments_->Validate(Key(), Example());
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ((*ok)["properties"]["validatedResources"].size(), 8u);
  EXPECT_FALSE(Resource("Microsoft.Network/virtualNetworks", "VNet1")) << "validate creates nothing";
}

TEST_F(DeployerTest, CompleteModeDeletesWhatTheTemplateDoesNotHold) {
  Json extra = {{"location", "eastus"},
                {"properties", {{"addressSpace", {{"addressPrefixes", {"10.99.0.0/16"}}}}}}};
  ASSERT_TRUE(svc_->Put(
      *ResourceId::Parse(fmt::format(
          "/subscriptions/{}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/stray", sub_)),
      extra, {}));
  Json req = Example();
  auto incremental = deployments_->WhatIf(Key(), req);
  ASSERT_TRUE(incremental);
  bool ignored = false;
  for (const auto& c : (*incremental)["properties"]["changes"]) ignored |= c["changeType"] == "Ignore";
  EXPECT_TRUE(ignored);
  req["properties"]["mode"] = "Complete";
  auto complete = deployments_->WhatIf(Key(), req);
  ASSERT_TRUE(complete);
  bool deleted = false;
  for (const auto& c : (*complete)["properties"]["changes"]) deleted |= c["changeType"] == "Delete";
  EXPECT_TRUE(deleted);
  EXPECT_TRUE(Resource("Microsoft.Network/virtualNetworks", "stray")) << "what-if changes nothing";
  ASSERT_TRUE(deployments_->Put(Key(), req));
  EXPECT_EQ(Settle()["properties"]["provisioningState"], "Succeeded");
  EXPECT_FALSE(Resource("Microsoft.Network/virtualNetworks", "stray"));
  EXPECT_TRUE(Resource("Microsoft.Network/virtualNetworks", "VNet1"));
}

TEST_F(DeployerTest, ARunningDeploymentResumesAfterARestart) {
  ASSERT_TRUE(deployments_->Put(Key(), Example()));
  ASSERT_TRUE(deployments_->RunOnce());  // wave 0 started
  EXPECT_EQ(deployments_->Get(Key())->at("properties")["provisioningState"], "Running");
  auto duplicate = deployments_->Put(Key(), Example());
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, "DeploymentActive");
  Open();  // isthmusd restarts: the store is all that is left
  auto again = deployments_->Get(Key());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)["properties"]["provisioningState"], "Running");
  Json resumed = Settle();
  EXPECT_EQ(resumed["properties"]["provisioningState"], "Succeeded") << resumed.dump(2);
  EXPECT_TRUE(Resource("Microsoft.Network/connections", "VNet4ToVNet1"));
  ASSERT_TRUE(deployments_->Delete(Key()));
  EXPECT_FALSE(deployments_->Get(Key()));
  EXPECT_TRUE(Resource("Microsoft.Network/connections", "VNet4ToVNet1"))
      << "deleting a deployment keeps its resources";
}

}  // namespace
}  // namespace isthmus::mgmt::tmpl
