#include "fabric/gateways.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace isthmus::fabric {
namespace {

using mgmt::render::GatewayPlan;
using namespace std::chrono_literals;

// Implementation choices: a control request gets 1 s (the
// gateway answers from its loop within milliseconds); a stopping gateway gets 4 s to delete its SAs
// with its peers (its own bound is 3 s) before SIGKILL.
constexpr Duration kControlTimeout = 1s;
constexpr Duration kStopGrace = 4s;
constexpr Duration kExecGrace = 2s;

}  // namespace

Duration RestartBackoff(int failures) {
  constexpr Duration kFirst = 1s;
  constexpr Duration kMax = 30s;
  Duration d = kFirst;
  for (int i = 1; i < failures && d < kMax; ++i) d *= 2;
  return std::min(d, kMax);
}

std::string LastLogLine(const std::filesystem::path& path) {
  std::string log = ReadFile(path);
  while (!log.empty() && log.back() == '\n') log.pop_back();
  const auto nl = log.find_last_of('\n');
  return nl == std::string::npos ? log : log.substr(nl + 1);
}

int ReadPidFile(const std::filesystem::path& path) {
  const std::string text = ReadFile(path);
  try {
    return text.empty() ? 0 : std::stoi(text);
  } catch (...) {
    return 0;
  }
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream f(path);
  if (!f) return "";
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Status WriteFileAtomic(const std::filesystem::path& path, const std::string& text) {
  const std::string tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(Error::Internal(fmt::format("cannot write {}", tmp)));
  ::fchmod(fd, 0600);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Fail(Error::Internal(fmt::format("cannot write {}", path.string())));
  }
  return {};
}

int Gateways::RunningPid(const std::string& stem, const std::string& ns) {
  const int pid = ReadPidFile(File(stem, ".pid"));
  // The command line names the configuration file, which names the gateway: a recycled pid fails it.
  if (pid <= 0 || !processes_.Alive(pid, File(stem, ".json").string())) return 0;
  if (!ns.empty() && !processes_.InNetns(pid, ns)) {
    spdlog::warn("gateway {} (pid {}) runs in a namespace that is no longer {}: restarting it", stem, pid,
                 ns);
    processes_.Signal(pid, SIGKILL);
    return 0;
  }
  return pid;
}

void Gateways::Stop(const std::string& stem, int pid) {
  if (pid > 0) {
    processes_.Signal(pid, SIGTERM);
    const TimePoint until = clock_.Now() + kStopGrace;
    while (processes_.Alive(pid, stem) && clock_.Now() < until) std::this_thread::sleep_for(50ms);
    if (processes_.Alive(pid, stem)) processes_.Signal(pid, SIGKILL);
  }
  for (const char* ext : {".pid", ".json", ".sock", ".gen"}) {
    std::error_code ec;
    std::filesystem::remove(File(stem, ext), ec);
  }
}

void Gateways::Start(const GatewayPlan& g, GatewayRuntime& rt, mgmt::ConvergeReport& report) {
  if (clock_.Now() < rt.next_start) {
    if (rt.last_error.empty()) {
      report.pending.insert(g.key);
    } else {
      report.errors.emplace(g.key, Error::Unavailable("GatewayNotRunning", rt.last_error));
    }
    return;
  }
  if (auto s = WriteFileAtomic(File(g.file_stem, ".json"), g.config_text); !s) {
    report.errors.emplace(g.key, s.error());
    return;
  }
  rt.config_on_disk = g.config_text;
  rt.gen_on_disk = WriteFileAtomic(File(g.file_stem, ".gen"), std::to_string(g.reset_generation))
                       ? std::to_string(g.reset_generation)
                       : "";
  auto pid = processes_.SpawnDaemon(
      {{binary_, "--config", File(g.file_stem, ".json").string()}, g.ns, File(g.file_stem, ".log").string()});
  ++rt.failures;  // until it answers `status`
  rt.next_start = clock_.Now() + RestartBackoff(rt.failures);
  if (!pid) {
    rt.last_error = pid.error().message;
    report.errors.emplace(g.key, pid.error());
    return;
  }
  rt.pid = *pid;
  rt.started_at = clock_.Now();
  if (rt.had_process) {
    ++rt.restarts;
    rt.tell_peers = true;
  }
  rt.had_process = true;
  (void)WriteFileAtomic(File(g.file_stem, ".pid"), std::to_string(*pid) + "\n");
  spdlog::info("gateway {}: started isthmus-gateway (pid {}) in {}", g.name, *pid, g.ns);
  report.pending.insert(g.key);
}

void Gateways::ConvergeOne(const GatewayPlan& g, mgmt::ConvergeReport& report, bool network_checked) {
  GatewayRuntime& rt = runtime_[g.key];
  const bool answered = rt.ready;
  rt.ready = false;
  // Answered last pass and nothing about its namespace changed: it is the process it was (its status
  // reply below shows it is still there); otherwise pid file, command line and namespace are checked.
  rt.trusted = answered && !network_checked && rt.pid > 0;
  int pid = rt.trusted ? rt.pid : RunningPid(g.file_stem, g.ns);
  if (pid == 0 && rt.pid > 0 && clock_.Now() - rt.started_at < kExecGrace && processes_.Alive(rt.pid, "")) {
    report.pending.insert(g.key);  // forked, not exec'd yet
    return;
  }
  if (pid > 0 && rt.pid != pid)
    spdlog::info("gateway {}: adopted running isthmus-gateway (pid {})", g.name, pid);
  rt.pid = pid;
  if (pid > 0) rt.had_process = true;
  if (rt.gen_on_disk.empty()) rt.gen_on_disk = ReadFile(File(g.file_stem, ".gen"));
  const std::string gen = rt.gen_on_disk;
  if (pid > 0 && !gen.empty() && gen != std::to_string(g.reset_generation)) {
    spdlog::info("gateway {}: reset: restarting isthmus-gateway (pid {})", g.name, pid);
    Stop(g.file_stem, pid);
    GatewayRuntime fresh;
    fresh.had_process = true;
    fresh.restarts = rt.restarts;
    rt = std::move(fresh);
    pid = 0;
  }
  if (pid == 0) {
    if (rt.failures > 0 && rt.last_error.empty()) {
      rt.last_error = "isthmus-gateway exited: " + LastLogLine(File(g.file_stem, ".log"));
    }
    Start(g, rt, report);
    return;
  }
  if (rt.config_on_disk.empty()) rt.config_on_disk = ReadFile(File(g.file_stem, ".json"));
  if (rt.config_on_disk != g.config_text) {
    rt.config_on_disk.clear();
    if (auto s = WriteFileAtomic(File(g.file_stem, ".json"), g.config_text); !s) {
      report.errors.emplace(g.key, s.error());
      return;
    }
    rt.config_on_disk = g.config_text;
    auto reply = control_.Request(File(g.file_stem, ".sock").string(), "reload", kControlTimeout);
    auto j = reply ? nlohmann::json::parse(*reply, nullptr, false) : nlohmann::json();
    if (!reply || j.is_discarded() || !j.value("ok", false)) {
      const std::string why = !reply             ? reply.error().message
                              : j.is_discarded() ? "malformed reply"
                                                 : j.value("error", "");
      report.errors.emplace(g.key, Error::Unavailable("GatewayReloadFailed", "reload failed: " + why));
      rt.config_on_disk = "\n";  // not what the gateway runs: write and reload again next pass
      return;
    }
    spdlog::info("gateway {}: configuration applied ({} connection(s))", g.name, g.config.connections.size());
  }
  rt.query_status = true;  // asked in Converge, all gateways at once
}

void Gateways::QueryStatuses(const mgmt::render::HostPlan& plan, mgmt::ConvergeReport& report) {
  struct Query {
    const GatewayPlan* plan;
    GatewayRuntime* rt;
    Result<std::string> reply = std::string();
  };
  std::vector<Query> queries;
  for (const auto& g : plan.gateways) {
    auto it = runtime_.find(g.key);
    if (it == runtime_.end() || !it->second.query_status) continue;
    it->second.query_status = false;
    queries.push_back({&g, &it->second});
  }
  // Each gateway answers from its own event loop: asking them one after another would add their wake-up
  // latencies; a few threads ask them side by side.
  const std::size_t threads = std::min<std::size_t>(kStatusThreads, queries.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < queries.size(); i = next++) {
      const std::string& digest = queries[i].rt->status_digest;
      queries[i].reply = control_.Request(File(queries[i].plan->file_stem, ".sock").string(),
                                          digest.empty() ? "status" : "status " + digest, kControlTimeout);
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  for (auto& q : queries) {
    auto j = q.reply ? nlohmann::json::parse(*q.reply, nullptr, false) : nlohmann::json();
    if (!q.reply || j.is_discarded() || !j.value("ok", false) ||
        (j.value("unchanged", false) && !q.rt->status)) {
      report.pending.insert(q.plan->key);  // starting: the socket is not there yet
      q.rt->status = nullptr;
      q.rt->status_digest.clear();
      continue;
    }
    q.rt->ready = true;
    q.rt->failures = 0;
    q.rt->last_error.clear();
    if (j.value("unchanged", false)) continue;  // what it said last time still holds
    // A gateway older than digests sends none: it is asked for its whole status every pass.
    q.rt->status_digest =
        j.contains("digest") && j["digest"].is_string() ? j["digest"].get<std::string>() : "";
    q.rt->status = std::make_shared<const nlohmann::json>(std::move(j));
    q.rt->status_at = clock_.Now();
    q.rt->status_version = ++status_versions_;
  }
}

void Gateways::StopUndeclared(const mgmt::render::HostPlan& plan) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  std::set<std::string> stems;
  for (const auto& g : plan.gateways) stems.insert(g.file_stem);
  // Gateways that no longer exist.
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const auto name = entry.path().filename().string();
    if (!name.starts_with("gw-") || !name.ends_with(".json")) continue;
    const std::string stem = name.substr(0, name.size() - 5);
    if (stems.contains(stem)) continue;
    spdlog::info("gateway {}: no longer declared, stopping it", stem);
    Stop(stem, RunningPid(stem, ""));
  }
}

void Gateways::Converge(const mgmt::render::HostPlan& plan, mgmt::ConvergeReport& report,
                        bool network_checked) {
  // Gateways that only respond are configured first: when one pass adds both ends of a pair, the
  // responder knows the connection before the initiator's IKE_SA_INIT reaches it.
  std::vector<const GatewayPlan*> order;
  for (const auto& g : plan.gateways) order.push_back(&g);
  auto initiates = [](const GatewayPlan* g) {
    return std::any_of(g->config.connections.begin(), g->config.connections.end(),
                       [](const auto& c) { return c.mode != gateway::ConnectionMode::kResponder; });
  };
  std::stable_partition(order.begin(), order.end(), [&](const GatewayPlan* g) { return !initiates(g); });
  std::set<std::string> keys;
  for (const GatewayPlan* g : order) {
    keys.insert(g->key);
    if (report.errors.contains(g->key)) continue;
    ConvergeOne(*g, report, network_checked);
  }
  std::erase_if(runtime_, [&](const auto& kv) { return !keys.contains(kv.first); });
  QueryStatuses(plan, report);
  // A trusted gateway that did not answer is looked at in full at once (killed: restarted this pass).
  bool again = false;
  for (const auto& g : plan.gateways) {
    auto it = runtime_.find(g.key);
    if (it == runtime_.end() || !it->second.trusted || it->second.ready) continue;
    ConvergeOne(g, report, /*network_checked=*/true);
    again = true;
  }
  if (again) QueryStatuses(plan, report);
  for (const auto& g : plan.gateways) {
    auto it = runtime_.find(g.key);
    if (it == runtime_.end() || !it->second.tell_peers || !it->second.ready) continue;
    it->second.tell_peers = false;
    RestartPeersOf(plan, g);
  }
}

void Gateways::RestartPeersOf(const mgmt::render::HostPlan& plan,
                              const mgmt::render::GatewayPlan& restarted) {
  for (const auto& p : plan.gateways) {
    if (p.key == restarted.key) continue;
    auto it = runtime_.find(p.key);
    if (it == runtime_.end() || !it->second.ready) continue;
    for (const auto& c : p.config.connections) {
      if (c.remote_address != restarted.config.local_address || c.mode == gateway::ConnectionMode::kResponder)
        continue;
      const std::string sock = File(p.file_stem, ".sock").string();
      (void)control_.Request(sock, "terminate " + c.name, kControlTimeout);
      auto r = control_.Request(sock, "initiate " + c.name, kControlTimeout);
      spdlog::info("gateway {}: {} restarted: connection {} starts over{}", p.name, restarted.name, c.name,
                   r ? "" : " (initiate failed: " + r.error().message + ")");
    }
  }
}

std::map<std::string, mgmt::GatewayObservation> Gateways::Observations(
    const mgmt::render::HostPlan& plan) const {
  std::map<std::string, mgmt::GatewayObservation> out;
  for (const auto& g : plan.gateways) {
    mgmt::GatewayObservation o;
    auto it = runtime_.find(g.key);
    if (it != runtime_.end()) o.restarts = it->second.restarts;
    if (it != runtime_.end() && it->second.ready) {
      o.running = true;
      o.status = it->second.status;
      o.status_version = it->second.status_version;
      o.status_at = it->second.status_at;
    } else {
      o.error = it == runtime_.end() || it->second.last_error.empty() ? "The gateway is starting."
                                                                      : it->second.last_error;
    }
    out[g.key] = std::move(o);
  }
  return out;
}

void Gateways::StopAll() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const auto name = entry.path().filename().string();
    if (!name.starts_with("gw-") || !name.ends_with(".json")) continue;
    const std::string stem = name.substr(0, name.size() - 5);
    Stop(stem, RunningPid(stem, ""));
  }
  runtime_.clear();
}

}  // namespace isthmus::fabric
