#include "dataplane/path/icmp_error.h"

#include <algorithm>
#include <cstring>

#include "dataplane/path/packet.h"

namespace isthmus::dataplane {

using namespace pkt;

std::size_t BuildTooBig(const std::uint8_t* packet, std::size_t len, std::uint32_t mtu,
                        const std::uint8_t* source, std::uint8_t* out, std::size_t out_size) {
  Parsed h;
  if (out_size < 1280 || !Parse(packet, len, &h)) return 0;
  if (h.v4) {
    if ((Load16(packet + 6) & 0x4000) == 0) return 0;  // no DF: the sender allows fragmentation
    if (h.proto == kProtoIcmp && h.total > h.ip_len && packet[h.ip_len] != 8 && packet[h.ip_len] != 0)
      return 0;
    // RFC 792: the IP header plus the first 64 bits of the datagram; RFC 1812 §4.3.2.3 allows more.
    const std::size_t quoted = std::min<std::size_t>(h.total, 548);
    const std::size_t total = 20 + 8 + quoted;
    std::memset(out, 0, 28);
    out[0] = 0x45;
    Store16(out + 2, static_cast<std::uint16_t>(total));
    out[8] = 64;
    out[9] = kProtoIcmp;
    std::memcpy(out + 12, source, 4);
    std::memcpy(out + 16, h.src, 4);
    SetIpv4Checksum(out);
    std::uint8_t* icmp = out + 20;
    icmp[0] = 3;                                         // destination unreachable
    icmp[1] = 4;                                         // fragmentation needed and DF set
    Store16(icmp + 6, static_cast<std::uint16_t>(mtu));  // RFC 1191 §4: next-hop MTU
    std::memcpy(icmp + 8, packet, quoted);
    StoreSum(icmp + 2, static_cast<std::uint16_t>(~Fold(Sum(icmp, 8 + quoted))));
    return total;
  }
  if (h.proto == kProtoIcmpV6 && h.total > 40 && packet[40] < 128) return 0;  // never about an error
  // RFC 4443 §2.4(c): as much of the packet as fits in the minimum MTU.
  const std::size_t quoted = std::min<std::size_t>(h.total, 1280 - 48);
  const std::size_t total = 40 + 8 + quoted;
  std::memset(out, 0, 48);
  out[0] = 0x60;
  Store16(out + 4, static_cast<std::uint16_t>(8 + quoted));
  out[6] = kProtoIcmpV6;
  out[7] = 64;
  std::memcpy(out + 8, source, 16);
  std::memcpy(out + 24, h.src, 16);
  std::uint8_t* icmp = out + 40;
  icmp[0] = 2;  // packet too big
  Store32(icmp + 4, mtu);
  std::memcpy(icmp + 8, packet, quoted);
  StoreSum(icmp + 2, static_cast<std::uint16_t>(
                         ~Fold(Sum(icmp, 8 + quoted, PseudoSum(out, false, kProtoIcmpV6, 8 + quoted)))));
  return total;
}

}  // namespace isthmus::dataplane
