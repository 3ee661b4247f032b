// What the TUN offloads ask of the reader (notes/this-machine.md "TUN"): finishing partial checksums,
// splitting TCP super-segments (TSO, IPv4 and IPv6) into MSS-sized packets, and TCP MSS clamping.
// Pure functions over caller-owned buffers: no syscalls, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/esp/drop_reason.h"
#include "dataplane/path/packet.h"

namespace isthmus::dataplane {

// Where split segments go: Reserve hands out room for one segment of at most `len` octets (nullptr =
// no room: the split stops and reports kOversize), Commit says how many were written there.
class SegmentSink {
 public:
  virtual ~SegmentSink() = default;
  virtual std::uint8_t* Reserve(std::size_t len) = 0;
  virtual void Commit(std::size_t len) = 0;
};

// A non-GSO packet read with VIRTIO_NET_HDR_F_NEEDS_CSUM: the checksum field at csum_start+csum_offset
// holds the pseudo-header sum; complete it over [csum_start, len). False if the offsets are bogus.
bool FinishChecksum(std::uint8_t* packet, std::size_t len, const pkt::VnetHdr& h);

// Splits a TSO super-segment (gso_type TCPV4/TCPV6) into gso_size-payload packets: per segment the IP
// total/payload length, IPv4 id (incrementing) and header checksum, TCP sequence number, flags (FIN and
// PSH only on the last, CWR only on the first) and a full TCP checksum. kMalformedInner if the packet
// does not parse as the TCP packet the header claims.
Drop SplitTcp(const pkt::VnetHdr& h, const std::uint8_t* packet, std::size_t len, SegmentSink& sink);

// How many segments SplitTcp will produce (0 if malformed), and the largest one's size.
std::size_t TcpSegmentCount(const pkt::VnetHdr& h, const std::uint8_t* packet, std::size_t len,
                            std::size_t* max_segment);

// Lowers the MSS option of a TCP SYN to at most `mss`, recomputing the TCP checksum.
// Returns true if it changed the packet. The TCP checksum must be complete (not a partial sum).
bool ClampMss(std::uint8_t* packet, const pkt::Parsed& p, std::uint16_t mss);

}  // namespace isthmus::dataplane
