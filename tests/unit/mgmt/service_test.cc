// ResourceService over a real SQLite store in a temporary directory, with the reconciler run by hand.
#include <sys/stat.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "mgmt/reconcile/reconciler.h"
#include "mgmt/service/resource_service.h"
#include "mgmt/store/sqlite_store.h"

namespace isthmus::mgmt {
namespace {

// Fails every gateway; reports every connection Connected with byte counts.
class FailingRealizer final : public HostRealizer {
 public:
  ConvergeReport Converge(const render::HostPlan& plan) override {
    ConvergeReport r;
    for (const auto& g : plan.gateways) r.errors.emplace(g.key, Error::Internal("no capacity on this host"));
    return r;
  }
  std::map<std::string, GatewayObservation> ObserveGateways(const render::HostPlan& plan) override {
    std::map<std::string, GatewayObservation> out;
    for (const auto& g : plan.gateways) {
      nlohmann::json conns = nlohmann::json::array();
      for (const auto& [name, key] : g.connection_keys) {
        conns.push_back(
            {{"name", name}, {"state", "Connected"}, {"in", {{"bytes", 10}}}, {"out", {{"bytes", 20}}}});
      }
      out[g.key] = {true, std::make_shared<const nlohmann::json>(nlohmann::json{{"connections", conns}}), ""};
    }
    return out;
  }
};

ReconcilerOptions Opts() {
  ReconcilerOptions o;
  o.render.underlay_pool = *net::Prefix::Parse("198.18.0.0/15");
  return o;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("isthmus-svc-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Open();
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    svc_.reset();
    auto store = SqliteStore::Open((dir_ / "db").string());
    ASSERT_TRUE(store) << store.error().message;
    svc_ = std::make_unique<ResourceService>(std::move(*store),
                                             ServiceOptions{*net::Prefix::Parse("198.18.0.0/15")}, rng_);
    ASSERT_TRUE(svc_->Open());
    sub_ = svc_->DefaultSubscription();
  }
  ResourceId Id(Kind k, const std::string& rg, const std::string& n) {
    return ResourceId::Network(k, sub_, rg, n);
  }
  ResourceId SubnetId(const std::string& rg, const std::string& vnet, const std::string& n) {
    ResourceId id = Id(Kind::kVirtualNetwork, rg, vnet);
    id.kind = Kind::kSubnet;
    id.child_name = n;
    return id;
  }
  void MakeSite(const std::string& rg, const std::string& v, const std::string& prefix,
                const std::string& gws) {
    ASSERT_TRUE(svc_->Put(ResourceId::Group(sub_, rg), {{"location", "westus"}}, {}));
    ASSERT_TRUE(
        svc_->Put(Id(Kind::kVirtualNetwork, rg, v),
                  {{"location", "westus"},
                   {"properties",
                    {{"addressSpace", {{"addressPrefixes", {prefix}}}},
                     {"subnets", {{{"name", "GatewaySubnet"}, {"properties", {{"addressPrefix", gws}}}}}}}}},
                  {}));
    ASSERT_TRUE(svc_->Put(Id(Kind::kPublicIpAddress, rg, v + "ip"),
                          {{"location", "westus"}, {"sku", {{"name", "Standard"}}}}, {}));
    auto gw = svc_->Put(
        Id(Kind::kVirtualNetworkGateway, rg, v + "gw"),
        {{"location", "westus"},
         {"properties",
          {{"gatewayType", "Vpn"},
           {"ipConfigurations",
            {{{"name", "c"},
              {"properties",
               {{"subnet", {{"id", SubnetId(rg, v, "GatewaySubnet").ToString()}}},
                {"publicIPAddress", {{"id", Id(Kind::kPublicIpAddress, rg, v + "ip").ToString()}}}}}}}}}}},
        {});
    ASSERT_TRUE(gw) << gw.error().message;
    ASSERT_TRUE(gw->operation_id);
  }
  Json ConnBody(const std::string& g1, const std::string& g2) {
    return {{"location", "westus"},
            {"properties",
             {{"connectionType", "Vnet2Vnet"},
              {"virtualNetworkGateway1", {{"id", g1}}},
              {"virtualNetworkGateway2", {{"id", g2}}},
              {"sharedKey", "TopSecret123"}}}};
  }

  std::filesystem::path dir_;
  SeededRng rng_{7};
  std::unique_ptr<ResourceService> svc_;
  std::string sub_;
};

TEST_F(ServiceTest, TheStoreAndItsWalAreOwnerOnly) {
  auto expect_owner_only = [&](std::initializer_list<const char*> names) {
    for (const char* name : names) {
      struct stat st {};
      ASSERT_EQ(::stat((dir_ / name).c_str(), &st), 0) << name;
      EXPECT_EQ(st.st_mode & 0777, 0600u) << name << " holds shared keys";
    }
  };
  ASSERT_TRUE(svc_->Put(ResourceId::Group(sub_, "RG1"), {{"location", "westus"}}, {}));  // writes the WAL
  expect_owner_only({"db", "db-wal", "db-shm"});
  // A store left readable by an older isthmusd is narrowed when opened.
  svc_.reset();
  std::filesystem::permissions(dir_ / "db", std::filesystem::perms(0644));
  Open();
  ASSERT_TRUE(svc_->Put(ResourceId::Group(sub_, "RG2"), {{"location", "westus"}}, {}));
  expect_owner_only({"db", "db-wal", "db-shm"});
}

TEST_F(ServiceTest, DefaultSubscriptionSurvivesReopen) {
  std::string first = sub_;
  EXPECT_FALSE(first.empty());
  Open();
  EXPECT_EQ(sub_, first);
  EXPECT_EQ(svc_->ListSubscriptions()["value"].size(), 1u);
}

TEST_F(ServiceTest, AcknowledgedWritesSurviveReopenWithTheirEtags) {
  MakeSite("rg1", "v1", "10.1.0.0/16", "10.1.255.0/27");
  auto before = svc_->Get(Id(Kind::kVirtualNetworkGateway, "rg1", "v1gw"));
  ASSERT_TRUE(before);
  Open();
  auto after = svc_->Get(Id(Kind::kVirtualNetworkGateway, "rg1", "v1gw"));
  ASSERT_TRUE(after);
  EXPECT_EQ((*before)["etag"], (*after)["etag"]);
  EXPECT_EQ((*after)["properties"]["provisioningState"], "Updating");  // the reconciler resumes it
}

TEST_F(ServiceTest, RefusedWritesChangeNothing) {
  MakeSite("rg1", "v1", "10.1.0.0/16", "10.1.255.0/27");
  auto gen = svc_->generation();
  auto bad = svc_->Put(
      Id(Kind::kVirtualNetwork, "rg1", "v2"),
      {{"location", "westus"}, {"properties", {{"addressSpace", {{"addressPrefixes", {"10.0.0.1/8"}}}}}}},
      {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(svc_->generation(), gen);
  Open();
  EXPECT_FALSE(svc_->Get(Id(Kind::kVirtualNetwork, "rg1", "v2")));
}

TEST_F(ServiceTest, ReconcilerFinishesAsyncOperations) {
  MakeSite("rg1", "v1", "10.1.0.0/16", "10.1.255.0/27");
  MakeSite("rg2", "v2", "10.2.0.0/16", "10.2.255.0/27");
  NoFabric realizer;
  Reconciler rec(*svc_, realizer, Opts());
  EXPECT_EQ(rec.RunOnce().progressed, 2);
  auto gw = svc_->Get(Id(Kind::kVirtualNetworkGateway, "rg1", "v1gw"));
  EXPECT_EQ((*gw)["properties"]["provisioningState"], "Succeeded");

  auto c = svc_->Put(Id(Kind::kConnection, "rg1", "c12"),
                     ConnBody(Id(Kind::kVirtualNetworkGateway, "rg1", "v1gw").ToString(),
                              Id(Kind::kVirtualNetworkGateway, "rg2", "v2gw").ToString()),
                     {});
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE(c->operation_id);
  EXPECT_EQ((*svc_->GetOperation(*c->operation_id))["status"], "InProgress");
  EXPECT_EQ(rec.RunOnce().progressed, 1);
  EXPECT_EQ((*svc_->GetOperation(*c->operation_id))["status"], "Succeeded");
  EXPECT_EQ(rec.RunOnce().progressed, 0);  // level-triggered and idempotent

  // Deletion: 202-style, then gone.
  auto d = svc_->Delete(Id(Kind::kConnection, "rg1", "c12"), {});
  ASSERT_TRUE(d && d->operation_id);
  EXPECT_EQ((*svc_->Get(Id(Kind::kConnection, "rg1", "c12")))["properties"]["provisioningState"], "Deleting");
  rec.RunOnce();
  EXPECT_FALSE(svc_->Get(Id(Kind::kConnection, "rg1", "c12")));
  EXPECT_EQ((*svc_->GetOperation(*d->operation_id))["status"], "Succeeded");
}

TEST_F(ServiceTest, RealizerFailureMarksFailedWithTheReason) {
  MakeSite("rg1", "v1", "10.1.0.0/16", "10.1.255.0/27");
  auto op = svc_->Pending();
  FailingRealizer realizer;
  ReconcilerOptions o = Opts();
  Reconciler rec(*svc_, realizer, o);
  // A transient failure is retried before it is reported.
  for (int i = 1; i < o.failures_before_failed; ++i) {
    rec.RunOnce();
    EXPECT_EQ(
        (*svc_->Get(Id(Kind::kVirtualNetworkGateway, "rg1", "v1gw")))["properties"]["provisioningState"],
        "Updating");
  }
  rec.RunOnce();
  auto gw = svc_->Get(Id(Kind::kVirtualNetworkGateway, "rg1", "v1gw"));
  EXPECT_EQ((*gw)["properties"]["provisioningState"], "Failed");
  ASSERT_EQ(op.size(), 1u);
  // The operation carries the cause, as ARM's failed operations do.
  bool found = false;
  for (const auto& r : svc_->Pending()) found = found || r.id.kind == Kind::kVirtualNetworkGateway;
  EXPECT_FALSE(found);
  // Once the host can realize it, the level-triggered pass turns Failed into Succeeded.
  NoFabric healthy;
  Reconciler(*svc_, healthy, Opts()).RunOnce();
  EXPECT_EQ((*svc_->Get(Id(Kind::kVirtualNetworkGateway, "rg1", "v1gw")))["properties"]["provisioningState"],
            "Succeeded");
}

TEST_F(ServiceTest, ObservedStatusIsMergedButNeverStored) {
  MakeSite("rg1", "v1", "10.1.0.0/16", "10.1.255.0/27");
  MakeSite("rg2", "v2", "10.2.0.0/16", "10.2.255.0/27");
  NoFabric plain;
  Reconciler(*svc_, plain, Opts()).RunOnce();
  ASSERT_TRUE(svc_->Put(Id(Kind::kConnection, "rg1", "c"),
                        ConnBody(Id(Kind::kVirtualNetworkGateway, "rg1", "v1gw").ToString(),
                                 Id(Kind::kVirtualNetworkGateway, "rg2", "v2gw").ToString()),
                        {}));
  Reconciler(*svc_, plain, Opts()).RunOnce();
  EXPECT_EQ((*svc_->Get(Id(Kind::kConnection, "rg1", "c")))["properties"]["connectionStatus"], "Unknown");
  const auto gen = svc_->generation();
  FailingRealizer observing;  // its observation reports Connected with byte counts
  Reconciler(*svc_, observing, Opts()).RunOnce();
  auto c = svc_->Get(Id(Kind::kConnection, "rg1", "c"));
  EXPECT_EQ((*c)["properties"]["connectionStatus"], "Connected");
  EXPECT_EQ((*c)["properties"]["ingressBytesTransferred"], 10);
  EXPECT_EQ((*c)["properties"]["egressBytesTransferred"], 20);
  EXPECT_EQ(svc_->generation(), gen);  // observed status does not wake the reconciler
  Open();                              // ... and is not in the store
  EXPECT_EQ((*svc_->Get(Id(Kind::kConnection, "rg1", "c")))["properties"]["connectionStatus"], "Unknown");
}

TEST_F(ServiceTest, SharedKeyOnlyThroughItsOwnCalls) {
  MakeSite("rg1", "v1", "10.1.0.0/16", "10.1.255.0/27");
  MakeSite("rg2", "v2", "10.2.0.0/16", "10.2.255.0/27");
  NoFabric realizer;
  Reconciler rec(*svc_, realizer, Opts());
  rec.RunOnce();
  auto id = Id(Kind::kConnection, "rg1", "c");
  auto put = svc_->Put(id,
                       ConnBody(Id(Kind::kVirtualNetworkGateway, "rg1", "v1gw").ToString(),
                                Id(Kind::kVirtualNetworkGateway, "rg2", "v2gw").ToString()),
                       {});
  ASSERT_TRUE(put);
  EXPECT_EQ(put->body.dump().find("TopSecret123"), std::string::npos);
  EXPECT_EQ(svc_->Get(id)->dump().find("TopSecret123"), std::string::npos);
  // Gateway references come back as ARM writes them, with an (empty) properties object: Microsoft's
  // TypeSpec-generated SDKs read it unconditionally.
  for (const char* ref : {"virtualNetworkGateway1", "virtualNetworkGateway2"}) {
    EXPECT_EQ((*svc_->Get(id))["properties"][ref]["properties"], Json::object()) << ref;
    EXPECT_EQ(put->body["properties"][ref]["properties"], Json::object()) << ref;
  }
  EXPECT_EQ(svc_->List(Kind::kConnection, ResourceId::Group(sub_, "rg1"))->dump().find("TopSecret123"),
            std::string::npos);
  EXPECT_EQ(*svc_->GetSharedKey(id), "TopSecret123");
  rec.RunOnce();
  ASSERT_TRUE(svc_->ResetSharedKey(id, 40));
  auto k = svc_->GetSharedKey(id);
  EXPECT_EQ(k->size(), 40u);
  EXPECT_NE(*k, "TopSecret123");
  EXPECT_FALSE(svc_->ResetSharedKey(id, 0));
  EXPECT_FALSE(svc_->ResetSharedKey(id, 129));
}

TEST_F(ServiceTest, EtagPreconditions) {
  auto rg = ResourceId::Group(sub_, "rg1");
  ASSERT_TRUE(svc_->Put(rg, {{"location", "westus"}}, {}));
  auto v = Id(Kind::kVirtualNetwork, "rg1", "v");
  Json body = {{"location", "westus"},
               {"properties", {{"addressSpace", {{"addressPrefixes", {"10.0.0.0/16"}}}}}}};
  auto first = svc_->Put(v, body, {});
  ASSERT_TRUE(first);
  std::string etag = first->body["etag"];
  Preconditions none_match;
  none_match.if_none_match_any = true;
  auto again = svc_->Put(v, body, none_match);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kPreconditionFailed);
  Preconditions match;
  match.if_match = etag;
  auto second = svc_->Put(v, body, match);
  ASSERT_TRUE(second);
  EXPECT_NE(second->body["etag"], etag);
  auto stale = svc_->Put(v, body, match);  // the old etag no longer matches
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().kind, ErrorKind::kPreconditionFailed);
  auto del = svc_->Delete(v, match);
  ASSERT_FALSE(del);
  EXPECT_EQ(del.error().kind, ErrorKind::kPreconditionFailed);
}

TEST_F(ServiceTest, GroupDeleteCascadesThroughTheReconciler) {
  MakeSite("rg1", "v1", "10.1.0.0/16", "10.1.255.0/27");
  {
    NoFabric realizer;
    Reconciler rec(*svc_, realizer, Opts());  // must not outlive the service that Open() replaces below
    rec.RunOnce();
    auto d = svc_->Delete(ResourceId::Group(sub_, "rg1"), {});
    ASSERT_TRUE(d && d->operation_id);
    for (int i = 0; i < 5 && svc_->Get(ResourceId::Group(sub_, "rg1")); ++i) rec.RunOnce();
    EXPECT_FALSE(svc_->Get(ResourceId::Group(sub_, "rg1")));
    EXPECT_EQ((*svc_->GetOperation(*d->operation_id))["status"], "Succeeded");
    EXPECT_TRUE(svc_->Pending().empty());
  }
  Open();
  EXPECT_FALSE(svc_->Get(Id(Kind::kVirtualNetwork, "rg1", "v1")));
}

}  // namespace
}  // namespace isthmus::mgmt
