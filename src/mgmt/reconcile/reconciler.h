// Reconciler: level-triggered (STYLE.md "Shape" 6). Each pass takes one snapshot of the desired state,
// renders the host state it implies, lets the HostRealizer converge the host to it, and writes back
// what came of it: provisioningState (Updating -> Succeeded, or Failed with the cause), deletions
// finished, and the observed status of connections (in memory only). It keeps no state that a
// restart would need: after a restart the first pass adopts what exists.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "mgmt/reconcile/host_realizer.h"
#include "mgmt/render/host_plan.h"
#include "mgmt/service/resource_service.h"

namespace isthmus::mgmt {

struct ReconcilerOptions {
  render::RenderOptions render;
  // Where render.impairments come from, asked at every render (the store's region-pair impairments:
  // a change to them counts as a change of the desired state). None: render.impairments as given.
  std::function<std::vector<render::RegionPairImpairment>()> impairments;
  // A resource is reported Failed once its realization failed this many passes in a row (a transient
  // error, such as a veth name still held by a namespace the kernel is freeing, heals in one or two).
  int failures_before_failed = 3;
  Duration period = std::chrono::seconds(1);  // a pass at least this often: repair and status
  // While something is on its way (a connection Connecting, a resource not yet settled), passes come
  // this often instead, so that Connected shows within a fraction of a second of the IKE exchange.
  Duration busy_period = std::chrono::milliseconds(200);
  // Times each pass for the metrics (isthmusd's steady clock); none: passes are counted, not timed.
  const Clock* clock = nullptr;
};

struct PassResult {
  int progressed = 0;  // provisioning states and deletions moved forward
  std::shared_ptr<const render::HostPlan> plan;
  ConvergeReport report;
  bool rendered = false;  // false: the store had not changed and the last plan was reused
};

class Reconciler {
 public:
  Reconciler(ResourceService& service, HostRealizer& realizer, ReconcilerOptions options)
      : service_(service), realizer_(realizer), options_(std::move(options)) {}
  ~Reconciler() { Stop(); }

  // One pass. Deterministic given the realizer; what tests call.
  PassResult RunOnce();

  void Start();  // a background thread: a pass after each change, and every options.period
  void Stop();

 private:
  int WriteProvisioning(const Snapshot& snap, const render::HostPlan& plan, const ConvergeReport& report);
  void WriteObserved(const std::shared_ptr<const render::HostPlan>& plan,
                     std::map<std::string, GatewayObservation> gateways);

  ResourceService& service_;
  HostRealizer& realizer_;
  ReconcilerOptions options_;
  std::map<std::string, int> failures_;  // resource key -> consecutive failed passes
  // The last plan, reused while the store's generation is unchanged and the last pass left nothing to
  // write back (every resource settled, no error, nothing pending): such a pass only converges (the
  // fabric's fast path) and observes, so an idle host costs little however much is declared.
  std::shared_ptr<const render::HostPlan> last_plan_;
  std::uint64_t last_generation_ = 0;
  bool settled_ = false;
  bool busy_ = false;  // the last pass saw a connection Connecting or an unsettled resource
  // What the last written observation was made from: a pass that sees the same writes nothing.
  struct ObservedGateway {
    std::string key;
    bool running;
    std::uint64_t status_version;
    std::string error;
    int restarts;
    bool operator==(const ObservedGateway&) const = default;
  };
  std::shared_ptr<const render::HostPlan> observed_plan_;
  std::vector<ObservedGateway> observed_gateways_;
  bool observed_connecting_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The observed status of one connection from its gateway's status entry (pure; unit-tested).
ConnectionObservation ObserveConnection(const nlohmann::json& gateway_connection, bool peer_missing);

// Azure's list-ike-sas array from a gateway's status entry: one object per established IKE SA with its
// CHILD SAs as quickModeSa[], algorithms under Azure's names (pure; unit-tested).
Json AzureIkeSas(const nlohmann::json& gateway_connection);
// The same `seconds` later: every elapsedTimeInseconds advanced (an idle gateway's status is not asked
// for again, so its SAs' ages are brought up to the time of the request).
Json AgeIkeSas(Json ike_sas, std::int64_t seconds);

// The address of a status endpoint: "198.18.0.2[4500]" (ike::Endpoint's form) → "198.18.0.2".
std::string EndpointAddress(const std::string& endpoint);

}  // namespace isthmus::mgmt
