// IKEv2 key exchange ("Diffie-Hellman", RFC 7296 §1.2, §3.4) for groups 2, 14 (MODP), 19, 20 (ECP,
// RFC 5903) and 31 (Curve25519, RFC 8031), on OpenSSL EVP_PKEY.
//
// Wire formats (what PublicValue() returns and ComputeShared() expects, i.e. the KE payload data):
//   MODP:   g^x mod p, big-endian, left-padded with zeros to len(p)      (RFC 7296 §3.4)
//   ECP:    x || y, each coordinate-sized, no 0x04 prefix               (RFC 5903 §7)
//   X25519: the 32-octet u-coordinate                                   (RFC 8031 §2)
// Shared secrets: MODP g^ir padded to len(p); ECP the x coordinate only (RFC 5903 §7); X25519 the
// 32-octet output, rejected if all zero (RFC 8031 §2).
//
// NOT thread-safe; an object lives for one exchange (one IKE_SA_INIT or CREATE_CHILD_SA).
#pragma once

#include <memory>

#include "base/result.h"
#include "base/secret.h"
#include "crypto/bytes.h"
#include "crypto/transform_ids.h"

namespace isthmus::crypto {

class KeyExchange {
 public:
  virtual ~KeyExchange() = default;

  // A fresh key pair from OpenSSL's DRBG. Fails for an unsupported group.
  static Result<std::unique_ptr<KeyExchange>> Create(KeGroup group);

  // FOR KNOWN-ANSWER TESTS AND DETERMINISTIC SIMULATIONS ONLY: uses the given private key instead
  // of drawing one. MODP: big-endian exponent x, 1 < x < p-1. ECP: big-endian scalar of exactly the
  // coordinate size, 1 <= d < n. X25519: 32 octets (clamped by X25519 itself, RFC 7748 §5).
  static Result<std::unique_ptr<KeyExchange>> CreateWithPrivateKey(KeGroup group, ConstBytes private_key);

  virtual KeGroup group() const = 0;

  // Our public value in the group's wire format (see above).
  virtual ConstBytes PublicValue() const = 0;

  // The shared secret with the peer's public value (wire format). Rejects, with kInvalidArgument
  // and code "InvalidKeyExchangeValue", a value of the wrong length, a MODP value outside
  // 1 < y < p-1 (RFC 6989 §2.2), an ECP point that is not on the curve or has a coordinate >= p
  // (RFC 6989 §2.3), and an X25519 value giving an all-zero secret (RFC 8031 §2).
  virtual Result<SecretBytes> ComputeShared(ConstBytes peer_public) = 0;
};

}  // namespace isthmus::crypto
