// "Packet too big" answers for packets that do not fit the tunnel: ICMP destination unreachable /
// fragmentation needed (RFC 792, RFC 1191 §4) and ICMPv6 packet too big (RFC 4443 §3.2). Built into a
// caller buffer; no allocation.
#pragma once

#include <cstddef>
#include <cstdint>

namespace isthmus::dataplane {

// Builds the error for `packet` (an IP packet that exceeded `mtu`) into `out` (at least 1280 octets),
// from `source` (4 or 16 octets; the gateway's address, or the packet's own destination when the
// gateway has none in that family). Returns its length, or 0 when no error may be sent (an IPv4 packet
// without DF gets fragmented instead, by RFC; not an error about an ICMP error; malformed input).
std::size_t BuildTooBig(const std::uint8_t* packet, std::size_t len, std::uint32_t mtu,
                        const std::uint8_t* source, std::uint8_t* out, std::size_t out_size);

}  // namespace isthmus::dataplane
