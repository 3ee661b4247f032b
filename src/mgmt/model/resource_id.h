// ARM resource IDs: parsing (case-insensitive, as in ARM), canonical form, and store keys.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace isthmus::mgmt {

enum class Kind {
  kSubscription,
  kResourceGroup,
  kVirtualNetwork,
  kSubnet,
  kPublicIpAddress,
  kVirtualNetworkGateway,
  kLocalNetworkGateway,
  kConnection,
  kNetworkInterface,  // Microsoft.Network/networkInterfaces: a VM's NIC in a subnet
  kVirtualMachine,    // Microsoft.Compute/virtualMachines: a namespace to test from (DESIGN.md §1)
};

// "Microsoft.Network/virtualNetworks", ... ; for subnets "Microsoft.Network/virtualNetworks/subnets".
std::string_view ArmType(Kind k);
// The resource provider namespace: "Microsoft.Network", "Microsoft.Compute"; empty for groups and
// subscriptions.
std::string_view ProviderNamespace(Kind k);
// The path segment after providers/{namespace}/ ("virtualNetworks", ...); empty for groups and subscriptions.
std::string_view CollectionName(Kind k);
// Parses a collection segment of a provider namespace, both case-insensitively.
std::optional<Kind> KindFromCollection(std::string_view provider, std::string_view segment);
// The same for Microsoft.Network (kept for callers that only know network resources).
std::optional<Kind> KindFromCollection(std::string_view segment);
// True for the provider namespaces resources live in ("Microsoft.Network", "Microsoft.Compute").
bool IsKnownProvider(std::string_view provider);
// Human name for messages: "virtual network", "VPN gateway", ...
std::string_view DisplayName(Kind k);
// True for kinds whose create/update/delete go through the asynchronous operation pattern.
bool IsAsync(Kind k);

struct ResourceId {
  Kind kind = Kind::kResourceGroup;
  std::string subscription;
  std::string resource_group;  // empty for subscriptions
  std::string name;            // the resource (for subnets: the VNet)
  std::string child_name;      // subnets only

  static Result<ResourceId> Parse(std::string_view id);
  static ResourceId Group(std::string sub, std::string rg);
  // Any resource directly in a group (network or compute: the kind knows its provider).
  static ResourceId Network(Kind k, std::string sub, std::string rg, std::string name);

  // Canonical form: "/subscriptions/{s}/resourceGroups/{rg}/providers/{namespace}/{type}/{name}".
  std::string ToString() const;
  // Lowercased canonical form: identity for lookups, since ARM names are case-insensitive.
  std::string Key() const;
  // The VNet of a subnet; the group of a network resource.
  ResourceId Parent() const;
  std::string_view LeafName() const {
    return kind == Kind::kSubnet ? child_name : kind == Kind::kResourceGroup ? resource_group : name;
  }
};

std::string ToLower(std::string_view s);
bool IEquals(std::string_view a, std::string_view b);

}  // namespace isthmus::mgmt
