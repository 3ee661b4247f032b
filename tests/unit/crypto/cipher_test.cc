#include "crypto/cipher.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hex.h"

namespace isthmus::crypto {
namespace {

using testing::Bytes;
using testing::Hex;
using testing::ToHex;

struct CbcVector {
  std::string name;
  std::uint16_t key_bits;
  std::string key, iv, plaintext, ciphertext;
};

// RFC 3602 §4 cases 1-3 (AES-128), NIST SP 800-38A F.2.5 (CBC-AES256.Encrypt).
const std::vector<CbcVector>& Vectors() {
  static const std::vector<CbcVector> v = {
      {"Rfc3602Case1", 128, "06a9214036b8a15b512e03d534120006", "3dafba429d9eb430b422da802c9fac41",
       "53696e676c6520626c6f636b206d7367", "e353779c1079aeb82708942dbe77181a"},
      {"Rfc3602Case2", 128, "c286696d887c9aa0611bbb3e2025a45a", "562e17996d093d28ddb3ba695a2e6f58",
       "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
       "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"},
      {"Rfc3602Case3", 128, "56e47a38c5598974bc46903dba290349", "8ce82eefbea0da3c44699ed7db51b7d9",
       "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
       "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf",
       "c30e32ffedc0774e6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e"
       "35907aa632c3ffdf868bb7b29d3d46ad83ce9f9a102ee99d49a53e87f4c3da55"},
      {"Sp800_38aF25Aes256", 256, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
       "000102030405060708090a0b0c0d0e0f",
       "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
       "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
       "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
       "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"},
  };
  return v;
}

class CbcKat : public ::testing::TestWithParam<CbcVector> {
 protected:
  void SetUp() override {
    const auto& v = GetParam();
    key_ = Hex(v.key);
    iv_ = Hex(v.iv);
    pt_ = Hex(v.plaintext);
    ct_ = Hex(v.ciphertext);
    auto c = Cipher::Create(EncrId::kAesCbc, v.key_bits, key_);
    ASSERT_TRUE(c.has_value()) << c.error().message;
    cipher_ = std::move(*c);
  }
  std::vector<std::uint8_t> key_, iv_, pt_, ct_;
  std::unique_ptr<Cipher> cipher_;
};

TEST_P(CbcKat, EncryptMatchesVector) {
  std::vector<std::uint8_t> out(pt_.size());
  ASSERT_TRUE(cipher_->Encrypt(iv_, pt_, out));
  EXPECT_EQ(ToHex(out), ToHex(ct_));
}

TEST_P(CbcKat, DecryptMatchesVector) {
  std::vector<std::uint8_t> out(ct_.size());
  ASSERT_TRUE(cipher_->Decrypt(iv_, ct_, out));
  EXPECT_EQ(ToHex(out), ToHex(pt_));
}

TEST_P(CbcKat, InPlaceAndInterleavedDirections) {
  auto buf = pt_;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(cipher_->Encrypt(iv_, buf, buf));
    EXPECT_EQ(ToHex(buf), ToHex(ct_));
    ASSERT_TRUE(cipher_->Decrypt(iv_, buf, buf));
    EXPECT_EQ(ToHex(buf), ToHex(pt_));
  }
}

INSTANTIATE_TEST_SUITE_P(Rfc, CbcKat, ::testing::ValuesIn(Vectors()),
                         [](const auto& p) { return p.param.name; });

TEST(AesCbc, NoPaddingIsAddedOrRemoved) {
  auto c = Cipher::Create(EncrId::kAesCbc, 256, std::vector<std::uint8_t>(32, 7));
  ASSERT_TRUE(c);
  const std::vector<std::uint8_t> iv(16, 1);
  // A last block that looks like PKCS#7 padding must come back untouched.
  auto pt = Hex("00112233445566778899aabbccddeeff 10101010101010101010101010101010");
  std::vector<std::uint8_t> ct(pt.size()), back(pt.size());
  ASSERT_TRUE((*c)->Encrypt(iv, pt, ct));
  ASSERT_TRUE((*c)->Decrypt(iv, ct, back));
  EXPECT_EQ(back, pt);
}

TEST(AesCbc, RejectsPartialBlocksBadIvAndOverlap) {
  auto c = Cipher::Create(EncrId::kAesCbc, 128, std::vector<std::uint8_t>(16, 7));
  ASSERT_TRUE(c);
  const std::vector<std::uint8_t> iv(16, 1), short_iv(8, 1);
  std::vector<std::uint8_t> in(17), out(17);
  EXPECT_FALSE((*c)->Encrypt(iv, in, out));
  EXPECT_FALSE((*c)->Decrypt(iv, in, out));
  std::vector<std::uint8_t> in16(16), out32(32), out16(16);
  EXPECT_FALSE((*c)->Encrypt(short_iv, in16, out16));
  EXPECT_FALSE((*c)->Encrypt(iv, in16, out32));
  std::vector<std::uint8_t> buf(48);
  EXPECT_FALSE((*c)->Encrypt(iv, std::span(buf).first(32), std::span(buf).subspan(16, 32)));
  EXPECT_TRUE((*c)->Encrypt(iv, {}, {}));  // nothing to do is not an error
}

TEST(AesCbc, CreateRejectsBadParameters) {
  EXPECT_FALSE(Cipher::Create(EncrId::kAesCbc, 128, std::vector<std::uint8_t>(32)));
  EXPECT_FALSE(Cipher::Create(EncrId::kAesCbc, 0, std::vector<std::uint8_t>(16)));
  EXPECT_FALSE(Cipher::Create(EncrId::kAesGcm16, 128, std::vector<std::uint8_t>(16)));
  auto c = Cipher::Create(EncrId::kAesCbc, 256, std::vector<std::uint8_t>(32));
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)->key_size(), 32u);
  EXPECT_EQ((*c)->iv_size(), 16u);
  EXPECT_EQ((*c)->block_size(), 16u);
}

}  // namespace
}  // namespace isthmus::crypto
