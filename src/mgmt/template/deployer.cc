#include "mgmt/template/deployer.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "mgmt/model/resource_id.h"

namespace isthmus::mgmt::tmpl {
namespace {

constexpr char kRowKind[] = "deployment";

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Iso(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

// ISO 8601 duration, as ARM writes it: "PT12.345S".
std::string Duration(std::int64_t from, std::int64_t to) {
  const std::int64_t d = std::max<std::int64_t>(0, to - from);
  return fmt::format("PT{}.{:03}S", d / 1000, d % 1000);
}

std::string DeploymentId(const DeploymentKey& k) {
  return fmt::format("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Resources/deployments/{}",
                     k.subscription, k.resource_group, k.name);
}

std::string OpId(const std::string& resource_id) {  // stable per resource: FNV-1a of its lowercased ID
  std::uint64_t h = 14695981039346656037ull;
  for (char c : ToLower(resource_id)) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return fmt::format("{:016X}", h);
}

bool LooksLikeId(const Json& v) {
  return v.is_string() && v.get_ref<const std::string&>().starts_with("/subscriptions/");
}

// Whether everything `want` says is already so in `have` (IDs compare case-insensitively, as ARM's).
bool Subset(const Json& want, const Json& have) {
  if (want.is_object()) {
    if (!have.is_object()) return false;
    for (auto it = want.begin(); it != want.end(); ++it) {
      auto h = have.find(it.key());
      if (h == have.end()) {
        if (it->is_null() || (it->is_object() && it->empty()) || (it->is_array() && it->empty())) continue;
        return false;
      }
      if (!Subset(*it, *h)) return false;
    }
    return true;
  }
  if (want.is_array()) {
    if (!have.is_array() || want.size() != have.size()) return false;
    for (std::size_t i = 0; i < want.size(); ++i) {
      if (!Subset(want[i], have[i])) return false;
    }
    return true;
  }
  if (LooksLikeId(want) && have.is_string()) return IEquals(want.get<std::string>(), have.get<std::string>());
  return want == have;
}

// What-if's delta, as ARM words it: one entry per property of `want` that `have` does not already hold
// (Create when absent, Modify with both values otherwise), objects compared member by member.
void AddDelta(const Json& want, const Json& have, const std::string& path, Json& out) {
  for (auto it = want.begin(); it != want.end(); ++it) {
    const std::string p = path.empty() ? it.key() : path + "." + it.key();
    auto h = have.is_object() ? have.find(it.key()) : have.end();
    if (h == have.end() || h->is_null()) {
      if (it->is_null() || (it->is_structured() && it->empty())) continue;
      out.push_back({{"path", p}, {"propertyChangeType", "Create"}, {"after", *it}});
    } else if (it->is_object() && h->is_object()) {
      AddDelta(*it, *h, p, out);
    } else if (!Subset(*it, *h)) {
      out.push_back({{"path", p}, {"propertyChangeType", "Modify"}, {"before", *h}, {"after", *it}});
    }
  }
}

}  // namespace

const std::vector<std::string>& Deployments::SupportedTypes() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> out;
    for (Kind k :
         {Kind::kVirtualNetwork, Kind::kSubnet, Kind::kPublicIpAddress, Kind::kVirtualNetworkGateway,
          Kind::kLocalNetworkGateway, Kind::kConnection, Kind::kNetworkInterface, Kind::kVirtualMachine}) {
      out.emplace_back(ArmType(k));
    }
    return out;
  }();
  return types;
}

std::string Deployments::KeyOf(const DeploymentKey& k) {
  return ToLower(DeploymentId(k));
}

Status Deployments::Load() {
  std::lock_guard lock(mu_);
  for (const auto& row : service_.ForeignRows(kRowKind)) {
    Json j = Json::parse(row.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    Record r;
    r.key = {j.value("subscription", ""), j.value("resourceGroup", ""), j.value("name", "")};
    r.request = j.value("request", Json::object());
    r.state = j.value("state", "Failed");
    r.started_ms = j.value("startedMs", std::int64_t{0});
    r.ended_ms = j.value("endedMs", std::int64_t{0});
    r.correlation_id = j.value("correlationId", "");
    r.outputs = j.value("outputs", Json());
    r.error = j.value("error", Json());
    r.shown_parameters = j.value("parameters", Json::object());
    r.dependencies = j.value("dependencies", Json::array());
    for (const auto& o : j.value("operations", Json::array())) {
      Op op;
      op.resource_id = o.value("resourceId", "");
      op.type = o.value("type", "");
      op.name = o.value("name", "");
      op.state = o.value("state", "");
      op.started_ms = o.value("startedMs", std::int64_t{0});
      op.ended_ms = o.value("endedMs", std::int64_t{0});
      op.error = o.value("error", Json());
      op.created = o.value("created", false);
      r.ops.push_back(std::move(op));
    }
    records_[KeyOf(r.key)] = std::move(r);
  }
  return {};
}

Status Deployments::Persist(const Record& r) {
  Json ops = Json::array();
  for (const auto& o : r.ops) {
    ops.push_back({{"resourceId", o.resource_id},
                   {"type", o.type},
                   {"name", o.name},
                   {"state", o.state},
                   {"startedMs", o.started_ms},
                   {"endedMs", o.ended_ms},
                   {"error", o.error},
                   {"created", o.created}});
  }
  Json j = {{"subscription", r.key.subscription},
            {"resourceGroup", r.key.resource_group},
            {"name", r.key.name},
            {"request", r.request},
            {"state", r.state},
            {"startedMs", r.started_ms},
            {"endedMs", r.ended_ms},
            {"correlationId", r.correlation_id},
            {"outputs", r.outputs},
            {"error", r.error},
            {"parameters", r.shown_parameters},
            {"dependencies", r.dependencies},
            {"operations", ops}};
  return service_.CommitForeignRows({{"dep:" + KeyOf(r.key), kRowKind, j.dump()}});
}

Result<Scope> Deployments::ScopeFor(const DeploymentKey& key, const std::string& mode) const {
  auto sub = service_.GetSubscription(key.subscription);
  if (!sub) return Fail(sub.error());
  auto group = service_.Get(ResourceId::Group(key.subscription, key.resource_group));
  if (!group) return Fail(group.error());
  Scope s;
  s.subscription_id = sub->value("subscriptionId", key.subscription);
  s.tenant_id = sub->value("tenantId", "");
  s.resource_group = group->value("name", key.resource_group);
  s.location = group->value("location", "");
  s.resource_group_tags =
      group->contains("tags") && (*group)["tags"].is_object() ? (*group)["tags"] : Json::object();
  s.deployment_name = key.name;
  s.mode = mode;
  return s;
}

Result<Plan> Deployments::PrepareRequest(const DeploymentKey& key, const Json& request) const {
  if (!request.is_object() || !request.contains("properties") || !request["properties"].is_object()) {
    return Fail(Error::Invalid("InvalidRequestContent",
                               "The request must be {\"properties\": {\"template\": …, "
                               "\"parameters\": …, \"mode\": \"Incremental\"}}."));
  }
  const Json& p = request["properties"];
  if (p.contains("templateLink")) {
    return Fail(Error::Invalid("InvalidTemplateDeployment",
                               "properties.templateLink is not supported: send the template inline in "
                               "properties.template (az deployment group create --template-file does).",
                               "properties.templateLink"));
  }
  if (p.contains("parametersLink")) {
    return Fail(Error::Invalid("InvalidTemplateDeployment",
                               "properties.parametersLink is not supported: send the parameters inline.",
                               "properties.parametersLink"));
  }
  if (!p.contains("template") || !p["template"].is_object()) {
    return Fail(Error::Invalid("InvalidTemplateDeployment",
                               "properties.template must be the template (an object).",
                               "properties.template"));
  }
  std::string mode = p.value("mode", "Incremental");
  if (IEquals(mode, "incremental")) {
    mode = "Incremental";
  } else if (IEquals(mode, "complete")) {
    mode = "Complete";
  } else {
    return Fail(
        Error::Invalid("InvalidDeploymentMode",
                       fmt::format("The deployment mode '{}' is not one of Incremental, Complete.", mode),
                       "properties.mode"));
  }
  auto scope = ScopeFor(key, mode);
  if (!scope) return Fail(scope.error());
  return Prepare(p["template"], p.value("parameters", Json::object()), *scope,
                 PrepareOptions{SupportedTypes()});
}

Result<DeploymentWrite> Deployments::Put(const DeploymentKey& key, const Json& request) {
  auto plan = PrepareRequest(key, request);
  if (!plan) return Fail(plan.error());
  std::lock_guard lock(mu_);
  const std::string k = KeyOf(key);
  auto existing = records_.find(k);
  if (existing != records_.end() && existing->second.state == "Running") {
    return Fail(
        Error::Conflict("DeploymentActive",
                        fmt::format("The deployment '{}' is still running; wait for it to end.", key.name)));
  }
  Record r;
  r.key = key;
  r.request = request;
  r.state = "Running";
  r.started_ms = NowMs();
  OsRng rng;
  r.correlation_id = NewGuid(rng);
  r.shown_parameters = DisplayParameters(*plan);
  r.dependencies = Json::array();
  for (const auto& res : plan->resources) {
    if (!res.enabled || res.depends_on.empty()) continue;
    Json on = Json::array();
    for (auto i : res.depends_on) {
      const auto& d = plan->resources[i];
      on.push_back({{"id", d.id}, {"resourceType", d.type}, {"resourceName", d.name}});
    }
    r.dependencies.push_back(
        {{"id", res.id}, {"resourceType", res.type}, {"resourceName", res.name}, {"dependsOn", on}});
  }
  r.plan = std::move(*plan);
  if (auto s = Persist(r); !s) return Fail(s.error());
  const bool created = existing == records_.end();
  records_[k] = std::move(r);
  return DeploymentWrite{Present(records_[k]), created};
}

Json Deployments::Present(const Record& r) const {
  const Json& p = r.request.contains("properties") ? r.request["properties"] : Json::object();
  Json props = {{"provisioningState", r.state},
                {"timestamp", Iso(r.ended_ms ? r.ended_ms : r.started_ms)},
                {"duration", Duration(r.started_ms, r.ended_ms ? r.ended_ms : NowMs())},
                {"correlationId", r.correlation_id},
                {"mode", p.value("mode", "Incremental")},
                {"parameters", r.shown_parameters},
                {"dependencies", r.dependencies},
                {"templateHash", OpId(p.contains("template") ? p["template"].dump() : "")}};
  Json resources = Json::array();
  for (const auto& o : r.ops) {
    if (o.state == "Succeeded" || o.state == "NoChange") resources.push_back({{"id", o.resource_id}});
  }
  props["outputResources"] = resources;
  if (r.state == "Succeeded") props["outputs"] = r.outputs.is_null() ? Json::object() : r.outputs;
  if (!r.error.is_null()) props["error"] = r.error;
  return {{"id", DeploymentId(r.key)},
          {"name", r.key.name},
          {"type", "Microsoft.Resources/deployments"},
          {"properties", props}};
}

Result<Json> Deployments::Get(const DeploymentKey& key) const {
  std::lock_guard lock(mu_);
  auto it = records_.find(KeyOf(key));
  if (it == records_.end()) {
    return Fail(
        Error::NotFound("DeploymentNotFound", fmt::format("Deployment '{}' could not be found.", key.name)));
  }
  return Present(it->second);
}

Result<Json> Deployments::List(const std::string& subscription, const std::string& resource_group) const {
  if (auto g = service_.Get(ResourceId::Group(subscription, resource_group)); !g) return Fail(g.error());
  std::lock_guard lock(mu_);
  Json value = Json::array();
  for (const auto& [k, r] : records_) {
    if (IEquals(r.key.subscription, subscription) && IEquals(r.key.resource_group, resource_group)) {
      value.push_back(Present(r));
    }
  }
  return Json{{"value", value}};
}

Status Deployments::Delete(const DeploymentKey& key) {
  std::lock_guard lock(mu_);
  auto it = records_.find(KeyOf(key));
  if (it == records_.end()) {
    return Fail(
        Error::NotFound("DeploymentNotFound", fmt::format("Deployment '{}' could not be found.", key.name)));
  }
  if (it->second.state == "Running") {
    return Fail(
        Error::Conflict("DeploymentActive",
                        fmt::format("The deployment '{}' is still running; wait for it to end.", key.name)));
  }
  if (auto s = service_.CommitForeignRows({{"dep:" + it->first, kRowKind, std::nullopt}}); !s) return s;
  records_.erase(it);
  return {};
}

Result<Json> Deployments::Operations(const DeploymentKey& key) const {
  std::lock_guard lock(mu_);
  auto it = records_.find(KeyOf(key));
  if (it == records_.end()) {
    return Fail(
        Error::NotFound("DeploymentNotFound", fmt::format("Deployment '{}' could not be found.", key.name)));
  }
  Json value = Json::array();
  for (const auto& o : it->second.ops) {
    const std::string shown = o.state == "NoChange"  ? "Succeeded"
                              : o.state == "Waiting" ? "Running"
                                                     : o.state;
    Json props = {
        {"provisioningOperation", "Create"},
        {"provisioningState", shown},
        {"timestamp", Iso(o.ended_ms ? o.ended_ms : o.started_ms)},
        {"duration", Duration(o.started_ms, o.ended_ms ? o.ended_ms : NowMs())},
        {"statusCode", o.state == "Failed" ? "Conflict"
                       : o.created         ? "Created"
                                           : "OK"},
        {"targetResource", {{"id", o.resource_id}, {"resourceType", o.type}, {"resourceName", o.name}}}};
    if (o.state == "NoChange")
      props["statusMessage"] = "NoChange: the resource already is as the template says.";
    if (!o.error.is_null()) props["statusMessage"] = {{"error", o.error}};
    value.push_back({{"id", DeploymentId(it->second.key) + "/operations/" + OpId(o.resource_id)},
                     {"operationId", OpId(o.resource_id)},
                     {"properties", props}});
  }
  return Json{{"value", value}};
}

Result<Json> Deployments::OperationStatus(const DeploymentKey& key) const {
  std::lock_guard lock(mu_);
  auto it = records_.find(KeyOf(key));
  if (it == records_.end()) {
    return Fail(
        Error::NotFound("DeploymentNotFound", fmt::format("Deployment '{}' could not be found.", key.name)));
  }
  Json j = {{"status", it->second.state}};
  if (!it->second.error.is_null()) j["error"] = it->second.error;
  return j;
}

Result<Json> Deployments::Validate(const DeploymentKey& key, const Json& request) const {
  auto plan = PrepareRequest(key, request);
  if (!plan) return Fail(plan.error());
  Json validated = Json::array();
  for (const auto& r : plan->resources) {
    if (r.enabled) validated.push_back({{"id", r.id}});
  }
  return Json{{"id", DeploymentId(key)},
              {"name", key.name},
              {"type", "Microsoft.Resources/deployments"},
              {"properties",
               {{"provisioningState", "Succeeded"},
                {"mode", request["properties"].value("mode", "Incremental")},
                {"parameters", DisplayParameters(*plan)},
                {"validatedResources", validated}}}};
}

Result<Json> Deployments::ExportTemplate(const DeploymentKey& key) const {
  std::lock_guard lock(mu_);
  auto it = records_.find(KeyOf(key));
  if (it == records_.end()) {
    return Fail(
        Error::NotFound("DeploymentNotFound", fmt::format("Deployment '{}' could not be found.", key.name)));
  }
  return Json{{"template", it->second.request["properties"].value("template", Json::object())}};
}

namespace {

// reference(): what a plain GET shows, or null when the resource does not exist (yet).
ReferenceResolver ResolverFor(const ResourceService& service) {
  return [&service](const std::string& id) -> Result<Json> {
    auto rid = ResourceId::Parse(id);
    if (!rid) return Json();
    auto doc = service.Get(*rid);
    if (!doc) return doc.error().kind == ErrorKind::kNotFound ? Result<Json>(Json()) : Fail(doc.error());
    return doc;
  };
}

// Whether PUTting `body` would change nothing: every property it names already has that value (the
// shared key, which a GET never shows, compared through its own call).
bool AlreadySo(const ResourceService& service, const ResourceId& id, const Json& current, Json body) {
  if (current.value("properties", Json::object()).value("provisioningState", "") != "Succeeded") return false;
  if (body.contains("properties") && body["properties"].is_object() &&
      body["properties"].contains("sharedKey")) {
    auto key = service.GetSharedKey(id);
    if (!key || !body["properties"]["sharedKey"].is_string() || *key != body["properties"]["sharedKey"])
      return false;
    body["properties"].erase("sharedKey");
  }
  return Subset(body, current);
}

}  // namespace

Result<Json> Deployments::WhatIf(const DeploymentKey& key, const Json& request) const {
  auto plan = PrepareRequest(key, request);
  if (!plan) return Fail(plan.error());
  auto scope = ScopeFor(key, request["properties"].value("mode", "Incremental"));
  if (!scope) return Fail(scope.error());
  const ReferenceResolver resolve = ResolverFor(service_);
  Json changes = Json::array();
  for (const auto& r : plan->resources) {
    if (!r.enabled) continue;
    auto rid = ResourceId::Parse(r.id);
    Json before = Json();
    if (rid) {
      if (auto cur = service_.Get(*rid)) before = *cur;
    }
    auto body = RenderResource(*plan, r, *scope, resolve);
    Json change = {{"resourceId", r.id}};
    if (!body) {
      // Its values wait on resources this deployment makes (reference()): known only when it runs.
      change["changeType"] = before.is_null() ? "Create" : "Modify";
      change["unsupportedReason"] = body.error().message;
    } else if (before.is_null()) {
      change["changeType"] = "Create";
      change["after"] = *body;
    } else if (rid && AlreadySo(service_, *rid, before, *body)) {
      change["changeType"] = "NoChange";
      change["before"] = before;
    } else {
      change["changeType"] = "Modify";
      change["before"] = before;
      Json after = *body;
      Json delta = Json::array();
      if (after.contains("properties") && after["properties"].is_object() &&
          after["properties"].contains("sharedKey")) {
        // A secret: whether it changes is told, never its value.
        auto current_key = rid ? service_.GetSharedKey(*rid) : Result<std::string>(std::string());
        if (!current_key || after["properties"]["sharedKey"] != *current_key)
          delta.push_back({{"path", "properties.sharedKey"}, {"propertyChangeType", "Modify"}});
        after["properties"].erase("sharedKey");
      }
      AddDelta(after, before, "", delta);
      change["after"] = after;
      change["delta"] = delta;
    }
    changes.push_back(std::move(change));
  }
  // What the group holds beyond the template: deleted in Complete mode, left alone otherwise.
  const bool complete = scope->mode == "Complete";
  for (Kind k :
       {Kind::kConnection, Kind::kVirtualMachine, Kind::kNetworkInterface, Kind::kVirtualNetworkGateway,
        Kind::kLocalNetworkGateway, Kind::kPublicIpAddress, Kind::kVirtualNetwork}) {
    auto list = service_.List(k, ResourceId::Group(key.subscription, key.resource_group));
    if (!list) continue;
    for (const auto& item : (*list)["value"]) {
      const std::string id = item.value("id", "");
      const bool listed =
          std::any_of(plan->resources.begin(), plan->resources.end(),
                      [&](const PlannedResource& r) { return r.enabled && IEquals(r.id, id); });
      if (!listed)
        changes.push_back(
            {{"resourceId", id}, {"changeType", complete ? "Delete" : "Ignore"}, {"before", item}});
    }
  }
  return Json{{"status", "Succeeded"}, {"properties", {{"changes", changes}}}};
}

Deployments::Op* Deployments::FindOp(Record& r, const std::string& id) {
  for (auto& o : r.ops) {
    if (IEquals(o.resource_id, id)) return &o;
  }
  return nullptr;
}

bool Deployments::AnyRunning() const {
  std::lock_guard lock(mu_);
  return std::any_of(records_.begin(), records_.end(),
                     [](const auto& kv) { return kv.second.state == "Running"; });
}

bool Deployments::RunOnce() {
  std::lock_guard lock(mu_);
  bool changed = false;
  for (auto& [k, r] : records_) {
    if (r.state != "Running") continue;
    if (Step(r)) {
      changed = true;
      (void)Persist(r);  // a failed write is retried with the next change; the store logs it
    }
  }
  return changed;
}

bool Deployments::Step(Record& r) {
  bool changed = false;
  if (!r.plan) {  // after a restart: plan again (the template and parameters are stored)
    auto plan = PrepareRequest(r.key, r.request);
    if (!plan) {
      r.state = "Failed";
      r.ended_ms = NowMs();
      r.error = {{"code", plan.error().code}, {"message", plan.error().message}};
      return true;
    }
    r.plan = std::move(*plan);
    r.wave = 0;
    r.wave_started = false;
    r.blocked.clear();
    changed = true;
  }
  auto scope = ScopeFor(r.key, r.request["properties"].value("mode", "Incremental"));
  if (!scope) {
    r.state = "Failed";
    r.ended_ms = NowMs();
    r.error = {{"code", scope.error().code}, {"message", scope.error().message}};
    return true;
  }
  const Plan& plan = *r.plan;
  const ReferenceResolver resolve = ResolverFor(service_);
  auto fail_op = [&](const PlannedResource& res, const Error& e) {
    Op* op = FindOp(r, res.id);
    if (!op) {
      r.ops.push_back({res.id, res.type, res.name, "Failed", NowMs(), NowMs(), Json(), false});
      op = &r.ops.back();
    }
    op->state = "Failed";
    op->ended_ms = NowMs();
    op->error = {{"code", e.code}, {"message", e.message}};
    if (!e.target.empty()) op->error["target"] = e.target;
  };
  // Starts one resource: its op (new, or the one from before a restart) is Running while the service
  // realizes it, Waiting while another operation on it is still in progress.
  auto begin = [&](const PlannedResource& res) {
    Op* op = FindOp(r, res.id);
    if (!op) {
      r.ops.push_back({res.id, res.type, res.name, "Running", NowMs(), 0, Json(), false});
      op = &r.ops.back();
    }
    op->state = "Running";
    op->ended_ms = 0;
    op->error = Json();
    auto rid = ResourceId::Parse(res.id);
    if (!rid) return fail_op(res, rid.error());
    auto current = service_.Get(*rid);
    const std::string now_state =
        current ? current->value("properties", Json::object()).value("provisioningState", "") : std::string();
    if (now_state == "Updating" || now_state == "Deleting") {
      op->state = "Waiting";
      return;
    }
    auto body = RenderResource(plan, res, *scope, resolve);
    if (!body) return fail_op(res, body.error());
    if (!current) op->created = true;
    if (current && AlreadySo(service_, *rid, *current, *body)) {
      op->state = "NoChange";
      op->ended_ms = NowMs();
      return;
    }
    auto put = service_.Put(*rid, *body, {});
    if (!put) return fail_op(res, put.error());
    if (!put->operation_id) {
      op->state = "Succeeded";
      op->ended_ms = NowMs();
    }
  };
  while (r.wave < plan.waves.size()) {
    const auto& wave = plan.waves[r.wave];
    if (!r.wave_started) {
      for (auto idx : wave) {
        const PlannedResource& res = plan.resources[idx];
        const bool blocked = std::any_of(res.depends_on.begin(), res.depends_on.end(), [&](std::size_t d) {
          const auto& dep = plan.resources[d];
          Op* op = FindOp(r, dep.id);
          return (op && op->state == "Failed") ||
                 std::any_of(r.blocked.begin(), r.blocked.end(),
                             [&](const std::string& b) { return IEquals(b, dep.id); });
        });
        if (blocked) {
          r.blocked.push_back(res.id);
          continue;
        }
        begin(res);
      }
      r.wave_started = true;
      changed = true;
    }
    bool pending = false;
    for (auto idx : wave) {
      const PlannedResource& res = plan.resources[idx];
      Op* op = FindOp(r, res.id);
      if (!op || (op->state != "Running" && op->state != "Waiting")) continue;
      auto rid = ResourceId::Parse(res.id);
      auto doc = rid ? service_.Get(*rid) : Result<Json>(Fail(rid.error()));
      const std::string state =
          doc ? doc->value("properties", Json::object()).value("provisioningState", "") : std::string();
      if (op->state == "Waiting") {
        if (state == "Updating" || state == "Deleting") {
          pending = true;
        } else {
          begin(res);  // what ran has ended: now ours
          pending |= op->state == "Running" || op->state == "Waiting";
          changed = true;
        }
        continue;
      }
      if (state == "Succeeded") {
        op->state = "Succeeded";
        op->ended_ms = NowMs();
        changed = true;
      } else if (state == "Failed" || !doc) {
        fail_op(res, doc ? Error::Conflict(
                               "ResourceDeploymentFailure",
                               fmt::format("The resource '{}' ended in provisioning state 'Failed'.", res.id))
                         : doc.error());
        changed = true;
      } else {
        pending = true;
      }
    }
    if (pending) return changed;
    ++r.wave;
    r.wave_started = false;
    changed = true;
  }
  if (scope->mode == "Complete" && !DeleteUnlisted(r)) return changed;
  Finish(r);
  return true;
}

bool Deployments::DeleteUnlisted(Record& r) {
  static constexpr Kind kOrder[] = {Kind::kConnection,          Kind::kVirtualMachine,
                                    Kind::kNetworkInterface,    Kind::kVirtualNetworkGateway,
                                    Kind::kLocalNetworkGateway, Kind::kPublicIpAddress,
                                    Kind::kVirtualNetwork};
  const Plan& plan = *r.plan;
  while (r.complete_phase < static_cast<int>(std::size(kOrder))) {
    auto list =
        service_.List(kOrder[r.complete_phase], ResourceId::Group(r.key.subscription, r.key.resource_group));
    bool waiting = false;
    if (list) {
      for (const auto& item : (*list)["value"]) {
        const std::string id = item.value("id", "");
        const bool listed =
            std::any_of(plan.resources.begin(), plan.resources.end(),
                        [&](const PlannedResource& p) { return p.enabled && IEquals(p.id, id); });
        if (listed) continue;
        waiting = true;
        if (item.value("properties", Json::object()).value("provisioningState", "") == "Deleting") continue;
        auto rid = ResourceId::Parse(id);
        if (!rid) continue;
        if (auto d = service_.Delete(*rid, {}); !d) {
          r.ops.push_back({id,
                           item.value("type", ""),
                           item.value("name", ""),
                           "Failed",
                           NowMs(),
                           NowMs(),
                           {{"code", d.error().code}, {"message", d.error().message}},
                           false});
          waiting = false;  // give up on this kind: Finish reports it
        }
      }
    }
    if (waiting) return false;
    ++r.complete_phase;
  }
  return true;
}

void Deployments::Finish(Record& r) {
  Json details = Json::array();
  for (const auto& o : r.ops) {
    if (o.state == "Failed") details.push_back(o.error);
  }
  if (!details.empty()) {
    r.state = "Failed";
    r.error = {{"code", "DeploymentFailed"},
               {"message",
                "At least one resource deployment operation failed. Please list deployment operations for "
                "details."},
               {"details", details}};
  } else {
    auto scope = ScopeFor(r.key, r.request["properties"].value("mode", "Incremental"));
    auto outputs =
        scope ? RenderOutputs(*r.plan, *scope, ResolverFor(service_)) : Result<Json>(Fail(scope.error()));
    if (!outputs) {
      r.state = "Failed";
      r.error = {{"code", outputs.error().code}, {"message", outputs.error().message}};
    } else {
      r.state = "Succeeded";
      r.outputs = *outputs;
    }
  }
  r.ended_ms = NowMs();
  r.plan.reset();
}

}  // namespace isthmus::mgmt::tmpl
