#include "platform/linux/netlink_config.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include "platform/iface/net_config_rules.h"
#include "platform/linux/tap.h"

namespace isthmus::platform {
namespace {

// Implementation choice: a dump that races a change comes back marked interrupted (NLM_F_DUMP_INTR,
// libnl's NLE_DUMP_INTR); it is simply asked again, a few times, before the caller sees an error.
constexpr int kDumpAttempts = 3;
// The sysctl files below /proc/sys/net hold one short line.
constexpr std::size_t kSysctlMax = 4096;

struct NlDelete {
  void operator()(nl_msg* p) const { nlmsg_free(p); }
  void operator()(nl_cb* p) const { nl_cb_put(p); }
  void operator()(nl_cache* p) const { nl_cache_free(p); }
  void operator()(nl_addr* p) const { nl_addr_put(p); }
  void operator()(rtnl_link* p) const { rtnl_link_put(p); }
  void operator()(rtnl_addr* p) const { rtnl_addr_put(p); }
  void operator()(rtnl_route* p) const { rtnl_route_put(p); }
};
template <typename T>
using NlPtr = std::unique_ptr<T, NlDelete>;

// libnl's own failures (before anything reached the kernel, or in a dump) as the nearest errno.
int ErrnoOf(int nle) {
  switch (-nle) {
    case NLE_NOMEM:
      return ENOMEM;
    case NLE_AGAIN:
    case NLE_DUMP_INTR:
      return EAGAIN;
    case NLE_INTR:
      return EINTR;
    case NLE_NODEV:
    case NLE_OBJ_NOTFOUND:
      return ENODEV;
    case NLE_EXIST:
      return EEXIST;
    case NLE_PERM:
      return EPERM;
    case NLE_INVAL:
    case NLE_RANGE:
    case NLE_AF_MISMATCH:
      return EINVAL;
    default:
      return EIO;
  }
}

Error NlError(std::string_view ns, std::string_view what, int nle) {
  return NetConfigError(ns, what, ErrnoOf(nle), nl_geterror(nle));
}

// Puts "netns NS: WHAT: " before an error that does not say where it happened yet.
Error InNs(std::string_view ns, std::string_view what, Error e) {
  e.message = fmt::format("netns {}: {}: {}", ns, what, e.message);
  e.target = std::string(ns);
  return e;
}

int AddressFamily(const net::IpAddress& a) {
  return a.is_v4() ? AF_INET : AF_INET6;
}

NlPtr<nl_addr> ToNl(const net::IpAddress& a, int prefix_length) {
  NlPtr<nl_addr> n(nl_addr_build(AddressFamily(a), a.bytes(), a.is_v4() ? 4 : 16));
  if (n) nl_addr_set_prefixlen(n.get(), prefix_length);
  return n;
}

// A route's destination may come with no bytes at all (the default route).
std::optional<net::IpAddress> FromNl(nl_addr* a, int family) {
  const std::size_t want = family == AF_INET ? 4 : 16;
  std::uint8_t bytes[16] = {};
  if (a) {
    const std::size_t len = nl_addr_get_len(a);
    if (len != 0 && len != want) return std::nullopt;
    std::memcpy(bytes, nl_addr_get_binary_addr(a), len);
  }
  return net::IpAddress::FromBytes(family == AF_INET ? net::Family::kV4 : net::Family::kV6, bytes);
}

// fe80::/10 (RFC 4291 §2.5.6) and ff00::/8 (§2.7): never Isthmus's to report or manage.
bool LinkLocalV6(const net::IpAddress& a) {
  return !a.is_v4() && a.bytes()[0] == 0xfe && (a.bytes()[1] & 0xc0) == 0x80;
}
bool MulticastV6(const net::IpAddress& a) {
  return !a.is_v4() && a.bytes()[0] == 0xff;
}

std::string NameOf(nl_cache* links, int ifindex) {
  char buf[IFNAMSIZ] = {};
  if (ifindex <= 0 || !rtnl_link_i2name(links, ifindex, buf, sizeof buf)) return {};
  return buf;
}

template <typename Alloc>
int DumpWithRetry(Alloc alloc) {
  int rc = 0;
  for (int i = 0; i < kDumpAttempts; ++i) {
    rc = alloc();
    if (rc != -NLE_DUMP_INTR) break;
  }
  return rc;
}

template <typename Fn>
void ForEach(nl_cache* cache, Fn fn) {
  for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) fn(o);
}

std::string RouteText(const RouteInfo& r) {
  std::string s = r.destination.ToString();
  if (r.via) s += " via " + r.via->ToString();
  if (!r.device.empty()) s += " dev " + r.device;
  return s;
}

struct Ack {
  bool done = false;
  int error = 0;
  std::string detail;
};

int OnAck(nl_msg*, void* arg) {
  static_cast<Ack*>(arg)->done = true;
  return NL_STOP;
}

// The extended ack (NETLINK_EXT_ACK, linux/netlink.h) puts the kernel's reason in NLMSGERR_ATTR_MSG
// after the echoed request header (only the header: NETLINK_CAP_ACK), flagged NLM_F_ACK_TLVS.
int OnError(sockaddr_nl*, nlmsgerr* err, void* arg) {
  auto* ack = static_cast<Ack*>(arg);
  ack->done = true;
  ack->error = -err->error;
  // libnl hands over the payload of the NLMSG_ERROR message; its header sits right before it.
  const auto* base = reinterpret_cast<const char*>(err);
  const auto* hdr = reinterpret_cast<const nlmsghdr*>(base - NLMSG_HDRLEN);
  if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS) || hdr->nlmsg_len < NLMSG_HDRLEN) return NL_STOP;
  const std::size_t payload = hdr->nlmsg_len - NLMSG_HDRLEN;
  std::size_t offset = sizeof(nlmsgerr);
  if (!(hdr->nlmsg_flags & NLM_F_CAPPED) && err->msg.nlmsg_len >= NLMSG_HDRLEN) {
    offset += NLMSG_ALIGN(err->msg.nlmsg_len - NLMSG_HDRLEN);
  }
  if (offset >= payload) return NL_STOP;
  const auto* attrs = reinterpret_cast<const nlattr*>(base + offset);
  if (const nlattr* m = nla_find(attrs, static_cast<int>(payload - offset), NLMSGERR_ATTR_MSG)) {
    const auto* text = static_cast<const char*>(nla_data(m));
    ack->detail.assign(text, ::strnlen(text, static_cast<std::size_t>(nla_len(m))));
  }
  return NL_STOP;
}

}  // namespace

Result<std::unique_ptr<NetlinkConfig>> NetlinkConfig::Open(std::string ns, UniqueFd ns_fd) {
  nl_sock* sock = nullptr;
  auto made = netns::RunIn(ns_fd.get(), ns, [&]() -> Status {
    sock = nl_socket_alloc();
    if (!sock) return Fail(NetConfigError(ns, "open a netlink socket", ENOMEM));
    if (int rc = nl_connect(sock, NETLINK_ROUTE); rc < 0) {
      nl_socket_free(sock);
      sock = nullptr;
      return Fail(NlError(ns, "open a netlink socket", rc));
    }
    return {};
  });
  if (!made) return Fail(made.error());
  // Best effort (kernels since 4.12 have both): the kernel's reason with each error, and no echo of
  // the failed request.
  const int on = 1;
  (void)::setsockopt(nl_socket_get_fd(sock), SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
  (void)::setsockopt(nl_socket_get_fd(sock), SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
  return std::unique_ptr<NetlinkConfig>(new NetlinkConfig(std::move(ns), std::move(ns_fd), sock));
}

NetlinkConfig::NetlinkConfig(std::string ns, UniqueFd ns_fd, nl_sock* sock)
    : ns_(std::move(ns)), ns_fd_(std::move(ns_fd)), sock_(sock) {}

NetlinkConfig::~NetlinkConfig() {
  nl_socket_free(sock_);
}

int NetlinkConfig::Send(nl_msg* raw, std::string* detail) {
  NlPtr<nl_msg> msg(raw);
  if (!msg) return ENOMEM;
  NlPtr<nl_cb> base(nl_socket_get_cb(sock_));
  NlPtr<nl_cb> cb(base ? nl_cb_clone(base.get()) : nullptr);
  if (!cb) return ENOMEM;
  Ack ack;
  nl_cb_err(cb.get(), NL_CB_CUSTOM, OnError, &ack);
  nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, OnAck, &ack);
  // nl_send_auto asks for an acknowledgement (NLM_F_ACK) and numbers the request.
  if (int rc = nl_send_auto(sock_, msg.get()); rc < 0) {
    *detail = nl_geterror(rc);
    return ErrnoOf(rc);
  }
  while (!ack.done) {
    if (int rc = nl_recvmsgs(sock_, cb.get()); rc < 0 && !ack.done) {
      *detail = nl_geterror(rc);
      return ErrnoOf(rc);
    }
  }
  *detail = std::move(ack.detail);
  return ack.error;
}

Status NetlinkConfig::Transact(nl_msg* msg, std::string_view what) {
  std::string detail;
  if (int err = Send(msg, &detail); err != 0) return Fail(NetConfigError(ns_, what, err, detail));
  return {};
}

Result<nl_cache*> NetlinkConfig::LinkCache(std::string_view what) {
  nl_cache* cache = nullptr;
  const int rc = DumpWithRetry([&] {
    if (cache) nl_cache_free(cache);
    cache = nullptr;
    return rtnl_link_alloc_cache(sock_, AF_UNSPEC, &cache);
  });
  if (rc < 0) {
    if (cache) nl_cache_free(cache);
    return Fail(NlError(ns_, what, rc));
  }
  return cache;
}

Result<int> NetlinkConfig::IfIndex(const std::string& name, std::string_view what) {
  if (auto s = CheckLinkName(name); !s) return Fail(InNs(ns_, what, s.error()));
  rtnl_link* raw = nullptr;
  if (int rc = rtnl_link_get_kernel(sock_, 0, name.c_str(), &raw); rc < 0) {
    if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND) return Fail(NetConfigError(ns_, what, ENODEV));
    return Fail(NlError(ns_, what, rc));
  }
  NlPtr<rtnl_link> link(raw);
  return rtnl_link_get_ifindex(link.get());
}

Status NetlinkConfig::ChangeLink(const std::string& name, rtnl_link* raw_changes, std::string_view what) {
  NlPtr<rtnl_link> changes(raw_changes);
  if (!changes) return Fail(NetConfigError(ns_, what, ENOMEM));
  auto index = IfIndex(name, what);
  if (!index) return Fail(index.error());
  // Only the family and index of the original matter to the request libnl builds.
  NlPtr<rtnl_link> orig(rtnl_link_alloc());
  if (!orig) return Fail(NetConfigError(ns_, what, ENOMEM));
  rtnl_link_set_ifindex(orig.get(), *index);
  nl_msg* msg = nullptr;
  if (int rc = rtnl_link_build_change_request(orig.get(), changes.get(), 0, &msg); rc < 0) {
    return Fail(NlError(ns_, what, rc));
  }
  return Transact(msg, what);
}

Result<std::vector<LinkInfo>> NetlinkConfig::Links() {
  constexpr std::string_view what = "list links";
  auto cache = LinkCache(what);
  if (!cache) return Fail(cache.error());
  NlPtr<nl_cache> links(*cache);
  nl_cache* raw_addrs = nullptr;
  const int rc = DumpWithRetry([&] {
    if (raw_addrs) nl_cache_free(raw_addrs);
    raw_addrs = nullptr;
    return rtnl_addr_alloc_cache(sock_, &raw_addrs);
  });
  NlPtr<nl_cache> addrs(raw_addrs);
  if (rc < 0) return Fail(NlError(ns_, what, rc));

  std::map<int, std::vector<InterfaceAddress>> by_link;
  ForEach(addrs.get(), [&](nl_object* o) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    const int family = rtnl_addr_get_family(a);
    if (family != AF_INET && family != AF_INET6) return;
    auto ip = FromNl(rtnl_addr_get_local(a), family);
    if (!ip || LinkLocalV6(*ip)) return;
    by_link[rtnl_addr_get_ifindex(a)].push_back({*ip, rtnl_addr_get_prefixlen(a)});
  });

  std::vector<LinkInfo> out;
  ForEach(links.get(), [&](nl_object* o) {
    auto* l = reinterpret_cast<rtnl_link*>(o);
    LinkInfo info;
    info.name = rtnl_link_get_name(l) ? rtnl_link_get_name(l) : "";
    const char* kind = rtnl_link_get_type(l);
    const unsigned flags = rtnl_link_get_flags(l);
    // The kernel names no kind for the loopback device.
    info.kind = kind ? kind : (flags & IFF_LOOPBACK) ? "loopback" : "";
    info.master = NameOf(links.get(), rtnl_link_get_master(l));
    info.up = (flags & IFF_UP) != 0;
    info.mtu = rtnl_link_get_mtu(l);
    if (nl_addr* mac = rtnl_link_get_addr(l); mac && nl_addr_get_len(mac) == 6) {
      MacAddress m;
      std::memcpy(m.data(), nl_addr_get_binary_addr(mac), m.size());
      info.mac = FormatMac(m);
    }
    if (auto it = by_link.find(rtnl_link_get_ifindex(l)); it != by_link.end()) info.addresses = it->second;
    out.push_back(std::move(info));
  });
  return out;
}

Status NetlinkConfig::AddBridge(const std::string& name) {
  const std::string what = fmt::format("add bridge {}", name);
  if (auto s = CheckLinkName(name); !s) return Fail(InNs(ns_, what, s.error()));
  NlPtr<rtnl_link> link(rtnl_link_bridge_alloc());
  if (!link) return Fail(NetConfigError(ns_, what, ENOMEM));
  rtnl_link_set_name(link.get(), name.c_str());
  nl_msg* msg = nullptr;
  if (int rc = rtnl_link_build_add_request(link.get(), NLM_F_CREATE | NLM_F_EXCL, &msg); rc < 0) {
    return Fail(NlError(ns_, what, rc));
  }
  return Transact(msg, what);
}

Status NetlinkConfig::AddTap(const std::string& name) {
  const std::string what = fmt::format("add tap {}", name);
  if (auto s = CheckLinkName(name); !s) return Fail(InNs(ns_, what, s.error()));
  // LinuxTap adopts a TAP of that name; here, as for every other kind, an existing name is a conflict.
  auto links = Links();
  if (!links) return Fail(links.error());
  for (const auto& l : *links) {
    if (l.name == name) return Fail(NetConfigError(ns_, what, EEXIST));
  }
  TapOptions options;
  options.netns = fmt::format("/proc/self/fd/{}", ns_fd_.get());  // this namespace, named or not
  options.persist = true;
  auto tap = LinuxTap::Open(name, options);  // closed at once: the device stays, held by no process
  if (!tap) return Fail(tap.error());
  return {};
}

Status NetlinkConfig::AddVeth(const std::string& name, const std::string& peer_ns,
                              const std::string& peer_name) {
  const std::string what = fmt::format("add veth {} with peer {} in netns {}", name, peer_name, peer_ns);
  if (auto s = CheckLinkName(name); !s) return Fail(InNs(ns_, what, s.error()));
  if (auto s = CheckLinkName(peer_name); !s) return Fail(InNs(ns_, what, s.error()));
  auto peer_fd = netns::OpenNamed(peer_ns);
  if (!peer_fd && peer_fd.error().kind == ErrorKind::kNotFound) {
    return Fail(NetConfigError(ns_, what, ENOENT, fmt::format("no network namespace named {}", peer_ns)));
  }
  if (!peer_fd) {
    return Fail(peer_fd.error().kind == ErrorKind::kInvalidArgument ? InNs(ns_, what, peer_fd.error())
                                                                    : peer_fd.error());
  }
  NlPtr<rtnl_link> veth(rtnl_link_veth_alloc());
  if (!veth) return Fail(NetConfigError(ns_, what, ENOMEM));
  rtnl_link_set_name(veth.get(), name.c_str());
  // The request goes over this namespace's socket, so `name` is made here; the peer carries
  // IFLA_NET_NS_FD, so the kernel makes it in the peer namespace directly. Neither end is ever in the
  // namespace of the calling process.
  NlPtr<rtnl_link> peer(rtnl_link_veth_get_peer(veth.get()));
  if (!peer) return Fail(NetConfigError(ns_, what, ENOMEM));
  rtnl_link_set_name(peer.get(), peer_name.c_str());
  rtnl_link_set_ns_fd(peer.get(), peer_fd->get());
  nl_msg* msg = nullptr;
  if (int rc = rtnl_link_build_add_request(veth.get(), NLM_F_CREATE | NLM_F_EXCL, &msg); rc < 0) {
    return Fail(NlError(ns_, what, rc));
  }
  return Transact(msg, what);
}

Status NetlinkConfig::DeleteLink(const std::string& name) {
  const std::string what = fmt::format("delete link {}", name);
  if (auto s = CheckLinkName(name); !s) return Fail(InNs(ns_, what, s.error()));
  NlPtr<rtnl_link> link(rtnl_link_alloc());
  if (!link) return Fail(NetConfigError(ns_, what, ENOMEM));
  rtnl_link_set_name(link.get(), name.c_str());
  nl_msg* msg = nullptr;
  if (int rc = rtnl_link_build_delete_request(link.get(), &msg); rc < 0) return Fail(NlError(ns_, what, rc));
  return Transact(msg, what);
}

Status NetlinkConfig::SetUp(const std::string& name, bool up) {
  rtnl_link* changes = rtnl_link_alloc();
  if (changes && up) rtnl_link_set_flags(changes, IFF_UP);
  if (changes && !up) rtnl_link_unset_flags(changes, IFF_UP);
  return ChangeLink(name, changes, fmt::format("set {} {}", name, up ? "up" : "down"));
}

Status NetlinkConfig::SetMtu(const std::string& name, std::uint32_t mtu) {
  rtnl_link* changes = rtnl_link_alloc();
  if (changes) rtnl_link_set_mtu(changes, mtu);
  return ChangeLink(name, changes, fmt::format("set mtu {} on {}", mtu, name));
}

Status NetlinkConfig::SetMac(const std::string& name, const std::string& mac) {
  const std::string what = fmt::format("set mac {} on {}", mac, name);
  auto parsed = ParseMac(mac);
  if (!parsed) return Fail(InNs(ns_, what, parsed.error()));
  if (!UsableMac(*parsed)) {
    return Fail(InNs(ns_, what, Error::Invalid("InvalidMacAddress", "a multicast or all-zero address")));
  }
  NlPtr<nl_addr> lladdr(nl_addr_build(AF_LLC, parsed->data(), parsed->size()));
  rtnl_link* changes = rtnl_link_alloc();
  if (changes && lladdr) rtnl_link_set_addr(changes, lladdr.get());  // takes its own reference
  return ChangeLink(name, lladdr ? changes : nullptr, what);
}

Status NetlinkConfig::SetMaster(const std::string& name, const std::string& bridge) {
  const std::string what = bridge.empty() ? fmt::format("release {} from its bridge", name)
                                          : fmt::format("attach {} to bridge {}", name, bridge);
  int master = 0;  // IFLA_MASTER 0: no master
  if (!bridge.empty()) {
    auto index = IfIndex(bridge, what);
    if (!index) return Fail(index.error());
    master = *index;
  }
  rtnl_link* changes = rtnl_link_alloc();
  if (changes) rtnl_link_set_master(changes, master);
  return ChangeLink(name, changes, what);
}

bool NetlinkConfig::HasAddress(int ifindex, const InterfaceAddress& a) {
  nl_cache* raw = nullptr;
  if (rtnl_addr_alloc_cache(sock_, &raw) < 0) return false;
  NlPtr<nl_cache> addrs(raw);
  bool found = false;
  ForEach(addrs.get(), [&](nl_object* o) {
    auto* x = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_ifindex(x) != ifindex || rtnl_addr_get_prefixlen(x) != a.prefix_length) return;
    auto ip = FromNl(rtnl_addr_get_local(x), rtnl_addr_get_family(x));
    found = found || (ip && *ip == a.address);
  });
  return found;
}

Status NetlinkConfig::AddAddress(const std::string& link, const InterfaceAddress& a) {
  const std::string what = fmt::format("add address {} to {}", a.ToString(), link);
  if (a.prefix_length < 0 || a.prefix_length > a.address.bits()) {
    return Fail(NetConfigError(ns_, what, EINVAL, "prefix length out of range"));
  }
  auto index = IfIndex(link, what);
  if (!index) return Fail(index.error());
  NlPtr<rtnl_addr> addr(rtnl_addr_alloc());
  NlPtr<nl_addr> local = ToNl(a.address, a.prefix_length);
  if (!addr || !local) return Fail(NetConfigError(ns_, what, ENOMEM));
  rtnl_addr_set_ifindex(addr.get(), *index);
  rtnl_addr_set_local(addr.get(), local.get());
  rtnl_addr_set_prefixlen(addr.get(), a.prefix_length);
  // What ifconfig and `ip addr add … brd +` give an IPv4 subnet: its directed broadcast (RFC 919/922);
  // a /31 (RFC 3021) and a /32 have none.
  NlPtr<nl_addr> broadcast;
  if (a.address.is_v4() && a.prefix_length < 31) {
    const std::uint32_t host_mask = a.prefix_length == 0 ? ~0U : (~0U >> a.prefix_length);
    broadcast = ToNl(net::IpAddress::V4(a.address.v4() | host_mask), 32);
    if (broadcast) rtnl_addr_set_broadcast(addr.get(), broadcast.get());
  }
  nl_msg* msg = nullptr;
  if (int rc = rtnl_addr_build_add_request(addr.get(), NLM_F_CREATE | NLM_F_EXCL, &msg); rc < 0) {
    return Fail(NlError(ns_, what, rc));
  }
  std::string detail;
  const int err = Send(msg, &detail);
  // Idempotent: the same address with the same length already there is what the caller wants.
  if (err == 0 || (err == EEXIST && HasAddress(*index, a))) return {};
  return Fail(NetConfigError(ns_, what, err, detail));
}

Status NetlinkConfig::DeleteAddress(const std::string& link, const InterfaceAddress& a) {
  const std::string what = fmt::format("delete address {} from {}", a.ToString(), link);
  auto index = IfIndex(link, what);
  if (!index) return Fail(index.error());
  NlPtr<rtnl_addr> addr(rtnl_addr_alloc());
  NlPtr<nl_addr> local = ToNl(a.address, a.prefix_length);
  if (!addr || !local) return Fail(NetConfigError(ns_, what, ENOMEM));
  rtnl_addr_set_ifindex(addr.get(), *index);
  rtnl_addr_set_local(addr.get(), local.get());
  rtnl_addr_set_prefixlen(addr.get(), a.prefix_length);
  nl_msg* msg = nullptr;
  if (int rc = rtnl_addr_build_delete_request(addr.get(), 0, &msg); rc < 0)
    return Fail(NlError(ns_, what, rc));
  return Transact(msg, what);
}

Result<std::vector<RouteInfo>> NetlinkConfig::Routes() {
  constexpr std::string_view what = "list routes";
  auto cache = LinkCache(what);
  if (!cache) return Fail(cache.error());
  NlPtr<nl_cache> links(*cache);
  nl_cache* raw = nullptr;
  const int rc = DumpWithRetry([&] {
    if (raw) nl_cache_free(raw);
    raw = nullptr;
    return rtnl_route_alloc_cache(sock_, AF_UNSPEC, 0, &raw);
  });
  NlPtr<nl_cache> routes(raw);
  if (rc < 0) return Fail(NlError(ns_, what, rc));

  std::vector<RouteInfo> out;
  ForEach(routes.get(), [&](nl_object* o) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    const int family = rtnl_route_get_family(r);
    if ((family != AF_INET && family != AF_INET6) || rtnl_route_get_table(r) != RT_TABLE_MAIN ||
        rtnl_route_get_type(r) != RTN_UNICAST || rtnl_route_get_protocol(r) == RTPROT_KERNEL ||
        (rtnl_route_get_flags(r) & RTM_F_CLONED)) {
      return;
    }
    nl_addr* dst = rtnl_route_get_dst(r);
    auto ip = FromNl(dst, family);
    if (!ip || LinkLocalV6(*ip) || MulticastV6(*ip)) return;
    RouteInfo info;
    info.destination = net::Prefix::Of(*ip, dst ? static_cast<int>(nl_addr_get_prefixlen(dst)) : 0);
    if (rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0)) {
      info.device = NameOf(links.get(), rtnl_route_nh_get_ifindex(nh));
      if (nl_addr* gw = rtnl_route_nh_get_gateway(nh)) info.via = FromNl(gw, family);
    }
    out.push_back(std::move(info));
  });
  return out;
}

Status NetlinkConfig::ReplaceRoute(const RouteInfo& r) {
  const std::string what = fmt::format("replace route {}", RouteText(r));
  if (r.via && r.via->family() != r.destination.family()) {
    return Fail(NetConfigError(ns_, what, EINVAL, "the gateway's family differs from the destination's"));
  }
  if (!r.via && r.device.empty())
    return Fail(NetConfigError(ns_, what, EINVAL, "neither a device nor a gateway"));
  const bool v4 = r.destination.family() == net::Family::kV4;
  NlPtr<rtnl_route> route(rtnl_route_alloc());
  NlPtr<nl_addr> dst = ToNl(r.destination.address(), r.destination.length());
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  if (!route || !dst || !nh) {
    if (nh) rtnl_route_nh_free(nh);
    return Fail(NetConfigError(ns_, what, ENOMEM));
  }
  rtnl_route_add_nexthop(route.get(), nh);  // the route owns it from here
  rtnl_route_set_family(route.get(), v4 ? AF_INET : AF_INET6);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  // What `ip route replace` sends: protocol "boot" (set by an administrator), unicast, and for IPv4
  // scope link for a device route (the destination is on the wire) else universe; IPv6 has no scopes.
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  rtnl_route_set_scope(route.get(), v4 && !r.via ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE);
  if (int rc = rtnl_route_set_dst(route.get(), dst.get()); rc < 0) return Fail(NlError(ns_, what, rc));
  if (!r.device.empty()) {
    auto index = IfIndex(r.device, what);
    if (!index) return Fail(index.error());
    rtnl_route_nh_set_ifindex(nh, *index);
  }
  NlPtr<nl_addr> gw;
  if (r.via) {
    gw = ToNl(*r.via, r.via->bits());
    if (!gw) return Fail(NetConfigError(ns_, what, ENOMEM));
    rtnl_route_nh_set_gateway(nh, gw.get());
  }
  nl_msg* msg = nullptr;
  if (int rc = rtnl_route_build_add_request(route.get(), NLM_F_CREATE | NLM_F_REPLACE, &msg); rc < 0) {
    return Fail(NlError(ns_, what, rc));
  }
  return Transact(msg, what);
}

Status NetlinkConfig::DeleteRoute(const net::Prefix& destination) {
  const std::string what = fmt::format("delete route {}", destination.ToString());
  NlPtr<rtnl_route> route(rtnl_route_alloc());
  NlPtr<nl_addr> dst = ToNl(destination.address(), destination.length());
  if (!route || !dst) return Fail(NetConfigError(ns_, what, ENOMEM));
  rtnl_route_set_family(route.get(), destination.family() == net::Family::kV4 ? AF_INET : AF_INET6);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  // As `ip route del PREFIX`: any protocol, any type, any scope (RT_SCOPE_NOWHERE matches all).
  rtnl_route_set_protocol(route.get(), RTPROT_UNSPEC);
  rtnl_route_set_type(route.get(), RTN_UNSPEC);
  rtnl_route_set_scope(route.get(), RT_SCOPE_NOWHERE);
  if (int rc = rtnl_route_set_dst(route.get(), dst.get()); rc < 0) return Fail(NlError(ns_, what, rc));
  nl_msg* msg = nullptr;
  if (int rc = rtnl_route_build_del_request(route.get(), 0, &msg); rc < 0)
    return Fail(NlError(ns_, what, rc));
  std::string detail;
  const int err = Send(msg, &detail);
  if (err == 0) return {};
  // ESRCH reads "No such process"; say what is missing.
  return Fail(NetConfigError(ns_, what, err, err == ESRCH && detail.empty() ? "no such route" : detail));
}

Status NetlinkConfig::SetSysctl(const std::string& path, const std::string& value) {
  const std::string what = fmt::format("set sysctl net/{} to {}", path, value);
  if (auto s = CheckSysctlPath(path); !s) return Fail(InNs(ns_, what, s.error()));
  return netns::RunIn(ns_fd_.get(), ns_, [&]() -> Status {
    UniqueFd fd(::open(("/proc/sys/net/" + path).c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return Fail(NetConfigError(ns_, what, errno));
    const ssize_t n = ::write(fd.get(), value.data(), value.size());
    if (n < 0) return Fail(NetConfigError(ns_, what, errno));
    if (static_cast<std::size_t>(n) != value.size())
      return Fail(NetConfigError(ns_, what, EIO, "short write"));
    return {};
  });
}

Result<std::string> NetlinkConfig::GetSysctl(const std::string& path) {
  const std::string what = fmt::format("read sysctl net/{}", path);
  if (auto s = CheckSysctlPath(path); !s) return Fail(InNs(ns_, what, s.error()));
  std::string value;
  auto read = netns::RunIn(ns_fd_.get(), ns_, [&]() -> Status {
    UniqueFd fd(::open(("/proc/sys/net/" + path).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Fail(NetConfigError(ns_, what, errno));
    char buf[kSysctlMax];
    ssize_t n = 0;
    while ((n = ::read(fd.get(), buf, sizeof buf)) > 0 && value.size() < kSysctlMax) value.append(buf, n);
    if (n < 0) return Fail(NetConfigError(ns_, what, errno));
    return {};
  });
  if (!read) return Fail(read.error());
  while (!value.empty() && value.back() == '\n') value.pop_back();
  return value;
}

}  // namespace isthmus::platform
