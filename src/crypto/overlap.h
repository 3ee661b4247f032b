// Internal to src/crypto: OpenSSL allows in-place operation (output == input) but not a partial
// overlap, which would silently corrupt data; the span-based APIs reject it up front.
#pragma once

#include <cstdint>
#include <functional>

#include "crypto/bytes.h"

namespace isthmus::crypto {

inline bool PartiallyOverlaps(ConstBytes in, ConstBytes out) {
  if (in.empty() || out.empty() || in.data() == out.data()) return false;
  std::less<const std::uint8_t*> lt;  // total order even for unrelated pointers
  const bool disjoint = !lt(in.data(), out.data() + out.size()) || !lt(out.data(), in.data() + in.size());
  return !disjoint;
}

}  // namespace isthmus::crypto
