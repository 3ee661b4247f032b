// Prometheus metrics for connections, gateways and the reconciler (docs/metrics.md maps each one to
// its Azure Monitor counterpart). RenderMetrics is pure: isthmusd gathers what it observes into a
// MetricsInput and serves the returned text on its own HTTP listener at /metrics, so there is no
// second server (prometheus-cpp's pull exposer) and nothing here touches sockets or global state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mgmt/service/resource_service.h"  // ConnectionObservation

namespace isthmus::mgmt {

struct ConnectionMetrics {
  std::string name, resource_group, gateway;  // gateway: the virtualNetworkGateway the connection runs on
  ConnectionObservation observed;
};

struct GatewayMetrics {
  std::string name, resource_group;
  bool running = false;  // its isthmus-gateway process is up
  int restarts = 0;      // times the supervisor restarted it since isthmusd started
};

struct MetricsInput {
  std::vector<ConnectionMetrics> connections;
  std::vector<GatewayMetrics> gateways;
  std::map<std::string, std::size_t> resources_by_type;  // ARM type -> count
  double last_reconcile_seconds = 0;                     // how long the most recent reconcile pass took
  std::uint64_t reconcile_passes = 0;
};

// The Prometheus text exposition format (version 0.0.4); serve it with kMetricsContentType.
std::string RenderMetrics(const MetricsInput& in);

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace isthmus::mgmt
