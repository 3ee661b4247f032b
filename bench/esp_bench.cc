// Per-packet cost of the ESP data path as the worker runs it (dataplane/path/worker.cc):
// - BM_EspSeal / BM_EspOpen: one tunnel-mode packet per transform and inner size, through the SA
//   runtime the installer built: NextSeq + EspCipher::Seal + Count (the worker's Sealer::Commit), and
//   Infer + replay Check + EspCipher::Open + replay Update + Count (the ESP steps of HandleDatagram).
//   Open reads a ring of distinct packets with growing sequence numbers, re-sealed with timing paused.
// - BM_CbcIvFromCryptoRng: the per-packet IV draw that makes CBC seal dearer than CBC open.
// - BM_SadInstall: installing N connections through DataplaneSaInstaller (one snapshot per AddSa).
// - BM_SadFindInbound / BM_SadFindOutbound: SPI lookup and longest-prefix match in the snapshot of
//   1 or 10,000 connections (one inbound and one outbound SA each).
// - BM_WorkerInbound / BM_WorkerOutbound: the whole Worker pipeline (demux, lookup, ESP, inner checks,
//   counters, TUN/UDP hand-off) over in-memory devices, for the overhead around the cipher.
// Figures only, no assertions (STYLE.md "Tests").
//
// Run: build/<dir>/bench/esp_bench [--benchmark_filter=Open] [--benchmark_min_time=0.2]
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "base/clock.h"
#include "crypto/random.h"
#include "crypto/transforms.h"
#include "dataplane/path/packet.h"
#include "dataplane/path/worker.h"
#include "dataplane/sad/dataplane_sa_installer.h"

namespace isthmus::dataplane {
namespace {

using ipsec::Direction;

struct Transform {
  const char* name;
  crypto::EncrId encr;
  std::uint16_t bits;
  crypto::IntegId integ;
};

// Every ESP transform crypto/transforms.h supports (AEADs, and AES-CBC with each HMAC-SHA2).
constexpr Transform kTransforms[] = {
    {"AES_GCM_16_128", crypto::EncrId::kAesGcm16, 128, crypto::IntegId::kNone},
    {"AES_GCM_16_256", crypto::EncrId::kAesGcm16, 256, crypto::IntegId::kNone},
    {"CHACHA20_POLY1305", crypto::EncrId::kChaCha20Poly1305, 0, crypto::IntegId::kNone},
    {"AES_CBC_128/HMAC_SHA2_256_128", crypto::EncrId::kAesCbc, 128, crypto::IntegId::kHmacSha2_256_128},
    {"AES_CBC_256/HMAC_SHA2_256_128", crypto::EncrId::kAesCbc, 256, crypto::IntegId::kHmacSha2_256_128},
    {"AES_CBC_128/HMAC_SHA2_384_192", crypto::EncrId::kAesCbc, 128, crypto::IntegId::kHmacSha2_384_192},
    {"AES_CBC_256/HMAC_SHA2_384_192", crypto::EncrId::kAesCbc, 256, crypto::IntegId::kHmacSha2_384_192},
    {"AES_CBC_128/HMAC_SHA2_512_256", crypto::EncrId::kAesCbc, 128, crypto::IntegId::kHmacSha2_512_256},
    {"AES_CBC_256/HMAC_SHA2_512_256", crypto::EncrId::kAesCbc, 256, crypto::IntegId::kHmacSha2_512_256},
};
constexpr std::int64_t kTransformCount = sizeof kTransforms / sizeof kTransforms[0];

net::IpAddress A(const char* s) {
  return *net::IpAddress::Parse(s);
}
net::Prefix P(const char* s) {
  return *net::Prefix::Parse(s);
}

// An SA as the IKE engine would hand it to the installer; keys are fixed patterns (both ends of a
// tunnel get the same keys for the same SPI, which is all the benchmarks need).
ipsec::SaSpec Spec(const Transform& t, Direction d, std::uint32_t spi, const std::string& conn,
                   std::vector<net::Prefix> local, std::vector<net::Prefix> remote) {
  ipsec::SaSpec s;
  s.direction = d;
  s.spi = spi;
  s.local_address = A("198.18.0.2");
  s.remote_address = A("198.18.0.3");
  s.encap = {true, 4500, 4500};
  for (const auto& p : local) s.selectors.local.push_back({p});
  for (const auto& p : remote) s.selectors.remote.push_back({p});
  const auto encr = crypto::FindEncr(t.encr, t.bits);
  s.transform = {t.encr, t.bits, t.integ, false};  // no ESN: Azure's policies (ike/sa/azure_policy.cc)
  s.keys.encr = SecretBytes(std::vector<std::uint8_t>(encr->keymat_size, static_cast<std::uint8_t>(spi)));
  if (t.integ != crypto::IntegId::kNone) {
    s.keys.integ = SecretBytes(std::vector<std::uint8_t>(crypto::FindInteg(t.integ)->key_size, 0x5a));
  }
  s.replay_window = 4096;  // as isthmus-dp
  s.connection = conn;
  return s;
}

// A well-formed IPv4/UDP packet of `total` octets from 10.2.0.10 to 10.1.0.10 (or the reverse).
std::vector<std::uint8_t> InnerPacket(std::size_t total, bool from_remote) {
  std::vector<std::uint8_t> p(total, 0xab);
  p[0] = 0x45;
  pkt::Store16(&p[2], static_cast<std::uint16_t>(total));
  p[8] = 64;
  p[9] = 17;
  const std::uint8_t remote[4] = {10, 2, 0, 10}, local[4] = {10, 1, 0, 10};
  std::memcpy(&p[12], from_remote ? remote : local, 4);
  std::memcpy(&p[16], from_remote ? local : remote, 4);
  pkt::SetIpv4Checksum(p.data());
  pkt::Store16(&p[20], 40000);
  pkt::Store16(&p[22], 5201);
  pkt::Store16(&p[24], static_cast<std::uint16_t>(total - 20));
  p[26] = p[27] = 0;  // no UDP checksum (allowed for IPv4)
  return p;
}

constexpr std::uint32_t kSpiToUs = 0xc0000001;    // peer -> us: our inbound SA
constexpr std::uint32_t kSpiToPeer = 0xc0000002;  // us -> peer: our outbound SA

// Two gateways' SA tables for one connection: `us` holds inbound kSpiToUs and outbound kSpiToPeer;
// `peer` the mirror image, so the peer's outbound SA seals what our inbound SA opens.
struct Tunnel {
  explicit Tunnel(const Transform& t) {
    Install(us, t, kSpiToUs, kSpiToPeer, P("10.1.0.0/24"), P("10.2.0.0/24"));
    Install(peer, t, kSpiToPeer, kSpiToUs, P("10.2.0.0/24"), P("10.1.0.0/24"));
  }
  void Install(DataplaneSaInstaller& sad, const Transform& t, std::uint32_t in, std::uint32_t out,
               const net::Prefix& local, const net::Prefix& remote) {
    ok = ok && sad.ReserveSpi(in).has_value() &&
         sad.AddSa(Spec(t, Direction::kInbound, in, "c", {local}, {remote})).has_value() &&
         sad.AddSa(Spec(t, Direction::kOutbound, out, "c", {local}, {remote})).has_value();
  }
  // The installer keeps the SAs alive; the references stay valid while the Tunnel exists.
  static SaRuntime& Inbound(const DataplaneSaInstaller& sad) {
    return *sad.publisher().Load()->inbound().front().sa;
  }
  static SaRuntime& Outbound(const DataplaneSaInstaller& sad) {
    return *sad.publisher().Load()->outbound().front().sa;
  }

  bool ok = true;
  ManualClock clock;
  SeededRng spi_rng{1};
  crypto::CryptoRng iv_rng;  // production's IV source for CBC (worth measuring: one RAND_bytes per packet)
  DataplaneSaInstaller us{clock, spi_rng, iv_rng};
  DataplaneSaInstaller peer{clock, spi_rng, iv_rng};
};

// A ring of distinct ESP packets the peer sealed with increasing sequence numbers. Open works in place,
// so once every packet in it was opened the ring is re-sealed with the next sequence numbers (timing
// paused). The replay window thus sees one long-lived SA whose sequence numbers only grow, as on the
// wire, and every Open does the full work: window check, ICV, decryption, window update.
class SealedRing {
 public:
  SealedRing(SaRuntime& sealer, std::size_t inner_size, std::size_t count)
      : sealer_(sealer), inner_(InnerPacket(inner_size, true)) {
    EspCipher& c = sealer_.cipher();
    stride_ = c.header_size() + inner_size + c.TrailerSize(inner_size);
    buf_.resize(stride_ * count);
    sizes_.resize(count);
  }
  // Seals the next `count` sequence numbers into the ring; false if a seal failed.
  bool Refill() {
    EspCipher& c = sealer_.cipher();
    for (std::size_t i = 0; i < sizes_.size(); ++i) {
      std::uint8_t* payload = buf_.data() + i * stride_ + c.header_size();
      std::memcpy(payload, inner_.data(), inner_.size());
      std::span<std::uint8_t> esp;
      const std::uint64_t seq = sealer_.NextSeq();
      if (seq == 0 ||
          c.Seal(sealer_.spi(), seq, kNextHeaderIpv4, payload, inner_.size(), &esp) != Drop::kNone) {
        return false;
      }
      sizes_[i] = esp.size();
    }
    return true;
  }
  std::size_t count() const { return sizes_.size(); }
  std::span<std::uint8_t> Packet(std::size_t i) { return {buf_.data() + i * stride_, sizes_[i]}; }

 private:
  SaRuntime& sealer_;
  std::vector<std::uint8_t> inner_;
  std::size_t stride_ = 0;
  std::vector<std::uint8_t> buf_;
  std::vector<std::size_t> sizes_;
};

// Implementation choice: ring length. Long enough that Pause/ResumeTiming is amortized over many
// packets, short enough (<= ~10 MB) to build quickly.
std::size_t RingLength(std::size_t inner_size) {
  return inner_size >= 4000 ? 1024 : 4096;
}

void Label(benchmark::State& state, const Transform& t, std::size_t n) {
  state.SetLabel(std::string(t.name));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// args: {transform index, inner packet size}
void BM_EspSeal(benchmark::State& state) {
  const Transform& t = kTransforms[state.range(0)];
  const auto n = static_cast<std::size_t>(state.range(1));
  Tunnel tun(t);
  if (!tun.ok) return state.SkipWithError("install failed");
  SaRuntime& sa = Tunnel::Outbound(tun.us);
  EspCipher& c = sa.cipher();
  const auto inner = InnerPacket(n, false);
  std::vector<std::uint8_t> buf(c.header_size() + n + c.TrailerSize(n));
  std::uint8_t* payload = buf.data() + c.header_size();
  std::memcpy(payload, inner.data(), n);  // sealed in place: later rounds seal ciphertext, same cost
  const TimePoint now = tun.clock.Now();
  for (auto _ : state) {
    const std::uint64_t seq = sa.NextSeq();
    std::span<std::uint8_t> esp;
    if (seq == 0 || c.Seal(sa.spi(), seq, kNextHeaderIpv4, payload, n, &esp) != Drop::kNone) {
      state.SkipWithError("seal failed");
      break;
    }
    sa.Count(n, now);
    benchmark::DoNotOptimize(esp.data());
  }
  Label(state, t, n);
}

void BM_EspOpen(benchmark::State& state) {
  const Transform& t = kTransforms[state.range(0)];
  const auto n = static_cast<std::size_t>(state.range(1));
  Tunnel tun(t);
  if (!tun.ok) return state.SkipWithError("install failed");
  SaRuntime& sa = Tunnel::Inbound(tun.us);
  SealedRing ring(Tunnel::Outbound(tun.peer), n, RingLength(n));
  if (!ring.Refill()) return state.SkipWithError("seal failed");
  const TimePoint now = tun.clock.Now();
  std::size_t next = 0;
  for (auto _ : state) {
    if (next == ring.count()) {
      state.PauseTiming();
      const bool refilled = ring.Refill();
      state.ResumeTiming();
      if (!refilled) {
        state.SkipWithError("seal failed");
        break;
      }
      next = 0;
    }
    std::span<std::uint8_t> esp = ring.Packet(next++);
    const std::uint64_t seq = sa.replay().Infer(pkt::Load32(esp.data() + 4));
    if (sa.replay().Check(seq) != ReplayWindow::Verdict::kOk) {
      state.SkipWithError("replay window refused a fresh packet");
      break;
    }
    std::span<std::uint8_t> inner;
    std::uint8_t nh = 0;
    if (sa.cipher().Open(esp, seq, &inner, &nh) != Drop::kNone || inner.size() != n) {
      state.SkipWithError("open failed");
      break;
    }
    sa.replay().Update(seq);
    sa.Count(inner.size(), now);
    benchmark::DoNotOptimize(inner.data());
  }
  Label(state, t, n);
}

void EspArgs(benchmark::internal::Benchmark* b) {
  for (std::int64_t t = 0; t < kTransformCount; ++t) {
    for (std::int64_t n : {64, 1400, 8900}) b->Args({t, n});
  }
  b->ArgNames({"transform", "size"});
}
BENCHMARK(BM_EspSeal)->Apply(EspArgs);
BENCHMARK(BM_EspOpen)->Apply(EspArgs);

// The part of a CBC seal that an AEAD seal does not have: a fresh unpredictable IV per packet
// (RFC 3602 §2) from the production Rng, one RAND_bytes call.
void BM_CbcIvFromCryptoRng(benchmark::State& state) {
  crypto::CryptoRng rng;
  std::uint8_t iv[16];
  for (auto _ : state) {
    rng.Fill(iv);
    benchmark::DoNotOptimize(iv);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_CbcIvFromCryptoRng);

// ---------------------------------------------------------------- SA lookup

// N connections, each with one inbound SA (random SPI >= 256, as AllocateSpi) and one outbound SA whose
// remote selector is its own block of 10/8: /22, /24, /26 or /28 in turn, so the LPM walks four lengths.
// The snapshot is the one DataplaneSaInstaller would publish after the last AddSa — same SaRuntime
// construction, same SadSnapshot::Build over the SAs in install order — built once instead of after
// every AddSa: through the installer, 10,000 pairs take minutes (BM_SadInstall shows why).
struct ManySas {
  explicit ManySas(std::size_t n) {
    const Transform& t = kTransforms[1];
    const std::vector<net::Prefix> local = {P("172.16.0.0/12")};
    std::vector<SadEntry> in, out;
    std::set<std::uint32_t> used;
    for (std::size_t i = 0; i < n && ok; ++i) {
      const int len = 22 + 2 * static_cast<int>(i % 4);
      const std::uint32_t base = (10u << 24) + static_cast<std::uint32_t>(i) * 1024;
      const net::Prefix remote = net::Prefix::Of(net::IpAddress::V4(base), len);
      std::uint32_t spi = 0;
      while (spi < ipsec::kMinSpi || !used.insert(spi).second)
        spi = static_cast<std::uint32_t>(rng.NextU64());
      auto conn = std::make_shared<ConnectionRuntime>("conn-" + std::to_string(i));
      ok = Add(Spec(t, Direction::kInbound, spi, conn->name, local, {remote}), conn, in) &&
           Add(Spec(t, Direction::kOutbound, OutSpi(i), conn->name, local, {remote}), conn, out);
      spis.push_back(spi);
      dsts.push_back(net::IpAddress::V4(base + 1 + static_cast<std::uint32_t>(i % 13)));  // in its first /28
    }
    snap = SadSnapshot::Build(std::move(in), std::move(out), 1);
  }
  static std::uint32_t OutSpi(std::size_t i) { return 0x10000000u + static_cast<std::uint32_t>(i); }
  // What DataplaneSaInstaller::AddSa does for one validated spec.
  bool Add(const ipsec::SaSpec& s, std::shared_ptr<ConnectionRuntime> conn, std::vector<SadEntry>& table) {
    if (!ipsec::Validate(s)) return false;
    EspTransform et{s.transform.encr, s.transform.encr_key_bits, s.transform.integ, s.transform.esn};
    auto cipher = EspCipher::Create(et, s.keys.encr.view(), s.keys.integ.view(), rng);
    if (!cipher) return false;
    auto rt = std::make_shared<SaRuntime>(s, std::move(*cipher), std::move(conn), &events, clock.Now());
    table.push_back({std::move(rt), SaPath{{s.local_address, 4500}, {s.remote_address, 4500}}});
    return true;
  }

  bool ok = true;
  ManualClock clock;
  SeededRng rng{7};
  ipsec::SaEventQueue events;
  std::vector<std::uint32_t> spis;
  std::vector<net::IpAddress> dsts;
  std::shared_ptr<const SadSnapshot> snap;
};

// Built once per size and shared by the lookup benchmarks.
ManySas& Sas(std::size_t n) {
  static std::unique_ptr<ManySas> one, many;
  auto& slot = n == 1 ? one : many;
  if (!slot) slot = std::make_unique<ManySas>(n);
  return *slot;
}

// Control-plane cost of installing N connections (an inbound and an outbound SA each) one AddSa at a
// time through DataplaneSaInstaller, as the IKE engine does: every AddSa republishes a whole snapshot,
// so the cost per SA grows with the number installed. items/s = AddSa calls per second.
void BM_SadInstall(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const Transform& t = kTransforms[1];
  const std::vector<net::Prefix> local = {P("172.16.0.0/12")};
  ManualClock clock;
  SeededRng spi_rng{7}, iv_rng{8};
  std::vector<std::unique_ptr<DataplaneSaInstaller>> done;  // torn down after timing: not part of installing
  for (auto _ : state) {
    auto& sad = *done.emplace_back(std::make_unique<DataplaneSaInstaller>(clock, spi_rng, iv_rng));
    for (std::size_t i = 0; i < n; ++i) {
      const std::string conn = "conn-" + std::to_string(i);
      const std::uint32_t base = (10u << 24) + static_cast<std::uint32_t>(i) * 1024;
      const net::Prefix remote = net::Prefix::Of(net::IpAddress::V4(base), 22 + 2 * static_cast<int>(i % 4));
      auto spi = sad.AllocateSpi();
      if (!spi || !sad.AddSa(Spec(t, Direction::kInbound, *spi, conn, local, {remote})) ||
          !sad.AddSa(Spec(t, Direction::kOutbound, ManySas::OutSpi(i), conn, local, {remote}))) {
        state.SkipWithError("install failed");
        return;
      }
    }
    benchmark::DoNotOptimize(sad.publisher().version());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * 2 * n));
}
BENCHMARK(BM_SadInstall)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(3000)
    ->ArgName("connections")
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Implementation choice: 4096 precomputed random picks (a power of two: the index is a mask).
constexpr std::size_t kPicks = 4096;

std::vector<std::size_t> RandomPicks(std::size_t n) {
  SeededRng rng(99);
  std::vector<std::size_t> picks(kPicks);
  for (auto& p : picks) p = static_cast<std::size_t>(rng.NextU64() % n);
  return picks;
}

void BM_SadFindInbound(benchmark::State& state) {
  ManySas& sas = Sas(static_cast<std::size_t>(state.range(0)));
  if (!sas.ok) return state.SkipWithError("install failed");
  std::vector<std::uint32_t> spis;
  for (std::size_t i : RandomPicks(sas.spis.size())) spis.push_back(sas.spis[i]);
  for (std::uint32_t spi : spis) {
    if (sas.snap->FindInbound(spi) == nullptr || sas.snap->FindInbound(spi)->sa->spi() != spi) {
      return state.SkipWithError("lookup is wrong");
    }
  }
  std::size_t i = 0;
  for (auto _ : state) {
    const SadEntry* e = sas.snap->FindInbound(spis[i++ & (kPicks - 1)]);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["sas"] = static_cast<double>(sas.snap->inbound().size());
}

void BM_SadFindOutbound(benchmark::State& state) {
  ManySas& sas = Sas(static_cast<std::size_t>(state.range(0)));
  if (!sas.ok) return state.SkipWithError("install failed");
  std::vector<net::IpAddress> dsts;
  std::vector<std::uint32_t> want;
  for (std::size_t i : RandomPicks(sas.dsts.size())) {
    dsts.push_back(sas.dsts[i]);
    want.push_back(ManySas::OutSpi(i));
  }
  for (std::size_t k = 0; k < dsts.size(); ++k) {
    const SadEntry* e = sas.snap->FindOutbound(dsts[k].bytes(), true);
    if (e == nullptr || e->sa->spi() != want[k]) return state.SkipWithError("lookup is wrong");
  }
  std::size_t i = 0;
  for (auto _ : state) {
    const SadEntry* e = sas.snap->FindOutbound(dsts[i++ & (kPicks - 1)].bytes(), true);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["sas"] = static_cast<double>(sas.snap->outbound().size());
}
BENCHMARK(BM_SadFindInbound)->Arg(1)->Arg(10000)->ArgName("connections");
BENCHMARK(BM_SadFindOutbound)->Arg(1)->Arg(10000)->ArgName("connections");

// ---------------------------------------------------------------- whole worker

// In-memory TUN with offloads (as isthmus-dp runs it): reads hand out one prepared packet up to
// `budget` times per readiness event; writes are counted and discarded.
class BenchTun final : public platform::TunDevice {
 public:
  explicit BenchTun(std::vector<std::uint8_t> packet) : packet_(std::move(packet)) {
    packet_.insert(packet_.begin(), sizeof(pkt::VnetHdr), 0);
  }
  int fd() const override { return -1; }
  const std::string& name() const override { return name_; }
  bool vnet_hdr() const override { return true; }
  Result<std::size_t> Read(std::span<std::uint8_t> buf) override {
    if (reads_left_ == 0) return std::size_t{0};
    --reads_left_;
    std::memcpy(buf.data(), packet_.data(), packet_.size());
    return packet_.size();
  }
  Status Write(std::span<const std::uint8_t> p) override {
    written_ += p.size() - sizeof(pkt::VnetHdr);
    ++writes_;
    return {};
  }
  void Arm(std::size_t reads) { reads_left_ = reads; }
  std::uint64_t writes() const { return writes_; }

 private:
  std::string name_ = "bench0";
  std::vector<std::uint8_t> packet_;
  std::size_t reads_left_ = 0;
  std::uint64_t written_ = 0, writes_ = 0;
};

// In-memory UDP socket: Receive copies the next datagrams of a SealedRing into the worker's slots (as
// recvmmsg copies out of the kernel), one batch per readiness event; Send counts and discards.
class BenchSocket final : public platform::DatagramSocket {
 public:
  int fd() const override { return -1; }
  platform::Endpoint local() const override { return {A("198.18.0.2"), 4500}; }
  Result<std::size_t> Receive(std::span<platform::Datagram> batch) override {
    if (ring_ == nullptr || !armed_) return std::size_t{0};
    armed_ = false;
    std::size_t n = 0;
    for (; n < batch.size() && next_ < ring_->count(); ++n) {
      auto p = ring_->Packet(next_++);
      std::memcpy(batch[n].data, p.data(), p.size());
      batch[n].size = p.size();
      batch[n].peer = {A("198.18.0.3"), 4500};
      batch[n].segment_size = 0;
    }
    return n;
  }
  Result<std::size_t> Send(std::span<const platform::Datagram> batch) override {
    for (const auto& d : batch) {
      datagrams_ += d.segment_size == 0 ? 1 : (d.size + d.segment_size - 1) / d.segment_size;
    }
    return batch.size();
  }
  void Attach(SealedRing* ring) { ring_ = ring; }
  void Arm() { armed_ = true; }
  bool Exhausted(std::size_t batch) const { return next_ + batch > ring_->count(); }
  void Rewind() { next_ = 0; }
  std::uint64_t datagrams() const { return datagrams_; }

 private:
  SealedRing* ring_ = nullptr;
  bool armed_ = false;
  std::size_t next_ = 0;
  std::uint64_t datagrams_ = 0;
};

WorkerOptions BenchOptions() {
  WorkerOptions o;
  o.tunnel_mtu = 9000;  // let the 8900-octet case through
  return o;
}

// One readiness event = one full receive batch (Worker::kInSlots datagrams). args: as BM_EspOpen.
void BM_WorkerInbound(benchmark::State& state) {
  const Transform& t = kTransforms[state.range(0)];
  const auto n = static_cast<std::size_t>(state.range(1));
  Tunnel tun(t);
  if (!tun.ok) return state.SkipWithError("install failed");
  SealedRing ring(Tunnel::Outbound(tun.peer), n, RingLength(n));
  if (!ring.Refill()) return state.SkipWithError("seal failed");
  BenchTun dev(InnerPacket(n, false));
  BenchSocket sock;
  sock.Attach(&ring);
  Worker w(dev, sock, tun.us.publisher(), tun.clock, BenchOptions());
  for (auto _ : state) {
    if (sock.Exhausted(Worker::kInSlots)) {
      state.PauseTiming();
      const bool refilled = ring.Refill();
      sock.Rewind();
      state.ResumeTiming();
      if (!refilled) {
        state.SkipWithError("seal failed");
        break;
      }
    }
    sock.Arm();
    w.OnUdpReadable();
  }
  const std::uint64_t delivered = dev.writes();
  if (delivered != state.iterations() * Worker::kInSlots) state.SkipWithError("packets were dropped");
  state.SetLabel(std::string(t.name));
  state.SetBytesProcessed(static_cast<std::int64_t>(delivered * n));
  state.SetItemsProcessed(static_cast<std::int64_t>(delivered));
}

// One readiness event = Worker::kTunBudget TUN reads, sealed into GSO messages and sent.
void BM_WorkerOutbound(benchmark::State& state) {
  const Transform& t = kTransforms[state.range(0)];
  const auto n = static_cast<std::size_t>(state.range(1));
  Tunnel tun(t);
  if (!tun.ok) return state.SkipWithError("install failed");
  BenchTun dev(InnerPacket(n, false));
  BenchSocket sock;
  Worker w(dev, sock, tun.us.publisher(), tun.clock, BenchOptions());
  for (auto _ : state) {
    dev.Arm(Worker::kTunBudget);
    w.OnTunReadable();
  }
  const std::uint64_t sent = sock.datagrams();
  if (sent != state.iterations() * Worker::kTunBudget) state.SkipWithError("packets were dropped");
  state.SetLabel(std::string(t.name));
  state.SetBytesProcessed(static_cast<std::int64_t>(sent * n));
  state.SetItemsProcessed(static_cast<std::int64_t>(sent));
}

void WorkerArgs(benchmark::internal::Benchmark* b) {
  for (std::int64_t t : {1, 2, 4}) {  // AES-256-GCM, ChaCha20-Poly1305, AES-256-CBC/SHA-256
    for (std::int64_t n : {64, 1400}) b->Args({t, n});
  }
  b->ArgNames({"transform", "size"});
}
BENCHMARK(BM_WorkerInbound)->Apply(WorkerArgs);
BENCHMARK(BM_WorkerOutbound)->Apply(WorkerArgs);

}  // namespace
}  // namespace isthmus::dataplane

BENCHMARK_MAIN();
