// Rules both NetConfig implementations share (platform/linux and platform/fake), so that the fake refuses
// exactly what Linux refuses and words its errors the same way. Not for callers outside platform/ and
// its tests: they see only net_config.h.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace isthmus::platform {

// iproute2's rule for `ip netns add NAME`: a single path component under /run/netns.
Status CheckNetnsName(std::string_view name);
// The kernel's dev_valid_name() (net/core/dev.c): 1..IFNAMSIZ-1 bytes, not "." or "..", no '/', ':'
// or white space.
Status CheckLinkName(std::string_view name);
// A path below /proc/sys/net/: relative, made of non-empty components, none "." or "..".
Status CheckSysctlPath(std::string_view path);

using MacAddress = std::array<std::uint8_t, 6>;
// "aa:bb:cc:dd:ee:ff" (either case). Only the syntax: the kernel's own rule for a link address is
// UsableMac.
Result<MacAddress> ParseMac(std::string_view text);
std::string FormatMac(const MacAddress& mac);  // lowercase
// eth_validate_addr(): neither multicast nor all zeros, else the kernel answers EADDRNOTAVAIL.
bool UsableMac(const MacAddress& mac);

// The error for a failed operation in namespace `ns`: "netns NS: WHAT: strerror(errnum)[ (detail)]",
// with the ErrorKind a caller can act on (EEXIST is Conflict, ENODEV/ESRCH/… NotFound, EINVAL Invalid,
// transient conditions Unavailable). `detail` is the kernel's extended-ack text when it gave one.
Error NetConfigError(std::string_view ns, std::string_view what, int errnum, std::string_view detail = {});

}  // namespace isthmus::platform
