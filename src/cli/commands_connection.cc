// `network vpn-connection ...`, its `shared-key` and `ipsec-policy` subgroups.
// The shared key is printed by `shared-key show` only; every other output drops it (Display()).
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

constexpr char kConnections[] = "connections";

Result<std::optional<Json>> ConnectionCreate(CommandContext& ctx) {
  const auto& a = ctx.args();
  const std::string rg = *a.Get("resource_group");
  const int destinations = (a.Has("vnet_gateway2") ? 1 : 0) + (a.Has("local_gateway2") ? 1 : 0);
  if (destinations != 1) {
    return Fail(UsageError("usage error: --vnet-gateway2 NAME/ID | --local-gateway2 NAME/ID"));
  }
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto gw1 = ResolveNameOrId(*a.Get("vnet_gateway1"), *sub, rg, "virtualNetworkGateways", "--vnet-gateway1");
  if (!gw1) return Fail(gw1.error());
  Json props = Json::object();
  props["virtualNetworkGateway1"] = {{"id", *gw1}};
  if (auto v = a.Get("vnet_gateway2")) {
    auto gw2 = ResolveNameOrId(*v, *sub, rg, "virtualNetworkGateways", "--vnet-gateway2");
    if (!gw2) return Fail(gw2.error());
    props["connectionType"] = "Vnet2Vnet";
    props["virtualNetworkGateway2"] = {{"id", *gw2}};
  } else {
    auto lgw =
        ResolveNameOrId(*a.Get("local_gateway2"), *sub, rg, "localNetworkGateways", "--local-gateway2");
    if (!lgw) return Fail(lgw.error());
    props["connectionType"] = "IPsec";
    props["localNetworkGateway2"] = {{"id", *lgw}};
  }
  if (auto k = a.Get("shared_key")) props["sharedKey"] = *k;
  if (auto p = a.Get("connection_protocol")) props["connectionProtocol"] = *p;
  if (auto b = a.Bool("enable_bgp")) props["enableBgp"] = *b;
  if (auto b = a.Bool("use_policy_based_traffic_selectors")) props["usePolicyBasedTrafficSelectors"] = *b;
  auto weight = IntArg(a, "routing_weight", "--routing-weight");
  if (!weight) return Fail(weight.error());
  if (*weight) props["routingWeight"] = **weight;

  auto location = ctx.Location(rg);
  if (!location) return Fail(location.error());
  Json body = {{"location", *location}};
  if (a.Has("tags")) body["tags"] = ParseTags(a.GetList("tags"));
  body["properties"] = props;
  const std::string path = NetworkPath(*sub, rg, kConnections, *a.Get("name"));
  auto r = ctx.LongRunning("PUT", path, kNetworkApiVersion, &body, path);
  if (!r) return Fail(r.error());
  if (!*r) return r;
  // az prints a create's result wrapped in "resource" (it deploys a template for this command).
  return std::optional<Json>(Json{{"resource", Display(**r)}});
}

Status ConnectionModify(CommandContext& ctx, Json& body) {
  const auto& a = ctx.args();
  Json& props = body["properties"];
  if (auto k = a.Get("shared_key")) props["sharedKey"] = *k;
  if (auto p = a.Get("connection_protocol")) props["connectionProtocol"] = *p;
  if (auto b = a.Bool("enable_bgp")) props["enableBgp"] = *b;
  if (auto b = a.Bool("use_policy_based_traffic_selectors")) props["usePolicyBasedTrafficSelectors"] = *b;
  auto weight = IntArg(a, "routing_weight", "--routing-weight");
  if (!weight) return Fail(weight.error());
  if (*weight) props["routingWeight"] = **weight;
  if (a.Has("tags")) body["tags"] = ParseTags(a.GetList("tags"));
  return {};
}

Result<std::optional<Json>> ConnectionList(CommandContext& ctx) {
  auto all = ListResources(ctx, kConnections);
  if (!all || !*all) return all;
  auto gw = ctx.args().Get("vnet_gateway");
  if (!gw) return all;
  // --vnet-gateway: only connections whose first gateway is that one (by name, as az filters).
  Json out = Json::array();
  for (const auto& c : **all) {
    std::string id = c.contains("virtualNetworkGateway1") ? c["virtualNetworkGateway1"].value("id", "") : "";
    auto parsed = ParseResourceId(id);
    if (parsed && EqualsIgnoreCase(parsed->name, *gw)) out.push_back(c);
  }
  return std::optional<Json>(out);
}

// Azure types getikesas' result as a string holding the JSON array; az prints the array itself, so
// `--query "[0].quickModeSa[0].inboundSpi"` works.
Result<std::optional<Json>> ConnectionListIkeSas(CommandContext& ctx) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  const auto& a = ctx.args();
  const std::string path = NetworkPath(*sub, *a.Get("resource_group"), kConnections, *a.Get("name"));
  auto r = PostAction(ctx, path + "/getikesas", kNetworkApiVersion, nullptr);
  if (!r) return Fail(r.error());
  if (r->is_array()) return std::optional<Json>(*r);
  Json sas = r->is_string() ? Json::parse(r->get<std::string>(), nullptr, false) : Json();
  if (!sas.is_array()) {
    return Fail(Error::Internal("the service's getikesas answer is not a JSON array of IKE SAs"));
  }
  return std::optional<Json>(std::move(sas));
}

// ---------------------------------------------------------------- shared-key

std::string ConnectionPath(CommandContext& ctx, const std::string& sub) {
  return NetworkPath(sub, *ctx.args().Get("resource_group"), kConnections,
                     *ctx.args().Get("connection_name"));
}

Result<std::optional<Json>> SharedKeyShow(CommandContext& ctx) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto r = (*client)->Get(ConnectionPath(ctx, *sub) + "/sharedkey", kNetworkApiVersion);
  if (!r) return Fail(r.error());
  return std::optional<Json>(SortedKeys(*r));
}

Result<std::optional<Json>> SharedKeyUpdate(CommandContext& ctx) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  Json body = {{"value", *ctx.args().Get("value")}};
  auto r = ctx.LongRunning("PUT", ConnectionPath(ctx, *sub) + "/sharedkey", kNetworkApiVersion, &body, "");
  if (!r) return Fail(r.error());
  // The user typed the key; echoing it back would only put it in more logs. Print nothing.
  return std::optional<Json>{};
}

Result<std::optional<Json>> SharedKeyReset(CommandContext& ctx) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto length = IntArg(ctx.args(), "key_length", "--key-length");
  if (!length) return Fail(length.error());
  Json body = {{"keyLength", **length}};
  auto r =
      ctx.LongRunning("POST", ConnectionPath(ctx, *sub) + "/sharedkey/reset", kNetworkApiVersion, &body, "");
  if (!r) return Fail(r.error());
  if (!*r) return r;
  Json out = **r;
  if (out.is_object()) out.erase("value");  // a reset answers with the length only; never print a key here
  return std::optional<Json>(SortedKeys(out));
}

// ---------------------------------------------------------------- ipsec-policy

// GET the connection, let `change` edit properties.ipsecPolicies, PUT it back. The PUT omits the shared
// key (a GET never has it) and the server keeps the stored one (docs/rest-api.md).
Result<std::optional<Json>> EditPolicies(CommandContext& ctx, const std::function<Status(Json&)>& change) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  const std::string path = ConnectionPath(ctx, *sub);
  auto current = (*client)->Get(path, kNetworkApiVersion);
  if (!current) return Fail(current.error());
  Json body = WithoutReadOnly(*current);
  Json& props = body["properties"];
  if (!props.contains("ipsecPolicies") || !props["ipsecPolicies"].is_array())
    props["ipsecPolicies"] = Json::array();
  if (auto s = change(props["ipsecPolicies"]); !s) return Fail(s.error());
  auto r = ctx.LongRunning("PUT", path, kNetworkApiVersion, &body, path);
  if (!r) return Fail(r.error());
  if (!*r) return r;
  return std::optional<Json>(Display(**r));
}

Result<std::optional<Json>> PolicyAdd(CommandContext& ctx) {
  const auto& a = ctx.args();
  auto lifetime = IntArg(a, "sa_lifetime", "--sa-lifetime");
  if (!lifetime) return Fail(lifetime.error());
  auto max_size = IntArg(a, "sa_max_size", "--sa-max-size");
  if (!max_size) return Fail(max_size.error());
  Json policy = {{"saLifeTimeSeconds", **lifetime},
                 {"saDataSizeKilobytes", **max_size},
                 {"ipsecEncryption", *a.Get("ipsec_encryption")},
                 {"ipsecIntegrity", *a.Get("ipsec_integrity")},
                 {"ikeEncryption", *a.Get("ike_encryption")},
                 {"ikeIntegrity", *a.Get("ike_integrity")},
                 {"dhGroup", *a.Get("dh_group")},
                 {"pfsGroup", *a.Get("pfs_group")}};
  return EditPolicies(ctx, [&](Json& policies) -> Status {
    policies.push_back(policy);
    return {};
  });
}

Result<std::optional<Json>> PolicyClear(CommandContext& ctx) {
  return EditPolicies(ctx, [](Json& policies) -> Status {
    policies = Json::array();
    return {};
  });
}

Result<std::optional<Json>> PolicyList(CommandContext& ctx) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto r = (*client)->Get(ConnectionPath(ctx, *sub), kNetworkApiVersion);
  if (!r) return Fail(r.error());
  Json view = Display(*r);
  return std::optional<Json>(view.contains("ipsecPolicies") ? view["ipsecPolicies"] : Json::array());
}

OptionSpec Required(OptionSpec o) {
  o.required = true;
  return o;
}

OptionSpec ConnectionNameOption() {
  return Required({"connection_name", {"--connection-name"}, "Connection name."});
}

std::vector<OptionSpec> ConnectionSettingOptions() {
  return {{"shared_key", {"--shared-key"}, "Shared IPSec key."},
          {"enable_bgp", {"--enable-bgp"}, "Enable BGP (Border Gateway Protocol).", ArgKind::kBool},
          {"connection_protocol",
           {"--connection-protocol"},
           "Connection protocol.",
           ArgKind::kValue,
           false,
           {"IKEv1", "IKEv2"}},
          {"use_policy_based_traffic_selectors",
           {"--use-policy-based-traffic-selectors"},
           "Enable policy-based traffic selectors.",
           ArgKind::kBool},
          {"routing_weight", {"--routing-weight"}, "Connection routing weight."},
          TagsOption(),
          NoWaitOption()};
}

std::vector<OptionSpec> Concat(std::vector<OptionSpec> a, const std::vector<OptionSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

void RegisterConnectionCommands(CommandTable& t) {
  t.AddGroup("network vpn-connection", "Manage VPN connections.");
  const std::string conn_help = "Connection name.";
  t.AddCommand(
      {"network vpn-connection create",
       "Create a VPN connection.",
       Concat(
           {ResourceGroupOption(),
            NameOption(conn_help),
            Required(
                {"vnet_gateway1", {"--vnet-gateway1"}, "Name or ID of the source virtual network gateway."}),
            {"vnet_gateway2", {"--vnet-gateway2"}, "Name or ID of the destination virtual network gateway."},
            {"local_gateway2", {"--local-gateway2"}, "Name or ID of the destination local network gateway."},
            LocationOption()},
           ConnectionSettingOptions()),
       ConnectionCreate,
       {"isthmus network vpn-connection create -g TestRG1 -n VNet1ToVNet4 --vnet-gateway1 VNet1GW -l westus2 "
        "--shared-key \"<key>\" --vnet-gateway2 /subscriptions/<sub>/resourceGroups/TestRG4/providers/"
        "Microsoft.Network/virtualNetworkGateways/VNet4GW"}});
  t.AddCommand({"network vpn-connection update",
                "Update a VPN connection.",
                WithGenericUpdate(Concat({ResourceGroupOption(), NameOption(conn_help), IdsOption()},
                                         ConnectionSettingOptions())),
                [](CommandContext& ctx) { return UpdateTargets(ctx, kConnections, ConnectionModify); },
                {"isthmus network vpn-connection update -g TestRG1 -n VNet1ToVNet4 --routing-weight 10"}});
  t.AddCommand({"network vpn-connection wait",
                "Place the CLI in a waiting state until a condition of the VPN connection is met.",
                WithWaitConditions({ResourceGroupOption(), NameOption(conn_help), IdsOption()}),
                [](CommandContext& ctx) {
                  return WaitForTargets(ctx, kConnections, "Microsoft.Network", kNetworkApiVersion);
                },
                {"isthmus network vpn-connection wait -g TestRG1 -n VNet1ToVNet4 --custom "
                 "\"connectionStatus=='Connected'\""}});
  t.AddCommand({"network vpn-connection show",
                "Get the details of a VPN connection.",
                {ResourceGroupOption(), NameOption(conn_help), IdsOption()},
                [](CommandContext& ctx) { return ShowTargets(ctx, kConnections); },
                {"isthmus network vpn-connection show -g TestRG1 -n VNet1ToVNet4 --query connectionStatus"}});
  t.AddCommand(
      {"network vpn-connection list",
       "List all VPN connections in a resource group.",
       {ResourceGroupOption(true, false),
        {"vnet_gateway", {"--vnet-gateway"}, "Only list connections of this virtual network gateway."}},
       ConnectionList,
       {"isthmus network vpn-connection list -g TestRG1 -o table"}});
  t.AddCommand({"network vpn-connection list-ike-sas",
                "List the IKE security associations of a VPN connection (and their IPsec quick-mode SAs).",
                {ResourceGroupOption(), NameOption(conn_help)},
                ConnectionListIkeSas,
                {"isthmus network vpn-connection list-ike-sas -g TestRG1 -n VNet1ToVNet4",
                 "isthmus network vpn-connection list-ike-sas -g TestRG1 -n VNet1ToVNet4 --query "
                 "\"[0].quickModeSa[0].inboundSpi\" -o tsv"}});
  t.AddCommand({"network vpn-connection delete",
                "Delete a VPN connection.",
                {ResourceGroupOption(), NameOption(conn_help), IdsOption(), NoWaitOption()},
                [](CommandContext& ctx) { return DeleteTargets(ctx, kConnections); },
                {"isthmus network vpn-connection delete -g TestRG1 -n VNet1ToVNet4"}});

  t.AddGroup("network vpn-connection shared-key", "Manage VPN shared keys.");
  t.AddCommand(
      {"network vpn-connection shared-key show",
       "Retrieve a VPN connection shared key.",
       {ResourceGroupOption(), ConnectionNameOption()},
       SharedKeyShow,
       {"isthmus network vpn-connection shared-key show -g TestRG1 --connection-name VNet1ToVNet4"}});
  t.AddCommand(
      {"network vpn-connection shared-key update",
       "Update a VPN connection shared key.",
       {ResourceGroupOption(), ConnectionNameOption(),
        Required({"value", {"--value"}, "The virtual network connection shared key value."}), NoWaitOption()},
       SharedKeyUpdate,
       {"isthmus network vpn-connection shared-key update -g TestRG1 --connection-name VNet1ToVNet4 "
        "--value Abc123"}});
  t.AddCommand(
      {"network vpn-connection shared-key reset",
       "Reset a VPN connection shared key.",
       {ResourceGroupOption(), ConnectionNameOption(),
        Required({"key_length", {"--key-length"}, "The virtual network connection reset shared key length."}),
        NoWaitOption()},
       SharedKeyReset,
       {"isthmus network vpn-connection shared-key reset -g TestRG1 --connection-name VNet1ToVNet4 "
        "--key-length 128"}});

  t.AddGroup("network vpn-connection ipsec-policy", "Manage VPN connection IPSec policies.");
  auto choice = [](std::string dest, std::string flag, std::string help, std::vector<std::string> choices) {
    return Required(
        {std::move(dest), {std::move(flag)}, std::move(help), ArgKind::kValue, false, std::move(choices)});
  };
  t.AddCommand(
      {"network vpn-connection ipsec-policy add",
       "Add a VPN connection IPSec policy.",
       {ResourceGroupOption(), ConnectionNameOption(),
        choice("dh_group", "--dh-group", "The DH Groups used in IKE Phase 1 for initial SA.",
               {"DHGroup1", "DHGroup14", "DHGroup2", "DHGroup2048", "DHGroup24", "ECP256", "ECP384", "None"}),
        choice("ike_encryption", "--ike-encryption", "The IKE encryption algorithm (IKE phase 2).",
               {"AES128", "AES192", "AES256", "DES", "DES3", "GCMAES128", "GCMAES256"}),
        choice("ike_integrity", "--ike-integrity", "The IKE integrity algorithm (IKE phase 2).",
               {"GCMAES128", "GCMAES256", "MD5", "SHA1", "SHA256", "SHA384"}),
        choice("ipsec_encryption", "--ipsec-encryption", "The IPSec encryption algorithm (IKE phase 1).",
               {"AES128", "AES192", "AES256", "DES", "DES3", "GCMAES128", "GCMAES192", "GCMAES256", "None"}),
        choice("ipsec_integrity", "--ipsec-integrity", "The IPSec integrity algorithm (IKE phase 1).",
               {"GCMAES128", "GCMAES192", "GCMAES256", "MD5", "SHA1", "SHA256"}),
        choice("pfs_group", "--pfs-group", "The Pfs Groups used in IKE Phase 2 for new child SA.",
               {"ECP256", "ECP384", "None", "PFS1", "PFS14", "PFS2", "PFS2048", "PFS24", "PFSMM"}),
        Required(
            {"sa_lifetime",
             {"--sa-lifetime"},
             "The IPSec Security Association (also called Quick Mode or Phase 2 SA) lifetime in seconds."}),
        Required(
            {"sa_max_size",
             {"--sa-max-size"},
             "The IPSec Security Association (also called Quick Mode or Phase 2 SA) payload size in KB."}),
        NoWaitOption()},
       PolicyAdd,
       {"isthmus network vpn-connection ipsec-policy add -g TestRG1 --connection-name VNet1ToVNet4 "
        "--dh-group DHGroup14 --ike-encryption AES256 --ike-integrity SHA384 --ipsec-encryption DES3 "
        "--ipsec-integrity GCMAES256 --pfs-group PFS2048 --sa-lifetime 27000 --sa-max-size 102400000"}});
  t.AddCommand(
      {"network vpn-connection ipsec-policy list",
       "List IPSec policies associated with a VPN connection.",
       {ResourceGroupOption(), ConnectionNameOption()},
       PolicyList,
       {"isthmus network vpn-connection ipsec-policy list -g TestRG1 --connection-name VNet1ToVNet4"}});
  t.AddCommand(
      {"network vpn-connection ipsec-policy clear",
       "Delete all IPsec policies on a VPN connection.",
       {ResourceGroupOption(), ConnectionNameOption(), NoWaitOption()},
       PolicyClear,
       {"isthmus network vpn-connection ipsec-policy clear -g TestRG1 --connection-name VNet1ToVNet4"}});
}

}  // namespace isthmus::cli
