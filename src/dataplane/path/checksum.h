// The Internet checksum (RFC 1071) over packet payloads, at the speed the packet path needs: every
// outbound segment and every inbound merged segment is summed once (notes/this-machine.md: a fused copy
// and checksum is what a userspace ESP path can afford). Same contract as pkt::Sum: `n` octets starting
// at an even offset of the checksummed region, added to `acc`; fold the result with pkt::Fold.
//
// On x86-64 CPUs with AVX2 (checked once, at run time) 32 octets are summed per step, about twice the
// portable loop's speed at 1,400 octets, and the copy comes almost free with the sum.
#pragma once

#include <cstddef>
#include <cstdint>

namespace isthmus::dataplane::pkt {

std::uint64_t SumBulk(const std::uint8_t* p, std::size_t n, std::uint64_t acc = 0);

// Copies `n` octets from `src` to `dst` (which must not overlap) and returns SumBulk(src, n, acc).
std::uint64_t CopyAndSum(std::uint8_t* dst, const std::uint8_t* src, std::size_t n, std::uint64_t acc = 0);

// Whether the AVX2 loops are in use (tests check both paths agree).
bool ChecksumUsesAvx2();

namespace detail {
std::uint64_t SumPortable(const std::uint8_t* p, std::size_t n, std::uint64_t acc);
std::uint64_t CopyAndSumPortable(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                                 std::uint64_t acc);
#if defined(__x86_64__)
std::uint64_t SumAvx2(const std::uint8_t* p, std::size_t n, std::uint64_t acc);
std::uint64_t CopyAndSumAvx2(std::uint8_t* dst, const std::uint8_t* src, std::size_t n, std::uint64_t acc);
#endif
}  // namespace detail

}  // namespace isthmus::dataplane::pkt
