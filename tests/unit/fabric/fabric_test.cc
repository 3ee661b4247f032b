// The reconciler driving the single-host fabric over the platform fakes: what a pass creates on the
// "host", that a pass with nothing to do changes nothing, adoption after a restart, repair of what
// broke, removal, and failures reported only after retries.
#include "fabric/fabric.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mgmt/reconcile/reconciler.h"
#include "mgmt/service/impairments.h"
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

class FabricTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("isthmus-fabric-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "fabric");
    auto store = mgmt::SqliteStore::Open((dir_ / "db").string());
    ASSERT_TRUE(store);
    svc_ = std::make_unique<mgmt::ResourceService>(
        std::move(*store), mgmt::ServiceOptions{*net::Prefix::Parse("198.18.0.0/15")}, rng_);
    ASSERT_TRUE(svc_->Open());
    sub_ = svc_->DefaultSubscription();
    MakeFabric();
  }
  void TearDown() override {
    rec_.reset();
    fabric_.reset();
    svc_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A new fabric and reconciler over the same fakes and store: what a restart of isthmusd is.
  void MakeFabric() {
    rec_.reset();
    fabric_ = std::make_unique<SingleHostFabric>(
        netns_, procs_, control_, clock_,
        FabricOptions{"t-", dir_ / "fabric", "/usr/bin/isthmus-gateway", "/usr/bin/isthmus-impair"});
    mgmt::ReconcilerOptions o;
    o.render = {"t-", (dir_ / "fabric").string(), *net::Prefix::Parse("198.18.0.0/15"), {}};
    o.impairments = [this] { return mgmt::Impairments(*svc_).All(); };
    rec_ = std::make_unique<mgmt::Reconciler>(*svc_, *fabric_, o);
  }
  ResourceId Id(Kind k, const std::string& rg, const std::string& n) {
    return ResourceId::Network(k, sub_, rg, n);
  }
  std::string SubnetId(const std::string& rg, const std::string& vnet, const std::string& n) {
    return Id(Kind::kVirtualNetwork, rg, vnet).ToString() + "/subnets/" + n;
  }
  void MakeSite(const std::string& rg, const std::string& v, const std::string& space, const std::string& gws,
                const std::string& fe, const std::string& location = "westus") {
    ASSERT_TRUE(svc_->Put(ResourceId::Group(sub_, rg), {{"location", location}}, {}));
    ASSERT_TRUE(svc_->Put(Id(Kind::kVirtualNetwork, rg, v),
                          {{"location", location},
                           {"properties",
                            {{"addressSpace", {{"addressPrefixes", {space}}}},
                             {"subnets",
                              {{{"name", "GatewaySubnet"}, {"properties", {{"addressPrefix", gws}}}},
                               {{"name", "FrontEnd"}, {"properties", {{"addressPrefix", fe}}}}}}}}},
                          {}));
    ASSERT_TRUE(svc_->Put(Id(Kind::kPublicIpAddress, rg, v + "ip"), {{"location", location}}, {}));
    auto gw = svc_->Put(
        Id(Kind::kVirtualNetworkGateway, rg, v + "gw"),
        {{"location", location},
         {"properties",
          {{"gatewayType", "Vpn"},
           {"ipConfigurations",
            {{{"name", "c"},
              {"properties",
               {{"subnet", {{"id", SubnetId(rg, v, "GatewaySubnet")}}},
                {"publicIPAddress", {{"id", Id(Kind::kPublicIpAddress, rg, v + "ip").ToString()}}}}}}}}}}},
        {});
    ASSERT_TRUE(gw) << gw.error().message;
  }
  void Connect(const std::string& rg, const std::string& name, const ResourceId& g1, const ResourceId& g2,
               const std::string& key = "Sh4redKey") {
    auto c = svc_->Put(Id(Kind::kConnection, rg, name),
                       {{"location", "westus"},
                        {"properties",
                         {{"connectionType", "Vnet2Vnet"},
                          {"virtualNetworkGateway1", {{"id", g1.ToString()}}},
                          {"virtualNetworkGateway2", {{"id", g2.ToString()}}},
                          {"sharedKey", key}}}},
                       {});
    ASSERT_TRUE(c) << c.error().message;
  }
  ResourceId Gw1() { return Id(Kind::kVirtualNetworkGateway, "rg1", "v1gw"); }
  ResourceId Gw2() { return Id(Kind::kVirtualNetworkGateway, "rg2", "v2gw"); }
  // Two sites whose gateways are provisioned (connections can only be made to provisioned gateways).
  void TwoSites() {
    MakeSite("rg1", "v1", "10.1.0.0/16", "10.1.255.0/27", "10.1.0.0/24");
    MakeSite("rg2", "v2", "10.2.0.0/16", "10.2.255.0/27", "10.2.0.0/24");
    Passes(2);
    ASSERT_EQ(State(Gw1()), "Succeeded");
  }
  std::string Prop(const ResourceId& id, const char* name) {
    auto r = svc_->Get(id);
    if (!r) return "<" + r.error().code + ">";
    return (*r)["properties"].value(name, "");
  }
  std::string State(const ResourceId& id) { return Prop(id, "provisioningState"); }
  std::string Status(const ResourceId& id) { return Prop(id, "connectionStatus"); }
  // Every gateway that has been started answers on its control socket as a running isthmus-gateway
  // would: `status` with its configured connections in `state`, `reload` ok.
  void ServeGateways(const std::string& state = "Connected") {
    for (const auto& entry : std::filesystem::directory_iterator(dir_ / "fabric")) {
      const auto p = entry.path();
      if (p.extension() != ".json" || !p.filename().string().starts_with("gw-")) continue;
      const std::string sock = (dir_ / "fabric" / (p.stem().string() + ".sock")).string();
      const std::string cfg_path = p.string();
      control_.Serve(sock, [cfg_path, state, this](const std::string& line) -> Result<std::string> {
        if (line == "reload") return std::string(R"({"ok":true})");
        // As isthmus-gateway does when digests_ is set: `status D` with D its current digest (here
        // the state and the configured connections').
        std::ifstream f(cfg_path);
        std::stringstream ss;
        ss << f.rdbuf();
        json cfg = json::parse(ss.str());
        json conns = json::array();
        for (const auto& c : cfg["connections"]) {
          conns.push_back({{"name", c["name"]},
                           {"state", state},
                           {"remote", c["remote_address"].get<std::string>() + ":4500"},
                           {"last_error", state == "NotConnected" ? "AUTHENTICATION_FAILED" : ""},
                           {"in", {{"bytes", 1234}, {"packets", 10}}},
                           {"out", {{"bytes", 4321}, {"packets", 11}}},
                           {"children", json::array()}});
        }
        const std::string digest = fmt::format("d-{}-{}", state, std::hash<std::string>{}(conns.dump()));
        if (digests_ && line == "status " + digest) return json{{"ok", true}, {"unchanged", true}}.dump();
        json reply{{"ok", true}, {"connections", conns}};
        if (digests_) reply["digest"] = digest;
        return reply.dump();
      });
    }
  }
  void Passes(int n) {
    for (int i = 0; i < n; ++i) {
      rec_->RunOnce();
      ServeGateways(serve_state_);
      clock_.Advance(1100ms);
    }
  }
  std::string GwNs(const ResourceId& g) { return mgmt::render::GatewayNamespace("t-", g.Key()); }
  std::string VnetNs(const std::string& rg, const std::string& v) {
    return mgmt::render::VnetNamespace("t-", Id(Kind::kVirtualNetwork, rg, v).Key());
  }

  std::filesystem::path dir_;
  SeededRng rng_{11};
  ManualClock clock_;
  platform::FakeNetNs netns_;
  platform::FakeProcesses procs_;
  platform::FakeControlChannel control_;
  std::unique_ptr<mgmt::ResourceService> svc_;
  std::unique_ptr<SingleHostFabric> fabric_;
  std::unique_ptr<mgmt::Reconciler> rec_;
  std::string sub_;
  std::string serve_state_ = "Connected";
  bool digests_ = false;
};

TEST_F(FabricTest, TwoConnectedSitesAreRealizedAndReportConnected) {
  TwoSites();
  Connect("rg1", "c12", Gw1(), Gw2());
  Connect("rg2", "c21", Gw2(), Gw1());
  Passes(3);
  EXPECT_EQ(State(Gw1()), "Succeeded");
  EXPECT_EQ(State(Id(Kind::kConnection, "rg1", "c12")), "Succeeded");
  EXPECT_EQ(Status(Id(Kind::kConnection, "rg1", "c12")), "Connected");
  EXPECT_EQ((*svc_->Get(Id(Kind::kConnection, "rg1", "c12")))["properties"]["ingressBytesTransferred"], 1234);

  // The host: underlay, two routers, two gateway namespaces; the routers route the remote space to
  // their gateway's GatewaySubnet address.
  auto names = *netns_.List();
  for (const auto& n :
       {std::string("t-u"), VnetNs("rg1", "v1"), VnetNs("rg2", "v2"), GwNs(Gw1()), GwNs(Gw2())}) {
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  }
  auto router = *netns_.Open(VnetNs("rg1", "v1"));
  auto routes = *router->Routes();
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].destination.ToString(), "10.2.0.0/16");
  EXPECT_EQ(routes[0].via->ToString(), "10.1.255.4");
  auto gw = *netns_.Open(GwNs(Gw1()));
  auto links = *gw->Links();
  auto has = [&](const std::string& n) {
    return std::any_of(links.begin(), links.end(),
                       [&](const platform::LinkInfo& l) { return l.name == n && l.up; });
  };
  EXPECT_TRUE(has("lan0") && has("wan0"));
  EXPECT_EQ(*gw->GetSysctl("ipv4/ip_forward"), "1");

  // One isthmus-gateway per gateway, in its namespace, from a 0600 file that holds the key.
  auto daemons = procs_.daemons();
  ASSERT_EQ(daemons.size(), 2u);
  for (const auto& d : daemons) {
    EXPECT_TRUE(d.spec.netns == GwNs(Gw1()) || d.spec.netns == GwNs(Gw2()));
    ASSERT_EQ(d.spec.argv.size(), 3u);
    struct stat st {};
    ASSERT_EQ(::stat(d.spec.argv[2].c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::ifstream f(d.spec.argv[2]);
    std::stringstream ss;
    ss << f.rdbuf();
    EXPECT_NE(ss.str().find("Sh4redKey"), std::string::npos);
  }
}

TEST_F(FabricTest, APassWithNothingToDoChangesNothing) {
  TwoSites();
  Connect("rg1", "c12", Gw1(), Gw2());
  Connect("rg2", "c21", Gw2(), Gw1());
  Passes(3);
  netns_.ResetCounts();
  const auto requests = control_.requests().size();
  rec_->RunOnce();
  EXPECT_EQ(netns_.MutatingCalls(), 0u) << ::testing::PrintToString(netns_.Journal());
  EXPECT_EQ(procs_.daemons().size(), 2u);
  // Only status requests, no reload.
  auto reqs = control_.requests();
  for (std::size_t i = requests; i < reqs.size(); ++i) EXPECT_EQ(reqs[i].second, "status");
  // The periodic full check compares everything again, and still changes nothing.
  clock_.Advance(SingleHostFabric::kFullCheckPeriod);
  netns_.ResetCounts();
  rec_->RunOnce();
  EXPECT_GT(netns_.Calls("Links"), 0u);
  EXPECT_EQ(netns_.MutatingCalls(), 0u) << ::testing::PrintToString(netns_.Journal());
}

TEST_F(FabricTest, ARestartAdoptsRunningGatewaysWithoutReload) {
  TwoSites();
  Connect("rg1", "c12", Gw1(), Gw2());
  Connect("rg2", "c21", Gw2(), Gw1());
  Passes(3);
  MakeFabric();  // isthmusd restarted: new fabric object, same host and files
  netns_.ResetCounts();
  const auto before = control_.requests().size();
  Passes(1);
  EXPECT_EQ(procs_.daemons().size(), 2u);  // nothing spawned
  EXPECT_EQ(netns_.MutatingCalls(), 0u) << ::testing::PrintToString(netns_.Journal());
  auto reqs = control_.requests();
  for (std::size_t i = before; i < reqs.size(); ++i) EXPECT_EQ(reqs[i].second, "status");
  EXPECT_EQ(Status(Id(Kind::kConnection, "rg1", "c12")), "Connected");
}

// An idle gateway is asked for its status with the digest it gave last: it answers "unchanged", and
// what it said before still shows; when its state changes, the new status shows.
TEST_F(FabricTest, AnIdleGatewayIsAskedWithItsDigestAndItsLastStatusStands) {
  digests_ = true;
  TwoSites();
  Connect("rg1", "c12", Gw1(), Gw2());
  Connect("rg2", "c21", Gw2(), Gw1());
  Passes(3);
  const auto before = control_.requests().size();
  rec_->RunOnce();
  auto reqs = control_.requests();
  ASSERT_GT(reqs.size(), before);
  for (std::size_t i = before; i < reqs.size(); ++i)
    EXPECT_TRUE(reqs[i].second.starts_with("status d-Connected-"));
  EXPECT_EQ(Status(Id(Kind::kConnection, "rg1", "c12")), "Connected");
  auto c12 = svc_->Get(Id(Kind::kConnection, "rg1", "c12"));
  ASSERT_TRUE(c12);
  EXPECT_EQ((*c12)["properties"]["ingressBytesTransferred"], 1234);

  serve_state_ = "NotConnected";
  Passes(2);  // the gateways answer as NotConnected from the end of the first
  EXPECT_EQ(Status(Id(Kind::kConnection, "rg1", "c12")), "NotConnected")
      << "a changed status is read in full";
}

TEST_F(FabricTest, AKilledGatewayIsRestartedWithBackoff) {
  TwoSites();
  Passes(2);
  const int pid = procs_.LivePid(mgmt::render::NameHash(Gw1().Key(), 8));
  ASSERT_GT(pid, 0);
  procs_.Kill(pid);
  control_.Close((dir_ / "fabric" / ("gw-" + mgmt::render::NameHash(Gw1().Key(), 8) + ".sock")).string());
  rec_->RunOnce();
  const int again = procs_.LivePid(mgmt::render::NameHash(Gw1().Key(), 8));
  EXPECT_GT(again, pid);
  // It dies at once, again: the next start waits for the backoff.
  procs_.Kill(again);
  rec_->RunOnce();
  EXPECT_EQ(procs_.LivePid(mgmt::render::NameHash(Gw1().Key(), 8)), 0);
  clock_.Advance(2100ms);
  rec_->RunOnce();
  EXPECT_GT(procs_.LivePid(mgmt::render::NameHash(Gw1().Key(), 8)), again);
}

TEST_F(FabricTest, ARestartedResponderHasItsInitiatingPeerStartOver) {
  TwoSites();
  Connect("rg1", "c12", Gw1(), Gw2());
  Connect("rg2", "c21", Gw2(), Gw1());
  Passes(3);
  // rg2's gateway has the higher public IP: it only responds. Killed, it comes back with no SAs.
  const std::string stem2 = "gw-" + mgmt::render::NameHash(Gw2().Key(), 8);
  const std::string sock1 =
      (dir_ / "fabric" / ("gw-" + mgmt::render::NameHash(Gw1().Key(), 8) + ".sock")).string();
  const int pid = procs_.LivePid(mgmt::render::NameHash(Gw2().Key(), 8));
  ASSERT_GT(pid, 0);
  procs_.Kill(pid);
  control_.Close((dir_ / "fabric" / (stem2 + ".sock")).string());
  const auto before = control_.requests().size();
  Passes(3);
  std::vector<std::string> to_gw1;
  auto reqs = control_.requests();
  for (std::size_t i = before; i < reqs.size(); ++i) {
    if (reqs[i].first == sock1 && reqs[i].second != "status") to_gw1.push_back(reqs[i].second);
    EXPECT_NE(reqs[i].second, "terminate c21") << "the restarted responder itself was told to start over";
  }
  EXPECT_EQ(to_gw1, (std::vector<std::string>{"terminate c12", "initiate c12"}));
  EXPECT_EQ(Status(Id(Kind::kConnection, "rg1", "c12")), "Connected");
}

TEST_F(FabricTest, AGatewayNamespaceDeletedByHandIsRepaired) {
  TwoSites();
  Connect("rg1", "c12", Gw1(), Gw2());
  Connect("rg2", "c21", Gw2(), Gw1());
  Passes(3);
  const int pid = procs_.LivePid(mgmt::render::NameHash(Gw1().Key(), 8));
  ASSERT_TRUE(netns_.Delete(GwNs(Gw1())));  // `ip netns del` by hand: the process lives on, orphaned
  procs_.MoveOutOfNetns(pid);
  Passes(2);
  auto names = *netns_.List();
  EXPECT_NE(std::find(names.begin(), names.end(), GwNs(Gw1())), names.end());
  auto gw = *netns_.Open(GwNs(Gw1()));
  auto links = *gw->Links();
  EXPECT_TRUE(
      std::any_of(links.begin(), links.end(), [](const platform::LinkInfo& l) { return l.name == "wan0"; }));
  // The orphaned gateway was killed and a new one started in the new namespace.
  EXPECT_FALSE(procs_.Alive(pid, "gw-"));
  EXPECT_GT(procs_.LivePid(mgmt::render::NameHash(Gw1().Key(), 8)), pid);
  EXPECT_EQ(Status(Id(Kind::kConnection, "rg1", "c12")), "Connected");
}

TEST_F(FabricTest, DeletingAConnectionReloadsItsGatewayAndRemovesItsRoutes) {
  TwoSites();
  Connect("rg1", "c12", Gw1(), Gw2());
  Connect("rg2", "c21", Gw2(), Gw1());
  Passes(3);
  ASSERT_TRUE(svc_->Delete(Id(Kind::kConnection, "rg1", "c12"), {}));
  const auto before = control_.requests().size();
  Passes(2);
  EXPECT_FALSE(svc_->Get(Id(Kind::kConnection, "rg1", "c12")));
  auto router = *netns_.Open(VnetNs("rg1", "v1"));
  EXPECT_TRUE(router->Routes()->empty());
  bool reloaded = false;
  auto reqs = control_.requests();
  for (std::size_t i = before; i < reqs.size(); ++i) reloaded = reloaded || reqs[i].second == "reload";
  EXPECT_TRUE(reloaded);
}

TEST_F(FabricTest, DeletingEverythingLeavesNothing) {
  TwoSites();
  Connect("rg1", "c12", Gw1(), Gw2());
  Passes(3);
  ASSERT_TRUE(svc_->Delete(ResourceId::Group(sub_, "rg1"), {}));
  Passes(4);  // rg1's connection refers to rg2's gateway: rg2 can go once it is gone
  ASSERT_TRUE(svc_->Delete(ResourceId::Group(sub_, "rg2"), {}));
  Passes(4);
  EXPECT_FALSE(svc_->Get(ResourceId::Group(sub_, "rg1")));
  auto names = *netns_.List();
  EXPECT_TRUE(names.empty()) << names.front();  // the underlay too: no gateway needs it any more
  EXPECT_EQ(procs_.LivePid("gw-"), 0);
  EXPECT_TRUE(netns_.DeletedWithProcesses().empty());
  ASSERT_TRUE(fabric_->Cleanup());
  EXPECT_TRUE(netns_.List()->empty());
}

TEST_F(FabricTest, AFailureIsRetriedThenReportedThenHealed) {
  MakeSite("rg1", "v1", "10.1.0.0/16", "10.1.255.0/27", "10.1.0.0/24");
  for (int i = 0; i < 3; ++i) netns_.FailNext("AddVeth", Error::Internal("File exists"), GwNs(Gw1()));
  Passes(1);
  EXPECT_EQ(State(Gw1()), "Updating");
  Passes(2);
  EXPECT_EQ(State(Gw1()), "Failed");
  Passes(2);  // the host recovered: level-triggered, it is realized and reported so
  EXPECT_EQ(State(Gw1()), "Succeeded");
}

TEST_F(FabricTest, WrongKeyShowsNotConnectedWithTheReason) {
  TwoSites();
  Connect("rg1", "c12", Gw1(), Gw2(), "KeyOne");
  Connect("rg2", "c21", Gw2(), Gw1(), "KeyTwo");
  serve_state_ = "NotConnected";
  Passes(3);
  EXPECT_EQ(Status(Id(Kind::kConnection, "rg1", "c12")), "NotConnected");
  auto o = svc_->Observed(Id(Kind::kConnection, "rg1", "c12").Key());
  ASSERT_TRUE(o);
  EXPECT_EQ(o->reason, "AUTHENTICATION_FAILED");
}

TEST_F(FabricTest, OnlyOneSideCreatedStaysConnecting) {
  TwoSites();
  Connect("rg1", "c12", Gw1(), Gw2());
  serve_state_ = "NotConnected";
  Passes(3);
  EXPECT_EQ(Status(Id(Kind::kConnection, "rg1", "c12")), "Connecting");
}

// The emulated WAN between eastus and westus: each gateway's outside leg goes through its own bridge and
// an isthmus-impair between two persistent TAPs; a change is a SIGHUP, a dead impairer is restarted,
// and clearing the pair puts the legs back on ul0 and leaves nothing of it.
TEST_F(FabricTest, AnImpairedRegionPairPutsAnImpairerInEachGatewaysOutsideLeg) {
  MakeSite("rg1", "v1", "10.1.0.0/16", "10.1.255.0/27", "10.1.0.0/24", "eastus");
  MakeSite("rg2", "v2", "10.2.0.0/16", "10.2.255.0/27", "10.2.0.0/24", "westus");
  Passes(2);
  Connect("rg1", "c12", Gw1(), Gw2());
  Connect("rg2", "c21", Gw2(), Gw1());
  Passes(3);
  mgmt::Impairments impairments(*svc_);
  ASSERT_TRUE(impairments.Put(sub_, "West US", "eastus", {{"properties", {{"lossPercent", 1}}}}));
  Passes(3);
  EXPECT_EQ(Status(Id(Kind::kConnection, "rg1", "c12")), "Connected");

  auto underlay = *netns_.Open("t-u");
  auto link = [&](const std::string& name) -> std::optional<platform::LinkInfo> {
    auto links = underlay->Links();
    for (const auto& l : *links) {
      if (l.name == name) return l;
    }
    return std::nullopt;
  };
  std::vector<int> impairers;
  for (const auto& g : {Gw1(), Gw2()}) {
    const std::string h = mgmt::render::NameHash(g.Key(), 8);
    ASSERT_TRUE(link("b-" + h)) << h;
    EXPECT_EQ(link("b-" + h)->kind, "bridge");
    EXPECT_TRUE(link("b-" + h)->up);
    EXPECT_EQ(link("g-" + h)->master, "b-" + h);  // the gateway's leg: in its own bridge now
    EXPECT_EQ(link("t-" + h)->kind, "tun");
    EXPECT_EQ(link("t-" + h)->master, "b-" + h);
    EXPECT_EQ(link("u-" + h)->kind, "tun");
    EXPECT_EQ(link("u-" + h)->master, "ul0");
    EXPECT_TRUE(link("t-" + h)->up && link("u-" + h)->up);
    const int pid = procs_.LivePid("u-" + h);
    ASSERT_GT(pid, 0);
    impairers.push_back(pid);
  }
  std::string config;
  for (const auto& d : procs_.daemons()) {
    if (d.pid != impairers[0]) continue;
    EXPECT_EQ(d.spec.argv[0], "/usr/bin/isthmus-impair");
    EXPECT_EQ(d.spec.netns, "t-u");
    std::ifstream f(d.spec.argv[6]);  // --config FILE
    std::stringstream ss;
    ss << f.rdbuf();
    config = ss.str();
  }
  // Half of Microsoft's 64 ms eastus-westus round trip, towards the other gateway's public IP.
  const json rule = json::parse(config)["a_to_b"]["rules"][0];
  EXPECT_EQ(rule["delayMs"], 32.0);
  EXPECT_EQ(rule["lossPercent"], 1.0);
  EXPECT_EQ(rule["prefix"], Prop(Id(Kind::kPublicIpAddress, "rg2", "v2ip"), "ipAddress") + "/32");

  // Nothing to do: nothing changes, nothing is signalled.
  netns_.ResetCounts();
  const auto daemons = procs_.daemons().size();
  Passes(1);
  EXPECT_EQ(netns_.MutatingCalls(), 0u) << ::testing::PrintToString(netns_.Journal());
  EXPECT_EQ(procs_.daemons().size(), daemons);

  // A new profile: SIGHUP, same process.
  ASSERT_TRUE(impairments.Put(sub_, "eastus", "westus", {{"properties", {{"roundTripMs", 150}}}}));
  Passes(1);
  EXPECT_EQ(procs_.daemons().size(), daemons);
  for (const auto& d : procs_.daemons()) {
    if (d.pid == impairers[0] || d.pid == impairers[1]) {
      EXPECT_NE(std::find(d.signals.begin(), d.signals.end(), SIGHUP), d.signals.end());
    }
  }

  // A dead impairer is started again; the TAPs stay as they were.
  procs_.Kill(impairers[0]);
  netns_.ResetCounts();
  Passes(2);
  EXPECT_EQ(procs_.daemons().size(), daemons + 1);
  EXPECT_EQ(netns_.Calls("AddTap"), 0u);

  // Cleared: the impairers stop, their links go, the legs are back on ul0, the tunnel stays.
  ASSERT_TRUE(impairments.Delete("westus", "eastus"));
  Passes(2);
  for (const auto& g : {Gw1(), Gw2()}) {
    const std::string h = mgmt::render::NameHash(g.Key(), 8);
    EXPECT_FALSE(link("b-" + h) || link("t-" + h) || link("u-" + h));
    EXPECT_EQ(link("g-" + h)->master, "ul0");
    EXPECT_EQ(procs_.LivePid("u-" + h), 0);
  }
  EXPECT_EQ(Status(Id(Kind::kConnection, "rg1", "c12")), "Connected");
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "fabric")) {
    const std::string name = entry.path().filename().string();
    EXPECT_FALSE(name.starts_with("imp-") && !name.ends_with(".log")) << name;  // its log is kept
  }
}

}  // namespace
}  // namespace isthmus::fabric
