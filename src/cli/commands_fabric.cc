// `fabric status|cleanup|resume`: what isthmusd's single-host fabric has made on this host (namespaces
// by role and resource, gateway processes), and removing all of it. Not an az command: Azure's fabric
// is Microsoft's; here it is the user's machine, so they get to see and clean it (docs/cli.md).
// `fabric impairment set|show|list|clear`: the emulated WAN between two regions (docs/fabric.md).
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "cli/arm_client.h"
#include "cli/command_helpers.h"
#include "cli/command_table.h"
#include "cli/context.h"
#include "cli/errors.h"
#include "cli/resource_id.h"

namespace isthmus::cli {
namespace {

constexpr const char* kFabricApiVersion = "2024-01-01";

std::string FabricPath(const std::string& sub, const char* what) {
  return SubscriptionPath(sub) + "/providers/Isthmus.Fabric/" + what;
}

Result<std::optional<Json>> FabricCall(CommandContext& ctx, const char* method, const char* what) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto r = (*client)->Send(method, FabricPath(*sub, what), kFabricApiVersion, nullptr);
  if (!r) return Fail(r.error());
  return std::optional<Json>(r->body);
}

Result<std::optional<Json>> FabricStatus(CommandContext& ctx) {
  return FabricCall(ctx, "GET", "status");
}
Result<std::optional<Json>> FabricCleanup(CommandContext& ctx) {
  return FabricCall(ctx, "POST", "cleanup");
}
Result<std::optional<Json>> FabricResume(CommandContext& ctx) {
  return FabricCall(ctx, "POST", "resume");
}

// --regions A B: exactly two region names, as the path's two segments.
Result<std::pair<std::string, std::string>> Regions(const ParsedArgs& a) {
  const auto r = a.GetList("regions");
  if (r.size() != 2) {
    return Fail(UsageError(fmt::format("argument --regions: expected 2 region names, got {}", r.size())));
  }
  for (const auto& name : r) {
    if (name.empty() || name.find_first_of("/?#%") != std::string::npos) {
      return Fail(UsageError(fmt::format("argument --regions: '{}' is not a region name", name)));
    }
  }
  return std::pair{r[0], r[1]};
}

std::string ImpairmentPath(const std::string& sub, const std::pair<std::string, std::string>& regions) {
  return FabricPath(sub, "impairments") + "/" + regions.first + "/" + regions.second;
}

// A non-negative number option ("5", "0.5"); the server checks the range and says which.
Result<std::optional<double>> NumberArg(const ParsedArgs& a, const std::string& dest,
                                        const std::string& flag) {
  auto v = a.Get(dest);
  if (!v) return std::optional<double>{};
  try {
    std::size_t used = 0;
    const double d = std::stod(*v, &used);
    if (used == v->size() && std::isfinite(d)) return std::optional<double>(d);
  } catch (const std::exception&) {
  }
  return Fail(UsageError(fmt::format("argument {}: invalid float value: '{}'", flag, *v)));
}

Result<std::optional<Json>> ImpairmentCall(CommandContext& ctx, const char* method, const Json* body) {
  auto regions = Regions(ctx.args());
  if (!regions) return Fail(regions.error());
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto r = (*client)->Send(method, ImpairmentPath(*sub, *regions), kFabricApiVersion, body);
  if (!r) return Fail(r.error());
  if (r->body.is_null()) return std::optional<Json>{};
  return std::optional<Json>(r->body);
}

Result<std::optional<Json>> ImpairmentSet(CommandContext& ctx) {
  const auto& a = ctx.args();
  Json props = Json::object();
  for (auto [dest, flag, prop] : {std::tuple{"round_trip_ms", "--round-trip-ms", "roundTripMs"},
                                  {"jitter_ms", "--jitter-ms", "jitterMs"},
                                  {"loss", "--loss", "lossPercent"},
                                  {"reorder", "--reorder", "reorderPercent"},
                                  {"duplicate", "--duplicate", "duplicatePercent"}}) {
    auto v = NumberArg(a, dest, flag);
    if (!v) return Fail(v.error());
    if (*v) props[prop] = **v;
  }
  const Json body = {{"properties", props}};
  return ImpairmentCall(ctx, "PUT", &body);
}

Result<std::optional<Json>> ImpairmentShow(CommandContext& ctx) {
  return ImpairmentCall(ctx, "GET", nullptr);
}

Result<std::optional<Json>> ImpairmentClear(CommandContext& ctx) {
  auto r = ImpairmentCall(ctx, "DELETE", nullptr);
  if (!r) return Fail(r.error());
  return std::optional<Json>{};
}

Result<std::optional<Json>> ImpairmentList(CommandContext& ctx) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto r = (*client)->Get(FabricPath(*sub, "impairments"), kFabricApiVersion);
  if (!r) return Fail(r.error());
  return std::optional<Json>(r->value("value", Json::array()));
}

Json ImpairmentTable(const Json& result) {
  Json rows = Json::array();
  auto row = [](const Json& i) {
    const Json p = i.value("properties", Json::object());
    return Json{{"RegionA", p.value("regionA", "")},
                {"RegionB", p.value("regionB", "")},
                {"RoundTripMs", p.value("roundTripMs", 0.0)},
                {"Source", p.value("roundTripSource", "")},
                {"JitterMs", p.value("jitterMs", 0.0)},
                {"LossPercent", p.value("lossPercent", 0.0)},
                {"ReorderPercent", p.value("reorderPercent", 0.0)},
                {"DuplicatePercent", p.value("duplicatePercent", 0.0)}};
  };
  if (result.is_array()) {
    for (const auto& i : result) rows.push_back(row(i));
    return rows;
  }
  return row(result);
}

OptionSpec RegionsOption() {
  return {"regions",
          {"--regions"},
          "The two regions of the pair, either order (e.g. eastus westus).",
          ArgKind::kList,
          true};
}

}  // namespace

void RegisterFabricCommands(CommandTable& t) {
  t.AddGroup("fabric", "See and clean what isthmusd's single-host fabric made on this machine.");
  t.AddCommand({"fabric status",
                "Show the namespaces (by role and resource) and gateway processes of the fabric.",
                {},
                FabricStatus,
                {"isthmus fabric status -o json",
                 "isthmus fabric status --query \"gateways[].{pid:pid, running:running}\" -o table"}});
  t.AddCommand(
      {"fabric cleanup",
       "Stop every gateway and delete every namespace the fabric made, and nothing else; realization "
       "stays suspended until `fabric resume` or a restart of isthmusd.",
       {},
       FabricCleanup,
       {"isthmus fabric cleanup"}});
  t.AddGroup("fabric impairment",
             "The emulated WAN between two regions: latency (Microsoft's published round trips by default), "
             "jitter, loss, reordering and duplication on the path between their gateways.");
  t.AddCommand(
      {"fabric impairment set",
       "Impair the path between the gateways of two regions (both ways). Without --round-trip-ms the round "
       "trip is Microsoft's published P50 between the two regions.",
       {RegionsOption(),
        {"round_trip_ms", {"--round-trip-ms"}, "Round trip in milliseconds, instead of the published one."},
        {"jitter_ms", {"--jitter-ms"}, "Jitter of each one-way delay, in milliseconds."},
        {"loss", {"--loss"}, "Packets lost, in percent, each way."},
        {"reorder", {"--reorder"}, "Packets sent ahead of the queue (reordered), in percent, each way."},
        {"duplicate", {"--duplicate"}, "Packets duplicated, in percent, each way."}},
       ImpairmentSet,
       {"isthmus fabric impairment set --regions eastus westus",
        "isthmus fabric impairment set --regions eastus westeurope --loss 1 --reorder 1 --duplicate 1",
        "isthmus fabric impairment set --regions eastus eastus2 --round-trip-ms 7 --jitter-ms 1"},
       ImpairmentTable});
  t.AddCommand({"fabric impairment show",
                "Show the impairment between two regions.",
                {RegionsOption()},
                ImpairmentShow,
                {"isthmus fabric impairment show --regions westus eastus"},
                ImpairmentTable});
  t.AddCommand({"fabric impairment list",
                "List the impaired region pairs.",
                {},
                ImpairmentList,
                {"isthmus fabric impairment list -o table"},
                ImpairmentTable});
  t.AddCommand({"fabric impairment clear",
                "Remove the impairment between two regions (the path is direct again).",
                {RegionsOption()},
                ImpairmentClear,
                {"isthmus fabric impairment clear --regions eastus westus"}});
  t.AddCommand({"fabric resume",
                "Realize the declared resources again after a cleanup.",
                {},
                FabricResume,
                {"isthmus fabric resume"}});
}

}  // namespace isthmus::cli
