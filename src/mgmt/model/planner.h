// Planner: turns one management request into a validated, whole set of changes to the desired state.
//
// Every rule of the resource model lives here (or in the *_rules.cc files it dispatches to), so that
// REST, templates and the reconciler all see the same model. The planner never writes: it reads the
// current State and returns a Plan that the service commits atomically, or an Error that names what is
// wrong. Nothing is half-applied because nothing is applied here.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "mgmt/model/state.h"
#include "net/prefix.h"

namespace isthmus::mgmt {

// Provisioning states, as ARM spells them.
inline constexpr const char* kSucceeded = "Succeeded";
inline constexpr const char* kUpdating = "Updating";
inline constexpr const char* kDeleting = "Deleting";
inline constexpr const char* kFailed = "Failed";

struct PlanContext {
  std::function<std::string()> new_guid;  // injected so tests are deterministic
  net::Prefix underlay_pool;              // public IP addresses are allocated from here
};

struct Plan {
  std::vector<Change> changes;
  std::vector<std::string> warnings;  // accepted, but the user should know (e.g. a small GatewaySubnet)
  Resource result;                    // the target after the change (PUT/PATCH), or before (DELETE)
  bool created = false;               // PUT made a new resource
  bool noop = false;                  // DELETE of something that does not exist
  bool async = false;                 // the reconciler must finish it (provisioningState Updating/Deleting)
};

class Planner {
 public:
  Planner(const State& state, PlanContext ctx) : state_(state), ctx_(std::move(ctx)) {}

  // Create or replace any kind (resource groups and subnets included).
  Result<Plan> Put(const ResourceId& id, const Json& body);
  // PATCH: tags only, as Azure's PATCH of network resources.
  Result<Plan> PatchTags(const ResourceId& id, const Json& body);
  // DELETE: refuses what is still referenced; a group marks everything inside for deletion.
  Result<Plan> Delete(const ResourceId& id);
  Result<Plan> SetSharedKey(const ResourceId& connection, const std::string& key);

  // Changes that finish a deletion the reconciler has carried out (erase + release public IPs).
  std::vector<Change> FinishDelete(const Resource& r) const;

 private:
  struct Envelope {  // common ARM fields of a request
    std::string location;
    Json tags;
  };
  Result<Envelope> ReadEnvelope(const ResourceId& id, const Json& body, bool needs_location) const;
  Json BaseDoc(const ResourceId& id, const Envelope& env, const Resource* existing) const;

  Result<Plan> PutGroup(const ResourceId& id, const Json& body);
  Result<Plan> PutVnet(const ResourceId& id, const Json& body);
  Result<Plan> PutSubnet(const ResourceId& id, const Json& body);
  Result<Plan> PutPublicIp(const ResourceId& id, const Json& body);
  Result<Plan> PutGateway(const ResourceId& id, const Json& body);
  Result<Plan> PutLocalGateway(const ResourceId& id, const Json& body);
  Result<Plan> PutConnection(const ResourceId& id, const Json& body);
  Result<Plan> PutNetworkInterface(const ResourceId& id, const Json& body);
  Result<Plan> PutVirtualMachine(const ResourceId& id, const Json& body);

  Result<Plan> DeleteGroup(const ResourceId& id);
  // The first resource whose references keep `target` from being deleted, as an ARM error.
  Status CheckNotReferenced(const Resource& target) const;

  // VNet helpers (vnet_rules.cc).
  Result<Json> NormalizeSubnet(const ResourceId& vnet_id, const Json& subnet, const std::string& path) const;
  Status CheckVnetSpace(const ResourceId& vnet_id, const net::PrefixSet& space, const Json& subnets) const;
  // Connections whose two ends would overlap if `vnet` had `space` (rule: no overlap across a connection).
  Status CheckConnectedOverlap(const ResourceId& vnet_id, const net::PrefixSet& space) const;
  const Resource* GatewayInVnet(const ResourceId& vnet_id) const;

  // Gateway/connection helpers.
  net::PrefixSet VnetSpace(const Resource& vnet) const;
  net::PrefixSet SpaceBehind(const Resource& gateway_or_local) const;  // VNet space or local prefixes
  const Resource* VnetOfGateway(const Resource& gateway) const;
  std::vector<const Resource*> ConnectionsUsing(const ResourceId& gateway_id) const;
  Result<std::string> AllocatePublicIp(const std::string& subscription, const std::string& exclude_key) const;

  // NIC and VM helpers (vm_rules.cc).
  struct PendingNic {  // a NIC document about to change: `doc` null means it is being deleted
    std::string key;
    const Json* doc = nullptr;
  };
  // The NICs with an ipConfiguration in the subnet (by lowercased subnet ID), `pending` applied.
  std::vector<std::pair<std::string, Json>> NicConfigsInSubnet(const std::string& subnet_key,
                                                               const PendingNic* pending) const;
  // Sets each subnet's properties.ipConfigurations (the IDs of the NIC configurations in it), as Azure lists
  // them; subnets without NICs have none.
  void ListSubnetIpConfigurations(Json& subnets, const PendingNic* pending) const;
  // A subnet that NICs use can be neither removed nor re-addressed (`subnets` is the VNet's new list).
  Status CheckSubnetsKeepNics(const Resource& vnet, const Json& subnets) const;
  // The VNet documents a NIC change touches (the subnet it leaves and the one it joins), re-listed.
  std::vector<Change> VnetChangesForNic(const Json* before, const PendingNic& after) const;
  Result<std::string> AllocatePrivateIp(const Json& subnet, const std::string& nic_key) const;
  Status CheckStaticPrivateIp(const Json& subnet, const std::string& address, const std::string& nic_key,
                              const std::string& path) const;
  Result<std::string> NewMacAddress() const;
  Result<const Json*> NicSubnet(const ResourceId& nic, const std::string& location, const Json& cprops,
                                const std::string& cpath) const;
  // {allocation method, address}
  Result<std::pair<std::string, std::string>> NicAddress(const Json& subnet, const Json& cprops,
                                                         const std::string& path, const Resource* existing,
                                                         const std::string& nic_key) const;
  Result<const Resource*> VmNic(const ResourceId& vm, const std::string& location, const Json& props) const;
  std::vector<Change> NicBackReferences(const ResourceId& vm, const Resource& nic,
                                        const Json* old_props) const;
  const Resource* VmUsingNic(const std::string& nic_key, const std::string& except_vm_key) const;

  // Finishes a plan for a single-resource put.
  Plan Single(Resource r, bool created, bool async) const;

  const State& state_;
  PlanContext ctx_;
};

// Validates a shared key against Azure's rules (1-128 printable ASCII characters, no spaces).
Status CheckSharedKey(const std::string& key);
// Validates and normalizes one entry of properties.ipsecPolicies.
Result<Json> NormalizeIpsecPolicy(const Json& policy, const std::string& path);
// Azure's tunnel limit per gateway SKU; 0 for an unknown SKU.
int TunnelLimit(const std::string& sku);
extern const std::vector<std::string> kGatewaySkus;

// Azure refuses to change a resource while an operation on it is still running (409).
Status CheckNotBusy(const Resource* existing);

// The Azure resource-name rules (network resources: 1-80; VMs: 1-64; groups: 1-90).
Status CheckName(Kind kind, const std::string& name);

// The references in a stored document that keep what they name alive: a NIC's back-reference to its VM
// (properties.virtualMachine) does not keep the VM from being deleted, its subnet does keep the VNet.
const Json& ForwardReferences(const Resource& r);

}  // namespace isthmus::mgmt
