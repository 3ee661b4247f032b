#include "crypto/random.h"

#include <algorithm>
#include <array>
#include <vector>

#include <gtest/gtest.h>

namespace isthmus::crypto {
namespace {

TEST(CryptoRng, FillsEveryOctetAndDoesNotRepeat) {
  CryptoRng rng;
  Rng& r = rng;  // usable wherever the base interface is injected
  std::array<std::uint8_t, 32> a{}, b{};
  r.Fill(a);
  r.Fill(b);
  EXPECT_NE(a, b);  // 2^-256 chance of a false failure
  EXPECT_NE(r.NextU64(), r.NextU64());
}

TEST(CryptoRng, LargeBufferIsNotLeftZero) {
  CryptoRng rng;
  std::vector<std::uint8_t> buf(1 << 16, 0);
  rng.Fill(buf);
  // Each 4 KiB page is all zero with probability 2^-32768; test every page so a short fill shows.
  for (std::size_t off = 0; off < buf.size(); off += 4096) {
    EXPECT_TRUE(std::any_of(buf.begin() + off, buf.begin() + off + 4096, [](auto x) { return x; }))
        << "page at " << off;
  }
  rng.Fill({});  // empty is fine
}

}  // namespace
}  // namespace isthmus::crypto
