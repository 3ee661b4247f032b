// `network watcher troubleshooting start` and `network watcher test-connectivity`: Network Watcher's
// VPN troubleshoot and connectivity check. As az does, they find the watcher from the target's region:
// NetworkWatcher_{location} in NetworkWatcherRG. isthmusd keeps no watcher resources and answers under
// any watcher name, so nothing has to be created first (docs/rest-api.md).
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

constexpr char kWatcherGroup[] = "NetworkWatcherRG";

std::string WatcherPath(const std::string& sub, const std::string& location, const std::string& action) {
  return ProviderPath(sub, kWatcherGroup, "Microsoft.Network", "networkWatchers",
                      "NetworkWatcher_" + location) +
         "/" + action;
}

// The resource's location (what picks the watcher), from a GET of `path`.
Result<std::string> LocationOf(CommandContext& ctx, const std::string& path, const std::string& api_version) {
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto r = (*client)->Get(path, api_version);
  if (!r) return Fail(r.error());
  if (!r->is_object() || !r->contains("location") || !(*r)["location"].is_string()) {
    return Fail(Error::Internal(fmt::format("'{}' has no location", path)));
  }
  return (*r)["location"].get<std::string>();
}

// --resource-type's values and the ARM types they name.
struct TroubleshootType {
  const char* choice;
  const char* arm_type;
};
constexpr TroubleshootType kTroubleshootTypes[] = {{"vnetGateway", "virtualNetworkGateways"},
                                                   {"vpnConnection", "connections"}};

Result<std::string> TroubleshootTargetId(CommandContext& ctx, const std::string& sub) {
  const auto& a = ctx.args();
  const std::string resource = *a.Get("resource");
  const auto type = a.Get("resource_type");
  if (LooksLikeResourceId(resource)) {
    auto id = ParseResourceId(resource);
    if (!id) return Fail(id.error());
    for (const auto& t : kTroubleshootTypes) {
      if (!EqualsIgnoreCase(id->provider, "Microsoft.Network") || !EqualsIgnoreCase(id->type, t.arm_type) ||
          !id->child_type.empty()) {
        continue;
      }
      if (type && *type != t.choice) {
        return Fail(UsageError(
            fmt::format("usage error: --resource is a {} ID but --resource-type is {}", t.choice, *type)));
      }
      return resource;
    }
    return Fail(UsageError(fmt::format(
        "argument --resource: '{}' is not the ID of a virtual network gateway or a VPN connection",
        resource)));
  }
  if (!type)
    return Fail(UsageError("usage error: --resource NAME needs --resource-type and --resource-group"));
  const auto rg = a.Get("resource_group");
  if (!rg) return Fail(UsageError("usage error: --resource NAME needs --resource-group/-g"));
  for (const auto& t : kTroubleshootTypes) {
    if (*type == t.choice) return ResolveNameOrId(resource, sub, *rg, t.arm_type, "--resource");
  }
  return Fail(UsageError(fmt::format("argument --resource-type: invalid choice: '{}'", *type)));
}

Result<std::optional<Json>> TroubleshootingStart(CommandContext& ctx) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto target = TroubleshootTargetId(ctx, *sub);
  if (!target) return Fail(target.error());
  const auto& a = ctx.args();
  Json properties = Json::object();
  if (auto account = a.Get("storage_account")) {
    if (LooksLikeResourceId(*account)) {
      properties["storageId"] = *account;
    } else if (auto rg = a.Get("resource_group")) {
      properties["storageId"] = ProviderPath(*sub, *rg, "Microsoft.Storage", "storageAccounts", *account);
    } else {
      return Fail(
          UsageError("usage error: --storage-account NAME needs --resource-group/-g (or give its ID)"));
    }
  }
  if (auto path = a.Get("storage_path")) properties["storagePath"] = *path;
  auto location = LocationOf(ctx, *target, kNetworkApiVersion);
  if (!location) return Fail(location.error());
  Json body = {{"target", *target}, {"properties", properties}};
  auto r = PostAction(ctx, WatcherPath(*sub, *location, "troubleshoot"), kNetworkApiVersion, &body);
  if (!r) return Fail(r.error());
  return std::optional<Json>(std::move(*r));
}

// --source-resource: a VM name (with -g) or a VM's ID.
Result<std::string> SourceVmId(CommandContext& ctx, const std::string& sub) {
  const auto& a = ctx.args();
  const std::string vm = *a.Get("source_resource");
  if (LooksLikeResourceId(vm)) {
    auto id = ParseResourceId(vm);
    if (!id || !EqualsIgnoreCase(id->provider, "Microsoft.Compute") ||
        !EqualsIgnoreCase(id->type, "virtualMachines") || !id->child_type.empty()) {
      return Fail(
          UsageError(fmt::format("argument --source-resource: '{}' is not the ID of a virtual machine", vm)));
    }
    return vm;
  }
  if (vm.find('/') != std::string::npos) {
    return Fail(
        UsageError(fmt::format("argument --source-resource: '{}' is neither a name nor a resource ID", vm)));
  }
  const auto rg = a.Get("resource_group");
  if (!rg) return Fail(UsageError("usage error: --source-resource NAME needs --resource-group/-g"));
  return ProviderPath(sub, *rg, "Microsoft.Compute", "virtualMachines", vm);
}

Result<std::optional<Json>> TestConnectivity(CommandContext& ctx) {
  const auto& a = ctx.args();
  auto port = IntArg(a, "dest_port", "--dest-port");
  if (!port) return Fail(port.error());
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto vm = SourceVmId(ctx, *sub);
  if (!vm) return Fail(vm.error());
  auto location = LocationOf(ctx, *vm, kComputeApiVersion);
  if (!location) return Fail(location.error());
  Json destination = {{"address", *a.Get("dest_address")}};
  if (*port) destination["port"] = **port;
  Json body = {{"source", {{"resourceId", *vm}}}, {"destination", destination}};
  if (auto p = a.Get("protocol")) body["protocol"] = *p;
  auto r = PostAction(ctx, WatcherPath(*sub, *location, "connectivityCheck"), kNetworkApiVersion, &body);
  if (!r) return Fail(r.error());
  return std::optional<Json>(std::move(*r));
}

OptionSpec Required(OptionSpec o) {
  o.required = true;
  return o;
}

}  // namespace

void RegisterWatcherCommands(CommandTable& t) {
  t.AddGroup("network watcher", "Check connectivity and troubleshoot VPN gateways and connections.");
  t.AddGroup("network watcher troubleshooting",
             "Troubleshoot VPN gateways and connections from their live state.");
  t.AddCommand(
      {"network watcher troubleshooting start",
       "Troubleshoot a VPN connection or a virtual network gateway: Azure's fault ids (Authentication, "
       "IkePolicyMismatch, PeerReachability, ...) from what the gateways observe now.",
       {Required({"resource", {"--resource"}, "Name or ID of the resource to troubleshoot."}),
        {"resource_type",
         {"--resource-type", "-t"},
         "The resource type (needed when --resource is a name).",
         ArgKind::kValue,
         false,
         {"vnetGateway", "vpnConnection"}},
        ResourceGroupOption(false, false),
        {"storage_account",
         {"--storage-account"},
         "Name or ID of the storage account for the logs (accepted and passed on; isthmusd stores nothing)."},
        {"storage_path",
         {"--storage-path"},
         "Fully qualified URI of the storage blob container for the logs."}},
       TroubleshootingStart,
       {"isthmus network watcher troubleshooting start -g TestRG1 --resource VNet1ToVNet4 --resource-type "
        "vpnConnection",
        "isthmus network watcher troubleshooting start -g TestRG1 --resource VNet1GW -t vnetGateway --query "
        "\"results[0].id\" -o tsv"}});
  t.AddCommand(
      {"network watcher test-connectivity",
       "Test whether a connection can be made from a virtual machine to an address, with the path it takes.",
       {Required(
            {"source_resource", {"--source-resource"}, "Name or ID of the virtual machine to probe from."}),
        ResourceGroupOption(false, false),
        Required({"dest_address", {"--dest-address"}, "The IP address to probe."}),
        {"dest_port", {"--dest-port"}, "Port on the destination (required with Tcp)."},
        {"protocol",
         {"--protocol"},
         "Protocol of the probes (the service defaults to Tcp).",
         ArgKind::kValue,
         false,
         {"Icmp", "Tcp"}}},
       TestConnectivity,
       {"isthmus network watcher test-connectivity -g TestRG1 --source-resource vm1 --dest-address 10.41.0.4 "
        "--dest-port 80",
        "isthmus network watcher test-connectivity -g TestRG1 --source-resource vm1 --dest-address 10.41.0.4 "
        "--protocol Icmp --query connectionStatus -o tsv"}});
}

}  // namespace isthmus::cli
