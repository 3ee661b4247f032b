// The bulk checksum and the fused copy+checksum must fold to exactly what the portable word loop gives,
// for every length and alignment, on both the AVX2 and the portable path.
#include "dataplane/path/checksum.h"

#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "dataplane/path/packet.h"

namespace isthmus::dataplane::pkt {
namespace {

std::vector<std::uint8_t> Random(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

TEST(Checksum, BulkAndFusedAgreeWithTheWordLoopForEveryLengthAndAlignment) {
  const auto data = Random(2048, 1);
  for (std::size_t align = 0; align < 32; ++align) {
    for (std::size_t n = 0; n <= 300; ++n) {
      const std::uint8_t* p = data.data() + align;
      const std::uint64_t seed = n * 977;  // a running sum from the headers before
      const std::uint16_t want = Fold(Sum(p, n, seed));
      ASSERT_EQ(Fold(SumBulk(p, n, seed)), want) << "align " << align << " n " << n;
      std::vector<std::uint8_t> dst(n + 1, 0xee);
      ASSERT_EQ(Fold(CopyAndSum(dst.data(), p, n, seed)), want) << "align " << align << " n " << n;
      ASSERT_TRUE(std::equal(p, p + n, dst.begin()));
      ASSERT_EQ(dst[n], 0xee);  // nothing written past the end
    }
  }
}

TEST(Checksum, BothPathsAgreeOnPacketSizedAndMaximalBuffers) {
  for (std::size_t n : {1400u, 1401u, 9000u, 65535u}) {
    for (std::uint8_t fill : {std::uint8_t{0x00}, std::uint8_t{0xff}}) {
      std::vector<std::uint8_t> data =
          fill == 0 ? Random(n, static_cast<unsigned>(n)) : std::vector<std::uint8_t>(n, fill);
      const std::uint16_t want = Fold(detail::SumPortable(data.data(), n, 0));
      EXPECT_EQ(Fold(SumBulk(data.data(), n)), want);
      std::vector<std::uint8_t> dst(n);
      EXPECT_EQ(Fold(detail::CopyAndSumPortable(dst.data(), data.data(), n, 0)), want);
      EXPECT_EQ(dst, data);
#if defined(__x86_64__)
      if (ChecksumUsesAvx2()) {
        EXPECT_EQ(Fold(detail::SumAvx2(data.data(), n, 0)), want);
        std::vector<std::uint8_t> dst2(n);
        EXPECT_EQ(Fold(detail::CopyAndSumAvx2(dst2.data(), data.data(), n, 0)), want);
        EXPECT_EQ(dst2, data);
      }
#endif
    }
  }
}

TEST(Checksum, AKnownTcpSegmentVerifies) {
  // A segment checksummed with the word loop verifies through TcpChecksumOk (which uses SumBulk), and a
  // single flipped bit anywhere in the payload is caught.
  auto pkt = Random(20 + 32 + 1348, 7);
  pkt[0] = 0x45;
  Store16(pkt.data() + 2, static_cast<std::uint16_t>(pkt.size()));
  pkt[6] = 0x40;
  pkt[7] = 0;
  pkt[9] = kProtoTcp;
  pkt[20 + 12] = 8 << 4;  // 32-octet TCP header
  SetIpv4Checksum(pkt.data());
  std::uint8_t* tcp = pkt.data() + 20;
  tcp[16] = tcp[17] = 0;
  const std::size_t l4 = pkt.size() - 20;
  StoreSum(tcp + 16,
           static_cast<std::uint16_t>(~Fold(Sum(tcp, l4, PseudoSum(pkt.data(), true, kProtoTcp, l4)))));
  Parsed h;
  ASSERT_TRUE(Parse(pkt.data(), pkt.size(), &h));
  EXPECT_TRUE(TcpChecksumOk(pkt.data(), h));
  pkt[900] ^= 0x10;
  EXPECT_FALSE(TcpChecksumOk(pkt.data(), h));
}

}  // namespace
}  // namespace isthmus::dataplane::pkt
