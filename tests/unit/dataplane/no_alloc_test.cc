// "No allocation per packet" (the ESP data-plane issue, DESIGN.md §2), measured rather than assumed:
// every operator new and every OpenSSL allocation (CRYPTO_set_mem_functions, installed before anything
// else runs) is counted while two workers carry TCP super-segments one way and ACKs the other, sealed
// and opened with each AEAD and with AES-CBC + HMAC-SHA2 (whose HMAC allocated twice per packet inside
// OpenSSL 3.0 until crypto::Integrity went direct). The devices here are preallocated rings, so any
// allocation counted is the packet path's own (or OpenSSL's on its behalf).
//
// Its own main: OpenSSL accepts allocator hooks only before its first allocation.
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include "crypto/transforms.h"
#include "dataplane/path/packet.h"
#include "dataplane/path/worker.h"
#include "dataplane/sad/dataplane_sa_installer.h"

namespace {

std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
bool g_hooks_installed = false;

void Count() {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
}

void* CountingMalloc(std::size_t n, const char*, int) {
  Count();
  return std::malloc(n);
}
void* CountingRealloc(void* p, std::size_t n, const char*, int) {
  Count();
  return std::realloc(p, n);
}
void CountingFree(void* p, const char*, int) {
  std::free(p);
}

}  // namespace

// The replacements below pair malloc with free by design; GCC cannot see that through inlining.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
  Count();
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  return operator new(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  Count();
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return operator new(n, t);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

namespace isthmus::dataplane {
namespace {

using namespace pkt;

net::IpAddress A(const char* s) {
  return *net::IpAddress::Parse(s);
}

// One end of an in-memory wire: Send copies each message into the peer's preallocated slots, Receive
// copies them out as recvmmsg would (GSO messages arrive whole, as UDP GRO delivers them).
class RingSocket final : public platform::DatagramSocket {
 public:
  static constexpr std::size_t kSlots = 128, kSlotBytes = 66 * 1024;
  explicit RingSocket(const char* address)
      : local_{A(address), 4500}, buf_(kSlots * kSlotBytes), size_(kSlots) {}
  void Connect(RingSocket* peer) { peer_ = peer; }
  int fd() const override { return -1; }
  platform::Endpoint local() const override { return local_; }
  Result<std::size_t> Receive(std::span<platform::Datagram> batch) override {
    std::size_t n = 0;
    for (; n < batch.size() && head_ != tail_; ++n, ++head_) {
      const std::size_t i = head_ % kSlots;
      std::memcpy(batch[n].data, buf_.data() + i * kSlotBytes, size_[i].first);
      batch[n].size = size_[i].first;
      batch[n].segment_size = size_[i].second;
      batch[n].peer = peer_->local_;
    }
    return n;
  }
  Result<std::size_t> Send(std::span<const platform::Datagram> batch) override {
    for (const auto& d : batch) {
      if (peer_->tail_ - peer_->head_ == kSlots || d.size > kSlotBytes)
        return Fail(Error::Internal("ring full"));
      const std::size_t i = peer_->tail_++ % kSlots;
      std::memcpy(peer_->buf_.data() + i * kSlotBytes, d.data, d.size);
      peer_->size_[i] = {d.size, d.segment_size};
    }
    return batch.size();
  }

 private:
  platform::Endpoint local_;
  RingSocket* peer_ = nullptr;
  std::vector<std::uint8_t> buf_;
  std::vector<std::pair<std::size_t, std::uint16_t>> size_;
  std::size_t head_ = 0, tail_ = 0;
};

// A TUN that hands out one prepared packet (with its virtio header) `armed` times, and counts writes.
class ReplayTun final : public platform::TunDevice {
 public:
  explicit ReplayTun(std::vector<std::uint8_t> vnet_and_packet) : packet_(std::move(vnet_and_packet)) {}
  int fd() const override { return -1; }
  const std::string& name() const override { return name_; }
  bool vnet_hdr() const override { return true; }
  Result<std::size_t> Read(std::span<std::uint8_t> buf) override {
    if (armed_ == 0) return std::size_t{0};
    --armed_;
    std::memcpy(buf.data(), packet_.data(), packet_.size());
    return packet_.size();
  }
  Status Write(std::span<const std::uint8_t> p) override {
    ++writes;
    bytes += p.size() - sizeof(VnetHdr);
    return {};
  }
  void Arm(std::size_t n) { armed_ = n; }
  std::uint64_t writes = 0, bytes = 0;

 private:
  std::string name_ = "ring0";
  std::vector<std::uint8_t> packet_;
  std::size_t armed_ = 0;
};

// An IPv4 TCP packet 10.(from).0.10:40000 -> 10.(to).0.10:5201 with `payload` octets of a super-segment
// (`gso_size` set: TSO from the TUN, partial checksum) or a plain ACK (complete checksum).
std::vector<std::uint8_t> TunPacket(int from, int to, std::size_t payload, std::uint32_t seq) {
  std::vector<std::uint8_t> v(sizeof(VnetHdr) + 20 + 32 + payload);
  std::uint8_t* p = v.data() + sizeof(VnetHdr);
  p[0] = 0x45;
  Store16(p + 2, static_cast<std::uint16_t>(20 + 32 + payload));
  p[6] = 0x40;
  p[8] = 64;
  p[9] = kProtoTcp;
  const std::uint8_t s[4] = {10, static_cast<std::uint8_t>(from), 0, 10},
                     d[4] = {10, static_cast<std::uint8_t>(to), 0, 10};
  std::memcpy(p + 12, s, 4);
  std::memcpy(p + 16, d, 4);
  SetIpv4Checksum(p);
  std::uint8_t* t = p + 20;
  Store16(t, 40000);
  Store16(t + 2, 5201);
  Store32(t + 4, seq);
  Store32(t + 8, 777);
  t[12] = 8 << 4;
  t[13] = kTcpAck;
  Store16(t + 14, 500);
  t[20] = t[21] = 1;
  t[22] = 8;
  t[23] = 10;
  for (std::size_t i = 0; i < payload; ++i) t[32 + i] = static_cast<std::uint8_t>(i * 13);
  const std::size_t l4 = 32 + payload;
  VnetHdr h{};
  if (payload > 1348) {
    h = VnetHdr{kVnetNeedsCsum, kGsoTcpV4, 52, 1348, 20, 16};
    StoreSum(t + 16, Fold(PseudoSum(p, true, kProtoTcp, l4)));
  } else {
    StoreSum(t + 16, static_cast<std::uint16_t>(~Fold(Sum(t, l4, PseudoSum(p, true, kProtoTcp, l4)))));
  }
  std::memcpy(v.data(), &h, sizeof h);
  return v;
}

struct Case {
  const char* name;
  crypto::EncrId encr;
  std::uint16_t bits;
  crypto::IntegId integ = crypto::IntegId::kNone;
};

class NoAllocation : public ::testing::TestWithParam<Case> {
 protected:
  void Install(DataplaneSaInstaller& sad, std::uint32_t in, std::uint32_t out, const char* local,
               const char* remote, const char* me, const char* peer) {
    for (auto [d, spi] :
         {std::pair{ipsec::Direction::kInbound, in}, std::pair{ipsec::Direction::kOutbound, out}}) {
      ipsec::SaSpec s;
      s.direction = d;
      s.spi = spi;
      s.local_address = A(me);
      s.remote_address = A(peer);
      s.encap = {true, 4500, 4500};
      s.selectors.local = {{*net::Prefix::Parse(local)}};
      s.selectors.remote = {{*net::Prefix::Parse(remote)}};
      s.transform = {GetParam().encr, GetParam().bits, GetParam().integ, true};
      if (GetParam().integ != crypto::IntegId::kNone) {
        s.keys.integ =
            SecretBytes(std::vector<std::uint8_t>(crypto::FindInteg(GetParam().integ)->key_size, 0x5a));
      }
      s.keys.encr = SecretBytes(std::vector<std::uint8_t>(
          crypto::FindEncr(GetParam().encr, GetParam().bits)->keymat_size, static_cast<std::uint8_t>(spi)));
      s.replay_window = 4096;
      s.connection = "c";
      if (d == ipsec::Direction::kInbound) {
        ASSERT_TRUE(sad.ReserveSpi(spi));
      }
      ASSERT_TRUE(sad.AddSa(s));
    }
  }
};

TEST_P(NoAllocation, SuperSegmentsOneWayAndAcksTheOtherAllocateNothing) {
  ASSERT_TRUE(g_hooks_installed) << "OpenSSL allocated before main: its allocations could not be counted";
  ManualClock clock;
  SeededRng rng{1};
  DataplaneSaInstaller sad_a{clock, rng, rng}, sad_b{clock, rng, rng};
  Install(sad_a, 0x1001, 0x2001, "10.1.0.0/24", "10.2.0.0/24", "198.18.0.2", "198.18.0.3");
  Install(sad_b, 0x2001, 0x1001, "10.2.0.0/24", "10.1.0.0/24", "198.18.0.3", "198.18.0.2");
  RingSocket sock_a("198.18.0.2"), sock_b("198.18.0.3");
  sock_a.Connect(&sock_b);
  sock_b.Connect(&sock_a);
  ReplayTun tun_a(TunPacket(1, 2, 64000, 1000)), tun_b(TunPacket(2, 1, 0, 1));
  Worker a(tun_a, sock_a, sad_a.publisher(), clock, {});
  Worker b(tun_b, sock_b, sad_b.publisher(), clock, {});

  auto round = [&] {
    tun_a.Arm(4);  // 4 super-segments of 64,000 octets (48 segments each) A -> B
    a.OnTunReadable();
    b.OnUdpReadable();
    tun_b.Arm(8);  // 8 ACKs B -> A
    b.OnTunReadable();
    a.OnUdpReadable();
  };
  for (int i = 0; i < 3; ++i) round();  // first use of each SA reports an event; buffers warm up
  const std::uint64_t before_in = tun_b.bytes, before_acks = tun_a.writes;
  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < 20; ++i) round();
  g_counting = false;
  // Everything crossed (so the path really ran): 20 x 4 super-segments' payload into B's TUN, every ACK
  // into A's.
  EXPECT_EQ(tun_b.bytes - before_in, 20u * 4 * (52 + 64000));
  EXPECT_EQ(tun_a.writes - before_acks, 20u * 8);
  EXPECT_EQ(g_allocations.load(), 0) << "allocations while carrying " << 20 * 4 * 48 << " segments and "
                                     << 20 * 8 << " ACKs";
}

INSTANTIATE_TEST_SUITE_P(Transforms, NoAllocation,
                         ::testing::Values(Case{"AesGcm128", crypto::EncrId::kAesGcm16, 128},
                                           Case{"AesGcm256", crypto::EncrId::kAesGcm16, 256},
                                           Case{"ChaCha20Poly1305", crypto::EncrId::kChaCha20Poly1305, 0},
                                           Case{"AesCbc256HmacSha256", crypto::EncrId::kAesCbc, 256,
                                                crypto::IntegId::kHmacSha2_256_128},
                                           Case{"AesCbc128HmacSha512", crypto::EncrId::kAesCbc, 128,
                                                crypto::IntegId::kHmacSha2_512_256}),
                         [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace isthmus::dataplane

int main(int argc, char** argv) {
  g_hooks_installed = CRYPTO_set_mem_functions(CountingMalloc, CountingRealloc, CountingFree) == 1;
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
