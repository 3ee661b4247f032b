#include "dataplane/path/offload.h"

#include <algorithm>
#include <cstring>

namespace isthmus::dataplane {

using namespace pkt;

bool FinishChecksum(std::uint8_t* packet, std::size_t len, const VnetHdr& h) {
  const std::size_t start = h.csum_start, field = std::size_t{h.csum_start} + h.csum_offset;
  if (start >= len || field + 2 > len) return false;
  StoreSum(packet + field, static_cast<std::uint16_t>(~Fold(SumBulk(packet + start, len - start))));
  return true;
}

std::size_t TcpSegmentCount(const VnetHdr& h, const std::uint8_t* packet, std::size_t len,
                            std::size_t* max_segment) {
  Parsed p;
  if (!Parse(packet, len, &p) || !p.tcp || h.gso_size == 0) return 0;
  const std::size_t hdrs = p.ip_len + p.tcp_len;
  const std::size_t payload = p.total - hdrs;
  if (payload == 0) {
    *max_segment = hdrs;
    return 1;
  }
  *max_segment = hdrs + std::min<std::size_t>(payload, h.gso_size);
  return (payload + h.gso_size - 1) / h.gso_size;
}

Drop SplitTcp(const VnetHdr& h, const std::uint8_t* packet, std::size_t len, SegmentSink& sink) {
  Parsed p;
  if (!Parse(packet, len, &p) || !p.tcp || h.gso_size == 0) return Drop::kMalformedInner;
  if ((h.gso_type & ~kGsoEcn) == kGsoTcpV4 ? !p.v4 : p.v4) return Drop::kMalformedInner;
  const std::size_t hdrs = p.ip_len + p.tcp_len;
  const std::size_t payload = p.total - hdrs;
  const std::size_t mss = h.gso_size;
  const std::uint32_t seq0 = Load32(packet + p.ip_len + 4);
  const std::uint16_t id0 = p.v4 ? Load16(packet + 4) : 0;
  const std::uint8_t flags0 = packet[p.ip_len + 13];
  std::size_t off = 0, i = 0;
  do {
    const std::size_t chunk = std::min(mss, payload - off);
    const bool first = i == 0, last = off + chunk >= payload;
    const std::size_t seg_len = hdrs + chunk;
    std::uint8_t* out = sink.Reserve(seg_len);
    if (out == nullptr) return Drop::kOversize;
    std::memcpy(out, packet, hdrs);
    if (p.v4) {
      Store16(out + 2, static_cast<std::uint16_t>(seg_len));
      Store16(out + 4, static_cast<std::uint16_t>(id0 + i));
      SetIpv4Checksum(out);
    } else {
      Store16(out + 4, static_cast<std::uint16_t>(seg_len - 40));
    }
    std::uint8_t* tcp = out + p.ip_len;
    Store32(tcp + 4, seq0 + static_cast<std::uint32_t>(off));
    std::uint8_t f = flags0;
    if (!last) f &= static_cast<std::uint8_t>(~(kTcpFin | kTcpPsh));
    if (!first) f &= static_cast<std::uint8_t>(~kTcpCwr);
    tcp[13] = f;
    tcp[16] = tcp[17] = 0;
    const std::size_t l4 = seg_len - p.ip_len;
    // The payload is summed as it is copied (the TCP header's length is a multiple of 4, so the
    // payload starts at an even offset of the checksummed region).
    std::uint64_t acc = Sum(tcp, p.tcp_len, PseudoSum(out, p.v4, kProtoTcp, l4));
    acc = CopyAndSum(out + hdrs, packet + hdrs + off, chunk, acc);
    StoreSum(tcp + 16, static_cast<std::uint16_t>(~Fold(acc)));
    sink.Commit(seg_len);
    off += chunk;
    ++i;
  } while (off < payload);
  return Drop::kNone;
}

bool ClampMss(std::uint8_t* packet, const Parsed& p, std::uint16_t mss) {
  if (!p.tcp) return false;
  std::uint8_t* tcp = packet + p.ip_len;
  if ((tcp[13] & kTcpSyn) == 0) return false;
  std::size_t i = 20;
  while (i < p.tcp_len) {
    const std::uint8_t kind = tcp[i];
    if (kind == 0) break;  // end of options
    if (kind == 1) {       // NOP
      ++i;
      continue;
    }
    if (i + 1 >= p.tcp_len) break;
    const std::uint8_t olen = tcp[i + 1];
    if (olen < 2 || i + olen > p.tcp_len) break;
    if (kind == 2 && olen == 4) {  // MSS, RFC 793 §3.1
      const std::uint16_t old = Load16(tcp + i + 2);
      if (old <= mss) return false;
      // SYNs are small: recompute the whole checksum rather than patch it (the option may sit at an odd
      // offset, where an RFC 1624 update would straddle two words).
      Store16(tcp + i + 2, mss);
      tcp[16] = tcp[17] = 0;
      const std::size_t l4 = p.total - p.ip_len;
      StoreSum(tcp + 16,
               static_cast<std::uint16_t>(~Fold(Sum(tcp, l4, PseudoSum(packet, p.v4, kProtoTcp, l4)))));
      return true;
    }
    i += olen;
  }
  return false;
}

}  // namespace isthmus::dataplane
