// IP addresses and prefixes (IPv4 and IPv6) with the arithmetic the resource rules need.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace isthmus::net {

enum class Family : std::uint8_t { kV4 = 4, kV6 = 6 };

// An IPv4 or IPv6 address, stored as 16 network-order bytes (IPv4 in the first 4).
class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress V4(std::uint32_t host_order);
  static IpAddress FromBytes(Family f, const std::uint8_t* bytes);
  static Result<IpAddress> Parse(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  int bits() const { return is_v4() ? 32 : 128; }
  const std::uint8_t* bytes() const { return bytes_.data(); }
  std::uint32_t v4() const;  // host order; only for IPv4

  // Keeps the first `len` bits, zeroes the rest.
  IpAddress Masked(int len) const;
  bool bit(int i) const { return (bytes_[i / 8] >> (7 - i % 8)) & 1; }
  // this + n (wraps within the family); used to pick addresses inside a prefix.
  IpAddress Plus(std::uint64_t n) const;

  std::string ToString() const;
  auto operator<=>(const IpAddress&) const = default;

 private:
  Family family_ = Family::kV4;
  std::array<std::uint8_t, 16> bytes_{};
};

// A network prefix "address/length" whose host bits are zero.
class Prefix {
 public:
  Prefix() = default;
  // Strict: rejects host bits set ("10.0.0.1/16"), bad lengths, missing "/len", garbage.
  static Result<Prefix> Parse(std::string_view text);
  static Prefix Of(IpAddress addr, int len) { return Prefix(addr.Masked(len), len); }

  const IpAddress& address() const { return addr_; }
  int length() const { return len_; }
  Family family() const { return addr_.family(); }

  bool Contains(const IpAddress& a) const;
  bool Contains(const Prefix& p) const;  // p lies entirely inside this
  bool Overlaps(const Prefix& p) const;  // they share at least one address
  IpAddress Last() const;                // broadcast / last address
  // Number of addresses, saturated at 2^63 for huge IPv6 prefixes.
  std::uint64_t Size() const;

  std::string ToString() const;
  auto operator<=>(const Prefix&) const = default;

 private:
  Prefix(IpAddress a, int len) : addr_(a), len_(len) {}
  IpAddress addr_;
  int len_ = 0;
};

// A set of prefixes with overlap queries; small sets (address spaces), so linear scans are right.
class PrefixSet {
 public:
  PrefixSet() = default;
  explicit PrefixSet(std::vector<Prefix> p) : prefixes_(std::move(p)) {}
  void Add(const Prefix& p) { prefixes_.push_back(p); }
  const std::vector<Prefix>& prefixes() const { return prefixes_; }
  bool empty() const { return prefixes_.empty(); }

  bool Contains(const Prefix& p) const;  // some member contains p
  std::optional<Prefix> FirstOverlap(const Prefix& p) const;
  // A pair (mine, theirs) that overlaps, if any.
  std::optional<std::pair<Prefix, Prefix>> FirstOverlap(const PrefixSet& other) const;
  // A pair of members that overlap each other, if any.
  std::optional<std::pair<Prefix, Prefix>> FirstInternalOverlap() const;

 private:
  std::vector<Prefix> prefixes_;
};

}  // namespace isthmus::net
