// Inner-packet helpers for the packet path: Internet checksums (RFC 1071, incremental RFC 1624), IPv4/
// IPv6/TCP header views and the virtio_net_hdr the TUN device speaks with IFF_VNET_HDR.
//
// Checksum arithmetic is done on words loaded in host order straight from the packet bytes: the
// one's-complement sum is byte-order independent, so the folded result stored back in host order is
// the right network-order checksum (RFC 1071 §2(B)). No syscalls, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "dataplane/path/checksum.h"

namespace isthmus::dataplane::pkt {

// virtio_net_hdr (virtio spec §5.1.6; linux/virtio_net.h), host endian on a legacy TUN.
struct VnetHdr {
  std::uint8_t flags;
  std::uint8_t gso_type;
  std::uint16_t hdr_len;
  std::uint16_t gso_size;
  std::uint16_t csum_start;
  std::uint16_t csum_offset;
};
static_assert(sizeof(VnetHdr) == 10);
inline constexpr std::uint8_t kVnetNeedsCsum = 1;
inline constexpr std::uint8_t kVnetDataValid = 2;
inline constexpr std::uint8_t kGsoNone = 0;
inline constexpr std::uint8_t kGsoTcpV4 = 1;
inline constexpr std::uint8_t kGsoTcpV6 = 4;
inline constexpr std::uint8_t kGsoEcn = 0x80;

inline constexpr std::uint8_t kProtoTcp = 6;
inline constexpr std::uint8_t kProtoIcmp = 1;
inline constexpr std::uint8_t kProtoIcmpV6 = 58;
inline constexpr std::uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08, kTcpAck = 0x10,
                              kTcpUrg = 0x20, kTcpEce = 0x40, kTcpCwr = 0x80;

inline std::uint16_t Load16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}
inline std::uint32_t Load32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
inline void Store16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void Store32(std::uint8_t* p, std::uint32_t v) {
  Store16(p, static_cast<std::uint16_t>(v >> 16));
  Store16(p + 2, static_cast<std::uint16_t>(v));
}

// Adds `n` octets starting at an even offset of the checksummed region to `acc`.
inline std::uint64_t Sum(const std::uint8_t* p, std::size_t n, std::uint64_t acc = 0) {
  while (n >= 16) {
    std::uint32_t w[4];
    std::memcpy(w, p, 16);
    acc += std::uint64_t{w[0]} + w[1] + w[2] + w[3];
    p += 16;
    n -= 16;
  }
  while (n >= 4) {
    std::uint32_t w;
    std::memcpy(&w, p, 4);
    acc += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    std::uint16_t w;
    std::memcpy(&w, p, 2);
    acc += w;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    const std::uint8_t last[2] = {p[0], 0};
    std::uint16_t w;
    std::memcpy(&w, last, 2);
    acc += w;
  }
  return acc;
}

inline std::uint16_t Fold(std::uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(acc);
}

// Stores a host-order-domain checksum value at `p`.
inline void StoreSum(std::uint8_t* p, std::uint16_t v) {
  std::memcpy(p, &v, 2);
}

// A 16-bit network-order value as it contributes to a host-order-domain sum.
inline std::uint64_t Net16(std::uint16_t v) {
  const std::uint8_t b[2] = {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  std::uint16_t w;
  std::memcpy(&w, b, 2);
  return w;
}

// Pseudo-header sum (RFC 793 §3.1 / RFC 8200 §8.1) for `proto` over `l4_len` octets.
inline std::uint64_t PseudoSum(const std::uint8_t* ip, bool v4, std::uint8_t proto, std::size_t l4_len) {
  std::uint64_t acc = v4 ? Sum(ip + 12, 8) : Sum(ip + 8, 32);
  return acc + Net16(proto) + Net16(static_cast<std::uint16_t>(l4_len)) +
         (v4 ? 0 : Net16(static_cast<std::uint16_t>(l4_len >> 16)));
}

inline void SetIpv4Checksum(std::uint8_t* ip) {
  const std::size_t ihl = (ip[0] & 0x0f) * 4u;
  ip[10] = ip[11] = 0;
  StoreSum(ip + 10, static_cast<std::uint16_t>(~Fold(Sum(ip, ihl))));
}

// A parsed IPv4/IPv6 + optional TCP view of a packet. IPv6 extension headers are not walked: a packet
// whose next header is not TCP is treated as "not TCP" (it still travels, it is just never split or
// merged).
struct Parsed {
  bool v4 = true;
  std::size_t ip_len = 0;  // header length
  std::size_t total = 0;   // from the header (IPv4 total length / IPv6 40 + payload length)
  std::uint8_t proto = 0;
  bool tcp = false;
  std::size_t tcp_len = 0;  // TCP header length
  const std::uint8_t* src = nullptr;
  const std::uint8_t* dst = nullptr;
};

// False for anything that is not a whole, well-formed IP packet of exactly `len` octets (trailing
// octets beyond the IP length are tolerated and ignored, as a router would).
inline bool Parse(const std::uint8_t* p, std::size_t len, Parsed* out) {
  if (len < 1) return false;
  const int version = p[0] >> 4;
  if (version == 4) {
    if (len < 20) return false;
    out->v4 = true;
    out->ip_len = (p[0] & 0x0f) * 4u;
    out->total = Load16(p + 2);
    if (out->ip_len < 20 || out->total < out->ip_len || out->total > len) return false;
    out->proto = p[9];
    out->src = p + 12;
    out->dst = p + 16;
    const bool fragment = (Load16(p + 6) & 0x3fff) != 0;  // MF or offset
    out->tcp = out->proto == kProtoTcp && !fragment;
  } else if (version == 6) {
    if (len < 40) return false;
    out->v4 = false;
    out->ip_len = 40;
    out->total = 40u + Load16(p + 4);
    if (out->total > len) return false;
    out->proto = p[6];
    out->src = p + 8;
    out->dst = p + 24;
    out->tcp = out->proto == kProtoTcp;
  } else {
    return false;
  }
  out->tcp_len = 0;
  if (out->tcp) {
    if (out->total < out->ip_len + 20) return false;
    out->tcp_len = (p[out->ip_len + 12] >> 4) * 4u;
    if (out->tcp_len < 20 || out->ip_len + out->tcp_len > out->total) return false;
  }
  return true;
}

// Verifies a complete TCP checksum.
inline bool TcpChecksumOk(const std::uint8_t* ip, const Parsed& h) {
  const std::size_t l4 = h.total - h.ip_len;
  return Fold(SumBulk(ip + h.ip_len, l4, PseudoSum(ip, h.v4, kProtoTcp, l4))) == 0xffff;
}

}  // namespace isthmus::dataplane::pkt
