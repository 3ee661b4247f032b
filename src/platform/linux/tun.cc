#include "platform/linux/tun.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace isthmus::platform {
namespace {

Error Errno(const std::string& what) {
  return {ErrorKind::kUnavailable, "TunError", fmt::format("{}: {}", what, std::strerror(errno)), {}};
}

}  // namespace

Result<std::unique_ptr<LinuxTun>> LinuxTun::Open(const std::string& name, const TunOptions& options) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return Fail(
        Error::Invalid("InvalidInterfaceName",
                       fmt::format("interface name '{}' must be 1..{} characters", name, IFNAMSIZ - 1)));
  }
  int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Fail(Errno("open /dev/net/tun"));
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (options.offloads ? IFF_VNET_HDR : 0);
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd, TUNSETIFF, &ifr) != 0) {
    Error e = Errno(fmt::format("TUNSETIFF {}", name));
    ::close(fd);
    return Fail(std::move(e));
  }
  if (options.offloads) {
    // TSO without CSUM is EINVAL; ECN is needed for TCP flows that negotiate it.
    unsigned flags = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    if (::ioctl(fd, TUNSETOFFLOAD, flags) != 0) {
      Error e = Errno(fmt::format("TUNSETOFFLOAD {}", name));
      ::close(fd);
      return Fail(std::move(e));
    }
  }
  return std::unique_ptr<LinuxTun>(new LinuxTun(fd, ifr.ifr_name, options.offloads));
}

LinuxTun::~LinuxTun() {
  ::close(fd_);
}

Result<std::size_t> LinuxTun::Read(std::span<std::uint8_t> buffer) {
  ssize_t n = ::read(fd_, buffer.data(), buffer.size());
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return std::size_t{0};
    return Fail(Errno(fmt::format("read {}", name_)));
  }
  return static_cast<std::size_t>(n);
}

Status LinuxTun::Write(std::span<const std::uint8_t> packet) {
  ssize_t n = ::write(fd_, packet.data(), packet.size());
  if (n < 0) return Fail(Errno(fmt::format("write {}", name_)));
  return {};
}

}  // namespace isthmus::platform
