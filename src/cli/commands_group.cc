// `account list|show|set` and `group create|show|list|delete|exists`.
#include <string>

#include <fmt/format.h>

#include "cli/arm_client.h"
#include "cli/command_helpers.h"
#include "cli/command_table.h"
#include "cli/context.h"
#include "cli/errors.h"
#include "cli/resource_id.h"
#include "cli/wait.h"

namespace isthmus::cli {

namespace {

// az's shape for a subscription (`id` is the bare GUID, `name` the display name).
Json AccountView(const Json& s, const std::string& current) {
  Json v = Json::object();
  std::string id = s.value("subscriptionId", std::string());
  v["cloudName"] = "Isthmus";
  v["id"] = id;
  v["isDefault"] = EqualsIgnoreCase(id, current);
  v["name"] = s.value("displayName", std::string());
  v["state"] = s.value("state", std::string("Enabled"));
  v["tenantId"] = s.value("tenantId", std::string());
  return v;
}

Result<Json> Subscriptions(CommandContext& ctx) {
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto list = (*client)->Get("/subscriptions", kResourcesApiVersion);
  if (!list) return Fail(list.error());
  if (!list->is_object() || !list->contains("value")) return Json::array();
  return (*list)["value"];
}

Result<std::optional<Json>> AccountList(CommandContext& ctx) {
  auto subs = Subscriptions(ctx);
  if (!subs) return Fail(subs.error());
  auto current = ctx.Subscription();
  if (!current) return Fail(current.error());
  Json out = Json::array();
  for (const auto& s : *subs) out.push_back(AccountView(s, *current));
  return std::optional<Json>(out);
}

Result<std::optional<Json>> AccountShow(CommandContext& ctx) {
  auto current = ctx.Subscription();
  if (!current) return Fail(current.error());
  auto subs = Subscriptions(ctx);
  if (!subs) return Fail(subs.error());
  for (const auto& s : *subs) {
    if (EqualsIgnoreCase(s.value("subscriptionId", ""), *current)) {
      return std::optional<Json>(AccountView(s, *current));
    }
  }
  return Fail(Error::NotFound("SubscriptionNotFound",
                              fmt::format("The subscription '{}' could not be found.", *current)));
}

Result<std::optional<Json>> AccountSet(CommandContext& ctx) {
  const std::string wanted = *ctx.args().Get("subscription");
  auto subs = Subscriptions(ctx);
  if (!subs) return Fail(subs.error());
  for (const auto& s : *subs) {
    std::string id = s.value("subscriptionId", std::string());
    if (EqualsIgnoreCase(id, wanted) || EqualsIgnoreCase(s.value("displayName", ""), wanted)) {
      if (auto st = SaveSelectedSubscription(ctx.io().settings, id); !st) return Fail(st.error());
      return std::optional<Json>{};
    }
  }
  return Fail(UsageError(fmt::format("The subscription of '{}' doesn't exist in cloud 'Isthmus'.", wanted)));
}

std::string GroupName(CommandContext& ctx) {
  return *ctx.args().Get("name");
}

Result<std::optional<Json>> GroupCreate(CommandContext& ctx) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  Json body = {{"location", *ctx.args().Get("location")}};
  if (ctx.args().Has("tags")) body["tags"] = ParseTags(ctx.args().GetList("tags"));
  auto r = (*client)->Send("PUT", GroupPath(*sub, GroupName(ctx)), kResourcesApiVersion, &body);
  if (!r) return Fail(r.error());
  return std::optional<Json>(SortedKeys(r->body));
}

Result<std::optional<Json>> GroupShow(CommandContext& ctx) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto r = (*client)->Get(GroupPath(*sub, GroupName(ctx)), kResourcesApiVersion);
  if (!r) return Fail(r.error());
  return std::optional<Json>(SortedKeys(*r));
}

Result<std::optional<Json>> GroupList(CommandContext& ctx) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto r = (*client)->Get(SubscriptionPath(*sub) + "/resourcegroups", kResourcesApiVersion);
  if (!r) return Fail(r.error());
  Json out = r->is_object() && r->contains("value") ? SortedKeys((*r)["value"]) : Json::array();
  return std::optional<Json>(out);
}

Result<std::optional<Json>> GroupExists(CommandContext& ctx) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto r = (*client)->Get(GroupPath(*sub, GroupName(ctx)), kResourcesApiVersion);
  if (r) return std::optional<Json>(Json(true));
  if (r.error().kind == ErrorKind::kNotFound) return std::optional<Json>(Json(false));
  return Fail(r.error());
}

Result<std::optional<Json>> GroupDelete(CommandContext& ctx) {
  if (!ctx.args().Flag("yes")) {
    ctx.io().err << "Are you sure you want to perform this operation? (y/n): ";
    ctx.io().err.flush();
    std::string answer;
    if (!std::getline(ctx.io().in, answer)) {
      return Fail(UsageError("Unable to prompt for confirmation as no tty available. Use --yes."));
    }
    if (answer != "y" && answer != "Y" && answer != "yes") return std::optional<Json>{};
  }
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto r = ctx.LongRunning("DELETE", GroupPath(*sub, GroupName(ctx)), kResourcesApiVersion, nullptr, "");
  if (!r) return Fail(r.error());
  return std::optional<Json>{};
}

OptionSpec GroupNameOption() {
  OptionSpec o{"name", {"--name", "-n", "--resource-group", "-g"}, "Name of the resource group."};
  o.required = true;
  o.configured_default = "group";  // as az's resource_group_name_type
  return o;
}

OptionSpec GroupLocationOption() {
  OptionSpec o{"location", {"--location", "-l"}, "Location.", ArgKind::kValue, true};
  o.configured_default = "location";
  return o;
}

}  // namespace

void RegisterAccountAndGroupCommands(CommandTable& t) {
  t.AddGroup("account", "Manage the subscription in use.");
  t.AddCommand(
      {"account list", "Get a list of subscriptions.", {}, AccountList, {"isthmus account list -o table"}});
  t.AddCommand({"account show",
                "Get the details of the subscription in use (or of --subscription).",
                {},
                AccountShow,
                {"isthmus account show --query id -o tsv"}});
  t.AddCommand({"account set",
                "Set a subscription to be the current active subscription.",
                {{"subscription",
                  {"--subscription", "-s", "--name", "-n"},
                  "Name or ID of subscription.",
                  ArgKind::kValue,
                  true}},
                AccountSet,
                {"isthmus account set -s 00000000-0000-0000-0000-000000000000"}});

  t.AddGroup("group", "Manage resource groups.");
  t.AddCommand({"group create",
                "Create a new resource group.",
                {GroupNameOption(), GroupLocationOption(), TagsOption()},
                GroupCreate,
                {"isthmus group create -l westus -n MyResourceGroup"}});
  t.AddCommand({"group show",
                "Gets a resource group.",
                {GroupNameOption()},
                GroupShow,
                {"isthmus group show -n MyResourceGroup"}});
  t.AddCommand({"group list", "List resource groups.", {}, GroupList, {"isthmus group list -o table"}});
  t.AddCommand({"group exists",
                "Check if a resource group exists.",
                {GroupNameOption()},
                GroupExists,
                {"isthmus group exists -n MyResourceGroup"}});
  t.AddCommand({"group wait",
                "Place the CLI in a waiting state until a condition of the resource group is met.",
                WithWaitConditions({GroupNameOption()}),
                [](CommandContext& ctx) {
                  auto path = [](CommandContext& c) -> Result<std::vector<std::string>> {
                    auto sub = c.Subscription();
                    if (!sub) return Fail(sub.error());
                    return std::vector<std::string>{GroupPath(*sub, GroupName(c))};
                  };
                  return WaitFor(ctx, path, kResourcesApiVersion, SortedKeys);
                },
                {"isthmus group wait -n MyResourceGroup --deleted"}});
  t.AddCommand({"group delete",
                "Delete a resource group and everything in it.",
                {GroupNameOption(), YesOption(), NoWaitOption()},
                GroupDelete,
                {"isthmus group delete -n MyResourceGroup --yes"}});
}

}  // namespace isthmus::cli
