// IANA "Internet Key Exchange Version 2 (IKEv2) Parameters" registry values this project uses.
// Every value here is fixed by the registry (https://www.iana.org/assignments/ikev2-parameters);
// the RFC that defines each transform is cited next to it. Implementation choices live elsewhere.
#pragma once

#include <cstdint>

namespace isthmus::crypto {

// Transform Type values, RFC 7296 §3.3.2 (type 4 renamed "Key Exchange Method" by RFC 9370).
enum class TransformType : std::uint8_t {
  kEncr = 1,   // Encryption Algorithm (ENCR)
  kPrf = 2,    // Pseudorandom Function (PRF)
  kInteg = 3,  // Integrity Algorithm (INTEG)
  kKe = 4,     // Diffie-Hellman group / Key Exchange Method (KE)
  kEsn = 5,    // Extended Sequence Numbers (ESN)
};

// Transform attribute type "Key Length" (in bits), RFC 7296 §3.3.5. TV format (AF bit set).
inline constexpr std::uint16_t kAttrKeyLength = 14;

// Transform Type 1 - Encryption Algorithm Transform IDs.
enum class EncrId : std::uint16_t {
  kAesCbc = 12,            // RFC 3602 (ESP), RFC 7296 (IKE); Key Length attribute required
  kAesGcm16 = 20,          // RFC 4106 (ESP), RFC 5282 (IKE); 16-octet ICV; Key Length required
  kChaCha20Poly1305 = 28,  // RFC 7634; Key Length attribute MUST NOT be sent (§2/§4)
};

// Transform Type 2 - Pseudorandom Function Transform IDs.
enum class PrfId : std::uint16_t {
  kHmacSha2_256 = 5,  // RFC 4868 §2.1.2
  kHmacSha2_384 = 6,  // RFC 4868
  kHmacSha2_512 = 7,  // RFC 4868
};

// Transform Type 3 - Integrity Algorithm Transform IDs.
enum class IntegId : std::uint16_t {
  kNone = 0,               // RFC 7296: used (implicitly) with combined-mode ciphers
  kHmacSha2_256_128 = 12,  // RFC 4868 §2.1.1: 32-octet key, ICV truncated to 16 octets
  kHmacSha2_384_192 = 13,  // RFC 4868: 48-octet key, ICV truncated to 24 octets
  kHmacSha2_512_256 = 14,  // RFC 4868: 64-octet key, ICV truncated to 32 octets
};

// Transform Type 4 - Key Exchange Method (Diffie-Hellman group) Transform IDs.
enum class KeGroup : std::uint16_t {
  kNone = 0,
  kModp1024 = 2,     // RFC 2409 §6.2 (Oakley group 2). WEAK (~80-bit); kept because it is Azure's
                     // default for some policies and older peers still propose it.
  kModp2048 = 14,    // RFC 3526 §3
  kEcp256 = 19,      // RFC 5903 (NIST P-256); value is x || y, shared secret is x (§7)
  kEcp384 = 20,      // RFC 5903 (NIST P-384)
  kCurve25519 = 31,  // RFC 8031 (X25519, RFC 7748)
};

// Transform Type 5 - Extended Sequence Numbers Transform IDs, RFC 7296 §3.3.2.
enum class EsnId : std::uint16_t {
  kNoEsn = 0,
  kEsn = 1,
};

}  // namespace isthmus::crypto
