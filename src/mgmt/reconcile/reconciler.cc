#include "mgmt/reconcile/reconciler.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace isthmus::mgmt {
namespace {

// Kinds whose provisioningState the reconciler drives (the rest are Succeeded at once).
constexpr Kind kProvisioned[] = {
    Kind::kResourceGroup,         Kind::kVirtualNetwork, Kind::kPublicIpAddress,  Kind::kLocalNetworkGateway,
    Kind::kVirtualNetworkGateway, Kind::kConnection,     Kind::kNetworkInterface, Kind::kVirtualMachine};

std::string StateOf(const Resource& r) {
  const auto& p = r.doc["properties"];
  auto it = p.find("provisioningState");
  return it != p.end() && it->is_string() ? it->get<std::string>() : "";
}

std::uint64_t Bytes(const nlohmann::json& c, const char* dir, const char* what) {
  if (!c.contains(dir) || !c[dir].is_object()) return 0;
  return c[dir].value(what, std::uint64_t{0});
}

}  // namespace

ConnectionObservation ObserveConnection(const nlohmann::json& c, bool peer_missing) {
  ConnectionObservation o;
  const std::string state = c.value("state", "");
  o.ingress_bytes = Bytes(c, "in", "bytes");
  o.egress_bytes = Bytes(c, "out", "bytes");
  o.ingress_packets = Bytes(c, "in", "packets");
  o.egress_packets = Bytes(c, "out", "packets");
  const std::string err = c.value("last_error", "");
  if (state == "Connected") {
    o.status = "Connected";
  } else if (peer_missing) {
    o.status = "Connecting";
    o.reason = "The connection resource on the other gateway does not exist yet.";
  } else if (state == "Connecting" || err.empty()) {
    // A connection retrying after a failure is Connecting again, but keeps why the last attempt failed
    // (troubleshooting tells an unreachable peer from one still negotiating by it).
    o.status = "Connecting";
    o.reason = err;
  } else {
    o.status = "NotConnected";
    o.reason = err;
  }
  o.gateway_status = c;
  nlohmann::json tunnel = {{"tunnel", EndpointAddress(c.value("remote", ""))},
                           {"connectionStatus", o.status},
                           {"ingressBytesTransferred", o.ingress_bytes},
                           {"egressBytesTransferred", o.egress_bytes}};
  if (auto ike = c.find("ike_sa"); ike != c.end() && ike->is_object() && ike->contains("established_at")) {
    tunnel["lastConnectionEstablishedUtcTime"] = (*ike)["established_at"];
  }
  o.tunnels = nlohmann::json::array({tunnel});
  o.ike_sas = AzureIkeSas(c);
  return o;
}

namespace {
// Some resource still waits for the reconciler (Updating, Deleting, or Failed and being retried).
bool Unsettled(const Snapshot& snap) {
  for (const auto& sub : snap.subscriptions) {
    for (Kind k : kProvisioned) {
      for (const Resource* r : snap.state.List(k, sub)) {
        const std::string st = StateOf(*r);
        if (st == kUpdating || st == kDeleting || st == kFailed) return true;
      }
    }
  }
  return false;
}
}  // namespace

PassResult Reconciler::RunOnce() {
  const TimePoint started = options_.clock ? options_.clock->Now() : TimePoint{};
  PassResult out;
  if (settled_ && last_plan_ && service_.generation() == last_generation_) {
    out.plan = last_plan_;
    out.report = realizer_.Converge(*out.plan);
    settled_ = out.report.errors.empty() && out.report.pending.empty() && out.report.removals_done;
  } else {
    Snapshot snap = service_.TakeSnapshot();
    out.rendered = true;
    render::RenderOptions ro = options_.render;
    if (options_.impairments) ro.impairments = options_.impairments();
    out.plan = std::make_shared<const render::HostPlan>(render::Render(snap.state, snap.subscriptions, ro));
    out.report = realizer_.Converge(*out.plan);
    out.progressed = WriteProvisioning(snap, *out.plan, out.report);
    settled_ = out.progressed == 0 && failures_.empty() && out.report.errors.empty() &&
               out.report.pending.empty() && out.report.removals_done && out.plan->blocked.empty() &&
               !Unsettled(snap);
    last_plan_ = out.plan;
    last_generation_ = snap.generation;
  }
  WriteObserved(out.plan, realizer_.ObserveGateways(*out.plan));
  const Duration took = options_.clock ? options_.clock->Now() - started : Duration::zero();
  service_.RecordReconcilePass(std::chrono::duration<double>(took).count());
  return out;
}

int Reconciler::WriteProvisioning(const Snapshot& snap, const render::HostPlan& plan,
                                  const ConvergeReport& report) {
  int progressed = 0;
  std::vector<const Resource*> deleting;
  for (const auto& sub : snap.subscriptions) {
    for (Kind k : kProvisioned) {
      for (const Resource* r : snap.state.List(k, sub)) {
        const std::string st = StateOf(*r);
        const std::string key = r->id.Key();
        const std::string etag = r->doc.value("etag", "");
        if (st == kDeleting) {
          deleting.push_back(r);
          continue;
        }
        if (st != kUpdating && st != kFailed) {
          failures_.erase(key);
          continue;
        }
        std::optional<Error> why;
        if (auto e = report.errors.find(key); e != report.errors.end()) why = e->second;
        if (auto b = plan.blocked.find(key); b != plan.blocked.end()) {
          why = Error{ErrorKind::kConflict, "ResourceNotRealizable", b->second, {}};
        }
        if (why) {
          if (++failures_[key] >= options_.failures_before_failed && st == kUpdating) {
            if (service_.MarkFailed(key, etag, *why)) ++progressed;
          }
          continue;
        }
        failures_.erase(key);
        if (report.pending.contains(key)) continue;
        if (auto s = service_.MarkSucceeded(key, etag); !s) {
          spdlog::error("reconciler: cannot record {}: {}", r->id.ToString(), s.error().message);
          continue;
        }
        ++progressed;
      }
    }
  }
  if (!report.removals_done) return progressed;
  // Deletions: what they had is gone from the host (they are not in the plan). Groups go last, once
  // nothing else of theirs is left.
  for (const Resource* r : deleting) {
    if (r->id.kind == Kind::kResourceGroup) continue;
    if (auto s = service_.FinishDelete(r->id.Key()); !s) {
      spdlog::error("reconciler: cannot record deletion of {}: {}", r->id.ToString(), s.error().message);
      continue;
    }
    ++progressed;
  }
  for (const Resource* r : deleting) {
    if (r->id.kind != Kind::kResourceGroup) continue;
    Snapshot now = service_.TakeSnapshot();
    bool empty = true;
    for (Kind k : kProvisioned) {
      if (k != Kind::kResourceGroup && !now.state.List(k, r->id.subscription, r->id.resource_group).empty())
        empty = false;
    }
    if (empty && service_.FinishDelete(r->id.Key())) ++progressed;
  }
  return progressed;
}

void Reconciler::WriteObserved(const std::shared_ptr<const render::HostPlan>& plan,
                               std::map<std::string, GatewayObservation> gateways) {
  // Nothing new since the last pass (same plan, every gateway's status the same object, same errors):
  // what was written then still holds.
  std::vector<ObservedGateway> seen;
  seen.reserve(gateways.size());
  bool versioned = true;
  for (const auto& [key, o] : gateways) {
    seen.push_back({key, o.running, o.status_version, o.error, o.restarts});
    versioned = versioned && (!o.status || o.status_version != 0);
  }
  if (versioned && plan == observed_plan_ && seen == observed_gateways_) {
    busy_ = !settled_ || observed_connecting_;
    return;
  }
  std::map<std::string, ConnectionObservation> observed;
  static const nlohmann::json kNone = nlohmann::json::array();
  for (const auto& g : plan->gateways) {
    auto it = gateways.find(g.key);
    if (it == gateways.end()) continue;  // nothing observes this gateway (no fabric): status Unknown
    // The gateway's entries by name, found once (a hub has hundreds).
    const nlohmann::json& status = it->second.status ? *it->second.status : kNone;
    const nlohmann::json& entries =
        status.is_object() && status.contains("connections") && status["connections"].is_array()
            ? status["connections"]
            : kNone;
    std::map<std::string, const nlohmann::json*> by_name;
    for (const auto& c : entries) {
      if (c.is_object() && c.contains("name") && c["name"].is_string())
        by_name.emplace(c["name"].get<std::string>(), &c);
    }
    for (const auto& [name, key] : g.connection_keys) {
      ConnectionObservation o;
      const bool unpaired = g.unpaired.contains(name);
      if (!it->second.running) {
        o.status = unpaired ? "Connecting" : "NotConnected";
        o.reason = it->second.error;
        observed[key] = std::move(o);
        continue;
      }
      if (auto c = by_name.find(name); c != by_name.end()) {
        o = ObserveConnection(*c->second, unpaired);
        o.status_at = it->second.status_at;
        observed[key] = std::move(o);
      } else {
        o.status = "Connecting";
        o.reason = "The gateway has not loaded it yet.";
        observed[key] = std::move(o);
      }
    }
  }
  observed_connecting_ = false;
  for (const auto& [key, o] : observed)
    observed_connecting_ = observed_connecting_ || o.status == "Connecting";
  busy_ = !settled_ || observed_connecting_;
  std::erase_if(gateways, [&](const auto& kv) {
    return std::none_of(plan->gateways.begin(), plan->gateways.end(),
                        [&](const auto& g) { return g.key == kv.first; });
  });
  service_.SetObserved(std::move(observed), std::move(gateways));
  observed_plan_ = plan;
  observed_gateways_ = std::move(seen);
}

void Reconciler::Start() {
  stop_ = false;
  thread_ = std::thread([this] {
    while (!stop_) {
      const std::uint64_t seen = service_.generation();
      try {
        while (RunOnce().progressed > 0 && !stop_) {
        }
      } catch (const std::exception& e) {
        // A bug, not a policy: keep the daemon serving and try again next period.
        spdlog::error("reconciler: pass failed: {}", e.what());
      }
      service_.WaitForChange(seen, busy_ ? options_.busy_period : options_.period);
    }
  });
}

void Reconciler::Stop() {
  stop_ = true;
  if (thread_.joinable()) {
    service_.WakeWaiters();
    thread_.join();
  }
}

}  // namespace isthmus::mgmt
