#include "ike/sa/sk_protector.h"

#include <memory>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "crypto/aead.h"
#include "crypto/cipher.h"
#include "crypto/integrity.h"

namespace isthmus::ike::sa {
namespace {

using crypto::EncrId;
using crypto::IntegId;
using crypto::KeGroup;
using crypto::PrfId;
using wire::Bytes;

Bytes Pattern(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + 13 * i);
  return b;
}

IkeSaKeys KeysFor(const IkeSuite& suite, std::uint8_t seed = 1) {
  auto k =
      DeriveIkeSaKeys(suite, Pattern(32, seed), Pattern(32, seed + 1), Pattern(32, seed + 2), 0x1111, 0x2222);
  EXPECT_TRUE(k.has_value());
  return std::move(*k);
}

const IkeSuite kSuites[] = {
    {{EncrId::kAesGcm16, 128}, PrfId::kHmacSha2_256, IntegId::kNone, KeGroup::kEcp256},
    {{EncrId::kAesGcm16, 256}, PrfId::kHmacSha2_256, IntegId::kNone, KeGroup::kEcp256},
    {{EncrId::kChaCha20Poly1305, 0}, PrfId::kHmacSha2_512, IntegId::kNone, KeGroup::kCurve25519},
    {{EncrId::kAesCbc, 128}, PrfId::kHmacSha2_256, IntegId::kHmacSha2_256_128, KeGroup::kModp2048},
    {{EncrId::kAesCbc, 128}, PrfId::kHmacSha2_384, IntegId::kHmacSha2_384_192, KeGroup::kEcp384},
    {{EncrId::kAesCbc, 256}, PrfId::kHmacSha2_256, IntegId::kHmacSha2_256_128, KeGroup::kEcp256},
    {{EncrId::kAesCbc, 256}, PrfId::kHmacSha2_384, IntegId::kHmacSha2_384_192, KeGroup::kEcp256},
    {{EncrId::kAesCbc, 256}, PrfId::kHmacSha2_512, IntegId::kHmacSha2_512_256, KeGroup::kEcp384},
};

wire::Header AuthHeader(bool from_initiator) {
  wire::Header h;
  h.initiator_spi = 0x1111;
  h.responder_spi = 0x2222;
  h.exchange = wire::ExchangeType::kIkeAuth;
  h.initiator = from_initiator;
  h.response = !from_initiator;
  h.message_id = 1;
  return h;
}

// An inner chain of one Nonce payload whose data makes the chain `len`+4 octets.
wire::SerializedChain Inner(std::size_t nonce_len) {
  std::vector<wire::Payload> inner{wire::Payload::Of(wire::NoncePayload{Pattern(nonce_len, 0x40)})};
  auto chain = wire::SerializePayloadChain(inner);
  EXPECT_TRUE(chain.has_value());
  return *chain;
}

// Builds and seals a whole protected message the way the engine will.
wire::SkFrame SealMessage(SkProtector& p, const wire::SerializedChain& chain, bool from_initiator, Rng& rng) {
  auto s = p.SizesFor(chain.bytes.size());
  auto frame = wire::BuildSkFrame(AuthHeader(from_initiator), {}, chain.first, s.iv, s.ciphertext, s.icv);
  EXPECT_TRUE(frame.has_value());
  auto ok = p.SealFrame(*frame, chain.bytes, rng);
  EXPECT_TRUE(ok.has_value()) << ok.error().message;
  return std::move(*frame);
}

struct Pair {
  SkProtector initiator;
  SkProtector responder;
};
Pair MakePair(const IkeSuite& suite) {
  IkeSaKeys keys = KeysFor(suite);
  auto i = SkProtector::Create(suite, keys, IkeRole::kInitiator);
  auto r = SkProtector::Create(suite, keys, IkeRole::kResponder);
  EXPECT_TRUE(i.has_value() && r.has_value());
  return {std::move(*i), std::move(*r)};
}

TEST(SkProtector, RoundTripEverySuiteAndLengthThroughTheCodec) {
  SeededRng rng(7);
  for (const auto& suite : kSuites) {
    SCOPED_TRACE(suite.Describe());
    Pair p = MakePair(suite);
    for (std::size_t len : {16u, 17u, 27u, 28u, 29u, 100u, 255u}) {
      const auto chain = Inner(len);
      // Initiator -> responder and back, each with its own key.
      for (bool from_initiator : {true, false}) {
        SkProtector& sender = from_initiator ? p.initiator : p.responder;
        SkProtector& receiver = from_initiator ? p.responder : p.initiator;
        wire::SkFrame frame = SealMessage(sender, chain, from_initiator, rng);
        // Padding is the minimum that aligns (RFC 7296 §3.14): 16-octet blocks for CBC, none for AEADs.
        const std::size_t ct = frame.icv_offset - frame.ciphertext_offset;
        if (suite.aead()) {
          EXPECT_EQ(ct, chain.bytes.size() + 1);
        } else {
          EXPECT_EQ(ct % 16, 0u);
          EXPECT_LT(ct - chain.bytes.size() - 1, 16u);
        }
        auto parsed = wire::ParseMessage(frame.bytes);
        ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
        const wire::EncryptedPayload* sk = parsed->encrypted();
        ASSERT_NE(sk, nullptr);
        auto plain = receiver.OpenMessage(frame.bytes, *sk);
        ASSERT_TRUE(plain.has_value()) << plain.error().message;
        EXPECT_EQ(*plain, chain.bytes);
        auto inner = wire::ParseInnerPayloads(sk->first_inner, *plain);
        ASSERT_TRUE(inner.has_value());
        ASSERT_EQ(inner->payloads.size(), 1u);
        EXPECT_EQ(inner->payloads[0].As<wire::NoncePayload>()->data, Pattern(len, 0x40));
      }
    }
  }
}

TEST(SkProtector, EmptySkAsInALivenessCheck) {
  SeededRng rng(1);
  for (const auto& suite : kSuites) {
    Pair p = MakePair(suite);
    wire::SerializedChain empty;
    wire::SkFrame frame = SealMessage(p.initiator, empty, true, rng);
    auto plain = p.responder.Open(frame.associated_data(), std::span(frame.bytes).subspan(frame.iv_offset));
    ASSERT_TRUE(plain.has_value()) << suite.Describe();
    EXPECT_TRUE(plain->empty());
  }
}

TEST(SkProtector, EveryTamperedOctetIsRejected) {
  SeededRng rng(3);
  for (const auto& suite : kSuites) {
    SCOPED_TRACE(suite.Describe());
    Pair p = MakePair(suite);
    const wire::SkFrame frame = SealMessage(p.initiator, Inner(20), true, rng);
    for (std::size_t i = 0; i < frame.bytes.size(); ++i) {
      Bytes bad = frame.bytes;
      bad[i] ^= 0x01;
      std::span<const std::uint8_t> all(bad);
      auto r = p.responder.Open(all.first(frame.iv_offset), all.subspan(frame.iv_offset));
      ASSERT_FALSE(r.has_value()) << "flip at octet " << i << " of " << bad.size() << " was accepted";
      EXPECT_EQ(r.error().code, kSkIntegrityFailed) << "octet " << i;
      EXPECT_EQ(r.error().kind, ErrorKind::kUnauthorized);
    }
  }
}

TEST(SkProtector, TruncationIsRejected) {
  SeededRng rng(4);
  for (const auto& suite : kSuites) {
    SCOPED_TRACE(suite.Describe());
    Pair p = MakePair(suite);
    const wire::SkFrame frame = SealMessage(p.initiator, Inner(40), true, rng);
    std::span<const std::uint8_t> all(frame.bytes);
    auto aad = all.first(frame.iv_offset);
    auto body = all.subspan(frame.iv_offset);
    for (std::size_t cut = 1; cut < body.size(); ++cut) {
      auto r = p.responder.Open(aad, body.first(body.size() - cut));
      ASSERT_FALSE(r.has_value()) << "cut " << cut;
      EXPECT_TRUE(r.error().code == kSkTruncated || r.error().code == kSkIntegrityFailed) << r.error().code;
    }
    auto tiny = p.responder.Open(aad, body.first(suite.aead() ? 24 : 16));
    ASSERT_FALSE(tiny.has_value());
    EXPECT_EQ(tiny.error().code, kSkTruncated);
    // A parsed message whose SK body does not sit where body_offset says.
    auto parsed = wire::ParseMessage(frame.bytes);
    ASSERT_TRUE(parsed.has_value());
    wire::EncryptedPayload moved = *parsed->encrypted();
    moved.body_offset -= 1;
    EXPECT_FALSE(p.responder.OpenMessage(frame.bytes, moved).has_value());
  }
}

TEST(SkProtector, WrongRoleOrWrongSaKeysAreRejected) {
  SeededRng rng(5);
  for (const auto& suite : kSuites) {
    SCOPED_TRACE(suite.Describe());
    Pair p = MakePair(suite);
    const wire::SkFrame from_i = SealMessage(p.initiator, Inner(32), true, rng);
    std::span<const std::uint8_t> all(from_i.bytes);
    // The initiator receives with SK_er, not the SK_ei it sent with.
    auto own = p.initiator.Open(all.first(from_i.iv_offset), all.subspan(from_i.iv_offset));
    ASSERT_FALSE(own.has_value());
    EXPECT_EQ(own.error().code, kSkIntegrityFailed);
    // Another IKE SA's keys.
    auto other = SkProtector::Create(suite, KeysFor(suite, 99), IkeRole::kResponder);
    ASSERT_TRUE(other.has_value());
    EXPECT_FALSE(other->Open(all.first(from_i.iv_offset), all.subspan(from_i.iv_offset)).has_value());
    // And the right one still works.
    EXPECT_TRUE(p.responder.Open(all.first(from_i.iv_offset), all.subspan(from_i.iv_offset)).has_value());
  }
}

TEST(SkProtector, AeadIvsNeverRepeatAndCbcIvsComeFromTheRng) {
  SeededRng rng(6);
  const auto chain = Inner(16);
  Pair gcm = MakePair(kSuites[1]);
  wire::SkFrame a = SealMessage(gcm.initiator, chain, true, rng);
  wire::SkFrame b = SealMessage(gcm.initiator, chain, true, rng);
  EXPECT_NE(Bytes(a.iv().begin(), a.iv().end()), Bytes(b.iv().begin(), b.iv().end()));
  EXPECT_NE(a.bytes, b.bytes);
  EXPECT_EQ(gcm.initiator.aead_ivs_used(), 2u);
  EXPECT_EQ(Bytes(b.iv().begin(), b.iv().end()), (Bytes{0, 0, 0, 0, 0, 0, 0, 1}));

  Pair cbc1 = MakePair(kSuites[5]);
  Pair cbc2 = MakePair(kSuites[5]);
  SeededRng r1(42), r2(42);
  wire::SkFrame c1 = SealMessage(cbc1.initiator, chain, true, r1);
  wire::SkFrame c2 = SealMessage(cbc2.initiator, chain, true, r2);
  EXPECT_EQ(c1.bytes, c2.bytes);  // deterministic under a seeded Rng
  Bytes expected_iv(16);
  SeededRng r3(42);
  r3.Fill(expected_iv);
  EXPECT_EQ(Bytes(c1.iv().begin(), c1.iv().end()), expected_iv);
  wire::SkFrame c3 = SealMessage(cbc1.initiator, chain, true, r1);
  EXPECT_NE(Bytes(c3.iv().begin(), c3.iv().end()), expected_iv);
}

// Encrypts `plaintext` (already padded, possibly wrongly) as `suite`'s initiator would, bypassing the
// protector's own padding, so the receiver's padding checks can be exercised after a good ICV.
Bytes ForgeBody(const IkeSuite& suite, const IkeSaKeys& keys, std::span<const std::uint8_t> aad,
                const Bytes& plaintext) {
  if (suite.aead()) {
    auto aead = crypto::Aead::Create(suite.encr.id, suite.encr.key_bits, keys.sk_ei.view());
    const Bytes iv(8, 0x77);
    Bytes body(iv);
    body.resize(8 + plaintext.size() + 16);
    EXPECT_TRUE((*aead)->Seal(crypto::AeadIv(iv.data(), 8), aad, plaintext, std::span(body).subspan(8)));
    return body;
  }
  auto cipher = crypto::Cipher::Create(suite.encr.id, suite.encr.key_bits, keys.sk_ei.view());
  auto integ = crypto::Integrity::Create(suite.integ, keys.sk_ai.view());
  const Bytes iv(16, 0x55);
  Bytes body(iv);
  body.resize(16 + plaintext.size() + (*integ)->icv_size());
  std::span<std::uint8_t> b(body);
  EXPECT_TRUE((*cipher)->Encrypt(iv, plaintext, b.subspan(16, plaintext.size())));
  EXPECT_TRUE((*integ)->Compute({aad, crypto::ConstBytes(b.first(16 + plaintext.size()))},
                                b.subspan(16 + plaintext.size())));
  return body;
}

TEST(SkProtector, BadPadLengthAfterAGoodIcvIsInvalidSyntax) {
  for (const auto& suite : {kSuites[1], kSuites[5]}) {
    SCOPED_TRACE(suite.Describe());
    IkeSaKeys keys = KeysFor(suite);
    auto responder = SkProtector::Create(suite, keys, IkeRole::kResponder);
    ASSERT_TRUE(responder.has_value());
    const Bytes aad = Pattern(32, 3);  // Open does not interpret the associated data
    Bytes plaintext(32, 0);
    plaintext.back() = 40;  // Pad Length beyond the 31 octets before it
    auto r = responder->Open(aad, ForgeBody(suite, keys, aad, plaintext));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, kSkBadPadding);
    plaintext.back() = 31;  // all padding, no payloads: legal
    auto ok = responder->Open(aad, ForgeBody(suite, keys, aad, plaintext));
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
    EXPECT_TRUE(ok->empty());
  }
}

TEST(SkProtector, SealOnBareBytesChecksTheLengthsInTheAssociatedData) {
  SeededRng rng(8);
  const auto chain = Inner(24);
  Pair p1 = MakePair(kSuites[0]);
  Pair p2 = MakePair(kSuites[0]);
  wire::SkFrame frame = SealMessage(p1.initiator, chain, true, rng);
  std::span<const std::uint8_t> aad = frame.associated_data();
  auto body = p2.initiator.Seal(aad, chain.bytes, rng);  // same keys, same IV counter: same bytes
  ASSERT_TRUE(body.has_value()) << body.error().message;
  EXPECT_EQ(*body,
            Bytes(frame.bytes.begin() + static_cast<std::ptrdiff_t>(frame.iv_offset), frame.bytes.end()));
  // Associated data announcing a different length is a caller bug, caught before anything is sealed.
  auto longer = p2.initiator.Seal(aad, Inner(25).bytes, rng);
  ASSERT_FALSE(longer.has_value());
  EXPECT_EQ(longer.error().code, "SkFrameMismatch");
  EXPECT_FALSE(p2.initiator.Seal(aad.first(20), chain.bytes, rng).has_value());
  // A frame sized for other contents is refused too.
  auto s = p1.initiator.SizesFor(chain.bytes.size() + 1);
  auto wrong = wire::BuildSkFrame(AuthHeader(true), {}, chain.first, s.iv, s.ciphertext, s.icv);
  ASSERT_TRUE(wrong.has_value());
  EXPECT_FALSE(p1.initiator.SealFrame(*wrong, chain.bytes, rng).has_value());
}

TEST(SkProtector, CreateChecksKeySizes) {
  IkeSaKeys keys = KeysFor(kSuites[5]);
  EXPECT_FALSE(SkProtector::Create(kSuites[1], keys, IkeRole::kInitiator).has_value());  // CBC keys for GCM
  keys.sk_ar = SecretBytes(std::vector<std::uint8_t>(31, 1));
  auto r = SkProtector::Create(kSuites[5], keys, IkeRole::kInitiator);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "InvalidKeyLength");
}

// Known answer: AES-GCM-256 computed here with OpenSSL's EVP interface directly from RFC 5282's
// construction (nonce = salt || IV, AAD = header .. SK header, plaintext = payloads || Pad Length 0).
TEST(SkProtector, AesGcmMatchesAnIndependentOpenSslComputation) {
  const IkeSuite suite = kSuites[1];
  IkeSaKeys keys = KeysFor(suite);
  auto initiator = SkProtector::Create(suite, keys, IkeRole::kInitiator);
  ASSERT_TRUE(initiator.has_value());
  SeededRng rng(9);
  auto burn = wire::BuildSkFrame(AuthHeader(true), {}, wire::PayloadType::kNone, 8, 1, 16);
  ASSERT_TRUE(burn.has_value());
  ASSERT_TRUE(initiator->SealFrame(*burn, {}, rng).has_value());  // burn IV 0: the known answer uses IV 1
  const auto chain = Inner(33);
  wire::SkFrame frame = SealMessage(*initiator, chain, true, rng);

  const auto ei = keys.sk_ei.view();
  Bytes nonce(ei.begin() + 32, ei.end());  // 4-octet salt
  const Bytes iv{0, 0, 0, 0, 0, 0, 0, 1};
  nonce.insert(nonce.end(), iv.begin(), iv.end());
  Bytes plaintext = chain.bytes;
  plaintext.push_back(0);  // Pad Length 0: AEADs need no alignment (RFC 5282 §3)
  Bytes ciphertext(plaintext.size());
  Bytes tag(16);
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      EVP_CIPHER_CTX_free);
  int len = 0;
  ASSERT_EQ(EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr), 1);
  ASSERT_EQ(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr), 1);
  ASSERT_EQ(EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, ei.data(), nonce.data()), 1);
  const Bytes aad(frame.bytes.begin(), frame.bytes.begin() + static_cast<std::ptrdiff_t>(frame.iv_offset));
  ASSERT_EQ(EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())), 1);
  ASSERT_EQ(EVP_EncryptUpdate(ctx.get(), ciphertext.data(), &len, plaintext.data(),
                              static_cast<int>(plaintext.size())),
            1);
  ASSERT_EQ(EVP_EncryptFinal_ex(ctx.get(), ciphertext.data() + len, &len), 1);
  ASSERT_EQ(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag.data()), 1);

  Bytes expected_body = iv;
  expected_body.insert(expected_body.end(), ciphertext.begin(), ciphertext.end());
  expected_body.insert(expected_body.end(), tag.begin(), tag.end());
  EXPECT_EQ(Bytes(frame.bytes.begin() + static_cast<std::ptrdiff_t>(frame.iv_offset), frame.bytes.end()),
            expected_body);
  // The SK header in the AAD says Next Payload = Nonce and counts the whole body.
  EXPECT_EQ(aad[aad.size() - 4], static_cast<std::uint8_t>(wire::PayloadType::kNonce));
  EXPECT_EQ((std::size_t{aad[aad.size() - 2]} << 8) | aad[aad.size() - 1], 4 + expected_body.size());
}

}  // namespace
}  // namespace isthmus::ike::sa
