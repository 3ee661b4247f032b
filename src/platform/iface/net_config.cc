// The value types of net_config.h and the rules both implementations share (net_config_rules.h).
#include "platform/iface/net_config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "platform/iface/net_config_rules.h"

namespace isthmus::platform {
namespace {

// Limits with provenance: IFNAMSIZ (linux/if.h) counts the terminating NUL; NAME_MAX (limits.h) is
// what iproute2 checks a namespace name against.
constexpr std::size_t kIfNameSize = 16;
constexpr std::size_t kNameMax = 255;

Status Invalid(std::string code, std::string message) {
  return Fail(Error::Invalid(std::move(code), std::move(message)));
}

// Thread-safe strerror: messages are built while other threads may format errors too.
std::string ErrnoText(int errnum) {
  char buf[128];
  return ::strerror_r(errnum, buf, sizeof buf);  // the GNU variant returns the text
}

ErrorKind KindOf(int errnum) {
  switch (errnum) {
    case EEXIST:
    case EADDRINUSE:
    case ENOTEMPTY:
    case EBUSY:
    // The request contradicts the namespace's state (a gateway off-link, a link down, IPv6 off): a
    // later pass, after the state changed, may succeed.
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EACCES:
      return ErrorKind::kConflict;
    case ENOENT:
    case ENODEV:
    case ESRCH:
    case ENXIO:
    case EADDRNOTAVAIL:
      return ErrorKind::kNotFound;
    case EINVAL:
    case ERANGE:
    case EOPNOTSUPP:
    case EAFNOSUPPORT:
    case ENAMETOOLONG:
    case ELOOP:
    case E2BIG:
      return ErrorKind::kInvalidArgument;
    case EAGAIN:
    case EINTR:
    case ENOBUFS:
    case ENOMEM:
    case ETIMEDOUT:
      return ErrorKind::kUnavailable;
    default:
      return ErrorKind::kInternal;
  }
}

const char* CodeOf(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConflict:
      return "NetConfigConflict";
    case ErrorKind::kNotFound:
      return "NetConfigNotFound";
    case ErrorKind::kInvalidArgument:
      return "NetConfigInvalid";
    case ErrorKind::kUnavailable:
      return "NetConfigUnavailable";
    default:
      return "NetConfigFailed";
  }
}

}  // namespace

std::string InterfaceAddress::ToString() const {
  return fmt::format("{}/{}", address.ToString(), prefix_length);
}

Result<InterfaceAddress> InterfaceAddress::Parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Fail(
        Error::Invalid("InvalidInterfaceAddress",
                       fmt::format("'{}' is not an interface address (address/length): {}", text, why)));
  };
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return bad("expected address/length");
  auto addr = net::IpAddress::Parse(text.substr(0, slash));
  if (!addr) return bad("the address part is not an IP address");
  const auto len_text = text.substr(slash + 1);
  int len = -1;
  auto [ptr, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (len_text.empty() || ec != std::errc() || ptr != len_text.data() + len_text.size() ||
      (len_text.size() > 1 && len_text[0] == '0')) {
    return bad("the length is not a number");
  }
  if (len < 0 || len > addr->bits()) return bad(fmt::format("the length must be 0..{}", addr->bits()));
  return InterfaceAddress{*addr, len};
}

Status CheckNetnsName(std::string_view name) {
  if (name.empty() || name.size() >= kNameMax || name == "." || name == ".." ||
      name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return Invalid("InvalidNetnsName", fmt::format("'{}' is not a valid network namespace name", name));
  }
  return {};
}

Status CheckLinkName(std::string_view name) {
  const bool bad_char = std::any_of(name.begin(), name.end(), [](char c) {
    return c == '/' || c == ':' || c == '\0' || std::isspace(static_cast<unsigned char>(c));
  });
  if (name.empty() || name.size() >= kIfNameSize || name == "." || name == ".." || bad_char) {
    return Invalid("InvalidLinkName",
                   fmt::format("'{}' is not a valid interface name (1..{} characters, no '/', ':' or space)",
                               name, kIfNameSize - 1));
  }
  return {};
}

Status CheckSysctlPath(std::string_view path) {
  auto bad = [&] {
    return Invalid("InvalidSysctlPath",
                   fmt::format("'{}' is not a sysctl path below net/ (e.g. ipv4/ip_forward)", path));
  };
  if (path.empty() || path.front() == '/' || path.back() == '/') return bad();
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    const auto part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == ".." || part.find('\0') != std::string_view::npos)
      return bad();
    start = end + 1;
  }
  return {};
}

Result<MacAddress> ParseMac(std::string_view text) {
  MacAddress mac{};
  // Exactly six two-digit groups: "aa:bb:cc:dd:ee:ff" is 17 characters.
  if (text.size() != 17)
    return Fail(Error::Invalid("InvalidMacAddress", fmt::format("'{}' is not a MAC address", text)));
  for (std::size_t i = 0; i < mac.size(); ++i) {
    const auto group = text.substr(i * 3, 2);
    if ((i < 5 && text[i * 3 + 2] != ':') || !std::isxdigit(static_cast<unsigned char>(group[0])) ||
        !std::isxdigit(static_cast<unsigned char>(group[1]))) {
      return Fail(Error::Invalid("InvalidMacAddress", fmt::format("'{}' is not a MAC address", text)));
    }
    std::from_chars(group.data(), group.data() + 2, mac[i], 16);
  }
  return mac;
}

std::string FormatMac(const MacAddress& m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5]);
}

bool UsableMac(const MacAddress& mac) {
  // The I/G bit (IEEE 802, bit 0 of the first octet) marks group addresses.
  const bool multicast = (mac[0] & 0x01) != 0;
  const bool zero = std::all_of(mac.begin(), mac.end(), [](std::uint8_t b) { return b == 0; });
  return !multicast && !zero;
}

Error NetConfigError(std::string_view ns, std::string_view what, int errnum, std::string_view detail) {
  const ErrorKind kind = KindOf(errnum);
  std::string message = fmt::format("netns {}: {}: {}", ns, what, ErrnoText(errnum));
  if (!detail.empty()) message += fmt::format(" ({})", detail);
  if (errnum == EPERM && detail.empty()) {
    message +=
        " — realizing networks needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN); run isthmusd as root, "
        "or with --fabric none to serve the API only";
  }
  return Error{kind, CodeOf(kind), std::move(message), std::string(ns)};
}

}  // namespace isthmus::platform
