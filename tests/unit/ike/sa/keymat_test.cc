// Key derivation cross-checked against a literal transcription of RFC 7296 §2.13/§2.14/§2.17/§2.18
// written here with nothing but the crypto library's single-shot Prf (there are no official RFC 7296
// vectors). The naive version is deliberately dumb: build T1, T2, ... by hand and slice by offsets.
#include "ike/sa/keymat.h"

#include <vector>

#include <gtest/gtest.h>

#include "crypto/prf.h"

namespace isthmus::ike::sa {
namespace {

using crypto::EncrId;
using crypto::IntegId;
using crypto::KeGroup;
using crypto::PrfId;
using Bytes = std::vector<std::uint8_t>;

Bytes Pattern(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + 7 * i);
  return b;
}
Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes Be64(std::uint64_t v) {
  Bytes b;
  for (int i = 7; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  return b;
}
Bytes Prf(PrfId id, const Bytes& key, const Bytes& data) {
  auto prf = crypto::Prf::Create(id);
  auto out = (*prf)->Compute(key, data);
  return Bytes(out->view().begin(), out->view().end());
}
// prf+ (K,S) = T1 | T2 | ..., T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n)   (RFC 7296 §2.13)
Bytes NaivePrfPlus(PrfId id, const Bytes& key, const Bytes& seed, std::size_t len) {
  Bytes out, t;
  for (std::uint8_t n = 1; out.size() < len; ++n) {
    t = Prf(id, key, Cat({t, seed, Bytes{n}}));
    out.insert(out.end(), t.begin(), t.end());
  }
  out.resize(len);
  return out;
}
Bytes Slice(const Bytes& b, std::size_t& at, std::size_t n) {
  Bytes s(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
  at += n;
  return s;
}
Bytes B(const SecretBytes& s) {
  return Bytes(s.view().begin(), s.view().end());
}

struct Sizes {
  std::size_t d, a, e, p;
};

void ExpectIkeKeysMatch(const IkeSaKeys& k, const Bytes& keymat, Sizes z) {
  std::size_t at = 0;
  EXPECT_EQ(B(k.sk_d), Slice(keymat, at, z.d));
  EXPECT_EQ(B(k.sk_ai), Slice(keymat, at, z.a));
  EXPECT_EQ(B(k.sk_ar), Slice(keymat, at, z.a));
  EXPECT_EQ(B(k.sk_ei), Slice(keymat, at, z.e));
  EXPECT_EQ(B(k.sk_er), Slice(keymat, at, z.e));
  EXPECT_EQ(B(k.sk_pi), Slice(keymat, at, z.p));
  EXPECT_EQ(B(k.sk_pr), Slice(keymat, at, z.p));
  EXPECT_EQ(at, keymat.size());
}

struct IkeCase {
  IkeSuite suite;
  Sizes sizes;
};
const IkeCase kIkeCases[] = {
    // AEAD: no SK_a; SK_e = 32-octet key + 4-octet salt (RFC 5282 §7.1).
    {{{EncrId::kAesGcm16, 256}, PrfId::kHmacSha2_256, IntegId::kNone, KeGroup::kEcp256}, {32, 0, 36, 32}},
    {{{EncrId::kAesGcm16, 128}, PrfId::kHmacSha2_384, IntegId::kNone, KeGroup::kEcp384}, {48, 0, 20, 48}},
    {{{EncrId::kChaCha20Poly1305, 0}, PrfId::kHmacSha2_512, IntegId::kNone, KeGroup::kCurve25519},
     {64, 0, 36, 64}},
    // Classic: SK_a = HMAC key (hash length, RFC 4868), SK_e = AES key.
    {{{EncrId::kAesCbc, 256}, PrfId::kHmacSha2_256, IntegId::kHmacSha2_256_128, KeGroup::kModp2048},
     {32, 32, 32, 32}},
    {{{EncrId::kAesCbc, 128}, PrfId::kHmacSha2_512, IntegId::kHmacSha2_384_192, KeGroup::kEcp256},
     {64, 48, 16, 64}},
};

TEST(IkeKeySizes, FollowTheNegotiatedTransforms) {
  for (const auto& c : kIkeCases) {
    auto s = IkeKeySizesFor(c.suite);
    ASSERT_TRUE(s.has_value()) << c.suite.Describe();
    EXPECT_EQ(*s, (IkeKeySizes{c.sizes.d, c.sizes.a, c.sizes.e, c.sizes.p})) << c.suite.Describe();
  }
  IkeSuite bad{{EncrId::kAesGcm16, 256}, PrfId::kHmacSha2_256, IntegId::kHmacSha2_256_128, KeGroup::kEcp256};
  EXPECT_FALSE(IkeKeySizesFor(bad).has_value());  // AEAD with integrity
  bad = {{EncrId::kAesCbc, 256}, PrfId::kHmacSha2_256, IntegId::kNone, KeGroup::kEcp256};
  EXPECT_FALSE(IkeKeySizesFor(bad).has_value());  // classic without integrity
}

TEST(DeriveIkeSaKeys, MatchesTheRfcFormulasForEverySuite) {
  const Bytes ni = Pattern(32, 1), nr = Pattern(48, 2), gir = Pattern(256, 3);
  const std::uint64_t spi_i = 0x0102030405060708, spi_r = 0x1112131415161718;
  for (const auto& c : kIkeCases) {
    SCOPED_TRACE(c.suite.Describe());
    auto keys = DeriveIkeSaKeys(c.suite, gir, ni, nr, spi_i, spi_r);
    ASSERT_TRUE(keys.has_value()) << keys.error().message;
    const Bytes skeyseed = Prf(c.suite.prf, Cat({ni, nr}), gir);  // SKEYSEED = prf(Ni | Nr, g^ir)
    const std::size_t total = c.sizes.d + 2 * c.sizes.a + 2 * c.sizes.e + 2 * c.sizes.p;
    const Bytes keymat = NaivePrfPlus(c.suite.prf, skeyseed, Cat({ni, nr, Be64(spi_i), Be64(spi_r)}), total);
    ExpectIkeKeysMatch(*keys, keymat, c.sizes);
    EXPECT_TRUE(keys->sk_ai.empty() == c.suite.aead());
  }
}

TEST(DeriveIkeSaKeys, EveryInputMatters) {
  const IkeSuite suite = kIkeCases[0].suite;
  const Bytes ni = Pattern(32, 1), nr = Pattern(32, 2), gir = Pattern(32, 3);
  auto base = DeriveIkeSaKeys(suite, gir, ni, nr, 1, 2);
  ASSERT_TRUE(base.has_value());
  Bytes gir2 = gir;
  gir2[5] ^= 1;
  EXPECT_NE(B(DeriveIkeSaKeys(suite, gir2, ni, nr, 1, 2)->sk_d), B(base->sk_d));
  EXPECT_NE(B(DeriveIkeSaKeys(suite, gir, nr, ni, 1, 2)->sk_d), B(base->sk_d));  // nonce order
  EXPECT_NE(B(DeriveIkeSaKeys(suite, gir, ni, nr, 2, 1)->sk_d), B(base->sk_d));  // SPI order
  // Keys in one direction differ from the other.
  EXPECT_NE(B(base->sk_ei), B(base->sk_er));
  EXPECT_NE(B(base->sk_pi), B(base->sk_pr));
}

TEST(DeriveIkeSaKeys, RefusesBadInputs) {
  const IkeSuite suite = kIkeCases[0].suite;
  const Bytes ok = Pattern(32, 1);
  auto short_nonce = DeriveIkeSaKeys(suite, ok, Pattern(15, 1), ok, 1, 2);
  ASSERT_FALSE(short_nonce.has_value());
  EXPECT_EQ(short_nonce.error().code, "InvalidKeyDerivationInput");
  EXPECT_FALSE(DeriveIkeSaKeys(suite, ok, ok, Pattern(257, 1), 1, 2).has_value());
  EXPECT_FALSE(DeriveIkeSaKeys(suite, Bytes{}, ok, ok, 1, 2).has_value());
}

TEST(DeriveRekeyedIkeSaKeys, UsesTheOldPrfForSkeyseedAndTheNewOneForPrfPlus) {
  const Bytes ni = Pattern(32, 9), nr = Pattern(40, 10), gir = Pattern(97, 11);
  const Bytes old_sk_d_bytes = Pattern(64, 12);
  const SecretBytes old_sk_d(old_sk_d_bytes);
  const PrfId old_prf = PrfId::kHmacSha2_512;
  for (const auto& c : kIkeCases) {
    SCOPED_TRACE(c.suite.Describe());
    auto keys = DeriveRekeyedIkeSaKeys(old_prf, old_sk_d, c.suite, gir, ni, nr, 0xaaaa, 0xbbbb);
    ASSERT_TRUE(keys.has_value()) << keys.error().message;
    // SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)   (RFC 7296 §2.18), old IKE SA's PRF
    const Bytes skeyseed = Prf(old_prf, old_sk_d_bytes, Cat({gir, ni, nr}));
    const std::size_t total = c.sizes.d + 2 * c.sizes.a + 2 * c.sizes.e + 2 * c.sizes.p;
    const Bytes keymat =
        NaivePrfPlus(c.suite.prf, skeyseed, Cat({ni, nr, Be64(0xaaaa), Be64(0xbbbb)}), total);
    ExpectIkeKeysMatch(*keys, keymat, c.sizes);
  }
  EXPECT_FALSE(
      DeriveRekeyedIkeSaKeys(old_prf, old_sk_d, kIkeCases[0].suite, Bytes{}, ni, nr, 1, 2).has_value());
}

struct ChildCase {
  ChildSuite suite;
  std::size_t encr, integ;
};
const ChildCase kChildCases[] = {
    {{{EncrId::kAesGcm16, 256}, IntegId::kNone, KeGroup::kNone, true}, 36, 0},
    {{{EncrId::kAesGcm16, 128}, IntegId::kNone, KeGroup::kEcp256, false}, 20, 0},
    {{{EncrId::kChaCha20Poly1305, 0}, IntegId::kNone, KeGroup::kNone, false}, 36, 0},
    {{{EncrId::kAesCbc, 128}, IntegId::kHmacSha2_256_128, KeGroup::kNone, false}, 16, 32},
    {{{EncrId::kAesCbc, 256}, IntegId::kHmacSha2_512_256, KeGroup::kCurve25519, true}, 32, 64},
};

TEST(DeriveChildSaKeys, SplitsKeymatInRfcOrderWithAndWithoutPfs) {
  const Bytes ni = Pattern(32, 21), nr = Pattern(32, 22), gir = Pattern(32, 23);
  const Bytes sk_d_bytes = Pattern(32, 24);
  const SecretBytes sk_d(sk_d_bytes);
  const PrfId prf = PrfId::kHmacSha2_256;
  for (const auto& c : kChildCases) {
    SCOPED_TRACE(c.suite.Describe());
    const bool pfs = c.suite.ke != KeGroup::kNone;
    auto sizes = ChildKeySizesFor(c.suite);
    ASSERT_TRUE(sizes.has_value());
    EXPECT_EQ(*sizes, (ChildKeySizes{c.encr, c.integ}));
    auto keys = DeriveChildSaKeys(prf, sk_d, c.suite, pfs ? gir : Bytes{}, ni, nr);
    ASSERT_TRUE(keys.has_value()) << keys.error().message;
    // KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr)   (RFC 7296 §2.17)
    const Bytes seed = pfs ? Cat({gir, ni, nr}) : Cat({ni, nr});
    const Bytes keymat = NaivePrfPlus(prf, sk_d_bytes, seed, 2 * (c.encr + c.integ));
    std::size_t at = 0;
    EXPECT_EQ(B(keys->initiator_to_responder.encr), Slice(keymat, at, c.encr));
    EXPECT_EQ(B(keys->initiator_to_responder.integ), Slice(keymat, at, c.integ));
    EXPECT_EQ(B(keys->responder_to_initiator.encr), Slice(keymat, at, c.encr));
    EXPECT_EQ(B(keys->responder_to_initiator.integ), Slice(keymat, at, c.integ));
    // Roles pick the right halves for SaSpec.
    EXPECT_EQ(keys->Outbound(IkeRole::kInitiator), keys->initiator_to_responder);
    EXPECT_EQ(keys->Inbound(IkeRole::kInitiator), keys->responder_to_initiator);
    EXPECT_EQ(keys->Outbound(IkeRole::kResponder), keys->responder_to_initiator);
    EXPECT_EQ(keys->Inbound(IkeRole::kResponder), keys->initiator_to_responder);
  }
}

TEST(DeriveChildSaKeys, PfsSecretMustMatchTheSuite) {
  const Bytes n = Pattern(32, 1);
  const SecretBytes sk_d(Pattern(32, 2));
  ChildSuite pfs{{EncrId::kAesGcm16, 256}, IntegId::kNone, KeGroup::kEcp256, false};
  EXPECT_FALSE(DeriveChildSaKeys(PrfId::kHmacSha2_256, sk_d, pfs, Bytes{}, n, n).has_value());
  ChildSuite none = pfs;
  none.ke = KeGroup::kNone;
  EXPECT_FALSE(DeriveChildSaKeys(PrfId::kHmacSha2_256, sk_d, none, Pattern(32, 3), n, n).has_value());
  EXPECT_FALSE(DeriveChildSaKeys(PrfId::kHmacSha2_256, SecretBytes{}, none, Bytes{}, n, n).has_value());
}

}  // namespace
}  // namespace isthmus::ike::sa
