// `fabric status|cleanup|resume`: what isthmusd's single-host fabric has made on this host (namespaces
// by role and resource, gateway processes), and removing all of it. Not an az command: Azure's fabric
// is Microsoft's; here it is the user's machine, so they get to see and clean it (docs/cli.md).
#include <string>

#include "cli/arm_client.h"
#include "cli/command_table.h"
#include "cli/context.h"
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
  t.AddCommand({"fabric resume",
                "Realize the declared resources again after a cleanup.",
                {},
                FabricResume,
                {"isthmus fabric resume"}});
}

}  // namespace isthmus::cli
