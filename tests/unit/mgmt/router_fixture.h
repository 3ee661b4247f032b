// A Router without sockets over a real ResourceService: an in-memory SqliteStore, seeded randomness,
// template deployments, and the reconciler and deployer run by hand, so every answer is deterministic.
// The setup the router tests repeat, in one place (used by rest_hostile_test.cc).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/clock.h"
#include "mgmt/reconcile/host_realizer.h"
#include "mgmt/reconcile/reconciler.h"
#include "mgmt/rest/router.h"
#include "mgmt/store/sqlite_store.h"
#include "mgmt/template/deployer.h"

namespace isthmus::mgmt {

class RouterFixture : public ::testing::Test {
 protected:
  static constexpr const char* kToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  static constexpr const char* kKey = "Fixture-Key-1";  // the shared key of Topology()'s connection

  void SetUp() override {
    auto store = SqliteStore::Open(":memory:");
    ASSERT_TRUE(store) << store.error().message;
    svc_ = std::make_unique<ResourceService>(std::move(*store),
                                             ServiceOptions{*net::Prefix::Parse("198.18.0.0/15")}, rng_);
    ASSERT_TRUE(svc_->Open());
    sub_ = svc_->DefaultSubscription();
    deployments_ = std::make_unique<tmpl::Deployments>(*svc_);
    RouterOptions o;
    o.deployments = deployments_.get();
    router_ = std::make_unique<Router>(*svc_, kToken, nullptr, nullptr, o);
  }

  // `api` nullptr: the family's version by path (network's under Microsoft.Network, else resources').
  HttpResponse Call(const std::string& method, const std::string& path, const std::string& body = "",
                    std::map<std::string, std::string> headers = {}, const char* api = nullptr,
                    bool with_api = true) {
    HttpRequest req;
    req.method = method;
    req.path = path;
    if (!api) api = path.find("/Microsoft.Network/") != std::string::npos ? "2023-09-01" : "2022-09-01";
    if (with_api) req.query["api-version"] = api;
    if (!headers.contains("authorization")) headers["authorization"] = fmt::format("Bearer {}", kToken);
    if (!headers.contains("host")) headers["host"] = "127.0.0.1:7480";
    req.headers = std::move(headers);
    req.body = body;
    return router_->Handle(req);
  }
  HttpResponse Put(const std::string& path, const Json& body) { return Call("PUT", path, body.dump()); }

  // Drives every pending operation and deployment to its end, as isthmusd's threads would.
  void Settle() {
    ReconcilerOptions opts;
    opts.render.underlay_pool = *net::Prefix::Parse("198.18.0.0/15");
    Reconciler reconciler(*svc_, realizer_, opts);
    for (int i = 0; i < 20 && (deployments_->RunOnce() || reconciler.RunOnce().progressed > 0); ++i) {
    }
  }

  static Json J(const HttpResponse& r) { return Json::parse(r.body, nullptr, false); }
  static std::string Code(const HttpResponse& r) {
    Json j = J(r);
    return j.is_object() && j.contains("error") && j["error"].is_object() ? j["error"].value("code", "") : "";
  }

  std::uint64_t Generation() const { return svc_->generation(); }
  std::string Sub() const { return "/subscriptions/" + sub_; }
  std::string Rg(const std::string& rg = "rg") const { return Sub() + "/resourceGroups/" + rg; }
  std::string Net(const std::string& type, const std::string& name) const {
    return fmt::format("{}/providers/Microsoft.Network/{}/{}", Rg(), type, name);
  }

  Json VnetBody(int i) const {
    return {
        {"location", "westus2"},
        {"properties",
         {{"addressSpace", {{"addressPrefixes", {fmt::format("10.{}.0.0/16", i)}}}},
          {"subnets",
           {{{"name", "GatewaySubnet"},
             {"properties", {{"addressPrefix", fmt::format("10.{}.255.0/27", i)}}}},
            {{"name", "default"}, {"properties", {{"addressPrefix", fmt::format("10.{}.0.0/24", i)}}}}}}}}};
  }
  Json GatewayBody(int vnet, int pip) const {
    return {{"location", "westus2"},
            {"properties",
             {{"gatewayType", "Vpn"},
              {"vpnType", "RouteBased"},
              {"sku", {{"name", "VpnGw1"}, {"tier", "VpnGw1"}}},
              {"activeActive", false},
              {"enableBgp", false},
              {"ipConfigurations",
               {{{"name", "cfg"},
                 {"properties",
                  {{"privateIPAllocationMethod", "Dynamic"},
                   {"subnet",
                    {{"id", Net("virtualNetworks", fmt::format("VNet{}", vnet)) + "/subnets/GatewaySubnet"}}},
                   {"publicIPAddress", {{"id", Net("publicIPAddresses", fmt::format("pip{}", pip))}}}}}}}}}}};
  }
  Json ConnectionBody(const std::string& gw1, const std::string& gw2, const std::string& key) const {
    return {{"location", "westus2"},
            {"properties",
             {{"connectionType", "Vnet2Vnet"},
              {"virtualNetworkGateway1", {{"id", Net("virtualNetworkGateways", gw1)}}},
              {"virtualNetworkGateway2", {{"id", Net("virtualNetworkGateways", gw2)}}},
              {"sharedKey", key},
              {"connectionProtocol", "IKEv2"},
              {"routingWeight", 0},
              {"dpdTimeoutSeconds", 45},
              {"ipsecPolicies",
               {{{"saLifeTimeSeconds", 3600},
                 {"saDataSizeKilobytes", 102400000},
                 {"ipsecEncryption", "AES256"},
                 {"ipsecIntegrity", "SHA256"},
                 {"ikeEncryption", "AES256"},
                 {"ikeIntegrity", "SHA256"},
                 {"dhGroup", "DHGroup14"},
                 {"pfsGroup", "PFS2048"}}}}}}};
  }

  // rg: VNet1 (10.1/16) and VNet2 (10.2/16) with GatewaySubnets, two public IPs, two gateways and a
  // connection "conn" between them with key kKey, all provisioned; pip3 (unused) for a third gateway.
  void Topology() {
    ASSERT_EQ(Put(Rg(), {{"location", "westus2"}}).status, 201);
    for (int i : {1, 2}) {
      ASSERT_EQ(Put(Net("virtualNetworks", fmt::format("VNet{}", i)), VnetBody(i)).status, 201);
    }
    for (int i : {1, 2, 3}) {
      ASSERT_EQ(Put(Net("publicIPAddresses", fmt::format("pip{}", i)),
                    {{"location", "westus2"}, {"sku", {{"name", "Standard"}}}})
                    .status,
                201);
    }
    for (int i : {1, 2}) {
      ASSERT_EQ(Put(Net("virtualNetworkGateways", fmt::format("gw{}", i)), GatewayBody(i, i)).status, 201);
    }
    Settle();
    ASSERT_EQ(Put(Net("connections", "conn"), ConnectionBody("gw1", "gw2", kKey)).status, 201);
    Settle();
  }

  SeededRng rng_{42};
  std::unique_ptr<ResourceService> svc_;
  std::unique_ptr<tmpl::Deployments> deployments_;
  std::unique_ptr<Router> router_;
  NoFabric realizer_;
  std::string sub_;
};

}  // namespace isthmus::mgmt
