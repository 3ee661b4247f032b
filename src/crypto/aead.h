// Authenticated encryption for ESP (RFC 4106, RFC 7634) and the IKE SK payload (RFC 5282, RFC 7634):
// AES-GCM with a 16-octet ICV (128/256-bit keys) and ChaCha20-Poly1305.
//
// Nonce = 4-octet salt (the tail of the keymat) || 8-octet explicit IV (on the wire, per packet).
// The object is keyed once; each call only sets the IV, because re-keying (or re-fetching) an
// EVP_CIPHER_CTX per packet costs more than sealing a 1,400-octet packet (notes/this-machine.md).
//
// Two ways to reach OpenSSL's implementation, with identical output (tests/unit/crypto/aead_test.cc):
//  - kDirect (the default): the provider's own cipher functions, found once through
//    OSSL_PROVIDER_query_operation. OpenSSL 3.0's EVP layer adds about 250 ns per packet on top of them
//    (EVP_CipherInit_ex2 asks the provider for the IV length through an OSSL_PARAM round trip on every
//    call; each update and final re-checks the context), as much as sealing 1,400 octets costs.
//  - kEvp: the EVP_CIPHER_CTX API; kDirect falls back to it when the provider's functions cannot be
//    reached (another provider, a missing function).
//
// NOT thread-safe: one object per SA per thread. Seal and Open never allocate and never throw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/result.h"
#include "crypto/bytes.h"
#include "crypto/transform_ids.h"

namespace isthmus::crypto {

// The explicit 8-octet IV of RFC 4106 §3.1 / RFC 7634 §2 (for ESP usually the sequence number).
using AeadIv = std::span<const std::uint8_t, 8>;

enum class AeadPath { kDirect, kEvp };

class Aead {
 public:
  virtual ~Aead() = default;

  // Creates an AEAD for a negotiated transform. `keymat` is exactly key || 4-octet salt, as prf+
  // delivers it (EncrInfo::keymat_size octets). `key_length_attr` is the Key Length attribute in
  // bits (128/256 for AES-GCM-16; 0 for ChaCha20-Poly1305, which sends no attribute).
  // Fails for a non-AEAD or unsupported transform or a wrong keymat length.
  static Result<std::unique_ptr<Aead>> Create(EncrId id, std::uint16_t key_length_attr, ConstBytes keymat,
                                              AeadPath path = AeadPath::kDirect);

  // The path actually taken (kDirect may have fallen back to kEvp).
  virtual AeadPath path() const = 0;

  virtual EncrId id() const = 0;
  virtual std::size_t key_size() const = 0;  // octets, without the salt
  virtual std::size_t iv_size() const = 0;   // 8
  virtual std::size_t icv_size() const = 0;  // 16

  // Encrypts `plaintext` and authenticates it with `aad`, writing ciphertext || ICV to `out`.
  // Requires out.size() == plaintext.size() + icv_size(). `out` may start at plaintext.data()
  // (in place) or must not overlap it at all. Returns false only on a size/overlap violation or an
  // internal failure; then `out` is unspecified. Never reuse an IV under one key.
  [[nodiscard]] virtual bool Seal(AeadIv iv, ConstBytes aad, ConstBytes plaintext, MutableBytes out) = 0;

  // Verifies and decrypts `ciphertext_and_icv`, writing the plaintext to `out`.
  // Requires out.size() == ciphertext_and_icv.size() - icv_size(); in place (out.data() ==
  // ciphertext_and_icv.data()) or disjoint. Returns false when the ICV does not verify (tampered
  // ciphertext, AAD, IV or ICV; wrong key) or on a size violation; then `out` is zeroed, so
  // unauthenticated plaintext never escapes.
  [[nodiscard]] virtual bool Open(AeadIv iv, ConstBytes aad, ConstBytes ciphertext_and_icv,
                                  MutableBytes out) = 0;
};

}  // namespace isthmus::crypto
