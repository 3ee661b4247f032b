#include "crypto/integrity.h"

#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "hex.h"

namespace isthmus::crypto {
namespace {

using testing::Bytes;
using testing::Hex;
using testing::Repeat;
using testing::ToHex;

struct IntegVector {
  std::string name;
  IntegId id;
  std::vector<std::uint8_t> key;
  std::vector<std::uint8_t> data;
  std::string icv;
};

std::vector<std::uint8_t> JefeKey(std::size_t n) {
  std::vector<std::uint8_t> k;
  while (k.size() < n) k.insert(k.end(), {'J', 'e', 'f', 'e'});
  return k;
}

// RFC 4868 §2.7.2 authenticator test cases (keys of the hash length, ICV truncated to half).
const std::vector<IntegVector>& Vectors() {
  static const std::vector<IntegVector> v = {
      {"Sha256_128Case1", IntegId::kHmacSha2_256_128, Repeat(0x0b, 32), Bytes("Hi There"),
       "198a607eb44bfbc69903a0f1cf2bbdc5"},
      {"Sha256_128Case2", IntegId::kHmacSha2_256_128, JefeKey(32), Bytes("what do ya want for nothing?"),
       "167f928588c5cc2eef8e3093caa0e87c"},
      {"Sha256_128Case3", IntegId::kHmacSha2_256_128, Repeat(0xaa, 32), Repeat(0xdd, 50),
       "cdcb1220d1ecccea91e53aba3092f962"},
      {"Sha384_192Case1", IntegId::kHmacSha2_384_192, Repeat(0x0b, 48), Bytes("Hi There"),
       "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973"},
      {"Sha384_192Case2", IntegId::kHmacSha2_384_192, JefeKey(48), Bytes("what do ya want for nothing?"),
       "2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d"},
      {"Sha384_192Case3", IntegId::kHmacSha2_384_192, Repeat(0xaa, 48), Repeat(0xdd, 50),
       "809f439be00274321d4a538652164b53554a508184a0c316"},
      {"Sha512_256Case1", IntegId::kHmacSha2_512_256, Repeat(0x0b, 64), Bytes("Hi There"),
       "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8"},
      {"Sha512_256Case2", IntegId::kHmacSha2_512_256, JefeKey(64), Bytes("what do ya want for nothing?"),
       "cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454"},
      {"Sha512_256Case3", IntegId::kHmacSha2_512_256, Repeat(0xaa, 64), Repeat(0xdd, 50),
       "2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8"},
  };
  return v;
}

// Every vector through both paths (integrity.h); the direct one must really be taken here.
class IntegKat : public ::testing::TestWithParam<std::tuple<IntegVector, IntegrityPath>> {
 protected:
  void SetUp() override {
    auto i = Integrity::Create(V().id, V().key, std::get<1>(GetParam()));
    ASSERT_TRUE(i.has_value()) << i.error().message;
    integ_ = std::move(*i);
    ASSERT_EQ(integ_->path(), std::get<1>(GetParam()));
    icv_ = Hex(V().icv);
  }
  static const IntegVector& V() { return std::get<0>(GetParam()); }
  std::unique_ptr<Integrity> integ_;
  std::vector<std::uint8_t> icv_;
};

TEST_P(IntegKat, ComputeMatchesVector) {
  std::vector<std::uint8_t> icv(integ_->icv_size());
  ASSERT_EQ(icv.size(), icv_.size());
  ASSERT_TRUE(integ_->Compute(V().data, icv));
  EXPECT_EQ(ToHex(icv), ToHex(icv_));
  // The keyed context is re-used: a second computation must give the same answer.
  std::vector<std::uint8_t> again(icv.size());
  ASSERT_TRUE(integ_->Compute(V().data, again));
  EXPECT_EQ(again, icv);
}

TEST_P(IntegKat, PartsAreConcatenated) {
  const auto& d = V().data;
  const std::size_t cut = d.size() / 3;
  std::vector<std::uint8_t> icv(integ_->icv_size());
  ASSERT_TRUE(integ_->Compute({ConstBytes(d).first(cut), ConstBytes(), ConstBytes(d).subspan(cut)}, icv));
  EXPECT_EQ(ToHex(icv), ToHex(icv_));
  EXPECT_TRUE(integ_->Verify({ConstBytes(d).first(cut), ConstBytes(d).subspan(cut)}, icv_));
}

TEST_P(IntegKat, VerifyAcceptsOnlyTheRightIcv) {
  const auto& d = V().data;
  EXPECT_TRUE(integ_->Verify(d, icv_));
  for (std::size_t i : {std::size_t{0}, icv_.size() - 1}) {
    auto bad = icv_;
    bad[i] ^= 0x01;
    EXPECT_FALSE(integ_->Verify(d, bad)) << "flipped ICV octet " << i;
  }
  auto bad_data = d;
  bad_data[0] ^= 0x01;
  EXPECT_FALSE(integ_->Verify(bad_data, icv_));
  // The untruncated or a shorter ICV is not accepted either.
  EXPECT_FALSE(integ_->Verify(d, ConstBytes(icv_).first(icv_.size() - 1)));
  std::vector<std::uint8_t> longer = icv_;
  longer.push_back(0);
  EXPECT_FALSE(integ_->Verify(d, longer));
}

INSTANTIATE_TEST_SUITE_P(Rfc4868, IntegKat,
                         ::testing::Combine(::testing::ValuesIn(Vectors()),
                                            ::testing::Values(IntegrityPath::kDirect, IntegrityPath::kEvp)),
                         [](const auto& p) {
                           return std::get<0>(p.param).name +
                                  (std::get<1>(p.param) == IntegrityPath::kDirect ? "Direct" : "Evp");
                         });

// The direct HMAC against OpenSSL's own (EVP_MAC) on random keys, lengths around the block boundaries
// and split into parts, for each hash.
TEST(Integrity, DirectAgreesWithEvpMacOnRandomInputs) {
  std::mt19937 rng(5);
  for (IntegId id : {IntegId::kHmacSha2_256_128, IntegId::kHmacSha2_384_192, IntegId::kHmacSha2_512_256}) {
    const std::size_t key_size = id == IntegId::kHmacSha2_256_128   ? 32
                                 : id == IntegId::kHmacSha2_384_192 ? 48
                                                                    : 64;
    std::vector<std::uint8_t> key(key_size);
    for (auto& b : key) b = static_cast<std::uint8_t>(rng());
    auto direct = Integrity::Create(id, key, IntegrityPath::kDirect);
    auto evp = Integrity::Create(id, key, IntegrityPath::kEvp);
    ASSERT_TRUE(direct && evp);
    ASSERT_EQ((*direct)->path(), IntegrityPath::kDirect);
    for (std::size_t n : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 111u, 112u, 127u, 128u, 129u, 1400u, 1460u}) {
      std::vector<std::uint8_t> data(n), a((*direct)->icv_size()), b(a.size());
      for (auto& x : data) x = static_cast<std::uint8_t>(rng());
      const std::uint8_t high[4] = {0, 0, 0, static_cast<std::uint8_t>(n)};  // ESN high bits, as ESP appends
      ASSERT_TRUE((*direct)->Compute({ConstBytes(data), ConstBytes(high, 4)}, a));
      ASSERT_TRUE((*evp)->Compute({ConstBytes(data), ConstBytes(high, 4)}, b));
      EXPECT_EQ(a, b) << "n " << n;
      EXPECT_TRUE((*evp)->Verify({ConstBytes(data), ConstBytes(high, 4)}, a));
    }
  }
}

TEST(Integrity, CreateRejectsWrongKeyLengthAndUnknownId) {
  EXPECT_FALSE(Integrity::Create(IntegId::kHmacSha2_256_128, Repeat(1, 20)));
  EXPECT_FALSE(Integrity::Create(IntegId::kHmacSha2_512_256, Repeat(1, 32)));
  EXPECT_FALSE(Integrity::Create(IntegId::kNone, {}));
  EXPECT_FALSE(Integrity::Create(static_cast<IntegId>(2), Repeat(1, 20)));  // HMAC-SHA1-96
}

TEST(Integrity, ComputeRejectsWrongIcvBuffer) {
  auto i = Integrity::Create(IntegId::kHmacSha2_384_192, Repeat(1, 48));
  ASSERT_TRUE(i);
  std::vector<std::uint8_t> icv(48);
  EXPECT_FALSE((*i)->Compute(Bytes("x"), icv));
  EXPECT_EQ((*i)->key_size(), 48u);
  EXPECT_EQ((*i)->icv_size(), 24u);
}

}  // namespace
}  // namespace isthmus::crypto
