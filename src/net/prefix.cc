#include "net/prefix.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace isthmus::net {

IpAddress IpAddress::V4(std::uint32_t host_order) {
  IpAddress a;
  a.family_ = Family::kV4;
  a.bytes_[0] = host_order >> 24;
  a.bytes_[1] = host_order >> 16;
  a.bytes_[2] = host_order >> 8;
  a.bytes_[3] = host_order;
  return a;
}

IpAddress IpAddress::FromBytes(Family f, const std::uint8_t* bytes) {
  IpAddress a;
  a.family_ = f;
  std::memcpy(a.bytes_.data(), bytes, f == Family::kV4 ? 4 : 16);
  return a;
}

Result<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) {
    return Fail(Error::Invalid("InvalidIpAddress", fmt::format("'{}' is not an IP address", text)));
  }
  std::string s(text);
  IpAddress a;
  if (s.find(':') == std::string::npos) {
    a.family_ = Family::kV4;
    if (inet_pton(AF_INET, s.c_str(), a.bytes_.data()) == 1) return a;
  } else {
    a.family_ = Family::kV6;
    if (inet_pton(AF_INET6, s.c_str(), a.bytes_.data()) == 1) return a;
  }
  return Fail(Error::Invalid("InvalidIpAddress", fmt::format("'{}' is not an IP address", text)));
}

std::uint32_t IpAddress::v4() const {
  return (std::uint32_t{bytes_[0]} << 24) | (std::uint32_t{bytes_[1]} << 16) |
         (std::uint32_t{bytes_[2]} << 8) | bytes_[3];
}

IpAddress IpAddress::Masked(int len) const {
  IpAddress r = *this;
  for (int i = 0; i < 16; ++i) {
    int keep = len - i * 8;
    if (keep >= 8) continue;
    r.bytes_[i] = keep <= 0 ? 0 : static_cast<std::uint8_t>(r.bytes_[i] & (0xff << (8 - keep)));
  }
  return r;
}

IpAddress IpAddress::Plus(std::uint64_t n) const {
  IpAddress r = *this;
  int last = is_v4() ? 3 : 15;
  unsigned carry = 0;
  for (int i = last; i >= 0 && (n != 0 || carry != 0); --i) {
    unsigned sum = r.bytes_[i] + static_cast<unsigned>(n & 0xff) + carry;
    r.bytes_[i] = static_cast<std::uint8_t>(sum);
    carry = sum >> 8;
    n >>= 8;
  }
  return r;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

Result<Prefix> Prefix::Parse(std::string_view text) {
  auto bad = [&](std::string why) {
    return Fail(Error::Invalid("InvalidAddressPrefixFormat",
                               fmt::format("'{}' is not a valid CIDR prefix: {}", text, why)));
  };
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return bad("expected address/length");
  auto addr = IpAddress::Parse(text.substr(0, slash));
  if (!addr) return bad("the address part is not an IP address");
  auto len_text = text.substr(slash + 1);
  int len = -1;
  auto [ptr, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (len_text.empty() || ec != std::errc() || ptr != len_text.data() + len_text.size() ||
      (len_text.size() > 1 && len_text[0] == '0')) {
    return bad("the length is not a number");
  }
  if (len < 0 || len > addr->bits()) {
    return bad(fmt::format("the length must be 0..{}", addr->bits()));
  }
  if (addr->Masked(len) != *addr) {
    return bad(fmt::format("host bits are set (did you mean {}/{}?)", addr->Masked(len).ToString(), len));
  }
  return Prefix(*addr, len);
}

bool Prefix::Contains(const IpAddress& a) const {
  return a.family() == family() && a.Masked(len_) == addr_;
}

bool Prefix::Contains(const Prefix& p) const {
  return p.family() == family() && p.len_ >= len_ && p.addr_.Masked(len_) == addr_;
}

bool Prefix::Overlaps(const Prefix& p) const {
  return Contains(p) || p.Contains(*this);
}

IpAddress Prefix::Last() const {
  std::array<std::uint8_t, 16> b{};
  std::memcpy(b.data(), addr_.bytes(), addr_.bits() / 8);
  for (int i = len_; i < addr_.bits(); ++i) b[i / 8] |= static_cast<std::uint8_t>(0x80 >> (i % 8));
  return IpAddress::FromBytes(family(), b.data());
}

std::uint64_t Prefix::Size() const {
  int host_bits = addr_.bits() - len_;
  if (host_bits >= 63) return std::uint64_t{1} << 63;
  return std::uint64_t{1} << host_bits;
}

std::string Prefix::ToString() const {
  return fmt::format("{}/{}", addr_.ToString(), len_);
}

bool PrefixSet::Contains(const Prefix& p) const {
  for (const auto& m : prefixes_) {
    if (m.Contains(p)) return true;
  }
  return false;
}

std::optional<Prefix> PrefixSet::FirstOverlap(const Prefix& p) const {
  for (const auto& m : prefixes_) {
    if (m.Overlaps(p)) return m;
  }
  return std::nullopt;
}

std::optional<std::pair<Prefix, Prefix>> PrefixSet::FirstOverlap(const PrefixSet& other) const {
  for (const auto& m : prefixes_) {
    for (const auto& o : other.prefixes_) {
      if (m.Overlaps(o)) return std::pair{m, o};
    }
  }
  return std::nullopt;
}

std::optional<std::pair<Prefix, Prefix>> PrefixSet::FirstInternalOverlap() const {
  for (std::size_t i = 0; i < prefixes_.size(); ++i) {
    for (std::size_t j = i + 1; j < prefixes_.size(); ++j) {
      if (prefixes_[i].Overlaps(prefixes_[j])) return std::pair{prefixes_[i], prefixes_[j]};
    }
  }
  return std::nullopt;
}

}  // namespace isthmus::net
