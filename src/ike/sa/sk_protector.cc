#include "ike/sa/sk_protector.h"

#include <limits>

#include <fmt/format.h>

namespace isthmus::ike::sa {
namespace {

// RFC 7296 §3.1 / §3.2: the IKE header's Length field sits at octet 24, a payload's at octet 2.
constexpr std::size_t kIkeLengthOffset = 24;
constexpr std::size_t kMinAssociatedData = wire::kHeaderSize + wire::kGenericHeaderSize;

Error Truncated(std::string what) {
  return Error::Invalid(std::string(kSkTruncated), std::move(what), "SK");
}

Error FrameMismatch(std::string what) {
  return Error::Invalid("SkFrameMismatch", std::move(what), "SK");
}

std::uint32_t ReadU32(wire::ByteView b, std::size_t at) {
  return std::uint32_t{b[at]} << 24 | std::uint32_t{b[at + 1]} << 16 | std::uint32_t{b[at + 2]} << 8 |
         b[at + 3];
}

Status CheckKeySize(const SecretBytes& key, std::size_t expected, const char* name) {
  if (key.size() != expected) {
    return Fail(Error::Invalid(
        "InvalidKeyLength", fmt::format("{} is {} octets, the suite needs {}", name, key.size(), expected)));
  }
  return {};
}

}  // namespace

SkProtector::SkProtector(SkProtector&&) noexcept = default;
SkProtector& SkProtector::operator=(SkProtector&&) noexcept = default;
SkProtector::~SkProtector() = default;

Result<SkProtector> SkProtector::Create(const IkeSuite& suite, const IkeSaKeys& keys, IkeRole role) {
  auto info = crypto::FindEncr(suite.encr.id, suite.encr.key_bits);
  auto sizes = IkeKeySizesFor(suite);
  if (!info || !sizes)
    return Fail(sizes ? Error::Invalid("UnsupportedSuite", "unsupported encryption") : sizes.error());
  const bool initiator = role == IkeRole::kInitiator;
  const SecretBytes& e_out = initiator ? keys.sk_ei : keys.sk_er;
  const SecretBytes& e_in = initiator ? keys.sk_er : keys.sk_ei;
  const SecretBytes& a_out = initiator ? keys.sk_ai : keys.sk_ar;
  const SecretBytes& a_in = initiator ? keys.sk_ar : keys.sk_ai;
  for (auto [key, name] : {std::pair{&keys.sk_ei, "SK_ei"}, std::pair{&keys.sk_er, "SK_er"}}) {
    if (auto ok = CheckKeySize(*key, sizes->e, name); !ok) return Fail(ok.error());
  }
  for (auto [key, name] : {std::pair{&keys.sk_ai, "SK_ai"}, std::pair{&keys.sk_ar, "SK_ar"}}) {
    if (auto ok = CheckKeySize(*key, sizes->a, name); !ok) return Fail(ok.error());
  }

  SkProtector p;
  p.info_ = *info;
  if (info->aead) {
    auto out = crypto::Aead::Create(info->id, info->key_length_attr, e_out.view());
    if (!out) return Fail(out.error());
    auto in = crypto::Aead::Create(info->id, info->key_length_attr, e_in.view());
    if (!in) return Fail(in.error());
    p.aead_out_ = std::move(*out);
    p.aead_in_ = std::move(*in);
    p.icv_size_ = info->icv_size;
  } else {
    auto out = crypto::Cipher::Create(info->id, info->key_length_attr, e_out.view());
    if (!out) return Fail(out.error());
    auto in = crypto::Cipher::Create(info->id, info->key_length_attr, e_in.view());
    if (!in) return Fail(in.error());
    auto iout = crypto::Integrity::Create(suite.integ, a_out.view());
    if (!iout) return Fail(iout.error());
    auto iin = crypto::Integrity::Create(suite.integ, a_in.view());
    if (!iin) return Fail(iin.error());
    p.cipher_out_ = std::move(*out);
    p.cipher_in_ = std::move(*in);
    p.integ_out_ = std::move(*iout);
    p.integ_in_ = std::move(*iin);
    p.icv_size_ = p.integ_out_->icv_size();
  }
  return p;
}

SkProtector::Sizes SkProtector::SizesFor(std::size_t payloads_len) const {
  return Sizes{info_.iv_size, wire::ComputeSkPlaintextLayout(payloads_len, info_.block_size).plaintext_len,
               icv_size_};
}

Status SkProtector::SealParts(wire::ByteView aad, wire::ByteView payloads, std::span<std::uint8_t> iv,
                              std::span<std::uint8_t> ciphertext_and_icv, Rng& rng) {
  const wire::Bytes padded = wire::PadSkPlaintext(payloads, info_.block_size);
  if (iv.size() != info_.iv_size || ciphertext_and_icv.size() != padded.size() + icv_size_) {
    return Fail(FrameMismatch(fmt::format("frame has IV {} and ciphertext+ICV {} octets; expected {} and {}",
                                          iv.size(), ciphertext_and_icv.size(), info_.iv_size,
                                          padded.size() + icv_size_)));
  }
  if (info_.aead) {
    if (next_iv_ == std::numeric_limits<std::uint64_t>::max()) {
      return Fail(Error::Internal("AEAD IV space of this IKE SA is exhausted; it must be rekeyed"));
    }
    const std::uint64_t counter = next_iv_++;
    for (std::size_t i = 0; i < 8; ++i) iv[i] = static_cast<std::uint8_t>(counter >> (56 - 8 * i));
    if (!aead_out_->Seal(crypto::AeadIv(iv.data(), 8), aad, padded, ciphertext_and_icv)) {
      return Fail(Error::Internal("AEAD seal of the SK payload failed"));
    }
    return {};
  }
  rng.Fill(iv);
  auto ciphertext = ciphertext_and_icv.first(padded.size());
  if (!cipher_out_->Encrypt(iv, padded, ciphertext))
    return Fail(Error::Internal("CBC encryption of SK failed"));
  if (!integ_out_->Compute({aad, wire::ByteView(iv), wire::ByteView(ciphertext)},
                           ciphertext_and_icv.subspan(padded.size()))) {
    return Fail(Error::Internal("ICV computation of the SK payload failed"));
  }
  return {};
}

Status SkProtector::SealFrame(wire::SkFrame& frame, wire::ByteView payloads, Rng& rng) {
  if (frame.iv_offset < kMinAssociatedData || frame.icv_offset > frame.bytes.size() ||
      frame.ciphertext_offset < frame.iv_offset || frame.icv_offset < frame.ciphertext_offset) {
    return Fail(FrameMismatch("SK frame offsets are inconsistent"));
  }
  std::span<std::uint8_t> all(frame.bytes);
  return SealParts(frame.associated_data(), payloads, frame.iv(), all.subspan(frame.ciphertext_offset), rng);
}

Result<wire::Bytes> SkProtector::Seal(wire::ByteView aad, wire::ByteView payloads, Rng& rng) {
  const Sizes s = SizesFor(payloads.size());
  if (aad.size() < kMinAssociatedData) {
    return Fail(FrameMismatch(
        fmt::format("associated data of {} octets cannot hold the IKE and SK headers", aad.size())));
  }
  const std::size_t ike_length = ReadU32(aad, kIkeLengthOffset);
  const std::size_t sk_length = std::size_t{aad[aad.size() - 2]} << 8 | aad[aad.size() - 1];
  if (ike_length != aad.size() + s.body() || sk_length != wire::kGenericHeaderSize + s.body()) {
    return Fail(
        FrameMismatch(fmt::format("header Length {} / SK Payload Length {} do not count a {}-octet SK body",
                                  ike_length, sk_length, s.body())));
  }
  wire::Bytes body(s.body());
  std::span<std::uint8_t> b(body);
  if (auto ok = SealParts(aad, payloads, b.first(s.iv), b.subspan(s.iv), rng); !ok) return Fail(ok.error());
  return body;
}

Result<wire::Bytes> SkProtector::Open(wire::ByteView aad, wire::ByteView body) {
  const std::size_t iv = info_.iv_size;
  // At least IV, one block holding the Pad Length octet, and the ICV.
  const std::size_t min = iv + info_.block_size + icv_size_;
  if (body.size() < min) {
    return Fail(Truncated(
        fmt::format("SK body of {} octets is shorter than the {} its transform needs", body.size(), min)));
  }
  const std::size_t ciphertext_len = body.size() - iv - icv_size_;
  if (ciphertext_len % info_.block_size != 0) {
    return Fail(Truncated(fmt::format("SK ciphertext of {} octets is not a multiple of the {}-octet block",
                                      ciphertext_len, info_.block_size)));
  }
  wire::Bytes plain(ciphertext_len);
  if (info_.aead) {
    if (!aead_in_->Open(crypto::AeadIv(body.data(), 8), aad, body.subspan(iv), plain)) {
      return Fail(Error{ErrorKind::kUnauthorized, std::string(kSkIntegrityFailed),
                        "SK payload ICV does not verify", "SK"});
    }
  } else {
    // Encrypt-then-MAC: nothing is decrypted before the ICV over header .. ciphertext verifies.
    if (!integ_in_->Verify({aad, body.first(iv + ciphertext_len)}, body.last(icv_size_))) {
      return Fail(Error{ErrorKind::kUnauthorized, std::string(kSkIntegrityFailed),
                        "SK payload ICV does not verify", "SK"});
    }
    if (!cipher_in_->Decrypt(body.first(iv), body.subspan(iv, ciphertext_len), plain)) {
      return Fail(Error::Internal("CBC decryption of SK failed"));
    }
  }
  auto chain = wire::StripSkPadding(plain, info_.block_size);
  if (!chain) return Fail(Error::Invalid(std::string(kSkBadPadding), chain.error().ToString(), "SK"));
  plain.resize(chain->size());  // the chain is a prefix of `plain`
  return plain;
}

Result<wire::Bytes> SkProtector::OpenMessage(wire::ByteView datagram, const wire::EncryptedPayload& sk) {
  if (sk.body_offset < kMinAssociatedData || sk.body_offset > datagram.size() ||
      datagram.size() - sk.body_offset != sk.body.size()) {
    return Fail(FrameMismatch("SK body offset does not locate the SK body in this datagram"));
  }
  return Open(datagram.first(sk.body_offset), sk.body);
}

}  // namespace isthmus::ike::sa
