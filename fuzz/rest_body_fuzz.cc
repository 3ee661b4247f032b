// libFuzzer target for REST request bodies: the first byte picks a write route (PUT/PATCH/POST of every
// resource type, subnets, shared keys, resets), the rest is the body. The Router runs over a
// ResourceService with an in-memory SQLite store preloaded with a deployment (group, two VNets, public
// IPs, two provisioned gateways, a local network gateway, a connection); every input starts from that
// state, so a finding reproduces from its input alone. Beyond "no crash, no leak, no hang", it checks the
// API's contract: no 5xx, every answer is JSON with ARM's error shape, a refused write changes nothing, a
// 2xx write is readable afterwards, a plain read never shows a shared key, and the reconciler can take
// whatever was accepted.
//
// In a body, "{sub}" stands for the subscription ID (so seeds can hold resource references).
//
//   rest_body_fuzz fuzz/corpus/rest_body -max_total_time=120 -timeout=10
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/clock.h"
#include "mgmt/reconcile/reconciler.h"
#include "mgmt/rest/router.h"
#include "mgmt/service/resource_service.h"
#include "mgmt/store/sqlite_store.h"

namespace {

using isthmus::mgmt::HttpRequest;
using isthmus::mgmt::HttpResponse;
using isthmus::mgmt::Json;

constexpr const char* kToken = "fuzz-token-0123456789abcdef";

// A broken invariant is a finding: crash so libFuzzer records the input.
void Require(bool ok) {
  if (!ok) __builtin_trap();
}

struct Route {
  const char* method;
  std::string path;
  bool readable_after;  // a 2xx leaves something GET-able at `path`
};

class World {
 public:
  World() : rng_(7) {
    auto store = isthmus::mgmt::SqliteStore::Open(":memory:");
    Require(store.has_value());
    svc_ = std::make_unique<isthmus::mgmt::ResourceService>(
        std::move(*store), isthmus::mgmt::ServiceOptions{*isthmus::net::Prefix::Parse("198.18.0.0/15")},
        rng_);
    Require(svc_->Open().has_value());
    router_ = std::make_unique<isthmus::mgmt::Router>(*svc_, kToken);
    sub_ = "/subscriptions/" + svc_->DefaultSubscription();
    Preload();
  }

  HttpResponse Send(const char* method, const std::string& path, std::string body) {
    HttpRequest req;
    req.method = method;
    req.path = path;
    req.query["api-version"] = "2023-09-01";
    req.headers["authorization"] = fmt::format("Bearer {}", kToken);
    req.headers["host"] = "127.0.0.1:7480";
    req.body = std::move(body);
    return router_->Handle(req);
  }

  void Settle() {
    isthmus::mgmt::ReconcilerOptions opts;
    opts.render.underlay_pool = *isthmus::net::Prefix::Parse("198.18.0.0/15");
    isthmus::mgmt::Reconciler reconciler(*svc_, realizer_, opts);
    for (int i = 0; i < 8 && reconciler.RunOnce().progressed > 0; ++i) {
    }
  }

  std::string Rg() const { return sub_ + "/resourceGroups/rg"; }
  std::uint64_t Generation() const { return svc_->generation(); }
  std::string Subscription() const { return sub_.substr(sub_.rfind('/') + 1); }
  std::string Net(const char* type, const std::string& name) const {
    return fmt::format("{}/providers/Microsoft.Network/{}/{}", Rg(), type, name);
  }

  std::vector<Route> Routes() const {
    const std::string v1 = Net("virtualNetworks", "VNet1"), conn = Net("connections", "conn");
    return {
        {"PUT", Rg(), true},
        {"PATCH", Rg(), true},
        {"PUT", v1, true},
        {"PUT", Net("virtualNetworks", "VNet3"), true},
        {"PATCH", v1, true},
        {"PUT", v1 + "/subnets/default", true},
        {"PUT", v1 + "/subnets/fresh", true},
        {"PUT", Net("virtualNetworks", "VNet2") + "/subnets/GatewaySubnet", true},
        {"PUT", Net("publicIPAddresses", "pip1"), true},
        {"PUT", Net("publicIPAddresses", "pip3"), true},
        {"PATCH", Net("publicIPAddresses", "pip1"), true},
        {"PUT", Net("virtualNetworkGateways", "gw1"), true},
        {"PUT", Net("virtualNetworkGateways", "gw3"), true},
        {"PATCH", Net("virtualNetworkGateways", "gw1"), true},
        {"PUT", Net("localNetworkGateways", "lgw"), true},
        {"PUT", Net("localNetworkGateways", "lgw2"), true},
        {"PUT", conn, true},
        {"PUT", Net("connections", "conn2"), true},
        {"PATCH", conn, true},
        {"PUT", conn + "/sharedkey", false},
        {"POST", conn + "/sharedkey/reset", false},
        {"POST", Net("virtualNetworkGateways", "gw1") + "/reset", false},
        {"PUT", Net("virtualNetworks", "VNet1") + "/subnets/GatewaySubnet", true},
    };
  }

 private:
  void Put(const std::string& path, const Json& body) {
    HttpResponse r = Send("PUT", path, body.dump());
    Require(r.status == 200 || r.status == 201);
  }

  void Preload() {
    Put(Rg(), {{"location", "westus2"}});
    for (int i : {1, 2}) {
      Put(Net("virtualNetworks", fmt::format("VNet{}", i)),
          {{"location", "westus2"},
           {"properties",
            {{"addressSpace", {{"addressPrefixes", {fmt::format("10.{}.0.0/16", i)}}}},
             {"subnets",
              {{{"name", "GatewaySubnet"},
                {"properties", {{"addressPrefix", fmt::format("10.{}.255.0/27", i)}}}},
               {{"name", "default"},
                {"properties", {{"addressPrefix", fmt::format("10.{}.0.0/24", i)}}}}}}}}});
      Put(Net("publicIPAddresses", fmt::format("pip{}", i)),
          {{"location", "westus2"},
           {"sku", {{"name", "Basic"}}},
           {"properties", {{"publicIPAllocationMethod", "Dynamic"}}}});
      Put(Net("virtualNetworkGateways", fmt::format("gw{}", i)),
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
    Put(Net("localNetworkGateways", "lgw"),
        {{"location", "westus2"},
         {"properties",
          {{"gatewayIpAddress", "203.0.113.5"},
           {"localNetworkAddressSpace", {{"addressPrefixes", {"192.168.0.0/16"}}}}}}});
    Settle();
    Put(Net("connections", "conn"),
        {{"location", "westus2"},
         {"properties",
          {{"connectionType", "Vnet2Vnet"},
           {"virtualNetworkGateway1", {{"id", Net("virtualNetworkGateways", "gw1")}}},
           {"virtualNetworkGateway2", {{"id", Net("virtualNetworkGateways", "gw2")}}},
           {"sharedKey", "Preloaded-Key-42"}}}});
    Settle();
  }

  isthmus::SeededRng rng_;
  std::unique_ptr<isthmus::mgmt::ResourceService> svc_;
  std::unique_ptr<isthmus::mgmt::Router> router_;
  isthmus::mgmt::NoFabric realizer_;
  std::string sub_;
};

void CheckAnswer(const HttpResponse& r) {
  Require(r.status >= 200 && r.status < 500);
  if (r.body.empty()) return;
  Json j = Json::parse(r.body, nullptr, false);
  Require(!j.is_discarded());
  if (r.status >= 400) {
    Require(j.is_object() && j.contains("error") && j["error"].is_object());
    Require(j["error"].contains("code") && j["error"]["code"].is_string() &&
            !j["error"]["code"].get<std::string>().empty());
    Require(j["error"].contains("message") && j["error"]["message"].is_string());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

// The preloaded world is rebuilt only after an input changed it (a 2xx write): building it dominates the
// cost of an input, and most inputs are refused. A refused write must leave the state untouched
// ("validated whole before anything changes"), which is checked through the service's generation.
std::unique_ptr<World> g_world;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if (!g_world) g_world = std::make_unique<World>();
  World& world = *g_world;
  const auto routes = world.Routes();
  const Route& route = routes[data[0] % routes.size()];
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  // Seeds name the (seeded, but not hard-coded) subscription as "{sub}" so references can resolve.
  for (auto at = body.find("{sub}"); at != std::string::npos; at = body.find("{sub}", at)) {
    body.replace(at, 5, world.Subscription());
  }

  const std::uint64_t generation = world.Generation();
  HttpResponse r = world.Send(route.method, route.path, body);
  CheckAnswer(r);
  const bool ok = r.status >= 200 && r.status < 300;
  if (!ok) {
    Require(world.Generation() == generation);  // nothing half-applied
    return 0;
  }
  if (route.readable_after) {
    HttpResponse g = world.Send("GET", route.path, "");
    Require(g.status == 200);
    CheckAnswer(g);
  }
  // Whatever was accepted must be something the reconciler can drive to an end.
  world.Settle();
  // A plain read never carries a shared key, whatever was written.
  for (const char* list : {"connections", "virtualNetworks", "virtualNetworkGateways", "publicIPAddresses",
                           "localNetworkGateways"}) {
    HttpResponse l =
        world.Send("GET", fmt::format("{}/providers/Microsoft.Network/{}", world.Rg(), list), "");
    Require(l.status == 200);
    CheckAnswer(l);
    Json items = Json::parse(l.body, nullptr, false);
    for (const auto& item : items["value"]) {
      Require(!item.contains("properties") || !item["properties"].contains("sharedKey"));
    }
  }
  g_world.reset();  // changed: the next input starts from the preloaded state again
  return 0;
}
