// Test helper: well-formed SaSpecs for each supported transform, to mutate one field at a time.
#pragma once

#include <cstdint>
#include <vector>

#include "ipsec/sa_spec.h"

namespace isthmus::ipsec::testing {

inline SecretBytes Key(std::size_t n, std::uint8_t fill) {
  return SecretBytes(std::vector<std::uint8_t>(n, fill));
}

inline SaSpec AeadSpec(Direction d = Direction::kInbound, std::uint32_t spi = 0xc0000001) {
  SaSpec s;
  s.direction = d;
  s.spi = spi;
  s.local_address = *net::IpAddress::Parse("198.18.0.1");
  s.remote_address = *net::IpAddress::Parse("198.18.0.2");
  s.selectors.local.push_back({*net::Prefix::Parse("10.1.0.0/16"), 0, 0, 65535});
  s.selectors.remote.push_back({*net::Prefix::Parse("10.2.0.0/16"), 0, 0, 65535});
  s.transform = {crypto::EncrId::kAesGcm16, 256, crypto::IntegId::kNone, true};
  s.keys.encr = Key(36, 0x11);  // 32-octet key + 4-octet salt
  s.lifetimes.soft = {3000, 0, 0};
  s.lifetimes.hard = {3600, 0, 0};
  s.connection = "vnet1-to-vnet2";
  s.child_sa_id = 7;
  return s;
}

inline SaSpec CbcSpec(Direction d = Direction::kOutbound, std::uint32_t spi = 0x12345678) {
  SaSpec s = AeadSpec(d, spi);
  s.transform = {crypto::EncrId::kAesCbc, 128, crypto::IntegId::kHmacSha2_256_128, false};
  s.keys.encr = Key(16, 0x22);
  s.keys.integ = Key(32, 0x33);
  return s;
}

}  // namespace isthmus::ipsec::testing
