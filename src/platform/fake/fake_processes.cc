#include "platform/fake/fake_processes.h"

#include <signal.h>

namespace isthmus::platform {

Result<int> FakeProcesses::SpawnDaemon(const SpawnSpec& spec) {
  std::lock_guard lock(mu_);
  if (!spawn_failures_.empty()) {
    Error e = spawn_failures_.front();
    spawn_failures_.erase(spawn_failures_.begin());
    return Fail(e);
  }
  Daemon d;
  d.pid = ++next_pid_;
  d.spec = spec;
  daemons_.push_back(d);
  return d.pid;
}

bool FakeProcesses::Alive(int pid, const std::string& needle) {
  std::lock_guard lock(mu_);
  for (const auto& d : daemons_) {
    if (d.pid != pid || !d.alive) continue;
    for (const auto& a : d.spec.argv) {
      if (a.find(needle) != std::string::npos) return true;
    }
  }
  return false;
}

bool FakeProcesses::InNetns(int pid, const std::string& netns) {
  std::lock_guard lock(mu_);
  for (const auto& d : daemons_) {
    if (d.pid == pid && d.alive) return d.in_netns && d.spec.netns == netns;
  }
  return false;
}

void FakeProcesses::Signal(int pid, int signal) {
  std::lock_guard lock(mu_);
  for (auto& d : daemons_) {
    if (d.pid != pid) continue;
    d.signals.push_back(signal);
    if (signal == SIGTERM || signal == SIGKILL || signal == SIGINT) d.alive = false;
  }
}

Result<RunOutcome> FakeProcesses::Run(const RunSpec& spec) {
  std::lock_guard lock(mu_);
  runs_.push_back(spec);
  return run_result_;
}

void FakeProcesses::FailNextSpawn(Error e) {
  std::lock_guard lock(mu_);
  spawn_failures_.push_back(std::move(e));
}

void FakeProcesses::Kill(int pid) {
  std::lock_guard lock(mu_);
  for (auto& d : daemons_) {
    if (d.pid == pid) d.alive = false;
  }
}

void FakeProcesses::MoveOutOfNetns(int pid) {
  std::lock_guard lock(mu_);
  for (auto& d : daemons_) {
    if (d.pid == pid) d.in_netns = false;
  }
}

void FakeProcesses::SetRunResult(RunOutcome r) {
  std::lock_guard lock(mu_);
  run_result_ = std::move(r);
}

std::vector<FakeProcesses::Daemon> FakeProcesses::daemons() const {
  std::lock_guard lock(mu_);
  return daemons_;
}

std::vector<RunSpec> FakeProcesses::runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

int FakeProcesses::LivePid(const std::string& needle) const {
  std::lock_guard lock(mu_);
  for (const auto& d : daemons_) {
    if (!d.alive) continue;
    for (const auto& a : d.spec.argv) {
      if (a.find(needle) != std::string::npos) return d.pid;
    }
  }
  return 0;
}

Result<std::string> FakeControlChannel::Request(const std::string& socket_path, const std::string& line,
                                                Duration) {
  Handler h;
  {
    std::lock_guard lock(mu_);
    requests_.emplace_back(socket_path, line);
    auto it = handlers_.find(socket_path);
    if (it == handlers_.end()) {
      return Fail(Error::NotFound("ControlSocketUnavailable", "cannot connect to " + socket_path));
    }
    h = it->second;
  }
  return h(line);
}

void FakeControlChannel::Serve(const std::string& socket_path, Handler h) {
  std::lock_guard lock(mu_);
  handlers_[socket_path] = std::move(h);
}

void FakeControlChannel::Close(const std::string& socket_path) {
  std::lock_guard lock(mu_);
  handlers_.erase(socket_path);
}

std::vector<std::pair<std::string, std::string>> FakeControlChannel::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

}  // namespace isthmus::platform
