// `vm ...` (Microsoft.Compute/virtualMachines) and `network nic ...`. An Isthmus VM is an endpoint to test
// from: one NIC in an existing subnet, no public IP, no NSG. `vm create` makes the NIC `{name}VMNic` first
// and then the VM, as az's template does, and prints az's create summary.
#include <algorithm>
#include <string>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/arm_client.h"
#include "cli/command_helpers.h"
#include "cli/command_table.h"
#include "cli/context.h"
#include "cli/errors.h"
#include "cli/resource_id.h"
#include "cli/wait.h"

namespace isthmus::cli {

namespace {

constexpr char kCompute[] = "Microsoft.Compute";
constexpr char kVms[] = "virtualMachines";
constexpr char kNics[] = "networkInterfaces";
constexpr char kDefaultImage[] = "Ubuntu2204";
constexpr char kDefaultSize[] = "Standard_B1s";

// az's image aliases (azure-cli's aliases.json, Linux entries): alias → publisher:offer:sku:version.
struct ImageAlias {
  const char* alias;
  const char* publisher;
  const char* offer;
  const char* sku;
};
constexpr ImageAlias kImageAliases[] = {
    {"CentOS85Gen2", "OpenLogic", "CentOS", "8_5-gen2"},
    {"Debian11", "Debian", "debian-11", "11-backports-gen2"},
    {"Debian12", "Debian", "debian-12", "12-gen2"},
    {"FlatcarLinuxFreeGen2", "kinvolk", "flatcar-container-linux-free", "stable-gen2"},
    {"OpenSuseLeap154Gen2", "SUSE", "openSUSE-leap-15-4", "gen2"},
    {"RHELRaw8LVMGen2", "RedHat", "RHEL", "8-lvm-gen2"},
    {"SuseSles15SP3", "SUSE", "sles-15-sp3", "gen2"},
    {"Ubuntu2204", "Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2"},
    {"Ubuntu2404", "Canonical", "ubuntu-24_04-lts", "server"},
    {"UbuntuLTS", "Canonical", "UbuntuServer", "18.04-LTS"},
};

std::string VmPath(const std::string& sub, const std::string& rg, const std::string& name) {
  return ProviderPath(sub, rg, kCompute, kVms, name);
}

// --image: an alias, a URN (publisher:offer:sku:version) or an image resource ID, as az takes it.
Result<Json> ImageReference(const std::string& image) {
  for (const auto& a : kImageAliases) {
    if (EqualsIgnoreCase(a.alias, image)) {
      return Json{{"publisher", a.publisher}, {"offer", a.offer}, {"sku", a.sku}, {"version", "latest"}};
    }
  }
  if (LooksLikeResourceId(image)) return Json{{"id", image}};
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto colon = image.find(':', start);
    parts.push_back(image.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (parts.size() == 4 &&
      std::none_of(parts.begin(), parts.end(), [](const auto& p) { return p.empty(); })) {
    return Json{{"publisher", parts[0]}, {"offer", parts[1]}, {"sku", parts[2]}, {"version", parts[3]}};
  }
  std::vector<std::string> names;
  for (const auto& a : kImageAliases) names.push_back(fmt::format("'{}'", a.alias));
  return Fail(
      UsageError(fmt::format("Invalid image \"{}\". Use a valid image URN, custom image id, or pick an image "
                             "from [{}]. See vm create -h for more information on specifying an image.",
                             image, fmt::join(names, ", "))));
}

// --subnet ID, or --subnet NAME with --vnet-name NAME: the subnet's ID.
Result<std::string> SubnetId(const ParsedArgs& a, const std::string& sub, const std::string& rg) {
  const std::string subnet = a.GetOr("subnet", "");
  if (LooksLikeResourceId(subnet)) {
    auto id = ParseResourceId(subnet);
    if (!id || !EqualsIgnoreCase(id->provider, "Microsoft.Network") ||
        !EqualsIgnoreCase(id->type, "virtualNetworks") || !EqualsIgnoreCase(id->child_type, "subnets")) {
      return Fail(UsageError(fmt::format("argument --subnet: '{}' is not the ID of a subnet", subnet)));
    }
    return subnet;
  }
  if (subnet.empty() || !a.Has("vnet_name")) {
    return Fail(
        UsageError("usage error: --subnet NAME --vnet-name NAME | --subnet ID (Isthmus does not create a "
                   "virtual network for a VM: make one with `isthmus network vnet create`)"));
  }
  return NetworkPath(sub, rg, "virtualNetworks", *a.Get("vnet_name")) + "/subnets/" + EncodeSegment(subnet);
}

// az accepts flags that Isthmus has nothing for; an empty value (`--nsg ""`) is what tutorials pass to ask
// for none, anything else is said to be ignored.
void WarnIgnored(CommandContext& ctx) {
  if (ctx.args().Flag("only_show_errors")) return;
  for (const auto& [dest, flag, why] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"nsg", "--nsg", "network security groups are not modelled"},
           {"public_ip_address", "--public-ip-address",
            "VMs have no public IP address (the underlay is for gateways)"},
       }) {
    if (auto v = ctx.args().Get(dest); v && !v->empty()) {
      ctx.io().err << fmt::format("WARNING: {} '{}' is ignored: {}.\n", flag, *v, why);
    }
  }
}

// The power state az shows: the displayStatus of the instance view's PowerState/* status.
std::string PowerState(const Json& instance_view) {
  for (const auto& s : instance_view.value("statuses", Json::array())) {
    if (s.value("code", std::string()).starts_with("PowerState/"))
      return s.value("displayStatus", std::string());
  }
  return "";
}

struct NicFacts {
  std::vector<std::string> private_ips;
  std::vector<std::string> macs;
};

void AddNicFacts(const Json& nic, NicFacts& facts) {
  const Json& p = nic.contains("properties") ? nic["properties"] : Json::object();
  for (const auto& cfg : p.value("ipConfigurations", Json::array())) {
    std::string ip =
        cfg.contains("properties") ? cfg["properties"].value("privateIPAddress", std::string()) : "";
    if (!ip.empty()) facts.private_ips.push_back(ip);
  }
  if (auto mac = p.value("macAddress", std::string()); !mac.empty()) facts.macs.push_back(mac);
}

// GETs the NICs a VM document names.
Result<NicFacts> NicsOf(ArmClient& client, const Json& vm) {
  NicFacts facts;
  const Json& p = vm.contains("properties") ? vm["properties"] : Json::object();
  const Json& np = p.contains("networkProfile") ? p["networkProfile"] : Json::object();
  for (const auto& ref : np.value("networkInterfaces", Json::array())) {
    auto nic = client.Get(ref.value("id", std::string()), kNetworkApiVersion);
    if (!nic) return Fail(nic.error());
    AddNicFacts(*nic, facts);
  }
  return facts;
}

// `show -d` / `list -d`: the VM with its instance view and az's five summary fields.
Result<Json> VmDetails(ArmClient& client, const std::string& vm_path) {
  auto vm = client.Get(vm_path + "?$expand=instanceView", kComputeApiVersion);
  if (!vm) return Fail(vm.error());
  auto nics = NicsOf(client, *vm);
  if (!nics) return Fail(nics.error());
  Json view = Display(*vm);
  view["powerState"] = PowerState(view.value("instanceView", Json::object()));
  view["privateIps"] = fmt::format("{}", fmt::join(nics->private_ips, ","));
  view["publicIps"] = "";
  view["macAddresses"] = fmt::format("{}", fmt::join(nics->macs, ","));
  view["fqdns"] = "";
  return SortedKeys(view);
}

std::string PathFromId(const std::string& id) {
  auto parsed = ParseResourceId(id);
  if (!parsed) return id;
  ResourceId r = *parsed;
  return PathOf(r);
}

// ---------------------------------------------------------------- vm create

Result<Json> PutNic(CommandContext& ctx, const std::string& sub, const std::string& rg,
                    const std::string& vm_name, const std::string& location) {
  const auto& a = ctx.args();
  auto subnet = SubnetId(a, sub, rg);
  if (!subnet) return Fail(subnet.error());
  Json cfg_props = {{"subnet", {{"id", *subnet}}}, {"privateIPAllocationMethod", "Dynamic"}};
  if (auto ip = a.Get("private_ip_address"); ip && !ip->empty()) {
    cfg_props["privateIPAllocationMethod"] = "Static";
    cfg_props["privateIPAddress"] = *ip;
  }
  Json body = {
      {"location", location},
      {"properties",
       {{"ipConfigurations", Json::array({{{"name", "ipconfig" + vm_name}, {"properties", cfg_props}}})}}}};
  if (a.Has("tags")) body["tags"] = ParseTags(a.GetList("tags"));
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto r = (*client)->Send("PUT", NetworkPath(sub, rg, kNics, vm_name + "VMNic"), kNetworkApiVersion, &body);
  if (!r) return Fail(r.error());
  return r->body;
}

Result<std::optional<Json>> VmCreate(CommandContext& ctx) {
  const auto& a = ctx.args();
  const std::string rg = *a.Get("resource_group");
  const std::string name = *a.Get("name");
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  // Everything the user typed is checked before anything is created.
  auto image = ImageReference(a.GetOr("image", kDefaultImage));
  if (!image) return Fail(image.error());
  if (auto s = SubnetId(a, *sub, rg); !s) return Fail(s.error());
  auto location = ctx.Location(rg);
  if (!location) return Fail(location.error());
  WarnIgnored(ctx);

  auto nic = PutNic(ctx, *sub, rg, name, *location);
  if (!nic) return Fail(nic.error());
  Json os = {{"computerName", a.GetOr("computer_name", name)}};
  Json body = {{"location", *location},
               {"properties",
                {{"hardwareProfile", {{"vmSize", a.GetOr("size", kDefaultSize)}}},
                 {"storageProfile", {{"imageReference", *image}}},
                 {"osProfile", os},
                 {"networkProfile",
                  {{"networkInterfaces", Json::array({{{"id", nic->value("id", std::string())},
                                                       {"properties", {{"primary", true}}}}})}}}}}};
  if (a.Has("tags")) body["tags"] = ParseTags(a.GetList("tags"));
  const std::string path = VmPath(*sub, rg, name);
  auto vm = ctx.LongRunning("PUT", path, kComputeApiVersion, &body, path);
  if (!vm) return Fail(vm.error());
  if (!*vm) return vm;  // --no-wait

  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  auto view = (*client)->Get(path + "/instanceView", kComputeApiVersion);
  if (!view) return Fail(view.error());
  NicFacts facts;
  AddNicFacts(*nic, facts);
  // az's transform_vm_create_output, in its order (table output keeps it).
  Json out = Json::object();
  out["id"] = (*vm)->value("id", std::string());
  out["resourceGroup"] = rg;
  out["powerState"] = PowerState(*view);
  out["publicIpAddress"] = "";
  out["fqdns"] = "";
  out["privateIpAddress"] = fmt::format("{}", fmt::join(facts.private_ips, ","));
  out["macAddress"] = fmt::format("{}", fmt::join(facts.macs, ","));
  out["location"] = (*vm)->value("location", std::string());
  out["zones"] = "";
  return std::optional<Json>(out);
}

// ---------------------------------------------------------------- vm show / list / ...

Result<std::optional<Json>> VmShow(CommandContext& ctx) {
  auto targets = ctx.Targets(kVms, "", "", kCompute);
  if (!targets) return Fail(targets.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  Json all = Json::array();
  for (const auto& t : *targets) {
    if (ctx.args().Flag("show_details")) {
      auto d = VmDetails(**client, PathOf(t));
      if (!d) return Fail(d.error());
      all.push_back(*d);
    } else {
      auto r = (*client)->Get(PathOf(t), kComputeApiVersion);
      if (!r) return Fail(r.error());
      all.push_back(Display(*r));
    }
  }
  if (all.size() == 1) return std::optional<Json>(all[0]);
  return std::optional<Json>(all);
}

Result<Json> ListVms(CommandContext& ctx) {
  auto sub = ctx.Subscription();
  if (!sub) return Fail(sub.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  const std::string path = ctx.args().Has("resource_group")
                               ? VmPath(*sub, *ctx.args().Get("resource_group"), "")
                               : fmt::format("{}/providers/{}/{}", SubscriptionPath(*sub), kCompute, kVms);
  auto r = (*client)->Get(path, kComputeApiVersion);
  if (!r) return Fail(r.error());
  return r->is_object() && r->contains("value") && (*r)["value"].is_array() ? (*r)["value"] : Json::array();
}

Result<std::optional<Json>> VmList(CommandContext& ctx) {
  auto vms = ListVms(ctx);
  if (!vms) return Fail(vms.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  Json out = Json::array();
  for (const auto& vm : *vms) {
    if (ctx.args().Flag("show_details")) {
      auto d = VmDetails(**client, PathFromId(vm.value("id", std::string())));
      if (!d) return Fail(d.error());
      out.push_back(*d);
    } else {
      out.push_back(Display(vm));
    }
  }
  return std::optional<Json>(out);
}

Result<std::optional<Json>> VmListIpAddresses(CommandContext& ctx) {
  auto vms = ListVms(ctx);
  if (!vms) return Fail(vms.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  const auto wanted = ctx.args().Get("name");
  Json out = Json::array();
  for (const auto& vm : *vms) {
    const std::string name = vm.value("name", std::string());
    if (wanted && !EqualsIgnoreCase(*wanted, name)) continue;
    auto nics = NicsOf(**client, vm);
    if (!nics) return Fail(nics.error());
    auto id = ParseResourceId(vm.value("id", std::string()));
    out.push_back(
        {{"virtualMachine",
          {{"name", name},
           {"network", {{"privateIpAddresses", nics->private_ips}, {"publicIpAddresses", Json::array()}}},
           {"resourceGroup", id ? id->resource_group : ""}}}});
  }
  return std::optional<Json>(out);
}

Result<std::optional<Json>> VmDelete(CommandContext& ctx) {
  if (!ctx.args().Flag("yes")) {
    ctx.io().err << "Are you sure you want to perform this operation? (y/n): ";
    ctx.io().err.flush();
    std::string answer;
    if (!std::getline(ctx.io().in, answer)) {
      return Fail(UsageError("Unable to prompt for confirmation as no tty available. Use --yes."));
    }
    if (answer != "y" && answer != "Y" && answer != "yes") return std::optional<Json>{};
  }
  auto targets = ctx.Targets(kVms, "", "", kCompute);
  if (!targets) return Fail(targets.error());
  for (const auto& t : *targets) {
    auto r = ctx.LongRunning("DELETE", PathOf(t), kComputeApiVersion, nullptr, "");
    if (!r) return Fail(r.error());
  }
  return std::optional<Json>{};
}

Result<std::optional<Json>> VmGetInstanceView(CommandContext& ctx) {
  auto targets = ctx.Targets(kVms, "", "", kCompute);
  if (!targets) return Fail(targets.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  Json all = Json::array();
  for (const auto& t : *targets) {
    auto r = (*client)->Get(PathOf(t) + "?$expand=instanceView", kComputeApiVersion);
    if (!r) return Fail(r.error());
    all.push_back(Display(*r));
  }
  if (all.size() == 1) return std::optional<Json>(all[0]);
  return std::optional<Json>(all);
}

Result<std::optional<Json>> VmRunCommandInvoke(CommandContext& ctx) {
  const auto& a = ctx.args();
  auto targets = ctx.Targets(kVms, "", "", kCompute);
  if (!targets) return Fail(targets.error());
  Json body = {{"commandId", *a.Get("command_id")}};
  if (a.Has("scripts")) body["script"] = a.GetList("scripts");
  if (a.Has("parameters")) {
    // az's forms: "name=value" or a bare value.
    Json params = Json::array();
    for (const auto& p : a.GetList("parameters")) {
      auto eq = p.find('=');
      params.push_back(eq == std::string::npos
                           ? Json{{"value", p}}
                           : Json{{"name", p.substr(0, eq)}, {"value", p.substr(eq + 1)}});
    }
    body["parameters"] = params;
  }
  Json last;
  for (const auto& t : *targets) {
    auto r = ctx.LongRunning("POST", PathOf(t) + "/runCommand", kComputeApiVersion, &body, "");
    if (!r) return Fail(r.error());
    if (*r) last = SortedKeys(**r);
  }
  if (last.is_null()) return std::optional<Json>{};
  return std::optional<Json>(last);
}

// ---------------------------------------------------------------- table output (az's vm _format.py)

Json VmRow(const Json& vm) {
  Json row = Json::object();
  row["name"] = vm.value("name", std::string());
  row["resourceGroup"] = vm.value("resourceGroup", std::string());
  row["powerState"] = vm.contains("powerState") ? vm["powerState"] : Json();
  row["publicIps"] = vm.contains("publicIps") ? vm["publicIps"] : Json();
  row["fqdns"] = vm.contains("fqdns") ? vm["fqdns"] : Json();
  row["location"] = vm.value("location", std::string());
  const Json zones = vm.value("zones", Json());
  row["zones"] = zones.is_array()
                     ? Json(fmt::format("{}", fmt::join(zones.get<std::vector<std::string>>(), ",")))
                     : Json("");
  return row;
}

Json VmTable(const Json& result) {
  if (!result.is_array()) return result.is_object() ? VmRow(result) : result;
  Json rows = Json::array();
  for (const auto& vm : result) rows.push_back(VmRow(vm));
  return rows;
}

Json IpAddressTable(const Json& result) {
  Json rows = Json::array();
  for (const auto& r : result) {
    const Json& vm = r.contains("virtualMachine") ? r["virtualMachine"] : Json::object();
    const Json& network = vm.contains("network") ? vm["network"] : Json::object();
    auto joined = [&](const char* key) {
      std::vector<std::string> items;
      for (const auto& v : network.value(key, Json::array())) {
        if (v.is_string()) items.push_back(v.get<std::string>());
        if (v.is_object() && v.contains("ipAddress")) items.push_back(v["ipAddress"].get<std::string>());
      }
      return items.empty() ? Json() : Json(fmt::format("{}", fmt::join(items, ",")));
    };
    Json row = Json::object();
    row["virtualMachine"] = vm.value("name", std::string());
    row["publicIPAddresses"] = joined("publicIpAddresses");
    row["privateIPAddresses"] = joined("privateIpAddresses");
    rows.push_back(row);
  }
  return rows;
}

// ---------------------------------------------------------------- options

OptionSpec VmNameOption(bool required = true) {
  return NameOption("The name of the Virtual Machine.", required);
}

OptionSpec ShowDetailsOption() {
  return {"show_details",
          {"--show-details", "-d"},
          "Show public ip address, FQDN, and power states. command will run slow.",
          ArgKind::kFlag};
}

std::vector<OptionSpec> CreateOptions() {
  std::vector<OptionSpec> o = {
      ResourceGroupOption(),
      VmNameOption(),
      LocationOption(),
      TagsOption(),
      {"image",
       {"--image"},
       "The name of the operating system image as a URN alias, URN or resource ID. Stored as given: the VM "
       "runs "
       "the host's own userland.",
       ArgKind::kValue,
       false,
       {},
       kDefaultImage},
      {"size", {"--size"}, "The VM size to be created.", ArgKind::kValue, false, {}, kDefaultSize},
      {"vnet_name", {"--vnet-name"}, "Name of the virtual network the VM's subnet is in."},
      {"subnet", {"--subnet"}, "The name of the subnet (with --vnet-name), or a subnet resource ID."},
      {"private_ip_address", {"--private-ip-address"}, "Static private IP address (e.g. 10.0.0.5)."},
      {"computer_name", {"--computer-name"}, "The host name for the virtual machine. Default: its name."},
      {"nsg", {"--nsg"}, "Accepted for az compatibility and ignored (pass \"\" for none)."},
      {"nsg_rule",
       {"--nsg-rule"},
       "Accepted for az compatibility and ignored.",
       ArgKind::kValue,
       false,
       {"NONE", "RDP", "SSH"}},
      {"public_ip_address",
       {"--public-ip-address"},
       "Accepted for az compatibility and ignored: Isthmus VMs have no public IP (pass \"\" for none)."},
      {"public_ip_sku",
       {"--public-ip-sku"},
       "Accepted for az compatibility and ignored.",
       ArgKind::kValue,
       false,
       {"Basic", "Standard"}},
      {"admin_username", {"--admin-username"}, "Accepted for az compatibility and ignored."},
      {"admin_password", {"--admin-password"}, "Accepted for az compatibility and ignored (never sent)."},
      {"authentication_type",
       {"--authentication-type"},
       "Accepted for az compatibility and ignored.",
       ArgKind::kValue,
       false,
       {"all", "password", "ssh"}},
      {"generate_ssh_keys",
       {"--generate-ssh-keys"},
       "Accepted for az compatibility and ignored.",
       ArgKind::kFlag},
      {"ssh_key_values", {"--ssh-key-values"}, "Accepted for az compatibility and ignored.", ArgKind::kList},
      NoWaitOption(),
  };
  return o;
}

}  // namespace

void RegisterVmCommands(CommandTable& t) {
  t.AddGroup("vm", "Manage Linux virtual machines: on Isthmus, endpoints to test a VNet from.");
  {
    CommandSpec create{
        "vm create",
        "Create a virtual machine (and its network interface {name}VMNic) in an existing subnet.",
        CreateOptions(),
        VmCreate,
        {"isthmus vm create -g TestRG1 -n VM1 --vnet-name TestVNet1 --subnet FrontEnd --image "
         "Ubuntu2204 --admin-username azureuser --generate-ssh-keys --nsg \"\" --public-ip-address \"\""}};
    t.AddCommand(std::move(create));
  }
  {
    CommandSpec show{"vm show",
                     "Get the details of a VM.",
                     {ResourceGroupOption(), VmNameOption(), IdsOption(), ShowDetailsOption()},
                     VmShow,
                     {"isthmus vm show -g TestRG1 -n VM1 -d --query privateIps -o tsv"}};
    show.table = VmTable;
    t.AddCommand(std::move(show));
  }
  {
    CommandSpec list{"vm list",
                     "List details of Virtual Machines.",
                     {ResourceGroupOption(false, false), ShowDetailsOption()},
                     VmList,
                     {"isthmus vm list -g TestRG1 -o table"}};
    list.table = VmTable;
    t.AddCommand(std::move(list));
  }
  {
    OptionSpec name = VmNameOption(false);
    name.id_part = false;
    CommandSpec ips{"vm list-ip-addresses",
                    "List IP addresses associated with a VM.",
                    {ResourceGroupOption(false, false), name},
                    VmListIpAddresses,
                    {"isthmus vm list-ip-addresses -g TestRG1 -n VM1 -o table"}};
    ips.table = IpAddressTable;
    t.AddCommand(std::move(ips));
  }
  t.AddCommand(
      {"vm delete",
       "Delete a VM. Its network interface stays, as in Azure (delete it with `network nic delete`).",
       {ResourceGroupOption(), VmNameOption(), IdsOption(), YesOption(), NoWaitOption()},
       VmDelete,
       {"isthmus vm delete -g TestRG1 -n VM1 --yes"}});
  t.AddCommand({"vm wait",
                "Place the CLI in a waiting state until a condition of the VM is met.",
                WithWaitConditions({ResourceGroupOption(), VmNameOption(), IdsOption()}),
                // As az's vm wait, the condition sees the instance view (PowerState/running in its statuses).
                [](CommandContext& ctx) {
                  return WaitForTargets(ctx, kVms, kCompute, kComputeApiVersion, "?$expand=instanceView");
                },
                {"isthmus vm wait -g TestRG1 -n VM1 --custom "
                 "\"instanceView.statuses[?code=='PowerState/running']\""}});
  t.AddCommand(
      {"vm get-instance-view",
       "Get instance information about a VM.",
       {ResourceGroupOption(), VmNameOption(), IdsOption()},
       VmGetInstanceView,
       {"isthmus vm get-instance-view -g TestRG1 -n VM1 --query instanceView.statuses[1].displayStatus"}});

  t.AddGroup("vm run-command", "Manage run commands on a Virtual Machine.");
  t.AddCommand(
      {"vm run-command invoke",
       "Execute a specific run command on a vm.",
       {ResourceGroupOption(),
        VmNameOption(),
        IdsOption(),
        {"command_id", {"--command-id"}, "The command id (RunShellScript).", ArgKind::kValue, true},
        {"scripts", {"--scripts"}, "Space-separated script lines.", ArgKind::kList},
        {"parameters",
         {"--parameters"},
         "Space-separated parameters in the format of '[name=]value'.",
         ArgKind::kList}},
       VmRunCommandInvoke,
       {"isthmus vm run-command invoke -g TestRG1 -n VM1 --command-id RunShellScript --scripts \"ping -c 3 "
        "10.41.0.4\""}});

  t.AddGroup("network nic", "Manage network interfaces.");
  const std::string nic_help = "The network interface (NIC).";
  t.AddCommand(
      {"network nic show",
       "Get the details of a network interface.",
       {ResourceGroupOption(), NameOption(nic_help), IdsOption()},
       [](CommandContext& ctx) { return ShowTargets(ctx, kNics); },
       {"isthmus network nic show -g TestRG1 -n VM1VMNic --query ipConfigurations[0].privateIPAddress"}});
  t.AddCommand({"network nic list",
                "List network interfaces.",
                {ResourceGroupOption(false, false)},
                [](CommandContext& ctx) { return ListResources(ctx, kNics); },
                {"isthmus network nic list -g TestRG1 -o table"}});
  t.AddCommand({"network nic delete",
                "Delete a network interface.",
                {ResourceGroupOption(), NameOption(nic_help), IdsOption(), NoWaitOption()},
                [](CommandContext& ctx) { return DeleteTargets(ctx, kNics); },
                {"isthmus network nic delete -g TestRG1 -n VM1VMNic"}});
}

}  // namespace isthmus::cli
