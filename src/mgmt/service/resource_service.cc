#include "mgmt/service/resource_service.h"

#include <chrono>
#include <ctime>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace isthmus::mgmt {
namespace {

constexpr const char* kResourceRow = "resource";
constexpr const char* kOperationRow = "operation";
constexpr const char* kSubscriptionRow = "subscription";
constexpr int kMaxResetKeyLength = 128;

std::string OpKey(const std::string& op) {
  return "op:" + op;
}

const char* ProvisioningState(const Resource& r) {
  static const std::string empty;
  const auto& p = r.doc["properties"];
  auto it = p.find("provisioningState");
  if (it == p.end() || !it->is_string()) return "";
  auto s = it->get<std::string>();
  if (s == kUpdating) return kUpdating;
  if (s == kDeleting) return kDeleting;
  if (s == kSucceeded) return kSucceeded;
  if (s == kFailed) return kFailed;
  return "";
}

}  // namespace

ResourceService::ResourceService(std::unique_ptr<Store> store, ServiceOptions options, Rng& rng)
    : store_(std::move(store)), options_(std::move(options)), rng_(rng) {}

std::string ResourceService::Now() const {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

PlanContext ResourceService::Context() {
  return {[this] { return NewGuid(rng_); }, options_.underlay_pool};
}

Status ResourceService::Open() {
  std::lock_guard lock(mu_);
  auto rows = store_->LoadAll();
  if (!rows) return Fail(rows.error());
  std::vector<Change> changes;
  for (const auto& row : *rows) {
    Json doc = Json::parse(row.body, nullptr, false);
    if (doc.is_discarded()) {
      return Fail(Error::Internal(fmt::format("store row '{}' is not valid JSON", row.key)));
    }
    if (row.kind == kResourceRow) {
      auto id = ResourceId::Parse(doc.value("id", ""));
      if (!id) return Fail(Error::Internal(fmt::format("store row '{}' has no valid resource ID", row.key)));
      changes.push_back({row.key, Resource{*id, std::move(doc)}});
    } else if (row.kind == kOperationRow) {
      std::string name = doc.value("name", "");  // read before the move: `a[k] = b` evaluates b first
      operations_[name] = std::move(doc);
    } else if (row.kind == kSubscriptionRow) {
      std::string sub = ToLower(doc.value("subscriptionId", ""));
      subscriptions_[sub] = std::move(doc);
    } else {
      foreign_rows_.push_back(row);
    }
  }
  state_.Apply(changes);
  if (subscriptions_.empty()) {
    std::string sub = NewGuid(rng_);
    Json s = {{"id", "/subscriptions/" + sub}, {"subscriptionId", sub},
              {"displayName", "Isthmus"},      {"state", "Enabled"},
              {"tenantId", NewGuid(rng_)},     {"isDefault", true}};
    if (auto st = store_->Commit({{"sub:" + sub, kSubscriptionRow, s.dump()}}); !st) return st;
    subscriptions_[sub] = s;
    spdlog::info("created default subscription {}", sub);
  }
  spdlog::info("store loaded: {} resources, {} operations", state_.size(), operations_.size());
  return {};
}

std::vector<StoredRow> ResourceService::ForeignRows(std::string_view kind) const {
  std::lock_guard lock(mu_);
  std::vector<StoredRow> out;
  for (const auto& r : foreign_rows_) {
    if (r.kind == kind) out.push_back(r);
  }
  return out;
}

Status ResourceService::CommitForeignRows(const std::vector<RowChange>& rows, bool realized) {
  std::lock_guard lock(mu_);
  for (const auto& r : rows) {
    if (r.kind == kResourceRow || r.kind == kOperationRow || r.kind == kSubscriptionRow) {
      return Fail(Error::Internal(fmt::format("row '{}' of kind '{}' is the service's own", r.key, r.kind)));
    }
  }
  if (auto s = store_->Commit(rows); !s) return s;
  for (const auto& r : rows) {
    std::erase_if(foreign_rows_, [&](const StoredRow& have) { return have.key == r.key; });
    if (r.body) foreign_rows_.push_back({r.key, r.kind, *r.body});
  }
  if (realized) {
    ++generation_;
    changed_.notify_all();
  }
  return {};
}

Json ResourceService::ListSubscriptions() const {
  std::lock_guard lock(mu_);
  Json list = Json::array();
  for (const auto& [k, s] : subscriptions_) list.push_back(s);
  return {{"value", list}};
}

Result<Json> ResourceService::GetSubscription(const std::string& subscription) const {
  std::lock_guard lock(mu_);
  if (auto s = CheckSubscription(subscription); !s) return Fail(s.error());
  return subscriptions_.at(ToLower(subscription));
}

std::string ResourceService::DefaultSubscription() const {
  std::lock_guard lock(mu_);
  for (const auto& [k, s] : subscriptions_) {
    if (s.value("isDefault", false)) return s.value("subscriptionId", "");
  }
  return subscriptions_.empty() ? "" : subscriptions_.begin()->second.value("subscriptionId", "");
}

Status ResourceService::CheckSubscription(const std::string& subscription) const {
  if (!subscriptions_.contains(ToLower(subscription))) {
    return Fail(Error::NotFound("SubscriptionNotFound",
                                fmt::format("The subscription '{}' could not be found.", subscription)));
  }
  return {};
}

Json ResourceService::Redact(const Json& doc) {
  Json out = doc;
  if (out.contains("properties") && out["properties"].is_object()) out["properties"].erase("sharedKey");
  return out;
}

Json ResourceService::Present(const Resource& r) const {
  Json out = Redact(r.doc);
  if (r.id.kind != Kind::kConnection || !out.contains("properties")) return out;
  auto& p = out["properties"];
  // ARM writes embedded gateway references as {"id":…,"properties":{}}; Microsoft's TypeSpec-generated
  // SDKs (arm-network 39) read the properties object unconditionally.
  for (const char* ref : {"virtualNetworkGateway1", "virtualNetworkGateway2", "localNetworkGateway2"}) {
    if (p.contains(ref) && p[ref].is_object() && !p[ref].contains("properties"))
      p[ref]["properties"] = Json::object();
  }
  auto it = observed_.find(r.id.Key());
  if (it == observed_.end()) {
    p["connectionStatus"] = "Unknown";
    return out;
  }
  const ConnectionObservation& o = it->second;
  p["connectionStatus"] = o.status;
  p["ingressBytesTransferred"] = o.ingress_bytes;
  p["egressBytesTransferred"] = o.egress_bytes;
  if (!o.tunnels.empty()) p["tunnelConnectionStatus"] = o.tunnels;
  return out;
}

Status ResourceService::CheckPreconditions(const ResourceId& id, const Preconditions& pre) const {
  std::string etag;
  bool exists = false;
  if (id.kind == Kind::kSubnet) {
    if (const Json* s = state_.FindSubnet(id)) {
      exists = true;
      etag = s->value("etag", "");
    }
  } else if (const Resource* r = state_.Find(id)) {
    exists = true;
    etag = r->doc.value("etag", "");
  }
  if (pre.if_none_match_any && exists) {
    return Fail(
        {ErrorKind::kPreconditionFailed,
         "PreconditionFailed",
         fmt::format("The {} '{}' already exists (If-None-Match: *).", DisplayName(id.kind), id.LeafName()),
         {}});
  }
  if (pre.if_match && *pre.if_match != "*" && (!exists || *pre.if_match != etag)) {
    return Fail(
        {ErrorKind::kPreconditionFailed,
         "PreconditionFailed",
         exists ? fmt::format("The {} '{}' has changed: its etag is {}, not {}.", DisplayName(id.kind),
                              id.LeafName(), etag, *pre.if_match)
                : fmt::format("The {} '{}' does not exist (If-Match).", DisplayName(id.kind), id.LeafName()),
         {}});
  }
  if (pre.if_match && *pre.if_match == "*" && !exists) {
    return Fail(
        {ErrorKind::kPreconditionFailed,
         "PreconditionFailed",
         fmt::format("The {} '{}' does not exist (If-Match: *).", DisplayName(id.kind), id.LeafName()),
         {}});
  }
  return {};
}

Status ResourceService::CommitChanges(const std::vector<Change>& changes, std::vector<RowChange> rows) {
  for (const auto& c : changes) {
    rows.push_back(
        {c.key, kResourceRow, c.after ? std::optional<std::string>(c.after->doc.dump()) : std::nullopt});
  }
  // Durable first, visible second: nothing a client was told about can be lost by a crash.
  if (auto s = store_->Commit(rows); !s) return s;
  state_.Apply(changes);
  ++generation_;
  changed_.notify_all();
  return {};
}

std::string ResourceService::StartOperation(const std::string& resource_key, const std::string& location,
                                            std::vector<RowChange>& rows, const std::string& kind,
                                            const std::string& resource_id) {
  std::string op = NewGuid(rng_);
  std::string sub;
  if (auto id = ResourceId::Parse(resource_key)) sub = id->subscription;
  Json o = {{"id", fmt::format("/subscriptions/{}/providers/Microsoft.Network/locations/{}/operations/{}",
                               sub, location, op)},
            {"name", op},
            {"status", "InProgress"},
            {"startTime", Now()},
            {"resourceKey", resource_key},
            {"kind", kind},
            {"resourceId", resource_id}};
  rows.push_back({OpKey(op), kOperationRow, o.dump()});
  operations_[op] = o;
  return op;
}

Status ResourceService::CompleteOperations(const std::string& resource_key, const char* status,
                                           const Error* error, std::vector<RowChange>& rows) {
  for (auto& [name, o] : operations_) {
    if (o.value("status", "") != "InProgress" || o.value("resourceKey", "") != resource_key) continue;
    o["status"] = status;
    o["endTime"] = Now();
    if (error) o["error"] = {{"code", error->code}, {"message", error->message}};
    rows.push_back({OpKey(name), kOperationRow, o.dump()});
  }
  return {};
}

Result<WriteOutcome> ResourceService::CommitPlan(const Plan& plan, const std::string& op_kind) {
  WriteOutcome out;
  out.created = plan.created;
  out.noop = plan.noop;
  out.warnings = plan.warnings;
  if (plan.noop) return out;
  std::vector<RowChange> rows;
  std::string key = plan.result.id.Key();
  std::string location = plan.result.doc.value("location", "local");
  if (plan.async) {
    // One running operation per resource: a repeated DELETE joins the one in progress.
    for (const auto& [name, o] : operations_) {
      if (o.value("status", "") == "InProgress" && o.value("resourceKey", "") == key) out.operation_id = name;
    }
    if (!out.operation_id || !plan.changes.empty()) {
      if (out.operation_id) CompleteOperations(key, "Canceled", nullptr, rows);
      out.operation_id = StartOperation(key, location, rows, op_kind, plan.result.id.ToString());
    }
    out.operation_location = location;
  }
  if (auto s = CommitChanges(plan.changes, std::move(rows)); !s) {
    if (out.operation_id) operations_.erase(*out.operation_id);
    return Fail(s.error());
  }
  // Answer with what is stored now (the planner's view of the target).
  const Resource* now = plan.result.id.kind == Kind::kSubnet ? nullptr : state_.FindKey(key);
  out.body = now ? Present(*now) : Redact(plan.result.doc);
  for (const auto& w : plan.warnings) spdlog::warn("{}: {}", plan.result.id.ToString(), w);
  return out;
}

Result<WriteOutcome> ResourceService::Put(const ResourceId& id, const Json& body, const Preconditions& pre) {
  std::lock_guard lock(mu_);
  if (auto s = CheckSubscription(id.subscription); !s) return Fail(s.error());
  if (auto s = CheckPreconditions(id, pre); !s) return Fail(s.error());
  Planner planner(state_, Context());
  auto plan = planner.Put(id, body);
  if (!plan) return Fail(plan.error());
  auto out = CommitPlan(*plan, "put");
  if (out) spdlog::info("{} {}", out->created ? "created" : "updated", plan->result.id.ToString());
  return out;
}

Result<WriteOutcome> ResourceService::Patch(const ResourceId& id, const Json& body,
                                            const Preconditions& pre) {
  std::lock_guard lock(mu_);
  if (auto s = CheckSubscription(id.subscription); !s) return Fail(s.error());
  if (auto s = CheckPreconditions(id, pre); !s) return Fail(s.error());
  Planner planner(state_, Context());
  auto plan = planner.PatchTags(id, body);
  if (!plan) return Fail(plan.error());
  return CommitPlan(*plan, "patch");
}

Result<WriteOutcome> ResourceService::Delete(const ResourceId& id, const Preconditions& pre) {
  std::lock_guard lock(mu_);
  if (auto s = CheckSubscription(id.subscription); !s) return Fail(s.error());
  if (auto s = CheckPreconditions(id, pre); !s) return Fail(s.error());
  Planner planner(state_, Context());
  auto plan = planner.Delete(id);
  if (!plan) return Fail(plan.error());
  auto out = CommitPlan(*plan, "delete");
  if (out && !out->noop) spdlog::info("{} {}", plan->async ? "deleting" : "deleted", id.ToString());
  return out;
}

Result<Json> ResourceService::Get(const ResourceId& id) const {
  std::lock_guard lock(mu_);
  if (auto s = CheckSubscription(id.subscription); !s) return Fail(s.error());
  if (id.kind != Kind::kResourceGroup &&
      !state_.Find(ResourceId::Group(id.subscription, id.resource_group))) {
    return Fail(Error::NotFound("ResourceGroupNotFound",
                                fmt::format("Resource group '{}' could not be found.", id.resource_group)));
  }
  if (id.kind == Kind::kSubnet) {
    if (const Json* s = state_.FindSubnet(id)) return *s;
  } else if (const Resource* r = state_.Find(id)) {
    return Present(*r);
  }
  return Fail(Error::NotFound(
      id.kind == Kind::kResourceGroup ? "ResourceGroupNotFound" : "ResourceNotFound",
      id.kind == Kind::kResourceGroup
          ? fmt::format("Resource group '{}' could not be found.", id.resource_group)
          : fmt::format("The Resource '{}/{}' under resource group '{}' was not found.", ArmType(id.kind),
                        id.kind == Kind::kSubnet ? id.name + "/" + id.child_name : id.name,
                        id.resource_group)));
}

Result<Json> ResourceService::List(Kind kind, const ResourceId& scope) const {
  std::lock_guard lock(mu_);
  if (auto s = CheckSubscription(scope.subscription); !s) return Fail(s.error());
  Json list = Json::array();
  if (kind == Kind::kSubnet) {
    const Resource* vnet = state_.Find(scope);
    if (!vnet) {
      return Fail(Error::NotFound("ResourceNotFound",
                                  fmt::format("Virtual network '{}' was not found.", scope.name)));
    }
    list = vnet->doc["properties"].value("subnets", Json::array());
    return Json{{"value", list}};
  }
  std::optional<std::string> group;
  if (scope.kind == Kind::kResourceGroup) {
    if (!state_.Find(scope)) {
      return Fail(
          Error::NotFound("ResourceGroupNotFound",
                          fmt::format("Resource group '{}' could not be found.", scope.resource_group)));
    }
    group = scope.resource_group;
  }
  for (const Resource* r : state_.List(kind, scope.subscription, group)) list.push_back(Present(*r));
  return Json{{"value", list}};
}

Result<std::string> ResourceService::GetSharedKey(const ResourceId& connection) const {
  std::lock_guard lock(mu_);
  if (auto s = CheckSubscription(connection.subscription); !s) return Fail(s.error());
  const Resource* r = state_.Find(connection);
  if (!r || connection.kind != Kind::kConnection) {
    return Fail(
        Error::NotFound("ResourceNotFound", fmt::format("Connection '{}' was not found.", connection.name)));
  }
  return r->doc["properties"].value("sharedKey", "");
}

Result<WriteOutcome> ResourceService::SetSharedKey(const ResourceId& connection, const std::string& key) {
  return WriteSharedKey(connection, key, false);
}

Result<WriteOutcome> ResourceService::WriteSharedKey(const ResourceId& connection, const std::string& key,
                                                     bool reset) {
  std::lock_guard lock(mu_);
  if (auto s = CheckSubscription(connection.subscription); !s) return Fail(s.error());
  Planner planner(state_, Context());
  auto plan = planner.SetSharedKey(connection, key);
  if (!plan) return Fail(plan.error());
  return CommitPlan(*plan, reset ? "resetSharedKey" : "setSharedKey");
}

Result<WriteOutcome> ResourceService::ResetSharedKey(const ResourceId& connection, int key_length) {
  if (key_length < 1 || key_length > kMaxResetKeyLength) {
    return Fail(Error::Invalid(
        "InvalidParameter",
        fmt::format("keyLength must be between 1 and {}; got {}.", kMaxResetKeyLength, key_length),
        "keyLength"));
  }
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string key;
  while (key.size() < static_cast<std::size_t>(key_length)) {
    std::uint8_t b = 0;
    rng_.Fill({&b, 1});
    if (b < 248) key.push_back(kAlphabet[b % 62]);  // 248 = 4*62: rejection keeps it uniform
  }
  return WriteSharedKey(connection, key, true);
}

Result<WriteOutcome> ResourceService::ResetGateway(const ResourceId& gateway) {
  std::lock_guard lock(mu_);
  if (auto s = CheckSubscription(gateway.subscription); !s) return Fail(s.error());
  const Resource* r = state_.Find(gateway);
  if (!r || gateway.kind != Kind::kVirtualNetworkGateway) {
    return Fail(Error::NotFound("ResourceNotFound",
                                fmt::format("Virtual network gateway '{}' was not found.", gateway.name)));
  }
  if (auto s = CheckNotBusy(r); !s) return Fail(s.error());
  Plan plan;
  Resource m = *r;
  m.doc["properties"]["provisioningState"] = kUpdating;
  // A reset restarts the gateway: the reconciler sees the generation bump and restarts it.
  m.doc["properties"]["resetGeneration"] = r->doc["properties"].value("resetGeneration", 0) + 1;
  plan.changes.push_back({m.id.Key(), m});
  plan.result = m;
  plan.async = true;
  return CommitPlan(plan, "reset");
}

Result<Json> ResourceService::GetOperation(const std::string& operation_id) const {
  std::lock_guard lock(mu_);
  auto it = operations_.find(ToLower(operation_id));
  if (it == operations_.end()) {
    return Fail(
        Error::NotFound("OperationNotFound", fmt::format("Operation '{}' was not found.", operation_id)));
  }
  Json o = it->second;
  for (const char* internal : {"resourceKey", "kind", "resourceId"}) o.erase(internal);
  return o;
}

Result<OperationResult> ResourceService::GetOperationResult(const std::string& operation_id) const {
  std::lock_guard lock(mu_);
  auto it = operations_.find(ToLower(operation_id));
  if (it == operations_.end()) {
    return Fail(
        Error::NotFound("OperationNotFound", fmt::format("Operation '{}' was not found.", operation_id)));
  }
  OperationResult out;
  out.operation = it->second;
  out.kind = out.operation.value("kind", "");
  // Operations stored before they recorded their resource name it by key.
  auto id = ResourceId::Parse(out.operation.value("resourceId", out.operation.value("resourceKey", "")));
  if (id) out.resource = *id;
  for (const char* internal : {"resourceKey", "kind", "resourceId"}) out.operation.erase(internal);
  return out;
}

std::vector<Resource> ResourceService::Pending() const {
  std::lock_guard lock(mu_);
  std::vector<Resource> out;
  for (Kind k :
       {Kind::kResourceGroup, Kind::kVirtualNetwork, Kind::kPublicIpAddress, Kind::kVirtualNetworkGateway,
        Kind::kLocalNetworkGateway, Kind::kConnection, Kind::kNetworkInterface, Kind::kVirtualMachine}) {
    for (const auto& [key, sub] : subscriptions_) {
      for (const Resource* r : state_.List(k, sub.value("subscriptionId", ""))) {
        std::string st = ProvisioningState(*r);
        if (st == kUpdating || st == kDeleting) out.push_back(*r);
      }
    }
  }
  return out;
}

std::vector<Resource> ResourceService::Realized(Kind kind) const {
  std::lock_guard lock(mu_);
  std::vector<Resource> out;
  for (const auto& [key, sub] : subscriptions_) {
    for (const Resource* r : state_.List(kind, sub.value("subscriptionId", ""))) {
      if (std::string(ProvisioningState(*r)) == kSucceeded) out.push_back(*r);
    }
  }
  return out;
}

Status ResourceService::MarkSucceeded(const std::string& key, const std::string& etag_seen) {
  std::lock_guard lock(mu_);
  const Resource* r = state_.FindKey(key);
  // Level-triggered: if the resource changed since the reconciler read it, the newer state wins and
  // will be reconciled on the next pass.
  const std::string st = r ? ProvisioningState(*r) : "";
  if (!r || r->doc.value("etag", "") != etag_seen || (st != kUpdating && st != kFailed)) return {};
  Resource m = *r;
  m.doc["properties"]["provisioningState"] = kSucceeded;
  std::vector<RowChange> rows;
  CompleteOperations(key, "Succeeded", nullptr, rows);
  return CommitChanges({{key, m}}, std::move(rows));
}

Status ResourceService::MarkFailed(const std::string& key, const std::string& etag_seen, const Error& why) {
  std::lock_guard lock(mu_);
  const Resource* r = state_.FindKey(key);
  if (!r || r->doc.value("etag", "") != etag_seen) return {};
  Resource m = *r;
  m.doc["properties"]["provisioningState"] = kFailed;
  std::vector<RowChange> rows;
  CompleteOperations(key, "Failed", &why, rows);
  spdlog::warn("{}: provisioning failed: {}", r->id.ToString(), why.message);
  return CommitChanges({{key, m}}, std::move(rows));
}

Status ResourceService::FinishDelete(const std::string& key) {
  std::lock_guard lock(mu_);
  const Resource* r = state_.FindKey(key);
  if (!r) return {};
  Planner planner(state_, Context());
  std::vector<RowChange> rows;
  CompleteOperations(key, "Succeeded", nullptr, rows);
  auto changes = planner.FinishDelete(*r);
  spdlog::info("deleted {}", r->id.ToString());
  return CommitChanges(changes, std::move(rows));
}

Snapshot ResourceService::TakeSnapshot() const {
  std::lock_guard lock(mu_);
  Snapshot s{state_, {}, generation_};
  for (const auto& [key, sub] : subscriptions_) s.subscriptions.push_back(sub.value("subscriptionId", ""));
  return s;
}

void ResourceService::SetObserved(std::map<std::string, ConnectionObservation> observed,
                                  std::map<std::string, GatewayObservation> gateways) {
  std::lock_guard lock(mu_);
  observed_ = std::move(observed);
  observed_gateways_ = std::move(gateways);
}

std::optional<GatewayObservation> ResourceService::ObservedGateway(const std::string& gateway_key) const {
  std::lock_guard lock(mu_);
  auto it = observed_gateways_.find(gateway_key);
  if (it == observed_gateways_.end()) return std::nullopt;
  return it->second;
}

void ResourceService::RecordReconcilePass(double seconds) {
  std::lock_guard lock(mu_);
  ++reconcile_stats_.passes;
  reconcile_stats_.last_pass_seconds = seconds;
}

ReconcileStats ResourceService::reconcile_stats() const {
  std::lock_guard lock(mu_);
  return reconcile_stats_;
}

std::optional<ConnectionObservation> ResourceService::Observed(const std::string& connection_key) const {
  std::lock_guard lock(mu_);
  auto it = observed_.find(connection_key);
  if (it == observed_.end()) return std::nullopt;
  return it->second;
}

std::uint64_t ResourceService::WaitForChange(std::uint64_t seen, Duration timeout) const {
  std::unique_lock lock(mu_);
  const std::uint64_t wakeups = wakeups_;
  changed_.wait_for(lock, timeout, [&] { return generation_ != seen || wakeups_ != wakeups; });
  return generation_;
}

void ResourceService::WakeWaiters() const {
  std::lock_guard lock(mu_);
  ++wakeups_;
  changed_.notify_all();
}

std::uint64_t ResourceService::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

}  // namespace isthmus::mgmt
