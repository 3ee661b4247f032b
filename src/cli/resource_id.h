// ARM resource IDs: building them from names and taking them apart, so that every flag az documents as
// "name or ID" (`--vnet`, `--vnet-gateway2`, `--public-ip-addresses`, `--ids`) accepts both.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace isthmus::cli {

// "/subscriptions/{s}/resourceGroups/{rg}/providers/{namespace}/{type}/{name}[/{child_type}/{child_name}]"
struct ResourceId {
  std::string subscription;
  std::string resource_group;  // empty for a subscription id
  std::string provider;        // "Microsoft.Network"; empty for a group id
  std::string type;            // "virtualNetworks"; empty for a group id
  std::string name;
  std::string child_type;  // "subnets"
  std::string child_name;
};

// Parses an id (segment names compared case-insensitively, as ARM does). Fails for anything else.
Result<ResourceId> ParseResourceId(std::string_view id);

// Percent-encodes one path segment (names are user input; a '/' must not split the path).
std::string EncodeSegment(std::string_view s);

std::string SubscriptionPath(std::string_view sub);
std::string GroupPath(std::string_view sub, std::string_view rg);
std::string NetworkPath(std::string_view sub, std::string_view rg, std::string_view type,
                        std::string_view name);
// The same under any provider namespace ("Microsoft.Compute" for virtualMachines).
std::string ProviderPath(std::string_view sub, std::string_view rg, std::string_view provider,
                         std::string_view type, std::string_view name);

bool LooksLikeResourceId(std::string_view v);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// `value` is a name (→ an id of `type` in `sub`/`rg`) or a full id, which must be of `type`.
// `flag` names the argument in the error message.
Result<std::string> ResolveNameOrId(std::string_view value, std::string_view sub, std::string_view rg,
                                    std::string_view type, std::string_view flag);

}  // namespace isthmus::cli
