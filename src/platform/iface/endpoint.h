// A UDP endpoint (address + port), IPv4 or IPv6.
#pragma once

#include <cstdint>
#include <string>

#include "net/prefix.h"

namespace isthmus::platform {

struct Endpoint {
  net::IpAddress address;
  std::uint16_t port = 0;

  std::string ToString() const {
    return address.is_v4() ? address.ToString() + ":" + std::to_string(port)
                           : "[" + address.ToString() + "]:" + std::to_string(port);
  }
  bool operator==(const Endpoint&) const = default;
};

}  // namespace isthmus::platform
