#include "mgmt/model/planner.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

#include "mgmt/model/fields.h"

namespace isthmus::mgmt {

using fields::Bad;

namespace {
// A refused value as an error message may echo it: control characters shown as '?', at most 100 bytes,
// so that a name or location sent to probe header or log injection comes back inert.
std::string SafeForMessage(std::string_view v) {
  std::string out(v.substr(0, 100));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}
}  // namespace

Status CheckName(Kind kind, const std::string& name) {
  bool group = kind == Kind::kResourceGroup;
  // Azure's limits: groups 90, Linux VM names 64, network resources 80.
  std::size_t max = group ? 90 : kind == Kind::kVirtualMachine ? 64 : 80;
  auto ok_char = [&](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '.' || (group && (c == '(' || c == ')'));
  };
  bool ok = !name.empty() && name.size() <= max && std::all_of(name.begin(), name.end(), ok_char);
  if (ok && !group) {
    ok = std::isalnum(static_cast<unsigned char>(name.front())) &&
         (std::isalnum(static_cast<unsigned char>(name.back())) || name.back() == '_');
  }
  if (ok && group) ok = name.back() != '.';
  if (ok) return {};
  return Fail(
      Bad(group ? "InvalidResourceGroupName" : "InvalidResourceName",
          group ? fmt::format("Resource group name '{}' is invalid: use 1-90 letters, digits, '_', '-', "
                              "'.', '(' or ')', not ending in '.'.",
                              SafeForMessage(name))
                : fmt::format("Resource name '{}' is invalid: use 1-{} letters, digits, '_', '-' or '.', "
                              "starting with a letter or digit and ending with a letter, digit or '_'.",
                              SafeForMessage(name), max),
          "name"));
}

Result<Planner::Envelope> Planner::ReadEnvelope(const ResourceId& id, const Json& body,
                                                bool needs_location) const {
  if (!body.is_object()) {
    return Fail(Bad("InvalidRequestFormat", "The request body must be a JSON object."));
  }
  if (auto n = CheckName(id.kind, std::string(id.LeafName())); !n) return Fail(n.error());
  Envelope env;
  auto loc = fields::String(body, "location", "");
  if (!loc) return Fail(loc.error());
  if (*loc) env.location = ToLower(**loc);
  env.location.erase(std::remove(env.location.begin(), env.location.end(), ' '), env.location.end());
  // ARM's location names are letters and digits ("eastus", "East US 2" normalized): anything else (a
  // control character, a slash, a quote) would travel into namespace plans, logs and the region table.
  if (env.location.size() > 64 || std::any_of(env.location.begin(), env.location.end(), [](char c) {
        return !std::isalnum(static_cast<unsigned char>(c));
      })) {
    return Fail(
        Bad("LocationNotAvailableForResourceType",
            fmt::format("The provided location '{}' is not available for resource type '{}'. Location "
                        "names are letters and digits, such as eastus or westeurope.",
                        SafeForMessage(**loc), DisplayName(id.kind)),
            "location"));
  }
  if (needs_location && env.location.empty()) {
    return Fail(Bad(
        "LocationRequired",
        fmt::format("The location property is required for {} '{}'.", DisplayName(id.kind), id.LeafName()),
        "location"));
  }
  auto tags = fields::Tags(body);
  if (!tags) return Fail(tags.error());
  env.tags = *tags;
  return env;
}

Json Planner::BaseDoc(const ResourceId& id, const Envelope& env, const Resource* existing) const {
  // Keep the casing the resource was created with; ARM names are case-insensitive.
  ResourceId canonical = existing ? existing->id : id;
  Json d = Json::object();
  d["name"] = std::string(canonical.LeafName());
  d["id"] = canonical.ToString();
  d["etag"] = fmt::format("W/\"{}\"", ctx_.new_guid());
  d["type"] = std::string(ArmType(id.kind));
  if (!env.location.empty()) d["location"] = env.location;
  d["tags"] = env.tags;
  return d;
}

Plan Planner::Single(Resource r, bool created, bool async) const {
  Plan p;
  p.changes.push_back({r.id.Key(), r});
  p.result = std::move(r);
  p.created = created;
  p.async = async;
  return p;
}

static Status CheckGroupExists(const State& state, const ResourceId& id) {
  const Resource* g = state.Find(ResourceId::Group(id.subscription, id.resource_group));
  if (!g) {
    return Fail(Error::NotFound("ResourceGroupNotFound",
                                fmt::format("Resource group '{}' could not be found.", id.resource_group)));
  }
  if (g->doc["properties"].value("provisioningState", "") == kDeleting) {
    return Fail(Error::Conflict("ResourceGroupBeingDeleted",
                                fmt::format("Resource group '{}' is being deleted.", id.resource_group)));
  }
  return {};
}

// Azure refuses to change a resource while an operation on it is still running.
Status CheckNotBusy(const Resource* existing) {
  if (!existing) return {};
  auto state = existing->doc["properties"].value("provisioningState", "");
  if (state == kDeleting || state == kUpdating) {
    return Fail(Error::Conflict("AnotherOperationInProgress",
                                fmt::format("Cannot proceed: {} '{}' is in provisioning state '{}'.",
                                            DisplayName(existing->id.kind), existing->id.LeafName(), state)));
  }
  return {};
}

Result<Plan> Planner::Put(const ResourceId& requested, const Json& body) {
  ResourceId id = requested;
  if (id.kind != Kind::kResourceGroup && id.kind != Kind::kSubscription) {
    // New resources take their group's stored casing, as ARM's IDs do.
    if (const Resource* g = state_.Find(ResourceId::Group(id.subscription, id.resource_group))) {
      id.resource_group = g->id.resource_group;
    }
  }
  if (id.kind == Kind::kSubscription) {
    return Fail(Bad("InvalidRequest", "Subscriptions are created by isthmusd, not by PUT."));
  }
  if (id.kind != Kind::kResourceGroup) {
    if (auto s = CheckGroupExists(state_, id); !s) return Fail(s.error());
    if (auto s = CheckNotBusy(state_.Find(id.kind == Kind::kSubnet ? id.Parent() : id)); !s) {
      return Fail(s.error());
    }
  }
  switch (id.kind) {
    case Kind::kResourceGroup:
      return PutGroup(id, body);
    case Kind::kVirtualNetwork:
      return PutVnet(id, body);
    case Kind::kSubnet:
      return PutSubnet(id, body);
    case Kind::kPublicIpAddress:
      return PutPublicIp(id, body);
    case Kind::kVirtualNetworkGateway:
      return PutGateway(id, body);
    case Kind::kLocalNetworkGateway:
      return PutLocalGateway(id, body);
    case Kind::kConnection:
      return PutConnection(id, body);
    case Kind::kNetworkInterface:
      return PutNetworkInterface(id, body);
    case Kind::kVirtualMachine:
      return PutVirtualMachine(id, body);
    case Kind::kSubscription:
      break;
  }
  return Fail(Error::Internal("unhandled resource kind"));
}

Result<Plan> Planner::PutGroup(const ResourceId& id, const Json& body) {
  const Resource* existing = state_.Find(id);
  if (auto s = CheckNotBusy(existing); !s) return Fail(s.error());
  auto env = ReadEnvelope(id, body, true);
  if (!env) return Fail(env.error());
  if (existing && existing->doc.value("location", "") != env->location) {
    return Fail(
        Bad("InvalidResourceGroupLocation",
            fmt::format("Resource group '{}' already exists in location '{}'; its location cannot "
                        "change to '{}'.",
                        existing->id.resource_group, existing->doc.value("location", ""), env->location),
            "location"));
  }
  ResourceId canonical = existing ? existing->id : id;
  Json d = Json::object();
  d["id"] = canonical.ToString();
  d["name"] = canonical.resource_group;
  d["type"] = std::string(ArmType(Kind::kResourceGroup));
  d["location"] = env->location;
  d["tags"] = env->tags;
  d["properties"] = {{"provisioningState", kSucceeded}};
  return Single({canonical, d}, existing == nullptr, false);
}

Result<Plan> Planner::PatchTags(const ResourceId& id, const Json& body) {
  if (!body.is_object()) return Fail(Bad("InvalidRequestFormat", "The request body must be a JSON object."));
  const Resource* existing = state_.Find(id.kind == Kind::kSubnet ? id.Parent() : id);
  if (!existing || id.kind == Kind::kSubnet) {
    if (id.kind == Kind::kSubnet) return Fail(Bad("InvalidRequest", "Subnets have no tags; use PUT."));
    return Fail(
        Error::NotFound(id.kind == Kind::kResourceGroup ? "ResourceGroupNotFound" : "ResourceNotFound",
                        fmt::format("The {} '{}' was not found.", DisplayName(id.kind), id.LeafName())));
  }
  for (const auto& [k, v] : body.items()) {
    if (k != "tags") {
      return Fail(Bad("InvalidRequestFormat",
                      fmt::format("PATCH changes only 'tags'; '{}' must be changed with PUT.", k), k));
    }
  }
  auto tags = fields::Tags(body);
  if (!tags) return Fail(tags.error());
  Resource r = *existing;
  r.doc["tags"] = *tags;
  if (id.kind != Kind::kResourceGroup) r.doc["etag"] = fmt::format("W/\"{}\"", ctx_.new_guid());
  return Single(std::move(r), false, false);
}

// ---- Public IP addresses and local network gateways ------------------------------------------------

Result<std::string> Planner::AllocatePublicIp(const std::string& subscription,
                                              const std::string& exclude_key) const {
  std::set<net::IpAddress> used;
  for (const Resource* r : state_.List(Kind::kPublicIpAddress, subscription)) {
    if (r->id.Key() == exclude_key) continue;
    auto a = net::IpAddress::Parse(r->doc["properties"].value("ipAddress", ""));
    if (a) used.insert(*a);
  }
  // An outside peer attached to the underlay (docs/fabric.md) holds an address of the pool that its
  // local network gateway names: never hand it to a public IP.
  for (const Resource* r : state_.List(Kind::kLocalNetworkGateway, subscription)) {
    auto a = net::IpAddress::Parse(r->doc["properties"].value("gatewayIpAddress", ""));
    if (a) used.insert(*a);
  }
  // The pool's first two and last addresses are reserved: network, underlay router, broadcast.
  const net::Prefix& pool = ctx_.underlay_pool;
  std::uint64_t size = pool.Size();
  for (std::uint64_t i = 2; i + 1 < size; ++i) {
    net::IpAddress a = pool.address().Plus(i);
    if (!used.contains(a)) return a.ToString();
  }
  return Fail(
      Error::Conflict("PublicIPAddressPoolExhausted",
                      fmt::format("No free address is left in the underlay pool {}.", pool.ToString())));
}

Result<Plan> Planner::PutPublicIp(const ResourceId& id, const Json& body) {
  const Resource* existing = state_.Find(id);
  auto env = ReadEnvelope(id, body, true);
  if (!env) return Fail(env.error());
  auto props = fields::Object(body, "properties", "");
  if (!props) return Fail(props.error());
  auto sku_obj = fields::Object(body, "sku", "");
  if (!sku_obj) return Fail(sku_obj.error());
  auto sku = fields::Enum(*sku_obj, "name", "sku", {"Basic", "Standard"});
  if (!sku) return Fail(sku.error());
  auto method = fields::Enum(*props, "publicIPAllocationMethod", "properties", {"Dynamic", "Static"});
  if (!method) return Fail(method.error());
  auto version = fields::Enum(*props, "publicIPAddressVersion", "properties", {"IPv4", "IPv6"});
  if (!version) return Fail(version.error());
  std::string sku_name = sku->value_or("Standard");
  std::string alloc = method->value_or(sku_name == "Standard" ? "Static" : "Dynamic");
  if (version->value_or("IPv4") == "IPv6") {
    return Fail(
        Bad("PublicIPv6NotSupported",
            "Isthmus allocates public IP addresses from an IPv4 underlay pool; IPv6 is not supported.",
            "properties.publicIPAddressVersion"));
  }
  if (sku_name == "Standard" && alloc == "Dynamic") {
    return Fail(Bad("StandardSkuPublicIPAddressesMustBeStatic",
                    "A Standard SKU public IP address must use the Static allocation method.",
                    "properties.publicIPAllocationMethod"));
  }
  auto timeout = fields::Integer(*props, "idleTimeoutInMinutes", "properties");
  if (!timeout) return Fail(timeout.error());
  if (*timeout && (**timeout < 4 || **timeout > 30)) {
    return Fail(Bad("InvalidParameter", "properties.idleTimeoutInMinutes must be between 4 and 30.",
                    "properties.idleTimeoutInMinutes"));
  }

  Json d = BaseDoc(id, *env, existing);
  d["sku"] = {{"name", sku_name}, {"tier", "Regional"}};
  Json p = Json::object();
  p["provisioningState"] = kSucceeded;
  p["resourceGuid"] = existing ? existing->doc["properties"]["resourceGuid"] : Json(ctx_.new_guid());
  p["publicIPAddressVersion"] = "IPv4";
  p["publicIPAllocationMethod"] = alloc;
  p["idleTimeoutInMinutes"] = timeout->value_or(4);
  std::string address = existing ? existing->doc["properties"].value("ipAddress", "") : "";
  bool in_use = existing && existing->doc["properties"].contains("ipConfiguration");
  if (address.empty() && alloc == "Static") {
    auto a = AllocatePublicIp(id.subscription, id.Key());
    if (!a) return Fail(a.error());
    address = *a;
  }
  if (!address.empty() && alloc == "Dynamic" && !in_use) address.clear();  // released while unused
  if (!address.empty()) p["ipAddress"] = address;
  if (in_use) p["ipConfiguration"] = existing->doc["properties"]["ipConfiguration"];
  d["properties"] = p;
  return Single({existing ? existing->id : id, d}, existing == nullptr, false);
}

Result<Plan> Planner::PutLocalGateway(const ResourceId& id, const Json& body) {
  const Resource* existing = state_.Find(id);
  auto env = ReadEnvelope(id, body, true);
  if (!env) return Fail(env.error());
  auto props = fields::Object(body, "properties", "");
  if (!props) return Fail(props.error());
  auto ip = fields::String(*props, "gatewayIpAddress", "properties");
  if (!ip) return Fail(ip.error());
  auto fqdn = fields::String(*props, "fqdn", "properties");
  if (!fqdn) return Fail(fqdn.error());
  if (!*ip && !*fqdn) {
    return Fail(Bad("MissingRequiredProperty",
                    "A local network gateway needs properties.gatewayIpAddress (or properties.fqdn).",
                    "properties.gatewayIpAddress"));
  }
  if (*ip && !net::IpAddress::Parse(**ip)) {
    return Fail(Bad("InvalidGatewayIpAddress",
                    fmt::format("properties.gatewayIpAddress '{}' is not an IP address.", **ip),
                    "properties.gatewayIpAddress"));
  }
  auto space = fields::Object(*props, "localNetworkAddressSpace", "properties");
  if (!space) return Fail(space.error());
  auto prefixes = fields::PrefixList(*space, "addressPrefixes", "properties.localNetworkAddressSpace");
  if (!prefixes) return Fail(prefixes.error());
  net::PrefixSet set(*prefixes);
  if (auto o = set.FirstInternalOverlap()) {
    return Fail(Bad("OverlappingAddressPrefixes",
                    fmt::format("Local network address prefixes {} and {} overlap.", o->first.ToString(),
                                o->second.ToString()),
                    "properties.localNetworkAddressSpace.addressPrefixes"));
  }
  // Changing the prefixes must not make an existing connection overlap its VNet.
  if (existing) {
    for (const Resource* c : ConnectionsUsing(existing->id)) {
      auto gw1 = ResourceId::Parse(c->doc["properties"]["virtualNetworkGateway1"].value("id", ""));
      const Resource* g = gw1 ? state_.Find(*gw1) : nullptr;
      if (!g) continue;
      if (auto o = SpaceBehind(*g).FirstOverlap(set)) {
        return Fail(Error::Conflict(
            "LocalNetworkAddressSpaceOverlapsConnectedVnet",
            fmt::format("Local network prefix {} would overlap prefix {} of the virtual network behind '{}', "
                        "which connection '{}' joins to it.",
                        o->second.ToString(), o->first.ToString(), g->id.name, c->id.name)));
      }
    }
  }
  Json d = BaseDoc(id, *env, existing);
  Json p = Json::object();
  p["provisioningState"] = kSucceeded;
  p["resourceGuid"] = existing ? existing->doc["properties"]["resourceGuid"] : Json(ctx_.new_guid());
  Json list = Json::array();
  for (const auto& pre : *prefixes) list.push_back(pre.ToString());
  p["localNetworkAddressSpace"] = {{"addressPrefixes", list}};
  if (*ip) p["gatewayIpAddress"] = net::IpAddress::Parse(**ip)->ToString();
  if (*fqdn) p["fqdn"] = **fqdn;
  auto bgp = fields::Object(*props, "bgpSettings", "properties");
  if (!bgp) return Fail(bgp.error());
  if (!bgp->empty()) p["bgpSettings"] = *bgp;
  d["properties"] = p;
  return Single({existing ? existing->id : id, d}, existing == nullptr, false);
}

// ---- Deletion ----------------------------------------------------------------------------------------

// True if any "id" anywhere inside `doc` names the resource with `key` or one of its children.
static bool RefersTo(const Json& doc, const std::string& key) {
  if (doc.is_object()) {
    for (const auto& [k, v] : doc.items()) {
      if (k == "id" && v.is_string()) {
        auto id = ToLower(v.get<std::string>());
        if (id == key || id.starts_with(key + "/")) return true;
      } else if (RefersTo(v, key)) {
        return true;
      }
    }
  } else if (doc.is_array()) {
    for (const auto& v : doc) {
      if (RefersTo(v, key)) return true;
    }
  }
  return false;
}

Result<Plan> Planner::Delete(const ResourceId& id) {
  if (id.kind == Kind::kResourceGroup) return DeleteGroup(id);
  Plan plan;
  if (id.kind == Kind::kSubnet) {
    const Resource* vnet = state_.Find(id.Parent());
    const Json* subnet = state_.FindSubnet(id);
    if (!vnet || !subnet) {
      plan.noop = true;
      return plan;
    }
    if (auto s = CheckNotBusy(vnet); !s) return Fail(s.error());
    std::string key = ToLower((*subnet)["id"].get<std::string>());
    for (const Resource* g : state_.List(Kind::kVirtualNetworkGateway, id.subscription)) {
      if (RefersTo(g->doc["properties"], key)) {
        return Fail(Error::Conflict(
            "InUseSubnetCannotBeDeleted",
            fmt::format("Subnet '{}' is in use by virtual network gateway '{}' and cannot be deleted.",
                        id.child_name, g->id.name)));
      }
    }
    if (auto nics = NicConfigsInSubnet(key, nullptr); !nics.empty()) {
      return Fail(
          Error::Conflict("InUseSubnetCannotBeDeleted",
                          fmt::format("Subnet '{}' is in use by '{}' and cannot be deleted. In order to "
                                      "delete the subnet, delete all the resources within the subnet.",
                                      id.child_name, nics.front().first)));
    }
    Resource r = *vnet;
    auto& subnets = r.doc["properties"]["subnets"];
    Json kept = Json::array();
    for (const auto& s : subnets) {
      if (!IEquals(s.value("name", ""), id.child_name)) kept.push_back(s);
    }
    subnets = kept;
    r.doc["etag"] = fmt::format("W/\"{}\"", ctx_.new_guid());
    plan.changes.push_back({r.id.Key(), r});
    plan.result = r;
    return plan;
  }
  const Resource* existing = state_.Find(id);
  if (!existing) {
    plan.noop = true;
    return plan;
  }
  if (existing->doc["properties"].value("provisioningState", "") == kDeleting) {
    plan.result = *existing;
    plan.async = true;  // already on its way out: answer as ARM does, with the operation still running
    return plan;
  }
  const std::string key = existing->id.Key();
  if (auto s = CheckNotReferenced(*existing); !s) return Fail(s.error());
  if (auto s = CheckNotBusy(existing); !s) return Fail(s.error());
  plan.result = *existing;
  if (IsAsync(id.kind)) {
    Resource r = *existing;
    r.doc["properties"]["provisioningState"] = kDeleting;
    plan.changes.push_back({key, r});
    plan.async = true;
  } else {
    plan.changes = FinishDelete(*existing);
  }
  return plan;
}

const Json& ForwardReferences(const Resource& r) {
  static const Json kNone = Json::object();
  auto props = r.doc.find("properties");
  if (props == r.doc.end()) return kNone;
  if (r.id.kind != Kind::kNetworkInterface) return *props;
  auto cfgs = props->find("ipConfigurations");
  return cfgs == props->end() ? kNone : *cfgs;
}

// Whoever still refers to a resource blocks its deletion, as in Azure; each pair has Azure's code.
Status Planner::CheckNotReferenced(const Resource& target) const {
  const std::string key = target.id.Key();
  for (Kind k :
       {Kind::kVirtualNetworkGateway, Kind::kConnection, Kind::kNetworkInterface, Kind::kVirtualMachine}) {
    for (const Resource* other : state_.List(k, target.id.subscription)) {
      if (other->id.Key() == key || !RefersTo(ForwardReferences(*other), key)) continue;
      if (other->id.kind == Kind::kNetworkInterface) {
        std::string cfg_id, subnet;
        for (const auto& cfg : ForwardReferences(*other)) {
          if (!RefersTo(cfg, key) || !cfg_id.empty()) continue;
          cfg_id = cfg.value("id", "");
          auto sid = ResourceId::Parse(cfg["properties"]["subnet"].value("id", ""));
          if (sid) subnet = sid->child_name;
        }
        return Fail(Error::Conflict(
            "InUseSubnetCannotBeDeleted",
            fmt::format(
                "Subnet '{}' of virtual network '{}' is in use by '{}' and cannot be deleted. In order to "
                "delete the subnet, delete all the resources within the subnet.",
                subnet, target.id.name, cfg_id)));
      }
      if (target.id.kind == Kind::kNetworkInterface) {
        return Fail(Error::Conflict(
            "NicInUse", fmt::format("Network Interface {} is used by existing resource {}. In order to "
                                    "delete the network interface, it must be dissociated from the "
                                    "resource.",
                                    target.id.ToString(), other->id.ToString())));
      }
      std::string code = target.id.kind == Kind::kPublicIpAddress  ? "PublicIPAddressInUse"
                         : target.id.kind == Kind::kVirtualNetwork ? "InUseVirtualNetworkCannotBeDeleted"
                         : target.id.kind == Kind::kLocalNetworkGateway
                             ? "InUseLocalNetworkGatewayCannotBeDeleted"
                             : "InUseVirtualNetworkGatewayCannotBeDeleted";
      return Fail(Error::Conflict(code, fmt::format("The {} '{}' is in use by {} '{}' and cannot be deleted.",
                                                    DisplayName(target.id.kind), target.id.name,
                                                    DisplayName(other->id.kind), other->id.name)));
    }
  }
  return {};
}

Result<Plan> Planner::DeleteGroup(const ResourceId& id) {
  Plan plan;
  const Resource* group = state_.Find(id);
  if (!group) {
    plan.noop = true;
    return plan;
  }
  plan.result = *group;
  plan.async = true;
  if (group->doc["properties"].value("provisioningState", "") == kDeleting) return plan;
  // A resource outside the group that refers into it blocks the deletion.
  std::string prefix = id.Key() + "/";
  for (Kind k :
       {Kind::kVirtualNetworkGateway, Kind::kConnection, Kind::kNetworkInterface, Kind::kVirtualMachine}) {
    for (const Resource* other : state_.List(k, id.subscription)) {
      if (IEquals(other->id.resource_group, id.resource_group)) continue;
      for (Kind inner : {Kind::kVirtualNetwork, Kind::kPublicIpAddress, Kind::kVirtualNetworkGateway,
                         Kind::kLocalNetworkGateway, Kind::kNetworkInterface}) {
        for (const Resource* r : state_.List(inner, id.subscription, id.resource_group)) {
          if (RefersTo(ForwardReferences(*other), r->id.Key())) {
            return Fail(Error::Conflict(
                "ResourceGroupInUse",
                fmt::format("Resource group '{}' cannot be deleted: {} '{}' in group '{}' refers to {} '{}'.",
                            id.resource_group, DisplayName(other->id.kind), other->id.name,
                            other->id.resource_group, DisplayName(r->id.kind), r->id.name)));
          }
        }
      }
    }
  }
  for (Kind k :
       {Kind::kConnection, Kind::kVirtualNetworkGateway, Kind::kVirtualMachine, Kind::kNetworkInterface,
        Kind::kLocalNetworkGateway, Kind::kPublicIpAddress, Kind::kVirtualNetwork}) {
    for (const Resource* r : state_.List(k, id.subscription, id.resource_group)) {
      Resource m = *r;
      m.doc["properties"]["provisioningState"] = kDeleting;
      plan.changes.push_back({m.id.Key(), m});
    }
  }
  Resource g = *group;
  g.doc["properties"]["provisioningState"] = kDeleting;
  plan.changes.push_back({g.id.Key(), g});
  return plan;
}

std::vector<Change> Planner::FinishDelete(const Resource& r) const {
  std::vector<Change> out{{r.id.Key(), std::nullopt}};
  if (r.id.kind == Kind::kVirtualNetworkGateway) {
    // A Dynamic public IP returns its address to the pool when its gateway goes.
    for (const auto& cfg : r.doc["properties"].value("ipConfigurations", Json::array())) {
      auto pip_id = ResourceId::Parse(cfg["properties"]["publicIPAddress"].value("id", ""));
      const Resource* pip = pip_id ? state_.Find(*pip_id) : nullptr;
      if (!pip) continue;
      Resource p = *pip;
      p.doc["etag"] = fmt::format("W/\"{}\"", ctx_.new_guid());
      p.doc["properties"].erase("ipConfiguration");
      if (p.doc["properties"].value("publicIPAllocationMethod", "") == "Dynamic") {
        p.doc["properties"].erase("ipAddress");
      }
      out.push_back({p.id.Key(), p});
    }
  }
  if (r.id.kind == Kind::kVirtualMachine) {
    // The NIC stays, as Azure leaves it (deleteOption Detach); it only forgets the VM.
    for (const auto& ref : r.doc["properties"]["networkProfile"].value("networkInterfaces", Json::array())) {
      auto nic_id = ResourceId::Parse(ref.value("id", ""));
      const Resource* nic = nic_id ? state_.Find(*nic_id) : nullptr;
      if (!nic || !nic->doc["properties"].contains("virtualMachine") ||
          ToLower(nic->doc["properties"]["virtualMachine"].value("id", "")) != r.id.Key()) {
        continue;
      }
      Resource n = *nic;
      n.doc["properties"].erase("virtualMachine");
      n.doc["etag"] = fmt::format("W/\"{}\"", ctx_.new_guid());
      out.push_back({n.id.Key(), n});
    }
  }
  if (r.id.kind == Kind::kNetworkInterface) {
    for (auto& c : VnetChangesForNic(&r.doc, PendingNic{r.id.Key(), nullptr})) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace isthmus::mgmt
