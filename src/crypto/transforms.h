// Table of the transforms this build supports, with the sizes the IKE engine (keymat split, SK
// payload framing) and the ESP data plane (IV, ICV, padding) need. Callers look up a transform by
// the IDs and Key Length attribute they negotiated and drive everything from the returned sizes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "crypto/transform_ids.h"

namespace isthmus::crypto {

struct EncrInfo {
  EncrId id;
  // The Key Length attribute value (bits) as negotiated; 0 where the attribute is not sent
  // (ChaCha20-Poly1305, RFC 7634 §2).
  std::uint16_t key_length_attr;
  std::size_t key_size;     // cipher key, octets
  std::size_t salt_size;    // implicit nonce part taken from keymat: 4 for AEADs (RFC 4106 §8.1,
                            // RFC 5282 §7.1, RFC 7634 §2), 0 otherwise
  std::size_t keymat_size;  // key_size + salt_size: what prf+ must deliver per key (RFC 7296 §2.17)
  std::size_t iv_size;      // explicit IV on the wire: 16 for CBC (RFC 3602), 8 for AEADs
  std::size_t icv_size;     // AEAD tag, 16; 0 for non-AEAD ciphers (integrity is a separate transform)
  std::size_t block_size;   // plaintext must be padded to a multiple of this: 16 for CBC, 1 for the
                            // AEADs (ESP's own 4-octet alignment, RFC 4303 §2.4, is ESP's concern)
  bool aead;
  std::string_view name;  // for logs and status output, e.g. "AES_GCM_16_256"
};

struct IntegInfo {
  IntegId id;
  std::size_t key_size;  // RFC 4868 §2.1.1: key length = hash output length
  std::size_t icv_size;  // truncated output length (half the hash output)
  std::string_view name;
};

struct PrfInfo {
  PrfId id;
  std::size_t output_size;  // hash output length
  std::size_t key_size;     // "preferred key length" (RFC 7296 §2.13): SK_d/SK_pi/SK_pr size; for
                            // HMAC-SHA2 equal to the output length (RFC 4868 §2.1.2)
  std::string_view name;
};

struct KeInfo {
  KeGroup group;
  std::size_t public_size;  // KE payload data length: len(p) for MODP, 2*coord for ECP, 32 for X25519
  std::size_t shared_size;  // g^ir length: len(p), coord (x only, RFC 5903 §7), 32
  bool weak;                // true for MODP-1024: accept only when policy explicitly asks for it
  std::string_view name;
};

// Lookups return nullopt for anything unsupported, including a wrong Key Length attribute
// (AES needs 128 or 256; ChaCha20-Poly1305 must have 0, i.e. no attribute).
std::optional<EncrInfo> FindEncr(EncrId id, std::uint16_t key_length_attr);
std::optional<IntegInfo> FindInteg(IntegId id);
std::optional<PrfInfo> FindPrf(PrfId id);
std::optional<KeInfo> FindKe(KeGroup group);

// Everything supported, strongest first within each family, for building proposals.
std::span<const EncrInfo> SupportedEncr();
std::span<const IntegInfo> SupportedInteg();
std::span<const PrfInfo> SupportedPrf();
std::span<const KeInfo> SupportedKe();

}  // namespace isthmus::crypto
