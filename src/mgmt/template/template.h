// ARM templates as documents: parameters checked against their declarations, variables (with copy)
// evaluated lazily, resources expanded by copy and condition (nested child resources flattened), the
// dependency graph from dependsOn, reference() calls and parents, and its cycles. Pure: the deployment
// engine asks for a Plan, deploys its waves in order, and renders each resource's body only when what it
// depends on exists (reference() then reads it through a ReferenceResolver).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "mgmt/template/expression.h"

namespace isthmus::mgmt::tmpl {

// Where a deployment runs.
struct Scope {
  std::string subscription_id;
  std::string tenant_id;
  std::string resource_group;
  std::string location;  // the group's
  Json resource_group_tags = Json::object();
  std::string deployment_name;
  std::string mode = "Incremental";  // or "Complete"
};

struct ParameterValue {
  Json value;
  bool secure = false;  // securestring / secureObject: never echoed
  std::string type;     // as declared, lowercased
};

// A resource of the template after copy and condition, with what is known before anything deploys.
struct PlannedResource {
  std::string path;  // JSON path in the template: "resources[2]", "resources[2].resources[0]"
  std::string type;  // "Microsoft.Network/virtualNetworks/subnets"
  std::string api_version;
  std::string name;       // as ARM names it: "VNet1/GatewaySubnet" for a child
  std::string id;         // the full resource ID
  std::string copy_name;  // the resource copy loop it belongs to ("" for none)
  std::int64_t copy_index = -1;
  bool enabled = true;  // its condition held
  Json source;          // the template's resource object (unevaluated; nested resources removed)
  std::vector<std::size_t> depends_on;  // indexes into Plan::resources (enabled ones only)
};

struct Plan {
  Json template_doc;
  std::map<std::string, ParameterValue> parameters;  // by declared name; defaults applied
  std::vector<PlannedResource> resources;
  // Enabled resources in dependency order: every resource of wave k depends only on waves < k.
  std::vector<std::vector<std::size_t>> waves;
};

// reference(): the named resource's current document as a plain GET shows it (null when it does not
// exist). The engine reads it from the store.
using ReferenceResolver = std::function<Result<Json>(const std::string& resource_id)>;

struct PrepareOptions {
  // The resource types a deployment may create ("Microsoft.Network/virtualNetworks", ...), compared
  // case-insensitively. Any other type is an error naming it and its place in the template.
  std::vector<std::string> supported_types;
};

// Parses and checks a template and its parameters (`{"name": {"value": …}}`, as in a parameters file's
// "parameters" and a deployment's properties.parameters). Errors are Error::Invalid("InvalidTemplate"
// or a parameter code, …) naming the JSON path.
Result<Plan> Prepare(const Json& template_doc, const Json& parameters, const Scope& scope,
                     const PrepareOptions& options);

// The body to PUT for one planned resource: everything but type/apiVersion/name/dependsOn/copy/
// condition evaluated (property copy loops expanded), reference() answered by `resolve`.
Result<Json> RenderResource(const Plan& plan, const PlannedResource& resource, const Scope& scope,
                            const ReferenceResolver& resolve);

// The template's outputs ({"name": {"type": "String", "value": …}}), evaluated after every resource
// deployed; secure outputs are left out.
Result<Json> RenderOutputs(const Plan& plan, const Scope& scope, const ReferenceResolver& resolve);

// The parameters as a deployment shows them: `{"name": {"type": "String", "value": …}}`, secure ones
// with their type only.
Json DisplayParameters(const Plan& plan);

// "/subscriptions/{s}/resourceGroups/{g}/providers/A/B/x/C/y" for type "A/B/C" and name "x/y"; an
// error when the name has the wrong number of segments for the type.
Result<std::string> ResourceIdFor(std::string_view subscription, std::string_view group,
                                  std::string_view type, std::string_view name);

}  // namespace isthmus::mgmt::tmpl
