// `ad sp create-for-rbac|list|show|delete` and `ad sp credential reset`: service principals that
// Microsoft's SDKs and az sign in as (docs/security.md). az does this through Microsoft Graph and ARM
// role assignments; isthmusd keeps principals itself (Isthmus.Identity), and the output has az's shape.
#include <string>

#include "cli/arm_client.h"
#include "cli/command_table.h"
#include "cli/context.h"
#include "cli/errors.h"
#include "cli/resource_id.h"

namespace isthmus::cli {
namespace {

constexpr const char* kIdentityApiVersion = "2024-01-01";
constexpr const char* kPrincipals = "/providers/Isthmus.Identity/servicePrincipals";

Result<Json> Call(CommandContext& ctx, const char* method, const std::string& path, const Json* body) {
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto r = (*client)->Send(method, path, kIdentityApiVersion, body);
  if (!r) return Fail(r.error());
  return r->body;
}

Result<int> Years(CommandContext& ctx) {
  auto y = ctx.args().GetOr("years", "1");
  try {
    std::size_t used = 0;
    int v = std::stoi(y, &used);
    if (used == y.size() && v >= 1 && v <= 100) return v;
  } catch (const std::exception&) {
  }
  return Fail(UsageError("argument --years: must be a whole number of years from 1 to 100, not '" + y + "'"));
}

// What az prints: appId, displayName, password, tenant (and nothing else).
Json AzShape(const Json& r) {
  return Json{{"appId", r.value("appId", "")},
              {"displayName", r.value("displayName", "")},
              {"password", r.value("password", "")},
              {"tenant", r.value("tenant", "")}};
}

Result<std::optional<Json>> CreateForRbac(CommandContext& ctx) {
  const auto role = ctx.args().Get("role");
  const auto scopes = ctx.args().GetList("scopes");
  if (role.has_value() != !scopes.empty()) {
    return Fail(UsageError("usage error: To create role assignments, specify both --role and --scopes."));
  }
  auto years = Years(ctx);
  if (!years) return Fail(years.error());
  Json assignments = Json::array();
  for (const auto& s : scopes) assignments.push_back({{"roleDefinitionName", *role}, {"scope", s}});
  std::string name = ctx.args().GetOr("name", "");
  if (name.empty()) {
    // az names an unnamed principal after the time it was made.
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "azure-cli-%Y-%m-%d-%H-%M-%S", &tm);
    name = buf;
  }
  Json body = {{"displayName", name}, {"roleAssignments", assignments}, {"years", *years}};
  auto r = Call(ctx, "POST", kPrincipals, &body);
  if (!r) return Fail(r.error());
  ctx.io().err << "The output includes credentials that you must protect. Be sure that you do not include "
                  "these credentials in your code or check the credentials into your source control.\n";
  return std::optional<Json>(AzShape(*r));
}

std::string Id(CommandContext& ctx) {
  return ctx.args().GetOr("id", "");
}

Result<std::optional<Json>> SpList(CommandContext& ctx) {
  auto r = Call(ctx, "GET", kPrincipals, nullptr);
  if (!r) return Fail(r.error());
  return std::optional<Json>(r->contains("value") ? (*r)["value"] : Json::array());
}

Result<std::optional<Json>> SpShow(CommandContext& ctx) {
  auto r = Call(ctx, "GET", std::string(kPrincipals) + "/" + Id(ctx), nullptr);
  if (!r) return Fail(r.error());
  return std::optional<Json>(*r);
}

Result<std::optional<Json>> SpDelete(CommandContext& ctx) {
  auto r = Call(ctx, "DELETE", std::string(kPrincipals) + "/" + Id(ctx), nullptr);
  if (!r) return Fail(r.error());
  return std::optional<Json>{};
}

Result<std::optional<Json>> CredentialReset(CommandContext& ctx) {
  auto years = Years(ctx);
  if (!years) return Fail(years.error());
  Json body = {{"append", ctx.args().Flag("append")}, {"years", *years}};
  auto r = Call(ctx, "POST", std::string(kPrincipals) + "/" + Id(ctx) + "/resetCredential", &body);
  if (!r) return Fail(r.error());
  ctx.io().err << "The output includes credentials that you must protect. Be sure that you do not include "
                  "these credentials in your code or check the credentials into your source control.\n";
  return std::optional<Json>(AzShape(*r));
}

OptionSpec IdOption() {
  return {"id",
          {"--id"},
          "Service principal name, or object id (or the app's display name).",
          ArgKind::kValue,
          true};
}

OptionSpec YearsOption() {
  return {"years",
          {"--years"},
          "Number of years for which the credentials will be valid.",
          ArgKind::kValue,
          false,
          {},
          "1"};
}

}  // namespace

void RegisterAdCommands(CommandTable& t) {
  t.AddGroup("ad", "Manage identities that sign in to isthmusd (service principals).");
  t.AddGroup("ad sp", "Manage service principals.");
  t.AddCommand(
      {"ad sp create-for-rbac",
       "Create a service principal and configure its access to resources.",
       {{"name", {"--name", "-n", "--display-name"}, "Display name of the service principal."},
        {"role",
         {"--role"},
         "Role of the service principal.",
         ArgKind::kValue,
         false,
         {"Owner", "Contributor", "Reader"}},
        {"scopes",
         {"--scopes"},
         "Space-separated list of scopes the role assignment applies to, e.g. "
         "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/myGroup.",
         ArgKind::kList},
        YearsOption()},
       CreateForRbac,
       {"isthmus ad sp create-for-rbac -n ci --role Contributor --scopes /subscriptions/{subscriptionId}",
        "isthmus ad sp create-for-rbac -n auditor --role Reader --scopes "
        "/subscriptions/{subscriptionId}/resourceGroups/TestRG1"}});
  t.AddCommand({"ad sp list", "List service principals.", {}, SpList, {"isthmus ad sp list -o table"}});
  t.AddCommand({"ad sp show",
                "Get the details of a service principal.",
                {IdOption()},
                SpShow,
                {"isthmus ad sp show --id 00000000-0000-0000-0000-000000000000"}});
  t.AddCommand({"ad sp delete",
                "Delete a service principal (its tokens stop working at once).",
                {IdOption()},
                SpDelete,
                {"isthmus ad sp delete --id 00000000-0000-0000-0000-000000000000"}});
  t.AddGroup("ad sp credential", "Manage a service principal's credentials.");
  t.AddCommand({"ad sp credential reset",
                "Reset a service principal's credential: a new password, printed once.",
                {IdOption(),
                 {"append",
                  {"--append"},
                  "Append the new credential instead of overwriting the old ones.",
                  ArgKind::kFlag},
                 YearsOption()},
                CredentialReset,
                {"isthmus ad sp credential reset --id 00000000-0000-0000-0000-000000000000"}});
}

}  // namespace isthmus::cli
