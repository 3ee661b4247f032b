// Router without sockets: a real ResourceService over an in-memory SqliteStore, seeded randomness, and
// the reconciler run by hand, so every answer is deterministic. Covers authentication, api-version,
// the routing table and the HTTP status of each error kind.
#include "mgmt/rest/router.h"

#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/clock.h"
#include "mgmt/reconcile/reconciler.h"
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
constexpr const char* kApi = "2023-09-01";

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(42); }

  void Open(std::uint64_t seed) {
    router_.reset();
    svc_.reset();
    rng_ = std::make_unique<SeededRng>(seed);
    auto store = SqliteStore::Open(":memory:");
    ASSERT_TRUE(store) << store.error().message;
    svc_ = std::make_unique<ResourceService>(std::move(*store),
                                             ServiceOptions{*net::Prefix::Parse("198.18.0.0/15")}, *rng_);
    ASSERT_TRUE(svc_->Open());
    sub_ = svc_->DefaultSubscription();
    router_ = std::make_unique<Router>(*svc_, kToken);
  }

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& body = "",
                    std::map<std::string, std::string> headers = {}, const char* api = kApi) {
    HttpRequest req;
    req.method = method;
    req.path = path;
    // The default picks the family's version by path, as clients do (rest/api_versions.cc).
    if (api == kApi) api = ForPath(path, api);
    if (api) req.query["api-version"] = api;
    if (!headers.contains("authorization")) headers["authorization"] = fmt::format("Bearer {}", kToken);
    req.headers = std::move(headers);
    req.body = body;
    return router_->Handle(req);
  }
  HttpResponse Put(const std::string& path, const Json& body) { return Call("PUT", path, body.dump()); }

  // Drives every pending operation to its end, as isthmusd's reconciler thread would.
  void Settle() {
    ReconcilerOptions opts;
    opts.render.underlay_pool = *net::Prefix::Parse("198.18.0.0/15");
    Reconciler reconciler(*svc_, realizer_, opts);
    for (int i = 0; i < 10 && reconciler.RunOnce().progressed > 0; ++i) {
    }
  }

  static Json J(const HttpResponse& r) { return Json::parse(r.body, nullptr, false); }
  static std::string Code(const HttpResponse& r) {
    Json j = J(r);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
  }

  std::string Sub() const { return "/subscriptions/" + sub_; }
  std::string Rg(const std::string& rg = "rg") const { return Sub() + "/resourceGroups/" + rg; }
  std::string Net(const std::string& type, const std::string& name, const std::string& rg = "rg") const {
    return fmt::format("{}/providers/Microsoft.Network/{}/{}", Rg(rg), type, name);
  }

  // rg: VNet1 (10.1/16) and VNet2 (10.2/16) with GatewaySubnets, two public IPs, two gateways, a
  // connection with key "Secret-Key-1", all provisioned.
  void Topology() {
    ASSERT_EQ(Put(Rg(), {{"location", "westus2"}}).status, 201);
    for (int i : {1, 2}) {
      Json vnet = {
          {"location", "westus2"},
          {"properties",
           {{"addressSpace", {{"addressPrefixes", {fmt::format("10.{}.0.0/16", i)}}}},
            {"subnets",
             {{{"name", "GatewaySubnet"},
               {"properties", {{"addressPrefix", fmt::format("10.{}.255.0/27", i)}}}},
              {{"name", "default"}, {"properties", {{"addressPrefix", fmt::format("10.{}.0.0/24", i)}}}}}}}}};
      ASSERT_EQ(Put(Net("virtualNetworks", fmt::format("VNet{}", i)), vnet).status, 201);
      ASSERT_EQ(Put(Net("publicIPAddresses", fmt::format("pip{}", i)),
                    {{"location", "westus2"}, {"sku", {{"name", "Standard"}}}})
                    .status,
                201);
      ASSERT_EQ(Put(Net("virtualNetworkGateways", fmt::format("gw{}", i)), Gateway(i, i)).status, 201);
    }
    Settle();
    ASSERT_EQ(Put(Net("connections", "conn"), Connection("gw1", "gw2", "Secret-Key-1")).status, 201);
    Settle();
  }
  Json Gateway(int vnet, int pip) const {
    return {{"location", "westus2"},
            {"properties",
             {{"gatewayType", "Vpn"},
              {"vpnType", "RouteBased"},
              {"sku", {{"name", "VpnGw1"}}},
              {"ipConfigurations",
               {{{"name", "cfg"},
                 {"properties",
                  {{"subnet",
                    {{"id", Net("virtualNetworks", fmt::format("VNet{}", vnet)) + "/subnets/GatewaySubnet"}}},
                   {"publicIPAddress", {{"id", Net("publicIPAddresses", fmt::format("pip{}", pip))}}}}}}}}}}};
  }
  Json Connection(const std::string& gw1, const std::string& gw2, const std::string& key) const {
    return {{"location", "westus2"},
            {"properties",
             {{"connectionType", "Vnet2Vnet"},
              {"virtualNetworkGateway1", {{"id", Net("virtualNetworkGateways", gw1)}}},
              {"virtualNetworkGateway2", {{"id", Net("virtualNetworkGateways", gw2)}}},
              {"sharedKey", key}}}};
  }

  std::unique_ptr<SeededRng> rng_;
  std::unique_ptr<ResourceService> svc_;
  std::unique_ptr<Router> router_;
  NoFabric realizer_;
  std::string sub_;
};

// ---- Authentication -----------------------------------------------------------------------------------

TEST_F(RouterTest, EveryRequestNeedsTheBearerToken) {
  const std::string token = kToken;
  std::string flipped = token;
  flipped.back() = 'x';
  for (const std::string& auth :
       std::vector<std::string>{std::string(), "Bearer", "Bearer ", "Bearer " + flipped,
                                "Bearer " + token + "f", "Bearer " + token.substr(1), "Basic " + token,
                                "Token " + token, token, "Bearer  " + token, " Bearer " + token}) {
    HttpResponse r = Call("GET", "/subscriptions", "", {{"authorization", auth}});
    EXPECT_EQ(r.status, 401) << "'" << auth << "'";
    EXPECT_EQ(Code(r), "AuthenticationFailed");
    EXPECT_EQ(r.headers["WWW-Authenticate"], "Bearer");
    EXPECT_EQ(r.body.find(token), std::string::npos) << "the token is never echoed";
  }
  for (const std::string scheme : {"Bearer ", "bearer ", "BEARER "}) {
    EXPECT_EQ(Call("GET", "/subscriptions", "", {{"authorization", scheme + token}}).status, 200) << scheme;
  }
  // Authentication comes before everything else: size limit, routing, api-version, methods.
  EXPECT_EQ(Call("PUT", Rg(), std::string(Router::kMaxBodyBytes + 1, ' '), {{"authorization", ""}}).status,
            401);
  EXPECT_EQ(Call("GET", "/nowhere", "", {{"authorization", ""}}).status, 401);
  EXPECT_EQ(Call("GET", "/subscriptions", "", {{"authorization", ""}}, nullptr).status, 401);
  EXPECT_EQ(Call("DELETE", "/subscriptions", "", {{"authorization", ""}}).status, 401);
  EXPECT_EQ(Call("PUT", Rg(), R"({"location":"westus2"})", {{"authorization", ""}}).status, 401);
  EXPECT_EQ(Call("GET", Rg()).status, 404) << "the refused PUT stored nothing";
}

TEST_F(RouterTest, AnEmptyConfiguredTokenAdmitsNobody) {
  Router open(*svc_, "");
  HttpRequest req{"GET", "/subscriptions", {{"api-version", kApi}}, {{"authorization", "Bearer "}}, ""};
  EXPECT_EQ(open.Handle(req).status, 401);
  req.headers["authorization"] = "Bearer";
  EXPECT_EQ(open.Handle(req).status, 401);
}

// ---- Size limit and api-version -----------------------------------------------------------------------

TEST_F(RouterTest, BodiesAboveTheLimitAre413) {
  ASSERT_EQ(Put(Rg(), {{"location", "westus2"}}).status, 201);
  HttpResponse over = Call("PUT", Rg(), std::string(Router::kMaxBodyBytes + 1, ' '));
  EXPECT_EQ(over.status, 413);
  EXPECT_EQ(Code(over), "RequestEntityTooLarge");
  // At the limit the body is parsed (and here rejected for what it is, not for its size).
  HttpResponse at = Call("PUT", Rg(), std::string(Router::kMaxBodyBytes, ' '));
  EXPECT_EQ(at.status, 400);
  EXPECT_EQ(Code(at), "InvalidRequestContent");
  Json big = {{"location", "westus2"}, {"tags", {{"a", "b"}}}};
  std::string padded = big.dump();
  padded.insert(padded.size() - 1, std::string(Router::kMaxBodyBytes - padded.size(), ' '));
  ASSERT_EQ(padded.size(), Router::kMaxBodyBytes);
  EXPECT_EQ(Call("PUT", Rg(), padded).status, 200);
}

TEST_F(RouterTest, ApiVersionIsRequiredOnEveryArmRoute) {
  for (const std::string& path :
       std::vector<std::string>{"/subscriptions", Sub(), Rg(), Net("virtualNetworks", "v")}) {
    HttpResponse missing = Call("GET", path, "", {}, nullptr);
    EXPECT_EQ(missing.status, 400) << path;
    EXPECT_EQ(Code(missing), "MissingApiVersionParameter") << path;
    EXPECT_EQ(Code(Call("GET", path, "", {}, "")), "MissingApiVersionParameter") << path;
    HttpResponse bad = Call("GET", path, "", {}, "2015-01-01");
    EXPECT_EQ(bad.status, 400) << path;
    EXPECT_EQ(Code(bad), "InvalidApiVersionParameter") << path;
    EXPECT_NE(J(bad)["error"]["message"].get<std::string>().find("2015-01-01"), std::string::npos);
  }
  // Per family (rest/api_versions.cc): what az (latest and the 2020-09-01-hybrid profile) and the current
  // SDKs send.
  for (const char* v :
       {"2016-06-01", "2019-11-01", "2020-06-01", "2021-04-01", "2022-09-01", "2022-12-01", "2025-04-01"}) {
    EXPECT_EQ(Call("GET", "/subscriptions", "", {}, v).status, 200) << v;
  }
  for (const char* v : {"2019-10-01", "2021-04-01", "2025-04-01"}) {
    EXPECT_EQ(Call("PUT", Rg(), R"({"location":"westus"})", {}, v).status / 100, 2) << v;
  }
  for (const char* v : {"2018-11-01", "2022-01-01", "2022-07-01", "2023-09-01", "2024-05-01", "2025-05-01"}) {
    EXPECT_EQ(Call("GET", Sub() + "/providers/Microsoft.Network/virtualNetworks", "", {}, v).status, 200)
        << v;
  }
  // A network version is not a resource-group version, and the answer lists the ones that are.
  HttpResponse wrong_family = Call("GET", Rg(), "", {}, "2018-11-01");
  EXPECT_EQ(Code(wrong_family), "InvalidApiVersionParameter");
  EXPECT_NE(J(wrong_family)["error"]["message"].get<std::string>().find("2021-04-01"), std::string::npos);
  // A path that is not ARM's is 404 before the api-version is looked at; /metrics takes none.
  EXPECT_EQ(Call("GET", "/healthz", "", {}, nullptr).status, 404);
  EXPECT_EQ(Call("GET", "/metrics", "", {}, nullptr).status, 200);
}

// ---- Error kinds → HTTP status and ARM's error body ----------------------------------------------------

TEST_F(RouterTest, EveryErrorKindHasItsStatus) {
  const std::vector<std::pair<ErrorKind, int>> table = {
      {ErrorKind::kInvalidArgument, 400}, {ErrorKind::kUnauthorized, 401},       {ErrorKind::kNotFound, 404},
      {ErrorKind::kConflict, 409},        {ErrorKind::kPreconditionFailed, 412}, {ErrorKind::kTooLarge, 413},
      {ErrorKind::kUnavailable, 503},     {ErrorKind::kInternal, 500},
  };
  for (const auto& [kind, status] : table) {
    EXPECT_EQ(HttpStatusFor(kind), status);
    HttpResponse r = ErrorResponse({kind, "SomeCode", "some message", "properties.x"});
    EXPECT_EQ(r.status, status);
    Json j = J(r);
    EXPECT_EQ(j["error"]["code"], "SomeCode");
    EXPECT_EQ(j["error"]["message"], "some message");
    EXPECT_EQ(j["error"]["target"], "properties.x");
    EXPECT_EQ(j["error"]["details"], Json::array());
    EXPECT_EQ(r.headers["x-ms-failure-cause"], kind == ErrorKind::kInternal ? "service" : "gateway");
    EXPECT_EQ(r.headers["Content-Type"], "application/json; charset=utf-8");
  }
  EXPECT_FALSE(J(ErrorResponse(Error::NotFound("X", "y")))["error"].contains("target"));
}

// One request per status the router can produce, through the real service.
TEST_F(RouterTest, StatusPerErrorKindThroughTheService) {
  Topology();
  ASSERT_FALSE(HasFatalFailure());
  const Json vnet = J(Call("GET", Net("virtualNetworks", "VNet1")));
  const std::string etag = vnet["etag"];
  struct Case {
    std::string what;
    HttpResponse r;
    int status;
    std::string code;
  };
  std::vector<Case> cases;
  cases.push_back({"bad JSON", Call("PUT", Net("virtualNetworks", "x"), "{"), 400, "InvalidRequestContent"});
  cases.push_back(
      {"host bits",
       Put(Net("virtualNetworks", "x"),
           {{"location", "w"}, {"properties", {{"addressSpace", {{"addressPrefixes", {"10.9.0.1/16"}}}}}}}),
       400, "InvalidAddressPrefixFormat"});
  cases.push_back(
      {"no token", Call("GET", Sub(), "", {{"authorization", "Bearer nope"}}), 401, "AuthenticationFailed"});
  cases.push_back({"unknown resource", Call("GET", Net("virtualNetworks", "nope")), 404, "ResourceNotFound"});
  cases.push_back(
      {"unknown group", Call("GET", Net("virtualNetworks", "VNet1", "nope")), 404, "ResourceGroupNotFound"});
  cases.push_back({"unknown subscription", Call("GET", "/subscriptions/nope"), 404, "SubscriptionNotFound"});
  cases.push_back({"unknown operation",
                   Call("GET", Sub() + "/providers/Microsoft.Network/locations/w/operations/x"), 404,
                   "OperationNotFound"});
  cases.push_back(
      {"wrong method", Call("POST", Net("virtualNetworks", "VNet1"), "{}"), 405, "MethodNotAllowed"});
  cases.push_back(
      {"in use", Call("DELETE", Net("virtualNetworks", "VNet1")), 409, "InUseVirtualNetworkCannotBeDeleted"});
  cases.push_back({"stale etag",
                   Call("PUT", Net("virtualNetworks", "VNet1"), vnet.dump(), {{"if-match", "W/\"stale\""}}),
                   412, "PreconditionFailed"});
  cases.push_back({"exists",
                   Call("PUT", Net("virtualNetworks", "VNet1"), vnet.dump(), {{"if-none-match", "*"}}), 412,
                   "PreconditionFailed"});
  cases.push_back({"too large",
                   Call("PUT", Net("virtualNetworks", "VNet1"), std::string(Router::kMaxBodyBytes + 1, '{')),
                   413, "RequestEntityTooLarge"});
  for (const auto& c : cases) {
    EXPECT_EQ(c.r.status, c.status) << c.what << ": " << c.r.body;
    EXPECT_EQ(Code(c.r), c.code) << c.what << ": " << c.r.body;
  }
  EXPECT_EQ(J(Call("GET", Net("virtualNetworks", "VNet1")))["etag"], etag) << "no refused request changed it";
  EXPECT_EQ(Call("PUT", Net("virtualNetworks", "VNet1"), vnet.dump(), {{"if-match", etag}}).status, 200);
}

// ---- The routing table -----------------------------------------------------------------------------------

TEST_F(RouterTest, EveryRouteAnswers) {
  Topology();
  ASSERT_FALSE(HasFatalFailure());
  const std::string conn = Net("connections", "conn");
  const std::string gw = Net("virtualNetworkGateways", "gw1");
  const std::string v1 = Net("virtualNetworks", "VNet1");
  struct Route {
    std::string method, path, body;
    int status;
  };
  const std::vector<Route> routes = {
      {"GET", "/subscriptions", "", 200},
      {"GET", Sub(), "", 200},
      {"GET", Sub() + "/resourceGroups", "", 200},
      {"GET", Rg(), "", 200},
      {"HEAD", Rg(), "", 204},
      {"HEAD", Rg("nope"), "", 404},
      {"PUT", Rg(), R"({"location":"westus2"})", 200},
      {"PATCH", Rg(), R"({"tags":{"a":"b"}})", 200},
      {"GET", Sub() + "/providers/Microsoft.Network/virtualNetworks", "", 200},
      {"GET", Sub() + "/providers/Microsoft.Network/publicIPAddresses", "", 200},
      {"GET", Sub() + "/providers/Microsoft.Network/virtualNetworkGateways", "", 200},
      {"GET", Sub() + "/providers/Microsoft.Network/localNetworkGateways", "", 200},
      {"GET", Sub() + "/providers/Microsoft.Network/connections", "", 200},
      {"GET", Rg() + "/providers/Microsoft.Network/virtualNetworks", "", 200},
      {"GET", Rg() + "/providers/Microsoft.Network/connections", "", 200},
      {"GET", v1, "", 200},
      {"PATCH", v1, R"({"tags":{"x":"y"}})", 200},
      {"GET", v1 + "/subnets", "", 200},
      {"GET", v1 + "/subnets/default", "", 200},
      {"PUT", v1 + "/subnets/extra", R"({"properties":{"addressPrefix":"10.1.9.0/24"}})", 201},
      {"PUT", v1 + "/subnets/extra", R"({"properties":{"addressPrefix":"10.1.9.0/24"}})", 200},
      {"DELETE", v1 + "/subnets/extra", "", 200},
      {"DELETE", v1 + "/subnets/extra", "", 204},
      {"GET", Net("publicIPAddresses", "pip1"), "", 200},
      {"GET", gw, "", 200},
      {"GET", conn, "", 200},
      {"GET", conn + "/sharedkey", "", 200},
      {"PUT", Net("localNetworkGateways", "lgw"),
       R"({"location":"westus2","properties":{"gatewayIpAddress":"203.0.113.1","localNetworkAddressSpace":{"addressPrefixes":["192.168.0.0/24"]}}})",
       201},
      {"GET", Net("localNetworkGateways", "lgw"), "", 200},
      {"DELETE", Net("localNetworkGateways", "lgw"), "", 200},
      {"DELETE", Net("localNetworkGateways", "lgw"), "", 204},
      // Case-insensitive segments.
      {"GET",
       "/SUBSCRIPTIONS/" + sub_ + "/resourcegroups/RG/providers/microsoft.network/VIRTUALNETWORKS/vnet1", "",
       200},
      {"GET", "/subscriptions/" + sub_ + "/RESOURCEGROUPS/rg", "", 200},
      // Unknown routes.
      {"GET", "/", "", 404},
      {"GET", Sub() + "/other", "", 404},
      {"GET", Sub() + "/providers/Microsoft.Storage/storageAccounts", "", 404},
      {"GET", Sub() + "/providers/Microsoft.Network/routeTables", "", 404},
      {"GET", Rg() + "/providers/Microsoft.Network/routeTables/x", "", 404},
      {"GET", Rg() + "/providers/Microsoft.Compute/virtualMachines/x", "", 404},
      {"GET", v1 + "/subnets/default/x", "", 404},
      {"GET", v1 + "/peerings", "", 404},
      {"GET", conn + "/keys", "", 404},
      {"POST", Net("publicIPAddresses", "pip1") + "/reset", "", 404},
      // Methods a route does not take.
      {"POST", "/subscriptions", "", 405},
      {"PUT", Sub(), "{}", 405},
      {"PATCH", Sub() + "/resourceGroups", "{}", 405},
      {"PUT", Sub() + "/providers/Microsoft.Network/connections", "{}", 405},
      {"POST", Sub() + "/providers/Microsoft.Network/locations/w/operations/x", "{}", 405},
      {"DELETE", Rg() + "/providers/Microsoft.Network/virtualNetworks", "", 405},
      {"DELETE", v1 + "/subnets", "", 405},
      {"PATCH", v1 + "/subnets/default", "{}", 400},
      {"OPTIONS", v1, "", 405},
      {"DELETE", conn + "/sharedkey", "", 405},
      {"PUT", conn + "/sharedkey/reset", "{}", 405},
      {"DELETE", gw + "/reset", "", 405},
  };
  for (const auto& r : routes) {
    HttpResponse out = Call(r.method, r.path, r.body);
    EXPECT_EQ(out.status, r.status) << r.method << " " << r.path << ": " << out.body;
    if (out.status == 405) {
      EXPECT_EQ(Code(out), "MethodNotAllowed");
    }
    if (out.status == 204) {
      EXPECT_TRUE(out.body.empty());
    }
  }

  // The write actions, each answering with an operation.
  HttpResponse key = Call("PUT", conn + "/sharedkey", R"({"value":"Another-Key"})");
  ASSERT_EQ(key.status, 200) << key.body;
  EXPECT_EQ(J(key), (Json{{"value", "Another-Key"}}));
  EXPECT_FALSE(key.headers["Azure-AsyncOperation"].empty());
  Settle();
  HttpResponse reset = Call("POST", conn + "/sharedkey/reset", R"({"keyLength":20})");
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(J(reset), (Json{{"keyLength", 20}}));
  Settle();
  std::string generated = J(Call("GET", conn + "/sharedkey"))["value"];
  EXPECT_EQ(generated.size(), 20u);
  HttpResponse gw_reset = Call("POST", gw + "/reset");
  ASSERT_EQ(gw_reset.status, 202) << gw_reset.body;
  EXPECT_TRUE(gw_reset.body.empty());
  std::string url = gw_reset.headers["Azure-AsyncOperation"];
  std::string op_path = url.substr(url.find("/subscriptions/"), url.find('?') - url.find("/subscriptions/"));
  EXPECT_EQ(J(Call("GET", op_path))["status"], "InProgress");
  Settle();
  EXPECT_EQ(J(Call("GET", op_path))["status"], "Succeeded");

  // Deletes: async ones answer 202, then the group cascades.
  HttpResponse dc = Call("DELETE", conn);
  EXPECT_EQ(dc.status, 202);
  EXPECT_EQ(Call("DELETE", conn).status, 202) << "a repeated DELETE joins the running one";
  EXPECT_EQ(Call("DELETE", conn).headers["Azure-AsyncOperation"], dc.headers["Azure-AsyncOperation"]);
  Settle();
  EXPECT_EQ(Call("GET", conn).status, 404);
  EXPECT_EQ(Call("DELETE", conn).status, 204);
  EXPECT_EQ(Call("DELETE", Rg()).status, 202);
  Settle();
  EXPECT_EQ(Call("GET", Rg()).status, 404);
  EXPECT_EQ(J(Call("GET", Sub() + "/providers/Microsoft.Network/virtualNetworks"))["value"], Json::array());
}

// ---- Async operations: headers, the operation's life, busy resources ----------------------------------

TEST_F(RouterTest, AsyncOperationUrlUsesHostAndApiVersion) {
  ASSERT_EQ(Put(Rg(), {{"location", "westus2"}}).status, 201);
  ASSERT_EQ(Put(Net("virtualNetworks", "VNet1"),
                {{"location", "westus2"},
                 {"properties",
                  {{"addressSpace", {{"addressPrefixes", {"10.1.0.0/16"}}}},
                   {"subnets",
                    {{{"name", "GatewaySubnet"}, {"properties", {{"addressPrefix", "10.1.255.0/27"}}}}}}}}})
                .status,
            201);
  ASSERT_EQ(Put(Net("publicIPAddresses", "pip1"), {{"location", "westus2"}}).status, 201);
  HttpRequest req;
  req.method = "PUT";
  req.path = Net("virtualNetworkGateways", "gw1");
  req.query = {{"api-version", "2024-01-01"}};
  req.headers = {{"authorization", fmt::format("Bearer {}", kToken)},
                 {"host", "isthmus.example:7480"},
                 {"x-ms-client-request-id", "req-1"}};
  req.body = Gateway(1, 1).dump();
  HttpResponse r = router_->Handle(req);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(J(r)["properties"]["provisioningState"], "Updating");
  EXPECT_EQ(r.headers["x-ms-request-id"], "req-1");
  const std::string url = r.headers["Azure-AsyncOperation"];
  const std::string prefix = fmt::format(
      "https://isthmus.example:7480/subscriptions/{}/providers/Microsoft.Network/locations/westus2/"
      "operations/",
      sub_);
  ASSERT_TRUE(url.starts_with(prefix)) << url;
  EXPECT_TRUE(url.ends_with("?api-version=2024-01-01")) << url;
  EXPECT_EQ(r.headers["Retry-After"], "1");
  std::string op = url.substr(prefix.size(), url.find('?') - prefix.size());
  const std::string op_path =
      fmt::format("{}/providers/Microsoft.Network/locations/westus2/operations/{}", Sub(), op);
  const std::string result_path =
      fmt::format("{}/providers/Microsoft.Network/locations/westus2/operationResults/{}", Sub(), op);
  EXPECT_EQ(r.headers["Location"], "https://isthmus.example:7480" + result_path + "?api-version=2024-01-01");
  Json running = J(Call("GET", op_path));
  EXPECT_EQ(running["status"], "InProgress");
  EXPECT_EQ(running["name"], op);
  for (const char* internal : {"resourceKey", "resourceId", "kind"}) {
    EXPECT_FALSE(running.contains(internal)) << internal << ": internal fields stay inside";
  }
  // The Location URL answers 202 (and where to ask again) until the operation ends.
  HttpResponse pending = Call("GET", result_path, "", {{"host", "isthmus.example:7480"}});
  EXPECT_EQ(pending.status, 202);
  EXPECT_EQ(pending.headers["Location"],
            "https://isthmus.example:7480" + result_path + "?api-version=2023-09-01");
  EXPECT_EQ(pending.headers["Retry-After"], "1");

  // While it runs, the gateway is busy.
  HttpResponse busy = Call("POST", Net("virtualNetworkGateways", "gw1") + "/reset");
  EXPECT_EQ(busy.status, 409);
  EXPECT_EQ(Code(busy), "AnotherOperationInProgress");
  Settle();
  Json done = J(Call("GET", op_path));
  EXPECT_EQ(done["status"], "Succeeded");
  EXPECT_TRUE(done.contains("endTime"));
  // …then what the PUT would have answered had it finished at once: the gateway.
  HttpResponse result = Call("GET", result_path);
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(J(result)["name"], "gw1");
  EXPECT_EQ(J(result)["properties"]["provisioningState"], "Succeeded");
  EXPECT_EQ(J(Call("GET", Net("virtualNetworkGateways", "gw1")))["properties"]["provisioningState"],
            "Succeeded");
  std::string address = J(Call("GET", Net("publicIPAddresses", "pip1")))["properties"].value("ipAddress", "");
  EXPECT_TRUE(address.starts_with("198.18.") || address.starts_with("198.19.")) << address;

  // Without a Host header the URL names the loopback address.
  HttpRequest no_host = req;
  no_host.headers.erase("host");
  no_host.method = "POST";
  no_host.path += "/reset";
  no_host.body.clear();
  HttpResponse reset = router_->Handle(no_host);
  ASSERT_EQ(reset.status, 202);
  EXPECT_TRUE(reset.headers["Azure-AsyncOperation"].starts_with("https://127.0.0.1/subscriptions/"));
}

TEST_F(RouterTest, GroupBeingDeletedRefusesNewResources) {
  ASSERT_EQ(Put(Rg(), {{"location", "westus2"}}).status, 201);
  ASSERT_EQ(Call("DELETE", Rg()).status, 202);
  HttpResponse r = Put(
      Net("virtualNetworks", "v"),
      {{"location", "westus2"}, {"properties", {{"addressSpace", {{"addressPrefixes", {"10.0.0.0/16"}}}}}}});
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(Code(r), "ResourceGroupBeingDeleted");
  EXPECT_EQ(Call("DELETE", Rg()).status, 202) << "deleting again joins the running deletion";
  Settle();
  EXPECT_EQ(Call("GET", Rg()).status, 404);
}

// ---- Secrets ------------------------------------------------------------------------------------------

TEST_F(RouterTest, SharedKeyOnlyThroughItsOwnRoute) {
  Topology();
  ASSERT_FALSE(HasFatalFailure());
  const std::string conn = Net("connections", "conn");
  for (const std::string& path :
       std::vector<std::string>{conn, Rg() + "/providers/Microsoft.Network/connections",
                                Sub() + "/providers/Microsoft.Network/connections"}) {
    HttpResponse r = Call("GET", path);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body.find("Secret-Key-1"), std::string::npos) << path;
    EXPECT_EQ(r.body.find("sharedKey"), std::string::npos) << path;
  }
  HttpResponse put = Put(conn, Connection("gw1", "gw2", "Secret-Key-2"));
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.body.find("Secret-Key-2"), std::string::npos) << "nor does a PUT echo it";
  Settle();
  EXPECT_EQ(J(Call("GET", conn + "/sharedkey"))["value"], "Secret-Key-2");
  HttpResponse bad = Call("PUT", conn + "/sharedkey", R"({"value":"bad key"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Code(bad), "InvalidSharedKey");
  EXPECT_EQ(bad.body.find("bad key"), std::string::npos) << "errors do not repeat the key";

  // A reset's Location ends in the new key's length, a set's in the key, a delete's in 204.
  auto result_of = [&](const HttpResponse& accepted) {
    const std::string& loc = accepted.headers.at("Location");
    const auto path = loc.substr(loc.find("/subscriptions/"), loc.find('?') - loc.find("/subscriptions/"));
    EXPECT_NE(path.find("/operationResults/"), std::string::npos) << loc;
    Settle();
    return Call("GET", path);
  };
  HttpResponse reset = Call("POST", conn + "/sharedkey/reset", R"({"keyLength":40})");
  ASSERT_EQ(reset.status, 200) << reset.body;
  HttpResponse reset_result = result_of(reset);
  EXPECT_EQ(reset_result.status, 200);
  EXPECT_EQ(J(reset_result), Json({{"keyLength", 40}}));
  HttpResponse set = Call("PUT", conn + "/sharedkey", R"({"value":"Secret-Key-3"})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(J(result_of(set)), Json({{"value", "Secret-Key-3"}}));
  HttpResponse del = Call("DELETE", conn);
  ASSERT_EQ(del.status, 202) << del.body;
  EXPECT_EQ(result_of(del).status, 204);
}

// ---- Determinism: the service draws all randomness from the injected Rng -------------------------------

// A GET of a nextLink, as a client sends it: the URL's path and its decoded query.
HttpRequest NextLinkRequest(const std::string& url) {
  HttpRequest req;
  req.method = "GET";
  const auto path_start = url.find('/', url.find("://") + 3);
  const auto q = url.find('?');
  req.path = url.substr(path_start, q - path_start);
  auto decode = [](std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size()) {
        out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += s[i];
      }
    }
    return out;
  };
  std::string_view rest = std::string_view(url).substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    req.query[decode(pair.substr(0, eq))] = decode(pair.substr(eq + 1));
    rest = amp == std::string_view::npos ? "" : rest.substr(amp + 1);
  }
  req.headers["authorization"] = fmt::format("Bearer {}", kToken);
  req.headers["host"] = "127.0.0.1:7480";
  return req;
}

TEST_F(RouterTest, LongListsArePagedWithNextLink) {
  router_ = std::make_unique<Router>(*svc_, kToken, nullptr, nullptr, RouterOptions{nullptr, "https", 2});
  for (const char* g : {"g5", "G3", "g1", "g4", "g2"}) {
    ASSERT_EQ(Put(Rg(g), {{"location", "eastus"}}).status, 201) << g;
  }
  // Short lists come whole, with no nextLink.
  auto one = Call("GET", Sub() + "/resourcegroups/g1/providers/Microsoft.Network/virtualNetworks");
  ASSERT_EQ(one.status, 200);
  EXPECT_FALSE(J(one).contains("nextLink"));

  auto first = Call("GET", Sub() + "/resourcegroups", "", {{"host", "127.0.0.1:7480"}});
  ASSERT_EQ(first.status, 200) << first.body;
  Json page = J(first);
  std::vector<std::string> names;
  int pages = 1;
  for (auto& g : page["value"]) names.push_back(g["name"]);
  ASSERT_TRUE(page.contains("nextLink"));
  const std::string link = page["nextLink"];
  EXPECT_TRUE(link.starts_with("https://127.0.0.1:7480/subscriptions/" + sub_ + "/resourcegroups?")) << link;
  EXPECT_NE(link.find("api-version=2022-09-01"), std::string::npos) << link;
  // A group deleted between pages neither repeats an entry nor makes one be skipped.
  ASSERT_LT(Call("DELETE", Rg("g1")).status, 300);
  Settle();
  while (page.contains("nextLink")) {
    auto next = router_->Handle(NextLinkRequest(page["nextLink"]));
    ASSERT_EQ(next.status, 200) << next.body;
    page = J(next);
    ASSERT_LE(page["value"].size(), 2u);
    for (auto& g : page["value"]) names.push_back(g["name"]);
    ASSERT_LT(++pages, 10);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names, (std::vector<std::string>{"g1", "g2", "G3", "g4", "g5"}));

  auto bad = NextLinkRequest(link);
  bad.query["$skiptoken"] = "***";
  auto refused = router_->Handle(bad);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(Code(refused), "InvalidSkipToken");
}

TEST_F(RouterTest, SameSeedSameAnswers) {
  auto run = [&] {
    std::vector<std::string> out;
    out.push_back(sub_);
    HttpResponse g = Put(Rg(), {{"location", "westus2"}});
    HttpResponse v = Put(Net("virtualNetworks", "v"),
                         {{"location", "westus2"},
                          {"properties", {{"addressSpace", {{"addressPrefixes", {"10.0.0.0/16"}}}}}}});
    out.push_back(g.body);
    out.push_back(v.body);
    return out;
  };
  auto first = run();
  Open(42);
  auto second = run();
  EXPECT_EQ(first, second);
  Open(43);
  auto third = run();
  EXPECT_NE(first[0], third[0]);
  EXPECT_NE(first[2], third[2]);
}

}  // namespace
}  // namespace isthmus::mgmt
