// NetConfig over rtnetlink (libnl-route-3) for one network namespace, and LinuxNetNs (netns.h), which
// hands them out.
//
// Every request goes over a netlink socket that was opened inside the namespace (a socket stays in the
// namespace it was created in), so the process's own threads never change namespace; sysctls are read
// and written by a short-lived thread that enters the namespace, as /proc/sys/net shows the namespace of
// the thread that opens a file there. Requests are acknowledged one by one and fail with the kernel's
// errno and, when it gives one, its extended-ack message.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "platform/iface/net_config.h"
#include "platform/linux/netns.h"

struct nl_sock;
struct nl_msg;
struct nl_cache;
struct rtnl_link;

namespace isthmus::platform {

// One socket, one request at a time: a NetlinkConfig is for one thread at a time (open one per thread;
// LinuxNetNs itself keeps no state).
class NetlinkConfig final : public NetConfig {
 public:
  // `ns` names the namespace in errors; `ns_fd` is its descriptor (kept: veth peers and sysctls need
  // it). The socket is opened by a helper thread inside it.
  static Result<std::unique_ptr<NetlinkConfig>> Open(std::string ns, UniqueFd ns_fd);
  ~NetlinkConfig() override;
  NetlinkConfig(const NetlinkConfig&) = delete;
  NetlinkConfig& operator=(const NetlinkConfig&) = delete;

  const std::string& ns() const override { return ns_; }
  Result<std::vector<LinkInfo>> Links() override;
  Status AddBridge(const std::string& name) override;
  Status AddTap(const std::string& name) override;
  Status AddVeth(const std::string& name, const std::string& peer_ns, const std::string& peer_name) override;
  Status DeleteLink(const std::string& name) override;
  Status SetUp(const std::string& name, bool up) override;
  Status SetMtu(const std::string& name, std::uint32_t mtu) override;
  Status SetMac(const std::string& name, const std::string& mac) override;
  Status SetMaster(const std::string& name, const std::string& bridge) override;
  Status AddAddress(const std::string& link, const InterfaceAddress& a) override;
  Status DeleteAddress(const std::string& link, const InterfaceAddress& a) override;
  Result<std::vector<RouteInfo>> Routes() override;
  Status ReplaceRoute(const RouteInfo& r) override;
  Status DeleteRoute(const net::Prefix& destination) override;
  Status SetSysctl(const std::string& path, const std::string& value) override;
  Result<std::string> GetSysctl(const std::string& path) override;

 private:
  NetlinkConfig(std::string ns, UniqueFd ns_fd, nl_sock* sock);
  // Sends `msg` (consumed) and waits for its acknowledgement: 0, or the kernel's errno with its
  // extended-ack text in `detail`.
  int Send(nl_msg* msg, std::string* detail);
  // Send, with the failure worded as "netns NS: WHAT: …".
  Status Transact(nl_msg* msg, std::string_view what);
  Result<nl_cache*> LinkCache(std::string_view what);
  Result<int> IfIndex(const std::string& name, std::string_view what);
  // Applies the attributes set in `changes` (consumed) to link `name`.
  Status ChangeLink(const std::string& name, rtnl_link* changes, std::string_view what);
  bool HasAddress(int ifindex, const InterfaceAddress& a);

  std::string ns_;
  UniqueFd ns_fd_;
  nl_sock* sock_;
};

}  // namespace isthmus::platform
