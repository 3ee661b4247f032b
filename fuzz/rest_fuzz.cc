// libFuzzer target for whole REST requests against the Router (no sockets): method, path, query,
// headers and body all come from the input, written as HTTP/1.1 is (LF or CRLF line ends):
//
//   PUT
//   /subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v?api-version=2023-09-01
//   x-ms-client-request-id: 1
//
//   {"location":"westus2"}
//
// The path and query are percent-decoded as httplib decodes them (so %2F, %00 and %FF reach the router
// as they would over a socket); header names are lowercased as rest/server.cc does. "{sub}" stands for
// the subscription ID and "{token}" for the bearer token; without an Authorization header the input is
// sent with the right one. The Router runs over a ResourceService with an in-memory SQLite store and
// template deployments, preloaded with a group, two VNets, two public IPs, two provisioned gateways and
// a connection whose key is kKey; the world is rebuilt after an input that changed it, so a finding
// reproduces from its input alone.
//
// Beyond "no crash, no leak, no hang, no exception", it checks the API's contract: no 5xx; every
// error in ARM's shape; every JSON answer valid JSON; a refused request changes nothing; a plain read
// never shows the preloaded shared key; whatever was accepted can be reconciled and deployed.
//
//   rest_fuzz fuzz/corpus/rest -max_len=65536 -max_total_time=60 -timeout=10
//
// tests/unit/mgmt replays fuzz/corpus/rest through this target in every test run (mgmt_rest_hostile_test).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/clock.h"
#include "mgmt/reconcile/host_realizer.h"
#include "mgmt/reconcile/reconciler.h"
#include "mgmt/rest/router.h"
#include "mgmt/service/resource_service.h"
#include "mgmt/store/sqlite_store.h"
#include "mgmt/template/deployer.h"

namespace {

using isthmus::mgmt::HttpRequest;
using isthmus::mgmt::HttpResponse;
using isthmus::mgmt::Json;

constexpr const char* kToken = "fuzz-token-0123456789abcdef";
constexpr const char* kKey = "Preloaded-Key-42";

// A broken invariant is a finding: say which, then crash so that libFuzzer records the input.
void Require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "rest_fuzz: broken: %s\n", what);
  __builtin_trap();
}

void Replace(std::string& s, std::string_view from, std::string_view to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

// httplib's decode_url: %XX to its byte (an invalid escape stays as it is), '+' to a space in queries.
std::string Decode(std::string_view s, bool plus_is_space) {
  auto hex = [](char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += plus_is_space && s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

// The input as a request: "METHOD TARGET[ VERSION]" line, header lines up to an empty one, the body.
HttpRequest Parse(std::string text, const std::string& subscription) {
  Replace(text, "{sub}", subscription);
  Replace(text, "{token}", kToken);
  HttpRequest req;
  std::size_t at = 0;
  auto line = [&]() {
    const auto end = text.find('\n', at);
    std::string l = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
    at = end == std::string::npos ? text.size() : end + 1;
    if (!l.empty() && l.back() == '\r') l.pop_back();
    return l;
  };
  const std::string first = line();
  const auto sp = first.find(' ');
  req.method = first.substr(0, sp);
  std::string target = sp == std::string::npos ? "" : first.substr(sp + 1);
  if (auto v = target.rfind(" HTTP/"); v != std::string::npos) target.erase(v);
  const auto q = target.find('?');
  req.path = Decode(target.substr(0, q), false);
  if (q != std::string::npos) {
    std::string_view query(target);
    query.remove_prefix(q + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view kv = query.substr(0, amp);
      const auto eq = kv.find('=');
      if (eq != 0 && !kv.empty()) {
        req.query.emplace(Decode(kv.substr(0, eq), true),
                          eq == std::string_view::npos ? "" : Decode(kv.substr(eq + 1), true));
      }
      query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    }
  }
  while (at < text.size()) {
    const std::string h = line();
    if (h.empty()) break;
    const auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0) continue;  // httplib skips such lines too
    std::string name = h.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = h.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
    req.headers.emplace(std::move(name), std::move(value));
  }
  req.body = text.substr(std::min(at, text.size()));
  if (!req.headers.contains("authorization")) req.headers["authorization"] = fmt::format("Bearer {}", kToken);
  if (!req.headers.contains("host")) req.headers["host"] = "127.0.0.1:7480";
  return req;
}

class World {
 public:
  World() : rng_(7) {
    auto store = isthmus::mgmt::SqliteStore::Open(":memory:");
    Require(store.has_value(), "the store opens");
    svc_ = std::make_unique<isthmus::mgmt::ResourceService>(
        std::move(*store), isthmus::mgmt::ServiceOptions{*isthmus::net::Prefix::Parse("198.18.0.0/15")},
        rng_);
    Require(svc_->Open().has_value(), "the service opens");
    deployments_ = std::make_unique<isthmus::mgmt::tmpl::Deployments>(*svc_);
    isthmus::mgmt::RouterOptions options;
    options.deployments = deployments_.get();
    router_ = std::make_unique<isthmus::mgmt::Router>(*svc_, kToken, nullptr, nullptr, options);
    Preload();
  }

  HttpResponse Handle(const HttpRequest& req) { return router_->Handle(req); }

  HttpResponse Get(const std::string& path) {
    HttpRequest req = Parse(fmt::format("GET {}?api-version=2023-09-01\n\n", path), subscription());
    return Handle(req);
  }

  // Drives operations and deployments to their end, as isthmusd's threads would.
  void Settle() {
    isthmus::mgmt::ReconcilerOptions opts;
    opts.render.underlay_pool = *isthmus::net::Prefix::Parse("198.18.0.0/15");
    isthmus::mgmt::Reconciler reconciler(*svc_, realizer_, opts);
    for (int i = 0; i < 12 && (deployments_->RunOnce() || reconciler.RunOnce().progressed > 0); ++i) {
    }
  }

  std::uint64_t generation() const { return svc_->generation(); }
  std::string subscription() const { return svc_->DefaultSubscription(); }

 private:
  void Put(const std::string& path, const Json& body) {
    const std::string api = path.find("/providers/") == std::string::npos ? "2022-09-01" : "2023-09-01";
    HttpRequest req =
        Parse(fmt::format("PUT {}?api-version={}\n\n{}", path, api, body.dump()), subscription());
    HttpResponse r = Handle(req);
    Require(r.status == 200 || r.status == 201, "the preload is accepted");
  }

  void Preload() {
    const std::string rg = "/subscriptions/{sub}/resourceGroups/rg";
    const std::string net = rg + "/providers/Microsoft.Network/";
    Put(rg, {{"location", "westus2"}});
    for (int i : {1, 2}) {
      Put(fmt::format("{}virtualNetworks/VNet{}", net, i),
          {{"location", "westus2"},
           {"properties",
            {{"addressSpace", {{"addressPrefixes", {fmt::format("10.{}.0.0/16", i)}}}},
             {"subnets",
              {{{"name", "GatewaySubnet"},
                {"properties", {{"addressPrefix", fmt::format("10.{}.255.0/27", i)}}}},
               {{"name", "default"},
                {"properties", {{"addressPrefix", fmt::format("10.{}.0.0/24", i)}}}}}}}}});
      Put(fmt::format("{}publicIPAddresses/pip{}", net, i),
          {{"location", "westus2"}, {"sku", {{"name", "Standard"}}}});
      Put(fmt::format("{}virtualNetworkGateways/gw{}", net, i),
          {{"location", "westus2"},
           {"properties",
            {{"gatewayType", "Vpn"},
             {"vpnType", "RouteBased"},
             {"sku", {{"name", "VpnGw1"}}},
             {"ipConfigurations",
              {{{"name", "cfg"},
                {"properties",
                 {{"subnet", {{"id", fmt::format("{}virtualNetworks/VNet{}/subnets/GatewaySubnet", net, i)}}},
                  {"publicIPAddress", {{"id", fmt::format("{}publicIPAddresses/pip{}", net, i)}}}}}}}}}}});
    }
    Settle();
    Put(net + "connections/conn", {{"location", "westus2"},
                                   {"properties",
                                    {{"connectionType", "Vnet2Vnet"},
                                     {"virtualNetworkGateway1", {{"id", net + "virtualNetworkGateways/gw1"}}},
                                     {"virtualNetworkGateway2", {{"id", net + "virtualNetworkGateways/gw2"}}},
                                     {"sharedKey", kKey}}}});
    Settle();
  }

  isthmus::SeededRng rng_;
  std::unique_ptr<isthmus::mgmt::ResourceService> svc_;
  std::unique_ptr<isthmus::mgmt::tmpl::Deployments> deployments_;
  std::unique_ptr<isthmus::mgmt::Router> router_;
  isthmus::mgmt::NoFabric realizer_;
};

void CheckAnswer(const HttpResponse& r) {
  Require(r.status >= 200 && r.status < 500, "no 5xx (and no 1xx)");
  const auto type = r.headers.find("Content-Type");
  const bool json = type == r.headers.end() || type->second.starts_with("application/json");
  if (r.body.empty() || !json) return;
  Json j = Json::parse(r.body, nullptr, false);
  Require(!j.is_discarded(), "a JSON answer is valid JSON");
  if (r.status >= 400) {
    Require(j.is_object() && j.contains("error") && j["error"].is_object(), "errors are {\"error\": {...}}");
    Require(j["error"].contains("code") && j["error"]["code"].is_string() &&
                !j["error"]["code"].get<std::string>().empty(),
            "errors have a code");
    Require(j["error"].contains("message") && j["error"]["message"].is_string(), "errors have a message");
  }
}

bool Mentions(const HttpRequest& req, std::string_view s) {
  if (req.path.find(s) != std::string::npos || req.body.find(s) != std::string::npos) return true;
  for (const auto& [k, v] : req.query) {
    if (k.find(s) != std::string::npos || v.find(s) != std::string::npos) return true;
  }
  for (const auto& [k, v] : req.headers) {
    if (v.find(s) != std::string::npos) return true;
  }
  return false;
}

std::unique_ptr<World> g_world;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (!g_world) g_world = std::make_unique<World>();
  World& world = *g_world;
  const HttpRequest req = Parse(std::string(reinterpret_cast<const char*>(data), size), world.subscription());

  const std::uint64_t generation = world.generation();
  const HttpResponse r = world.Handle(req);
  CheckAnswer(r);
  // Only the shared key's own routes (and an operation's result, which answers what they would) show it.
  std::string lower = req.path;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool key_route =
      lower.find("/sharedkey") != std::string::npos || lower.find("/operationresults/") != std::string::npos;
  if (!key_route && !Mentions(req, kKey)) {
    Require(r.body.find(kKey) == std::string::npos, "no shared key in a plain answer");
    for (const auto& [k, v] : r.headers)
      Require(v.find(kKey) == std::string::npos, "no shared key in a header");
  }
  if (r.status >= 400) {
    Require(world.generation() == generation, "a refused request changes nothing");
    return 0;
  }
  if (world.generation() == generation) return 0;
  // Accepted and changed: the reconciler and the deployer must be able to take it, and a plain read of
  // every list still hides the key.
  world.Settle();
  for (const char* list : {"connections", "virtualNetworkGateways", "virtualNetworks"}) {
    const HttpResponse l = world.Get(
        fmt::format("/subscriptions/{{sub}}/resourceGroups/rg/providers/Microsoft.Network/{}", list));
    CheckAnswer(l);
    if (!Mentions(req, kKey)) Require(l.body.find(kKey) == std::string::npos, "no shared key in a list");
  }
  g_world.reset();  // the next input starts from the preloaded state again
  return 0;
}
