// SkProtector: encrypts and authenticates the Encrypted (SK) payload of IKE messages for one IKE SA
// (RFC 7296 §3.14; RFC 5282 for AES-GCM, RFC 7634 for ChaCha20-Poly1305), and verifies and decrypts the
// peer's. The codec (ike/wire) frames the message and knows no keys; this class knows the keys and no
// message structure beyond "associated data" and "SK body".
//
//   AEAD:     body = IV (8) || ciphertext || ICV (16); associated data = IKE header .. SK payload header
//             (RFC 5282 §5.1); the 12-octet nonce = salt (end of SK_e*) || IV.
//   AES-CBC:  body = IV (16) || ciphertext || ICV (HMAC-SHA2, truncated); the ICV covers the message
//             from the IKE header through the ciphertext (RFC 7296 §3.14), i.e. AAD || IV || ciphertext.
//   Plaintext: inner payloads || Padding || Pad Length, padded with the minimum that aligns (block 16
//             for CBC, 1 for AEADs), via wire::PadSkPlaintext / wire::StripSkPadding.
//
// IVs: AEAD IVs must never repeat under one key (RFC 5282 §3.1, RFC 7634 §4), so they come from a
// 64-bit counter per SkProtector (our sending key is used by no one else). CBC IVs must be
// unpredictable (RFC 7296 §3.14), so they come from the injected Rng (production: crypto::CryptoRng).
//
// One object per IKE SA; NOT thread-safe; holds keyed crypto objects for both directions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"
#include "crypto/aead.h"
#include "crypto/cipher.h"
#include "crypto/integrity.h"
#include "crypto/transforms.h"
#include "ike/sa/keymat.h"
#include "ike/sa/proposal.h"
#include "ike/wire/encrypted_payload.h"
#include "ike/wire/message.h"

namespace isthmus::ike::sa {

// Error codes (Error::code) of Open*, so the engine reacts without parsing text. Both of the first two
// mean "not from our peer, or damaged": drop silently (RFC 7296 §2.21.2 does not answer unprotected
// garbage). kSkBadPadding is a peer bug after a good ICV: the codec's INVALID_SYNTAX.
inline constexpr std::string_view kSkTruncated = "SkTruncated";                   // kInvalidArgument
inline constexpr std::string_view kSkIntegrityFailed = "SkIntegrityCheckFailed";  // kUnauthorized
inline constexpr std::string_view kSkBadPadding = "INVALID_SYNTAX";               // kInvalidArgument

class SkProtector {
 public:
  // Sizes of the three parts of an SK body for a given inner payload chain length: what
  // wire::BuildSkFrame needs.
  struct Sizes {
    std::size_t iv = 0;
    std::size_t ciphertext = 0;  // padded plaintext (payloads || padding || Pad Length)
    std::size_t icv = 0;
    std::size_t body() const { return iv + ciphertext + icv; }
  };

  // `role` is ours in this IKE SA (the header's I flag): an initiator sends with SK_ei/SK_ai and
  // receives with SK_er/SK_ar; a responder the other way round. Fails for an unsupported suite or keys
  // whose sizes do not match it.
  static Result<SkProtector> Create(const IkeSuite& suite, const IkeSaKeys& keys, IkeRole role);

  SkProtector(SkProtector&&) noexcept;
  SkProtector& operator=(SkProtector&&) noexcept;
  ~SkProtector();

  Sizes SizesFor(std::size_t payloads_len) const;
  bool aead() const { return info_.aead; }
  std::size_t block_size() const { return info_.block_size; }

  // Fills IV, ciphertext and ICV of a frame built with
  //   wire::BuildSkFrame(header, clear, first_inner, s.iv, s.ciphertext, s.icv)   where s = SizesFor(n)
  // from the serialized inner payload chain `payloads` (n octets). Fails if the frame's sizes do not
  // match. `rng` supplies CBC IVs (unused for AEADs).
  Status SealFrame(wire::SkFrame& frame, wire::ByteView payloads, Rng& rng);

  // The same on bare bytes: returns the SK body (IV || ciphertext || ICV) for `payloads`, where
  // `associated_data` is the message from the IKE header through the SK payload header, with the
  // header's Length and SK's Payload Length already counting SizesFor(payloads.size()).body() (checked).
  Result<wire::Bytes> Seal(wire::ByteView associated_data, wire::ByteView payloads, Rng& rng);

  // Verifies the ICV first, then decrypts and removes the padding; returns the inner payload chain.
  // Never returns unauthenticated plaintext. Errors: kSkTruncated, kSkIntegrityFailed, kSkBadPadding.
  Result<wire::Bytes> Open(wire::ByteView associated_data, wire::ByteView body);
  // For a parsed message: associated data = datagram[0, sk.body_offset), body = sk.body.
  Result<wire::Bytes> OpenMessage(wire::ByteView datagram, const wire::EncryptedPayload& sk);

  // AEAD IVs used so far (the next IV is this value, big-endian), for tests and diagnostics.
  std::uint64_t aead_ivs_used() const { return next_iv_; }

 private:
  SkProtector() = default;
  Status SealParts(wire::ByteView aad, wire::ByteView payloads, std::span<std::uint8_t> iv,
                   std::span<std::uint8_t> ciphertext_and_icv, Rng& rng);

  crypto::EncrInfo info_{};
  std::size_t icv_size_ = 0;
  std::unique_ptr<crypto::Aead> aead_out_, aead_in_;
  std::unique_ptr<crypto::Cipher> cipher_out_, cipher_in_;
  std::unique_ptr<crypto::Integrity> integ_out_, integ_in_;
  std::uint64_t next_iv_ = 0;
};

}  // namespace isthmus::ike::sa
