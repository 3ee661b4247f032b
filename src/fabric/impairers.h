// Impairer supervision: one isthmus-impair process per gateway whose connections cross an impaired pair
// of regions (docs/fabric.md, "Regions that feel real"), in the underlay namespace, forwarding between
// the gateway's TAPs there (the Network made them: t-<h> in the gateway's own bridge b-<h>, u-<h> in
// ul0). Level-triggered like the gateways:
//   - one found running (pid file, command line, namespace) is adopted;
//   - a changed configuration is written and applied with SIGHUP (queued frames and counters kept);
//   - a dead one is restarted with the gateways' backoff; the TAPs are persistent, so the gateway's
//     leg only loses carrier meanwhile;
//   - one the plan no longer names is stopped (SIGTERM) and its files removed.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "mgmt/reconcile/host_realizer.h"
#include "mgmt/render/host_plan.h"
#include "platform/iface/processes.h"

namespace isthmus::fabric {

struct ImpairerRuntime {
  int pid = 0;
  int failures = 0;  // starts that did not stay up, in a row
  TimePoint next_start{};
  TimePoint started_at{};
  std::string config_on_disk;  // what this process last wrote to {stem}.json
  std::string last_error;
  int restarts = 0;
};

class Impairers {
 public:
  Impairers(platform::Processes& processes, Clock& clock, std::filesystem::path dir, std::string binary)
      : processes_(processes), clock_(clock), dir_(std::move(dir)), binary_(std::move(binary)) {}

  // Stops impairers that have files here but are not in the plan.
  void StopUndeclared(const mgmt::render::HostPlan& plan);
  // After the network: starts, adopts, reconfigures. A gateway whose network failed this pass is
  // skipped; one whose impairer is starting is reported pending, one that cannot start as an error.
  void Converge(const mgmt::render::HostPlan& plan, mgmt::ConvergeReport& report);
  // For `fabric status`: pid, running, its links and the counters of its status file.
  nlohmann::json Describe(const mgmt::render::GatewayPlan& g) const;
  void StopAll();

 private:
  void ConvergeOne(const mgmt::render::GatewayPlan& g, const std::string& underlay_ns,
                   mgmt::ConvergeReport& report);
  int RunningPid(const std::string& stem, const std::string& ns) const;
  void Stop(const std::string& stem, int pid);
  std::filesystem::path File(const std::string& stem, const char* ext) const { return dir_ / (stem + ext); }

  platform::Processes& processes_;
  Clock& clock_;
  std::filesystem::path dir_;
  std::string binary_;
  std::map<std::string, ImpairerRuntime> runtime_;  // by gateway key
};

}  // namespace isthmus::fabric
