// The live-status routes through the Router: getikesas, Network Watcher's troubleshoot and
// connectivityCheck (against a fake FabricAdmin), and /metrics. Observations are set through the
// service's reconciler seam, as the reconciler would after observing the gateways.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/clock.h"
#include "mgmt/metrics/metrics.h"
#include "mgmt/reconcile/reconciler.h"
#include "mgmt/rest/router.h"
#include "mgmt/store/sqlite_store.h"

namespace isthmus::mgmt {
namespace {

// A path's api-version family: network and compute resources keep the given one; groups and
// subscriptions take a resources version.
const char* ForPath(const std::string& path, const char* resource_api) {
  if (path.find("/providers/") != std::string::npos) return resource_api;
  return "2022-09-01";
}

constexpr const char* kToken = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
constexpr const char* kApi = "2023-09-01";

class FakeFabricAdmin final : public FabricAdmin {
 public:
  Result<Json> Status() override { return Json::object(); }
  Result<Json> Cleanup() override { return Json::object(); }
  Result<Json> Resume() override { return Json::object(); }
  Result<Json> CheckConnectivity(const std::string& vm_key, const ConnectivityProbe& probe) override {
    calls.emplace_back(vm_key, probe);
    if (error) return Fail(*error);
    return answer;
  }
  std::vector<std::pair<std::string, ConnectivityProbe>> calls;
  Json answer = Json::parse(R"({"hops": [{"type": "Source", "id": "source"}], "connectionStatus": "Reachable",
      "avgLatencyInMs": 1, "minLatencyInMs": 0, "maxLatencyInMs": 3, "probesSent": 10, "probesFailed": 0})");
  std::optional<Error> error;
};

// A gateway status entry as isthmus-gateway's StatusJson writes it.
nlohmann::json GatewayEntry(const std::string& state, const std::string& last_error = "") {
  auto j = nlohmann::json::parse(R"({
    "name": "conn", "state": "Connected", "local": "198.18.0.1[4500]", "remote": "198.18.0.2[4500]",
    "ike_sa": {"spi_i": "00000000000000ff", "spi_r": "0000000000000100", "initiator": true,
               "algorithms": "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256", "udp_encapsulated": true,
               "established_s": 30, "lifetime_s": 28800},
    "ike_rekeys": 0, "child_rekeys": 0,
    "children": [{"id": 1, "state": "INSTALLED", "inbound_spi": "c1a20001", "outbound_spi": "c1a20002",
                  "algorithms": "ESP:AES_GCM_16_256/NO_EXT_SEQ", "local_prefixes": ["10.1.0.0/16"],
                  "remote_prefixes": ["10.2.0.0/16"], "established_s": 29, "lifetime_s": 27000}],
    "in": {"packets": 7, "bytes": 12345}, "out": {"packets": 8, "bytes": 678}, "drops": {}})");
  j["state"] = state;
  if (state != "Connected") {
    j.erase("ike_sa");
    j["children"] = nlohmann::json::array();
  }
  if (!last_error.empty()) j["last_error"] = last_error;
  return j;
}

class StatusRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteStore::Open(":memory:");
    ASSERT_TRUE(store) << store.error().message;
    svc_ = std::make_unique<ResourceService>(std::move(*store),
                                             ServiceOptions{*net::Prefix::Parse("198.18.0.0/15")}, rng_);
    ASSERT_TRUE(svc_->Open());
    sub_ = svc_->DefaultSubscription();
    router_ = std::make_unique<Router>(*svc_, kToken, nullptr, &admin_);
    bare_ = std::make_unique<Router>(*svc_, kToken);
    Topology();
  }

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& body = "",
                    const char* api = kApi, const Router* router = nullptr, const char* token = kToken) {
    HttpRequest req;
    req.method = method;
    req.path = path;
    // The default picks the family's version by path, as clients do (rest/api_versions.cc).
    if (api == kApi) api = ForPath(path, api);
    if (api) req.query["api-version"] = api;
    if (token) req.headers["authorization"] = fmt::format("Bearer {}", token);
    req.body = body;
    return (router ? *router : *router_).Handle(req);
  }
  HttpResponse Post(const std::string& path, const Json& body, const Router* router = nullptr) {
    return Call("POST", path, body.dump(), kApi, router);
  }
  static Json J(const HttpResponse& r) { return Json::parse(r.body, nullptr, false); }
  static std::string Code(const HttpResponse& r) {
    Json j = J(r);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
  }

  std::string Rg(const std::string& rg = "rg") const {
    return "/subscriptions/" + sub_ + "/resourceGroups/" + rg;
  }
  std::string Net(const std::string& type, const std::string& name) const {
    return fmt::format("{}/providers/Microsoft.Network/{}/{}", Rg(), type, name);
  }
  std::string Vm(const std::string& name = "vm1") const {
    return fmt::format("{}/providers/Microsoft.Compute/virtualMachines/{}", Rg(), name);
  }
  // Where our CLI (and az) sends Network Watcher requests: a group and watcher that need not exist.
  std::string Watcher(const std::string& action) const {
    return fmt::format("{}/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westus2/{}",
                       Rg("NetworkWatcherRG"), action);
  }
  std::string Key(const std::string& path) const { return ToLower(path); }

  void Settle() {
    ReconcilerOptions opts;
    opts.render.underlay_pool = *net::Prefix::Parse("198.18.0.0/15");
    Reconciler reconciler(*svc_, realizer_, opts);
    for (int i = 0; i < 10 && reconciler.RunOnce().progressed > 0; ++i) {
    }
  }

  void MustPut(const std::string& path, const Json& body, const char* api = kApi) {
    HttpResponse r = Call("PUT", path, body.dump(), api);
    ASSERT_TRUE(r.status == 200 || r.status == 201) << path << ": " << r.body;
  }

  // rg: VNet1/VNet2 with gateways gw1/gw2, connection conn (gw1 → gw2), VM vm1 in VNet1, all provisioned.
  void Topology() {
    MustPut(Rg(), {{"location", "westus2"}}, "2022-09-01");
    for (int i : {1, 2}) {
      MustPut(Net("virtualNetworks", fmt::format("VNet{}", i)),
              {{"location", "westus2"},
               {"properties",
                {{"addressSpace", {{"addressPrefixes", {fmt::format("10.{}.0.0/16", i)}}}},
                 {"subnets",
                  {{{"name", "GatewaySubnet"},
                    {"properties", {{"addressPrefix", fmt::format("10.{}.255.0/27", i)}}}},
                   {{"name", "default"},
                    {"properties", {{"addressPrefix", fmt::format("10.{}.0.0/24", i)}}}}}}}}});
      MustPut(Net("publicIPAddresses", fmt::format("pip{}", i)),
              {{"location", "westus2"}, {"sku", {{"name", "Standard"}}}});
      MustPut(
          Net("virtualNetworkGateways", fmt::format("gw{}", i)),
          {{"location", "westus2"},
           {"properties",
            {{"gatewayType", "Vpn"},
             {"vpnType", "RouteBased"},
             {"sku", {{"name", "VpnGw1"}}},
             {"ipConfigurations",
              {{{"name", "cfg"},
                {"properties",
                 {{"subnet",
                   {{"id", Net("virtualNetworks", fmt::format("VNet{}", i)) + "/subnets/GatewaySubnet"}}},
                  {"publicIPAddress", {{"id", Net("publicIPAddresses", fmt::format("pip{}", i))}}}}}}}}}}});
    }
    Settle();
    MustPut(Net("connections", "conn"),
            {{"location", "westus2"},
             {"properties",
              {{"connectionType", "Vnet2Vnet"},
               {"virtualNetworkGateway1", {{"id", Net("virtualNetworkGateways", "gw1")}}},
               {"virtualNetworkGateway2", {{"id", Net("virtualNetworkGateways", "gw2")}}},
               {"sharedKey", "Secret-Key-1"}}}});
    MustPut(Net("networkInterfaces", "vm1VMNic"),
            {{"location", "westus2"},
             {"properties",
              {{"ipConfigurations",
                {{{"name", "ipconfigvm1"},
                  {"properties",
                   {{"privateIPAllocationMethod", "Dynamic"},
                    {"subnet", {{"id", Net("virtualNetworks", "VNet1") + "/subnets/default"}}}}}}}}}}});
    MustPut(
        Vm(),
        {{"location", "westus2"},
         {"properties",
          {{"hardwareProfile", {{"vmSize", "Standard_B1s"}}},
           {"networkProfile", {{"networkInterfaces", {{{"id", Net("networkInterfaces", "vm1VMNic")}}}}}}}}},
        "2024-07-01");
    Settle();
  }

  // What the reconciler would write: conn observed from `entry`, gw1 running (or not), gw2 running.
  void Observe(const nlohmann::json& entry, bool gw1_running = true) {
    GatewayObservation up{true, std::make_shared<const nlohmann::json>(nlohmann::json::object()), "", 0};
    GatewayObservation down{false, nullptr, "isthmus-gateway exited", 3};
    svc_->SetObserved({{Key(Net("connections", "conn")), ObserveConnection(entry, false)}},
                      {{Key(Net("virtualNetworkGateways", "gw1")), gw1_running ? up : down},
                       {Key(Net("virtualNetworkGateways", "gw2")), up}});
  }

  Json ConnectivityBody(const std::string& protocol, const Json& port) const {
    Json dest = {{"address", "10.2.0.4"}};
    if (!port.is_null()) dest["port"] = port;
    Json b = {{"source", {{"resourceId", Vm()}}}, {"destination", dest}};
    if (!protocol.empty()) b["protocol"] = protocol;
    return b;
  }

  SeededRng rng_{11};
  std::unique_ptr<ResourceService> svc_;
  FakeFabricAdmin admin_;
  NoFabric realizer_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<Router> bare_;  // isthmusd --fabric none
  std::string sub_;
};

// ---- getikesas ----------------------------------------------------------------------------------------

TEST_F(StatusRouterTest, GetIkeSasAnswersTheSerializedArrayAsAString) {
  Observe(GatewayEntry("Connected"));
  HttpResponse r = Call("POST", Net("connections", "conn") + "/getikesas");
  ASSERT_EQ(r.status, 200) << r.body;
  Json body = J(r);
  ASSERT_TRUE(body.is_string()) << "Azure's REST spec types the result as a string: " << r.body;
  Json sas = Json::parse(body.get<std::string>());
  ASSERT_EQ(sas.size(), 1u);
  EXPECT_EQ(sas[0]["localEndpoint"], "198.18.0.1");
  EXPECT_EQ(sas[0]["initiatorCookie"], 255);
  EXPECT_EQ(sas[0]["responderCookie"], 256);
  EXPECT_EQ(sas[0]["encryption"], "GCMAES256");
  EXPECT_EQ(sas[0]["dhGroup"], "ECP256");
  EXPECT_EQ(sas[0]["quickModeSa"][0]["inboundSpi"], 0xc1a20001u);
  EXPECT_EQ(sas[0]["quickModeSa"][0]["remoteTrafficSelectors"], Json::array({"10.2.0.0/16"}));
}

TEST_F(StatusRouterTest, GetIkeSasOfAConnectionThatIsDownOrMissing) {
  Observe(GatewayEntry("NotConnected", "AUTHENTICATION_FAILED"));
  HttpResponse down = Call("POST", Net("connections", "conn") + "/getikesas");
  ASSERT_EQ(down.status, 200);
  EXPECT_EQ(J(down), Json("[]"));
  svc_->SetObserved({});
  EXPECT_EQ(J(Call("POST", Net("connections", "conn") + "/getikesas")), Json("[]")) << "never observed";

  HttpResponse missing = Call("POST", Net("connections", "nope") + "/getikesas");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Code(missing), "ResourceNotFound");
  EXPECT_EQ(Call("GET", Net("connections", "conn") + "/getikesas").status, 405);
  EXPECT_EQ(Call("POST", Net("virtualNetworkGateways", "gw1") + "/getikesas").status, 404)
      << "an action of connections only";
}

// ---- troubleshoot -------------------------------------------------------------------------------------

TEST_F(StatusRouterTest, TroubleshootAConnectionFromItsObservation) {
  Observe(GatewayEntry("NotConnected", "AUTHENTICATION_FAILED"));
  Json body = {{"target", Net("connections", "conn")},
               {"properties",
                {{"storageId",
                  "/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/"
                  "storageAccounts/z"},
                 {"storagePath", "https://z.blob.core.windows.net/logs"}}}};
  HttpResponse r = Post(Watcher("troubleshoot"), body);
  ASSERT_EQ(r.status, 200) << r.body;
  Json result = J(r);
  EXPECT_EQ(result["code"], "UnHealthy");
  EXPECT_EQ(result["results"][0]["id"], "Authentication");
  EXPECT_FALSE(result["results"][0]["recommendedActions"].empty());
  EXPECT_TRUE(result["startTime"].is_string());
  EXPECT_TRUE(result["endTime"].is_string());

  Observe(GatewayEntry("Connected"));
  Json healthy = J(Post(Watcher("troubleshoot"), {{"target", Net("connections", "conn")}}));
  EXPECT_EQ(healthy["code"], "Healthy") << "storage is optional here";
  EXPECT_EQ(healthy["results"][0]["id"], "NoFault");

  Observe(GatewayEntry("Connected"), false);
  EXPECT_EQ(J(Post(Watcher("troubleshoot"), {{"target", Net("connections", "conn")}}))["results"][0]["id"],
            "GatewayNotFound")
      << "the gateway's own observation decides whether it runs";
  EXPECT_EQ(J(Post(Watcher("troubleshoot"), {{"target", Net("connections", "conn")}}, bare_.get()))["code"],
            "UnHealthy")
      << "troubleshoot needs no FabricAdmin";
}

TEST_F(StatusRouterTest, TroubleshootAGatewayCountsItsConnections) {
  Observe(GatewayEntry("Connecting", "peer did not answer (retransmissions exhausted)"));
  Json gw1 = J(Post(Watcher("troubleshoot"), {{"target", Net("virtualNetworkGateways", "gw1")}}));
  EXPECT_EQ(gw1["code"], "UnHealthy");
  EXPECT_EQ(gw1["results"][0]["id"], "ConnectionsNotConnected");
  EXPECT_NE(gw1["results"][0]["detail"].get<std::string>().find("conn"), std::string::npos);
  Json conn = J(Post(Watcher("troubleshoot"), {{"target", Net("connections", "conn")}}));
  EXPECT_EQ(conn["results"][0]["id"], "PeerReachability");

  Json gw2 = J(Post(Watcher("troubleshoot"), {{"target", Net("virtualNetworkGateways", "gw2")}}));
  EXPECT_EQ(gw2["results"][0]["id"], "NoConnectionsFoundForGateway") << "conn runs on gw1 only";

  Observe(GatewayEntry("Connected"), false);
  Json stopped = J(Post(Watcher("troubleshoot"), {{"target", Net("virtualNetworkGateways", "gw1")}}));
  EXPECT_EQ(stopped["results"][0]["id"], "ServiceNotRunning");

  Observe(GatewayEntry("Connected"));
  EXPECT_EQ(J(Post(Watcher("troubleshoot"), {{"target", Net("virtualNetworkGateways", "gw1")}}))["code"],
            "Healthy");
}

TEST_F(StatusRouterTest, TroubleshootRefusesWhatItCannotDiagnose) {
  HttpResponse missing = Post(Watcher("troubleshoot"), {{"target", Net("connections", "nope")}});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Code(missing), "ResourceNotFound");
  HttpResponse vnet = Post(Watcher("troubleshoot"), {{"target", Net("virtualNetworks", "VNet1")}});
  EXPECT_EQ(vnet.status, 400);
  EXPECT_EQ(Code(vnet), "UnsupportedTargetResourceType");
  EXPECT_NE(J(vnet)["error"]["message"].get<std::string>().find("virtual network"), std::string::npos);
  EXPECT_EQ(Code(Post(Watcher("troubleshoot"), Json::object())), "MissingTarget");
  EXPECT_EQ(Post(Watcher("troubleshoot"), {{"target", 7}}).status, 400);
  EXPECT_EQ(Code(Post(Watcher("troubleshoot"), {{"target", "not-an-id"}})), "InvalidTargetResourceId");
  EXPECT_EQ(
      Post(Watcher("troubleshoot"), {{"target", Net("connections", "conn")}, {"properties", "x"}}).status,
      400);
  EXPECT_EQ(Call("POST", Watcher("troubleshoot"), "{").status, 400);
  EXPECT_EQ(Call("GET", Watcher("troubleshoot")).status, 405);
  EXPECT_EQ(Call("POST", Watcher("queryTroubleshootResult"), "{}").status, 404);
  EXPECT_EQ(Call("GET", Rg() + "/providers/Microsoft.Network/networkWatchers/nw").status, 404);
  EXPECT_EQ(Call("POST", Watcher("troubleshoot"), "{}", nullptr).status, 400)
      << "api-version is still required";
}

// ---- connectivityCheck --------------------------------------------------------------------------------

TEST_F(StatusRouterTest, ConnectivityCheckRunsThroughTheFabric) {
  HttpResponse r = Post(Watcher("connectivityCheck"), ConnectivityBody("", 80));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(J(r)["connectionStatus"], "Reachable");
  EXPECT_EQ(J(r)["probesSent"], 10);
  ASSERT_EQ(admin_.calls.size(), 1u);
  EXPECT_EQ(admin_.calls[0].first, Key(Vm())) << "the VM's resource key, as the fabric's plan names it";
  EXPECT_EQ(admin_.calls[0].second.protocol, "Tcp") << "Azure's default";
  EXPECT_EQ(admin_.calls[0].second.address, "10.2.0.4");
  EXPECT_EQ(admin_.calls[0].second.port, 80);

  ASSERT_EQ(Post(Watcher("connectivitycheck"), ConnectivityBody("icmp", nullptr)).status, 200);
  EXPECT_EQ(admin_.calls[1].second.protocol, "Icmp") << "protocol names match case-insensitively";

  admin_.error = Error::Conflict("VMNotRealized", "The source VM is not running on this host yet.");
  HttpResponse busy = Post(Watcher("connectivityCheck"), ConnectivityBody("Tcp", 22));
  EXPECT_EQ(busy.status, 409);
  EXPECT_EQ(Code(busy), "VMNotRealized");
}

TEST_F(StatusRouterTest, ConnectivityCheckValidatesTheWholeRequestFirst) {
  struct Case {
    Json body;
    int status;
    std::string code;
  };
  Json no_address = ConnectivityBody("Tcp", 80);
  no_address["destination"].erase("address");
  Json hostname = ConnectivityBody("Tcp", 80);
  hostname["destination"]["address"] = "example.com; reboot";
  Json not_vm = ConnectivityBody("Tcp", 80);
  not_vm["source"]["resourceId"] = Net("virtualNetworks", "VNet1");
  Json missing_vm = ConnectivityBody("Tcp", 80);
  missing_vm["source"]["resourceId"] = Vm("nope");
  const std::vector<Case> cases = {
      {no_address, 400, "InvalidDestination"},
      {hostname, 400, "InvalidDestination"},
      {ConnectivityBody("Tcp", nullptr), 400, "InvalidDestinationPort"},
      {ConnectivityBody("Tcp", 0), 400, "InvalidDestinationPort"},
      {ConnectivityBody("Tcp", 65536), 400, "InvalidDestinationPort"},
      {ConnectivityBody("Tcp", "80"), 400, "InvalidDestinationPort"},
      {ConnectivityBody("Https", 443), 400, "UnsupportedProtocol"},
      {ConnectivityBody("Udp", 53), 400, "InvalidProtocol"},
      {not_vm, 400, "InvalidSourceResource"},
      {Json{{"destination", {{"address", "10.2.0.4"}, {"port", 80}}}}, 400, "InvalidRequestFormat"},
      {missing_vm, 404, "ResourceNotFound"},
  };
  for (const auto& c : cases) {
    HttpResponse r = Post(Watcher("connectivityCheck"), c.body);
    EXPECT_EQ(r.status, c.status) << c.body.dump() << ": " << r.body;
    EXPECT_EQ(Code(r), c.code) << c.body.dump();
  }
  EXPECT_TRUE(admin_.calls.empty()) << "nothing reached the fabric";
}

TEST_F(StatusRouterTest, ConnectivityCheckWithoutAFabricIs409) {
  HttpResponse r = Post(Watcher("connectivityCheck"), ConnectivityBody("Tcp", 80), bare_.get());
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(Code(r), "FabricNotRunning");
  HttpResponse bad = Post(Watcher("connectivityCheck"), ConnectivityBody("Tcp", nullptr), bare_.get());
  EXPECT_EQ(bad.status, 400) << "a bad request is told so, fabric or not";
}

// ---- /metrics -----------------------------------------------------------------------------------------

TEST_F(StatusRouterTest, MetricsServesPrometheusTextFromTheObservations) {
  Observe(GatewayEntry("Connected"), false);
  svc_->RecordReconcilePass(0.5);
  HttpResponse r = Call("GET", "/metrics", "", nullptr);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["Content-Type"], kMetricsContentType);
  auto has = [&](const std::string& line) {
    return ("\n" + r.body).find("\n" + line + "\n") != std::string::npos;
  };
  EXPECT_TRUE(has(
      R"(isthmus_connection_ingress_bytes_total{connection="conn",gateway="gw1",resource_group="rg"} 12345)"))
      << r.body;
  EXPECT_TRUE(has(
      R"(isthmus_connection_egress_bytes_total{connection="conn",gateway="gw1",resource_group="rg"} 678)"));
  EXPECT_TRUE(has(R"(isthmus_connection_up{connection="conn",gateway="gw1",resource_group="rg"} 1)"));
  EXPECT_TRUE(has(R"(isthmus_gateway_up{gateway="gw1",resource_group="rg"} 0)"));
  EXPECT_TRUE(has(R"(isthmus_gateway_restarts_total{gateway="gw1",resource_group="rg"} 3)"));
  EXPECT_TRUE(has(R"(isthmus_gateway_up{gateway="gw2",resource_group="rg"} 1)"));
  EXPECT_TRUE(has(R"(isthmus_resources{type="Microsoft.Network/virtualNetworkGateways"} 2)"));
  EXPECT_TRUE(has(R"(isthmus_resources{type="Microsoft.Network/virtualNetworks/subnets"} 4)"));
  EXPECT_TRUE(has(R"(isthmus_resources{type="Microsoft.Compute/virtualMachines"} 1)"));
  EXPECT_TRUE(has("isthmus_reconcile_last_pass_seconds 0.5"));
  EXPECT_EQ(r.body.find("Secret-Key-1"), std::string::npos);

  svc_->SetObserved({});
  HttpResponse unobserved = Call("GET", "/metrics", "", nullptr);
  EXPECT_NE(
      unobserved.body.find(
          R"(isthmus_connection_status{connection="conn",gateway="gw1",resource_group="rg",status="Unknown"} 1)"),
      std::string::npos)
      << "a connection nobody observed is still listed, as Unknown";
}

TEST_F(StatusRouterTest, MetricsNeedsTheTokenButNoApiVersion) {
  HttpResponse anonymous = Call("GET", "/metrics", "", nullptr, nullptr, nullptr);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.body.find("isthmus_"), std::string::npos);
  EXPECT_EQ(Call("GET", "/metrics", "", nullptr, nullptr, "wrong-token").status, 401);
  EXPECT_EQ(Call("GET", "/metrics", "", kApi).status, 200) << "an api-version does no harm";
  EXPECT_EQ(Call("POST", "/metrics", "", nullptr).status, 405);
  EXPECT_EQ(Call("GET", "/metrics/x", "", nullptr).status, 404);
}

}  // namespace
}  // namespace isthmus::mgmt
