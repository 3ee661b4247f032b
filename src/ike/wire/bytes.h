// Bounds-checked big-endian byte reading and writing for the IKE codec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace isthmus::ike::wire {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Reading past the end yields zeros and latches ok() == false, so a parser can read a fixed block and
// check once. Lengths read from the wire must still be checked against remaining() before use.
class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}

  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }
  bool ok() const { return ok_; }

  std::uint8_t U8() { return Need(1) ? data_[pos_++] : 0; }
  std::uint16_t U16() {
    if (!Need(2)) return 0;
    std::uint16_t v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  std::uint32_t U32() {
    std::uint32_t hi = U16();
    return (hi << 16) | U16();
  }
  std::uint64_t U64() {
    std::uint64_t hi = U32();
    return (hi << 32) | U32();
  }
  ByteView Take(std::size_t n) {
    if (!Need(n)) return {};
    ByteView v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  ByteView Rest() { return Take(remaining()); }
  void Skip(std::size_t n) { Take(n); }

 private:
  bool Need(std::size_t n) {
    if (remaining() >= n) return true;
    ok_ = false;
    pos_ = data_.size();
    return false;
  }

  ByteView data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// Appends big-endian fields. A value that does not fit its field (a count over 255, a length over
// 65535) latches an error instead of being truncated silently; the serializer checks error() at the end.
class ByteWriter {
 public:
  std::size_t size() const { return out_.size(); }
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  void U8(std::uint8_t v) { out_.push_back(v); }
  void U16(std::uint16_t v) {
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v));
  }
  void U32(std::uint32_t v) {
    U16(static_cast<std::uint16_t>(v >> 16));
    U16(static_cast<std::uint16_t>(v));
  }
  void U64(std::uint64_t v) {
    U32(static_cast<std::uint32_t>(v >> 32));
    U32(static_cast<std::uint32_t>(v));
  }
  void Append(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void Zeros(std::size_t n) { out_.insert(out_.end(), n, 0); }

  // A one-octet count or size field; `what` names it in the error.
  void Count8(std::size_t v, const char* what) {
    if (v > 0xFF) Fail(what);
    U8(static_cast<std::uint8_t>(v));
  }
  void Count16(std::size_t v, const char* what) {
    if (v > 0xFFFF) Fail(what);
    U16(static_cast<std::uint16_t>(v));
  }

  // Length fields are written as placeholders and patched once the body is known.
  void PatchU16(std::size_t at, std::size_t v, const char* what) {
    if (v > 0xFFFF) Fail(what);
    out_[at] = static_cast<std::uint8_t>(v >> 8);
    out_[at + 1] = static_cast<std::uint8_t>(v);
  }
  void PatchU32(std::size_t at, std::size_t v) {
    for (int i = 0; i < 4; ++i) out_[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
  }
  void PatchU8(std::size_t at, std::uint8_t v) { out_[at] = v; }

  void Fail(const char* what) {
    if (error_.empty()) error_ = std::string(what) + " does not fit its field";
  }

  Bytes& bytes() { return out_; }
  Bytes Take() && { return std::move(out_); }

 private:
  Bytes out_;
  std::string error_;
};

}  // namespace isthmus::ike::wire
