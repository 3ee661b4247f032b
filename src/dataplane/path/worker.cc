#include "dataplane/path/worker.h"

#include <algorithm>
#include <cstring>

#include "dataplane/path/icmp_error.h"

namespace isthmus::dataplane {

using namespace pkt;

namespace {

constexpr std::size_t kVnet = sizeof(VnetHdr);
constexpr std::size_t kMessageStride = 65536 + 1024;  // one message + the largest ESP overhead
constexpr std::size_t kInSlotBytes = 65536;

}  // namespace

// Seals each segment the splitter (or the single-packet path) writes, straight into the outgoing
// message: the segment is written after room for the ESP header, sealed in place, appended.
class Worker::Sealer final : public SegmentSink {
 public:
  Sealer(Worker& w, const SadEntry& e, std::uint8_t next_header)
      : w_(w), e_(e), sa_(*e.sa), nh_(next_header) {}

  std::uint8_t* Reserve(std::size_t len) override {
    const std::size_t sealed = sa_.cipher().header_size() + len + sa_.cipher().TrailerSize(len);
    std::uint8_t* esp = w_.OutRoom(e_.path.remote, sealed);
    return esp == nullptr ? nullptr : esp + sa_.cipher().header_size();
  }

  void Commit(std::size_t len) override {
    const std::uint64_t seq = sa_.NextSeq();
    if (seq == 0) {
      w_.DropOn(sa_, Drop::kSeqExhausted);
      return;
    }
    OutMessage& m = w_.out_[w_.out_used_ - 1];
    std::uint8_t* payload =
        w_.out_arena_.data() + (w_.out_used_ - 1) * kMessageStride + m.size + sa_.cipher().header_size();
    std::span<std::uint8_t> esp;
    const Drop d = sa_.cipher().Seal(sa_.spi(), seq, nh_, payload, len, &esp);
    if (d != Drop::kNone) {
      w_.DropOn(sa_, d);
      return;
    }
    w_.AppendSealed(esp.size());
    sa_.Count(len, w_.now_);
    sa_.connection().out.packets.Add(1);
    sa_.connection().out.bytes.Add(len);
  }

 private:
  Worker& w_;
  const SadEntry& e_;
  SaRuntime& sa_;
  std::uint8_t nh_;
};

Worker::Worker(platform::TunDevice& tun, platform::DatagramSocket& socket, const SadPublisher& sad,
               const Clock& clock, WorkerOptions options, IkeHandler ike)
    : tun_(tun),
      socket_(socket),
      sad_(sad),
      clock_(clock),
      options_(std::move(options)),
      ike_(std::move(ike)),
      tun_rx_(kVnet + 65536 + 64),
      out_arena_(kOutMessages * kMessageStride),
      out_(kOutMessages),
      out_batch_(kOutMessages),
      udp_rx_(kInSlots * kInSlotBytes),
      in_batch_(kInSlots),
      icmp_buf_(kVnet + 1500),
      coalescer_(*this, tun.vnet_hdr(), options_.coalesce) {
  for (std::size_t i = 0; i < kInSlots; ++i) {
    in_batch_[i].data = udp_rx_.data() + i * kInSlotBytes;
    in_batch_[i].capacity = kInSlotBytes;
  }
}

void Worker::DropOn(SaRuntime& sa, Drop d) {
  CountDrop(sa.drops, d);
  CountDrop(sa.connection().drops, d);
}

// ---------------------------------------------------------------- outbound

std::uint8_t* Worker::OutRoom(const platform::Endpoint& peer, std::size_t sealed) {
  if (sealed > kMessageStride) return nullptr;
  if (out_used_ > 0) {
    OutMessage& m = out_[out_used_ - 1];
    if (!m.closed && m.count < kMaxSegments && m.size + sealed <= kMaxMessageBytes && sealed <= m.segment &&
        m.peer == peer) {
      return out_arena_.data() + (out_used_ - 1) * kMessageStride + m.size;
    }
  }
  if (out_used_ == kOutMessages) FlushOut();
  OutMessage& m = out_[out_used_++];
  m = OutMessage{peer, 0, 0, 0, false};
  return out_arena_.data() + (out_used_ - 1) * kMessageStride;
}

void Worker::AppendSealed(std::size_t sealed) {
  OutMessage& m = out_[out_used_ - 1];
  if (m.count == 0) m.segment = sealed;
  if (sealed < m.segment) m.closed = true;  // only the last datagram of a GSO message may be shorter
  m.size += sealed;
  ++m.count;
}

void Worker::FlushOut() {
  std::size_t n = 0;
  for (std::size_t i = 0; i < out_used_; ++i) {
    const OutMessage& m = out_[i];
    if (m.count == 0) continue;  // reserved, then the seal failed
    platform::Datagram& d = out_batch_[n++];
    d.data = out_arena_.data() + i * kMessageStride;
    d.capacity = kMessageStride;
    d.size = m.size;
    d.peer = m.peer;
    d.segment_size = m.count > 1 ? static_cast<std::uint16_t>(m.segment) : 0;
  }
  out_used_ = 0;
  std::size_t sent = 0;
  for (int attempt = 0; attempt < 3 && sent < n; ++attempt) {
    auto r = socket_.Send(std::span<const platform::Datagram>(out_batch_.data() + sent, n - sent));
    if (!r) break;
    sent += *r;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t dgrams =
        out_batch_[i].segment_size == 0
            ? 1
            : (out_batch_[i].size + out_batch_[i].segment_size - 1) / out_batch_[i].segment_size;
    if (i < sent) {
      stats_.udp_datagrams_out.Add(dgrams);
    } else {
      drops_[static_cast<std::size_t>(Drop::kIoError)].Add(dgrams);
    }
  }
  stats_.udp_messages_out.Add(sent);
}

void Worker::SendTooBig(const std::uint8_t* packet, std::size_t len, const Parsed& h) {
  std::uint8_t src[16] = {};
  const auto& configured = h.v4 ? options_.icmp_source_v4 : options_.icmp_source_v6;
  std::memcpy(src, configured ? configured->bytes() : h.dst, h.v4 ? 4 : 16);
  const std::size_t n =
      BuildTooBig(packet, len, options_.tunnel_mtu, src, icmp_buf_.data() + kVnet, icmp_buf_.size() - kVnet);
  if (n == 0) return;
  if (tun_.vnet_hdr()) {
    std::memset(icmp_buf_.data(), 0, kVnet);
    WritePacket({icmp_buf_.data(), n + kVnet});
  } else {
    WritePacket({icmp_buf_.data() + kVnet, n});
  }
  stats_.too_big_sent.Add(1);
}

void Worker::HandleTunPacket(const SadSnapshot& sad, std::uint8_t* data, std::size_t n) {
  VnetHdr vh{};
  std::uint8_t* p = data;
  std::size_t len = n;
  if (tun_.vnet_hdr()) {
    if (n < kVnet) return CountDrop(drops_, Drop::kMalformedInner);
    std::memcpy(&vh, data, kVnet);
    p += kVnet;
    len -= kVnet;
  }
  Parsed h;
  if (!Parse(p, len, &h)) return CountDrop(drops_, Drop::kMalformedInner);
  const SadEntry* e = sad.FindOutbound(h.dst, h.v4);
  if (e == nullptr) return CountDrop(drops_, Drop::kNoSaForDestination);
  SaRuntime& sa = *e->sa;
  if (sa.hard_expired()) return DropOn(sa, Drop::kSaExpired);
  Sealer sealer(*this, *e, h.v4 ? kNextHeaderIpv4 : kNextHeaderIpv6);
  if ((vh.gso_type & ~kGsoEcn) != kGsoNone) {
    const Drop d = SplitTcp(vh, p, len, sealer);
    if (d != Drop::kNone) DropOn(sa, d);
    return;
  }
  if ((vh.flags & kVnetNeedsCsum) != 0 && !FinishChecksum(p, h.total, vh))
    return DropOn(sa, Drop::kMalformedInner);
  if (options_.mss_clamp != 0) ClampMss(p, h, options_.mss_clamp);
  if (h.total > options_.tunnel_mtu) {
    SendTooBig(p, h.total, h);
    return DropOn(sa, Drop::kOversize);
  }
  std::uint8_t* room = sealer.Reserve(h.total);
  if (room == nullptr) return DropOn(sa, Drop::kOversize);
  std::memcpy(room, p, h.total);
  sealer.Commit(h.total);
}

void Worker::OnTunReadable() {
  const SadSnapshot& sad = sad_.Acquire();
  now_ = clock_.Now();
  for (std::size_t i = 0; i < kTunBudget; ++i) {
    auto r = tun_.Read(tun_rx_);
    if (!r || *r == 0) break;
    stats_.tun_reads.Add(1);
    HandleTunPacket(sad, tun_rx_.data(), *r);
  }
  FlushOut();
}

// ---------------------------------------------------------------- inbound

void Worker::WritePacket(std::span<const std::uint8_t> packet) {
  if (tun_.Write(packet)) {
    stats_.tun_writes.Add(1);
  } else {
    CountDrop(drops_, Drop::kIoError);
  }
}

void Worker::HandleDatagram(const SadSnapshot& sad, std::uint8_t* p, std::size_t len,
                            const platform::Endpoint& from) {
  if (len == 1 && p[0] == 0xff) {  // RFC 3948 §2.3 NAT-keepalive
    stats_.keepalives.Add(1);
    return;
  }
  if (len >= 4 && p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0) {  // RFC 3948 §2.2 non-ESP marker
    if (!ike_) return CountDrop(drops_, Drop::kNotForUs);
    stats_.ike_datagrams.Add(1);
    ike_({p + 4, len - 4}, from);
    return;
  }
  if (len < kEspHeaderSize) return CountDrop(drops_, Drop::kTruncated);
  const SadEntry* e = sad.FindInbound(Load32(p));
  if (e == nullptr) return CountDrop(drops_, Drop::kUnknownSpi);
  SaRuntime& sa = *e->sa;
  if (sa.hard_expired()) return DropOn(sa, Drop::kSaExpired);
  const std::uint64_t seq = sa.replay().Infer(Load32(p + 4));
  if (sa.replay_enabled()) {
    switch (sa.replay().Check(seq)) {
      case ReplayWindow::Verdict::kOk:
        break;
      case ReplayWindow::Verdict::kReplayed:
        return DropOn(sa, Drop::kReplayed);
      case ReplayWindow::Verdict::kTooOld:
        return DropOn(sa, Drop::kTooOld);
      case ReplayWindow::Verdict::kZero:
        return DropOn(sa, Drop::kSeqZero);
    }
  }
  std::span<std::uint8_t> inner;
  std::uint8_t nh = 0;
  const Drop d = sa.cipher().Open({p, len}, seq, &inner, &nh);
  if (d != Drop::kNone) return DropOn(sa, d);
  // Only after the ICV verified. With anti-replay off the window still has to follow the highest number:
  // Infer() takes the ESN high bits from it (RFC 4303 §2.2.1), so it must move past 2^32 regardless.
  if (sa.replay_enabled() || seq > sa.replay().highest()) sa.replay().Update(seq);
  Parsed h;
  if (!Parse(inner.data(), inner.size(), &h) || h.v4 != (nh == kNextHeaderIpv4)) {
    return DropOn(sa, Drop::kMalformedInner);
  }
  if (!sa.InnerAllowed(h.src, h.dst, h.v4)) return DropOn(sa, Drop::kSelectorMismatch);
  sa.Count(h.total, now_);
  sa.connection().in.packets.Add(1);
  sa.connection().in.bytes.Add(h.total);
  if (options_.mss_clamp != 0) ClampMss(inner.data(), h, options_.mss_clamp);
  coalescer_.Push(inner.data(), h.total);  // the ESP header before `inner` is the virtio header's room
}

void Worker::OnUdpReadable() {
  const SadSnapshot& sad = sad_.Acquire();
  now_ = clock_.Now();
  const std::uint64_t supers_before = coalescer_.super_segments();
  for (std::size_t round = 0; round < kUdpBudget; ++round) {
    auto r = socket_.Receive(in_batch_);
    if (!r || *r == 0) break;
    for (std::size_t i = 0; i < *r; ++i) {
      platform::Datagram& d = in_batch_[i];
      const std::size_t seg = d.segment_size != 0 ? d.segment_size : d.size;
      stats_.udp_messages_in.Add(1);
      for (std::size_t off = 0; off < d.size && seg > 0; off += seg) {
        stats_.udp_datagrams_in.Add(1);
        HandleDatagram(sad, d.data + off, std::min(seg, d.size - off), d.peer);
      }
    }
    if (*r < in_batch_.size()) break;
  }
  coalescer_.Flush();
  stats_.super_segments_in.Add(coalescer_.super_segments() - supers_before);
}

void Worker::Tick() {
  const SadSnapshot& sad = sad_.Acquire();
  now_ = clock_.Now();
  for (const SadEntry& e : sad.inbound()) e.sa->Tick(now_);
  for (const SadEntry& e : sad.outbound()) e.sa->Tick(now_);
}

}  // namespace isthmus::dataplane
