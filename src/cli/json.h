// JSON as the CLI sees it: insertion-ordered, because a `--query` hash `{b: x, a: y}` must keep
// its column order in table/tsv output, exactly as az's OrderedDict does.
#pragma once

#include <nlohmann/json.hpp>

namespace isthmus::cli {

using Json = nlohmann::ordered_json;

// Returns a copy whose objects have their keys in sorted order (recursively). Server responses go
// through this once, so tsv/table columns of plain resources come out alphabetical as in az, while
// objects built by a query keep the order the user wrote.
Json SortedKeys(const Json& v);

// The shape az prints for Microsoft.Network resources: the SDK flattens every `properties` object
// into its parent, and az adds `resourceGroup` next to every `id` that names one. Users' scripts
// depend on this (`--query addressSpace.addressPrefixes`, `--query connectionStatus`).
Json AzView(const Json& arm);

// Only the `resourceGroup` annotation, for resources whose `properties` az does not flatten
// (resource groups themselves keep `properties.provisioningState`).
Json WithResourceGroups(const Json& v);

}  // namespace isthmus::cli
