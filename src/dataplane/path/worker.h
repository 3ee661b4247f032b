// The packet path (STYLE.md "Shape" 5): one worker moves packets between the TUN device and the UDP
// socket on port 4500, in batches, with preallocated buffers and no allocation, exception or lock per
// packet.
//
//  outbound: TUN read (a 64 KB TCP super-segment with offloads) -> finish partial checksum / split TSO
//            into MSS-sized packets -> MSS clamp on SYNs -> SA lookup (LPM) -> seal in place into a
//            message of equal-sized datagrams -> sendmmsg with UDP_SEGMENT (<= 64 KB and <= 64
//            segments per message; a 64 KB super-segment becomes two messages)
//  inbound:  recvmmsg with UDP_GRO -> split segments -> demux (non-ESP marker -> IKE callback, 0xFF ->
//            NAT keepalive, else ESP) -> SPI lookup -> replay Check -> Open -> replay Update -> policy
//            check -> MSS clamp -> coalesce TCP segments -> TUN write with a GSO virtio header
//
// The worker owns the mutable state of every SA it sees (sad/sa_runtime.h). It reads the SA snapshot
// once per batch. Not thread-safe: call its methods from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "base/clock.h"
#include "dataplane/path/coalescer.h"
#include "dataplane/path/offload.h"
#include "dataplane/sad/sad_snapshot.h"
#include "net/prefix.h"
#include "platform/iface/datagram_socket.h"
#include "platform/iface/tun_device.h"

namespace isthmus::dataplane {

struct WorkerOptions {
  // TCP MSS clamping on SYNs through the tunnel, both ways (Azure's default 1350); 0 = off.
  std::uint16_t mss_clamp = 1350;
  // Inner packets (not super-segments) above this get ICMP "too big" back; the TUN MTU by default.
  std::uint32_t tunnel_mtu = 1400;
  // Merge decrypted TCP segments into super-segments (needs a TUN with offloads).
  bool coalesce = true;
  // Source of the ICMP errors we originate (the gateway's inside address); unset = the dropped
  // packet's destination.
  std::optional<net::IpAddress> icmp_source_v4;
  std::optional<net::IpAddress> icmp_source_v6;
};

// A datagram that carried the non-ESP marker (RFC 3948 §2.2): the IKE message (marker removed) and who
// sent it. Called on the worker thread; the gateway forwards it to the engine's loop.
using IkeHandler = std::function<void(std::span<const std::uint8_t> ike, const platform::Endpoint& from)>;

struct WorkerStats {
  SingleWriterCounter tun_reads, tun_writes, udp_messages_in, udp_datagrams_in, udp_messages_out,
      udp_datagrams_out, super_segments_in, keepalives, ike_datagrams, too_big_sent;
};

class Worker final : private PacketWriter {
 public:
  // Implementation choices (buffer memory about 3.5 MB per worker):
  static constexpr std::size_t kOutMessages = 32;         // UDP messages per sendmmsg batch
  static constexpr std::size_t kMaxMessageBytes = 65000;  // < 65,507: UDP_SEGMENT's limit with IPv4
  static constexpr std::size_t kMaxSegments = 64;         // kernel limit is 128 (UDP_MAX_SEGMENTS)
  static constexpr std::size_t kInSlots = 16;             // recvmmsg slots, 64 KB each for GRO
  static constexpr std::size_t kTunBudget = 64;           // TUN reads per readiness event
  static constexpr std::size_t kUdpBudget = 4;            // recvmmsg calls per readiness event

  Worker(platform::TunDevice& tun, platform::DatagramSocket& socket, const SadPublisher& sad,
         const Clock& clock, WorkerOptions options, IkeHandler ike = {});

  void OnTunReadable();
  void OnUdpReadable();
  // About once a second: idle and hard-time checks of every SA.
  void Tick();

  const WorkerStats& stats() const { return stats_; }
  // Drops not attributable to an SA (unknown SPI, no SA for the destination, malformed...). Drops on a
  // known SA are counted on the SA and its connection as well.
  const DropCounterArray& drops() const { return drops_; }
  const Coalescer& coalescer() const { return coalescer_; }

 private:
  struct OutMessage {
    platform::Endpoint peer;
    std::size_t size = 0;
    std::size_t segment = 0;
    std::size_t count = 0;
    bool closed = false;
  };
  class Sealer;  // the SegmentSink that seals into the current message

  void HandleTunPacket(const SadSnapshot& sad, std::uint8_t* data, std::size_t n);
  void HandleDatagram(const SadSnapshot& sad, std::uint8_t* p, std::size_t len,
                      const platform::Endpoint& from);
  void SendTooBig(const std::uint8_t* packet, std::size_t len, const pkt::Parsed& h);
  // Room for one sealed packet of `sealed` octets to `peer`: the ESP packet's start, or nullptr.
  std::uint8_t* OutRoom(const platform::Endpoint& peer, std::size_t sealed);
  void AppendSealed(std::size_t sealed);
  void FlushOut();
  void WritePacket(std::span<const std::uint8_t> vnet_and_packet) override;
  void DropOn(SaRuntime& sa, Drop d);

  platform::TunDevice& tun_;
  platform::DatagramSocket& socket_;
  SadPublisher::Reader sad_;
  const Clock& clock_;
  const WorkerOptions options_;
  IkeHandler ike_;
  TimePoint now_{};

  std::vector<std::uint8_t> tun_rx_;
  std::vector<std::uint8_t> out_arena_;
  std::vector<OutMessage> out_;
  std::size_t out_used_ = 0;  // messages in use in out_
  std::vector<platform::Datagram> out_batch_;
  std::vector<std::uint8_t> udp_rx_;
  std::vector<platform::Datagram> in_batch_;
  std::vector<std::uint8_t> icmp_buf_;
  Coalescer coalescer_;

  WorkerStats stats_;
  DropCounterArray drops_;
};

}  // namespace isthmus::dataplane
