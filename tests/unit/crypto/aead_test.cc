#include "crypto/aead.h"

#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "hex.h"

namespace isthmus::crypto {
namespace {

using testing::Bytes;
using testing::Hex;
using testing::ToHex;

struct AeadVector {
  std::string name;
  EncrId id;
  std::uint16_t key_length_attr;
  std::string keymat;  // key || salt
  std::string iv;
  std::string aad;
  std::string plaintext;
  std::string sealed;  // ciphertext || ICV
};

constexpr const char* kGcmPt60 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
constexpr const char* kLadies =
    "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
    "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
    "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
    "637265656e20776f756c642062652069742e";

// GCM test cases from McGrew & Viega, "The Galois/Counter Mode of Operation", with their 96-bit IV
// cafebabe facedbaddecaf888 split RFC 4106 style into salt (end of keymat) and explicit IV.
// ChaCha20-Poly1305 from RFC 8439 §2.8.2 and the ESP and IKEv2 examples of RFC 7634 Appendix A.
const std::vector<AeadVector>& Vectors() {
  static const std::vector<AeadVector> v = {
      {"GcmSpecCase3Aes128", EncrId::kAesGcm16, 128, "feffe9928665731c6d6a8f9467308308 cafebabe",
       "facedbaddecaf888", "", std::string(kGcmPt60) + "1aafd255",
       "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
       "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985"
       "4d5c2af327cd64a62cf35abd2ba6fab4"},
      {"GcmSpecCase4Aes128Aad", EncrId::kAesGcm16, 128, "feffe9928665731c6d6a8f9467308308 cafebabe",
       "facedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2", kGcmPt60,
       "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
       "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
       "5bc94fbc3221a5db94fae95ae7121a47"},
      {"GcmSpecCase15Aes256", EncrId::kAesGcm16, 256,
       "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308 cafebabe", "facedbaddecaf888", "",
       std::string(kGcmPt60) + "1aafd255",
       "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
       "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
       "b094dac5d93471bdec1a502270e3cc6c"},
      {"GcmSpecCase16Aes256Aad", EncrId::kAesGcm16, 256,
       "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308 cafebabe", "facedbaddecaf888",
       "feedfacedeadbeeffeedfacedeadbeefabaddad2", kGcmPt60,
       "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
       "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
       "76fc6ece0f4e1768cddf8853bb2d551b"},
      {"ChaChaRfc8439Sec2_8_2", EncrId::kChaCha20Poly1305, 0,
       "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f 07000000", "4041424344454647",
       "50515253c0c1c2c3c4c5c6c7", kLadies,
       "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
       "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
       "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
       "3ff4def08e4b7a9de576d26586cec64b6116"
       "1ae10b594f09e26a7e902ecbd0600691"},
      {"ChaChaRfc7634EspExample", EncrId::kChaCha20Poly1305, 0,
       "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f a0a1a2a3", "1011121314151617",
       "0102030400000005",
       "45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10"
       "0007362708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
       "2425262728292a2b2c2d2e2f303132333435363701020204",
       "24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6"
       "14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3"
       "cbec163fac469b502773f6fb94e664da9165b82829f641e0"
       "76aaa8266b7fb0f7b11b369907e1ad43"},
      {"ChaChaRfc7634IkeExample", EncrId::kChaCha20Poly1305, 0,
       "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f a0a1a2a3", "1011121314151617",
       "c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d72e202500000000090000004529000029", "0000000c000040010000000a00",
       "610394701f8d017f7c12924889"
       "6b71bfe25236efd7cdc67066906315b2"},
  };
  return v;
}

// Every vector through both ways of reaching OpenSSL (aead.h): they must agree bit for bit.
class AeadKat : public ::testing::TestWithParam<std::tuple<AeadVector, AeadPath>> {
 protected:
  void SetUp() override {
    const auto& v = std::get<0>(GetParam());
    keymat_ = Hex(v.keymat);
    iv_ = Hex(v.iv);
    aad_ = Hex(v.aad);
    pt_ = Hex(v.plaintext);
    sealed_ = Hex(v.sealed);
    auto a = Aead::Create(v.id, v.key_length_attr, keymat_, std::get<1>(GetParam()));
    ASSERT_TRUE(a.has_value()) << a.error().message;
    aead_ = std::move(*a);
    // The direct path must really be taken here (OpenSSL 3's default provider), not fall back.
    ASSERT_EQ(aead_->path(), std::get<1>(GetParam()));
  }
  AeadIv Iv() const { return AeadIv(iv_.data(), 8); }

  std::vector<std::uint8_t> keymat_, iv_, aad_, pt_, sealed_;
  std::unique_ptr<Aead> aead_;
};

TEST_P(AeadKat, SealMatchesVector) {
  std::vector<std::uint8_t> out(pt_.size() + aead_->icv_size());
  ASSERT_TRUE(aead_->Seal(Iv(), aad_, pt_, out));
  EXPECT_EQ(ToHex(out), ToHex(sealed_));
}

TEST_P(AeadKat, OpenRecoversPlaintext) {
  std::vector<std::uint8_t> out(pt_.size());
  ASSERT_TRUE(aead_->Open(Iv(), aad_, sealed_, out));
  EXPECT_EQ(ToHex(out), ToHex(pt_));
}

TEST_P(AeadKat, SealAndOpenInPlace) {
  std::vector<std::uint8_t> buf = pt_;
  buf.resize(pt_.size() + aead_->icv_size());
  ASSERT_TRUE(aead_->Seal(Iv(), aad_, std::span(buf).first(pt_.size()), buf));
  EXPECT_EQ(ToHex(buf), ToHex(sealed_));
  ASSERT_TRUE(aead_->Open(Iv(), aad_, buf, std::span(buf).first(pt_.size())));
  EXPECT_EQ(ToHex(std::span(buf).first(pt_.size())), ToHex(pt_));
}

TEST_P(AeadKat, TamperedIcvRejectedAndOutputZeroed) {
  auto bad = sealed_;
  bad.back() ^= 0x01;
  std::vector<std::uint8_t> out(pt_.size(), 0xee);
  EXPECT_FALSE(aead_->Open(Iv(), aad_, bad, out));
  EXPECT_EQ(out, std::vector<std::uint8_t>(pt_.size(), 0));
}

TEST_P(AeadKat, TamperedCiphertextRejected) {
  auto bad = sealed_;
  bad[0] ^= 0x80;
  std::vector<std::uint8_t> out(pt_.size());
  EXPECT_FALSE(aead_->Open(Iv(), aad_, bad, out));
}

TEST_P(AeadKat, TamperedAadRejected) {
  auto aad = aad_;
  if (aad.empty()) {
    aad.push_back(0);  // adding AAD where there was none must also fail
  } else {
    aad[aad.size() / 2] ^= 0x04;
  }
  std::vector<std::uint8_t> out(pt_.size());
  EXPECT_FALSE(aead_->Open(Iv(), aad, sealed_, out));
}

TEST_P(AeadKat, WrongIvRejected) {
  auto iv = iv_;
  iv[7] ^= 1;
  std::vector<std::uint8_t> out(pt_.size());
  EXPECT_FALSE(aead_->Open(AeadIv(iv.data(), 8), aad_, sealed_, out));
}

TEST_P(AeadKat, ObjectReusableAfterFailureAndAcrossDirections) {
  // Exercise the per-call IV/direction re-initialisation on one keyed context.
  auto bad = sealed_;
  bad[1] ^= 0x10;
  std::vector<std::uint8_t> pt(pt_.size());
  EXPECT_FALSE(aead_->Open(Iv(), aad_, bad, pt));
  std::vector<std::uint8_t> sealed(sealed_.size());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(aead_->Seal(Iv(), aad_, pt_, sealed));
    EXPECT_EQ(ToHex(sealed), ToHex(sealed_));
    ASSERT_TRUE(aead_->Open(Iv(), aad_, sealed, pt));
    EXPECT_EQ(pt, pt_);
  }
}

TEST_P(AeadKat, SizeAndOverlapViolationsRejected) {
  std::vector<std::uint8_t> small(pt_.size() + aead_->icv_size() - 1);
  EXPECT_FALSE(aead_->Seal(Iv(), aad_, pt_, small));
  std::vector<std::uint8_t> big(pt_.size() + 1);
  EXPECT_FALSE(aead_->Open(Iv(), aad_, sealed_, big));
  std::vector<std::uint8_t> tiny(aead_->icv_size() - 1);
  EXPECT_FALSE(aead_->Open(Iv(), aad_, tiny, std::span<std::uint8_t>()));
  // Output shifted by one octet against the input: partial overlap.
  std::vector<std::uint8_t> buf(pt_.size() + aead_->icv_size() + 1);
  std::memcpy(buf.data(), pt_.data(), pt_.size());
  EXPECT_FALSE(aead_->Seal(Iv(), aad_, std::span(buf).first(pt_.size()),
                           std::span(buf).subspan(1, pt_.size() + aead_->icv_size())));
}

TEST_P(AeadKat, OtherPathOpensWhatThisOneSeals) {
  const auto& v = std::get<0>(GetParam());
  const AeadPath other = std::get<1>(GetParam()) == AeadPath::kDirect ? AeadPath::kEvp : AeadPath::kDirect;
  auto peer = Aead::Create(v.id, v.key_length_attr, keymat_, other);
  ASSERT_TRUE(peer);
  // A longer text than the vectors' (several blocks plus a partial one), so bulk code paths run too.
  std::vector<std::uint8_t> pt(1403), sealed(1403 + aead_->icv_size()), back(1403);
  for (std::size_t i = 0; i < pt.size(); ++i) pt[i] = static_cast<std::uint8_t>(i * 7 + 3);
  ASSERT_TRUE(aead_->Seal(Iv(), aad_, pt, sealed));
  ASSERT_TRUE((*peer)->Open(Iv(), aad_, sealed, back));
  EXPECT_EQ(back, pt);
  std::vector<std::uint8_t> sealed2(sealed.size());
  ASSERT_TRUE((*peer)->Seal(Iv(), aad_, pt, sealed2));
  EXPECT_EQ(sealed2, sealed);
  sealed2[700] ^= 0x01;
  EXPECT_FALSE(aead_->Open(Iv(), aad_, sealed2, back));
}

INSTANTIATE_TEST_SUITE_P(Rfc, AeadKat,
                         ::testing::Combine(::testing::ValuesIn(Vectors()),
                                            ::testing::Values(AeadPath::kDirect, AeadPath::kEvp)),
                         [](const auto& p) {
                           return std::get<0>(p.param).name +
                                  (std::get<1>(p.param) == AeadPath::kDirect ? "Direct" : "Evp");
                         });

TEST(Aead, EmptyPlaintextAuthenticatesAadOnly) {
  auto a = Aead::Create(EncrId::kAesGcm16, 256, std::vector<std::uint8_t>(36, 0x42));
  ASSERT_TRUE(a);
  const std::uint8_t iv[8] = {0, 0, 0, 0, 0, 0, 0, 1};
  const auto aad = Bytes("header");
  std::vector<std::uint8_t> tag(16);
  ASSERT_TRUE((*a)->Seal(AeadIv(iv), aad, {}, tag));
  EXPECT_TRUE((*a)->Open(AeadIv(iv), aad, tag, {}));
  EXPECT_FALSE((*a)->Open(AeadIv(iv), Bytes("headex"), tag, {}));
}

TEST(Aead, SaltIsPartOfTheNonce) {
  // Same key, different salt => different ciphertext (salt must come from keymat, RFC 4106 §4).
  auto km1 = Hex("feffe9928665731c6d6a8f9467308308 cafebabe");
  auto km2 = Hex("feffe9928665731c6d6a8f9467308308 cafebabf");
  auto a1 = Aead::Create(EncrId::kAesGcm16, 128, km1);
  auto a2 = Aead::Create(EncrId::kAesGcm16, 128, km2);
  ASSERT_TRUE(a1 && a2);
  const std::uint8_t iv[8] = {};
  const auto pt = Bytes("sixteen octets!!");
  std::vector<std::uint8_t> c1(32), c2(32);
  ASSERT_TRUE((*a1)->Seal(AeadIv(iv), {}, pt, c1));
  ASSERT_TRUE((*a2)->Seal(AeadIv(iv), {}, pt, c2));
  EXPECT_NE(c1, c2);
  std::vector<std::uint8_t> out(16);
  EXPECT_FALSE((*a2)->Open(AeadIv(iv), {}, c1, out));
}

TEST(Aead, ReportsSizes) {
  auto gcm = Aead::Create(EncrId::kAesGcm16, 128, std::vector<std::uint8_t>(20));
  ASSERT_TRUE(gcm);
  EXPECT_EQ((*gcm)->id(), EncrId::kAesGcm16);
  EXPECT_EQ((*gcm)->key_size(), 16u);
  EXPECT_EQ((*gcm)->iv_size(), 8u);
  EXPECT_EQ((*gcm)->icv_size(), 16u);
  auto chacha = Aead::Create(EncrId::kChaCha20Poly1305, 0, std::vector<std::uint8_t>(36));
  ASSERT_TRUE(chacha);
  EXPECT_EQ((*chacha)->key_size(), 32u);
}

TEST(Aead, CreateRejectsBadParameters) {
  const std::vector<std::uint8_t> km36(36), km20(20), km32(32);
  EXPECT_FALSE(Aead::Create(EncrId::kAesGcm16, 256, km32));          // salt missing
  EXPECT_FALSE(Aead::Create(EncrId::kAesGcm16, 128, km36));          // wrong size for 128
  EXPECT_FALSE(Aead::Create(EncrId::kAesGcm16, 192, km36));          // unsupported key length
  EXPECT_FALSE(Aead::Create(EncrId::kAesGcm16, 0, km20));            // AES needs the attribute
  EXPECT_FALSE(Aead::Create(EncrId::kChaCha20Poly1305, 256, km36));  // attribute forbidden
  auto cbc = Aead::Create(EncrId::kAesCbc, 128, km20);               // not an AEAD
  ASSERT_FALSE(cbc);
  EXPECT_EQ(cbc.error().kind, ErrorKind::kInvalidArgument);
}

}  // namespace
}  // namespace isthmus::crypto
