// IKEv2 pseudorandom functions (RFC 7296 §2.13, §2.14): PRF_HMAC_SHA2_256/384/512 (RFC 4868), and
// prf+, the key-stretching construction that feeds SKEYSEED, SK_* and CHILD SA keymat.
//
// A Prf is the algorithm, not a key: IKE calls it with a different key nearly every time
// (Ni | Nr, SKEYSEED, SK_d, SK_pi/SK_pr, the pre-shared key). NOT thread-safe (it reuses one
// HMAC context); one per IKE SA or per thread.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <span>

#include "base/result.h"
#include "base/secret.h"
#include "crypto/bytes.h"
#include "crypto/transform_ids.h"

namespace isthmus::crypto {

class Prf {
 public:
  virtual ~Prf() = default;

  static Result<std::unique_ptr<Prf>> Create(PrfId id);

  virtual PrfId id() const = 0;
  virtual std::size_t output_size() const = 0;  // hash length
  virtual std::size_t key_size() const = 0;     // preferred key length (SK_d, SK_pi, SK_pr)

  // prf(key, parts[0] | parts[1] | ...) written to `out` (exactly output_size() octets).
  // Any key length is accepted, including empty (HMAC hashes long keys, pads short ones).
  [[nodiscard]] Status ComputeInto(ConstBytes key, std::span<const ConstBytes> parts, MutableBytes out) {
    return DoCompute(key, parts, out);
  }
  Result<SecretBytes> Compute(ConstBytes key, ConstBytes data) { return ComputeParts(key, {&data, 1}); }
  Result<SecretBytes> Compute(ConstBytes key, std::initializer_list<ConstBytes> parts) {
    return ComputeParts(key, parts);
  }

 protected:
  virtual Status DoCompute(ConstBytes key, std::span<const ConstBytes> parts, MutableBytes out) = 0;

 private:
  Result<SecretBytes> ComputeParts(ConstBytes key, std::span<const ConstBytes> parts);
};

// Largest prf+ output: the counter is one octet and starts at 0x01 (RFC 7296 §2.13).
inline constexpr std::size_t kPrfPlusMaxBlocks = 255;

// prf+ (K, S) = T1 | T2 | ... truncated to `length` octets, where
//   T1 = prf (K, S | 0x01),  Tn = prf (K, Tn-1 | S | n)           (RFC 7296 §2.13)
// Fails (InvalidArgument) if length > 255 * output_size().
Result<SecretBytes> PrfPlus(Prf& prf, ConstBytes key, ConstBytes seed, std::size_t length);

}  // namespace isthmus::crypto
