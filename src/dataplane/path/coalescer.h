// Coalescing of decrypted TCP segments into super-segments written to the TUN with a GSO virtio header
// (notes/this-machine.md: this is what unlocks the offloads; one TUN write per packet caps at ~1.5
// Gbit/s). Merge rules, as the kernel's GRO: same flow (addresses, ports), contiguous sequence numbers,
// flags exactly ACK or ACK|PSH, identical ack number, window, TCP options, TOS/traffic class, TTL/hop
// limit, IPv4 DF and no IPv4 options or IPv6 extension headers; every segment but the last carries
// exactly the first one's payload size; a shorter segment or PSH closes the batch; the total stays a
// valid IP packet (64 KB). Each segment's TCP checksum is verified before it is merged: merging would
// replace a bad checksum with a fresh one and launder corruption.
//
// A few flows are held at once so that interleaved flows (and the pure ACKs of the reverse direction)
// do not break each other's batches; order within a flow is always kept. No allocation after
// construction.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/path/packet.h"

namespace isthmus::dataplane {

// Where finished packets go (the TUN): each starts with a 10-byte virtio_net_hdr.
class PacketWriter {
 public:
  virtual ~PacketWriter() = default;
  virtual void WritePacket(std::span<const std::uint8_t> vnet_and_packet) = 0;
};

class Coalescer {
 public:
  // Implementation choice: flows tracked at once; a single-stream benchmark needs 1, a busy gateway a
  // handful between two flushes (flushes happen at the end of every receive batch).
  static constexpr std::size_t kSlots = 8;
  static constexpr std::size_t kMaxPacket = 65535;

  // `enabled` false: every packet is written on its own (TUN without offloads still needs the virtio
  // header only when `vnet_hdr`).
  Coalescer(PacketWriter& out, bool vnet_hdr, bool enabled);

  // Takes one inner IP packet. `packet` must have 10 writable octets before it (headroom for the
  // virtio header) so a packet that is not merged is written without a copy.
  void Push(std::uint8_t* packet, std::size_t len);
  // Writes everything held (end of a receive batch).
  void Flush();

  std::uint64_t merged_segments() const { return merged_; }
  std::uint64_t super_segments() const { return supers_; }

 private:
  struct Slot {
    bool used = false;
    bool closed = false;
    bool v4 = true;
    std::size_t ip_len = 0, tcp_len = 0;
    std::size_t gso_size = 0;
    std::size_t len = 0;  // octets of packet data held (after the virtio header)
    std::size_t segments = 0;
    std::uint32_t next_seq = 0;
    std::uint64_t age = 0;
    std::vector<std::uint8_t> buf;  // virtio header + packet, preallocated
  };
  void WriteRaw(std::uint8_t* packet, std::size_t len);
  void FlushSlot(Slot& s);
  bool SameFlowAndShape(const Slot& s, const std::uint8_t* p, const pkt::Parsed& h) const;
  bool FlowMatches(const Slot& s, const std::uint8_t* p, const pkt::Parsed& h) const;
  void Start(Slot& s, const std::uint8_t* p, const pkt::Parsed& h);

  PacketWriter& out_;
  const bool vnet_hdr_;
  const bool enabled_;
  std::array<Slot, kSlots> slots_;
  std::uint64_t clock_ = 0;
  std::uint64_t merged_ = 0, supers_ = 0;
};

}  // namespace isthmus::dataplane
