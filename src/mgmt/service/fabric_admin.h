// FabricAdmin: what the REST layer may ask of the host's fabric (`isthmus fabric status|cleanup|
// resume`, Network Watcher's connectivity check). isthmusd implements it over the single-host fabric;
// without a fabric the routes answer a clear error.
#pragma once

#include <string>

#include "base/result.h"
#include "mgmt/model/state.h"

namespace isthmus::mgmt {

// One connectivity check (`network watcher test-connectivity`): probes sent from inside a VM.
struct ConnectivityProbe {
  std::string protocol = "Tcp";  // Tcp | Icmp
  std::string address;           // an IP address: the router admits nothing else (it reaches a shell)
  int port = 0;                  // Tcp only, 1..65535
  int probes = 10;
};

class FabricAdmin {
 public:
  virtual ~FabricAdmin() = default;
  virtual Result<Json> Status() = 0;
  virtual Result<Json> Cleanup() = 0;
  virtual Result<Json> Resume() = 0;
  // Azure's ConnectivityInformation for probes from the VM `vm_key` (a realized VM's resource key).
  // Errors: the VM is not running on this host (409), the probe cannot run.
  virtual Result<Json> CheckConnectivity(const std::string& vm_key, const ConnectivityProbe& probe) = 0;
};

}  // namespace isthmus::mgmt
