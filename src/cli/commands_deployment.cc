// `deployment group create|validate|what-if|show|list|delete|export` and `deployment operation group
// list`: ARM template deployments (Microsoft.Resources/deployments) as az 2.45 drives them. The template
// and its parameters are read here and sent whole; isthmusd plans, orders and runs the resources.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/arm_client.h"
#include "cli/command_helpers.h"
#include "cli/command_table.h"
#include "cli/context.h"
#include "cli/errors.h"
#include "cli/resource_id.h"
#include "cli/wait.h"

namespace isthmus::cli {

namespace {

constexpr char kDeploymentsType[] = "Microsoft.Resources/deployments";

std::string DeploymentPath(const std::string& sub, const std::string& rg, const std::string& name) {
  return GroupPath(sub, rg) + "/providers/" + kDeploymentsType + "/" + name;
}

Result<std::string> ReadText(const std::string& path, const std::string& flag) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Fail(UsageError(fmt::format("{}: no such file: '{}'", flag, path)));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!in.good() && !in.eof()) return Fail(UsageError(fmt::format("{}: cannot read '{}'", flag, path)));
  return s.str();
}

// JSON as ARM reads templates and parameter files: comments allowed.
std::optional<Json> ParseJson(const std::string& text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

Result<Json> ReadTemplate(const std::string& path) {
  auto text = ReadText(path, "--template-file");
  if (!text) return Fail(text.error());
  try {
    Json t = Json::parse(*text, nullptr, true, true);
    if (!t.is_object()) {
      return Fail(UsageError(fmt::format("--template-file: '{}' is not a JSON object (a template).", path)));
    }
    return t;
  } catch (const Json::parse_error& e) {
    // nlohmann's message names the line and column; it holds only the file's syntax, not its values.
    return Fail(UsageError(fmt::format("--template-file: '{}' is not valid JSON: {}", path, e.what())));
  }
}

// The template's parameter whose name matches `name` regardless of case, as ARM matches them.
const Json* TemplateParameter(const Json& tmpl, std::string& name) {
  auto ps = tmpl.find("parameters");
  if (ps == tmpl.end() || !ps->is_object()) return nullptr;
  for (auto it = ps->begin(); it != ps->end(); ++it) {
    if (EqualsIgnoreCase(it.key(), name)) {
      name = it.key();
      return &*it;
    }
  }
  return nullptr;
}

// One `--parameters` word, as az 2.45 reads it: `@file` or a JSON object (a deploymentParameters document,
// or the bare object of parameters), else `name=value` (a string for string parameters, JSON for the rest;
// `name=@file` takes the value from a file).
Status AddParameters(const Json& tmpl, const std::string& item, Json& params) {
  std::string text = item;
  if (item.starts_with("@")) {
    auto t = ReadText(item.substr(1), "--parameters");
    if (!t) return Fail(t.error());
    text = *t;
  }
  if (auto doc = ParseJson(text); doc && doc->is_object()) {
    // az's reading: a document's `parameters` object if it has one, else the document itself.
    const Json& values =
        doc->contains("parameters") && (*doc)["parameters"].is_object() ? (*doc)["parameters"] : *doc;
    for (auto it = values.begin(); it != values.end(); ++it) {
      if (!it->is_object() || (!it->contains("value") && !it->contains("reference"))) {
        return Fail(UsageError(fmt::format(
            "--parameters: parameter '{}' must be an object with a 'value' (the deploymentParameters shape).",
            it.key())));
      }
      if (it->contains("reference")) {
        return Fail(
            UsageError(fmt::format("--parameters: parameter '{}' is a Key Vault reference; Isthmus has no "
                                   "Key Vault. Pass its value.",
                                   it.key())));
      }
      std::string name = it.key();
      TemplateParameter(tmpl, name);
      params[name] = {{"value", (*it)["value"]}};
    }
    return {};
  }
  if (item.starts_with("@")) {
    return Fail(UsageError(fmt::format("--parameters: '{}' does not hold a JSON object.", item.substr(1))));
  }
  auto eq = item.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Fail(UsageError(
        fmt::format("Unable to parse parameter: {}. Use @file.json, a JSON object, or name=value.", item)));
  }
  std::string name = item.substr(0, eq);
  std::string raw = item.substr(eq + 1);
  const Json* def = TemplateParameter(tmpl, name);
  if (def == nullptr) {
    return Fail(UsageError(fmt::format("--parameters: the template has no parameter '{}'.", name)));
  }
  if (raw.starts_with("@")) {
    auto t = ReadText(raw.substr(1), "--parameters");
    if (!t) return Fail(t.error());
    raw = *t;
  }
  const std::string type = def->is_object() ? def->value("type", "string") : "string";
  if (EqualsIgnoreCase(type, "string") || EqualsIgnoreCase(type, "securestring")) {
    params[name] = {{"value", raw}};
    return {};
  }
  auto v = ParseJson(raw);
  if (!v) {
    return Fail(UsageError(
        fmt::format("--parameters: '{}' is of type {} and its value is not valid JSON.", name, type)));
  }
  params[name] = {{"value", *v}};
  return {};
}

// The request body of create, validate and what-if: {properties: {mode, template, parameters}}.
Result<Json> DeploymentBody(CommandContext& ctx) {
  auto tmpl = ReadTemplate(*ctx.args().Get("template_file"));
  if (!tmpl) return Fail(tmpl.error());
  Json params = Json::object();
  for (const auto& item : ctx.args().GetList("parameters")) {
    if (auto s = AddParameters(*tmpl, item, params); !s) return Fail(s.error());
  }
  return Json{
      {"properties",
       {{"mode", ctx.args().GetOr("mode", "Incremental")}, {"template", *tmpl}, {"parameters", params}}}};
}

// --name, or az's default: the template file's base name.
std::string DeploymentName(CommandContext& ctx) {
  if (auto n = ctx.args().Get("name")) return *n;
  return std::filesystem::path(ctx.args().GetOr("template_file", "deployment")).stem().string();
}

Json DeploymentView(const Json& d) {
  return WithResourceGroups(SortedKeys(d));
}

// "Microsoft.Network/virtualNetworks/VNet1": the part of an id users recognise.
std::string ShortName(const std::string& id) {
  auto p = id.find("/providers/");
  return p == std::string::npos ? id : id.substr(p + 11);
}

bool Terminal(const std::string& state) {
  return state == "Succeeded" || state == "Failed" || state == "Canceled";
}

// The deployment's error, one line per failed resource, for the CLI's error message.
Error DeploymentError(const std::string& name, const Json& d) {
  const Json err = d.value("properties", Json::object()).value("error", Json::object());
  std::string message =
      fmt::format("Deployment '{}' failed: {}", name, err.value("message", std::string("(no message)")));
  for (const auto& det : err.value("details", Json::array())) {
    message += fmt::format("\n  {}: {}", det.value("code", ""), det.value("message", ""));
    if (det.contains("target")) message += fmt::format(" (target {})", det["target"].get<std::string>());
  }
  return Error::Conflict(err.value("code", std::string("DeploymentFailed")), message);
}

// Polls the deployment until it ends, printing each resource's state as it changes.
Result<Json> FollowDeployment(CommandContext& ctx, const std::string& path, const std::string& name) {
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  const bool quiet = ctx.args().Flag("only_show_errors");
  std::map<std::string, std::string> shown;  // resource id → last printed state
  const auto deadline = ctx.io().clock.Now() + ctx.io().settings.wait_timeout;
  while (true) {
    auto d = (*client)->Get(path, kResourcesApiVersion);
    if (!d) return Fail(d.error());
    const std::string state = (*d)["properties"].value("provisioningState", "");
    if (auto ops = (*client)->Get(path + "/operations", kResourcesApiVersion); ops && !quiet) {
      for (const auto& op : ops->value("value", Json::array())) {
        const Json& p = op["properties"];
        const std::string id = p["targetResource"].value("id", "");
        const std::string s = p.value("provisioningState", "");
        if (id.empty() || shown[id] == s) continue;
        shown[id] = s;
        ctx.io().err << fmt::format("  {:<9}  {}  ({})\n", s, ShortName(id), p.value("duration", ""));
      }
      ctx.io().err.flush();
    }
    if (Terminal(state)) {
      if (state != "Succeeded") return Fail(DeploymentError(name, *d));
      return *d;
    }
    if (ctx.io().clock.Now() >= deadline) {
      return Fail(Error::Unavailable(
          "OperationTimedOut",
          fmt::format("Deployment '{}' is still {} after the wait timeout; it goes on in isthmusd. Follow it "
                      "with `isthmus deployment operation group list -g RG -n {}`.",
                      name, state, name)));
    }
    ctx.io().sleeper.Sleep(std::chrono::seconds(1));
  }
}

// what-if's result in az's words: a symbol per change, property deltas under each modified resource.
std::string PrettyWhatIf(const Json& result, const std::string& scope) {
  static const std::map<std::string, std::string> kSymbol = {
      {"Create", "+"}, {"Delete", "-"}, {"Modify", "~"}, {"NoChange", "="}, {"Ignore", "*"}, {"Deploy", "!"}};
  const Json changes = result.value("properties", Json::object()).value("changes", Json::array());
  std::string out =
      "Resource and property changes are indicated with these symbols:\n"
      "  - Delete\n  + Create\n  ~ Modify\n  = NoChange\n  * Ignore\n\n"
      "The deployment will update the following scope:\n\n";
  out += fmt::format("Scope: {}\n\n", scope);
  std::map<std::string, int> counts;
  for (const auto& c : changes) {
    const std::string type = c.value("changeType", "");
    counts[type]++;
    auto sym = kSymbol.find(type);
    out += fmt::format("  {} {}\n", sym == kSymbol.end() ? "?" : sym->second,
                       ShortName(c.value("resourceId", "")));
    for (const auto& d : c.value("delta", Json::array())) {
      const std::string pct = d.value("propertyChangeType", "");
      auto ps = kSymbol.find(pct);
      std::string line =
          fmt::format("      {} {}", ps == kSymbol.end() ? "~" : ps->second, d.value("path", ""));
      if (d.contains("before") && d.contains("after")) {
        line += fmt::format(": {} => {}", d["before"].dump(), d["after"].dump());
      } else if (d.contains("after")) {
        line += fmt::format(": {}", d["after"].dump());
      } else if (d["path"] == "properties.sharedKey") {
        line += ": (a new secret value)";
      }
      out += line + "\n";
    }
    if (c.contains("unsupportedReason"))
      out += fmt::format("      (known when it runs: {})\n", c["unsupportedReason"].get<std::string>());
  }
  const std::vector<std::pair<std::string, std::string>> order = {{"Create", "to create"},
                                                                  {"Modify", "to modify"},
                                                                  {"Delete", "to delete"},
                                                                  {"NoChange", "no change"},
                                                                  {"Ignore", "to ignore"}};
  std::vector<std::string> parts;
  for (const auto& [k, words] : order) {
    if (counts[k] > 0) parts.push_back(fmt::format("{} {}", counts[k], words));
  }
  out += fmt::format("\nResource changes: {}.\n",
                     parts.empty() ? "no change" : fmt::format("{}", fmt::join(parts, ", ")));
  return out;
}

Result<Json> RunWhatIf(CommandContext& ctx, const std::string& path, const Json& body) {
  Json req = body;
  req["properties"]["whatIfSettings"] = {
      {"resultFormat", ctx.args().GetOr("result_format", "FullResourcePayloads")}};
  auto r = ctx.LongRunning("POST", path + "/whatIf", kResourcesApiVersion, &req, "");
  if (!r) return Fail(r.error());
  return r->value_or(Json::object());
}

Result<std::optional<Json>> Create(CommandContext& ctx) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  const std::string rg = *ctx.args().Get("resource_group");
  const std::string name = DeploymentName(ctx);
  const std::string path = DeploymentPath(*sub, rg, name);
  auto body = DeploymentBody(ctx);
  if (!body) return Fail(body.error());
  if (ctx.args().Flag("what_if") || ctx.args().Flag("confirm_with_what_if")) {
    auto w = RunWhatIf(ctx, path, *body);
    if (!w) return Fail(w.error());
    ctx.io().out << PrettyWhatIf(*w, GroupPath(*sub, rg));
    if (ctx.args().Flag("what_if")) return std::optional<Json>{};
    ctx.io().err << "\nAre you sure you want to execute the deployment? (y/n): ";
    ctx.io().err.flush();
    std::string answer;
    if (!std::getline(ctx.io().in, answer) || (answer != "y" && answer != "Y" && answer != "yes")) {
      return std::optional<Json>{};
    }
  }
  auto r = (*client)->Send("PUT", path, kResourcesApiVersion, &*body);
  if (!r) return Fail(r.error());
  if (ctx.NoWait()) return std::optional<Json>{};
  auto done = FollowDeployment(ctx, path, name);
  if (!done) return Fail(done.error());
  return std::optional<Json>(DeploymentView(*done));
}

Result<std::optional<Json>> Validate(CommandContext& ctx) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto body = DeploymentBody(ctx);
  if (!body) return Fail(body.error());
  const std::string path = DeploymentPath(*sub, *ctx.args().Get("resource_group"), DeploymentName(ctx));
  auto r = ctx.LongRunning("POST", path + "/validate", kResourcesApiVersion, &*body, "");
  if (!r) return Fail(r.error());
  return std::optional<Json>(DeploymentView(r->value_or(Json::object())));
}

Result<std::optional<Json>> WhatIf(CommandContext& ctx) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto body = DeploymentBody(ctx);
  if (!body) return Fail(body.error());
  const std::string rg = *ctx.args().Get("resource_group");
  auto w = RunWhatIf(ctx, DeploymentPath(*sub, rg, DeploymentName(ctx)), *body);
  if (!w) return Fail(w.error());
  if (ctx.args().Flag("no_pretty_print")) return std::optional<Json>(SortedKeys(*w));
  ctx.io().out << PrettyWhatIf(*w, GroupPath(*sub, rg));
  return std::optional<Json>{};
}

Result<std::string> NamedPath(CommandContext& ctx) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  return DeploymentPath(*sub, *ctx.args().Get("resource_group"), *ctx.args().Get("name"));
}

Result<std::optional<Json>> Show(CommandContext& ctx) {
  auto path = NamedPath(ctx);
  if (!path) return Fail(path.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto d = (*client)->Get(*path, kResourcesApiVersion);
  if (!d) return Fail(d.error());
  return std::optional<Json>(DeploymentView(*d));
}

Result<std::optional<Json>> List(CommandContext& ctx) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto l =
      (*client)->Get(GroupPath(*sub, *ctx.args().Get("resource_group")) + "/providers/" + kDeploymentsType,
                     kResourcesApiVersion);
  if (!l) return Fail(l.error());
  return std::optional<Json>(DeploymentView(l->value("value", Json::array())));
}

Result<std::optional<Json>> Delete(CommandContext& ctx) {
  auto path = NamedPath(ctx);
  if (!path) return Fail(path.error());
  auto r = ctx.LongRunning("DELETE", *path, kResourcesApiVersion, nullptr, "");
  if (!r) return Fail(r.error());
  return std::optional<Json>{};
}

Result<std::optional<Json>> Export(CommandContext& ctx) {
  auto path = NamedPath(ctx);
  if (!path) return Fail(path.error());
  auto r = ctx.LongRunning("POST", *path + "/exportTemplate", kResourcesApiVersion, nullptr, "");
  if (!r) return Fail(r.error());
  const Json result = r->value_or(Json::object());
  return std::optional<Json>(result.value("template", Json::object()));  // az prints the template itself
}

Result<std::optional<Json>> OperationList(CommandContext& ctx) {
  auto path = NamedPath(ctx);
  if (!path) return Fail(path.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto l = (*client)->Get(*path + "/operations", kResourcesApiVersion);
  if (!l) return Fail(l.error());
  return std::optional<Json>(SortedKeys(l->value("value", Json::array())));
}

Json DeploymentTable(const Json& v) {
  Json rows = Json::array();
  for (const auto& d : v.is_array() ? v : Json::array({v})) {
    const Json p = d.value("properties", Json::object());
    rows.push_back({{"Name", d.value("name", "")},
                    {"State", p.value("provisioningState", "")},
                    {"Timestamp", p.value("timestamp", "")},
                    {"Mode", p.value("mode", "")},
                    {"ResourceGroup", d.value("resourceGroup", "")}});
  }
  return rows;
}

Json OperationTable(const Json& v) {
  Json rows = Json::array();
  for (const auto& o : v) {
    const Json p = o.value("properties", Json::object());
    const Json t = p.value("targetResource", Json::object());
    rows.push_back({{"Resource", t.value("resourceName", "")},
                    {"Type", t.value("resourceType", "")},
                    {"State", p.value("provisioningState", "")},
                    {"Duration", p.value("duration", "")},
                    {"StatusCode", p.value("statusCode", "")}});
  }
  return rows;
}

OptionSpec TemplateFileOption() {
  OptionSpec o{"template_file", {"--template-file", "-f"}, "The path to the template file (JSON)."};
  o.required = true;
  return o;
}

OptionSpec ParametersOption() {
  OptionSpec o{"parameters",
               {"--parameters", "-p"},
               "Parameters: @file.json (a deploymentParameters file), a JSON object, or name=value pairs "
               "(name=@file reads the value from a file). May be given more than once; later values win.",
               ArgKind::kList};
  o.append = true;
  return o;
}

OptionSpec ModeOption() {
  return {"mode",
          {"--mode"},
          "Incremental leaves resources the template does not name; Complete deletes them.",
          ArgKind::kValue,
          false,
          {"Complete", "Incremental"},
          "Incremental"};
}

OptionSpec DeploymentNameOption(bool required) {
  OptionSpec o{
      "name",
      {"--name", "-n"},
      required ? "The deployment name." : "The deployment name. Default: the template file's base name."};
  o.required = required;
  return o;
}

std::vector<OptionSpec> TemplateOptions() {
  return {ResourceGroupOption(true, false), DeploymentNameOption(false), TemplateFileOption(),
          ParametersOption(), ModeOption()};
}

std::vector<OptionSpec> Named() {
  return {ResourceGroupOption(true, false), DeploymentNameOption(true)};
}

}  // namespace

void RegisterDeploymentCommands(CommandTable& t) {
  t.AddGroup("deployment", "Manage ARM template deployments.");
  t.AddGroup("deployment group", "Manage deployments at resource group scope.");
  t.AddGroup("deployment operation", "Manage deployment operations.");
  t.AddGroup("deployment operation group", "Manage deployment operations at resource group scope.");

  auto create = TemplateOptions();
  create.push_back(NoWaitOption());
  create.push_back({"what_if",
                    {"--what-if", "-w"},
                    "Show what the deployment would change; deploy nothing.",
                    ArgKind::kFlag});
  create.push_back({"confirm_with_what_if",
                    {"--confirm-with-what-if", "-c"},
                    "Show what the deployment would change and ask before deploying.",
                    ArgKind::kFlag});
  t.AddCommand(
      {"deployment group create",
       "Start a deployment at resource group scope and follow it to its end.",
       create,
       Create,
       {"isthmus deployment group create -g TestRG1 --template-file examples/vnet-to-vnet/azuredeploy.json "
        "--parameters @examples/vnet-to-vnet/azuredeploy.parameters.json sharedKey=$KEY",
        "isthmus deployment group create -g TestRG1 -n chain -f azuredeploy.json -p deployVms=false "
        "--no-wait"},
       DeploymentTable});
  t.AddCommand(
      {"deployment group validate",
       "Validate whether a template is syntactically correct and its parameters acceptable.",
       TemplateOptions(),
       Validate,
       {"isthmus deployment group validate -g TestRG1 -f azuredeploy.json -p @azuredeploy.parameters.json"}});
  auto what_if = TemplateOptions();
  what_if.push_back({"result_format",
                     {"--result-format", "-r"},
                     "The format of what-if results.",
                     ArgKind::kValue,
                     false,
                     {"FullResourcePayloads", "ResourceIdOnly"},
                     "FullResourcePayloads"});
  what_if.push_back(
      {"no_pretty_print", {"--no-pretty-print"}, "Print the what-if result as JSON.", ArgKind::kFlag});
  t.AddCommand(
      {"deployment group what-if",
       "Show what a deployment would create, modify, delete or leave alone; nothing changes.",
       what_if,
       WhatIf,
       {"isthmus deployment group what-if -g TestRG1 -f azuredeploy.json -p @azuredeploy.parameters.json"}});
  t.AddCommand({"deployment group show",
                "Show a deployment.",
                Named(),
                Show,
                {"isthmus deployment group show -g TestRG1 -n azuredeploy --query properties.outputs"},
                DeploymentTable});
  t.AddCommand({"deployment group wait",
                "Place the CLI in a waiting state until a deployment condition is met.",
                WithWaitConditions(Named()),
                [](CommandContext& ctx) {
                  auto path = [](CommandContext& c) -> Result<std::vector<std::string>> {
                    auto p = NamedPath(c);
                    if (!p) return Fail(p.error());
                    return std::vector<std::string>{*p};
                  };
                  return WaitFor(ctx, path, kResourcesApiVersion, DeploymentView);
                },
                {"isthmus deployment group wait -g TestRG1 -n azuredeploy --created"}});
  t.AddCommand({"deployment group list",
                "List the deployments of a resource group.",
                {ResourceGroupOption(true, false)},
                List,
                {"isthmus deployment group list -g TestRG1 -o table"},
                DeploymentTable});
  t.AddCommand({"deployment group delete",
                "Delete a deployment's record (the resources it made stay).",
                {ResourceGroupOption(true, false), DeploymentNameOption(true), NoWaitOption()},
                Delete,
                {"isthmus deployment group delete -g TestRG1 -n azuredeploy"}});
  t.AddCommand({"deployment group export",
                "Export the template a deployment used.",
                Named(),
                Export,
                {"isthmus deployment group export -g TestRG1 -n azuredeploy > template.json"}});
  t.AddCommand({"deployment operation group list",
                "List a deployment's operations: one per resource, with its state and any error.",
                Named(),
                OperationList,
                {"isthmus deployment operation group list -g TestRG1 -n azuredeploy -o table"},
                OperationTable});
}

}  // namespace isthmus::cli
