#include "crypto/transforms.h"

#include <vector>

#include <gtest/gtest.h>

#include "crypto/aead.h"
#include "crypto/cipher.h"
#include "crypto/integrity.h"
#include "crypto/key_exchange.h"
#include "crypto/prf.h"

namespace isthmus::crypto {
namespace {

TEST(TransformIds, MatchIanaRegistry) {
  // IKEv2 Parameters registry, Transform Types 1-5.
  EXPECT_EQ(static_cast<int>(EncrId::kAesCbc), 12);
  EXPECT_EQ(static_cast<int>(EncrId::kAesGcm16), 20);
  EXPECT_EQ(static_cast<int>(EncrId::kChaCha20Poly1305), 28);
  EXPECT_EQ(static_cast<int>(PrfId::kHmacSha2_256), 5);
  EXPECT_EQ(static_cast<int>(PrfId::kHmacSha2_384), 6);
  EXPECT_EQ(static_cast<int>(PrfId::kHmacSha2_512), 7);
  EXPECT_EQ(static_cast<int>(IntegId::kHmacSha2_256_128), 12);
  EXPECT_EQ(static_cast<int>(IntegId::kHmacSha2_384_192), 13);
  EXPECT_EQ(static_cast<int>(IntegId::kHmacSha2_512_256), 14);
  EXPECT_EQ(static_cast<int>(KeGroup::kModp1024), 2);
  EXPECT_EQ(static_cast<int>(KeGroup::kModp2048), 14);
  EXPECT_EQ(static_cast<int>(KeGroup::kEcp256), 19);
  EXPECT_EQ(static_cast<int>(KeGroup::kEcp384), 20);
  EXPECT_EQ(static_cast<int>(KeGroup::kCurve25519), 31);
  EXPECT_EQ(kAttrKeyLength, 14);
}

TEST(Transforms, EncrSizes) {
  auto gcm256 = FindEncr(EncrId::kAesGcm16, 256);
  ASSERT_TRUE(gcm256);
  EXPECT_TRUE(gcm256->aead);
  EXPECT_EQ(gcm256->key_size, 32u);
  EXPECT_EQ(gcm256->salt_size, 4u);
  EXPECT_EQ(gcm256->keymat_size, 36u);
  EXPECT_EQ(gcm256->iv_size, 8u);
  EXPECT_EQ(gcm256->icv_size, 16u);
  EXPECT_EQ(gcm256->block_size, 1u);

  auto gcm128 = FindEncr(EncrId::kAesGcm16, 128);
  ASSERT_TRUE(gcm128);
  EXPECT_EQ(gcm128->keymat_size, 20u);

  auto chacha = FindEncr(EncrId::kChaCha20Poly1305, 0);
  ASSERT_TRUE(chacha);
  EXPECT_EQ(chacha->keymat_size, 36u);  // RFC 7634 §2: 32-octet key + 4-octet salt
  EXPECT_FALSE(FindEncr(EncrId::kChaCha20Poly1305, 256));

  auto cbc = FindEncr(EncrId::kAesCbc, 128);
  ASSERT_TRUE(cbc);
  EXPECT_FALSE(cbc->aead);
  EXPECT_EQ(cbc->key_size, 16u);
  EXPECT_EQ(cbc->keymat_size, 16u);
  EXPECT_EQ(cbc->iv_size, 16u);
  EXPECT_EQ(cbc->icv_size, 0u);
  EXPECT_EQ(cbc->block_size, 16u);

  EXPECT_FALSE(FindEncr(EncrId::kAesCbc, 192));
  EXPECT_FALSE(FindEncr(EncrId::kAesCbc, 0));
  EXPECT_FALSE(FindEncr(static_cast<EncrId>(3), 0));  // 3DES
}

TEST(Transforms, IntegPrfKeSizes) {
  auto i256 = FindInteg(IntegId::kHmacSha2_256_128);
  ASSERT_TRUE(i256);
  EXPECT_EQ(i256->key_size, 32u);
  EXPECT_EQ(i256->icv_size, 16u);
  auto i384 = FindInteg(IntegId::kHmacSha2_384_192);
  ASSERT_TRUE(i384);
  EXPECT_EQ(i384->key_size, 48u);
  EXPECT_EQ(i384->icv_size, 24u);
  auto i512 = FindInteg(IntegId::kHmacSha2_512_256);
  ASSERT_TRUE(i512);
  EXPECT_EQ(i512->key_size, 64u);
  EXPECT_EQ(i512->icv_size, 32u);
  EXPECT_FALSE(FindInteg(IntegId::kNone));

  auto p384 = FindPrf(PrfId::kHmacSha2_384);
  ASSERT_TRUE(p384);
  EXPECT_EQ(p384->output_size, 48u);
  EXPECT_EQ(p384->key_size, 48u);

  auto modp1024 = FindKe(KeGroup::kModp1024);
  ASSERT_TRUE(modp1024);
  EXPECT_TRUE(modp1024->weak);
  auto ecp384 = FindKe(KeGroup::kEcp384);
  ASSERT_TRUE(ecp384);
  EXPECT_FALSE(ecp384->weak);
  EXPECT_EQ(ecp384->public_size, 96u);
  EXPECT_EQ(ecp384->shared_size, 48u);
  EXPECT_FALSE(FindKe(KeGroup::kNone));
}

// The table and the factories must agree: every listed transform can be instantiated from the sizes
// the table reports. This is what lets the IKE engine and the data plane be table-driven.
TEST(Transforms, EveryListedTransformCanBeCreatedFromItsSizes) {
  for (const auto& e : SupportedEncr()) {
    const std::vector<std::uint8_t> keymat(e.keymat_size, 0x33);
    if (e.aead) {
      auto a = Aead::Create(e.id, e.key_length_attr, keymat);
      ASSERT_TRUE(a.has_value()) << e.name;
      EXPECT_EQ((*a)->icv_size(), e.icv_size) << e.name;
      EXPECT_EQ((*a)->iv_size(), e.iv_size) << e.name;
      EXPECT_EQ((*a)->key_size(), e.key_size) << e.name;
    } else {
      auto c = Cipher::Create(e.id, e.key_length_attr, keymat);
      ASSERT_TRUE(c.has_value()) << e.name;
      EXPECT_EQ((*c)->block_size(), e.block_size) << e.name;
      EXPECT_EQ((*c)->iv_size(), e.iv_size) << e.name;
    }
  }
  for (const auto& i : SupportedInteg()) {
    auto integ = Integrity::Create(i.id, std::vector<std::uint8_t>(i.key_size, 0x44));
    ASSERT_TRUE(integ.has_value()) << i.name;
    EXPECT_EQ((*integ)->icv_size(), i.icv_size) << i.name;
  }
  for (const auto& p : SupportedPrf()) {
    auto prf = Prf::Create(p.id);
    ASSERT_TRUE(prf.has_value()) << p.name;
    EXPECT_EQ((*prf)->output_size(), p.output_size) << p.name;
  }
  for (const auto& k : SupportedKe()) {
    auto ke = KeyExchange::Create(k.group);
    ASSERT_TRUE(ke.has_value()) << k.name;
    EXPECT_EQ((*ke)->PublicValue().size(), k.public_size) << k.name;
  }
}

}  // namespace
}  // namespace isthmus::crypto
