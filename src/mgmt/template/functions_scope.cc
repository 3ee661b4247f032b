// What comes from the deployment: parameters(), variables(), copyIndex(), reference(), list*(), the
// resourceId() family, resourceGroup(), subscription() and deployment(), all through the EvalContext.
#include <algorithm>
#include <array>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "mgmt/model/resource_id.h"
#include "mgmt/template/functions_internal.h"

namespace isthmus::mgmt::tmpl::detail {
namespace {

Result<Json> Parameters(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  auto name = a.Str(0);
  if (!name) return Fail(name.error());
  return a.ctx().Parameter(*name);
}

Result<Json> Variables(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  auto name = a.Str(0);
  if (!name) return Fail(name.error());
  return a.ctx().Variable(*name);
}

// The provider path of a resource type and its names:
// ("Microsoft.Network/virtualNetworks/subnets", [v, s]) -> "Microsoft.Network/virtualNetworks/v/subnets/s".
Result<std::string> TypePath(Args& a, std::size_t type_at) {
  auto type = a.Str(type_at);
  if (!type) return Fail(type.error());
  std::vector<std::string_view> segments;
  std::string_view rest = *type;
  while (true) {
    const auto slash = rest.find('/');
    segments.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  if (segments.size() < 2 ||
      std::any_of(segments.begin(), segments.end(), [](auto s) { return s.empty(); })) {
    return Fail(a.Wrong(fmt::format("'{}' is not a resource type (Namespace/type[/childType...])", *type)));
  }
  const std::size_t names = a.size() - type_at - 1;
  if (names != segments.size() - 1) {
    return Fail(a.Wrong(fmt::format("the resource type '{}' takes {} resource name(s), got {}", *type,
                                    segments.size() - 1, names)));
  }
  std::string out(segments[0]);
  for (std::size_t i = 1; i < segments.size(); ++i) {
    auto name = a.Str(type_at + i);
    if (!name) return Fail(name.error());
    if (name->empty()) return Fail(a.Wrong(fmt::format("resource name {} is empty", i)));
    out += fmt::format("/{}/{}", segments[i], *name);
  }
  return out;
}

// The index of the first argument that is a resource type (holds a '/'), after at most `max_before`.
Result<std::size_t> TypeIndex(Args& a, std::size_t max_before) {
  for (std::size_t i = 0; i < a.size() && i <= max_before; ++i) {
    if (!a[i].is_string()) return Fail(a.TypeError(i, "a String"));
    if (a[i].get_ref<const std::string&>().find('/') != std::string::npos) return i;
  }
  return Fail(a.Wrong("no resource type (Namespace/type) found among the arguments"));
}

// resourceId([subscriptionId], [resourceGroupName], resourceType, name1, [name2], ...).
Result<Json> ResourceIdFn(Args& a) {
  if (auto s = a.Count(2, std::numeric_limits<std::size_t>::max()); !s) return Fail(s.error());
  auto at = TypeIndex(a, 2);
  if (!at) return Fail(at.error());
  std::string sub = a.ctx().SubscriptionId();
  std::string group = a.ctx().ResourceGroupName();
  if (*at == 2) {
    sub = a[0].get<std::string>();
    group = a[1].get<std::string>();
  } else if (*at == 1) {
    group = a[0].get<std::string>();
  }
  auto path = TypePath(a, *at);
  if (!path) return Fail(path.error());
  return Json(fmt::format("/subscriptions/{}/resourceGroups/{}/providers/{}", sub, group, *path));
}

// subscriptionResourceId([subscriptionId], resourceType, name1, ...).
Result<Json> SubscriptionResourceId(Args& a) {
  if (auto s = a.Count(2, std::numeric_limits<std::size_t>::max()); !s) return Fail(s.error());
  auto at = TypeIndex(a, 1);
  if (!at) return Fail(at.error());
  const std::string sub = *at == 1 ? a[0].get<std::string>() : a.ctx().SubscriptionId();
  auto path = TypePath(a, *at);
  if (!path) return Fail(path.error());
  return Json(fmt::format("/subscriptions/{}/providers/{}", sub, *path));
}

// tenantResourceId(resourceType, name1, ...).
Result<Json> TenantResourceId(Args& a) {
  if (auto s = a.Count(2, std::numeric_limits<std::size_t>::max()); !s) return Fail(s.error());
  auto path = TypePath(a, 0);
  if (!path) return Fail(path.error());
  return Json(fmt::format("/providers/{}", *path));
}

// extensionResourceId(resourceId, resourceType, name1, ...).
Result<Json> ExtensionResourceId(Args& a) {
  if (auto s = a.Count(3, std::numeric_limits<std::size_t>::max()); !s) return Fail(s.error());
  auto base = a.Str(0);
  if (!base) return Fail(base.error());
  auto path = TypePath(a, 1);
  if (!path) return Fail(path.error());
  return Json(fmt::format("{}/providers/{}", *base, *path));
}

Result<Json> ResourceGroupFn(Args& a) {
  if (auto s = a.Count(0, 0); !s) return Fail(s.error());
  auto& c = a.ctx();
  return Json{
      {"id", fmt::format("/subscriptions/{}/resourceGroups/{}", c.SubscriptionId(), c.ResourceGroupName())},
      {"name", c.ResourceGroupName()},
      {"type", "Microsoft.Resources/resourceGroups"},
      {"location", c.ResourceGroupLocation()},
      {"tags", c.ResourceGroupTags()},
      {"properties", {{"provisioningState", "Succeeded"}}}};
}

Result<Json> SubscriptionFn(Args& a) {
  if (auto s = a.Count(0, 0); !s) return Fail(s.error());
  auto& c = a.ctx();
  return Json{{"id", "/subscriptions/" + c.SubscriptionId()},
              {"subscriptionId", c.SubscriptionId()},
              {"tenantId", c.TenantId()},
              {"displayName", c.SubscriptionDisplayName()}};
}

Result<Json> DeploymentFn(Args& a) {
  if (auto s = a.Count(0, 0); !s) return Fail(s.error());
  auto& c = a.ctx();
  return Json{
      {"name", c.DeploymentName()},
      {"properties",
       {{"template", {{"contentVersion", c.TemplateContentVersion()}}}, {"mode", c.DeploymentMode()}}}};
}
// copyIndex(), copyIndex(offset), copyIndex('loop'), copyIndex('loop', offset).
Result<Json> CopyIndexFn(Args& a) {
  if (auto s = a.Count(0, 2); !s) return Fail(s.error());
  std::string loop;
  std::int64_t offset = 0;
  std::size_t next = 0;
  if (a.size() >= 1 && a[0].is_string()) {
    loop = a[0].get<std::string>();
    next = 1;
  }
  if (next < a.size()) {
    auto o = a.Int(next);
    if (!o) return Fail(o.error());
    offset = *o;
    ++next;
  }
  if (next != a.size()) return Fail(a.Wrong("expects ([loopName], [offset])"));
  return a.ctx().CopyIndex(loop, offset);
}

// reference(resourceIdOrName, [apiVersion], ['Full']): recorded for the caller's dependency graph.
Result<Json> ReferenceFn(Args& a) {
  if (auto s = a.Count(1, 3); !s) return Fail(s.error());
  auto target = a.Str(0);
  if (!target) return Fail(target.error());
  std::string api;
  if (a.size() >= 2) {
    auto v = a.Str(1);
    if (!v) return Fail(v.error());
    api = *v;
  }
  bool full = false;
  if (a.size() == 3) {
    auto f = a.Str(2);
    if (!f) return Fail(f.error());
    if (!IEquals(*f, "Full")) return Fail(a.Wrong(fmt::format("argument 3 must be 'Full', got '{}'", *f)));
    full = true;
  }
  a.ctx().references.push_back(*target);
  return a.ctx().Reference(*target, api, full);
}

constexpr std::array kTable{
    FunctionEntry{"copyIndex", CopyIndexFn},
    FunctionEntry{"deployment", DeploymentFn},
    FunctionEntry{"extensionResourceId", ExtensionResourceId},
    FunctionEntry{"parameters", Parameters},
    FunctionEntry{"reference", ReferenceFn},
    FunctionEntry{"resourceGroup", ResourceGroupFn},
    FunctionEntry{"resourceId", ResourceIdFn},
    FunctionEntry{"subscription", SubscriptionFn},
    FunctionEntry{"subscriptionResourceId", SubscriptionResourceId},
    FunctionEntry{"tenantResourceId", TenantResourceId},
    FunctionEntry{"variables", Variables},
};

}  // namespace

// listKeys(resourceId, apiVersion, [body]) and every other list*().
Result<Json> ListFn(Args& a) {
  if (auto s = a.Count(2, 3); !s) return Fail(s.error());
  auto id = a.Str(0);
  if (!id) return Fail(id.error());
  auto api = a.Str(1);
  if (!api) return Fail(api.error());
  const Json body = a.size() == 3 ? a[2] : Json(nullptr);
  return a.ctx().List(a.name(), *id, *api, body);
}

std::span<const FunctionEntry> ScopeFunctions() {
  return kTable;
}

}  // namespace isthmus::mgmt::tmpl::detail
