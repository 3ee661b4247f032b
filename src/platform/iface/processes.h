// Processes: starting, watching and stopping the processes the fabric runs in namespaces it made
// (gateways as daemons; bounded commands in VMs), and the control-socket channel to a gateway.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace isthmus::platform {

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] is the executable's path
  std::string netns;              // a named namespace (/run/netns/NAME)
  std::string log_path;           // stdout and stderr are appended here
};

struct RunSpec {
  std::vector<std::string> argv;
  std::string netns;
  Duration timeout = std::chrono::seconds(30);
  std::size_t max_output = 4096;  // per stream; the rest is read and dropped
};

struct RunOutcome {
  int exit_code = -1;  // 128+N when killed by signal N
  bool timed_out = false;
  std::string out;
  std::string err;
};

class Processes {
 public:
  virtual ~Processes() = default;
  // Starts a daemon in `netns`: detached (own session, parented to init, so it outlives the caller
  // and is never the caller's zombie), stdin from /dev/null, output appended to log_path.
  virtual Result<int> SpawnDaemon(const SpawnSpec& spec) = 0;
  // True when `pid` is alive and its command line contains `needle` (a pid file may be stale).
  virtual bool Alive(int pid, const std::string& needle) = 0;
  // True when `pid` runs in the namespace bound at /run/netns/NAME now (false after the name was
  // deleted or re-created: the process is then in an orphaned namespace).
  virtual bool InNetns(int pid, const std::string& netns) = 0;
  virtual void Signal(int pid, int signal) = 0;
  // Runs a command in `netns` and waits for it, bounded in time and output.
  virtual Result<RunOutcome> Run(const RunSpec& spec) = 0;
};

// One request line to a unix socket, the reply (up to EOF) back: the gateway's control protocol.
class ControlChannel {
 public:
  virtual ~ControlChannel() = default;
  virtual Result<std::string> Request(const std::string& socket_path, const std::string& line,
                                      Duration timeout) = 0;
};

}  // namespace isthmus::platform
