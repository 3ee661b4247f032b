// Byte-span aliases used across the crypto interfaces: spans, never owning containers, so the data
// plane can hand in views of its packet buffers without copying or allocating.
#pragma once

#include <cstdint>
#include <span>

namespace isthmus::crypto {

using ConstBytes = std::span<const std::uint8_t>;
using MutableBytes = std::span<std::uint8_t>;

}  // namespace isthmus::crypto
