#include "cli/command_helpers.h"

#include <fmt/format.h>

#include "cli/arm_client.h"
#include "cli/errors.h"
#include "cli/generic_update.h"
#include "cli/resource_id.h"

namespace isthmus::cli {

OptionSpec ResourceGroupOption(bool required, bool id_part) {
  OptionSpec o{
      "resource_group",
      {"--resource-group", "-g"},
      "Name of resource group. You can configure the default group using `isthmus configure --defaults "
      "group=<name>`."};
  o.required = required;
  o.id_part = id_part;
  o.configured_default = "group";
  return o;
}

OptionSpec NameOption(std::string help, bool required) {
  OptionSpec o{"name", {"--name", "-n"}, std::move(help)};
  o.required = required;
  o.id_part = true;
  return o;
}

OptionSpec LocationOption() {
  OptionSpec o{
      "location",
      {"--location", "-l"},
      "Location. Defaults to the location of the resource group. You can configure the default location "
      "using `isthmus configure --defaults location=<location>`."};
  o.configured_default = "location";
  return o;
}

OptionSpec TagsOption() {
  return {"tags",
          {"--tags"},
          "Space-separated tags: key[=value] [key[=value] ...]. Use \"\" to clear existing tags.",
          ArgKind::kList};
}

OptionSpec NoWaitOption() {
  return {"no_wait", {"--no-wait"}, "Do not wait for the long-running operation to finish.", ArgKind::kFlag};
}

OptionSpec IdsOption() {
  return {"ids",
          {"--ids"},
          "One or more resource IDs (space-delimited). It should be a complete resource ID containing all "
          "information of 'Resource Id' arguments. You should provide either --ids or other 'Resource Id' "
          "arguments.",
          ArgKind::kList};
}

std::vector<OptionSpec> WithGenericUpdate(std::vector<OptionSpec> own) {
  for (auto& o : GenericUpdateOptions()) own.push_back(std::move(o));
  return own;
}

OptionSpec YesOption() {
  return {"yes", {"--yes", "-y"}, "Do not prompt for confirmation.", ArgKind::kFlag};
}

Result<std::optional<long long>> IntArg(const ParsedArgs& args, const std::string& dest,
                                        const std::string& flag) {
  auto v = args.Get(dest);
  if (!v) return std::optional<long long>{};
  try {
    std::size_t used = 0;
    long long n = std::stoll(*v, &used);
    if (used == v->size()) return std::optional<long long>(n);
  } catch (const std::exception&) {
  }
  return Fail(UsageError(fmt::format("argument {}: invalid int value: '{}'", flag, *v)));
}

Result<Json> PostAction(CommandContext& ctx, const std::string& path, const std::string& api_version,
                        const Json* body) {
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto r = (*client)->Send("POST", path, api_version, body);
  if (!r) return Fail(r.error());
  if (!r->IsLongRunning()) return std::move(r->body);
  if (auto w = (*client)->Wait(*r); !w) return Fail(w.error());
  if (r->location.empty()) return Json();
  return (*client)->Get(r->location, api_version);
}

namespace {

void EraseKeyEverywhere(Json& v, const char* key) {
  if (v.is_object()) {
    v.erase(key);
    for (auto& [_, child] : v.items()) EraseKeyEverywhere(child, key);
  } else if (v.is_array()) {
    for (auto& child : v) EraseKeyEverywhere(child, key);
  }
}

}  // namespace

Json Display(const Json& arm) {
  Json v = AzView(arm);
  // Defence in depth: the server never returns the key on a plain GET; if it ever did, the CLI still
  // would not print it (only `shared-key show` prints a key).
  EraseKeyEverywhere(v, "sharedKey");
  return v;
}

Json DisplayList(const Json& list_response) {
  Json out = Json::array();
  if (list_response.is_object() && list_response.contains("value") && list_response["value"].is_array()) {
    for (const auto& item : list_response["value"]) out.push_back(Display(item));
  }
  return out;
}

Result<std::optional<Json>> ShowTargets(CommandContext& ctx, const std::string& type,
                                        const std::string& parent_dest, const std::string& child_type) {
  auto targets = ctx.Targets(type, parent_dest, child_type);
  if (!targets) return Fail(targets.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  Json all = Json::array();
  for (const auto& t : *targets) {
    auto r = (*client)->Get(PathOf(t), kNetworkApiVersion);
    if (!r) return Fail(r.error());
    all.push_back(Display(*r));
  }
  if (all.size() == 1) return std::optional<Json>(all[0]);
  return std::optional<Json>(all);
}

Result<std::optional<Json>> ListResources(CommandContext& ctx, const std::string& type) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  std::string path = ctx.args().Has("resource_group")
                         ? NetworkPath(*sub, *ctx.args().Get("resource_group"), type, "")
                         : fmt::format("{}/providers/Microsoft.Network/{}", SubscriptionPath(*sub), type);
  auto r = (*client)->Get(path, kNetworkApiVersion);
  if (!r) return Fail(r.error());
  return std::optional<Json>(DisplayList(*r));
}

Result<std::optional<Json>> DeleteTargets(CommandContext& ctx, const std::string& type,
                                          const std::string& parent_dest, const std::string& child_type) {
  auto targets = ctx.Targets(type, parent_dest, child_type);
  if (!targets) return Fail(targets.error());
  for (const auto& t : *targets) {
    auto r = ctx.LongRunning("DELETE", PathOf(t), kNetworkApiVersion, nullptr, "");
    if (!r) return Fail(r.error());
  }
  return std::optional<Json>{};
}

Json WithoutReadOnly(const Json& resource) {
  Json v = resource;
  for (const char* key : {"provisioningState", "resourceGuid", "etag", "connectionStatus",
                          "ingressBytesTransferred", "egressBytesTransferred", "tunnelConnectionStatus"}) {
    EraseKeyEverywhere(v, key);
  }
  return v;
}

Result<std::optional<Json>> UpdateTargets(CommandContext& ctx, const std::string& type,
                                          const std::function<Status(CommandContext&, Json&)>& modify,
                                          const std::string& parent_dest, const std::string& child_type) {
  auto targets = ctx.Targets(type, parent_dest, child_type);
  if (!targets) return Fail(targets.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  Json all = Json::array();
  for (const auto& t : *targets) {
    const std::string path = PathOf(t);
    auto current = (*client)->Get(path, kNetworkApiVersion);
    if (!current) return Fail(current.error());
    Json body = WithoutReadOnly(*current);
    if (!body.contains("properties") || !body["properties"].is_object()) body["properties"] = Json::object();
    if (auto s = modify(ctx, body); !s) return Fail(s.error());
    // az applies the generic arguments after the command's own, in the order typed.
    if (auto s = ApplyGenericUpdates(ctx.args(), body); !s) return Fail(s.error());
    auto r = ctx.LongRunning("PUT", path, kNetworkApiVersion, &body, path);
    if (!r) return Fail(r.error());
    if (*r) all.push_back(Display(**r));
  }
  if (all.empty()) return std::optional<Json>{};
  if (all.size() == 1) return std::optional<Json>(all[0]);
  return std::optional<Json>(all);
}

}  // namespace isthmus::cli
