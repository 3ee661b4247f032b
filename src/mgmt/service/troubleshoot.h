// VPN troubleshoot (Network Watcher's `troubleshoot` action) from live state: Azure's result shape
// (code Healthy/UnHealthy, results[] with a fault id from Azure's list, summary, detail, recommended
// actions), derived from the connection's observed status and its gateway's IKE error — never from
// configuration alone. Pure: unit-tested.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mgmt/model/state.h"
#include "mgmt/service/resource_service.h"

namespace isthmus::mgmt {

// Azure's fault types ("Troubleshoot VPN Gateway and Connections", Network Watcher docs).
struct Fault {
  std::string id;  // NoFault, Authentication, IkePolicyMismatch, PeerReachability, GatewayNotFound, …
  std::string summary;
  std::string detail;
  std::vector<std::string> actions;
};

Fault DiagnoseConnection(const Resource* connection, const std::optional<ConnectionObservation>& observed,
                         bool gateway_running);
// `connections`: every connection on the gateway with its observation.
Fault DiagnoseGateway(
    const Resource* gateway, bool running,
    const std::vector<std::pair<const Resource*, std::optional<ConnectionObservation>>>& connections);

// The troubleshoot result document (what the long-running operation returns).
Json TroubleshootResult(const std::vector<Fault>& faults, const std::string& start_time,
                        const std::string& end_time);

}  // namespace isthmus::mgmt
