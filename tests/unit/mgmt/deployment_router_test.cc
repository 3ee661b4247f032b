// Microsoft.Resources/deployments through the router (rest/deployment_routes.cc): ARM's statuses and
// headers for PUT/GET/list/DELETE, validate, whatIf, exportTemplate, operations and operationStatuses.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mgmt/reconcile/host_realizer.h"
#include "mgmt/reconcile/reconciler.h"
#include "mgmt/rest/router.h"
#include "mgmt/store/sqlite_store.h"
#include "mgmt/template/deployer.h"

namespace isthmus::mgmt {
namespace {

constexpr const char* kToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

class DeploymentRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteStore::Open(":memory:");
    ASSERT_TRUE(store);
    svc_ = std::make_unique<ResourceService>(std::move(*store),
                                             ServiceOptions{*net::Prefix::Parse("198.18.0.0/15")}, rng_);
    ASSERT_TRUE(svc_->Open());
    sub_ = svc_->DefaultSubscription();
    deployments_ = std::make_unique<tmpl::Deployments>(*svc_);
    RouterOptions o;
    o.deployments = deployments_.get();
    router_ = std::make_unique<Router>(*svc_, kToken, nullptr, nullptr, o);
    ASSERT_EQ(Call("PUT", Rg(), R"({"location":"eastus"})").status, 201);
  }

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& body = "",
                    const char* api = "2021-04-01") {
    HttpRequest req;
    req.method = method;
    req.path = path;
    req.query["api-version"] = api;
    req.headers = {{"authorization", fmt::format("Bearer {}", kToken)}, {"host", "127.0.0.1:7480"}};
    req.body = body;
    return router_->Handle(req);
  }
  std::string Rg() const { return "/subscriptions/" + sub_ + "/resourcegroups/rg"; }
  std::string Dep(const std::string& rest = "") const {
    return Rg() + "/providers/Microsoft.Resources/deployments/d1" + rest;
  }
  static Json J(const HttpResponse& r) { return Json::parse(r.body, nullptr, false); }
  static std::string Request(const std::string& prefix) {
    Json t = {
        {"$schema", "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"},
        {"contentVersion", "1.0.0.0"},
        {"parameters",
         {{"prefix", {{"type", "string"}}},
          {"key", {{"type", "securestring"}, {"defaultValue", "Hidden-Key-1"}}}}},
        {"resources",
         {{{"type", "Microsoft.Network/virtualNetworks"},
           {"apiVersion", "2023-09-01"},
           {"name", "v1"},
           {"location", "[resourceGroup().location]"},
           {"properties", {{"addressSpace", {{"addressPrefixes", {"[parameters('prefix')]"}}}}}}}}},
        {"outputs",
         {{"space", {{"type", "array"}, {"value", "[reference('v1').addressSpace.addressPrefixes]"}}}}}};
    return Json{
        {"properties",
         {{"template", t}, {"parameters", {{"prefix", {{"value", prefix}}}}}, {"mode", "Incremental"}}}}
        .dump();
  }
  void Run() {
    ReconcilerOptions opts;
    opts.render.underlay_pool = *net::Prefix::Parse("198.18.0.0/15");
    Reconciler reconciler(*svc_, realizer_, opts);
    for (int i = 0; i < 20 && (deployments_->RunOnce() || reconciler.RunOnce().progressed > 0); ++i) {
    }
  }

  SeededRng rng_{3};
  std::unique_ptr<ResourceService> svc_;
  std::unique_ptr<tmpl::Deployments> deployments_;
  std::unique_ptr<Router> router_;
  NoFabric realizer_;
  std::string sub_;
};

TEST_F(DeploymentRouterTest, PutPollsAndReadsAsArmDoes) {
  auto put = Call("PUT", Dep(), Request("10.7.0.0/16"));
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_EQ(J(put)["properties"]["provisioningState"], "Running");
  EXPECT_EQ(put.body.find("Hidden-Key-1"), std::string::npos);
  const std::string async = put.headers["Azure-AsyncOperation"];
  ASSERT_TRUE(async.starts_with("https://127.0.0.1:7480/subscriptions/" + sub_)) << async;
  ASSERT_NE(async.find("/deployments/d1/operationStatuses/"), std::string::npos) << async;
  EXPECT_EQ(put.headers["Retry-After"], "1");
  const std::string status_path =
      async.substr(std::string("https://127.0.0.1:7480").size(),
                   async.find('?') - std::string("https://127.0.0.1:7480").size());
  EXPECT_EQ(J(Call("GET", status_path))["status"], "Running");
  EXPECT_EQ(Call("PUT", Dep(), Request("10.7.0.0/16")).status, 409) << "one run at a time";
  Run();
  EXPECT_EQ(J(Call("GET", status_path))["status"], "Succeeded");
  Json got = J(Call("GET", Dep()));
  EXPECT_EQ(got["properties"]["provisioningState"], "Succeeded");
  EXPECT_EQ(got["properties"]["outputs"]["space"]["value"], Json::array({"10.7.0.0/16"}));
  EXPECT_EQ(got["properties"]["parameters"]["key"], Json({{"type", "SecureString"}}));
  Json list = J(Call("GET", Rg() + "/providers/Microsoft.Resources/deployments"));
  ASSERT_EQ(list["value"].size(), 1u);
  EXPECT_EQ(J(Call("GET", Rg() + "/deployments/d1/operations")), J(Call("GET", Dep("/operations"))))
      << "ARM's older path without the provider, as az's `deployment operation group list` asks";
  Json ops = J(Call("GET", Dep("/operations")));
  ASSERT_EQ(ops["value"].size(), 1u);
  EXPECT_EQ(ops["value"][0]["properties"]["targetResource"]["resourceName"], "v1");
  EXPECT_EQ(ops["value"][0]["properties"]["statusCode"], "Created");
  EXPECT_EQ(J(Call("POST", Dep("/exportTemplate")))["template"]["contentVersion"], "1.0.0.0");
  EXPECT_EQ(Call("HEAD", Dep()).status, 204);
  EXPECT_EQ(Call("DELETE", Dep()).status, 204);
  EXPECT_EQ(Call("GET", Dep()).status, 404);
  EXPECT_EQ(Call("DELETE", Dep()).status, 204);
  EXPECT_EQ(Call("GET", Rg() + "/providers/Microsoft.Network/virtualNetworks/v1", "", "2023-09-01").status,
            200)
      << "deleting the deployment keeps what it made";
}

TEST_F(DeploymentRouterTest, ValidateAndWhatIfChangeNothing) {
  auto ok = Call("POST", Dep("/validate"), Request("10.7.0.0/16"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(J(ok)["properties"]["validatedResources"].size(), 1u);
  auto bad = Call("POST", Dep("/validate"), Request("10.7.0.0/16").replace(0, 1, "["));
  EXPECT_EQ(bad.status, 400);
  auto missing = Call("POST", Dep("/validate"),
                      R"({"properties":{"template":{"resources":[]},"parameters":{"nope":{"value":1}}}})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(J(missing)["error"]["code"], "InvalidTemplate");
  auto what = Call("POST", Dep("/whatIf"), Request("10.7.0.0/16"));
  ASSERT_EQ(what.status, 200) << what.body;
  EXPECT_EQ(J(what)["properties"]["changes"][0]["changeType"], "Create");
  EXPECT_EQ(Call("GET", Rg() + "/providers/Microsoft.Network/virtualNetworks/v1", "", "2023-09-01").status,
            404);
  EXPECT_EQ(Call("GET", Dep()).status, 404);
  EXPECT_EQ(Call("POST", Dep("/nosuch"), "{}").status, 404);
  EXPECT_EQ(Call("GET", Dep(), "", "2099-01-01").status, 400) << "the Microsoft.Resources versions apply";
}

TEST_F(DeploymentRouterTest, BodiesAsAzSendsThem) {
  // az 2.45 splices the template file in as `template:{…}` (an unquoted name); ARM's parser takes it, and
  // comments, as Json.NET does. Strings that look like names or comments stay as they are.
  std::string body = Request("10.8.0.0/16");
  const std::string quoted = "\"template\":";
  body.replace(body.find(quoted), quoted.size(), "template : /* the file */ ");
  body.insert(body.find("\"mode\""), "// az adds no comments, but templates may hold them\n");
  auto r = Call("POST", Dep("/validate"), body);
  ASSERT_EQ(r.status, 200) << r.body << "\n" << body.substr(0, 300);
  auto tricky = Call(
      "POST", Dep("/validate"),
      R"({properties: {mode: "Incremental", template: {"resources": [], "outputs": {"o": {"type": "string", "value": "a, b: // c"}}}}})");
  EXPECT_EQ(tricky.status, 200) << tricky.body;
  EXPECT_EQ(Call("POST", Dep("/validate"), "{properties: {template: nope}}").status, 400);
}

}  // namespace
}  // namespace isthmus::mgmt
