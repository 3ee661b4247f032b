// Live-status routes: what the reconciler observed, never the configuration alone.
//   POST .../connections/{c}/getikesas                       a connection's IKE SAs (Azure's shape)
//   POST .../networkWatchers/{nw}/troubleshoot               VPN troubleshoot of a connection or gateway
//   POST .../networkWatchers/{nw}/connectivityCheck          probes from a VM, through the fabric
//   GET  /metrics                                            Prometheus text (metrics/metrics.h)
// Azure runs the three POSTs as long-running operations; here each answers at once with 200 and the
// result (an SDK poller takes a 200 without operation headers as the final answer), since none of them
// changes anything and the connectivity check is bounded to seconds.
#include <fmt/format.h>

#include "mgmt/metrics/metrics.h"
#include "mgmt/model/planner.h"
#include "mgmt/reconcile/reconciler.h"
#include "mgmt/rest/router.h"
#include "mgmt/service/troubleshoot.h"
#include "net/prefix.h"

namespace isthmus::mgmt {
namespace {

// The gateway a connection runs on (its virtualNetworkGateway1), if it names one.
std::optional<ResourceId> GatewayOf(const Resource& connection) {
  const Json& p = connection.doc.contains("properties") ? connection.doc["properties"] : Json::object();
  if (!p.contains("virtualNetworkGateway1") || !p["virtualNetworkGateway1"].is_object()) return std::nullopt;
  auto id = ResourceId::Parse(p["virtualNetworkGateway1"].value("id", ""));
  if (!id) return std::nullopt;
  return *id;
}

std::string GatewayKeyOf(const Resource& connection) {
  auto g = GatewayOf(connection);
  return g ? g->Key() : "";
}

Error BadBody(const std::string& message, const std::string& target) {
  return Error::Invalid("InvalidRequestFormat", message, target);
}

// A string member of an object, or nullopt when absent/null; an error when of another type.
Result<std::optional<std::string>> StringMember(const Json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) return Fail(BadBody(fmt::format("{} must be a string.", where), where));
  return std::optional<std::string>(it->get<std::string>());
}

Result<ResourceId> TroubleshootTarget(const Json& body) {
  if (!body.is_object()) {
    return Fail(
        BadBody("The body must be {\"target\": \"<resource ID>\", \"properties\": {...}}.", "target"));
  }
  auto target = StringMember(body, "target", "target");
  if (!target) return Fail(target.error());
  if (!*target || (*target)->empty()) {
    return Fail(
        Error::Invalid("MissingTarget",
                       "The body needs target: the resource ID of a VPN connection or a virtual network "
                       "gateway.",
                       "target"));
  }
  if (body.contains("properties") && !body["properties"].is_null()) {
    if (!body["properties"].is_object()) return Fail(BadBody("properties must be an object.", "properties"));
    // Azure writes its logs to this storage; Isthmus stores nothing, so the values are only checked.
    for (const char* k : {"storageId", "storagePath"}) {
      if (auto v = StringMember(body["properties"], k, fmt::format("properties.{}", k)); !v)
        return Fail(v.error());
    }
  }
  auto id = ResourceId::Parse(**target);
  if (!id) {
    return Fail(Error::Invalid("InvalidTargetResourceId",
                               fmt::format("'{}' is not a valid resource ID.", **target), "target"));
  }
  if (id->kind != Kind::kConnection && id->kind != Kind::kVirtualNetworkGateway) {
    return Fail(
        Error::Invalid("UnsupportedTargetResourceType",
                       fmt::format("Troubleshooting supports VPN connections and virtual network gateways; "
                                   "'{}' is a {}.",
                                   **target, DisplayName(id->kind)),
                       "target"));
  }
  return *id;
}

// Network Watcher's connectivityCheck body (ConnectivityParameters), validated whole.
struct ConnectivityRequest {
  ResourceId vm;
  ConnectivityProbe probe;
};

Result<ConnectivityRequest> ReadConnectivityRequest(const Json& body) {
  if (!body.is_object()) return Fail(BadBody("The request body must be a JSON object.", ""));
  ConnectivityRequest out;
  if (!body.contains("source") || !body["source"].is_object()) {
    return Fail(BadBody("The body needs source: {\"resourceId\": \"<virtual machine ID>\"}.", "source"));
  }
  auto vm = StringMember(body["source"], "resourceId", "source.resourceId");
  if (!vm) return Fail(vm.error());
  if (!*vm)
    return Fail(
        BadBody("source.resourceId (the ID of the VM to probe from) is required.", "source.resourceId"));
  auto vm_id = ResourceId::Parse(**vm);
  if (!vm_id || vm_id->kind != Kind::kVirtualMachine) {
    return Fail(
        Error::Invalid("InvalidSourceResource",
                       fmt::format("source.resourceId '{}' is not the ID of a virtual machine.", **vm),
                       "source.resourceId"));
  }
  out.vm = *vm_id;

  if (!body.contains("destination") || !body["destination"].is_object()) {
    return Fail(
        BadBody("The body needs destination: {\"address\": \"<IP address>\", \"port\": N}.", "destination"));
  }
  const Json& dest = body["destination"];
  auto address = StringMember(dest, "address", "destination.address");
  if (!address) return Fail(address.error());
  if (!*address || (*address)->empty()) {
    return Fail(
        Error::Invalid("InvalidDestination",
                       "destination.address is required (destination.resourceId is not supported here).",
                       "destination.address"));
  }
  // The address goes into the probe's command line: only an IP address literal is admitted.
  if (!net::IpAddress::Parse(**address)) {
    return Fail(
        Error::Invalid("InvalidDestination",
                       fmt::format("destination.address '{}' is not an IP address (Isthmus resolves no "
                                   "names).",
                                   **address),
                       "destination.address"));
  }
  out.probe.address = **address;

  auto protocol = StringMember(body, "protocol", "protocol");
  if (!protocol) return Fail(protocol.error());
  const std::string p = protocol->value_or("Tcp");
  if (IEquals(p, "Tcp")) {
    out.probe.protocol = "Tcp";
  } else if (IEquals(p, "Icmp")) {
    out.probe.protocol = "Icmp";
  } else if (IEquals(p, "Http") || IEquals(p, "Https")) {
    return Fail(Error::Invalid("UnsupportedProtocol",
                               fmt::format("Protocol {} is not supported here; probe the port with Tcp.", p),
                               "protocol"));
  } else {
    return Fail(Error::Invalid("InvalidProtocol", fmt::format("Protocol '{}' is not one of Tcp, Icmp.", p),
                               "protocol"));
  }
  if (out.probe.protocol == "Tcp") {
    auto port = dest.find("port");
    const bool ok = port != dest.end() && port->is_number_integer() && port->get<std::int64_t>() >= 1 &&
                    port->get<std::int64_t>() <= 65535;
    if (!ok) {
      return Fail(Error::Invalid("InvalidDestinationPort",
                                 "A Tcp connectivity check needs destination.port between 1 and 65535.",
                                 "destination.port"));
    }
    out.probe.port = static_cast<int>(port->get<std::int64_t>());
  }
  return out;
}

// Everything /metrics shows: each connection and gateway of the store with what was observed of it.
MetricsInput GatherMetrics(const ResourceService& service) {
  MetricsInput in;
  const Snapshot snap = service.TakeSnapshot();
  constexpr Kind kCounted[] = {Kind::kResourceGroup,       Kind::kVirtualNetwork,
                               Kind::kPublicIpAddress,     Kind::kVirtualNetworkGateway,
                               Kind::kLocalNetworkGateway, Kind::kConnection,
                               Kind::kNetworkInterface,    Kind::kVirtualMachine};
  for (const auto& sub : snap.subscriptions) {
    for (Kind k : kCounted) {
      const auto resources = snap.state.List(k, sub);
      in.resources_by_type[std::string(ArmType(k))] += resources.size();
      if (k != Kind::kVirtualNetwork) continue;
      for (const Resource* v : resources) {  // subnets live inside their VNet's document
        const Json& p = v->doc.contains("properties") ? v->doc["properties"] : Json::object();
        if (p.contains("subnets") && p["subnets"].is_array()) {
          in.resources_by_type[std::string(ArmType(Kind::kSubnet))] += p["subnets"].size();
        }
      }
    }
    for (const Resource* c : snap.state.List(Kind::kConnection, sub)) {
      auto gateway = GatewayOf(*c);
      in.connections.push_back({c->id.name, c->id.resource_group, gateway ? gateway->name : "",
                                service.Observed(c->id.Key()).value_or(ConnectionObservation{})});
    }
    for (const Resource* g : snap.state.List(Kind::kVirtualNetworkGateway, sub)) {
      auto o = service.ObservedGateway(g->id.Key());
      in.gateways.push_back({g->id.name, g->id.resource_group, o && o->running, o ? o->restarts : 0});
    }
  }
  const ReconcileStats stats = service.reconcile_stats();
  in.reconcile_passes = stats.passes;
  in.last_reconcile_seconds = stats.last_pass_seconds;
  return in;
}

}  // namespace

HttpResponse Router::ConnectionIkeSas(const HttpRequest& req, const ResourceId& id) const {
  if (req.method != "POST") return MethodNotAllowed(req.method);
  auto g = service_.Get(id);
  if (!g) return ErrorResponse(g.error());
  auto o = service_.Observed(id.Key());
  Json sas = o && o->ike_sas.is_array() ? o->ike_sas : Json::array();
  if (o && o->status_at != TimePoint{}) {
    const auto since = std::chrono::steady_clock::now() - o->status_at;
    sas = AgeIkeSas(std::move(sas), std::chrono::duration_cast<std::chrono::seconds>(since).count());
  }
  // Azure's REST spec types the result as a string: the array, serialized.
  return JsonResponse(Json(sas.dump()));
}

HttpResponse Router::NetworkWatcherAction(const HttpRequest& req, const std::string& action) const {
  if (action != "troubleshoot" && action != "connectivitycheck") {
    return ErrorResponse(Error::NotFound(
        "NotFound", fmt::format("No route for '{}': network watchers here answer troubleshoot and "
                                "connectivityCheck only.",
                                req.path)));
  }
  if (req.method != "POST") return MethodNotAllowed(req.method);
  return action == "troubleshoot" ? Troubleshoot(req) : ConnectivityCheck(req);
}

HttpResponse Router::Troubleshoot(const HttpRequest& req) const {
  auto body = ParseBody(req);
  if (!body) return ErrorResponse(body.error());
  auto target = TroubleshootTarget(*body);
  if (!target) return ErrorResponse(target.error());
  const std::string start = service_.Now();
  if (auto g = service_.Get(*target); !g) return ErrorResponse(g.error());
  const Snapshot snap = service_.TakeSnapshot();
  const Resource* r = snap.state.Find(*target);
  if (!r)
    return ErrorResponse(Error::NotFound("ResourceNotFound", "The troubleshooting target was just deleted."));

  Fault fault;
  if (r->id.kind == Kind::kConnection) {
    auto gw = service_.ObservedGateway(GatewayKeyOf(*r));
    fault = DiagnoseConnection(r, service_.Observed(r->id.Key()), gw && gw->running);
  } else {
    auto gw = service_.ObservedGateway(r->id.Key());
    std::vector<std::pair<const Resource*, std::optional<ConnectionObservation>>> connections;
    for (const Resource* c : snap.state.List(Kind::kConnection, r->id.subscription)) {
      if (GatewayKeyOf(*c) == r->id.Key()) connections.emplace_back(c, service_.Observed(c->id.Key()));
    }
    fault = DiagnoseGateway(r, gw && gw->running, connections);
  }
  return JsonResponse(TroubleshootResult({fault}, start, service_.Now()));
}

HttpResponse Router::ConnectivityCheck(const HttpRequest& req) const {
  auto body = ParseBody(req);
  if (!body) return ErrorResponse(body.error());
  auto request = ReadConnectivityRequest(*body);
  if (!request) return ErrorResponse(request.error());
  auto vm = service_.Get(request->vm);
  if (!vm) return ErrorResponse(vm.error());
  const std::string state = (*vm)["properties"].value("provisioningState", "");
  if (state != kSucceeded) {
    return ErrorResponse(
        Error::Conflict("OperationNotAllowed",
                        fmt::format("Cannot check connectivity from virtual machine '{}': it is not running "
                                    "(provisioning state '{}'). Wait until it is Succeeded.",
                                    request->vm.name, state)));
  }
  if (!fabric_) return FabricNotRunning();
  auto out = fabric_->CheckConnectivity(request->vm.Key(), request->probe);
  return out ? JsonResponse(*out) : ErrorResponse(out.error());
}

HttpResponse Router::Metrics(const HttpRequest& req) const {
  if (req.method != "GET") return MethodNotAllowed(req.method);
  HttpResponse r;
  r.status = 200;
  r.headers["Content-Type"] = kMetricsContentType;
  r.body = RenderMetrics(GatherMetrics(service_));
  return r;
}

}  // namespace isthmus::mgmt
