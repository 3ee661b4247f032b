// Network Watcher's connectivity check (`network watcher test-connectivity`) on the fabric: probes
// sent from inside the source VM's namespace (ICMP echo, or TCP connects timed by the shell's
// microsecond clock), and the path as the plan says traffic takes it (VM, VNet router, gateways,
// destination), in Azure's ConnectivityInformation shape.
#pragma once

#include <string>

#include "base/result.h"
#include "mgmt/render/host_plan.h"
#include "mgmt/service/fabric_admin.h"
#include "platform/iface/processes.h"

namespace isthmus::fabric {

using ConnectivityProbe = mgmt::ConnectivityProbe;

// The command run in the VM, and what it printed turned into figures (pure; unit-tested).
std::vector<std::string> ProbeCommand(const ConnectivityProbe& p);
nlohmann::json ProbeFigures(const ConnectivityProbe& p, const std::string& output);
// The hops from the VM `vm_key` to `address` through the plan (pure).
nlohmann::json PlanHops(const mgmt::render::HostPlan& plan, const std::string& vm_key,
                        const std::string& address);

// Refuses a probe whose address is not an IP address or whose port is out of range before anything runs:
// both are put into the probe's shell command.
Result<nlohmann::json> CheckConnectivity(platform::Processes& processes, const mgmt::render::HostPlan& plan,
                                         const std::string& vm_key, const ConnectivityProbe& probe);

}  // namespace isthmus::fabric
