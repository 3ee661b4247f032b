// VmAgent: what runs commands inside a VM, as Azure's VM agent does for `vm run-command invoke`.
// The single-host fabric implements it (a process in the VM's namespace, bounded in time and output);
// the REST layer only calls it, so the router stays testable with a fake.
#pragma once

#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "mgmt/model/state.h"

namespace isthmus::mgmt {

struct RunCommandOutput {
  int exit_code = 0;
  std::string stdout_text;  // truncated to the agent's output bound
  std::string stderr_text;
  bool timed_out = false;
};

class VmAgent {
 public:
  virtual ~VmAgent() = default;
  // Runs `script` (the lines of a shell script, joined by newlines) inside `vm` with /bin/sh.
  // Errors: the VM is not realized (yet), or the fabric cannot run anything (no root).
  virtual Result<RunCommandOutput> RunShellScript(const Resource& vm, const std::vector<std::string>& script,
                                                  Duration timeout) = 0;
};

}  // namespace isthmus::mgmt
