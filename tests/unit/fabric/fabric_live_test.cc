// What the single-host fabric tells the live-status routes, over the platform fakes: a gateway's
// observation (running, restarts) as the service keeps it, the reconciler's pass count, and Network
// Watcher's connectivity check run inside the source VM's namespace.
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "fabric/fabric.h"
#include "mgmt/reconcile/reconciler.h"
#include "mgmt/service/resource_service.h"
#include "mgmt/store/sqlite_store.h"
#include "platform/fake/fake_net_config.h"
#include "platform/fake/fake_processes.h"

namespace isthmus::fabric {
namespace {

using mgmt::Kind;
using mgmt::ResourceId;
using nlohmann::json;
using namespace std::chrono_literals;

class FabricLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("isthmus-fabric-live-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "fabric");
    auto store = mgmt::SqliteStore::Open((dir_ / "db").string());
    ASSERT_TRUE(store);
    svc_ = std::make_unique<mgmt::ResourceService>(
        std::move(*store), mgmt::ServiceOptions{*net::Prefix::Parse("198.18.0.0/15")}, rng_);
    ASSERT_TRUE(svc_->Open());
    sub_ = svc_->DefaultSubscription();
    fabric_ = std::make_unique<SingleHostFabric>(
        netns_, procs_, control_, clock_,
        FabricOptions{"t-", dir_ / "fabric", "/usr/bin/isthmus-gateway", ""});
    mgmt::ReconcilerOptions o;
    o.render = {"t-", (dir_ / "fabric").string(), *net::Prefix::Parse("198.18.0.0/15"), {}};
    o.clock = &clock_;
    rec_ = std::make_unique<mgmt::Reconciler>(*svc_, *fabric_, o);
    Site();
  }
  void TearDown() override {
    rec_.reset();
    fabric_.reset();
    svc_.reset();
    std::filesystem::remove_all(dir_);
  }
  ResourceId Id(Kind k, const std::string& n) { return ResourceId::Network(k, sub_, "rg1", n); }
  ResourceId Gw() { return Id(Kind::kVirtualNetworkGateway, "v1gw"); }
  ResourceId Vm() { return Id(Kind::kVirtualMachine, "vm1"); }
  std::string GwSocket() {
    return (dir_ / "fabric" / ("gw-" + mgmt::render::NameHash(Gw().Key(), 8) + ".sock")).string();
  }

  // rg1: VNet v1 with a gateway and a VM in FrontEnd, realized; the gateway answers `status`.
  void Site() {
    const std::string vnet = Id(Kind::kVirtualNetwork, "v1").ToString();
    ASSERT_TRUE(svc_->Put(ResourceId::Group(sub_, "rg1"), {{"location", "westus"}}, {}));
    ASSERT_TRUE(
        svc_->Put(Id(Kind::kVirtualNetwork, "v1"),
                  {{"location", "westus"},
                   {"properties",
                    {{"addressSpace", {{"addressPrefixes", {"10.1.0.0/16"}}}},
                     {"subnets",
                      {{{"name", "GatewaySubnet"}, {"properties", {{"addressPrefix", "10.1.255.0/27"}}}},
                       {{"name", "FrontEnd"}, {"properties", {{"addressPrefix", "10.1.0.0/24"}}}}}}}}},
                  {}));
    ASSERT_TRUE(svc_->Put(Id(Kind::kPublicIpAddress, "v1ip"), {{"location", "westus"}}, {}));
    auto gw = svc_->Put(
        Gw(),
        {{"location", "westus"},
         {"properties",
          {{"gatewayType", "Vpn"},
           {"ipConfigurations",
            {{{"name", "c"},
              {"properties",
               {{"subnet", {{"id", vnet + "/subnets/GatewaySubnet"}}},
                {"publicIPAddress", {{"id", Id(Kind::kPublicIpAddress, "v1ip").ToString()}}}}}}}}}}},
        {});
    ASSERT_TRUE(gw) << gw.error().message;
    auto nic = svc_->Put(Id(Kind::kNetworkInterface, "vm1VMNic"),
                         {{"location", "westus"},
                          {"properties",
                           {{"ipConfigurations",
                             {{{"name", "ipconfigvm1"},
                               {"properties",
                                {{"privateIPAllocationMethod", "Dynamic"},
                                 {"subnet", {{"id", vnet + "/subnets/FrontEnd"}}}}}}}}}}},
                         {});
    ASSERT_TRUE(nic) << nic.error().message;
    auto vm = svc_->Put(
        Vm(),
        {{"location", "westus"},
         {"properties",
          {{"hardwareProfile", {{"vmSize", "Standard_B1s"}}},
           {"networkProfile",
            {{"networkInterfaces", {{{"id", Id(Kind::kNetworkInterface, "vm1VMNic").ToString()}}}}}}}}},
        {});
    ASSERT_TRUE(vm) << vm.error().message;
    Passes(3);
  }
  void Serve() {
    control_.Serve(GwSocket(), [](const std::string&) -> Result<std::string> {
      return std::string(R"({"ok":true,"connections":[]})");
    });
  }
  void Passes(int n) {
    for (int i = 0; i < n; ++i) {
      rec_->RunOnce();
      Serve();
      clock_.Advance(1100ms);
    }
  }

  std::filesystem::path dir_;
  SeededRng rng_{5};
  ManualClock clock_;
  platform::FakeNetNs netns_;
  platform::FakeProcesses procs_;
  platform::FakeControlChannel control_;
  std::unique_ptr<mgmt::ResourceService> svc_;
  std::unique_ptr<SingleHostFabric> fabric_;
  std::unique_ptr<mgmt::Reconciler> rec_;
  std::string sub_;
};

TEST_F(FabricLiveTest, TheServiceKeepsEachGatewaysObservationAndRestarts) {
  auto seen = svc_->ObservedGateway(Gw().Key());
  ASSERT_TRUE(seen);
  EXPECT_TRUE(seen->running);
  EXPECT_EQ(seen->restarts, 0) << "the first start is not a restart";
  EXPECT_GE(svc_->reconcile_stats().passes, 3u);

  const int pid = procs_.LivePid(mgmt::render::NameHash(Gw().Key(), 8));
  ASSERT_GT(pid, 0);
  procs_.Kill(pid);
  control_.Close(GwSocket());
  rec_->RunOnce();
  seen = svc_->ObservedGateway(Gw().Key());
  ASSERT_TRUE(seen);
  EXPECT_FALSE(seen->running) << "restarted, not answering yet";
  EXPECT_EQ(seen->restarts, 1);
  Passes(2);
  seen = svc_->ObservedGateway(Gw().Key());
  EXPECT_TRUE(seen->running);
  EXPECT_EQ(seen->restarts, 1);

  // A reset restarts it too, and the count survives the fresh runtime a reset makes.
  ASSERT_TRUE(svc_->ResetGateway(Gw()));
  Passes(3);
  EXPECT_EQ(svc_->ObservedGateway(Gw().Key())->restarts, 2);
}

TEST_F(FabricLiveTest, ConnectivityCheckProbesFromInsideTheVm) {
  ASSERT_EQ((*svc_->Get(Vm()))["properties"]["provisioningState"], "Succeeded");
  procs_.SetRunResult({0, false, "ok 100.000100 100.002100\nfail\n", ""});
  auto r = fabric_->CheckConnectivity(Vm().Key(), {"Tcp", "10.1.0.9", 443, 2});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)["connectionStatus"], "Reachable");
  EXPECT_EQ((*r)["probesSent"], 2);
  EXPECT_EQ((*r)["probesFailed"], 1);
  EXPECT_EQ((*r)["avgLatencyInMs"], 2);
  ASSERT_FALSE((*r)["hops"].empty());
  EXPECT_EQ((*r)["hops"][0]["type"], "Source");
  EXPECT_EQ((*r)["hops"][0]["address"], "10.1.0.4");
  auto runs = procs_.runs();
  ASSERT_FALSE(runs.empty());
  EXPECT_EQ(runs.back().netns, mgmt::render::VmNamespace("t-", Vm().Key()));
  EXPECT_NE(runs.back().argv.back().find("/dev/tcp/10.1.0.9/443"), std::string::npos);
}

TEST_F(FabricLiveTest, ConnectivityCheckRefusesBeforeRunningAnything) {
  const std::size_t before = procs_.runs().size();
  auto unknown =
      fabric_->CheckConnectivity(Id(Kind::kVirtualMachine, "nope").Key(), {"Tcp", "10.1.0.9", 80, 1});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "VMNotRealized");
  auto injected = fabric_->CheckConnectivity(Vm().Key(), {"Tcp", "10.1.0.9/80; touch /tmp/x #", 80, 1});
  ASSERT_FALSE(injected);
  EXPECT_EQ(injected.error().kind, ErrorKind::kInvalidArgument);
  auto no_port = fabric_->CheckConnectivity(Vm().Key(), {"Tcp", "10.1.0.9", 0, 1});
  ASSERT_FALSE(no_port);
  EXPECT_EQ(no_port.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(procs_.runs().size(), before) << "nothing ran";

  ASSERT_TRUE(fabric_->Cleanup());
  auto suspended = fabric_->CheckConnectivity(Vm().Key(), {"Icmp", "10.1.0.9", 0, 1});
  ASSERT_FALSE(suspended);
  EXPECT_EQ(suspended.error().code, "FabricSuspended");
}

}  // namespace
}  // namespace isthmus::fabric
