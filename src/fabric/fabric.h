// SingleHostFabric: the cloud on one Linux host (DESIGN.md §6). It realizes a rendered HostPlan —
// the underlay, a router namespace per VNet, a namespace per VM and per gateway, isthmus-gateway
// processes under supervision — and reports what it sees. It is the reconciler's HostRealizer and the
// REST layer's VmAgent.
//
// A pass with nothing to do is cheap: the network is compared with the plan in full only when the
// plan or the set of namespaces changed, or every kFullCheckPeriod (to repair what was changed by
// hand); gateways are checked every pass (a pid and one control request each).
#pragma once

#include <filesystem>
#include <mutex>
#include <string>

#include "base/clock.h"
#include "fabric/connectivity.h"
#include "fabric/gateways.h"
#include "fabric/impairers.h"
#include "fabric/network.h"
#include "mgmt/reconcile/host_realizer.h"
#include "mgmt/service/vm_agent.h"
#include "platform/iface/net_config.h"
#include "platform/iface/processes.h"

namespace isthmus::fabric {

struct FabricOptions {
  std::string prefix = "isth-";
  std::filesystem::path dir;   // the fabric's files: gateways' configs, sockets, pid files, logs
  std::string gateway_binary;  // path of isthmus-gateway
  std::string impair_binary;   // path of isthmus-impair (needed only when some region pair is impaired)
};

class SingleHostFabric final : public mgmt::HostRealizer, public mgmt::VmAgent {
 public:
  SingleHostFabric(platform::NetNs& netns, platform::Processes& processes, platform::ControlChannel& control,
                   Clock& clock, FabricOptions options);

  mgmt::ConvergeReport Converge(const mgmt::render::HostPlan& plan) override;
  std::map<std::string, mgmt::GatewayObservation> ObserveGateways(
      const mgmt::render::HostPlan& plan) override;
  Result<mgmt::RunCommandOutput> RunShellScript(const mgmt::Resource& vm,
                                                const std::vector<std::string>& script,
                                                Duration timeout) override;

  // Network Watcher's connectivity check from a VM of the last converged plan (not under the fabric's
  // lock: the probes take seconds, and the reconciler must not wait for them).
  Result<nlohmann::json> CheckConnectivity(const std::string& vm_key, const ConnectivityProbe& probe);

  // What exists on the host: namespaces by role and resource, gateway processes.
  nlohmann::json Describe(const mgmt::render::HostPlan& plan);
  // Stops every gateway and deletes every namespace with the prefix; realization stays suspended
  // until Resume() (or a restart), so the reconciler does not build it all again at once.
  Status Cleanup();
  void Resume();
  bool suspended() const;

  const NetworkCounters& network_counters() const { return network_.counters(); }
  static constexpr Duration kFullCheckPeriod = std::chrono::seconds(10);

 private:
  platform::NetNs& netns_;
  platform::Processes& processes_;
  Clock& clock_;
  FabricOptions options_;
  Network network_;
  Gateways gateways_;
  Impairers impairers_;
  mutable std::mutex mu_;  // Converge (reconciler thread) vs RunShellScript/Status/Cleanup (REST threads)
  bool suspended_ = false;
  std::string last_fingerprint_;
  std::vector<std::string> last_namespaces_;
  TimePoint last_full_{};
  bool last_clean_ = false;
  mgmt::render::HostPlan last_plan_;  // what the last Converge realized
};

// The parts of a plan the network depends on, as text: equal text, equal network.
std::string NetworkFingerprint(const mgmt::render::HostPlan& plan);

}  // namespace isthmus::fabric
