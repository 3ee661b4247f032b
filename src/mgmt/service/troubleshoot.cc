#include "mgmt/service/troubleshoot.h"

#include <fmt/format.h>

namespace isthmus::mgmt {
namespace {

bool Has(const std::string& s, const char* needle) {
  return s.find(needle) != std::string::npos;
}

Fault NoFault(const std::string& what) {
  return {"NoFault",
          fmt::format("This {} is healthy.", what),
          fmt::format("No fault was found on the {}.", what),
          {}};
}

}  // namespace

Fault DiagnoseConnection(const Resource* c, const std::optional<ConnectionObservation>& o,
                         bool gateway_running) {
  if (!c) {
    return {"ConnectionEntityNotFound",
            "The connection was not found.",
            "The connection resource does not exist.",
            {"Create the connection, or check its name and resource group."}};
  }
  if (!gateway_running) {
    return {
        "GatewayNotFound",
        "The connection's gateway is not running.",
        fmt::format("The VPN gateway that carries connection '{}' is not running on the fabric.", c->id.name),
        {"Check `isthmus network vnet-gateway show` for its provisioningState, and `isthmus fabric status`.",
         "Reset the gateway with `isthmus network vnet-gateway reset`."}};
  }
  if (!o) {
    return {"ConnectionNotConfiguredOnGateway",
            "The connection is not configured on its gateway yet.",
            "The gateway has not loaded the connection.",
            {"Wait a few seconds and run troubleshooting again."}};
  }
  if (o->status == "Connected") return NoFault("connection");
  const std::string& r = o->reason;
  if (Has(r, "other gateway does not exist")) {
    return {
        "ConnectionEntityNotFound",
        "The connection on the other side is missing.",
        "A VNet-to-VNet connection needs a connection resource on each of the two gateways; the reverse one "
        "does not exist.",
        {"Create the connection from the other gateway back to this one, with the same shared key."}};
  }
  if (Has(r, "AUTHENTICATION_FAILED")) {
    return {
        "Authentication",
        "Preshared key mismatch.",
        "IKE authentication failed: the two sides of the connection do not use the same shared key.",
        {"Set the same shared key on both connections: `isthmus network vpn-connection shared-key update`.",
         "For a local network gateway, check the key configured on the on-premises device."}};
  }
  if (Has(r, "NO_PROPOSAL_CHOSEN") || Has(r, "TS_UNACCEPTABLE") || Has(r, "INVALID_KE_PAYLOAD")) {
    return {"IkePolicyMismatch",
            "The peer gateway has IKE/IPsec policies that do not match.",
            fmt::format("The IKE negotiation was refused: {}.", r),
            {"Compare the connection's ipsecPolicies with the peer's proposals and traffic selectors."}};
  }
  if (Has(r, "retransmissions exhausted") || Has(r, "timed out") || Has(r, "dead") || Has(r, "not answer")) {
    return {"PeerReachability",
            "The peer gateway is not reachable.",
            fmt::format("The peer did not answer IKE messages ({}).", r),
            {"Check that the peer gateway is running and that UDP 500 and 4500 reach it.",
             "For a local network gateway, check its gatewayIpAddress."}};
  }
  if (o->status == "Connecting") {
    return {"ConnectionIsMarkedDisconnected",
            "The connection is still being established.",
            r.empty() ? "IKE negotiation is in progress." : r,
            {"Wait a few seconds and run troubleshooting again."}};
  }
  return {"ConnectionIsMarkedDisconnected",
          "The connection is not connected.",
          r.empty() ? "The tunnel is down." : r,
          {"Check both gateways and the connection's shared key and policies."}};
}

Fault DiagnoseGateway(
    const Resource* g, bool running,
    const std::vector<std::pair<const Resource*, std::optional<ConnectionObservation>>>& conns) {
  if (!g)
    return {"GatewayNotFound", "The gateway was not found.", "The gateway resource does not exist.", {}};
  if (!running) {
    return {"ServiceNotRunning",
            "The gateway's service is not running.",
            "isthmus-gateway is not running for this gateway (starting, crashed, or not realized).",
            {"Check `isthmus fabric status` and the gateway's log, or reset the gateway."}};
  }
  if (conns.empty()) {
    return {"NoConnectionsFoundForGateway",
            "The gateway has no connections.",
            "No connection uses this gateway.",
            {"Create a connection with `isthmus network vpn-connection create`."}};
  }
  std::vector<std::string> down;
  for (const auto& [c, o] : conns) {
    if (!o || o->status != "Connected") down.push_back(c->id.name);
  }
  if (down.empty()) return NoFault("gateway");
  std::string names;
  for (const auto& n : down) names += (names.empty() ? "" : ", ") + n;
  return {"ConnectionsNotConnected",
          "Connections are not connected.",
          fmt::format("{} of {} connection(s) are not connected: {}.", down.size(), conns.size(), names),
          {"Run troubleshooting on each connection that is not connected."}};
}

Json TroubleshootResult(const std::vector<Fault>& faults, const std::string& start, const std::string& end) {
  bool healthy = true;
  Json results = Json::array();
  for (const auto& f : faults) {
    healthy = healthy && f.id == "NoFault";
    Json actions = Json::array();
    for (const auto& a : f.actions)
      actions.push_back({{"actionText", a}, {"actionUri", ""}, {"actionUriText", ""}});
    results.push_back(
        {{"id", f.id}, {"summary", f.summary}, {"detail", f.detail}, {"recommendedActions", actions}});
  }
  return {{"startTime", start},
          {"endTime", end},
          {"code", healthy ? "Healthy" : "UnHealthy"},
          {"results", results}};
}

}  // namespace isthmus::mgmt
