#include "fabric/fabric.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace isthmus::fabric {
namespace {

using mgmt::render::HostPlan;

std::string Leg(const mgmt::render::LegPlan& l) {
  return fmt::format("{}>{}/{}@{}:{}/{}:{}", l.ifname, l.peer_ns, l.peer_ifname, l.bridge,
                     l.address.ToString(), l.prefix_length, l.mac);
}

}  // namespace

std::string NetworkFingerprint(const HostPlan& plan) {
  std::string s = plan.prefix + "|" + plan.underlay_ns + "|" + plan.underlay_bridge + "\n";
  for (const auto& v : plan.vnets) {
    s += "v " + v.ns;
    for (const auto& b : v.bridges) s += fmt::format(" {}={}", b.name, b.prefix.ToString());
    for (const auto& r : v.routes) s += fmt::format(" {}>{}", r.destination.ToString(), r.via.ToString());
    s += "\n";
  }
  for (const auto& g : plan.gateways) {
    s += "g " + g.ns + " " + Leg(g.lan) + " " + Leg(g.wan);
    if (g.impair) s += " impair " + g.impair->bridge + "/" + g.impair->inner_tap + "/" + g.impair->outer_tap;
    for (const auto& r : g.routes) s += fmt::format(" {}>{}", r.destination.ToString(), r.via.ToString());
    s += "\n";
  }
  for (const auto& m : plan.vms)
    s += "m " + m.ns + " " + Leg(m.nic) + " " + m.default_gateway.ToString() + "\n";
  return s;
}

SingleHostFabric::SingleHostFabric(platform::NetNs& netns, platform::Processes& processes,
                                   platform::ControlChannel& control, Clock& clock, FabricOptions options)
    : netns_(netns),
      processes_(processes),
      clock_(clock),
      options_(std::move(options)),
      network_(netns, processes),
      gateways_(processes, control, clock, options_.dir, options_.gateway_binary),
      impairers_(processes, clock, options_.dir, options_.impair_binary) {}

mgmt::ConvergeReport SingleHostFabric::Converge(const HostPlan& plan) {
  std::lock_guard lock(mu_);
  mgmt::ConvergeReport report;
  last_plan_ = plan;
  if (suspended_) {
    const Error why = Error::Unavailable(
        "FabricSuspended",
        "The fabric was cleaned up; run `isthmus fabric resume` or restart isthmusd to realize it again.");
    for (const auto& g : plan.gateways) report.errors.emplace(g.key, why);
    for (const auto& m : plan.vms) report.errors.emplace(m.key, why);
    return report;
  }
  // Gateways that go are stopped before their namespace is deleted, so they say goodbye to peers.
  gateways_.StopUndeclared(plan);
  impairers_.StopUndeclared(plan);
  const std::string fp = NetworkFingerprint(plan);
  auto existing = network_.Existing(plan.prefix);
  const bool unchanged = existing && fp == last_fingerprint_ && *existing == last_namespaces_ &&
                         last_clean_ && clock_.Now() - last_full_ < kFullCheckPeriod;
  if (!unchanged) {
    network_.Converge(plan, report);
    last_fingerprint_ = fp;
    last_full_ = clock_.Now();
    last_clean_ = report.errors.empty() && report.removals_done;
    if (auto after = network_.Existing(plan.prefix)) last_namespaces_ = *after;
  }
  gateways_.Converge(plan, report, /*network_checked=*/!unchanged);
  // After the gateways (an impairer that cannot start is an error on its gateway, and a gateway with
  // an error is left alone): until it runs, the gateway's outside leg has no carrier and IKE retransmits.
  impairers_.Converge(plan, report);
  return report;
}

std::map<std::string, mgmt::GatewayObservation> SingleHostFabric::ObserveGateways(const HostPlan& plan) {
  std::lock_guard lock(mu_);
  return gateways_.Observations(plan);
}

Result<mgmt::RunCommandOutput> SingleHostFabric::RunShellScript(const mgmt::Resource& vm,
                                                                const std::vector<std::string>& script,
                                                                Duration timeout) {
  const std::string ns = mgmt::render::VmNamespace(options_.prefix, vm.id.Key());
  auto names = netns_.List();
  if (!names) return Fail(names.error());
  if (std::find(names->begin(), names->end(), ns) == names->end()) {
    return Fail(
        Error::Conflict("VMAgentNotReady",
                        fmt::format("VM '{}' is not running on this host yet (namespace {} does not exist).",
                                    vm.id.name, ns)));
  }
  std::string text;
  for (const auto& line : script) text += line + "\n";
  auto r = processes_.Run({{"/bin/sh", "-c", text}, ns, timeout, 4096});
  if (!r) return Fail(r.error());
  return mgmt::RunCommandOutput{r->exit_code, r->out, r->err, r->timed_out};
}

Result<nlohmann::json> SingleHostFabric::CheckConnectivity(const std::string& vm_key,
                                                           const ConnectivityProbe& probe) {
  HostPlan plan;
  {
    std::lock_guard lock(mu_);
    if (suspended_) {
      return Fail(Error::Conflict(
          "FabricSuspended", "The fabric was cleaned up; run `isthmus fabric resume` to realize it again."));
    }
    plan = last_plan_;
  }
  const auto vm =
      std::find_if(plan.vms.begin(), plan.vms.end(), [&](const auto& m) { return m.key == vm_key; });
  auto names = netns_.List();
  if (!names) return Fail(names.error());
  if (vm == plan.vms.end() || std::find(names->begin(), names->end(), vm->ns) == names->end()) {
    return Fail(Error::Conflict("VMNotRealized", "The source VM is not running on this host yet."));
  }
  return fabric::CheckConnectivity(processes_, plan, vm_key, probe);
}

nlohmann::json SingleHostFabric::Describe(const HostPlan& plan) {
  std::lock_guard lock(mu_);
  nlohmann::json out;
  out["prefix"] = plan.prefix;
  out["suspended"] = suspended_;
  out["stateDirectory"] = options_.dir.string();
  auto existing = network_.Existing(plan.prefix);
  std::set<std::string> present;
  if (existing) present.insert(existing->begin(), existing->end());
  nlohmann::json ns = nlohmann::json::array();
  auto add = [&](const std::string& name, const char* role, const std::string& resource) {
    ns.push_back(
        {{"name", name}, {"role", role}, {"resource", resource}, {"exists", present.contains(name)}});
    present.erase(name);
  };
  add(plan.underlay_ns, "underlay", "");
  for (const auto& v : plan.vnets) add(v.ns, "vnet-router", v.key);
  for (const auto& g : plan.gateways) add(g.ns, "gateway", g.key);
  for (const auto& m : plan.vms) add(m.ns, "vm", m.key);
  for (const auto& n : present)
    ns.push_back({{"name", n}, {"role", "undeclared"}, {"resource", ""}, {"exists", true}});
  out["namespaces"] = std::move(ns);
  nlohmann::json gws = nlohmann::json::array();
  for (const auto& g : plan.gateways) {
    auto it = gateways_.runtimes().find(g.key);
    const bool ready = it != gateways_.runtimes().end() && it->second.ready;
    gws.push_back({{"resource", g.key},
                   {"namespace", g.ns},
                   {"pid", it != gateways_.runtimes().end() ? it->second.pid : 0},
                   {"running", ready},
                   {"publicIp", g.config.local_address.ToString()},
                   {"connections", g.config.connections.size()},
                   {"controlSocket", g.config.control_socket},
                   {"log", (gateways_.dir() / (g.file_stem + ".log")).string()},
                   {"impairer", impairers_.Describe(g)}});
  }
  out["gateways"] = std::move(gws);
  return out;
}

Status SingleHostFabric::Cleanup() {
  std::lock_guard lock(mu_);
  suspended_ = true;
  gateways_.StopAll();
  impairers_.StopAll();
  last_fingerprint_.clear();
  auto s = network_.RemoveAll(options_.prefix);
  spdlog::info("fabric: cleaned up (namespaces with prefix {} removed); realization suspended",
               options_.prefix);
  return s;
}

void SingleHostFabric::Resume() {
  std::lock_guard lock(mu_);
  suspended_ = false;
  last_fingerprint_.clear();
}

bool SingleHostFabric::suspended() const {
  std::lock_guard lock(mu_);
  return suspended_;
}

}  // namespace isthmus::fabric
