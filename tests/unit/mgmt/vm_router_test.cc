// The Microsoft.Compute routes and network interfaces through the Router: CRUD and lists, the instance
// view, runCommand against a fake VmAgent. The reconciler's part (Updating -> Succeeded, finishing a
// deletion) is played by hand through the service's reconciler seam, so these tests do not depend on the
// fabric.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/clock.h"
#include "mgmt/rest/router.h"
#include "mgmt/service/vm_agent.h"
#include "mgmt/store/sqlite_store.h"

namespace isthmus::mgmt {
namespace {

// A path's api-version family: network and compute resources keep the given one; groups and
// subscriptions take a resources version.
const char* ForPath(const std::string& path, const char* resource_api) {
  if (path.find("/providers/") != std::string::npos) return resource_api;
  return "2022-09-01";
}

constexpr const char* kToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr const char* kNetApi = "2023-09-01";
constexpr const char* kComputeApi = "2024-07-01";

class FakeVmAgent final : public VmAgent {
 public:
  struct Call {
    std::string vm;
    std::vector<std::string> script;
    Duration timeout;
  };
  Result<RunCommandOutput> RunShellScript(const Resource& vm, const std::vector<std::string>& script,
                                          Duration timeout) override {
    calls.push_back({vm.id.ToString(), script, timeout});
    if (error) return Fail(*error);
    return output;
  }
  std::vector<Call> calls;
  RunCommandOutput output{0, "hi\n", "", false};
  std::optional<Error> error;
};

class VmRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteStore::Open(":memory:");
    ASSERT_TRUE(store) << store.error().message;
    svc_ = std::make_unique<ResourceService>(std::move(*store),
                                             ServiceOptions{*net::Prefix::Parse("198.18.0.0/15")}, rng_);
    ASSERT_TRUE(svc_->Open());
    sub_ = svc_->DefaultSubscription();
    router_ = std::make_unique<Router>(*svc_, kToken, &agent_);
    bare_ = std::make_unique<Router>(*svc_, kToken);
  }

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& body = "",
                    const char* api = kComputeApi, const Router* router = nullptr,
                    std::map<std::string, std::string> query = {}) {
    HttpRequest req;
    req.method = method;
    req.path = path;
    req.query = std::move(query);
    // The default picks the family's version by path, as clients do (rest/api_versions.cc).
    if (api == kComputeApi) api = ForPath(path, api);
    if (api) req.query["api-version"] = api;
    req.headers = {{"authorization", fmt::format("Bearer {}", kToken)}, {"host", "isthmus.test:7480"}};
    req.body = body;
    return (router ? *router : *router_).Handle(req);
  }
  HttpResponse Put(const std::string& path, const Json& body, const char* api = kComputeApi) {
    return Call("PUT", path, body.dump(), api);
  }
  static Json J(const HttpResponse& r) { return Json::parse(r.body, nullptr, false); }
  static std::string Code(const HttpResponse& r) {
    Json j = J(r);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
  }

  std::string Sub() const { return "/subscriptions/" + sub_; }
  std::string Rg() const { return Sub() + "/resourceGroups/rg"; }
  std::string Net(const std::string& type, const std::string& name) const {
    return fmt::format("{}/providers/Microsoft.Network/{}/{}", Rg(), type, name);
  }
  std::string Vm(const std::string& name = "vm1") const {
    return fmt::format("{}/providers/Microsoft.Compute/virtualMachines/{}", Rg(), name);
  }

  // rg with VNet1 (10.1.0.0/16, subnet default 10.1.0.0/24), NIC nic1 in it and VM vm1 on it (Updating).
  void Topology() {
    ASSERT_EQ(Put(Rg(), {{"location", "westus2"}}, "2022-09-01").status, 201);
    Json vnet = {
        {"location", "westus2"},
        {"properties",
         {{"addressSpace", {{"addressPrefixes", {"10.1.0.0/16"}}}},
          {"subnets", {{{"name", "default"}, {"properties", {{"addressPrefix", "10.1.0.0/24"}}}}}}}}};
    ASSERT_EQ(Put(Net("virtualNetworks", "VNet1"), vnet, kNetApi).status, 201);
    Json nic = {{"location", "westus2"},
                {"properties",
                 {{"ipConfigurations",
                   {{{"name", "ipconfigvm1"},
                     {"properties",
                      {{"privateIPAllocationMethod", "Dynamic"},
                       {"subnet", {{"id", Net("virtualNetworks", "VNet1") + "/subnets/default"}}}}}}}}}}};
    HttpResponse n = Put(Net("networkInterfaces", "vm1VMNic"), nic, kNetApi);
    ASSERT_EQ(n.status, 201) << n.body;
    HttpResponse v = Put(Vm(), VmBody());
    ASSERT_EQ(v.status, 201) << v.body;
  }
  Json VmBody() const {
    return {
        {"location", "westus2"},
        {"properties",
         {{"hardwareProfile", {{"vmSize", "Standard_B1s"}}},
          {"networkProfile", {{"networkInterfaces", {{{"id", Net("networkInterfaces", "vm1VMNic")}}}}}}}}};
  }
  // What the reconciler writes once the fabric has realized the VM.
  void Realize(const std::string& path) {
    Json doc = J(Call("GET", path));
    ASSERT_TRUE(svc_->MarkSucceeded(ToLower(doc["id"].get<std::string>()), doc["etag"]));
  }
  static std::string OperationPath(const HttpResponse& r) {
    const std::string url = r.headers.at("Azure-AsyncOperation");
    const auto start = url.find("/subscriptions/");
    return url.substr(start, url.find('?') - start);
  }

  SeededRng rng_{7};
  std::unique_ptr<ResourceService> svc_;
  FakeVmAgent agent_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<Router> bare_;  // no VmAgent
  std::string sub_;
};

TEST_F(VmRouterTest, NicAndVmRoutesAnswerAsArmDoes) {
  Topology();
  ASSERT_FALSE(HasFatalFailure());
  // The NIC is synchronous; the VM asynchronous, with its operation under Microsoft.Compute.
  Json nic = J(Call("GET", Net("networkInterfaces", "vm1VMNic"), "", kNetApi));
  EXPECT_EQ(nic["properties"]["provisioningState"], "Succeeded");
  EXPECT_EQ(nic["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"], "10.1.0.4");
  EXPECT_EQ(nic["properties"]["virtualMachine"]["id"], Vm());

  HttpResponse again = Put(Vm(), VmBody());
  EXPECT_EQ(again.status, 409) << "a VM being provisioned is busy";
  EXPECT_EQ(Code(again), "AnotherOperationInProgress");
  Json vm = J(Call("GET", Vm()));
  EXPECT_EQ(vm["type"], "Microsoft.Compute/virtualMachines");
  EXPECT_EQ(vm["properties"]["provisioningState"], "Updating");
  Realize(Vm());
  EXPECT_EQ(J(Call("GET", Vm()))["properties"]["provisioningState"], "Succeeded");

  HttpResponse update = Put(Vm(), VmBody());
  ASSERT_EQ(update.status, 200) << update.body;
  const std::string op = OperationPath(update);
  EXPECT_EQ(op.find(Sub() + "/providers/Microsoft.Compute/locations/westus2/operations/"), 0u) << op;
  EXPECT_NE(update.headers["Azure-AsyncOperation"].find("api-version=2024-07-01"), std::string::npos);
  EXPECT_EQ(J(Call("GET", op))["status"], "InProgress");
  Realize(Vm());
  EXPECT_EQ(J(Call("GET", op))["status"], "Succeeded");

  struct Route {
    std::string method, path;
    const char* api;
    int status;
  };
  const std::vector<Route> routes = {
      {"GET", Rg() + "/providers/Microsoft.Compute/virtualMachines", kComputeApi, 200},
      {"GET", Sub() + "/providers/Microsoft.Compute/virtualMachines", kComputeApi, 200},
      {"GET", Rg() + "/providers/Microsoft.Network/networkInterfaces", kNetApi, 200},
      {"GET", Sub() + "/providers/Microsoft.Network/networkInterfaces", kNetApi, 200},
      {"GET", "/SUBSCRIPTIONS/" + sub_ + "/resourcegroups/RG/providers/microsoft.compute/VIRTUALMACHINES/VM1",
       kComputeApi, 200},
      {"GET", Vm() + "/instanceView", kComputeApi, 200},
      {"GET", Vm("nope"), kComputeApi, 404},
      {"GET", Vm() + "/extensions", kComputeApi, 404},
      {"GET", Rg() + "/providers/Microsoft.Compute/disks/d", kComputeApi, 404},
      {"GET", Rg() + "/providers/Microsoft.Network/virtualMachines/vm1", kNetApi, 404},
      {"GET", Sub() + "/providers/Microsoft.Compute/disks", kComputeApi, 404},
      {"POST", Vm() + "/instanceView", kComputeApi, 405},
      {"GET", Vm() + "/runCommand", kComputeApi, 405},
      {"DELETE", Rg() + "/providers/Microsoft.Compute/virtualMachines", kComputeApi, 405},
  };
  for (const auto& r : routes) {
    EXPECT_EQ(Call(r.method, r.path, "", r.api).status, r.status) << r.method << " " << r.path;
  }
  Json list = J(Call("GET", Rg() + "/providers/Microsoft.Compute/virtualMachines"));
  ASSERT_EQ(list["value"].size(), 1u);
  EXPECT_EQ(list["value"][0]["name"], "vm1");
  for (const char* v : {"2022-08-01", "2022-11-01", "2023-03-01", "2023-07-01", "2023-09-01", "2024-03-01",
                        "2024-07-01", "2024-11-01"}) {
    EXPECT_EQ(Call("GET", Vm(), "", v).status, 200) << v;
  }
  EXPECT_EQ(Code(Call("GET", Vm(), "", "2015-06-15")), "InvalidApiVersionParameter");
}

TEST_F(VmRouterTest, InstanceViewFollowsProvisioning) {
  Topology();
  ASSERT_FALSE(HasFatalFailure());
  Json starting = J(Call("GET", Vm() + "/instanceView"));
  EXPECT_EQ(starting["statuses"][0]["code"], "ProvisioningState/updating");
  EXPECT_EQ(starting["statuses"][1]["code"], "PowerState/starting");
  EXPECT_EQ(starting["statuses"][1]["displayStatus"], "VM starting");
  EXPECT_EQ(starting["computerName"], "vm1");
  Realize(Vm());
  Json running = J(Call("GET", Vm() + "/instanceView"));
  EXPECT_EQ(
      running["statuses"],
      Json::parse(
          R"([{"code":"ProvisioningState/succeeded","level":"Info","displayStatus":"Provisioning succeeded"},
                            {"code":"PowerState/running","level":"Info","displayStatus":"VM running"}])"));
  // `az vm show -d` reads it through $expand.
  Json expanded = J(Call("GET", Vm(), "", kComputeApi, nullptr, {{"$expand", "instanceView"}}));
  EXPECT_EQ(expanded["properties"]["instanceView"]["statuses"][1]["displayStatus"], "VM running");
  EXPECT_FALSE(J(Call("GET", Vm()))["properties"].contains("instanceView")) << "only when asked for";
}

TEST_F(VmRouterTest, RunCommandRunsShellScriptsThroughTheAgent) {
  Topology();
  ASSERT_FALSE(HasFatalFailure());
  const std::string run = Vm() + "/runCommand";
  const std::string body = R"({"commandId":"RunShellScript","script":["echo hi","uname -n"]})";
  HttpResponse busy = Call("POST", run, body);
  EXPECT_EQ(busy.status, 409) << "not before the VM runs";
  EXPECT_EQ(Code(busy), "OperationNotAllowed");
  Realize(Vm());

  agent_.output = {0, "hi\nvm1\n", "warning: x\n", false};
  HttpResponse r = Call("POST", run, body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(J(r), Json::parse(R"({"value":[{"code":"ProvisioningState/succeeded","level":"Info",
      "displayStatus":"Provisioning succeeded",
      "message":"Enable succeeded: \n[stdout]\nhi\nvm1\n\n[stderr]\nwarning: x\n"}]})"));
  ASSERT_EQ(agent_.calls.size(), 1u);
  EXPECT_EQ(agent_.calls[0].vm, Vm());
  EXPECT_EQ(agent_.calls[0].script, (std::vector<std::string>{"echo hi", "uname -n"}));
  EXPECT_EQ(agent_.calls[0].timeout, std::chrono::seconds(90));

  // A non-zero exit still reports "Enable succeeded", as Azure's extension does; a timeout does not.
  agent_.output = {124, "partial\n", "", true};
  Json timed_out = J(Call("POST", run, body));
  EXPECT_EQ(timed_out["value"][0]["code"], "ProvisioningState/failed");
  EXPECT_NE(timed_out["value"][0]["message"].get<std::string>().find("[stdout]\npartial\n"),
            std::string::npos);

  // What is refused, and why.
  EXPECT_EQ(Code(Call("POST", run, R"({"commandId":"RunPowerShellScript","script":["dir"]})")),
            "InvalidParameter");
  EXPECT_EQ(Call("POST", run, R"({"commandId":"ipconfig"})").status, 400);
  EXPECT_EQ(Code(Call("POST", run, R"({"script":["ls"]})")), "InvalidParameter");
  EXPECT_EQ(Code(Call("POST", run, R"({"commandId":"RunShellScript","script":"ls"})")),
            "InvalidRequestFormat");
  Json big = {{"commandId", "RunShellScript"}, {"script", {std::string(Router::kMaxScriptBytes, 'x')}}};
  HttpResponse too_big = Call("POST", run, big.dump());
  EXPECT_EQ(too_big.status, 400);
  EXPECT_NE(too_big.body.find("65536"), std::string::npos) << too_big.body;
  EXPECT_EQ(Call("POST", Vm("nope") + "/runCommand", body).status, 404);
  EXPECT_EQ(agent_.calls.size(), 2u) << "refused requests never reach the agent";

  agent_.error = Error{ErrorKind::kUnavailable, "VmNotRealized", "the VM's namespace is not there yet", {}};
  HttpResponse failed = Call("POST", run, body);
  EXPECT_EQ(failed.status, 503);
  EXPECT_EQ(Code(failed), "VmNotRealized");

  // No agent: a clear refusal, not a retryable 503.
  HttpResponse none = Call("POST", run, body, kComputeApi, bare_.get());
  EXPECT_EQ(none.status, 409);
  EXPECT_EQ(Code(none), "RunCommandNotAvailable");
  EXPECT_NE(J(none)["error"]["message"].get<std::string>().find("not running commands here"),
            std::string::npos);
}

TEST_F(VmRouterTest, DeletingAVmLeavesItsNic) {
  Topology();
  ASSERT_FALSE(HasFatalFailure());
  Realize(Vm());
  HttpResponse nic_busy = Call("DELETE", Net("networkInterfaces", "vm1VMNic"), "", kNetApi);
  EXPECT_EQ(nic_busy.status, 409);
  EXPECT_EQ(Code(nic_busy), "NicInUse");
  HttpResponse vnet_busy = Call("DELETE", Net("virtualNetworks", "VNet1"), "", kNetApi);
  EXPECT_EQ(Code(vnet_busy), "InUseSubnetCannotBeDeleted");

  HttpResponse d = Call("DELETE", Vm());
  ASSERT_EQ(d.status, 202) << d.body;
  EXPECT_NE(OperationPath(d).find("/providers/Microsoft.Compute/locations/"), std::string::npos);
  EXPECT_EQ(J(Call("GET", Vm()))["properties"]["provisioningState"], "Deleting");
  ASSERT_TRUE(svc_->FinishDelete(ToLower(Vm())));  // the reconciler, once the fabric removed it
  EXPECT_EQ(Call("GET", Vm()).status, 404);
  EXPECT_EQ(J(Call("GET", OperationPath(d)))["status"], "Succeeded");
  Json nic = J(Call("GET", Net("networkInterfaces", "vm1VMNic"), "", kNetApi));
  EXPECT_FALSE(nic["properties"].contains("virtualMachine"));
  EXPECT_EQ(Call("DELETE", Net("networkInterfaces", "vm1VMNic"), "", kNetApi).status, 200);
  EXPECT_EQ(Call("DELETE", Net("virtualNetworks", "VNet1"), "", kNetApi).status, 200);
}

}  // namespace
}  // namespace isthmus::mgmt
