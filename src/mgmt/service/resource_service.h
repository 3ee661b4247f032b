// ResourceService: the one door to the desired state. It serializes requests, asks the Planner for a
// whole validated change, commits it durably through the Store, and only then publishes it in memory
// and answers. It also keeps ARM's asynchronous operations and is the reconciler's seam.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "mgmt/model/planner.h"
#include "mgmt/model/state.h"
#include "mgmt/store/store.h"
#include "net/prefix.h"

namespace isthmus::mgmt {

struct ServiceOptions {
  net::Prefix underlay_pool;  // default 198.18.0.0/15
};

// Optimistic concurrency, from If-Match / If-None-Match.
struct Preconditions {
  std::optional<std::string> if_match;
  bool if_none_match_any = false;
};

// An operation as its Location URL reads it. `kind` is what started it: "put", "patch", "delete",
// "setSharedKey", "resetSharedKey" or "reset" (empty for operations stored before kinds were).
struct OperationResult {
  Json operation;  // {id, name, status, startTime[, endTime, error]}
  std::string kind;
  std::optional<ResourceId> resource;
};

struct WriteOutcome {
  Json body;  // the resource as a plain GET shows it (secrets redacted)
  bool created = false;
  bool noop = false;                        // DELETE of something that was not there
  std::optional<std::string> operation_id;  // set when the request continues asynchronously
  std::string operation_location;           // the location segment for the operation URL
  std::vector<std::string> warnings;
};

// What the reconciler observed of a realized connection. Kept in memory only (DESIGN.md §2): it is
// merged into responses, never written to the store, and never wakes the reconciler.
struct ConnectionObservation {
  std::string status = "Unknown";  // Unknown | Connecting | Connected | NotConnected
  std::string reason;              // why not Connected (e.g. the peer's AUTHENTICATION_FAILED)
  std::uint64_t ingress_bytes = 0;
  std::uint64_t egress_bytes = 0;
  std::uint64_t ingress_packets = 0;
  std::uint64_t egress_packets = 0;
  Json tunnels = Json::array();  // properties.tunnelConnectionStatus, Azure's shape
  Json ike_sas = Json::array();  // what `vpn-connection list-ike-sas` returns, Azure's shape, as of status_at
  TimePoint status_at{};         // when the gateway reported it (isthmusd's steady clock; {}: unknown)
  Json gateway_status;           // the gateway's own status of this connection (for troubleshooting)
  bool operator==(const ConnectionObservation&) const = default;
};

// What the realizer observed of a realized gateway (its process and control-socket status). Like a
// connection's observation: memory only, for troubleshooting and metrics.
struct GatewayObservation {
  bool running = false;
  // The gateway's control-socket `status` reply (never keys). Shared: an idle gateway's status stays
  // the same object from pass to pass.
  std::shared_ptr<const nlohmann::json> status;
  std::string error;  // why there is no status
  int restarts = 0;   // times the supervisor restarted its process since isthmusd started
  // Changes whenever `status` does (0: unversioned, always looked at again); the SAs' ages in `status` are as
  // of `status_at` (isthmusd's steady clock).
  std::uint64_t status_version = 0;
  TimePoint status_at{};
};

// How the reconciler's passes went (memory only, for metrics).
struct ReconcileStats {
  std::uint64_t passes = 0;
  double last_pass_seconds = 0;  // 0 when the reconciler has no clock to time its passes with
};

// One consistent copy of the desired state, for the renderer.
struct Snapshot {
  State state;
  std::vector<std::string> subscriptions;
  std::uint64_t generation = 0;
};

class ResourceService {
 public:
  ResourceService(std::unique_ptr<Store> store, ServiceOptions options, Rng& rng);

  // Loads the store; on first start creates the default subscription.
  Status Open();
  // Rows of kinds the service does not own (service principals, the fabric's impairments), as loaded
  // by Open() and written since, and their writes: one store, one transaction order, so they are as
  // durable as resources. `realized`: the rows are part of what the fabric realizes, so the change
  // counts as a change of the desired state (the reconciler renders again).
  std::vector<StoredRow> ForeignRows(std::string_view kind) const;
  Status CommitForeignRows(const std::vector<RowChange>& rows, bool realized = false);

  Json ListSubscriptions() const;
  Result<Json> GetSubscription(const std::string& subscription) const;
  std::string DefaultSubscription() const;

  Result<WriteOutcome> Put(const ResourceId& id, const Json& body, const Preconditions& pre);
  Result<WriteOutcome> Patch(const ResourceId& id, const Json& body, const Preconditions& pre);
  Result<WriteOutcome> Delete(const ResourceId& id, const Preconditions& pre);
  Result<Json> Get(const ResourceId& id) const;
  // kind = subnets lists the subnets of `scope` (a VNet); otherwise `scope` is a subscription or group.
  Result<Json> List(Kind kind, const ResourceId& scope) const;

  Result<std::string> GetSharedKey(const ResourceId& connection) const;
  Result<WriteOutcome> SetSharedKey(const ResourceId& connection, const std::string& key);
  Result<WriteOutcome> ResetSharedKey(const ResourceId& connection, int key_length);
  Result<WriteOutcome> ResetGateway(const ResourceId& gateway);

  Result<Json> GetOperation(const std::string& operation_id) const;
  // What an operation's Location URL answers: the operation, what it did and to which resource.
  Result<OperationResult> GetOperationResult(const std::string& operation_id) const;

  // ---- Reconciler seam (level-triggered: it reads what is pending, acts, reports back) ----------
  std::vector<Resource> Pending() const;            // provisioningState Updating or Deleting
  std::vector<Resource> Realized(Kind kind) const;  // Succeeded resources of a kind
  Status MarkSucceeded(const std::string& key, const std::string& etag_seen);
  Status MarkFailed(const std::string& key, const std::string& etag_seen, const Error& why);
  Status FinishDelete(const std::string& key);
  Snapshot TakeSnapshot() const;
  // Replaces the whole observed status (connections and gateways, by resource key). Never durable,
  // never a generation bump.
  void SetObserved(std::map<std::string, ConnectionObservation> observed,
                   std::map<std::string, GatewayObservation> gateways = {});
  std::optional<ConnectionObservation> Observed(const std::string& connection_key) const;
  std::optional<GatewayObservation> ObservedGateway(const std::string& gateway_key) const;
  void RecordReconcilePass(double seconds);
  ReconcileStats reconcile_stats() const;
  // Blocks until a write happens after `seen`, or the timeout; returns the current generation.
  std::uint64_t WaitForChange(std::uint64_t seen, Duration timeout) const;
  // Wakes every WaitForChange caller now (used to stop the reconciler promptly).
  void WakeWaiters() const;
  std::uint64_t generation() const;

  // Strips secrets from a stored document (a plain GET never shows the shared key).
  static Json Redact(const Json& doc);
  // What a GET shows: redacted, with the observed status of a connection merged in.
  Json Present(const Resource& r) const;
  // The current time as ARM writes it (ISO 8601 UTC with milliseconds).
  std::string Now() const;

 private:
  Result<WriteOutcome> CommitPlan(const Plan& plan, const std::string& op_kind);
  Status CheckPreconditions(const ResourceId& id, const Preconditions& pre) const;
  Status CommitChanges(const std::vector<Change>& changes, std::vector<RowChange> extra);
  std::string StartOperation(const std::string& resource_key, const std::string& location,
                             std::vector<RowChange>& rows, const std::string& kind,
                             const std::string& resource_id);
  Result<WriteOutcome> WriteSharedKey(const ResourceId& connection, const std::string& key, bool reset);
  Status CompleteOperations(const std::string& resource_key, const char* status, const Error* error,
                            std::vector<RowChange>& rows);
  Status CheckSubscription(const std::string& subscription) const;
  PlanContext Context();

  std::unique_ptr<Store> store_;
  ServiceOptions options_;
  Rng& rng_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::uint64_t generation_ = 0;
  mutable std::uint64_t wakeups_ = 0;
  State state_;
  std::map<std::string, Json> subscriptions_;                    // by lowercased subscription ID
  std::map<std::string, Json> operations_;                       // by operation ID
  std::vector<StoredRow> foreign_rows_;                          // loaded by Open(), kinds it does not own
  std::map<std::string, ConnectionObservation> observed_;        // by connection key; memory only
  std::map<std::string, GatewayObservation> observed_gateways_;  // by gateway key; memory only
  ReconcileStats reconcile_stats_;
};

}  // namespace isthmus::mgmt
