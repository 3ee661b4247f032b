// Gateway supervision: one isthmus-gateway process per rendered gateway, in its namespace, from a
// configuration file the fabric writes (mode 0600: it holds shared keys). Level-triggered like the
// rest of the fabric:
//   - a gateway found running (pid file, command line, namespace) is adopted, so a restart of
//     isthmusd changes nothing on the wire (same SAs, same SPIs);
//   - a changed configuration is written and applied with `reload` (unchanged connections untouched);
//   - a dead gateway is restarted with exponential backoff; one whose namespace was deleted and made
//     anew is killed (it runs in the orphaned namespace) and restarted in the new one;
//   - a reset (vnet-gateway reset bumps resetGeneration) restarts the process;
//   - a gateway the plan no longer names is stopped (SIGTERM: it deletes its SAs with its peers).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "base/clock.h"
#include "mgmt/reconcile/host_realizer.h"
#include "mgmt/render/host_plan.h"
#include "platform/iface/processes.h"

namespace isthmus::fabric {

struct GatewayRuntime {
  int pid = 0;
  bool ready = false;  // answered `status` this pass
  int failures = 0;    // starts that did not come up, in a row
  TimePoint next_start{};
  TimePoint started_at{};  // of the last spawn: until it has exec'd, its command line is isthmusd's
  std::string last_error;
  // The last full `status` reply, its digest (sent back with `status DIGEST`: an unchanged gateway
  // answers in a few bytes), a version that changes with it, and when it came.
  std::shared_ptr<const nlohmann::json> status;
  std::string status_digest;
  std::uint64_t status_version = 0;
  TimePoint status_at{};
  bool had_process = false;  // a process ran (or was adopted) for it: the next start is a restart
  int restarts = 0;          // since isthmusd started (a reset's restart included)
  // What this process last wrote to (or read from) the gateway's .json and .gen files: an idle pass
  // compares with these instead of reading every gateway's files again. Empty: read the file.
  std::string config_on_disk;
  std::string gen_on_disk;
  // Restarted (not adopted): once it answers, the gateways that initiate towards it are told to start
  // over — a restarted responder has no SAs, and its peers would otherwise wait for DPD to notice.
  bool tell_peers = false;
  bool query_status = false;  // this pass: running with its configuration applied, to be asked `status`
  bool trusted = false;       // this pass: taken to be running without a look at pid, command line, netns
};

class Gateways {
 public:
  Gateways(platform::Processes& processes, platform::ControlChannel& control, Clock& clock,
           std::filesystem::path dir, std::string gateway_binary)
      : processes_(processes),
        control_(control),
        clock_(clock),
        dir_(std::move(dir)),
        binary_(std::move(gateway_binary)) {}

  // Stops gateways that have files here but are not in the plan (before their namespace goes).
  void StopUndeclared(const mgmt::render::HostPlan& plan);
  // After StopUndeclared. Gateways whose network failed this pass (report.errors) are left as they are.
  // `network_checked`: this pass compared the network with the plan in full. When it did not (nothing
  // changed), a gateway that answered last pass is trusted to be the process it was: its `status`
  // answer this pass shows it still is.
  void Converge(const mgmt::render::HostPlan& plan, mgmt::ConvergeReport& report, bool network_checked);
  // What the last Converge saw, by gateway key.
  std::map<std::string, mgmt::GatewayObservation> Observations(const mgmt::render::HostPlan& plan) const;
  // Stops every gateway with files in the directory (those of the plan included) and removes the files.
  void StopAll();
  const std::map<std::string, GatewayRuntime>& runtimes() const { return runtime_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  void ConvergeOne(const mgmt::render::GatewayPlan& g, mgmt::ConvergeReport& report, bool network_checked);
  // Tells the gateways that initiate towards `restarted` to terminate and initiate those connections.
  // Asks every gateway marked query_status for its status, several at a time.
  void QueryStatuses(const mgmt::render::HostPlan& plan, mgmt::ConvergeReport& report);
  static constexpr std::size_t kStatusThreads = 8;
  void RestartPeersOf(const mgmt::render::HostPlan& plan, const mgmt::render::GatewayPlan& restarted);
  void Start(const mgmt::render::GatewayPlan& g, GatewayRuntime& rt, mgmt::ConvergeReport& report);
  void Stop(const std::string& stem, int pid);
  int RunningPid(const std::string& stem, const std::string& ns);
  std::filesystem::path File(const std::string& stem, const char* ext) const { return dir_ / (stem + ext); }

  platform::Processes& processes_;
  platform::ControlChannel& control_;
  Clock& clock_;
  std::filesystem::path dir_;
  std::string binary_;
  std::map<std::string, GatewayRuntime> runtime_;  // by gateway key
  std::uint64_t status_versions_ = 0;              // the last status_version handed out
};

// Writes `text` to `path` atomically (a temporary file renamed over it) with mode 0600.
Status WriteFileAtomic(const std::filesystem::path& path, const std::string& text);
std::string ReadFile(const std::filesystem::path& path);
// The last line of a log file, without its newline ("" when empty): why a supervised process exited.
std::string LastLogLine(const std::filesystem::path& path);
// A pid file's number; 0 when absent or not a number.
int ReadPidFile(const std::filesystem::path& path);
// How long to wait before starting a supervised process again after `failures` failed starts in a row:
// 1 s, doubling, at most 30 s (an implementation choice).
Duration RestartBackoff(int failures);

}  // namespace isthmus::fabric
