// Microsoft.Resources/deployments: a template and its parameters deployed into a resource group as
// ARM does it — checked whole first (nothing changes on a bad template), then created wave by wave
// through the ResourceService (each resource a plain PUT, independent ones at once, a failure stopping
// only its dependents), with per-resource operations, outputs and the deployment's own
// provisioningState. Deployments are stored (kind "deployment") and a Running one resumes after a
// restart: its PUTs are idempotent, and a resource whose rendered body is already what is stored is
// left alone (NoChange: no tunnel renegotiates on a redeploy).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "mgmt/service/resource_service.h"
#include "mgmt/template/template.h"

namespace isthmus::mgmt::tmpl {

struct DeploymentKey {
  std::string subscription;
  std::string resource_group;
  std::string name;
};

struct DeploymentWrite {
  Json body;             // the deployment as GET shows it
  bool created = false;  // 201 rather than 200
};

class Deployments {
 public:
  explicit Deployments(ResourceService& service) : service_(service) {}

  // Reads the stored deployments (ResourceService::Open first).
  Status Load();

  // PUT: validates the whole request (template, parameters, mode) and starts it; a deployment of the
  // same name that is still running → 409.
  Result<DeploymentWrite> Put(const DeploymentKey& key, const Json& request);
  Result<Json> Get(const DeploymentKey& key) const;
  Result<Json> List(const std::string& subscription, const std::string& resource_group) const;
  // Deletes the record (not the resources it made, as in ARM); a running one → 409.
  Status Delete(const DeploymentKey& key);
  Result<Json> Operations(const DeploymentKey& key) const;
  // {status: Running|Succeeded|Failed, error}: the deployment's Azure-AsyncOperation document.
  Result<Json> OperationStatus(const DeploymentKey& key) const;
  Result<Json> Validate(const DeploymentKey& key, const Json& request) const;
  // What a deployment would do, changing nothing: {status, properties: {changes: [{resourceId,
  // changeType: Create|Modify|NoChange|Delete|Ignore, before, after, delta}]}}.
  Result<Json> WhatIf(const DeploymentKey& key, const Json& request) const;
  Result<Json> ExportTemplate(const DeploymentKey& key) const;

  // Moves every running deployment on as far as it can without waiting; true if anything changed.
  // isthmusd calls it from a thread whenever the service changes (and on a short timer).
  bool RunOnce();
  bool AnyRunning() const;

  // The resource types a template may hold: those the service implements.
  static const std::vector<std::string>& SupportedTypes();

 private:
  struct Op {
    std::string resource_id;
    std::string type;
    std::string name;
    std::string state;  // Running, Succeeded, Failed, NoChange (shown Succeeded)
    std::int64_t started_ms = 0, ended_ms = 0;
    Json error;  // null unless Failed
    bool created = false;
  };
  struct Record {
    DeploymentKey key;
    Json request;  // properties.template, properties.parameters, properties.mode (secrets inside)
    std::string state = "Running";              // Running, Succeeded, Failed
    std::int64_t started_ms = 0, ended_ms = 0;  // system clock, milliseconds since the epoch
    std::string correlation_id;
    Json shown_parameters;  // DisplayParameters: secure ones without values
    Json dependencies;      // ARM's properties.dependencies
    Json outputs;
    Json error;
    std::vector<Op> ops;
    // Progress (memory only: a restart begins again at wave 0, which the NoChange check makes cheap).
    std::optional<Plan> plan;
    std::size_t wave = 0;
    bool wave_started = false;
    std::vector<std::string> blocked;  // resources not started because something they need failed
    int complete_phase = 0;            // Complete mode: index of the kind being deleted, +1
  };

  Result<Plan> PrepareRequest(const DeploymentKey& key, const Json& request) const;
  Result<Scope> ScopeFor(const DeploymentKey& key, const std::string& mode) const;
  Json Present(const Record& r) const;
  Status Persist(const Record& r);
  bool Step(Record& r);
  Op* FindOp(Record& r, const std::string& id);
  void Finish(Record& r);
  // Complete mode: deletes what the group holds and the template does not, kind by kind; true when
  // nothing is left to delete or wait for.
  bool DeleteUnlisted(Record& r);
  static std::string KeyOf(const DeploymentKey& k);

  ResourceService& service_;
  mutable std::mutex mu_;
  std::map<std::string, Record> records_;  // by lowercased deployment ID
};

}  // namespace isthmus::mgmt::tmpl
