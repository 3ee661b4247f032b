// The inbound packet path fed arbitrary datagrams on UDP 4500 (issue: ESP data plane; STYLE.md "Tests":
// a fuzz target for ESP decap). Each input is one receive batch handed to a real dataplane::Worker
// (OnUdpReadable: non-ESP-marker demux -> IKE / NAT keepalive / ESP, SPI lookup, replay check, Open,
// replay update, inner-packet and selector checks, MSS clamp, coalescing, TUN write) over an in-memory
// socket and TUN. Four inbound SAs with fixed keys are installed through DataplaneSaInstaller; the
// fuzzer can seal its bytes with the peer's copy of their keys, so decryption succeeds and the inner
// packet parsing behind it gets fuzzed too.
//
// Input: byte 0 = config (bit 0 TUN with virtio header + coalescing, bit 1 IKE handler attached,
// bit 2 MSS clamping, bit 3 kernel-style UDP_GRO of equal-sized datagrams, bit 4 Tick afterwards, the
// clock advanced by the seconds in the next octet), then records of [kind][2-octet length][octets],
// where kind & 3 is
//   0 raw:    the octets are the datagram as is;
//   1 sealed: the octets are an inner packet sealed by SA (kind >> 2) & 3 with EspCipher::Seal;
//             kind bit 4: next header from the next input octet (else 4/41 by the IP version nibble);
//             kind bit 5: the inner packet's lengths, checksums and addresses are fixed up first;
//             kind bit 6: the sequence number is taken from the input (8 octets), else the next one;
//             kind bit 7: one octet of the sealed datagram is then flipped (position, mask from input);
//   2 framed: the octets are a whole ESP plaintext (payload, padding, pad length, next header) sealed
//             with the SA's primitives directly, so bad padding and odd trailers authenticate;
//   3 dup:    the previous datagram again (a replay), optionally truncated.
// Oracles: no crash/leak/UB (sanitizers); every datagram is accounted exactly once (keepalive, IKE,
// a drop counted by reason, or an inner packet delivered); every TUN write is a well-formed IP packet
// (a GSO super-segment splits back into well-formed segments) whose addresses the SA allowed; the
// number of inner packets written equals the SA packet counters.
//
//   esp_inbound_fuzz fuzz/corpus/esp_inbound -max_total_time=180
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "crypto/aead.h"
#include "crypto/cipher.h"
#include "crypto/integrity.h"
#include "crypto/transforms.h"
#include "dataplane/path/offload.h"
#include "dataplane/path/packet.h"
#include "dataplane/path/worker.h"
#include "dataplane/sad/dataplane_sa_installer.h"

namespace {

using namespace isthmus;
using namespace isthmus::dataplane;
using namespace isthmus::dataplane::pkt;

// A broken invariant is a finding: crash so libFuzzer records the input.
void Require(bool ok) {
  if (!ok) __builtin_trap();
}

// Implementation choices that bound the work per input (no hangs, no huge allocations).
constexpr std::size_t kMaxRecords = 96;     // datagrams per input: more than one recvmmsg batch
constexpr std::size_t kMaxDatagram = 9200;  // larger than any tunnel MTU we configure
constexpr std::size_t kSlotBytes = 65536;   // the worker's receive slot (Worker kInSlotBytes)

const net::IpAddress kUs = *net::IpAddress::Parse("198.18.0.2");
const net::IpAddress kPeer = *net::IpAddress::Parse("198.18.0.3");

struct SaDef {
  std::uint32_t spi;
  crypto::EncrId encr;
  std::uint16_t bits;
  crypto::IntegId integ;
  bool esn;
  std::uint32_t replay_window;  // 0 = off
  std::vector<const char*> local, remote;
  std::uint8_t key_fill;
};

// Four SAs covering AEAD and CBC+HMAC each with and without ESN, replay on/off/small, IPv4 and IPv6
// selectors, and one with tiny lifetimes so soft/hard expiry and kSaExpired are reachable. (ESN with
// anti-replay off has its own unit test in tests/unit/dataplane/path_test.cc.)
// clang-format off
const std::array<SaDef, 4> kSas = {{
    // spi        encr                               bits  integ                               esn    replay
    {0x00001001, crypto::EncrId::kAesGcm16,          256, crypto::IntegId::kNone,             true,  1024,
     {"10.1.0.0/16", "fd00:1::/48"}, {"10.2.0.0/16", "fd00:2::/48"}, 0x11},
    {0x00001002, crypto::EncrId::kAesCbc,            128, crypto::IntegId::kHmacSha2_256_128, false, 64,
     {"10.1.0.0/16"}, {"10.3.0.0/16"}, 0x22},
    {0x00001003, crypto::EncrId::kChaCha20Poly1305,  0,   crypto::IntegId::kNone,             false, 0,
     {"0.0.0.0/0", "::/0"}, {"0.0.0.0/0", "::/0"}, 0x33},
    {0x00001004, crypto::EncrId::kAesCbc,            256, crypto::IntegId::kHmacSha2_512_256, true,  4096,
     {"10.1.0.0/16"}, {"10.4.0.0/16"}, 0x44},
}};
// clang-format on

SecretBytes Fill(std::size_t n, std::uint8_t v) {
  return SecretBytes(std::vector<std::uint8_t>(n, v));
}

ipsec::SaSpec InboundSpec(const SaDef& d) {
  ipsec::SaSpec s;
  s.direction = ipsec::Direction::kInbound;
  s.spi = d.spi;
  s.local_address = kUs;
  s.remote_address = kPeer;
  s.encap = {true, 4500, 4500};
  for (auto* p : d.local) s.selectors.local.push_back({*net::Prefix::Parse(p)});
  for (auto* p : d.remote) s.selectors.remote.push_back({*net::Prefix::Parse(p)});
  s.transform = {d.encr, d.bits, d.integ, d.esn};
  s.keys.encr = Fill(crypto::FindEncr(d.encr, d.bits)->keymat_size, d.key_fill);
  if (d.integ != crypto::IntegId::kNone)
    s.keys.integ = Fill(crypto::FindInteg(d.integ)->key_size, d.key_fill ^ 0xff);
  s.replay_window = d.replay_window;
  if (d.spi == 0x00001004) {
    s.lifetimes.soft = {0, 0, 2};
    s.lifetimes.hard = {30, 0, 4};
    s.idle_report_seconds = 5;
  }
  s.connection = "fuzz-" + std::to_string(d.spi);
  return s;
}

// The peer's side of one SA: the same keys, used to make datagrams the worker can open.
struct PeerSa {
  const SaDef* def = nullptr;
  std::unique_ptr<EspCipher> esp;      // EspCipher::Seal: well-formed trailers
  std::unique_ptr<crypto::Aead> aead;  // or the primitives, for arbitrary trailers
  std::unique_ptr<crypto::Cipher> cbc;
  std::unique_ptr<crypto::Integrity> integ;
  std::uint64_t next_seq = 1;
};

// In-memory TUN that checks what the worker writes.
class CheckingTun final : public platform::TunDevice {
 public:
  explicit CheckingTun(bool vnet) : vnet_(vnet) {}
  int fd() const override { return -1; }
  const std::string& name() const override { return name_; }
  bool vnet_hdr() const override { return vnet_; }
  Result<std::size_t> Read(std::span<std::uint8_t>) override { return std::size_t{0}; }
  Status Write(std::span<const std::uint8_t> p) override;

  const SadSnapshot* sad = nullptr;
  std::uint64_t inner_packets = 0;  // segments, counting each one a super-segment carries

 private:
  void CheckPacket(const std::uint8_t* p, std::size_t len);
  bool vnet_;
  std::string name_ = "fuzz0";
};

// Collects the segments of a super-segment and checks each.
class SegmentChecker final : public SegmentSink {
 public:
  std::uint8_t* Reserve(std::size_t len) override {
    buf_.resize(len);
    return buf_.data();
  }
  void Commit(std::size_t len) override {
    Parsed h;
    Require(Parse(buf_.data(), len, &h) && h.tcp && h.total == len);
    Require(TcpChecksumOk(buf_.data(), h));
    ++segments;
  }
  std::size_t segments = 0;

 private:
  std::vector<std::uint8_t> buf_;
};

void CheckingTun::CheckPacket(const std::uint8_t* p, std::size_t len) {
  Parsed h;
  Require(Parse(p, len, &h) && h.total == len);
  bool allowed = false;
  for (const SadEntry& e : sad->inbound()) allowed = allowed || e.sa->InnerAllowed(h.src, h.dst, h.v4);
  Require(allowed);
}

Status CheckingTun::Write(std::span<const std::uint8_t> p) {
  if (!vnet_) {
    CheckPacket(p.data(), p.size());
    ++inner_packets;
    return {};
  }
  Require(p.size() > sizeof(VnetHdr));
  VnetHdr vh;
  std::memcpy(&vh, p.data(), sizeof vh);
  const std::uint8_t* ip = p.data() + sizeof vh;
  const std::size_t len = p.size() - sizeof vh;
  CheckPacket(ip, len);
  if (vh.gso_type == kGsoNone) {
    Require(vh.flags == 0);
    ++inner_packets;
    return {};
  }
  // A super-segment the coalescer built: it must split back into valid segments, as the kernel will.
  Require(vh.flags == kVnetNeedsCsum && vh.gso_size > 0);
  std::vector<std::uint8_t> copy(ip, ip + len);
  SegmentChecker segs;
  Require(SplitTcp(vh, copy.data(), copy.size(), segs) == Drop::kNone);
  Require(segs.segments >= 2);
  inner_packets += segs.segments;
  return {};
}

// recvmmsg stand-in: hands out prepared datagrams (optionally GRO-merged), truncating like a socket.
class ScriptedSocket final : public platform::DatagramSocket {
 public:
  struct Message {
    std::vector<std::uint8_t> bytes;
    std::uint16_t segment_size = 0;
  };
  int fd() const override { return -1; }
  platform::Endpoint local() const override { return {kUs, 4500}; }
  Result<std::size_t> Receive(std::span<platform::Datagram> batch) override {
    std::size_t n = 0;
    for (; n < batch.size() && next_ < queue.size(); ++n, ++next_) {
      const Message& m = queue[next_];
      const std::size_t len = std::min(m.bytes.size(), batch[n].capacity);
      if (len > 0) std::memcpy(batch[n].data, m.bytes.data(), len);
      batch[n].size = len;
      batch[n].peer = {kPeer, 4500};
      batch[n].segment_size = m.segment_size;
    }
    return n;
  }
  Result<std::size_t> Send(std::span<const platform::Datagram> b) override { return b.size(); }
  bool empty() const { return next_ == queue.size(); }
  void Reset() {
    queue.clear();
    next_ = 0;
  }
  std::vector<Message> queue;

 private:
  std::size_t next_ = 0;
};

std::uint64_t Total(const DropCounterArray& a) {
  std::uint64_t n = 0;
  for (const auto& c : a) n += c.Get();
  return n;
}

// Everything that survives between inputs (keyed contexts and workers are costly to create). Each input
// starts from inbound SAs in their just-installed state (see Reinstall), so an input behaves the same
// whatever ran before it.
struct Harness {
  Harness() {
    for (std::size_t i = 0; i < kSas.size(); ++i) {
      const SaDef& d = kSas[i];
      const ipsec::SaSpec& s = specs[i] = InboundSpec(d);
      PeerSa& p = peers[i];
      p.def = &d;
      auto c =
          EspCipher::Create({d.encr, d.bits, d.integ, d.esn}, s.keys.encr.view(), s.keys.integ.view(), rng);
      Require(c.has_value());
      p.esp = std::move(*c);
      if (d.integ == crypto::IntegId::kNone) {
        p.aead = std::move(*crypto::Aead::Create(d.encr, d.bits, s.keys.encr.view()));
      } else {
        p.cbc = std::move(*crypto::Cipher::Create(d.encr, d.bits, s.keys.encr.view()));
        p.integ = std::move(*crypto::Integrity::Create(d.integ, s.keys.integ.view()));
      }
    }
  }

  // One worker per config variant, built on first use (each holds a few MB of packet buffers).
  Worker& WorkerFor(int v) {
    if (!workers[v]) {
      tuns[v] = std::make_unique<CheckingTun>((v & 1) != 0);
      WorkerOptions o;
      o.mss_clamp = (v & 4) != 0 ? 1350 : 0;
      IkeHandler ike;
      if ((v & 2) != 0) {
        ike = [this](std::span<const std::uint8_t> m, const platform::Endpoint& from) {
          Require(from.address == kPeer);
          ike_bytes += m.size();
        };
      }
      workers[v] = std::make_unique<Worker>(*tuns[v], socket, sad.publisher(), clock, o, std::move(ike));
    }
    return *workers[v];
  }

  // Fresh inbound SAs (new SaRuntime: empty replay window, zero counters) and fresh peer sequences.
  // An SA nothing touched (no packet counted, no drop, no Tick) is left as it is: reinstalling every SA
  // for every input would cost more than the input itself.
  void Reinstall(bool all) {
    auto snap = sad.publisher().Load();
    for (std::size_t i = 0; i < kSas.size(); ++i) {
      peers[i].next_seq = 1;
      const SadEntry* e = snap->FindInbound(kSas[i].spi);
      if (e != nullptr && !all && e->sa->traffic.packets.Get() == 0 && Total(e->sa->drops) == 0 &&
          e->sa->replay().highest() == 0) {
        continue;
      }
      (void)sad.DeleteSa(kSas[i].spi, ipsec::Direction::kInbound);
      Require(sad.ReserveSpi(kSas[i].spi).has_value());
      Require(sad.AddSa(specs[i]).has_value());
    }
    (void)sad.DrainEvents();
  }

  ManualClock clock;
  SeededRng rng{1};
  DataplaneSaInstaller sad{clock, rng, rng};
  std::array<ipsec::SaSpec, kSas.size()> specs;
  std::array<PeerSa, kSas.size()> peers;
  ScriptedSocket socket;
  std::array<std::unique_ptr<CheckingTun>, 8> tuns;
  std::array<std::unique_ptr<Worker>, 8> workers;
  std::uint64_t ike_bytes = 0;
  bool ticked = false;
};

// Reads the input front to back; running out yields zeros.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
  bool empty() const { return in_.empty(); }
  std::uint8_t U8() {
    if (in_.empty()) return 0;
    const std::uint8_t v = in_[0];
    in_ = in_.subspan(1);
    return v;
  }
  std::uint16_t U16() { return static_cast<std::uint16_t>(U8() << 8 | U8()); }
  std::uint64_t U64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | U8();
    return v;
  }
  std::span<const std::uint8_t> Take(std::size_t n) {
    n = std::min(n, in_.size());
    auto out = in_.first(n);
    in_ = in_.subspan(n);
    return out;
  }

 private:
  std::span<const std::uint8_t> in_;
};

// Makes fuzz bytes look like an inner packet the SA would accept (so the fuzzer spends its time behind
// the checks): IP lengths match, addresses inside the SA's selectors, checksums valid.
void FixUp(std::vector<std::uint8_t>& p, const SaDef& d) {
  if (p.empty()) return;
  const bool v4 = (p[0] >> 4) != 6;
  const std::size_t min = v4 ? 20 : 40;
  if (p.size() < min) p.resize(min);
  if (v4) {
    p[0] = static_cast<std::uint8_t>(0x40 | std::max(5, p[0] & 0x0f));
    const std::size_t ihl = (p[0] & 0x0f) * 4u;
    if (p.size() < ihl) p.resize(ihl);
    Store16(&p[2], static_cast<std::uint16_t>(std::min<std::size_t>(p.size(), 0xffff)));
  } else {
    p[0] = static_cast<std::uint8_t>(0x60 | (p[0] & 0x0f));
    Store16(&p[4], static_cast<std::uint16_t>(std::min<std::size_t>(p.size() - 40, 0xffff)));
  }
  // Source from the SA's remote selectors, destination from its local ones (first of the family).
  auto place = [&](const std::vector<const char*>& prefixes, std::size_t off) {
    for (auto* s : prefixes) {
      auto pre = *net::Prefix::Parse(s);
      if (pre.address().is_v4() != v4) continue;
      const std::size_t whole = static_cast<std::size_t>(pre.length()) / 8;
      std::memcpy(&p[off], pre.address().bytes(), whole);
      return;
    }
  };
  place(d.remote, v4 ? 12 : 8);
  place(d.local, v4 ? 16 : 24);
  Parsed h;
  if (v4) SetIpv4Checksum(p.data());
  if (Parse(p.data(), p.size(), &h) && h.tcp) {
    std::uint8_t* t = p.data() + h.ip_len;
    t[16] = t[17] = 0;
    const std::size_t l4 = h.total - h.ip_len;
    StoreSum(t + 16, static_cast<std::uint16_t>(~Fold(Sum(t, l4, PseudoSum(p.data(), h.v4, kProtoTcp, l4)))));
  }
}

std::vector<std::uint8_t> SealRecord(PeerSa& sa, std::uint64_t seq, std::uint8_t nh,
                                     std::vector<std::uint8_t> inner) {
  EspCipher& c = *sa.esp;
  const std::size_t len = inner.size();
  std::vector<std::uint8_t> out(c.header_size() + len + c.TrailerSize(len));
  if (len > 0) std::memcpy(out.data() + c.header_size(), inner.data(), len);
  std::span<std::uint8_t> esp;
  Require(c.Seal(sa.def->spi, seq, nh, out.data() + c.header_size(), len, &esp) == Drop::kNone);
  Require(esp.data() == out.data() && esp.size() == out.size());
  return out;
}

// ESP framing of RFC 4303 §2 around a caller-chosen plaintext (trailer included), sealed with the SA's
// primitives: AEAD IV = the sequence number, AAD = SPI || [seq high] || seq low (RFC 4106 §5); CBC with
// an ICV over SPI..ciphertext (+ seq high with ESN, RFC 4303 §2.2.1).
std::vector<std::uint8_t> FrameRecord(PeerSa& sa, std::uint64_t seq, std::span<const std::uint8_t> plain) {
  const bool esn = sa.def->esn;
  std::vector<std::uint8_t> out(8);
  Store32(&out[0], sa.def->spi);
  Store32(&out[4], static_cast<std::uint32_t>(seq));
  std::uint8_t high[4];
  Store32(high, static_cast<std::uint32_t>(seq >> 32));
  if (sa.aead) {
    std::uint8_t iv[8];
    Store32(iv, static_cast<std::uint32_t>(seq >> 32));
    Store32(iv + 4, static_cast<std::uint32_t>(seq));
    out.insert(out.end(), iv, iv + 8);
    std::uint8_t aad[12];
    std::memcpy(aad, out.data(), 4);
    std::memcpy(aad + 4, esn ? high : out.data() + 4, 4);
    std::memcpy(aad + 8, out.data() + 4, 4);
    const std::size_t at = out.size();
    out.resize(at + plain.size() + sa.aead->icv_size());
    Require(
        sa.aead->Seal(crypto::AeadIv(iv), {aad, esn ? 12u : 8u}, plain, {out.data() + at, out.size() - at}));
    return out;
  }
  std::vector<std::uint8_t> body(plain.begin(), plain.end());
  body.resize((body.size() + 15) / 16 * 16);  // CBC needs whole blocks; the tail becomes zeros
  if (body.empty()) body.resize(16);
  const std::uint8_t iv[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  out.insert(out.end(), iv, iv + 16);
  Require(sa.cbc->Encrypt(iv, body, body));
  out.insert(out.end(), body.begin(), body.end());
  const std::size_t covered = out.size();
  out.resize(covered + sa.integ->icv_size());
  crypto::MutableBytes icv(out.data() + covered, sa.integ->icv_size());
  Require(esn ? sa.integ->Compute({crypto::ConstBytes(out.data(), covered), crypto::ConstBytes(high, 4)}, icv)
              : sa.integ->Compute(crypto::ConstBytes(out.data(), covered), icv));
  return out;
}

// Kernel UDP_GRO: runs of equal-sized datagrams (the last of a run may be shorter) become one buffer.
void Gro(std::vector<ScriptedSocket::Message>& in) {
  std::vector<ScriptedSocket::Message> out;
  for (auto& m : in) {
    if (!out.empty() && !out.back().bytes.empty()) {
      auto& last = out.back();
      const std::size_t seg = last.segment_size != 0 ? last.segment_size : last.bytes.size();
      const bool closed = last.bytes.size() % seg != 0;
      if (!closed && !m.bytes.empty() && m.bytes.size() <= seg && seg <= 0xffff &&
          last.bytes.size() + m.bytes.size() <= kSlotBytes && last.bytes.size() / seg < 64) {
        last.segment_size = static_cast<std::uint16_t>(seg);
        last.bytes.insert(last.bytes.end(), m.bytes.begin(), m.bytes.end());
        continue;
      }
    }
    out.push_back(std::move(m));
  }
  in = std::move(out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Harness* h = new Harness();  // lives for the process: libFuzzer calls this millions of times
  if (size == 0) return 0;
  Reader in({data, size});
  const std::uint8_t config = in.U8();
  const int variant = config & 7;
  const std::uint8_t tick_seconds = (config & 0x10) != 0 ? in.U8() : 0;
  Worker& worker = h->WorkerFor(variant);
  CheckingTun& tun = *h->tuns[variant];

  h->clock.Set(TimePoint(std::chrono::hours(1)));
  h->Reinstall(/*all=*/h->ticked);  // Tick changes idle/expiry state without counting anything
  h->ticked = false;
  h->socket.Reset();

  std::vector<ScriptedSocket::Message> msgs;
  std::size_t empty_datagrams = 0;
  while (!in.empty() && msgs.size() < kMaxRecords) {
    const std::uint8_t kind = in.U8();
    const std::size_t len = std::min<std::size_t>(in.U16(), kMaxDatagram);
    PeerSa& sa = h->peers[(kind >> 2) & 3];
    std::vector<std::uint8_t> bytes;
    switch (kind & 3) {
      case 0: {
        auto b = in.Take(len);
        bytes.assign(b.begin(), b.end());
        break;
      }
      case 1: {
        std::uint8_t nh = 0;
        if ((kind & 0x10) != 0) nh = in.U8();
        const std::uint64_t seq = (kind & 0x40) != 0 ? in.U64() : sa.next_seq;
        sa.next_seq = seq + 1;
        auto b = in.Take(len);
        std::vector<std::uint8_t> inner(b.begin(), b.end());
        if ((kind & 0x20) != 0) FixUp(inner, *sa.def);
        if ((kind & 0x10) == 0)
          nh = !inner.empty() && (inner[0] >> 4) == 6 ? kNextHeaderIpv6 : kNextHeaderIpv4;
        bytes = SealRecord(sa, seq, nh, std::move(inner));
        if ((kind & 0x80) != 0) {
          const std::uint16_t pos = in.U16();
          bytes[pos % bytes.size()] ^= static_cast<std::uint8_t>(in.U8() | 1);
        }
        break;
      }
      case 2: {
        const std::uint64_t seq = (kind & 0x40) != 0 ? in.U64() : sa.next_seq;
        sa.next_seq = seq + 1;
        bytes = FrameRecord(sa, seq, in.Take(len));
        break;
      }
      default:
        if (msgs.empty()) continue;
        bytes = msgs.back().bytes;
        if ((kind & 0x80) != 0) bytes.resize(std::min(bytes.size(), len));
        break;
    }
    msgs.push_back({std::move(bytes), 0});
  }
  const std::size_t datagrams = msgs.size();
  for (const auto& m : msgs) empty_datagrams += m.bytes.empty() ? 1 : 0;
  if ((config & 8) != 0) Gro(msgs);
  h->socket.queue = std::move(msgs);

  // Counters before (worker-wide counters persist; the SAs are new for this input).
  const WorkerStats& st = worker.stats();
  const std::uint64_t in0 = st.udp_datagrams_in.Get(), ka0 = st.keepalives.Get(),
                      ike0 = st.ike_datagrams.Get();
  const std::uint64_t drops0 = Total(worker.drops()), tun0 = tun.inner_packets;

  auto snap = h->sad.publisher().Load();
  tun.sad = snap.get();
  for (int guard = 0; !h->socket.empty() && guard < 64; ++guard) worker.OnUdpReadable();
  Require(h->socket.empty());
  if ((config & 0x10) != 0) {
    h->clock.Advance(std::chrono::seconds(tick_seconds));
    worker.Tick();
    h->ticked = true;
  }

  // Every datagram accounted exactly once. An empty datagram is never seen by the worker's split loop
  // (size 0), so it counts for nothing.
  std::uint64_t sa_drops = 0, sa_packets = 0;
  for (const SadEntry& e : snap->inbound()) {
    sa_drops += Total(e.sa->drops);
    sa_packets += e.sa->traffic.packets.Get();
  }
  const std::uint64_t seen = st.udp_datagrams_in.Get() - in0;
  Require(seen + empty_datagrams == datagrams);
  Require(seen == (st.keepalives.Get() - ka0) + (st.ike_datagrams.Get() - ike0) +
                      (Total(worker.drops()) - drops0) + sa_drops + sa_packets);
  Require(tun.inner_packets - tun0 == sa_packets);
  (void)h->sad.DrainEvents();
  return 0;
}
