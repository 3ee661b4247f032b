// The packet path without root: TSO splitting (IPv4/IPv6) and coalescing round-trip with valid
// checksums; two workers over in-memory TUNs and a FakeNetwork carry packets; bad packets are dropped
// and counted by reason; the IKE marker and NAT keepalives are demultiplexed.
#include <cstring>
#include <deque>
#include <vector>

#include <gtest/gtest.h>

#include "dataplane/path/coalescer.h"
#include "dataplane/path/offload.h"
#include "dataplane/path/worker.h"
#include "dataplane/sad/dataplane_sa_installer.h"
#include "platform/fake/fake_socket.h"

namespace isthmus::dataplane {
namespace {

using namespace pkt;

// A TCP packet (IPv4 or IPv6) with `payload` octets, complete checksums.
std::vector<std::uint8_t> Tcp(bool v4, std::size_t payload, std::uint32_t seq, std::uint8_t flags,
                              std::uint8_t src_last = 10) {
  const std::size_t ip = v4 ? 20 : 40, tcp = 32;  // 12 octets of options (NOP NOP timestamps)
  std::vector<std::uint8_t> p(ip + tcp + payload);
  if (v4) {
    p[0] = 0x45;
    Store16(&p[2], static_cast<std::uint16_t>(p.size()));
    Store16(&p[4], 0x100);
    p[6] = 0x40;
    p[8] = 64;
    p[9] = kProtoTcp;
    const std::uint8_t s[4] = {10, 1, 0, src_last}, d[4] = {10, 2, 0, 10};
    std::memcpy(&p[12], s, 4);
    std::memcpy(&p[16], d, 4);
    SetIpv4Checksum(p.data());
  } else {
    p[0] = 0x60;
    Store16(&p[4], static_cast<std::uint16_t>(tcp + payload));
    p[6] = kProtoTcp;
    p[7] = 64;
    p[8] = 0xfd;
    p[23] = src_last;
    p[24] = 0xfd;
    p[25] = 2;
    p[39] = 10;
  }
  std::uint8_t* t = &p[ip];
  Store16(t, 40000);
  Store16(t + 2, 5201);
  Store32(t + 4, seq);
  Store32(t + 8, 777);
  t[12] = 8 << 4;
  t[13] = flags;
  Store16(t + 14, 500);
  t[20] = 1;
  t[21] = 1;
  t[22] = 8;
  t[23] = 10;
  for (std::size_t i = 0; i < payload; ++i) p[ip + tcp + i] = static_cast<std::uint8_t>(seq + i);
  StoreSum(t + 16, static_cast<std::uint16_t>(
                       ~Fold(Sum(t, tcp + payload, PseudoSum(p.data(), v4, kProtoTcp, tcp + payload)))));
  return p;
}

struct Collect final : SegmentSink {
  std::vector<std::vector<std::uint8_t>> segs;
  std::vector<std::uint8_t> cur;
  std::uint8_t* Reserve(std::size_t len) override {
    cur.assign(len, 0);
    return cur.data();
  }
  void Commit(std::size_t len) override {
    cur.resize(len);
    segs.push_back(cur);
  }
};

// Makes the TUN's view of a super-segment: one packet, TCP checksum field = pseudo-header sum.
std::vector<std::uint8_t> Super(bool v4, std::size_t payload, std::uint8_t flags, VnetHdr* h) {
  auto p = Tcp(v4, payload, 1000, flags);
  const std::size_t ip = v4 ? 20 : 40;
  StoreSum(&p[ip + 16], Fold(PseudoSum(p.data(), v4, kProtoTcp, p.size() - ip)));
  *h = VnetHdr{kVnetNeedsCsum, v4 ? kGsoTcpV4 : kGsoTcpV6,     static_cast<std::uint16_t>(ip + 32),
               1000,           static_cast<std::uint16_t>(ip), 16};
  return p;
}

class SplitTest : public ::testing::TestWithParam<bool> {};

TEST_P(SplitTest, SplitsIntoValidSegmentsWithFlagsOnTheRightEnds) {
  const bool v4 = GetParam();
  VnetHdr h;
  auto super = Super(v4, 4500, kTcpAck | kTcpPsh | kTcpFin | kTcpCwr, &h);
  Collect c;
  ASSERT_EQ(SplitTcp(h, super.data(), super.size(), c), Drop::kNone);
  ASSERT_EQ(c.segs.size(), 5u);
  for (std::size_t i = 0; i < c.segs.size(); ++i) {
    Parsed p;
    ASSERT_TRUE(Parse(c.segs[i].data(), c.segs[i].size(), &p));
    EXPECT_TRUE(TcpChecksumOk(c.segs[i].data(), p)) << i;
    const std::uint8_t* t = c.segs[i].data() + p.ip_len;
    EXPECT_EQ(Load32(t + 4), 1000 + 1000 * i);
    EXPECT_EQ(p.total - p.ip_len - p.tcp_len, i < 4 ? 1000u : 500u);
    const bool last = i == 4;
    EXPECT_EQ((t[13] & (kTcpFin | kTcpPsh)) != 0, last);
    EXPECT_EQ((t[13] & kTcpCwr) != 0, i == 0);
    if (v4) {
      EXPECT_EQ(Fold(Sum(c.segs[i].data(), 20)), 0xffff);
      EXPECT_EQ(Load16(c.segs[i].data() + 4), 0x100 + i);
    }
    EXPECT_EQ(c.segs[i][p.ip_len + p.tcp_len + 3], static_cast<std::uint8_t>(1000 + 1000 * i + 3));
  }
}

struct Captured final : PacketWriter {
  std::vector<std::vector<std::uint8_t>> out;
  void WritePacket(std::span<const std::uint8_t> p) override { out.emplace_back(p.begin(), p.end()); }
};

TEST_P(SplitTest, CoalescedSuperSegmentSplitsBackIntoTheSameSegments) {
  const bool v4 = GetParam();
  Captured w;
  Coalescer co(w, true, true);
  std::vector<std::vector<std::uint8_t>> in;
  for (int i = 0; i < 4; ++i) in.push_back(Tcp(v4, i < 3 ? 1200 : 700, 5000 + 1200 * i, kTcpAck));
  for (auto& p : in) {
    std::vector<std::uint8_t> room(10 + p.size());
    std::memcpy(room.data() + 10, p.data(), p.size());
    co.Push(room.data() + 10, p.size());
  }
  co.Flush();
  ASSERT_EQ(w.out.size(), 1u);
  VnetHdr h;
  std::memcpy(&h, w.out[0].data(), 10);
  EXPECT_EQ(h.gso_type, v4 ? kGsoTcpV4 : kGsoTcpV6);
  EXPECT_EQ(h.gso_size, 1200);
  Collect c;
  ASSERT_EQ(SplitTcp(h, w.out[0].data() + 10, w.out[0].size() - 10, c), Drop::kNone);
  ASSERT_EQ(c.segs.size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (v4) {  // the kernel (like our splitter) renumbers IP ids from the first one
      Store16(in[i].data() + 4, static_cast<std::uint16_t>(0x100 + i));
      SetIpv4Checksum(in[i].data());
      const std::size_t tl = in[i].size() - 20;
      in[i][36] = in[i][37] = 0;
      StoreSum(&in[i][36], static_cast<std::uint16_t>(
                               ~Fold(Sum(&in[i][20], tl, PseudoSum(in[i].data(), true, kProtoTcp, tl)))));
    }
    EXPECT_EQ(c.segs[i], in[i]) << i;
  }
}

TEST_P(SplitTest, CoalescerNeverMergesABadChecksumOrAGap) {
  const bool v4 = GetParam();
  Captured w;
  Coalescer co(w, true, true);
  auto a = Tcp(v4, 1000, 1, kTcpAck), b = Tcp(v4, 1000, 1001, kTcpAck), gap = Tcp(v4, 1000, 9001, kTcpAck);
  b.back() ^= 0x55;  // corrupt payload: checksum no longer matches
  for (auto* p : {&a, &b, &gap}) {
    std::vector<std::uint8_t> room(10 + p->size());
    std::memcpy(room.data() + 10, p->data(), p->size());
    co.Push(room.data() + 10, p->size());
  }
  co.Flush();
  ASSERT_EQ(w.out.size(), 3u);  // a alone, b written as is (the kernel will reject it), gap alone
  for (auto& o : w.out) EXPECT_EQ(o[1], kGsoNone);
  EXPECT_EQ(std::vector<std::uint8_t>(w.out[0].begin() + 10, w.out[0].end()), a);  // b's octets not taken in
  EXPECT_EQ(std::vector<std::uint8_t>(w.out[1].begin() + 10, w.out[1].end()), b);
}

INSTANTIATE_TEST_SUITE_P(Families, SplitTest, ::testing::Values(true, false),
                         [](const auto& i) { return i.param ? "v4" : "v6"; });

TEST(MssClampTest, LowersLargerMssAndKeepsChecksumValid) {
  auto syn = Tcp(true, 0, 1, kTcpSyn, 10);
  // Replace the timestamp option with NOP, MSS 1460 at an odd offset.
  std::uint8_t* t = &syn[20];
  t[20] = 1;
  t[21] = 2;
  t[22] = 4;
  Store16(t + 23, 1460);
  t[25] = 0;
  t[16] = t[17] = 0;
  StoreSum(t + 16, static_cast<std::uint16_t>(~Fold(Sum(t, 32, PseudoSum(syn.data(), true, kProtoTcp, 32)))));
  Parsed p;
  ASSERT_TRUE(Parse(syn.data(), syn.size(), &p));
  EXPECT_TRUE(ClampMss(syn.data(), p, 1350));
  EXPECT_EQ(Load16(t + 23), 1350);
  EXPECT_TRUE(TcpChecksumOk(syn.data(), p));
  EXPECT_FALSE(ClampMss(syn.data(), p, 1400));  // already below
}

// ---------------------------------------------------------------- two workers over fakes

class FakeTun final : public platform::TunDevice {
 public:
  int fd() const override { return -1; }
  const std::string& name() const override { return name_; }
  bool vnet_hdr() const override { return true; }
  Result<std::size_t> Read(std::span<std::uint8_t> buf) override {
    if (in.empty()) return std::size_t{0};
    auto p = std::move(in.front());
    in.pop_front();
    std::memcpy(buf.data(), p.data(), p.size());
    return p.size();
  }
  Status Write(std::span<const std::uint8_t> p) override {
    out.emplace_back(p.begin() + 10, p.end());
    return {};
  }
  void Inject(const std::vector<std::uint8_t>& packet) {
    std::vector<std::uint8_t> v(10, 0);
    v.insert(v.end(), packet.begin(), packet.end());
    in.push_back(std::move(v));
  }
  std::deque<std::vector<std::uint8_t>> in;
  std::vector<std::vector<std::uint8_t>> out;

 private:
  std::string name_ = "fake0";
};

class WorkerPairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Install(sad_a_, 0x1001, 0x2001, "10.1.0.0/24", "10.2.0.0/24", "198.18.0.2", "198.18.0.3");
    Install(sad_b_, 0x2001, 0x1001, "10.2.0.0/24", "10.1.0.0/24", "198.18.0.3", "198.18.0.2");
  }
  static void Install(DataplaneSaInstaller& sad, std::uint32_t in, std::uint32_t out, const char* local,
                      const char* remote, const char* me, const char* peer) {
    for (auto [d, spi] :
         {std::pair{ipsec::Direction::kInbound, in}, std::pair{ipsec::Direction::kOutbound, out}}) {
      ipsec::SaSpec s;
      s.direction = d;
      s.spi = spi;
      s.local_address = *net::IpAddress::Parse(me);
      s.remote_address = *net::IpAddress::Parse(peer);
      s.encap = {true, 4500, 4500};
      s.selectors.local = {{*net::Prefix::Parse(local)}};
      s.selectors.remote = {{*net::Prefix::Parse(remote)}};
      s.keys.encr = SecretBytes(std::vector<std::uint8_t>(36, static_cast<std::uint8_t>(spi)));
      s.connection = "c";
      if (d == ipsec::Direction::kInbound) {
        ASSERT_TRUE(sad.ReserveSpi(spi));
      }
      ASSERT_TRUE(sad.AddSa(s));
    }
  }
  ManualClock clock_;
  SeededRng rng_{1};
  DataplaneSaInstaller sad_a_{clock_, rng_, rng_}, sad_b_{clock_, rng_, rng_};
  platform::FakeNetwork net_;
  std::unique_ptr<platform::FakeSocket> sock_a_ = net_.Bind({*net::IpAddress::Parse("198.18.0.2"), 4500});
  std::unique_ptr<platform::FakeSocket> sock_b_ = net_.Bind({*net::IpAddress::Parse("198.18.0.3"), 4500});
  std::unique_ptr<platform::FakeSocket> attacker_ = net_.Bind({*net::IpAddress::Parse("198.18.0.66"), 4500});
  FakeTun tun_a_, tun_b_;
  std::vector<std::vector<std::uint8_t>> ike_seen_;
  Worker a_{tun_a_, *sock_a_, sad_a_.publisher(), clock_, {}};
  Worker b_{tun_b_,
            *sock_b_,
            sad_b_.publisher(),
            clock_,
            {},
            [this](std::span<const std::uint8_t> m, const platform::Endpoint&) {
              ike_seen_.emplace_back(m.begin(), m.end());
            }};
  void Send(const std::vector<std::uint8_t>& d) {
    platform::Datagram g{const_cast<std::uint8_t*>(d.data()), d.size(), d.size(), sock_b_->local(), 0};
    ASSERT_TRUE(attacker_->Send({&g, 1}));
  }
  std::uint64_t DropB(Drop d) { return b_.drops()[static_cast<std::size_t>(d)].Get(); }
  SaRuntime& InB() { return *sad_b_.publisher().Load()->FindInbound(0x2001)->sa; }
};

TEST_F(WorkerPairTest, SuperSegmentCrossesAndArrivesCoalesced) {
  VnetHdr h;
  auto super = Super(true, 6000, kTcpAck, &h);
  std::vector<std::uint8_t> v(10);
  std::memcpy(v.data(), &h, 10);
  v.insert(v.end(), super.begin(), super.end());
  tun_a_.in.push_back(v);
  a_.OnTunReadable();
  EXPECT_EQ(net_.delivered(), 6u);  // six ESP datagrams
  b_.OnUdpReadable();
  ASSERT_EQ(tun_b_.out.size(), 1u);  // one super-segment into the TUN
  Parsed p;
  ASSERT_TRUE(Parse(tun_b_.out[0].data(), tun_b_.out[0].size(), &p));
  EXPECT_EQ(p.total, 20u + 32 + 6000);
  EXPECT_EQ(sad_b_.Connections()[0]->in.packets.Get(), 6u);
}

TEST_F(WorkerPairTest, ClearPacketNeverLeavesAndUnknownDestinationIsCounted) {
  auto p = Tcp(true, 100, 1, kTcpAck);
  p[19] = 99;  // 10.2.0.99 is still remote: goes; now make it 10.9.0.99
  p[17] = 9;
  SetIpv4Checksum(p.data());
  tun_a_.Inject(p);
  a_.OnTunReadable();
  EXPECT_EQ(net_.delivered(), 0u);
  EXPECT_EQ(a_.drops()[static_cast<std::size_t>(Drop::kNoSaForDestination)].Get(), 1u);
}

TEST_F(WorkerPairTest, ReplayedTamperedTruncatedUnknownSpiAreDroppedByReason) {
  tun_a_.Inject(Tcp(true, 100, 1, kTcpAck | kTcpPsh));
  a_.OnTunReadable();
  // Intercept the datagram A sent by reading it off B's queue ourselves.
  std::vector<std::uint8_t> buf(2000);
  platform::Datagram d{buf.data(), buf.size(), 0, {}, 0};
  ASSERT_EQ(*sock_b_->Receive({&d, 1}), 1u);
  std::vector<std::uint8_t> esp(buf.begin(), buf.begin() + static_cast<long>(d.size));
  Send(esp);
  Send(esp);  // replay
  auto tampered = esp;
  tampered[5] ^= 0;
  tampered[7] = 9;  // fresh sequence number, so the ICV must catch it
  tampered[30] ^= 1;
  Send(tampered);
  Send({esp.begin(), esp.begin() + 6});
  auto unknown = esp;
  unknown[0] = 0x77;
  Send(unknown);
  b_.OnUdpReadable();
  EXPECT_EQ(tun_b_.out.size(), 1u);
  EXPECT_EQ(InB().drops[static_cast<std::size_t>(Drop::kReplayed)].Get(), 1u);
  EXPECT_EQ(InB().drops[static_cast<std::size_t>(Drop::kBadIcv)].Get(), 1u);
  EXPECT_EQ(DropB(Drop::kTruncated), 1u);
  EXPECT_EQ(DropB(Drop::kUnknownSpi), 1u);
  EXPECT_EQ(InB().traffic.packets.Get(), 1u);
}

TEST_F(WorkerPairTest, NonEspMarkerGoesToIkeAndKeepalivesAreIgnored) {
  Send({0, 0, 0, 0, 0xaa, 0xbb});
  Send({0xff});
  b_.OnUdpReadable();
  ASSERT_EQ(ike_seen_.size(), 1u);
  EXPECT_EQ(ike_seen_[0], (std::vector<std::uint8_t>{0xaa, 0xbb}));
  EXPECT_EQ(b_.stats().keepalives.Get(), 1u);
  EXPECT_TRUE(tun_b_.out.empty());
}

TEST_F(WorkerPairTest, TooBigPacketGetsIcmpFragmentationNeeded) {
  auto big = Tcp(true, 1500, 1, kTcpAck);  // 1552 > 1400, DF set
  tun_a_.Inject(big);
  a_.OnTunReadable();
  EXPECT_EQ(net_.delivered(), 0u);
  ASSERT_EQ(tun_a_.out.size(), 1u);
  const auto& icmp = tun_a_.out[0];
  EXPECT_EQ(icmp[9], kProtoIcmp);
  EXPECT_EQ(icmp[20], 3);
  EXPECT_EQ(icmp[21], 4);
  EXPECT_EQ(Load16(&icmp[26]), 1400);
  EXPECT_EQ(std::memcmp(&icmp[16], &big[12], 4), 0);  // back to the sender
}

// With ESN the ICV covers the high 32 bits of the sequence number, which the receiver infers from the
// highest number it has authenticated (RFC 4303 §2.2.1, Appendix A). That tracking is needed whether or
// not anti-replay is on: without it an SA with replay_window 0 drops everything past 2^32 as bad_icv.
TEST(WorkerEsnTest, HighOrderBitsAdvanceWithAntiReplayOff) {
  ManualClock clock;
  SeededRng rng{1};
  DataplaneSaInstaller sad{clock, rng, rng};
  ipsec::SaSpec s;
  s.direction = ipsec::Direction::kInbound;
  s.spi = 0x3001;
  s.local_address = *net::IpAddress::Parse("198.18.0.3");
  s.remote_address = *net::IpAddress::Parse("198.18.0.2");
  s.encap = {true, 4500, 4500};
  s.selectors.local = {{*net::Prefix::Parse("10.2.0.0/24")}};
  s.selectors.remote = {{*net::Prefix::Parse("10.1.0.0/24")}};
  s.transform = {crypto::EncrId::kAesGcm16, 256, crypto::IntegId::kNone, true};
  s.keys.encr = SecretBytes(std::vector<std::uint8_t>(36, 0x42));
  s.replay_window = 0;
  s.connection = "esn";
  ASSERT_TRUE(sad.ReserveSpi(s.spi));
  ASSERT_TRUE(sad.AddSa(s));
  auto sealer = EspCipher::Create({crypto::EncrId::kAesGcm16, 256, crypto::IntegId::kNone, true},
                                  s.keys.encr.view(), {}, rng);
  ASSERT_TRUE(sealer);
  platform::FakeNetwork net;
  auto sock = net.Bind({s.local_address, 4500});
  auto peer = net.Bind({s.remote_address, 4500});
  FakeTun tun;
  Worker w{tun, *sock, sad.publisher(), clock, {}};
  const std::uint64_t seqs[] = {0xfffffffe, 0xffffffff, 0x100000000, 0x100000001, 0x100000002};
  for (std::uint64_t seq : seqs) {
    auto inner = Tcp(true, 0, static_cast<std::uint32_t>(seq), kTcpAck);
    const std::size_t hdr = (*sealer)->header_size();
    std::vector<std::uint8_t> buf(hdr + inner.size() + (*sealer)->TrailerSize(inner.size()));
    std::memcpy(buf.data() + hdr, inner.data(), inner.size());
    std::span<std::uint8_t> esp;
    ASSERT_EQ((*sealer)->Seal(s.spi, seq, kNextHeaderIpv4, buf.data() + hdr, inner.size(), &esp),
              Drop::kNone);
    platform::Datagram d{esp.data(), esp.size(), esp.size(), sock->local(), 0};
    ASSERT_TRUE(peer->Send({&d, 1}));
    w.OnUdpReadable();
  }
  SaRuntime& sa = *sad.publisher().Load()->FindInbound(s.spi)->sa;
  EXPECT_EQ(sa.drops[static_cast<std::size_t>(Drop::kBadIcv)].Get(), 0u);
  EXPECT_EQ(tun.out.size(), std::size(seqs));
}

}  // namespace
}  // namespace isthmus::dataplane
