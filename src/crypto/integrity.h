// Integrity transforms for ESP (RFC 4303 with RFC 4868) and the IKE SK payload (RFC 7296 §3.14):
// HMAC-SHA2-256-128, HMAC-SHA2-384-192, HMAC-SHA2-512-256 - HMAC with the output truncated to half
// the hash length (RFC 4868 §2.1.1). Verification is constant-time.
//
// NOT thread-safe: one object per SA per thread. Compute and Verify never allocate and never throw.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <span>

#include "base/result.h"
#include "crypto/bytes.h"
#include "crypto/transform_ids.h"

namespace isthmus::crypto {

// kDirect (the default): RFC 2104 over the provider's SHA-2 functions, allocation-free per call;
// kEvp: OpenSSL's HMAC through EVP_MAC, which in OpenSSL 3.0 allocates on every call. kDirect falls
// back to kEvp when the provider's functions cannot be reached. Both give the same ICVs.
enum class IntegrityPath { kDirect, kEvp };

class Integrity {
 public:
  virtual ~Integrity() = default;

  // `key` must be IntegInfo::key_size octets (RFC 4868 §2.1.1: the hash output length).
  static Result<std::unique_ptr<Integrity>> Create(IntegId id, ConstBytes key,
                                                   IntegrityPath path = IntegrityPath::kDirect);

  // The path actually taken.
  virtual IntegrityPath path() const = 0;

  virtual IntegId id() const = 0;
  virtual std::size_t key_size() const = 0;
  virtual std::size_t icv_size() const = 0;  // the truncated length

  // Writes the truncated ICV over the concatenation of the parts (several parts cover e.g. ESP's
  // high-order ESN bits, authenticated but not sent, RFC 4303 §2.2.1). Requires icv.size() ==
  // icv_size(); returns false on a size violation or internal failure.
  [[nodiscard]] bool Compute(ConstBytes data, MutableBytes icv) { return DoCompute({&data, 1}, icv); }
  [[nodiscard]] bool Compute(std::initializer_list<ConstBytes> parts, MutableBytes icv) {
    return DoCompute(parts, icv);
  }
  [[nodiscard]] bool Compute(std::span<const ConstBytes> parts, MutableBytes icv) {
    return DoCompute(parts, icv);
  }

  // True only if `icv` (icv_size() octets) is the ICV of the data; compared in constant time.
  [[nodiscard]] bool Verify(ConstBytes data, ConstBytes icv) { return DoVerify({&data, 1}, icv); }
  [[nodiscard]] bool Verify(std::initializer_list<ConstBytes> parts, ConstBytes icv) {
    return DoVerify(parts, icv);
  }
  [[nodiscard]] bool Verify(std::span<const ConstBytes> parts, ConstBytes icv) {
    return DoVerify(parts, icv);
  }

 protected:
  virtual bool DoCompute(std::span<const ConstBytes> parts, MutableBytes icv) = 0;
  virtual bool DoVerify(std::span<const ConstBytes> parts, ConstBytes icv) = 0;
};

}  // namespace isthmus::crypto
