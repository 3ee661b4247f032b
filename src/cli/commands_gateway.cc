// `network vnet-gateway ...` and `network local-gateway ...`.
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

constexpr char kGateways[] = "virtualNetworkGateways";
constexpr char kLocalGateways[] = "localNetworkGateways";
constexpr char kGatewaySubnet[] = "GatewaySubnet";  // the only subnet a gateway may live in (DESIGN.md §1)

// A function, not a global: a static vector's construction could throw before main (cert-err58-cpp).
const std::vector<std::string>& GatewaySkus() {
  static const std::vector<std::string> skus = {
      "Basic",    "HighPerformance", "Standard", "UltraPerformance", "VpnGw1",   "VpnGw1AZ", "VpnGw2",
      "VpnGw2AZ", "VpnGw3",          "VpnGw3AZ", "VpnGw4",           "VpnGw4AZ", "VpnGw5",   "VpnGw5AZ"};
  return skus;
}

// One ipConfiguration per public IP (two = active-active), each in the VNet's GatewaySubnet.
Result<Json> IpConfigurations(const std::string& sub, const std::string& rg,
                              const std::vector<std::string>& public_ips, const std::string& vnet) {
  auto vnet_id = ResolveNameOrId(vnet, sub, rg, "virtualNetworks", "--vnet");
  if (!vnet_id) return Fail(vnet_id.error());
  if (public_ips.empty() || public_ips.size() > 2) {
    return Fail(
        UsageError("argument --public-ip-addresses: specify one public IP (active-standby) or two "
                   "(active-active)"));
  }
  Json configs = Json::array();
  for (std::size_t i = 0; i < public_ips.size(); ++i) {
    auto pip = ResolveNameOrId(public_ips[i], sub, rg, "publicIPAddresses", "--public-ip-addresses");
    if (!pip) return Fail(pip.error());
    configs.push_back({{"name", fmt::format("vnetGatewayConfig{}", i)},
                       {"properties",
                        {{"privateIPAllocationMethod", "Dynamic"},
                         {"subnet", {{"id", *vnet_id + "/subnets/" + kGatewaySubnet}}},
                         {"publicIPAddress", {{"id", *pip}}}}}});
  }
  return configs;
}

// --asn / --bgp-peering-address / --peer-weight into properties.bgpSettings (and enableBgp, as az does).
Status ApplyBgp(CommandContext& ctx, Json& props, bool set_enable) {
  const auto& a = ctx.args();
  auto asn = IntArg(a, "asn", "--asn");
  if (!asn) return Fail(asn.error());
  auto weight = IntArg(a, "peer_weight", "--peer-weight");
  if (!weight) return Fail(weight.error());
  if (*asn) props["bgpSettings"]["asn"] = **asn;
  if (auto addr = a.Get("bgp_peering_address")) props["bgpSettings"]["bgpPeeringAddress"] = *addr;
  if (*weight) props["bgpSettings"]["peerWeight"] = **weight;
  if (set_enable && *asn) props["enableBgp"] = true;
  return {};
}

Result<std::optional<Json>> GatewayCreate(CommandContext& ctx) {
  const auto& a = ctx.args();
  const std::string rg = *a.Get("resource_group");
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto configs = IpConfigurations(*sub, rg, a.GetList("public_ip_addresses"), *a.Get("vnet"));
  if (!configs) return Fail(configs.error());
  auto location = ctx.Location(rg);
  if (!location) return Fail(location.error());

  const std::string sku = *a.Get("sku");
  Json props = {{"gatewayType", *a.Get("gateway_type")},
                {"vpnType", *a.Get("vpn_type")},
                {"sku", {{"name", sku}, {"tier", sku}}},
                {"activeActive", configs->size() == 2},
                {"enableBgp", false},
                {"ipConfigurations", *configs}};
  if (auto gen = a.Get("vpn_gateway_generation")) props["vpnGatewayGeneration"] = *gen;
  if (auto s = ApplyBgp(ctx, props, true); !s) return Fail(s.error());
  Json body = {{"location", *location}};
  if (a.Has("tags")) body["tags"] = ParseTags(a.GetList("tags"));
  body["properties"] = props;

  const std::string path = NetworkPath(*sub, rg, kGateways, *a.Get("name"));
  auto r = ctx.LongRunning("PUT", path, kNetworkApiVersion, &body, path);
  if (!r) return Fail(r.error());
  if (!*r) return r;
  return std::optional<Json>(Json{{"vnetGateway", Display(**r)}});
}

Status GatewayModify(CommandContext& ctx, Json& body) {
  const auto& a = ctx.args();
  Json& props = body["properties"];
  if (auto sku = a.Get("sku")) props["sku"] = {{"name", *sku}, {"tier", *sku}};
  if (auto t = a.Get("gateway_type")) props["gatewayType"] = *t;
  if (auto t = a.Get("vpn_type")) props["vpnType"] = *t;
  if (auto g = a.Get("vpn_gateway_generation")) props["vpnGatewayGeneration"] = *g;
  if (auto e = a.Bool("enable_bgp")) props["enableBgp"] = *e;
  if (auto s = ApplyBgp(ctx, props, false); !s) return Fail(s.error());
  if (a.Has("public_ip_addresses") || a.Has("vnet")) {
    auto id = ParseResourceId(body.value("id", std::string()));
    if (!id) return Fail(id.error());
    // Keep what is not being changed: the current VNet and public IPs come from the existing configs.
    std::string vnet = a.GetOr("vnet", "");
    std::vector<std::string> pips = a.GetList("public_ip_addresses");
    for (const auto& c : props.value("ipConfigurations", Json::array())) {
      const Json& cp = c.contains("properties") ? c["properties"] : Json::object();
      if (vnet.empty() && cp.contains("subnet")) {
        std::string subnet = cp["subnet"].value("id", std::string());
        vnet = subnet.substr(0, subnet.rfind("/subnets/"));
      }
      if (!a.Has("public_ip_addresses") && cp.contains("publicIPAddress")) {
        pips.push_back(cp["publicIPAddress"].value("id", std::string()));
      }
    }
    auto configs = IpConfigurations(id->subscription, id->resource_group, pips, vnet);
    if (!configs) return Fail(configs.error());
    props["ipConfigurations"] = *configs;
    props["activeActive"] = configs->size() == 2;
  }
  if (a.Has("tags")) body["tags"] = ParseTags(a.GetList("tags"));
  return {};
}

Result<std::optional<Json>> GatewayReset(CommandContext& ctx) {
  auto targets = ctx.Targets(kGateways);
  if (!targets) return Fail(targets.error());
  Json last;
  for (const auto& t : *targets) {
    const std::string path = PathOf(t);
    Json empty = Json::object();
    auto r = ctx.LongRunning("POST", path + "/reset", kNetworkApiVersion, &empty, path);
    if (!r) return Fail(r.error());
    if (*r) last = Display(**r);
  }
  if (last.is_null()) return std::optional<Json>{};
  return std::optional<Json>(last);
}

// ---------------------------------------------------------------- local-gateway

Result<std::optional<Json>> LocalGatewayCreate(CommandContext& ctx) {
  const auto& a = ctx.args();
  const std::string rg = *a.Get("resource_group");
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto location = ctx.Location(rg);
  if (!location) return Fail(location.error());
  Json props = {{"gatewayIpAddress", *a.Get("gateway_ip_address")},
                {"localNetworkAddressSpace", {{"addressPrefixes", a.GetList("local_address_prefixes")}}}};
  if (auto s = ApplyBgp(ctx, props, false); !s) return Fail(s.error());
  Json body = {{"location", *location}};
  if (a.Has("tags")) body["tags"] = ParseTags(a.GetList("tags"));
  body["properties"] = props;
  const std::string path = NetworkPath(*sub, rg, kLocalGateways, *a.Get("name"));
  auto r = ctx.LongRunning("PUT", path, kNetworkApiVersion, &body, path);
  if (!r) return Fail(r.error());
  if (!*r) return r;
  return std::optional<Json>(Display(**r));
}

Status LocalGatewayModify(CommandContext& ctx, Json& body) {
  const auto& a = ctx.args();
  Json& props = body["properties"];
  if (auto ip = a.Get("gateway_ip_address")) props["gatewayIpAddress"] = *ip;
  if (a.Has("local_address_prefixes")) {
    props["localNetworkAddressSpace"]["addressPrefixes"] = a.GetList("local_address_prefixes");
  }
  if (auto s = ApplyBgp(ctx, props, false); !s) return Fail(s.error());
  if (a.Has("tags")) body["tags"] = ParseTags(a.GetList("tags"));
  return {};
}

std::vector<OptionSpec> BgpOptions() {
  return {{"asn", {"--asn"}, "Autonomous System Number to use for the BGP settings."},
          {"bgp_peering_address", {"--bgp-peering-address"}, "IP address to use for BGP peering."},
          {"peer_weight", {"--peer-weight"}, "Weight (0-100) added to routes learned through BGP peering."}};
}

std::vector<OptionSpec> With(std::vector<OptionSpec> base, const std::vector<OptionSpec>& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

OptionSpec PublicIpsOption(bool required) {
  OptionSpec o{
      "public_ip_addresses",
      {"--public-ip-addresses", "--public-ip-address"},
      "Specify a single public IP (name or ID) for an active-standby gateway. Specify two space-separated "
      "public IPs for an active-active gateway.",
      ArgKind::kList};
  o.required = required;
  return o;
}

OptionSpec VnetOption(bool required) {
  OptionSpec o{"vnet",
               {"--vnet"},
               "Name or ID of an existing virtual network which has a subnet named 'GatewaySubnet'."};
  o.required = required;
  return o;
}

}  // namespace

void RegisterGatewayCommands(CommandTable& t) {
  t.AddGroup("network vnet-gateway", "Use a virtual network gateway to connect VNets and on-premises sites.");
  const std::string gw_help = "Name of the VNet gateway.";
  const OptionSpec sku{"sku", {"--sku"}, "VNet gateway SKU.", ArgKind::kValue, false, GatewaySkus()};
  const OptionSpec gateway_type{"gateway_type",
                                {"--gateway-type"},
                                "The gateway type.",
                                ArgKind::kValue,
                                false,
                                {"ExpressRoute", "LocalGateway", "Vpn"}};
  const OptionSpec vpn_type{"vpn_type",      {"--vpn-type"}, "VPN routing type.",
                            ArgKind::kValue, false,          {"PolicyBased", "RouteBased"}};
  const OptionSpec generation{"vpn_gateway_generation",
                              {"--vpn-gateway-generation"},
                              "The generation for the virtual network gateway.",
                              ArgKind::kValue,
                              false,
                              {"Generation1", "Generation2", "None"}};
  OptionSpec sku_create = sku, type_create = gateway_type, vpn_type_create = vpn_type;
  sku_create.default_value = "Basic";
  type_create.default_value = "Vpn";
  vpn_type_create.default_value = "RouteBased";

  t.AddCommand({"network vnet-gateway create",
                "Create a virtual network gateway.",
                With({ResourceGroupOption(), NameOption(gw_help), PublicIpsOption(true), VnetOption(true),
                      LocationOption(), TagsOption(), sku_create, type_create, vpn_type_create, generation,
                      NoWaitOption()},
                     BgpOptions()),
                GatewayCreate,
                {"isthmus network vnet-gateway create -g TestRG1 -n VNet1GW --public-ip-address VNet1GWIP "
                 "--vnet TestVNet1 --gateway-type Vpn --sku VpnGw1 --vpn-type RouteBased --no-wait"}});
  t.AddCommand(
      {"network vnet-gateway update",
       "Update a virtual network gateway.",
       WithGenericUpdate(
           With({ResourceGroupOption(),
                 NameOption(gw_help),
                 IdsOption(),
                 PublicIpsOption(false),
                 VnetOption(false),
                 TagsOption(),
                 sku,
                 gateway_type,
                 vpn_type,
                 generation,
                 {"enable_bgp", {"--enable-bgp"}, "Enable BGP (Border Gateway Protocol).", ArgKind::kBool},
                 NoWaitOption()},
                BgpOptions())),
       [](CommandContext& ctx) { return UpdateTargets(ctx, kGateways, GatewayModify); },
       {"isthmus network vnet-gateway update -g TestRG1 -n VNet1GW --sku VpnGw2"}});
  t.AddCommand({"network vnet-gateway wait",
                "Place the CLI in a waiting state until a condition of the virtual network gateway is met.",
                WithWaitConditions({ResourceGroupOption(), NameOption(gw_help), IdsOption()}),
                [](CommandContext& ctx) {
                  return WaitForTargets(ctx, kGateways, "Microsoft.Network", kNetworkApiVersion);
                },
                {"isthmus network vnet-gateway wait -g TestRG1 -n VNet1GW --created"}});
  t.AddCommand({"network vnet-gateway show",
                "Get the details of a virtual network gateway.",
                {ResourceGroupOption(), NameOption(gw_help), IdsOption()},
                [](CommandContext& ctx) { return ShowTargets(ctx, kGateways); },
                {"isthmus network vnet-gateway show -g TestRG1 -n VNet1GW --query id -o tsv"}});
  t.AddCommand({"network vnet-gateway list",
                "List virtual network gateways.",
                {ResourceGroupOption(true, false)},
                [](CommandContext& ctx) { return ListResources(ctx, kGateways); },
                {"isthmus network vnet-gateway list -g TestRG1 -o table"}});
  t.AddCommand({"network vnet-gateway delete",
                "Delete a virtual network gateway.",
                {ResourceGroupOption(), NameOption(gw_help), IdsOption(), NoWaitOption()},
                [](CommandContext& ctx) { return DeleteTargets(ctx, kGateways); },
                {"isthmus network vnet-gateway delete -g TestRG1 -n VNet1GW"}});
  t.AddCommand({"network vnet-gateway reset",
                "Reset a virtual network gateway.",
                {ResourceGroupOption(), NameOption(gw_help), IdsOption(), NoWaitOption()},
                GatewayReset,
                {"isthmus network vnet-gateway reset -g TestRG1 -n VNet1GW"}});

  t.AddGroup("network local-gateway", "Manage local network gateways (on-premises peers).");
  const std::string lgw_help = "Name of the local network gateway.";
  OptionSpec ip{
      "gateway_ip_address", {"--gateway-ip-address"}, "Gateway's public IP address (e.g. 10.1.1.1)."};
  OptionSpec prefixes{
      "local_address_prefixes",
      {"--local-address-prefixes"},
      "List of CIDR block prefixes representing the address space of the on-premises network.",
      ArgKind::kList};
  OptionSpec ip_required = ip;
  ip_required.required = true;
  t.AddCommand({"network local-gateway create",
                "Create a local VPN gateway.",
                With({ResourceGroupOption(), NameOption(lgw_help), ip_required, prefixes, LocationOption(),
                      TagsOption(), NoWaitOption()},
                     BgpOptions()),
                LocalGatewayCreate,
                {"isthmus network local-gateway create -g TestRG1 -n Site2 --gateway-ip-address 198.18.5.1 "
                 "--local-address-prefixes 10.101.0.0/24 10.101.1.0/24"}});
  t.AddCommand(
      {"network local-gateway update",
       "Update a local VPN gateway.",
       WithGenericUpdate(With({ResourceGroupOption(), NameOption(lgw_help), IdsOption(), ip, prefixes,
                               TagsOption(), NoWaitOption()},
                              BgpOptions())),
       [](CommandContext& ctx) { return UpdateTargets(ctx, kLocalGateways, LocalGatewayModify); },
       {"isthmus network local-gateway update -g TestRG1 -n Site2 --local-address-prefixes 10.101.0.0/24"}});
  t.AddCommand({"network local-gateway wait",
                "Place the CLI in a waiting state until a condition of the local gateway is met.",
                WithWaitConditions({ResourceGroupOption(), NameOption(lgw_help), IdsOption()}),
                [](CommandContext& ctx) {
                  return WaitForTargets(ctx, kLocalGateways, "Microsoft.Network", kNetworkApiVersion);
                },
                {"isthmus network local-gateway wait -g TestRG1 -n Site2 --created"}});
  t.AddCommand({"network local-gateway show",
                "Get the details of a local VPN gateway.",
                {ResourceGroupOption(), NameOption(lgw_help), IdsOption()},
                [](CommandContext& ctx) { return ShowTargets(ctx, kLocalGateways); },
                {"isthmus network local-gateway show -g TestRG1 -n Site2"}});
  t.AddCommand({"network local-gateway list",
                "List all local VPN gateways in a resource group.",
                {ResourceGroupOption(true, false)},
                [](CommandContext& ctx) { return ListResources(ctx, kLocalGateways); },
                {"isthmus network local-gateway list -g TestRG1 -o table"}});
  t.AddCommand({"network local-gateway delete",
                "Delete a local VPN gateway.",
                {ResourceGroupOption(), NameOption(lgw_help), IdsOption(), NoWaitOption()},
                [](CommandContext& ctx) { return DeleteTargets(ctx, kLocalGateways); },
                {"isthmus network local-gateway delete -g TestRG1 -n Site2"}});
}

}  // namespace isthmus::cli
