// Secret byte strings: wiped when freed, never printable (DESIGN.md §7).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace isthmus {

void SecureWipe(void* p, std::size_t n);

// Owns key material. Deliberately has no operator<< and no implicit conversion to string.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::span<const std::uint8_t> b) : bytes_(b.begin(), b.end()) {}
  explicit SecretBytes(std::string_view s) : bytes_(s.begin(), s.end()) {}
  explicit SecretBytes(std::size_t n) : bytes_(n, 0) {}
  SecretBytes(const SecretBytes&) = default;
  SecretBytes(SecretBytes&& o) noexcept : bytes_(std::move(o.bytes_)) {}
  SecretBytes& operator=(const SecretBytes& o) {
    if (this != &o) {
      Wipe();
      bytes_ = o.bytes_;
    }
    return *this;
  }
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) {
      Wipe();
      bytes_ = std::move(o.bytes_);
    }
    return *this;
  }
  ~SecretBytes() { Wipe(); }

  std::span<const std::uint8_t> view() const { return bytes_; }
  std::span<std::uint8_t> mutable_view() { return bytes_; }
  const std::uint8_t* data() const { return bytes_.data(); }
  std::uint8_t* data() { return bytes_.data(); }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  bool operator==(const SecretBytes& o) const;  // constant time in the contents

 private:
  void Wipe() {
    if (!bytes_.empty()) SecureWipe(bytes_.data(), bytes_.size());
  }
  std::vector<std::uint8_t> bytes_;
};

}  // namespace isthmus
