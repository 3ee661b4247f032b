// HostRealizer: what makes a rendered host state real. The reconciler hands it the whole desired
// state of its host every pass (level-triggered); the single-host fabric (src/fabric) implements it
// with namespaces, bridges, veths and supervised isthmus-gateway processes, and a later per-host agent
// would implement it for what is placed on its host.
#pragma once

#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "mgmt/render/host_plan.h"
#include "mgmt/service/resource_service.h"  // GatewayObservation

namespace isthmus::mgmt {

struct ConvergeReport {
  std::map<std::string, Error> errors;  // resource key -> why its realization failed in this pass
  std::set<std::string> pending;        // resource keys on their way (a gateway starting, say)
  bool removals_done = true;            // nothing is left on the host that the plan does not name
};

class HostRealizer {
 public:
  virtual ~HostRealizer() = default;
  // Converges the host toward `plan`: creates what is missing, repairs what differs, removes what the
  // plan no longer names. Never throws; failures are reported per resource and retried next pass.
  virtual ConvergeReport Converge(const render::HostPlan& plan) = 0;
  // Live status of every gateway of the plan, by gateway key. Cheap: called every pass.
  virtual std::map<std::string, GatewayObservation> ObserveGateways(const render::HostPlan& plan) = 0;
};

// The management plane alone: nothing is realized, every resource provisions at once, connections
// report "Unknown" (what isthmusd --fabric none runs).
class NoFabric final : public HostRealizer {
 public:
  ConvergeReport Converge(const render::HostPlan&) override { return {}; }
  std::map<std::string, GatewayObservation> ObserveGateways(const render::HostPlan&) override { return {}; }
};

}  // namespace isthmus::mgmt
