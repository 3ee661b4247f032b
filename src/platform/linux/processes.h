// Linux Processes and ControlChannel: fork/setns/exec for daemons and bounded commands in named
// namespaces, /proc for liveness, a unix stream socket for control requests.
#pragma once

#include "platform/iface/processes.h"

namespace isthmus::platform {

class LinuxProcesses final : public Processes {
 public:
  Result<int> SpawnDaemon(const SpawnSpec& spec) override;
  bool Alive(int pid, const std::string& needle) override;
  bool InNetns(int pid, const std::string& netns) override;
  void Signal(int pid, int signal) override;
  Result<RunOutcome> Run(const RunSpec& spec) override;
};

class UnixControlChannel final : public ControlChannel {
 public:
  Result<std::string> Request(const std::string& socket_path, const std::string& line,
                              Duration timeout) override;
};

// The same request as a free function (what `isthmus-gateway status --socket` uses).
Result<std::string> UnixRequest(const std::string& socket_path, const std::string& line, Duration timeout);

}  // namespace isthmus::platform
