// The production Rng: OpenSSL's DRBG (RAND_bytes), seeded from the kernel. Use it for nonces, SPIs,
// IKE SPIs, cookies secrets and IVs; tests inject SeededRng (base/clock.h) instead.
#pragma once

#include <cstdint>
#include <span>

#include "base/clock.h"

namespace isthmus::crypto {

// Thread-safe (OpenSSL keeps a DRBG per thread). Fill never returns short: if OpenSSL cannot produce
// random bytes the process aborts, because continuing with predictable nonces or SPIs would be worse
// than stopping.
class CryptoRng final : public Rng {
 public:
  void Fill(std::span<std::uint8_t> out) override;
};

}  // namespace isthmus::crypto
