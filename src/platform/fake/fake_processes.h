// FakeProcesses and FakeControlChannel: the in-memory Processes and ControlChannel shared by unit
// tests (the fabric's above all). Spawned daemons are records that stay alive until signalled;
// commands answer what the test scripted; control sockets answer through a handler per path.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "platform/iface/processes.h"

namespace isthmus::platform {

class FakeProcesses final : public Processes {
 public:
  struct Daemon {
    int pid = 0;
    SpawnSpec spec;
    bool alive = true;
    bool in_netns = true;  // false: its namespace was re-created under it
    std::vector<int> signals;
  };

  Result<int> SpawnDaemon(const SpawnSpec& spec) override;
  bool Alive(int pid, const std::string& needle) override;
  bool InNetns(int pid, const std::string& netns) override;
  void Signal(int pid, int signal) override;
  Result<RunOutcome> Run(const RunSpec& spec) override;

  // Test controls.
  void FailNextSpawn(Error e);
  void Kill(int pid);                   // dies as if by SIGKILL from outside
  void MoveOutOfNetns(int pid);         // its namespace name now points elsewhere
  void SetRunResult(RunOutcome r);      // what Run answers next (and after)
  std::vector<Daemon> daemons() const;  // every daemon ever spawned, in order
  std::vector<RunSpec> runs() const;
  int LivePid(const std::string& needle) const;  // the live daemon whose argv contains needle, or 0

 private:
  mutable std::mutex mu_;
  int next_pid_ = 1000;
  std::vector<Daemon> daemons_;
  std::vector<RunSpec> runs_;
  RunOutcome run_result_;
  std::vector<Error> spawn_failures_;
};

class FakeControlChannel final : public ControlChannel {
 public:
  using Handler = std::function<Result<std::string>(const std::string& line)>;
  Result<std::string> Request(const std::string& socket_path, const std::string& line,
                              Duration timeout) override;

  void Serve(const std::string& socket_path, Handler h);  // replaces any earlier handler
  void Close(const std::string& socket_path);
  std::vector<std::pair<std::string, std::string>> requests() const;  // (socket, line), in order

 private:
  mutable std::mutex mu_;
  std::map<std::string, Handler> handlers_;
  std::vector<std::pair<std::string, std::string>> requests_;
};

}  // namespace isthmus::platform
