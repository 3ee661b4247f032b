// Region-pair impairments: the fabric's emulated WAN between two Azure regions (docs/fabric.md,
// "Regions that feel real"), declared by users (`isthmus fabric impairment set`) and kept as rows of the
// store beside the resources, so they survive restarts and a change renders the host plan again.
//
// Not an Azure resource: it is the single-host fabric's own, answered under the Isthmus.Fabric
// provider (docs/rest-api.md). One row per unordered pair of regions, key "impairment:<a>|<b>" with
// the two normalized names in order. The shape users see (and send in a PUT):
//
//   { "id": "/subscriptions/S/providers/Isthmus.Fabric/impairments/eastus/westus",
//     "type": "Isthmus.Fabric/impairments", "name": "eastus/westus",
//     "properties": { "regionA": "eastus", "regionB": "westus",
//                     "roundTripMs": 64, "roundTripSource": "Microsoft P50",   (or "declared")
//                     "jitterMs": 0, "lossPercent": 0, "reorderPercent": 0, "duplicatePercent": 0 } }
//
// roundTripMs left out takes Microsoft's published figure (net/region_latency.h); a pair the table
// lacks (a region with itself, a name it does not know) needs one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "mgmt/render/host_plan.h"
#include "mgmt/service/resource_service.h"

namespace isthmus::mgmt {

inline constexpr std::string_view kImpairmentRowKind = "fabricImpairment";

// "East US" -> "eastus" (ARM's normalization: lowercase, spaces dropped). Error for a name that is not
// 1-64 letters and digits after that.
Result<std::string> NormalizeRegion(std::string_view name);

// A PUT body for the pair (a, b): {"properties": {...}} as above (regionA/regionB, when present, must
// name the same pair). Errors (400 InvalidImpairment) name the property and the allowed range.
Result<render::RegionPairImpairment> ParseImpairment(std::string_view a, std::string_view b,
                                                     const Json& body);

// What GET answers for an impairment, under `subscription`.
Json ImpairmentJson(const std::string& subscription, const render::RegionPairImpairment& i);

// Reads, writes and lists them in the service's store.
class Impairments {
 public:
  explicit Impairments(ResourceService& service) : service_(service) {}
  // Every impairment, ordered by pair; a row that does not parse is left out (and logged).
  std::vector<render::RegionPairImpairment> All() const;
  Json List(const std::string& subscription) const;
  Result<Json> Get(const std::string& subscription, std::string_view a, std::string_view b) const;
  // Creates or replaces; the answer is what GET gives.
  Result<Json> Put(const std::string& subscription, std::string_view a, std::string_view b, const Json& body);
  // NotFound when the pair has none.
  Status Delete(std::string_view a, std::string_view b);

 private:
  ResourceService& service_;
};

}  // namespace isthmus::mgmt
