#include "platform/linux/tap.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "platform/iface/net_config_rules.h"
#include "platform/linux/netns.h"

namespace isthmus::platform {
namespace {

// Opens /dev/net/tun and binds it to `name` in the calling thread's namespace (a tun descriptor's
// namespace is its opener's). Errors are worded as NetConfig's: "netns NS: TUNSETIFF tap wan0: …".
Status Attach(const std::string& name, const std::string& ns, bool persist, UniqueFd& out, bool& adopted) {
  const std::string what = "tap " + name;
  adopted = ::if_nametoindex(name.c_str()) != 0;
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return Fail(NetConfigError(ns, "open /dev/net/tun for " + what, errno));
  ifreq ifr{};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  std::memcpy(ifr.ifr_name, name.data(), name.size());  // CheckLinkName: shorter than IFNAMSIZ
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) != 0) {
    const int err = errno;
    const char* hint = err == EBUSY                 ? "another process holds this TAP"
                       : (err == EINVAL && adopted) ? "a device of this name exists and is not a TAP"
                       : err == EPERM               ? "needs CAP_NET_ADMIN"
                                                    : "";
    return Fail(NetConfigError(ns, "TUNSETIFF " + what, err, hint));
  }
  if (persist && ::ioctl(fd.get(), TUNSETPERSIST, 1) != 0) {
    return Fail(NetConfigError(ns, "TUNSETPERSIST " + what, errno));
  }
  out = std::move(fd);
  return {};
}

}  // namespace

Result<std::unique_ptr<LinuxTap>> LinuxTap::Open(const std::string& name, const TapOptions& options) {
  if (auto s = CheckLinkName(name); !s) return Fail(s.error());
  const std::string ns = options.netns.empty() ? "current" : options.netns;
  UniqueFd fd;
  bool adopted = false;
  if (options.netns.empty()) {
    if (auto s = Attach(name, ns, options.persist, fd, adopted); !s) return Fail(s.error());
  } else {
    UniqueFd ns_fd(::open(ns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns_fd) return Fail(NetConfigError(ns, "open " + ns, errno));
    if (::ioctl(ns_fd.get(), NS_GET_NSTYPE) != CLONE_NEWNET) {
      return Fail(NetConfigError(ns, "open " + ns, EINVAL, "not a network namespace"));
    }
    auto s = netns::RunIn(ns_fd.get(), ns, [&] { return Attach(name, ns, options.persist, fd, adopted); });
    if (!s) return Fail(s.error());
  }
  return std::unique_ptr<LinuxTap>(new LinuxTap(std::move(fd), name, options.netns, adopted));
}

Result<std::size_t> LinuxTap::Read(std::span<std::uint8_t> buffer) {
  const ssize_t n = ::read(fd_.get(), buffer.data(), buffer.size());
  if (n >= 0) return static_cast<std::size_t>(n);
  if (errno == EAGAIN || errno == EINTR) return std::size_t{0};
  return Fail(NetConfigError(Label(), "read tap " + name_, errno));
}

Status LinuxTap::Write(std::span<const std::uint8_t> frame) {
  if (::write(fd_.get(), frame.data(), frame.size()) >= 0) return {};
  // EIO: the device is down (nothing can be delivered into it).
  return Fail(NetConfigError(Label(), "write tap " + name_, errno));
}

Status LinuxTap::SetPersistent(bool on) {
  if (::ioctl(fd_.get(), TUNSETPERSIST, on ? 1 : 0) != 0) {
    return Fail(NetConfigError(Label(), "TUNSETPERSIST tap " + name_, errno));
  }
  return {};
}

}  // namespace isthmus::platform
