#include "dataplane/path/coalescer.h"

#include <algorithm>
#include <cstring>

namespace isthmus::dataplane {

using namespace pkt;

namespace {
constexpr std::size_t kVnet = sizeof(VnetHdr);
}

Coalescer::Coalescer(PacketWriter& out, bool vnet_hdr, bool enabled)
    : out_(out), vnet_hdr_(vnet_hdr), enabled_(enabled && vnet_hdr) {
  if (enabled_) {
    for (Slot& s : slots_) s.buf.resize(kVnet + kMaxPacket);
  }
}

void Coalescer::WriteRaw(std::uint8_t* packet, std::size_t len) {
  if (vnet_hdr_) {
    std::memset(packet - kVnet, 0, kVnet);
    out_.WritePacket({packet - kVnet, len + kVnet});
  } else {
    out_.WritePacket({packet, len});
  }
}

bool Coalescer::FlowMatches(const Slot& s, const std::uint8_t* p, const Parsed& h) const {
  if (!s.used || s.v4 != h.v4) return false;
  const std::uint8_t* q = s.buf.data() + kVnet;
  const std::size_t alen = h.v4 ? 8 : 32;
  const std::size_t aoff = h.v4 ? 12 : 8;
  return std::memcmp(p + aoff, q + aoff, alen) == 0 && std::memcmp(p + h.ip_len, q + s.ip_len, 4) == 0;
}

bool Coalescer::SameFlowAndShape(const Slot& s, const std::uint8_t* p, const Parsed& h) const {
  const std::uint8_t* q = s.buf.data() + kVnet;
  if (h.ip_len != s.ip_len || h.tcp_len != s.tcp_len) return false;
  if (h.v4) {
    if (p[1] != q[1] || p[8] != q[8] || (p[6] & 0x40) != (q[6] & 0x40)) return false;
  } else {
    if (std::memcmp(p, q, 4) != 0 || p[7] != q[7]) return false;
  }
  const std::uint8_t* t = p + h.ip_len;
  const std::uint8_t* u = q + s.ip_len;
  return std::memcmp(t + 8, u + 8, 4) == 0 &&               // ack number
         std::memcmp(t + 14, u + 14, 2) == 0 &&             // window
         std::memcmp(t + 20, u + 20, h.tcp_len - 20) == 0;  // options (timestamps included)
}

void Coalescer::Start(Slot& s, const std::uint8_t* p, const Parsed& h) {
  const std::size_t payload = h.total - h.ip_len - h.tcp_len;
  s.used = true;
  s.v4 = h.v4;
  s.ip_len = h.ip_len;
  s.tcp_len = h.tcp_len;
  s.gso_size = payload;
  s.len = h.total;
  s.segments = 1;
  s.next_seq = Load32(p + h.ip_len + 4) + static_cast<std::uint32_t>(payload);
  s.closed = (p[h.ip_len + 13] & kTcpPsh) != 0;
  s.age = ++clock_;
  std::memcpy(s.buf.data() + kVnet, p, h.total);
}

void Coalescer::FlushSlot(Slot& s) {
  if (!s.used) return;
  s.used = false;
  std::uint8_t* vh = s.buf.data();
  std::uint8_t* ip = vh + kVnet;
  std::memset(vh, 0, kVnet);
  if (s.segments > 1) {
    if (s.v4) {
      Store16(ip + 2, static_cast<std::uint16_t>(s.len));
      SetIpv4Checksum(ip);
    } else {
      Store16(ip + 4, static_cast<std::uint16_t>(s.len - 40));
    }
    const std::size_t l4 = s.len - s.ip_len;
    std::uint8_t* tcp = ip + s.ip_len;
    // CHECKSUM_PARTIAL convention: the field holds the folded, non-inverted pseudo-header sum.
    StoreSum(tcp + 16, Fold(PseudoSum(ip, s.v4, kProtoTcp, l4)));
    VnetHdr h{};
    h.flags = kVnetNeedsCsum;
    h.gso_type = s.v4 ? kGsoTcpV4 : kGsoTcpV6;
    h.hdr_len = static_cast<std::uint16_t>(s.ip_len + s.tcp_len);
    h.gso_size = static_cast<std::uint16_t>(s.gso_size);
    h.csum_start = static_cast<std::uint16_t>(s.ip_len);
    h.csum_offset = 16;
    std::memcpy(vh, &h, kVnet);
    ++supers_;
    merged_ += s.segments;
  }
  out_.WritePacket({vh, kVnet + s.len});
}

void Coalescer::Flush() {
  // Oldest first keeps the order in which flows started, which is the best guess at arrival order.
  for (;;) {
    Slot* oldest = nullptr;
    for (Slot& s : slots_) {
      if (s.used && (oldest == nullptr || s.age < oldest->age)) oldest = &s;
    }
    if (oldest == nullptr) return;
    FlushSlot(*oldest);
  }
}

void Coalescer::Push(std::uint8_t* packet, std::size_t len) {
  Parsed h;
  if (!Parse(packet, len, &h)) {
    WriteRaw(packet, len);
    return;
  }
  if (!enabled_ || !h.tcp) {
    WriteRaw(packet, h.total);
    return;
  }
  Slot* slot = nullptr;
  for (Slot& s : slots_) {
    if (FlowMatches(s, packet, h)) {
      slot = &s;
      break;
    }
  }
  const std::uint8_t flags = packet[h.ip_len + 13];
  const std::size_t payload = h.total - h.ip_len - h.tcp_len;
  const bool shape_ok = (flags == kTcpAck || flags == (kTcpAck | kTcpPsh)) && payload > 0 &&
                        (!h.v4 || (h.ip_len == 20 && (Load16(packet + 6) & 0x3fff) == 0));
  if (slot != nullptr) {
    Slot& s = *slot;
    if (shape_ok && !s.closed && payload <= s.gso_size && s.len + payload <= kMaxPacket &&
        Load32(packet + h.ip_len + 4) == s.next_seq && SameFlowAndShape(s, packet, h)) {
      // The payload is summed as it is copied to the slot's tail; it counts only once the segment's
      // checksum has verified (until then it lies beyond s.len).
      const std::size_t l4 = h.total - h.ip_len;
      std::uint64_t acc = Sum(packet + h.ip_len, h.tcp_len, PseudoSum(packet, h.v4, kProtoTcp, l4));
      acc = CopyAndSum(s.buf.data() + kVnet + s.len, packet + h.ip_len + h.tcp_len, payload, acc);
      if (Fold(acc) == 0xffff) {
        s.len += payload;
        s.next_seq += static_cast<std::uint32_t>(payload);
        ++s.segments;
        if ((flags & kTcpPsh) != 0) {
          s.buf[kVnet + s.ip_len + 13] |= kTcpPsh;
          s.closed = true;
        }
        if (payload < s.gso_size) s.closed = true;
        return;
      }
      FlushSlot(s);  // a bad checksum travels on its own, after what the slot holds
      WriteRaw(packet, h.total);
      return;
    }
    FlushSlot(s);  // keeps the flow's order: what is held goes out before this packet
  }
  const bool candidate = shape_ok && TcpChecksumOk(packet, h);
  if (!candidate) {
    WriteRaw(packet, h.total);
    return;
  }
  Slot* free_slot = nullptr;
  for (Slot& s : slots_) {
    if (!s.used) {
      free_slot = &s;
      break;
    }
  }
  if (free_slot == nullptr) {
    free_slot = &*std::min_element(slots_.begin(), slots_.end(),
                                   [](const Slot& a, const Slot& b) { return a.age < b.age; });
    FlushSlot(*free_slot);
  }
  Start(*free_slot, packet, h);
}

}  // namespace isthmus::dataplane
