// The fabric's network: namespaces, bridges, veth legs, addresses, routes and sysctls, converged to a
// rendered HostPlan through NetNs/NetConfig (netlink). Level-triggered: each call compares what the
// namespaces hold with what the plan says and changes only the difference; it removes namespaces of
// its prefix that the plan no longer names, and never touches any other namespace.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "mgmt/reconcile/host_realizer.h"
#include "mgmt/render/host_plan.h"
#include "platform/iface/net_config.h"
#include "platform/iface/processes.h"

namespace isthmus::fabric {

struct NetworkCounters {
  std::uint64_t changes = 0;  // calls that changed something (create, add, set, delete)
};

class Network {
 public:
  Network(platform::NetNs& netns, platform::Processes& processes) : netns_(netns), processes_(processes) {}

  // Converges every namespace of the plan; errors land in report.errors under the resource's key.
  // `keep` names namespaces to leave alone even though the plan does not name them (none today).
  void Converge(const mgmt::render::HostPlan& plan, mgmt::ConvergeReport& report);
  // Deletes every namespace whose name starts with `prefix` (after killing what runs inside).
  Status RemoveAll(const std::string& prefix);
  // The namespaces with `prefix` that exist now.
  Result<std::vector<std::string>> Existing(const std::string& prefix);

  const NetworkCounters& counters() const { return counters_; }

 private:
  Status EnsureNamespace(const std::string& name);
  Status RemoveNamespace(const std::string& name);
  Status ConvergeUnderlay(const mgmt::render::HostPlan& plan);
  Status ConvergeVnet(const mgmt::render::VnetPlan& v, const mgmt::render::HostPlan& plan);
  Status ConvergeGateway(const mgmt::render::GatewayPlan& g);
  Status ConvergeVm(const mgmt::render::VmPlan& m);
  Status EnsureLeg(platform::NetConfig& here, const mgmt::render::LegPlan& leg);
  Status EnsureAddresses(platform::NetConfig& cfg, const std::string& link,
                         const std::vector<platform::InterfaceAddress>& want,
                         const std::vector<platform::LinkInfo>& links);
  // Makes the routes on `device` (every route when nullopt) exactly `want`.
  Status EnsureRoutes(platform::NetConfig& cfg, const std::vector<platform::RouteInfo>& want,
                      const std::optional<std::string>& device);
  Status EnsureSysctl(platform::NetConfig& cfg, const std::string& path, const std::string& value);
  Status Forwarding(platform::NetConfig& cfg);
  Status Count(Status s) {
    if (s) ++counters_.changes;
    return s;
  }

  platform::NetNs& netns_;
  platform::Processes& processes_;
  NetworkCounters counters_;
  // The namespaces that exist, listed once per Converge (listing them opens each one) and kept up to
  // date by EnsureNamespace; empty outside a Converge.
  std::optional<std::set<std::string>> pass_names_;
};

}  // namespace isthmus::fabric
