// Why the data plane dropped a packet: every drop is counted under one of these (DESIGN.md §7).
#pragma once

#include <array>
#include <cstdint>

namespace isthmus::dataplane {

enum class Drop : std::uint8_t {
  kNone = 0,
  kTruncated,           // shorter than an ESP header + IV + ICV, or not a whole number of cipher blocks
  kUnknownSpi,          // no inbound SA with this SPI
  kSeqZero,             // sequence number 0 is never sent (RFC 4303 §3.3.3)
  kReplayed,            // already received (RFC 4303 §3.4.3)
  kTooOld,              // left of the replay window
  kBadIcv,              // authentication failed: tampered, or the wrong key
  kBadPadding,          // padding bytes not 1, 2, 3, ... or pad length beyond the payload (RFC 4303 §2.4)
  kBadNextHeader,       // neither IPv4 (4) nor IPv6 (41)
  kDummyPacket,         // next header 59: traffic-flow-confidentiality filler, dropped silently (§2.6)
  kNoSaForDestination,  // outbound: no connection's remote prefixes contain the destination
  kOversize,            // does not fit the buffer or the path MTU
  kSeqExhausted,        // outbound sequence number space used up: the SA must be rekeyed (§3.3.3)
  kMalformedInner,      // the inner packet is not a well-formed IP packet
  // Added with sad/ and path/ (the packet path):
  kSaExpired,         // the SA crossed a hard byte/packet/time limit and no longer carries traffic
  kSelectorMismatch,  // inbound: the inner addresses are outside the SA's traffic selectors (RFC 4301 §5.2)
  kNotForUs,          // a non-ESP-marker datagram with no IKE handler attached
  kIoError,           // the TUN write or UDP send failed (buffer full, device down)
  kCount,
};

const char* DropName(Drop d);

using DropCounters = std::array<std::uint64_t, static_cast<std::size_t>(Drop::kCount)>;

}  // namespace isthmus::dataplane
