// Network configuration of Linux network namespaces: links (veth, bridge), addresses, routes and
// sysctls, over netlink (libnl-route-3) in platform/linux, in memory in platform/fake.
//
// NetNs is the set of named namespaces (the /run/netns/NAME convention of iproute2, so `ip netns exec`
// works on what Isthmus makes); NetConfig is one namespace's configuration. Nothing here ever
// configures the host's own namespace: Open() takes a name, and a name is always a created namespace.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/prefix.h"

namespace isthmus::platform {

// An address on an interface: host bits kept (10.1.0.1/24), unlike net::Prefix.
struct InterfaceAddress {
  net::IpAddress address;
  int prefix_length = 0;
  std::string ToString() const;  // "10.1.0.1/24"
  static Result<InterfaceAddress> Parse(std::string_view text);
  net::Prefix Network() const { return net::Prefix::Of(address, prefix_length); }
  auto operator<=>(const InterfaceAddress&) const = default;
};

struct LinkInfo {
  std::string name;
  std::string kind;  // "veth", "bridge", "tun" (TUN or TAP), "loopback", … ("" when the kernel names none)
  std::string master;  // the bridge it is enslaved to, "" if none
  bool up = false;     // administratively up (IFF_UP)
  std::uint32_t mtu = 0;
  std::string mac;                          // "aa:bb:cc:dd:ee:ff", lowercase; "" for links without one
  std::vector<InterfaceAddress> addresses;  // IPv4 and global IPv6; link-local IPv6 left out
};

struct RouteInfo {
  net::Prefix destination;
  std::optional<net::IpAddress> via;  // gateway; none for a device route
  std::string device;                 // output interface name
  auto operator<=>(const RouteInfo&) const = default;
};

// One namespace. Every call is synchronous and either fully applied or an error naming the object.
class NetConfig {
 public:
  virtual ~NetConfig() = default;
  virtual const std::string& ns() const = 0;

  virtual Result<std::vector<LinkInfo>> Links() = 0;
  virtual Status AddBridge(const std::string& name) = 0;
  // A veth pair: `name` here and `peer_name` in namespace `peer_ns` (created there directly, so the
  // host namespace never holds either end). Both ends are left down.
  virtual Status AddVeth(const std::string& name, const std::string& peer_ns,
                         const std::string& peer_name) = 0;
  // A persistent TAP device (no process holds it yet): it keeps its configuration while the process
  // that carries its frames (isthmus-impair) comes and goes, and loses carrier meanwhile. Left down.
  virtual Status AddTap(const std::string& name) = 0;
  virtual Status DeleteLink(const std::string& name) = 0;  // NotFound when absent
  virtual Status SetUp(const std::string& name, bool up) = 0;
  virtual Status SetMtu(const std::string& name, std::uint32_t mtu) = 0;
  virtual Status SetMac(const std::string& name, const std::string& mac) = 0;
  virtual Status SetMaster(const std::string& name, const std::string& bridge) = 0;   // "" releases it
  virtual Status AddAddress(const std::string& link, const InterfaceAddress& a) = 0;  // ok if present
  virtual Status DeleteAddress(const std::string& link, const InterfaceAddress& a) = 0;

  // Routes of the main table that Isthmus may manage: unicast, not the kernel's own connected routes
  // (proto kernel) and not IPv6 link-local.
  virtual Result<std::vector<RouteInfo>> Routes() = 0;
  virtual Status ReplaceRoute(const RouteInfo& r) = 0;
  virtual Status DeleteRoute(const net::Prefix& destination) = 0;  // NotFound when absent

  // A sysctl of this namespace, by its /proc/sys path below net/: "ipv4/ip_forward",
  // "ipv4/conf/all/rp_filter", "ipv6/conf/lan0/disable_ipv6".
  virtual Status SetSysctl(const std::string& path, const std::string& value) = 0;
  virtual Result<std::string> GetSysctl(const std::string& path) = 0;
};

class NetNs {
 public:
  virtual ~NetNs() = default;
  virtual Result<std::vector<std::string>> List() = 0;  // every named namespace, sorted
  // Creates an empty namespace with `lo` up; Conflict when it exists.
  virtual Status Create(const std::string& name) = 0;
  // Deletes the name (the kernel frees the namespace when its last process leaves). NotFound when absent.
  virtual Status Delete(const std::string& name) = 0;
  virtual Result<std::unique_ptr<NetConfig>> Open(const std::string& name) = 0;  // NotFound when absent
  // PIDs of processes whose network namespace is `name` (what `ip netns pids` prints).
  virtual Result<std::vector<int>> Pids(const std::string& name) = 0;
};

}  // namespace isthmus::platform
