#include "mgmt/metrics/metrics.h"

#include <algorithm>
#include <array>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace isthmus::mgmt {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Labels;

// ARM's VirtualNetworkGatewayConnectionStatus values, in the order Azure's REST spec lists them. The
// status gauge is one-hot over exactly these so that a dashboard can count connections per status
// without knowing which statuses happen to be present right now.
constexpr std::array<std::string_view, 4> kStatuses = {"Unknown", "Connecting", "Connected", "NotConnected"};

// The per-connection families. The HELP text names the Azure Monitor metric (REST name, from
// "Monitoring Azure VPN Gateway data reference") a dashboard built for Azure would use instead.
struct ConnectionFamilies {
  explicit ConnectionFamilies(prometheus::Registry& r)
      : up(prometheus::BuildGauge()
               .Name("isthmus_connection_up")
               .Help("1 when the connection's status is Connected, else 0 (Azure: connectionStatus property; "
                     "Azure Monitor has no status metric)")
               .Register(r)),
        status(
            prometheus::BuildGauge()
                .Name("isthmus_connection_status")
                .Help("1 for the connection's current status (Unknown, Connecting, Connected, NotConnected), "
                      "0 for the others (Azure: connectionStatus property)")
                .Register(r)),
        ingress_bytes(prometheus::BuildCounter()
                          .Name("isthmus_connection_ingress_bytes_total")
                          .Help("Bytes received through the tunnel, inner packets after decryption "
                                "(Azure Monitor: TunnelIngressBytes)")
                          .Register(r)),
        egress_bytes(prometheus::BuildCounter()
                         .Name("isthmus_connection_egress_bytes_total")
                         .Help("Bytes sent through the tunnel, inner packets before encryption "
                               "(Azure Monitor: TunnelEgressBytes)")
                         .Register(r)),
        ingress_packets(prometheus::BuildCounter()
                            .Name("isthmus_connection_ingress_packets_total")
                            .Help("Packets received through the tunnel (Azure Monitor: TunnelIngressPackets)")
                            .Register(r)),
        egress_packets(prometheus::BuildCounter()
                           .Name("isthmus_connection_egress_packets_total")
                           .Help("Packets sent through the tunnel (Azure Monitor: TunnelEgressPackets)")
                           .Register(r)),
        drops(
            prometheus::BuildCounter()
                .Name("isthmus_connection_packet_drops_total")
                .Help(
                    "Packets of this connection's SAs dropped, by reason (Azure Monitor: "
                    "TunnelIngressPacketDropCount and TunnelEgressPacketDropCount; reason selector_mismatch "
                    "is TunnelIngressPacketDropTSMismatch)")
                .Register(r)),
        ike_sas(prometheus::BuildGauge()
                    .Name("isthmus_connection_ike_sas")
                    .Help("IKE SAs present for the connection (Azure Monitor: MmsaCount)")
                    .Register(r)),
        child_sas(prometheus::BuildGauge()
                      .Name("isthmus_connection_child_sas")
                      .Help("CHILD SAs present for the connection, an old one kept during a rekey included "
                            "(Azure Monitor: QmsaCount)")
                      .Register(r)),
        ike_rekeys(prometheus::BuildCounter()
                       .Name("isthmus_connection_ike_rekeys_total")
                       .Help("IKE SA rekeys completed (Azure Monitor: none; IKEDiagnosticLog records them)")
                       .Register(r)),
        child_rekeys(
            prometheus::BuildCounter()
                .Name("isthmus_connection_child_rekeys_total")
                .Help("CHILD SA rekeys completed (Azure Monitor: none; IKEDiagnosticLog records them)")
                .Register(r)),
        ike_retransmits(
            prometheus::BuildCounter()
                .Name("isthmus_connection_ike_retransmits_total")
                .Help("IKE requests this end sent again for want of an answer (a lost message or a silent "
                      "peer), over the connection's IKE SAs (Azure Monitor: none; IKEDiagnosticLog)")
                .Register(r)),
        ike_retransmits_answered(
            prometheus::BuildCounter()
                .Name("isthmus_connection_ike_retransmits_answered_total")
                .Help("The peer's retransmitted IKE requests answered again from the last response, i.e. "
                      "our responses the peer lost (Azure Monitor: none)")
                .Register(r)) {}

  Family<Gauge>& up;
  Family<Gauge>& status;
  Family<Counter>& ingress_bytes;
  Family<Counter>& egress_bytes;
  Family<Counter>& ingress_packets;
  Family<Counter>& egress_packets;
  Family<Counter>& drops;
  Family<Gauge>& ike_sas;
  Family<Gauge>& child_sas;
  Family<Counter>& ike_rekeys;
  Family<Counter>& child_rekeys;
  Family<Counter>& ike_retransmits;
  Family<Counter>& ike_retransmits_answered;
};

// Counters are doubles in Prometheus; byte counts stay exact up to 2^53 (8 PiB).
double AsValue(std::uint64_t n) {
  return static_cast<double>(n);
}

// A non-negative integer from the gateway's status JSON, or 0 for any other shape: the status comes
// from another process and must not be able to break the scrape.
std::uint64_t NonNegative(const Json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() > 0)
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  return 0;
}

std::uint64_t CountOf(const Json& obj, const char* key) {
  if (!obj.is_object()) return 0;
  auto it = obj.find(key);
  return it == obj.end() ? 0 : NonNegative(*it);
}

void AddCounter(Family<Counter>& f, const Labels& labels, std::uint64_t value) {
  f.Add(labels).Increment(AsValue(value));
}

void AddConnection(ConnectionFamilies& f, const ConnectionMetrics& c) {
  const Labels labels{{"connection", c.name}, {"resource_group", c.resource_group}, {"gateway", c.gateway}};
  const ConnectionObservation& o = c.observed;
  // A status outside ARM's four (none is produced today) reads as Unknown rather than vanishing.
  const bool known = std::ranges::find(kStatuses, o.status) != kStatuses.end();
  const std::string_view status = known ? std::string_view(o.status) : kStatuses[0];

  f.up.Add(labels).Set(status == "Connected" ? 1 : 0);
  for (std::string_view s : kStatuses) {
    Labels with_status = labels;
    with_status.emplace("status", std::string(s));
    f.status.Add(with_status).Set(s == status ? 1 : 0);
  }
  AddCounter(f.ingress_bytes, labels, o.ingress_bytes);
  AddCounter(f.egress_bytes, labels, o.egress_bytes);
  AddCounter(f.ingress_packets, labels, o.ingress_packets);
  AddCounter(f.egress_packets, labels, o.egress_packets);

  const Json& g = o.gateway_status;
  const bool has_ike = g.is_object() && g.contains("ike_sa") && g["ike_sa"].is_object();
  f.ike_sas.Add(labels).Set(has_ike ? 1 : 0);
  const bool has_children = g.is_object() && g.contains("children") && g["children"].is_array();
  f.child_sas.Add(labels).Set(has_children ? static_cast<double>(g["children"].size()) : 0);
  AddCounter(f.ike_rekeys, labels, CountOf(g, "ike_rekeys"));
  AddCounter(f.child_rekeys, labels, CountOf(g, "child_rekeys"));
  const Json& retransmits = g.is_object() && g.contains("ike_retransmits") ? g["ike_retransmits"] : Json();
  AddCounter(f.ike_retransmits, labels, CountOf(retransmits, "sent"));
  AddCounter(f.ike_retransmits_answered, labels, CountOf(retransmits, "answered"));

  // The gateway lists only reasons that occurred, so a reason's series appears with its first drop.
  if (g.is_object() && g.contains("drops") && g["drops"].is_object()) {
    const Json& drops = g["drops"];
    for (auto it = drops.begin(); it != drops.end(); ++it) {
      Labels with_reason = labels;
      with_reason.emplace("reason", it.key());
      AddCounter(f.drops, with_reason, NonNegative(it.value()));
    }
  }
}

void AddGateways(prometheus::Registry& r, const std::vector<GatewayMetrics>& gateways) {
  auto& up = prometheus::BuildGauge()
                 .Name("isthmus_gateway_up")
                 .Help(
                     "1 when the gateway's isthmus-gateway process is running, else 0 (Azure Monitor: none; "
                     "Resource Health reports gateway availability)")
                 .Register(r);
  auto& restarts = prometheus::BuildCounter()
                       .Name("isthmus_gateway_restarts_total")
                       .Help(
                           "Times isthmusd restarted the gateway's process since isthmusd started "
                           "(Azure Monitor: none)")
                       .Register(r);
  for (const auto& g : gateways) {
    const Labels labels{{"gateway", g.name}, {"resource_group", g.resource_group}};
    up.Add(labels).Set(g.running ? 1 : 0);
    AddCounter(restarts, labels, static_cast<std::uint64_t>(std::max(g.restarts, 0)));
  }
}

void AddManagement(prometheus::Registry& r, const MetricsInput& in) {
  auto& resources = prometheus::BuildGauge()
                        .Name("isthmus_resources")
                        .Help("Resources in the store, by ARM type (Azure Monitor: none)")
                        .Register(r);
  for (const auto& [type, count] : in.resources_by_type) {
    resources.Add({{"type", type}}).Set(static_cast<double>(count));
  }
  prometheus::BuildGauge()
      .Name("isthmus_reconcile_last_pass_seconds")
      .Help("How long the most recent reconcile pass took (Azure Monitor: none)")
      .Register(r)
      .Add({})
      .Set(in.last_reconcile_seconds);
  prometheus::BuildCounter()
      .Name("isthmus_reconcile_passes_total")
      .Help("Reconcile passes run since isthmusd started (Azure Monitor: none)")
      .Register(r)
      .Add({})
      .Increment(AsValue(in.reconcile_passes));
}

}  // namespace

std::string RenderMetrics(const MetricsInput& in) {
  // A fresh registry per scrape: the input is already a complete snapshot, and series of deleted
  // connections or gateways must disappear rather than linger in a long-lived registry.
  prometheus::Registry registry;
  ConnectionFamilies connections(registry);
  for (const auto& c : in.connections) AddConnection(connections, c);
  AddGateways(registry, in.gateways);
  AddManagement(registry, in);
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

}  // namespace isthmus::mgmt
