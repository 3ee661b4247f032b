// Microsoft.Compute/virtualMachines routes beyond CRUD: the instance view az and the portal read for the
// power state, and `runCommand` (Azure's RunShellScript), which the VmAgent carries out inside the VM.
#include <fmt/format.h>

#include "mgmt/model/planner.h"
#include "mgmt/rest/router.h"

namespace isthmus::mgmt {
namespace {

constexpr char kRunShellScript[] = "RunShellScript";

struct StatusText {
  std::string provisioning_code;
  std::string provisioning_level;
  std::string provisioning_display;
  std::string power_code;
  std::string power_display;
};

// Azure's codes and display texts for each provisioning state; the power state follows it here, since a
// VM is running exactly when the fabric has realized it.
StatusText StatusFor(const std::string& state) {
  if (state == kSucceeded) {
    return {"ProvisioningState/succeeded", "Info", "Provisioning succeeded", "PowerState/running",
            "VM running"};
  }
  if (state == kFailed) {
    return {"ProvisioningState/failed", "Error", "Provisioning failed", "PowerState/stopped", "VM stopped"};
  }
  if (state == kDeleting) {
    return {"ProvisioningState/deleting", "Info", "Deleting", "PowerState/stopping", "VM stopping"};
  }
  return {"ProvisioningState/updating", "Info", "Updating", "PowerState/starting", "VM starting"};
}

Error NotRunning(const std::string& name, const std::string& state) {
  return Error::Conflict(
      "OperationNotAllowed",
      fmt::format("Cannot run a command on virtual machine '{}': it is not running (provisioning "
                  "state '{}'). Wait until it is Succeeded.",
                  name, state));
}

// Azure's answer for a Linux RunShellScript (the RunCommand extension's one status, both streams in its
// message). The extension reports "Enable succeeded" whatever the script's exit code, as Azure does.
Json RunCommandResult(const RunCommandOutput& out) {
  Json status = Json::object();
  if (out.timed_out) {
    status["code"] = "ProvisioningState/failed";
    status["level"] = "Error";
    status["displayStatus"] = "Provisioning failed";
    status["message"] = fmt::format(
        "Enable failed: the script did not finish within {} seconds and was stopped.\n[stdout]\n{}\n"
        "[stderr]\n{}",
        std::chrono::duration_cast<std::chrono::seconds>(Router::kRunCommandTimeout).count(), out.stdout_text,
        out.stderr_text);
  } else {
    status["code"] = "ProvisioningState/succeeded";
    status["level"] = "Info";
    status["displayStatus"] = "Provisioning succeeded";
    status["message"] =
        fmt::format("Enable succeeded: \n[stdout]\n{}\n[stderr]\n{}", out.stdout_text, out.stderr_text);
  }
  return {{"value", Json::array({status})}};
}

// The body of runCommand: {"commandId": "RunShellScript", "script": ["line", ...]}.
Result<std::vector<std::string>> ReadScript(const Json& body) {
  if (!body.is_object())
    return Fail(Error::Invalid("InvalidRequestFormat", "The request body must be a JSON object."));
  if (!body.contains("commandId") || !body["commandId"].is_string()) {
    return Fail(
        Error::Invalid("InvalidParameter", "The request needs commandId (RunShellScript).", "commandId"));
  }
  const std::string command = body["commandId"].get<std::string>();
  if (!IEquals(command, kRunShellScript)) {
    return Fail(Error::Invalid("InvalidParameter",
                               fmt::format("commandId '{}' is not supported: Isthmus VMs are Linux network "
                                           "namespaces and run only RunShellScript.",
                                           command),
                               "commandId"));
  }
  if (body.contains("parameters") && !body["parameters"].is_null() && !body["parameters"].empty()) {
    return Fail(Error::Invalid(
        "InvalidParameter", "RunShellScript parameters are not supported here; put the values in the script.",
        "parameters"));
  }
  std::vector<std::string> script;
  if (body.contains("script") && !body["script"].is_null()) {
    if (!body["script"].is_array()) {
      return Fail(Error::Invalid("InvalidRequestFormat", "script must be an array of strings.", "script"));
    }
    std::size_t bytes = 0;
    for (const auto& line : body["script"]) {
      if (!line.is_string()) {
        return Fail(Error::Invalid("InvalidRequestFormat", "script must be an array of strings.", "script"));
      }
      script.push_back(line.get<std::string>());
      bytes += script.back().size() + 1;
    }
    if (bytes > Router::kMaxScriptBytes) {
      return Fail(
          Error::Invalid("InvalidParameter",
                         fmt::format("The script is {} bytes; run-command scripts here are limited to {} "
                                     "bytes.",
                                     bytes, Router::kMaxScriptBytes),
                         "script"));
    }
  }
  return script;
}

}  // namespace

Json VmInstanceViewOf(const Json& vm) {
  const Json& props = vm.contains("properties") ? vm["properties"] : Json::object();
  const StatusText t = StatusFor(props.value("provisioningState", ""));
  Json view = Json::object();
  if (props.contains("osProfile")) view["computerName"] = props["osProfile"].value("computerName", "");
  view["statuses"] = Json::array({
      {{"code", t.provisioning_code},
       {"level", t.provisioning_level},
       {"displayStatus", t.provisioning_display}},
      {{"code", t.power_code}, {"level", "Info"}, {"displayStatus", t.power_display}},
  });
  return view;
}

HttpResponse Router::VmGet(const HttpRequest& req, const ResourceId& id) const {
  auto g = service_.Get(id);
  if (!g) return ErrorResponse(g.error());
  // `az vm show -d` and `vm list -d` ask for the instance view with the VM ($expand=instanceView).
  auto expand = req.query.find("$expand");
  if (expand != req.query.end() && IEquals(expand->second, "instanceView") && g->contains("properties")) {
    (*g)["properties"]["instanceView"] = VmInstanceViewOf(*g);
  }
  return JsonResponse(*g);
}

HttpResponse Router::VmInstanceView(const HttpRequest& req, const ResourceId& id) const {
  if (req.method != "GET") return MethodNotAllowed(req.method);
  auto g = service_.Get(id);
  if (!g) return ErrorResponse(g.error());
  return JsonResponse(VmInstanceViewOf(*g));
}

HttpResponse Router::VmRunCommand(const HttpRequest& req, const ResourceId& id) const {
  if (req.method != "POST") return MethodNotAllowed(req.method);
  auto body = ParseBody(req);
  if (!body) return ErrorResponse(body.error());
  auto script = ReadScript(*body);
  if (!script) return ErrorResponse(script.error());
  auto g = service_.Get(id);
  if (!g) return ErrorResponse(g.error());
  const std::string state = (*g)["properties"].value("provisioningState", "");
  if (state != kSucceeded) return ErrorResponse(NotRunning(id.name, state));
  if (!vm_agent_) {
    // 409 rather than 503: clients retry a 503, and retrying cannot help here.
    return ErrorResponse(
        Error::Conflict("RunCommandNotAvailable",
                        "The fabric is not running commands here: this isthmusd realizes no VMs "
                        "(it runs without a VM fabric), so run-command has nowhere to run."));
  }
  auto vm_id = ResourceId::Parse(g->value("id", ""));
  if (!vm_id) return ErrorResponse(Error::Internal("the stored VM has no valid resource ID"));
  auto out = vm_agent_->RunShellScript(Resource{*vm_id, *g}, *script, kRunCommandTimeout);
  if (!out) return ErrorResponse(out.error());
  return JsonResponse(RunCommandResult(*out));
}

}  // namespace isthmus::mgmt
