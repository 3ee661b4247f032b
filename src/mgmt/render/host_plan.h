// The renderer: one consistent snapshot of the desired state in, the desired host state out — what
// must exist for every VNet, subnet, VM and gateway, and each gateway's complete configuration. A pure
// function (no I/O, no clock): the reconciler diffs its output against what it observes.
//
// The output is per host. On the single-host fabric every resource lands on the one host; a later
// per-host agent renders the same way and keeps what is placed on it (DESIGN.md §2, growth path).
//
// Topology (DESIGN.md §6), names derived from resource IDs so that a restart finds what exists:
//
//   {p}u  underlay ── bridge ul0 ──┬── g-<h> ═ wan0 (public IP / pool length)  {p}g-<h>  gateway ns
//                                  └── …                     lan0 (.4 of GatewaySubnet)
//   {p}v-<h>  VNet router: bridge br-<h> per subnet with .1; g-<h> and m-<h> enslaved to their subnet
//   {p}m-<h>  VM: eth0 (its NIC's address and MAC), default route via .1 of its subnet
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "gateway/config.h"
#include "mgmt/model/state.h"
#include "net/prefix.h"

namespace isthmus::mgmt::render {

// An emulated WAN between two regions (docs/fabric.md, "Regions that feel real"): what travels between a
// gateway of one and a gateway (or local network gateway) of the other goes through isthmus-impair. The
// same profile each way; loss, reordering and duplication apply per direction.
struct RegionPairImpairment {
  std::string region_a, region_b;               // Azure region names, compared case-insensitively
  std::optional<Duration> round_trip;           // nullopt: Microsoft's published P50 (net/region_latency.h)
  Duration jitter{};                            // one way
  double loss = 0, reorder = 0, duplicate = 0;  // fractions
};

struct RenderOptions {
  std::string prefix = "isth-";  // every namespace name starts with it (per test run in tests)
  std::string runtime_dir;       // where gateways' control sockets live (the fabric's state directory)
  net::Prefix underlay_pool;     // public IPs' prefix: the length of every wan0 address
  std::vector<RegionPairImpairment> impairments;
};

struct RoutePlan {
  net::Prefix destination;
  net::IpAddress via;
  auto operator<=>(const RoutePlan&) const = default;
};

struct BridgePlan {
  std::string subnet_key;  // the subnet's resource ID, lowercased
  std::string name;        // interface name in the router namespace
  net::Prefix prefix;
  net::IpAddress router_address;  // the subnet's .1 (Azure's default gateway)
  auto operator<=>(const BridgePlan&) const = default;
};

// A veth pair from a namespace of its own (VM, gateway) into a bridge of another namespace.
struct LegPlan {
  std::string ifname;       // inside the owning namespace
  std::string peer_ns;      // where the other end lives
  std::string peer_ifname;  // the other end's name there
  std::string bridge;       // the bridge in peer_ns it is enslaved to
  net::IpAddress address;   // on ifname
  int prefix_length = 0;
  std::string mac;  // lowercase colon form, "" to keep the kernel's
  auto operator<=>(const LegPlan&) const = default;
};

struct VnetPlan {
  std::string key;
  std::string name;  // the resource's name, for status
  std::string ns;
  std::vector<BridgePlan> bridges;
  std::vector<RoutePlan> routes;  // remote prefixes of the VNet's gateway's connections
  auto operator<=>(const VnetPlan&) const = default;
};

struct VmPlan {
  std::string key;
  std::string name;
  std::string ns;
  LegPlan nic;
  net::IpAddress default_gateway;
  auto operator<=>(const VmPlan&) const = default;
};

// isthmus-impair in a gateway's outside leg. The underlay end of wan0 (g-<h>) goes into a bridge of its own
// (b-<h>) with a TAP (t-<h>); the impairer forwards frames between that TAP and another (u-<h>) in the
// underlay's bridge. Only the gateway's egress is impaired, by destination: half the round trip each way,
// so a ping between two impaired gateways sees the whole round trip.
struct ImpairLink {
  net::IpAddress remote;  // the peer's public IP (a /32 rule)
  std::string remote_region;
  Duration one_way{};
  bool operator==(const ImpairLink&) const = default;
};
struct ImpairPlan {
  std::string bridge;     // b-<h>, in the underlay
  std::string inner_tap;  // t-<h>, in `bridge`
  std::string outer_tap;  // u-<h>, in the underlay's bridge
  std::string file_stem;  // its files in the runtime dir: {stem}.json, .status, .log, .pid
  std::vector<ImpairLink> links;
  std::string config_text;  // isthmus-impair's configuration file (inner -> outer = egress)
  bool operator==(const ImpairPlan&) const = default;
};

struct GatewayPlan {
  std::string key;
  std::string name;
  std::string ns;
  std::string file_stem;  // the gateway's files in the runtime dir: {stem}.json, .sock, .pid, .log
  LegPlan lan;
  LegPlan wan;
  std::vector<RoutePlan> routes;  // the VNet's address space via the GatewaySubnet's router address
  gateway::GatewayConfig config;
  std::string config_text;  // RenderGatewayConfig(config): what the fabric compares and writes
  std::int64_t reset_generation = 0;
  // Gateway connection name -> the connection resource's key (a Vnet2Vnet pair has one on each side).
  std::map<std::string, std::string> connection_keys;
  // Vnet2Vnet connections whose reverse connection (on the other gateway) does not exist: they stay
  // Connecting, as in Azure, however the IKE exchange goes.
  std::set<std::string> unpaired;
  std::optional<ImpairPlan> impair;  // set when a connection crosses an impaired pair of regions
};

struct HostPlan {
  std::string prefix;
  std::string underlay_ns;
  std::string underlay_bridge = "ul0";
  std::vector<VnetPlan> vnets;
  std::vector<VmPlan> vms;
  std::vector<GatewayPlan> gateways;
  // Resources that cannot be realized as declared, and why (a VM whose NIC is gone, say). They are
  // reported Failed with this message; everything else is realized.
  std::map<std::string, std::string> blocked;
  // Every resource key this plan accounts for (realized, blocked or needing nothing on the host).
  std::vector<std::string> keys;
};

// Names (pure functions of a resource key and the prefix).
std::string NameHash(const std::string& key, std::size_t hex_digits);
std::string VnetNamespace(const std::string& prefix, const std::string& vnet_key);
std::string GatewayNamespace(const std::string& prefix, const std::string& gateway_key);
std::string VmNamespace(const std::string& prefix, const std::string& vm_key);
std::string UnderlayNamespace(const std::string& prefix);

// Resources in Deleting are left out (the fabric removes what they had); everything else is rendered.
HostPlan Render(const State& state, const std::vector<std::string>& subscriptions,
                const RenderOptions& options);

// Azure's "10-0D-3A-…" MAC form to the kernel's "10:0d:3a:…"; "" when it is not a MAC.
std::string KernelMac(const std::string& azure_mac);

}  // namespace isthmus::mgmt::render
