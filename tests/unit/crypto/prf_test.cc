#include "crypto/prf.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hex.h"

namespace isthmus::crypto {
namespace {

using testing::Bytes;
using testing::Concat;
using testing::Hex;
using testing::Repeat;
using testing::ToHex;

struct PrfVector {
  std::string name;
  PrfId id;
  std::vector<std::uint8_t> key;
  std::vector<std::uint8_t> data;
  std::string out;
};

const std::vector<std::uint8_t> kKey131 = Repeat(0xaa, 131);
const std::vector<std::uint8_t> kKey0102 = Hex("0102030405060708090a0b0c0d0e0f10111213141516171819");
const std::vector<std::uint8_t> kHashKeyFirst =
    Bytes("Test Using Larger Than Block-Size Key - Hash Key First");
const std::vector<std::uint8_t> kLongData = Bytes(
    "This is a test using a larger than block-size key and a larger than block-size data. "
    "The key needs to be hashed before being used by the HMAC algorithm.");

// RFC 4231 §4 test cases 1, 2, 3, 4, 6, 7 (full-length HMAC, as the IKE PRF uses it; RFC 4868 §2.7.1).
const std::vector<PrfVector>& Vectors() {
  static const std::vector<PrfVector> v = {
      {"Sha256Case1", PrfId::kHmacSha2_256, Repeat(0x0b, 20), Bytes("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Sha256Case2", PrfId::kHmacSha2_256, Bytes("Jefe"), Bytes("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"Sha256Case3", PrfId::kHmacSha2_256, Repeat(0xaa, 20), Repeat(0xdd, 50),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"Sha256Case4", PrfId::kHmacSha2_256, kKey0102, Repeat(0xcd, 50),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {"Sha256Case6", PrfId::kHmacSha2_256, kKey131, kHashKeyFirst,
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"Sha256Case7", PrfId::kHmacSha2_256, kKey131, kLongData,
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
      {"Sha384Case1", PrfId::kHmacSha2_384, Repeat(0x0b, 20), Bytes("Hi There"),
       "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
       "faea9ea9076ede7f4af152e8b2fa9cb6"},
      {"Sha384Case3", PrfId::kHmacSha2_384, Repeat(0xaa, 20), Repeat(0xdd, 50),
       "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b"
       "2a5ab39dc13814b94e3ab6e101a34f27"},
      {"Sha384Case4", PrfId::kHmacSha2_384, kKey0102, Repeat(0xcd, 50),
       "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e"
       "6801dd23c4a7d679ccf8a386c674cffb"},
      {"Sha384Case6", PrfId::kHmacSha2_384, kKey131, kHashKeyFirst,
       "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
       "0c2ef6ab4030fe8296248df163f44952"},
      {"Sha384Case7", PrfId::kHmacSha2_384, kKey131, kLongData,
       "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
       "a678cc31e799176d3860e6110c46523e"},
      {"Sha512Case1", PrfId::kHmacSha2_512, Repeat(0x0b, 20), Bytes("Hi There"),
       "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
       "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
      {"Sha512Case3", PrfId::kHmacSha2_512, Repeat(0xaa, 20), Repeat(0xdd, 50),
       "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
       "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb"},
      {"Sha512Case4", PrfId::kHmacSha2_512, kKey0102, Repeat(0xcd, 50),
       "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
       "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd"},
      {"Sha512Case6", PrfId::kHmacSha2_512, kKey131, kHashKeyFirst,
       "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
       "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
      {"Sha512Case7", PrfId::kHmacSha2_512, kKey131, kLongData,
       "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
       "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"},
  };
  return v;
}

class PrfKat : public ::testing::TestWithParam<PrfVector> {};

TEST_P(PrfKat, ComputeMatchesVector) {
  const auto& v = GetParam();
  auto prf = Prf::Create(v.id);
  ASSERT_TRUE(prf.has_value()) << prf.error().message;
  auto out = (*prf)->Compute(v.key, v.data);
  ASSERT_TRUE(out.has_value()) << out.error().message;
  EXPECT_EQ(ToHex(out->view()), ToHex(Hex(v.out)));
}

TEST_P(PrfKat, PartsAreConcatenated) {
  const auto& v = GetParam();
  auto prf = Prf::Create(v.id);
  ASSERT_TRUE(prf);
  const ConstBytes d(v.data);
  auto out = (*prf)->Compute(v.key, {d.first(3), ConstBytes(), d.subspan(3)});
  ASSERT_TRUE(out);
  EXPECT_EQ(ToHex(out->view()), ToHex(Hex(v.out)));
}

INSTANTIATE_TEST_SUITE_P(Rfc4231, PrfKat, ::testing::ValuesIn(Vectors()),
                         [](const auto& p) { return p.param.name; });

// RFC 7296 §2.13 spelled out as literally as possible, using only the PRF:
//   prf+ (K,S) = T1 | T2 | T3 | T4 | ...
//   T1 = prf (K, S | 0x01),  T2 = prf (K, T1 | S | 0x02), ...
std::vector<std::uint8_t> ReferencePrfPlus(Prf& prf, ConstBytes key, ConstBytes seed, std::size_t length) {
  std::vector<std::uint8_t> stream, t;
  for (int n = 1; stream.size() < length; ++n) {
    const std::uint8_t counter = static_cast<std::uint8_t>(n);
    auto input = Concat({t, seed, ConstBytes(&counter, 1)});
    auto block = prf.Compute(key, input);
    EXPECT_TRUE(block.has_value());
    t.assign(block->view().begin(), block->view().end());
    stream.insert(stream.end(), t.begin(), t.end());
  }
  stream.resize(length);
  return stream;
}

class PrfPlusTest : public ::testing::TestWithParam<PrfId> {};

TEST_P(PrfPlusTest, MatchesReferenceForManyLengths) {
  auto prf = Prf::Create(GetParam());
  ASSERT_TRUE(prf);
  Prf& p = **prf;
  const std::size_t h = p.output_size();
  // Ni | Nr | SPIi | SPIr -shaped seed and a SKEYSEED-shaped key.
  const auto seed =
      Concat({Repeat(0x11, 32), Repeat(0x22, 32), Hex("0102030405060708"), Hex("a1a2a3a4a5a6a7a8")});
  const auto key = Repeat(0x5a, h);
  for (std::size_t len : {std::size_t{0}, std::size_t{1}, h - 1, h, h + 1, 2 * h + 7, std::size_t{100},
                          std::size_t{3 * 36 + 2 * 32 + 3 * 32}, 255 * h}) {
    auto got = PrfPlus(p, key, seed, len);
    ASSERT_TRUE(got.has_value()) << "length " << len;
    EXPECT_EQ(ToHex(got->view()), ToHex(ReferencePrfPlus(p, key, seed, len))) << "length " << len;
  }
}

TEST_P(PrfPlusTest, FirstBlockIsPrfOfSeedAndOne) {
  auto prf = Prf::Create(GetParam());
  ASSERT_TRUE(prf);
  Prf& p = **prf;
  const auto key = Bytes("a pre-shared or derived key");
  const auto seed = Bytes("seed octets");
  auto t1 = p.Compute(key, Concat({seed, Hex("01")}));
  ASSERT_TRUE(t1);
  auto plus = PrfPlus(p, key, seed, p.output_size() + 5);
  ASSERT_TRUE(plus);
  EXPECT_EQ(ToHex(plus->view().first(p.output_size())), ToHex(t1->view()));
  // T2 = prf(K, T1 | S | 0x02): the tail is the start of T2.
  auto t2 = p.Compute(key, Concat({t1->view(), seed, Hex("02")}));
  ASSERT_TRUE(t2);
  EXPECT_EQ(ToHex(plus->view().subspan(p.output_size())), ToHex(t2->view().first(5)));
}

TEST_P(PrfPlusTest, PrefixStable) {
  // Asking for fewer octets gives a prefix of the longer stream (IKE relies on the split order).
  auto prf = Prf::Create(GetParam());
  ASSERT_TRUE(prf);
  auto long_out = PrfPlus(**prf, Bytes("k"), Bytes("s"), 200);
  auto short_out = PrfPlus(**prf, Bytes("k"), Bytes("s"), 77);
  ASSERT_TRUE(long_out && short_out);
  EXPECT_EQ(ToHex(long_out->view().first(77)), ToHex(short_out->view()));
}

TEST_P(PrfPlusTest, RejectsMoreThan255Blocks) {
  auto prf = Prf::Create(GetParam());
  ASSERT_TRUE(prf);
  auto r = PrfPlus(**prf, Bytes("k"), Bytes("s"), 255 * (*prf)->output_size() + 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(AllPrfs, PrfPlusTest,
                         ::testing::Values(PrfId::kHmacSha2_256, PrfId::kHmacSha2_384, PrfId::kHmacSha2_512),
                         [](const auto& p) { return std::to_string(static_cast<int>(p.param)); });

TEST(Prf, KeyChangesBetweenCallsAndEmptyKeyIsAKey) {
  auto prf = Prf::Create(PrfId::kHmacSha2_256);
  ASSERT_TRUE(prf);
  auto a = (*prf)->Compute(Bytes("key one"), Bytes("data"));
  auto b = (*prf)->Compute(Bytes("key two"), Bytes("data"));
  auto a2 = (*prf)->Compute(Bytes("key one"), Bytes("data"));
  ASSERT_TRUE(a && b && a2);
  EXPECT_NE(ToHex(a->view()), ToHex(b->view()));
  EXPECT_EQ(ToHex(a->view()), ToHex(a2->view()));
  // HMAC with an empty key equals HMAC with a block of zeros (RFC 2104 pads the key with zeros);
  // the point is that an empty key is not mistaken for "keep the previous key".
  auto empty = (*prf)->Compute({}, Bytes("data"));
  auto zeros = (*prf)->Compute(Repeat(0, 64), Bytes("data"));
  ASSERT_TRUE(empty && zeros);
  EXPECT_EQ(ToHex(empty->view()), ToHex(zeros->view()));
}

TEST(Prf, SizesAndErrors) {
  auto prf = Prf::Create(PrfId::kHmacSha2_384);
  ASSERT_TRUE(prf);
  EXPECT_EQ((*prf)->output_size(), 48u);
  EXPECT_EQ((*prf)->key_size(), 48u);
  std::vector<std::uint8_t> wrong(32);
  const auto x = Bytes("x");
  const ConstBytes parts[] = {x};
  EXPECT_FALSE((*prf)->ComputeInto(Bytes("k"), parts, wrong));
  EXPECT_FALSE(Prf::Create(static_cast<PrfId>(2)));  // PRF_HMAC_SHA1 not supported
}

}  // namespace
}  // namespace isthmus::crypto
