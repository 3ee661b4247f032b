#include "fabric/impairers.h"

#include <signal.h>

#include <set>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "fabric/gateways.h"

namespace isthmus::fabric {
namespace {

using mgmt::render::GatewayPlan;
using namespace std::chrono_literals;

// Implementation choices: a process alive this long after its start counts as started (its backoff
// is forgotten); one forked but not yet exec'd has kExecGrace before it is taken for dead; a stopping
// one gets kStopGrace (it exits at once on SIGTERM) before SIGKILL.
constexpr Duration kSettled = 2s;
constexpr Duration kExecGrace = 2s;
constexpr Duration kStopGrace = 1s;
constexpr const char* kStemPrefix = "imp-";

}  // namespace

int Impairers::RunningPid(const std::string& stem, const std::string& ns) const {
  const int pid = ReadPidFile(File(stem, ".pid"));
  // The command line names the configuration file, which names the gateway: a recycled pid fails it.
  if (pid <= 0 || !processes_.Alive(pid, File(stem, ".json").string())) return 0;
  if (!ns.empty() && !processes_.InNetns(pid, ns)) {
    spdlog::warn("impairer {} (pid {}) runs in a namespace that is no longer {}: restarting it", stem, pid,
                 ns);
    processes_.Signal(pid, SIGKILL);
    return 0;
  }
  return pid;
}

void Impairers::Stop(const std::string& stem, int pid) {
  if (pid > 0) {
    processes_.Signal(pid, SIGTERM);
    const TimePoint until = clock_.Now() + kStopGrace;
    while (processes_.Alive(pid, stem) && clock_.Now() < until) std::this_thread::sleep_for(20ms);
    if (processes_.Alive(pid, stem)) processes_.Signal(pid, SIGKILL);
  }
  for (const char* ext : {".pid", ".json", ".status"}) {
    std::error_code ec;
    std::filesystem::remove(File(stem, ext), ec);
  }
}

void Impairers::StopUndeclared(const mgmt::render::HostPlan& plan) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  std::set<std::string> stems;
  for (const auto& g : plan.gateways) {
    if (g.impair) stems.insert(g.impair->file_stem);
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const auto name = entry.path().filename().string();
    if (!name.starts_with(kStemPrefix) || !name.ends_with(".json")) continue;
    const std::string stem = name.substr(0, name.size() - 5);
    if (stems.contains(stem)) continue;
    spdlog::info("impairer {}: no longer declared, stopping it", stem);
    Stop(stem, RunningPid(stem, ""));
  }
}

void Impairers::ConvergeOne(const GatewayPlan& g, const std::string& underlay_ns,
                            mgmt::ConvergeReport& report) {
  const mgmt::render::ImpairPlan& ip = *g.impair;
  ImpairerRuntime& rt = runtime_[g.key];
  int pid = RunningPid(ip.file_stem, underlay_ns);
  if (pid == 0 && rt.pid > 0 && clock_.Now() - rt.started_at < kExecGrace && processes_.Alive(rt.pid, "")) {
    report.pending.insert(g.key);  // forked, not exec'd yet
    return;
  }
  if (pid > 0 && rt.pid != pid)
    spdlog::info("impairer {}: adopted running isthmus-impair (pid {})", g.name, pid);
  if (pid > 0) {
    rt.pid = pid;
    if (clock_.Now() - rt.started_at >= kSettled) {
      rt.failures = 0;
      rt.last_error.clear();
    }
    if (rt.config_on_disk.empty()) rt.config_on_disk = ReadFile(File(ip.file_stem, ".json"));
    if (rt.config_on_disk != ip.config_text) {
      rt.config_on_disk.clear();
      if (auto s = WriteFileAtomic(File(ip.file_stem, ".json"), ip.config_text); !s) {
        report.errors.emplace(g.key, s.error());
        return;
      }
      rt.config_on_disk = ip.config_text;
      processes_.Signal(pid, SIGHUP);
      spdlog::info("impairer {}: new configuration (SIGHUP to pid {})", g.name, pid);
    }
    return;
  }
  // Not running.
  if (rt.pid > 0) {
    rt.last_error = "isthmus-impair exited: " + LastLogLine(File(ip.file_stem, ".log"));
    spdlog::warn("impairer {}: {}", g.name, rt.last_error);
    rt.pid = 0;
  }
  if (clock_.Now() < rt.next_start) {
    if (rt.last_error.empty()) {
      report.pending.insert(g.key);
    } else {
      report.errors.emplace(g.key, Error::Unavailable("ImpairerNotRunning", rt.last_error));
    }
    return;
  }
  if (auto s = WriteFileAtomic(File(ip.file_stem, ".json"), ip.config_text); !s) {
    report.errors.emplace(g.key, s.error());
    return;
  }
  rt.config_on_disk = ip.config_text;
  auto spawned = processes_.SpawnDaemon(
      {{binary_, "--a", ip.inner_tap, "--b", ip.outer_tap, "--config", File(ip.file_stem, ".json").string(),
        "--status", File(ip.file_stem, ".status").string()},
       underlay_ns,
       File(ip.file_stem, ".log").string()});
  ++rt.failures;
  rt.next_start = clock_.Now() + RestartBackoff(rt.failures);
  if (!spawned) {
    rt.last_error = spawned.error().message;
    report.errors.emplace(g.key, spawned.error());
    return;
  }
  if (rt.started_at != TimePoint{}) ++rt.restarts;
  rt.pid = *spawned;
  rt.started_at = clock_.Now();
  (void)WriteFileAtomic(File(ip.file_stem, ".pid"), std::to_string(*spawned) + "\n");
  spdlog::info("impairer {}: started isthmus-impair (pid {}) between {} and {}", g.name, *spawned,
               ip.inner_tap, ip.outer_tap);
  report.pending.insert(g.key);
}

void Impairers::Converge(const mgmt::render::HostPlan& plan, mgmt::ConvergeReport& report) {
  std::set<std::string> keys;
  for (const auto& g : plan.gateways) {
    if (!g.impair) continue;
    keys.insert(g.key);
    if (report.errors.contains(g.key)) continue;
    ConvergeOne(g, plan.underlay_ns, report);
  }
  std::erase_if(runtime_, [&](const auto& kv) { return !keys.contains(kv.first); });
}

nlohmann::json Impairers::Describe(const GatewayPlan& g) const {
  if (!g.impair) return nullptr;
  const mgmt::render::ImpairPlan& ip = *g.impair;
  auto it = runtime_.find(g.key);
  const ImpairerRuntime* rt = it == runtime_.end() ? nullptr : &it->second;
  nlohmann::json links = nlohmann::json::array();
  for (const auto& l : ip.links) {
    links.push_back({{"remote", l.remote.ToString()},
                     {"remoteRegion", l.remote_region},
                     {"oneWayDelayMs", std::chrono::duration<double, std::milli>(l.one_way).count()}});
  }
  nlohmann::json out = {{"pid", rt ? rt->pid : 0},
                        {"running", rt && rt->pid > 0},
                        {"restarts", rt ? rt->restarts : 0},
                        {"lastError", rt ? rt->last_error : ""},
                        {"devices", {ip.inner_tap, ip.outer_tap}},
                        {"links", std::move(links)},
                        {"log", File(ip.file_stem, ".log").string()}};
  auto status = nlohmann::json::parse(ReadFile(File(ip.file_stem, ".status")), nullptr, false);
  if (status.is_object() && status.contains("a_to_b")) {
    // Egress (gateway -> underlay) is what is impaired; its totals are what a user looks for.
    out["egress"] = status["a_to_b"].value("total", nlohmann::json::object());
    out["ingress"] = status.contains("b_to_a") ? status["b_to_a"].value("total", nlohmann::json::object())
                                               : nlohmann::json::object();
  }
  return out;
}

void Impairers::StopAll() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const auto name = entry.path().filename().string();
    if (!name.starts_with(kStemPrefix) || !name.ends_with(".json")) continue;
    const std::string stem = name.substr(0, name.size() - 5);
    Stop(stem, RunningPid(stem, ""));
  }
  runtime_.clear();
}

}  // namespace isthmus::fabric
