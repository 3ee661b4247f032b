#include "base/secret.h"

#include <cstring>

namespace isthmus {

void SecureWipe(void* p, std::size_t n) {
  // explicit_bzero is not elided by the optimizer (glibc >= 2.25).
  explicit_bzero(p, n);
}

bool SecretBytes::operator==(const SecretBytes& o) const {
  if (bytes_.size() != o.bytes_.size()) return false;
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < bytes_.size(); ++i) diff |= bytes_[i] ^ o.bytes_[i];
  return diff == 0;
}

}  // namespace isthmus
