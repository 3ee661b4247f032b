// `network vnet ...`, `network vnet subnet ...`, `network public-ip ...`.
#include <string>

#include <fmt/format.h>

#include "cli/arm_client.h"
#include "cli/command_helpers.h"
#include "cli/command_table.h"
#include "cli/context.h"
#include "cli/errors.h"
#include "cli/resource_id.h"
#include "cli/wait.h"

namespace isthmus::cli {

namespace {

constexpr char kVnets[] = "virtualNetworks";
constexpr char kSubnets[] = "subnets";
constexpr char kPublicIps[] = "publicIPAddresses";

// az's defaults for `vnet create` (used when the flags are absent).
constexpr char kDefaultVnetPrefix[] = "10.0.0.0/16";
constexpr char kDefaultSubnetPrefix[] = "10.0.0.0/24";

// What az printed when `public-ip create` fell back to the Basic SKU (azure-cli PR #22074, the hint added
// ahead of Basic's retirement; az of Microsoft's VNet-to-VNet tutorial defaulted to Basic/Dynamic).
constexpr char kBasicSkuWarning[] =
    "Please note that the default public IP used for creation will be changed from Basic to Standard in the "
    "future.";

// A subnet body: `addressPrefix` for one prefix, `addressPrefixes` for several (as az sends them).
Json SubnetProperties(const std::vector<std::string>& prefixes) {
  Json p = Json::object();
  if (prefixes.size() == 1) {
    p["addressPrefix"] = prefixes[0];
  } else {
    p["addressPrefixes"] = prefixes;
  }
  return p;
}

// ---------------------------------------------------------------- vnet

Result<std::optional<Json>> VnetCreate(CommandContext& ctx) {
  const auto& a = ctx.args();
  const std::string rg = *a.Get("resource_group");
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto location = ctx.Location(rg);
  if (!location) return Fail(location.error());

  Json props = Json::object();
  props["addressSpace"] = {{"addressPrefixes", a.Has("address_prefixes")
                                                   ? a.GetList("address_prefixes")
                                                   : std::vector<std::string>{kDefaultVnetPrefix}}};
  if (a.Has("subnet_prefixes") && !a.Has("subnet_name")) {
    return Fail(UsageError("usage error: --subnet-prefixes requires --subnet-name"));
  }
  if (auto subnet = a.Get("subnet_name")) {
    auto prefixes = a.Has("subnet_prefixes") ? a.GetList("subnet_prefixes")
                                             : std::vector<std::string>{kDefaultSubnetPrefix};
    props["subnets"] = Json::array({{{"name", *subnet}, {"properties", SubnetProperties(prefixes)}}});
  }
  if (a.Has("dns_servers")) props["dhcpOptions"] = {{"dnsServers", a.GetList("dns_servers")}};
  Json body = {{"location", *location}};
  if (a.Has("tags")) body["tags"] = ParseTags(a.GetList("tags"));
  body["properties"] = props;

  const std::string path = NetworkPath(*sub, rg, kVnets, *a.Get("name"));
  auto r = ctx.LongRunning("PUT", path, kNetworkApiVersion, &body, path);
  if (!r) return Fail(r.error());
  if (!*r) return r;
  return std::optional<Json>(Json{{"newVNet", Display(**r)}});
}

Status VnetModify(CommandContext& ctx, Json& body) {
  const auto& a = ctx.args();
  if (a.Has("address_prefixes"))
    body["properties"]["addressSpace"]["addressPrefixes"] = a.GetList("address_prefixes");
  if (a.Has("dns_servers")) body["properties"]["dhcpOptions"]["dnsServers"] = a.GetList("dns_servers");
  if (a.Has("tags")) body["tags"] = ParseTags(a.GetList("tags"));
  return {};
}

// ---------------------------------------------------------------- subnet

Result<std::optional<Json>> SubnetCreate(CommandContext& ctx) {
  const auto& a = ctx.args();
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  Json body = {{"name", *a.Get("name")}, {"properties", SubnetProperties(a.GetList("address_prefixes"))}};
  const std::string path = NetworkPath(*sub, *a.Get("resource_group"), kVnets, *a.Get("vnet_name")) +
                           "/subnets/" + EncodeSegment(*a.Get("name"));
  auto r = ctx.LongRunning("PUT", path, kNetworkApiVersion, &body, path);
  if (!r) return Fail(r.error());
  if (!*r) return r;
  return std::optional<Json>(Display(**r));
}

Status SubnetModify(CommandContext& ctx, Json& body) {
  const auto& a = ctx.args();
  if (a.Has("address_prefixes")) {
    Json& p = body["properties"];
    p.erase("addressPrefix");
    p.erase("addressPrefixes");
    const Json fresh = SubnetProperties(a.GetList("address_prefixes"));
    for (auto it = fresh.begin(); it != fresh.end(); ++it) p[it.key()] = it.value();
  }
  return {};
}

Result<std::optional<Json>> SubnetList(CommandContext& ctx) {
  const auto& a = ctx.args();
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto r =
      (*client)->Get(NetworkPath(*sub, *a.Get("resource_group"), kVnets, *a.Get("vnet_name")) + "/subnets",
                     kNetworkApiVersion);
  if (!r) return Fail(r.error());
  return std::optional<Json>(DisplayList(*r));
}

// ---------------------------------------------------------------- public-ip

Result<std::optional<Json>> PublicIpCreate(CommandContext& ctx) {
  const auto& a = ctx.args();
  const std::string rg = *a.Get("resource_group");
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto location = ctx.Location(rg);
  if (!location) return Fail(location.error());
  // Without --sku: Standard (today's az), except with --allocation-method Dynamic, which only Basic
  // allows: then Basic, as the az of Microsoft's tutorial chose, with the warning that az printed.
  std::string sku = a.GetOr("sku", "");
  if (sku.empty()) {
    sku = a.GetOr("allocation_method", "") == "Dynamic" ? "Basic" : "Standard";
    if (sku == "Basic" && !a.Flag("only_show_errors")) {
      ctx.io().err << "WARNING: " << kBasicSkuWarning << "\n";
    }
  }
  // az: Standard addresses are Static unless told otherwise; Basic ones Dynamic.
  const std::string method = a.GetOr("allocation_method", sku == "Standard" ? "Static" : "Dynamic");
  Json body = {
      {"location", *location},
      {"sku", {{"name", sku}, {"tier", a.GetOr("tier", "Regional")}}},
      {"properties",
       {{"publicIPAllocationMethod", method}, {"publicIPAddressVersion", a.GetOr("version", "IPv4")}}}};
  if (a.Has("tags")) body["tags"] = ParseTags(a.GetList("tags"));
  const std::string path = NetworkPath(*sub, rg, kPublicIps, *a.Get("name"));
  auto r = ctx.LongRunning("PUT", path, kNetworkApiVersion, &body, path);
  if (!r) return Fail(r.error());
  if (!*r) return r;
  return std::optional<Json>(Json{{"publicIp", Display(**r)}});
}

Status PublicIpModify(CommandContext& ctx, Json& body) {
  const auto& a = ctx.args();
  if (auto m = a.Get("allocation_method")) body["properties"]["publicIPAllocationMethod"] = *m;
  if (auto v = a.Get("version")) body["properties"]["publicIPAddressVersion"] = *v;
  if (a.Has("tags")) body["tags"] = ParseTags(a.GetList("tags"));
  return {};
}

OptionSpec VnetNameOption() {
  OptionSpec o{"vnet_name", {"--vnet-name"}, "The virtual network (VNet) name."};
  o.required = true;
  o.id_part = true;
  return o;
}

OptionSpec AddressPrefixesOption(std::string help, bool required) {
  OptionSpec o{"address_prefixes", {"--address-prefixes"}, std::move(help), ArgKind::kList};
  o.required = required;
  return o;
}

OptionSpec DnsServersOption() {
  return {
      "dns_servers", {"--dns-servers"}, "Space-separated list of DNS server IP addresses.", ArgKind::kList};
}

}  // namespace

void RegisterVnetCommands(CommandTable& t) {
  t.AddGroup("network", "Manage Isthmus networking resources.");
  t.AddGroup("network vnet", "Manage virtual networks.");
  const std::string vnet_name_help = "The virtual network (VNet) name.";
  t.AddCommand(
      {"network vnet create",
       "Create a virtual network.",
       {ResourceGroupOption(),
        NameOption(vnet_name_help),
        LocationOption(),
        TagsOption(),
        AddressPrefixesOption("Space-separated list of IP address prefixes for the VNet.", false),
        {"subnet_name", {"--subnet-name"}, "Name of a new subnet to create within the VNet."},
        {"subnet_prefixes",
         {"--subnet-prefixes"},
         "Space-separated list of address prefixes in CIDR format for the new subnet. Default: 10.0.0.0/24.",
         ArgKind::kList},
        DnsServersOption()},
       VnetCreate,
       {"isthmus network vnet create -g TestRG1 -n TestVNet1 --address-prefixes 10.11.0.0/16 10.12.0.0/16 "
        "--subnet-name FrontEnd --subnet-prefixes 10.11.0.0/24"}});
  t.AddCommand(
      {"network vnet update",
       "Update a virtual network.",
       WithGenericUpdate(
           {ResourceGroupOption(), NameOption(vnet_name_help), IdsOption(), TagsOption(),
            AddressPrefixesOption("Space-separated list of IP address prefixes for the VNet.", false),
            DnsServersOption(), NoWaitOption()}),
       [](CommandContext& ctx) { return UpdateTargets(ctx, kVnets, VnetModify); },
       {"isthmus network vnet update -g TestRG1 -n TestVNet1 --address-prefixes 10.11.0.0/16 10.12.0.0/16"}});
  t.AddCommand({"network vnet show",
                "Get the details of a virtual network.",
                {ResourceGroupOption(), NameOption(vnet_name_help), IdsOption()},
                [](CommandContext& ctx) { return ShowTargets(ctx, kVnets); },
                {"isthmus network vnet show -g TestRG1 -n TestVNet1 --query addressSpace.addressPrefixes"}});
  t.AddCommand({"network vnet list",
                "List virtual networks.",
                {ResourceGroupOption(false, false)},
                [](CommandContext& ctx) { return ListResources(ctx, kVnets); },
                {"isthmus network vnet list -g TestRG1 -o table"}});
  t.AddCommand({"network vnet delete",
                "Delete a virtual network.",
                {ResourceGroupOption(), NameOption(vnet_name_help), IdsOption(), NoWaitOption()},
                [](CommandContext& ctx) { return DeleteTargets(ctx, kVnets); },
                {"isthmus network vnet delete -g TestRG1 -n TestVNet1"}});

  t.AddCommand({"network vnet wait",
                "Place the CLI in a waiting state until a condition of the virtual network is met.",
                WithWaitConditions({ResourceGroupOption(), NameOption(vnet_name_help), IdsOption()}),
                [](CommandContext& ctx) {
                  return WaitForTargets(ctx, kVnets, "Microsoft.Network", kNetworkApiVersion);
                },
                {"isthmus network vnet wait -g TestRG1 -n TestVNet1 --created"}});

  t.AddGroup("network vnet subnet", "Manage subnets in a virtual network.");
  const std::string subnet_help = "The subnet name.";
  t.AddCommand({"network vnet subnet create",
                "Create a subnet and associate an existing NSG and route table.",
                {ResourceGroupOption(), NameOption(subnet_help), VnetNameOption(),
                 AddressPrefixesOption("Space-separated list of address prefixes in CIDR format.", true),
                 NoWaitOption()},
                SubnetCreate,
                {"isthmus network vnet subnet create -g TestRG1 --vnet-name TestVNet1 -n GatewaySubnet "
                 "--address-prefixes 10.12.255.0/27"}});
  t.AddCommand(
      {"network vnet subnet update",
       "Update a subnet.",
       WithGenericUpdate(
           {ResourceGroupOption(), NameOption(subnet_help), VnetNameOption(), IdsOption(),
            AddressPrefixesOption("Space-separated list of address prefixes in CIDR format.", false),
            NoWaitOption()}),
       [](CommandContext& ctx) { return UpdateTargets(ctx, kVnets, SubnetModify, "vnet_name", kSubnets); },
       {"isthmus network vnet subnet update -g TestRG1 --vnet-name TestVNet1 -n BackEnd "
        "--address-prefixes 10.12.0.0/24"}});
  t.AddCommand({"network vnet subnet show",
                "Show details of a subnet.",
                {ResourceGroupOption(), NameOption(subnet_help), VnetNameOption(), IdsOption()},
                [](CommandContext& ctx) { return ShowTargets(ctx, kVnets, "vnet_name", kSubnets); },
                {"isthmus network vnet subnet show -g TestRG1 --vnet-name TestVNet1 -n FrontEnd"}});
  {
    OptionSpec vnet = VnetNameOption();
    vnet.id_part = false;
    t.AddCommand({"network vnet subnet list",
                  "List the subnets in a virtual network.",
                  {ResourceGroupOption(true, false), vnet},
                  SubnetList,
                  {"isthmus network vnet subnet list -g TestRG1 --vnet-name TestVNet1 -o table"}});
  }
  t.AddCommand(
      {"network vnet subnet delete",
       "Delete a subnet.",
       {ResourceGroupOption(), NameOption(subnet_help), VnetNameOption(), IdsOption(), NoWaitOption()},
       [](CommandContext& ctx) { return DeleteTargets(ctx, kVnets, "vnet_name", kSubnets); },
       {"isthmus network vnet subnet delete -g TestRG1 --vnet-name TestVNet1 -n BackEnd"}});

  t.AddGroup("network public-ip", "Manage public IP addresses.");
  const std::string pip_help = "The name of the public IP address.";
  t.AddCommand(
      {"network public-ip create",
       "Create a public IP address.",
       {ResourceGroupOption(),
        NameOption(pip_help),
        LocationOption(),
        TagsOption(),
        {"allocation_method",
         {"--allocation-method"},
         "IP address allocation method. Default: Static for Standard SKU, Dynamic for Basic.",
         ArgKind::kValue,
         false,
         {"Dynamic", "Static"}},
        {"sku",
         {"--sku"},
         "Name of a public IP address SKU. Default: Standard; Basic with --allocation-method Dynamic.",
         ArgKind::kValue,
         false,
         {"Basic", "Standard"}},
        {"tier",
         {"--tier"},
         "Tier of a public IP address SKU.",
         ArgKind::kValue,
         false,
         {"Global", "Regional"}},
        {"version", {"--version"}, "IP address type.", ArgKind::kValue, false, {"IPv4", "IPv6"}, "IPv4"}},
       PublicIpCreate,
       {"isthmus network public-ip create -g TestRG1 -n VNet1GWIP --allocation-method Static --sku "
        "Standard"}});
  t.AddCommand({"network public-ip update",
                "Update a public IP address.",
                WithGenericUpdate(
                    {ResourceGroupOption(),
                     NameOption(pip_help),
                     IdsOption(),
                     TagsOption(),
                     {"allocation_method",
                      {"--allocation-method"},
                      "IP address allocation method.",
                      ArgKind::kValue,
                      false,
                      {"Dynamic", "Static"}},
                     {"version", {"--version"}, "IP address type.", ArgKind::kValue, false, {"IPv4", "IPv6"}},
                     NoWaitOption()}),
                [](CommandContext& ctx) { return UpdateTargets(ctx, kPublicIps, PublicIpModify); },
                {"isthmus network public-ip update -g TestRG1 -n VNet1GWIP --tags env=test"}});
  t.AddCommand({"network public-ip show",
                "Get the details of a public IP address.",
                {ResourceGroupOption(), NameOption(pip_help), IdsOption()},
                [](CommandContext& ctx) { return ShowTargets(ctx, kPublicIps); },
                {"isthmus network public-ip show -g TestRG1 -n VNet1GWIP --query ipAddress -o tsv"}});
  t.AddCommand({"network public-ip list",
                "List public IP addresses.",
                {ResourceGroupOption(false, false)},
                [](CommandContext& ctx) { return ListResources(ctx, kPublicIps); },
                {"isthmus network public-ip list -g TestRG1 -o table"}});
  t.AddCommand({"network public-ip delete",
                "Delete a public IP address.",
                {ResourceGroupOption(), NameOption(pip_help), IdsOption(), NoWaitOption()},
                [](CommandContext& ctx) { return DeleteTargets(ctx, kPublicIps); },
                {"isthmus network public-ip delete -g TestRG1 -n VNet1GWIP"}});
  t.AddCommand({"network public-ip wait",
                "Place the CLI in a waiting state until a condition of the public IP address is met.",
                WithWaitConditions({ResourceGroupOption(), NameOption(pip_help), IdsOption()}),
                [](CommandContext& ctx) {
                  return WaitForTargets(ctx, kPublicIps, "Microsoft.Network", kNetworkApiVersion);
                },
                {"isthmus network public-ip wait -g TestRG1 -n VNet1GWIP --created"}});
}

}  // namespace isthmus::cli
