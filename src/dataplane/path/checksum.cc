#include "dataplane/path/checksum.h"

#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "dataplane/path/packet.h"

namespace isthmus::dataplane::pkt {
namespace detail {

std::uint64_t SumPortable(const std::uint8_t* p, std::size_t n, std::uint64_t acc) {
  return Sum(p, n, acc);
}

std::uint64_t CopyAndSumPortable(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                                 std::uint64_t acc) {
  std::memcpy(dst, src, n);
  return Sum(src, n, acc);
}

#if defined(__x86_64__)
// Each 64-bit lane adds the two 32-bit halves of its word: 32-bit words fold to the same one's
// complement sum as 16-bit ones. A lane gains at most 2^33 per step, so 2^30 steps cannot overflow it.
__attribute__((target("avx2"))) std::uint64_t SumAvx2(const std::uint8_t* p, std::size_t n,
                                                      std::uint64_t acc) {
  const __m256i low = _mm256_set1_epi64x(0xffffffff);
  __m256i v = _mm256_setzero_si256();
  for (; n >= 32; p += 32, n -= 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    v = _mm256_add_epi64(v, _mm256_and_si256(x, low));
    v = _mm256_add_epi64(v, _mm256_srli_epi64(x, 32));
  }
  alignas(32) std::uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), v);
  return Sum(p, n, acc + lanes[0] + lanes[1] + lanes[2] + lanes[3]);
}

__attribute__((target("avx2"))) std::uint64_t CopyAndSumAvx2(std::uint8_t* dst, const std::uint8_t* src,
                                                             std::size_t n, std::uint64_t acc) {
  const __m256i low = _mm256_set1_epi64x(0xffffffff);
  __m256i v = _mm256_setzero_si256();
  for (; n >= 32; src += 32, dst += 32, n -= 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), x);
    v = _mm256_add_epi64(v, _mm256_and_si256(x, low));
    v = _mm256_add_epi64(v, _mm256_srli_epi64(x, 32));
  }
  alignas(32) std::uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), v);
  std::memcpy(dst, src, n);
  return Sum(src, n, acc + lanes[0] + lanes[1] + lanes[2] + lanes[3]);
}
#endif

}  // namespace detail

namespace {
#if defined(__x86_64__)
const bool kAvx2 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") != 0;
}();
#else
constexpr bool kAvx2 = false;
#endif
}  // namespace

bool ChecksumUsesAvx2() {
  return kAvx2;
}

std::uint64_t SumBulk(const std::uint8_t* p, std::size_t n, std::uint64_t acc) {
#if defined(__x86_64__)
  if (kAvx2 && n >= 64) return detail::SumAvx2(p, n, acc);
#endif
  return Sum(p, n, acc);
}

std::uint64_t CopyAndSum(std::uint8_t* dst, const std::uint8_t* src, std::size_t n, std::uint64_t acc) {
#if defined(__x86_64__)
  if (kAvx2 && n >= 64) return detail::CopyAndSumAvx2(dst, src, n, acc);
#endif
  return detail::CopyAndSumPortable(dst, src, n, acc);
}

}  // namespace isthmus::dataplane::pkt
