// The api-versions isthmusd accepts, per API family — those Microsoft's current SDKs and Debian's az
// (under its latest and 2020-09-01-hybrid profiles) send; docs/rest-api.md carries the table. Shapes
// follow the newest version of each family: the properties Isthmus serves did not change across them.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace isthmus::mgmt {

enum class ApiFamily {
  kNetwork,        // Microsoft.Network resources and their operations
  kCompute,        // Microsoft.Compute virtualMachines
  kResources,      // resource groups, providers, deployments (Microsoft.Resources)
  kSubscriptions,  // /subscriptions, /tenants, locations (Microsoft.Resources' subscription API)
  kMetadata,       // /metadata/endpoints
  kIsthmus,        // Isthmus.Fabric, Isthmus.Identity and operation status URLs: any version of the others
};

std::string_view ApiFamilyName(ApiFamily f);
// Ascending; the newest last.
std::span<const std::string_view> SupportedApiVersions(ApiFamily f);
// The family of an ARM path's segments ("subscriptions", "{s}", "resourceGroups", …).
ApiFamily ApiFamilyOf(const std::vector<std::string>& segments);
// MissingApiVersionParameter or InvalidApiVersionParameter (listing the supported versions), as ARM.
Status CheckApiVersion(ApiFamily family, const std::optional<std::string>& version);

}  // namespace isthmus::mgmt
