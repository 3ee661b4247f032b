// The reconciler's cost with a large store: a two-hub hub-and-spoke declaration (each VNet with a gateway
// subnet, FrontEnd, a public IP, a gateway, a NIC and a VM; a connection pair per spoke) driven over the
// platform fakes until it is converged, then timed passes with nothing to do — the fast path (the
// plan's fingerprint is unchanged) and the periodic full check (every namespace, link, address and
// route compared with the host). The fakes answer netlink and the control socket from memory, so this
// measures the reconciler, the renderer and the fabric's diff — the live figure over real netlink is
// what bench/fabric_scale.sh prints from isthmusd's own isthmus_reconcile_last_pass_seconds.
//
// Usage: reconcile_pass [resources≈1000] [passes=200]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "fabric/fabric.h"
#include "mgmt/reconcile/reconciler.h"
#include "mgmt/service/resource_service.h"
#include "mgmt/store/sqlite_store.h"
#include "platform/fake/fake_net_config.h"
#include "platform/fake/fake_processes.h"

namespace {

using isthmus::mgmt::Kind;
using isthmus::mgmt::ResourceId;
using nlohmann::json;
using namespace std::chrono_literals;

struct Bench {
  std::filesystem::path dir;
  isthmus::SeededRng rng{7};
  isthmus::ManualClock clock;
  isthmus::platform::FakeNetNs netns;
  isthmus::platform::FakeProcesses procs;
  isthmus::platform::FakeControlChannel control;
  std::unique_ptr<isthmus::mgmt::ResourceService> svc;
  std::unique_ptr<isthmus::fabric::SingleHostFabric> fabric;
  std::unique_ptr<isthmus::mgmt::Reconciler> rec;
  std::string sub;
  // Whatever way main returns, the temporary state goes.
  ~Bench() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }

  ResourceId Id(Kind k, const std::string& rg, const std::string& n) {
    return ResourceId::Network(k, sub, rg, n);
  }
  void Must(const isthmus::Result<isthmus::mgmt::WriteOutcome>& r, const std::string& what) {
    if (!r) {
      fmt::print(stderr, "reconcile_pass: {}: {}\n", what, r.error().message);
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);  // exit runs no destructors
      std::exit(1);
    }
  }
  void Site(int i) {
    const std::string rg = fmt::format("rg{}", i), v = fmt::format("vnet{}", i);
    const std::string space = fmt::format("10.{}.0.0/16", i);
    Must(svc->Put(ResourceId::Group(sub, rg), {{"location", "westus"}}, {}), "group");
    Must(svc->Put(Id(Kind::kVirtualNetwork, rg, v),
                  {{"location", "westus"},
                   {"properties",
                    {{"addressSpace", {{"addressPrefixes", {space}}}},
                     {"subnets",
                      {{{"name", "GatewaySubnet"},
                        {"properties", {{"addressPrefix", fmt::format("10.{}.255.0/27", i)}}}},
                       {{"name", "FrontEnd"},
                        {"properties", {{"addressPrefix", fmt::format("10.{}.0.0/24", i)}}}}}}}}},
                  {}),
         "vnet");
    Must(svc->Put(Id(Kind::kPublicIpAddress, rg, v + "ip"), {{"location", "westus"}}, {}), "public ip");
    const std::string subnet = Id(Kind::kVirtualNetwork, rg, v).ToString() + "/subnets/";
    Must(svc->Put(Id(Kind::kVirtualNetworkGateway, rg, v + "gw"),
                  {{"location", "westus"},
                   {"properties",
                    {{"gatewayType", "Vpn"},
                     {"sku", {{"name", i < 2 ? "VpnGw4" : "VpnGw1"}, {"tier", i < 2 ? "VpnGw4" : "VpnGw1"}}},
                     {"ipConfigurations",
                      {{{"name", "c"},
                        {"properties",
                         {{"subnet", {{"id", subnet + "GatewaySubnet"}}},
                          {"publicIPAddress",
                           {{"id", Id(Kind::kPublicIpAddress, rg, v + "ip").ToString()}}}}}}}}}}},
                  {}),
         "gateway");
    const ResourceId nic = Id(Kind::kNetworkInterface, rg, "vm" + std::to_string(i) + "nic");
    Must(svc->Put(
             nic,
             {{"location", "westus"},
              {"properties",
               {{"ipConfigurations",
                 {{{"name", "ipconfig1"}, {"properties", {{"subnet", {{"id", subnet + "FrontEnd"}}}}}}}}}}},
             {}),
         "nic");
    const ResourceId vm = Id(Kind::kVirtualMachine, rg, "vm" + std::to_string(i));
    Must(svc->Put(vm,
                  {{"location", "westus"},
                   {"properties",
                    {{"hardwareProfile", {{"vmSize", "Standard_B1s"}}},
                     {"storageProfile",
                      {{"imageReference",
                        {{"publisher", "Canonical"},
                         {"offer", "0001-com-ubuntu-server-jammy"},
                         {"sku", "22_04-lts-gen2"},
                         {"version", "latest"}}}}},
                     {"networkProfile", {{"networkInterfaces", {{{"id", nic.ToString()}}}}}}}}},
                  {}),
         "vm");
  }
  void Connect(int a, int b) {
    const std::string rg = fmt::format("rg{}", a);
    Must(svc->Put(
             Id(Kind::kConnection, rg, fmt::format("c{}to{}", a, b)),
             {{"location", "westus"},
              {"properties",
               {{"connectionType", "Vnet2Vnet"},
                {"virtualNetworkGateway1",
                 {{"id", Id(Kind::kVirtualNetworkGateway, rg, fmt::format("vnet{}gw", a)).ToString()}}},
                {"virtualNetworkGateway2",
                 {{"id", Id(Kind::kVirtualNetworkGateway, fmt::format("rg{}", b), fmt::format("vnet{}gw", b))
                             .ToString()}}},
                {"sharedKey", "Sh4redKey-bench"}}}},
             {}),
         "connection");
  }
  // Every started gateway answers `status` with its configured connections Connected, as a live one would.
  void Serve() {
    for (const auto& entry : std::filesystem::directory_iterator(dir / "fabric")) {
      const auto p = entry.path();
      if (p.extension() != ".json" || !p.filename().string().starts_with("gw-")) continue;
      const std::string sock = (dir / "fabric" / (p.stem().string() + ".sock")).string();
      // The answer is built once from the configuration written so far (a live gateway's reply costs
      // it nothing to compute either); Serve() runs again after each converging pass.
      std::ifstream f(p);
      std::stringstream ss;
      ss << f.rdbuf();
      json cfg = json::parse(ss.str());
      json conns = json::array();
      for (const auto& c : cfg["connections"]) {
        conns.push_back({{"name", c["name"]},
                         {"state", "Connected"},
                         {"remote", c["remote_address"].get<std::string>() + "[4500]"},
                         {"in", {{"bytes", 1234}, {"packets", 10}}},
                         {"out", {{"bytes", 4321}, {"packets", 11}}},
                         {"children", json::array()}});
      }
      const std::string reply = json{{"ok", true}, {"connections", conns}}.dump();
      control.Serve(sock, [reply](const std::string& line) -> isthmus::Result<std::string> {
        if (line != "status") return std::string(R"({"ok":true})");
        return reply;
      });
    }
  }
};

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  const int want = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int passes = argc > 2 ? std::atoi(argv[2]) : 200;
  if (want < 20 || passes < 1) {
    fmt::print(stderr, "usage: reconcile_pass [resources>=20] [passes>=1]\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);  // the store logs every creation
  Bench b;
  b.dir = std::filesystem::temp_directory_path() / fmt::format("isthmus-reconcile-bench-{}", ::getpid());
  std::filesystem::remove_all(b.dir);
  std::filesystem::create_directories(b.dir / "fabric");
  auto store = isthmus::mgmt::SqliteStore::Open((b.dir / "db").string());
  if (!store) {
    fmt::print(stderr, "reconcile_pass: {}\n", store.error().message);
    return 1;
  }
  b.svc = std::make_unique<isthmus::mgmt::ResourceService>(
      std::move(*store), isthmus::mgmt::ServiceOptions{*isthmus::net::Prefix::Parse("198.18.0.0/15")}, b.rng);
  if (!b.svc->Open()) return 1;
  b.sub = b.svc->DefaultSubscription();
  b.fabric = std::make_unique<isthmus::fabric::SingleHostFabric>(
      b.netns, b.procs, b.control, b.clock,
      isthmus::fabric::FabricOptions{"b-", b.dir / "fabric", "/usr/bin/isthmus-gateway", ""});
  isthmus::mgmt::ReconcilerOptions o;
  o.render = {"b-", (b.dir / "fabric").string(), *isthmus::net::Prefix::Parse("198.18.0.0/15"), {}};
  b.rec = std::make_unique<isthmus::mgmt::Reconciler>(*b.svc, *b.fabric, o);

  // Per spoke: group, VNet, public IP, gateway, NIC, VM and 2 connections = 8 resources (subnets are
  // part of their VNet's document).
  const int vnets = std::max(2, (want + 7) / 8);
  auto converge = [&](int n) {
    for (int i = 0; i < n; ++i) {
      b.rec->RunOnce();
      b.Serve();
      b.clock.Advance(1100ms);
    }
  };
  for (int i = 0; i < vnets; ++i) b.Site(i);
  converge(3);
  // Two hubs (VpnGw4: up to 100 tunnels each), connected to each other; the spokes alternate.
  for (int i = 1; i < vnets; ++i) {
    const int hub = i < 2 ? 0 : i % 2;
    b.Connect(hub, i);
    b.Connect(i, hub);
  }
  converge(4);
  std::size_t resources = 0;
  for (Kind k :
       {Kind::kResourceGroup, Kind::kVirtualNetwork, Kind::kSubnet, Kind::kPublicIpAddress,
        Kind::kVirtualNetworkGateway, Kind::kConnection, Kind::kNetworkInterface, Kind::kVirtualMachine}) {
    resources += b.svc->TakeSnapshot().state.List(k, b.sub).size();
  }
  auto first = b.rec->RunOnce();
  if (first.progressed != 0 || !first.report.errors.empty()) {
    fmt::print(stderr, "reconcile_pass: not converged ({} progressed, {} errors)\n", first.progressed,
               first.report.errors.size());
    return 1;
  }

  std::vector<double> fast, full;
  for (int i = 0; i < passes; ++i) {
    b.clock.Advance(100ms);  // within the fabric's full-check period: the fast path
    auto t0 = std::chrono::steady_clock::now();
    b.rec->RunOnce();
    fast.push_back(Ms(std::chrono::steady_clock::now() - t0));
  }
  for (int i = 0; i < std::max(1, passes / 10); ++i) {
    b.clock.Advance(11s);  // past it: every namespace, link, address and route compared
    auto t0 = std::chrono::steady_clock::now();
    b.rec->RunOnce();
    full.push_back(Ms(std::chrono::steady_clock::now() - t0));
  }
  fmt::print("reconcile pass with nothing to do: {} resources ({} VNets, {} gateways, {} connections)\n",
             resources, vnets, vnets, 2 * (vnets - 1));
  fmt::print("  fast path (plan unchanged)   median {:.2f} ms  p99 {:.2f} ms  ({} passes; target < 10 ms)\n",
             Percentile(fast, 0.5), Percentile(fast, 0.99), fast.size());
  fmt::print("  full check of the host       median {:.2f} ms  p99 {:.2f} ms  ({} passes)\n",
             Percentile(full, 0.5), Percentile(full, 0.99), full.size());
  b.rec.reset();
  b.fabric.reset();
  b.svc.reset();
  std::filesystem::remove_all(b.dir);
  return 0;
}
