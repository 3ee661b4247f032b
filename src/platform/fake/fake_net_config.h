// FakeNetNs: the in-memory NetNs (and the NetConfig it opens) that every unit test shares, the
// reconciler's above all. It keeps what the kernel keeps and refuses what the kernel refuses, with the
// same errors (net_config_rules.h), wherever Isthmus depends on it — net_config_linux_test.cc runs the
// same checks against real namespaces:
//  - a new namespace has `lo` up with 127.0.0.1/8 and ::1/128; ifindexes count from 1 per namespace;
//  - a veth's ends live in their two namespaces; deleting either end, or the namespace of either end,
//    deletes both; a name taken on either side is EEXIST;
//  - deleting a bridge releases its ports; deleting a link deletes its addresses, routes and sysctls;
//  - a bridge whose MTU or MAC was never set follows its ports (lowest MTU, or 1500 without ports;
//    lowest MAC, or all zeros without ports);
//  - bringing a link down removes the routes through it and its IPv6 addresses (keep_addr_on_down=0);
//  - a device route needs its device up (ENETDOWN); a gateway must be on-link — inside the prefix of
//    an address on an up link, the route's device if it names one (IPv4 ENETUNREACH, IPv6
//    EHOSTUNREACH); an IPv6 link-local gateway needs the device named (EINVAL);
//  - IPv4 addresses are told apart by address and length, IPv6 ones by address alone;
//  - sysctls: ip_forward and a set of per-interface ones under ipv4/conf and ipv6/conf (all, default
//    and one directory per link, seeded from default); writing ip_forward or {ipv4,ipv6}/conf/all/
//    forwarding sets forwarding everywhere, disable_ipv6=1 drops a link's IPv6 addresses and routes
//    and refuses new ones (EACCES); values are integers (EINVAL); unknown paths are ENOENT.
// Left out, on purpose: a namespace outliving its name (the kernel keeps it while a process or an open
// NetConfig is inside; here Delete frees it at once and open NetConfigs of it fail NotFound; see
// SetPids), the kernel's asynchronous freeing, IPv6 link-local addresses and the kernel's own routes
// (never reported by either implementation), operational state (carrier), metrics and route tables
// other than main.
//
// Test controls: FailNext injects an error into the next call of one operation; Calls, MutatingCalls
// and Journal show what was asked. Thread-safe, so a reconciler thread and a test can share one.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "platform/iface/net_config.h"

namespace isthmus::platform {

class FakeNetNs final : public NetNs {
 public:
  FakeNetNs();
  ~FakeNetNs() override;
  FakeNetNs(const FakeNetNs&) = delete;
  FakeNetNs& operator=(const FakeNetNs&) = delete;

  Result<std::vector<std::string>> List() override;
  Status Create(const std::string& name) override;
  Status Delete(const std::string& name) override;
  // The NetConfig may outlive this FakeNetNs (they share the state).
  Result<std::unique_ptr<NetConfig>> Open(const std::string& name) override;
  Result<std::vector<int>> Pids(const std::string& name) override;

  // The next call of `op` — a method name of NetNs or NetConfig: "Create", "AddVeth", "Links", … —
  // in namespace `ns` (the namespace it names or configures; any when empty) returns `error` and
  // changes nothing. Several for one op are used one per call, in order.
  void FailNext(std::string op, Error error, std::string ns = {});
  // Calls of `op` (every call when empty) since construction or ResetCounts, failed ones included.
  std::size_t Calls(std::string_view op = {}) const;
  // Calls that may change something — all but List, Open, Pids, Links, Routes and GetSysctl — failed
  // ones included: a pass with nothing to do must make none.
  std::size_t MutatingCalls() const;
  // Those calls in order, one line each: "NS: AddVeth v0 NS2/eth0", "NS: ReplaceRoute 10.2.0.0/16
  // via 10.1.0.4 dev br0".
  std::vector<std::string> Journal() const;
  void ResetCounts();

  // What Pids(ns) answers (none by default: nothing runs in a fake namespace).
  void SetPids(const std::string& ns, std::vector<int> pids);
  // Namespaces deleted while SetPids still listed processes in them. On a host those processes would
  // keep the namespace and its veths alive, unnamed: a leak the caller should have prevented.
  std::vector<std::string> DeletedWithProcesses() const;

  struct World;  // the state shared with the NetConfigs it opened (fake_net_config.cc)

 private:
  std::shared_ptr<World> world_;
};

}  // namespace isthmus::platform
