#include "crypto/random.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include <openssl/err.h>
#include <openssl/rand.h>

namespace isthmus::crypto {

void CryptoRng::Fill(std::span<std::uint8_t> out) {
  while (!out.empty()) {
    const std::size_t n = std::min<std::size_t>(out.size(), INT_MAX);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
      // No logger dependency here on purpose: this must work before logging is set up.
      std::fprintf(stderr, "isthmus: fatal: RAND_bytes failed (error %lu)\n", ERR_get_error());
      std::abort();
    }
    out = out.subspan(n);
  }
}

}  // namespace isthmus::crypto
