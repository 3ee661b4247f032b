// Non-AEAD encryption for ESP (RFC 3602) and the IKE SK payload (RFC 7296 §3.14): AES-CBC with
// 128/256-bit keys. No padding is added or removed here: ESP (RFC 4303 §2.4) and IKE (RFC 7296
// §3.14) have their own padding formats, so callers pass whole blocks. Integrity comes from a separate
// Integrity transform (encrypt-then-MAC).
//
// NOT thread-safe: one object per SA per thread. Encrypt and Decrypt never allocate and never throw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/result.h"
#include "crypto/bytes.h"
#include "crypto/transform_ids.h"

namespace isthmus::crypto {

class Cipher {
 public:
  virtual ~Cipher() = default;

  // `key` is EncrInfo::key_size octets; `key_length_attr` is the Key Length attribute (bits).
  static Result<std::unique_ptr<Cipher>> Create(EncrId id, std::uint16_t key_length_attr, ConstBytes key);

  virtual EncrId id() const = 0;
  virtual std::size_t key_size() const = 0;
  virtual std::size_t iv_size() const = 0;     // 16
  virtual std::size_t block_size() const = 0;  // 16

  // Both require iv.size() == iv_size(), in.size() a multiple of block_size(), out.size() ==
  // in.size(), and out either in place (out.data() == in.data()) or disjoint. Returns false on a
  // violation or an internal failure. CBC decryption cannot detect tampering: verify the ICV first.
  [[nodiscard]] virtual bool Encrypt(ConstBytes iv, ConstBytes in, MutableBytes out) = 0;
  [[nodiscard]] virtual bool Decrypt(ConstBytes iv, ConstBytes in, MutableBytes out) = 0;
};

}  // namespace isthmus::crypto
