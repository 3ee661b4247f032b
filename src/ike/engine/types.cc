#include "ike/engine/types.h"

#include <fmt/format.h>

namespace isthmus::ike {

std::string Endpoint::ToString() const {
  return fmt::format("{}[{}]", address.ToString(), port);
}

bool ConnectionConfig::SameAs(const ConnectionConfig& o) const {
  auto same_id = [](const wire::IdPayload& a, const wire::IdPayload& b) {
    return a.type == b.type && a.data == b.data;
  };
  return name == o.name && local == o.local && remote == o.remote && same_id(local_id, o.local_id) &&
         same_id(remote_id, o.remote_id) && psk == o.psk && local_prefixes == o.local_prefixes &&
         remote_prefixes == o.remote_prefixes && ike_proposals == o.ike_proposals &&
         esp_proposals == o.esp_proposals && mode == o.mode && dpd_timeout == o.dpd_timeout &&
         ike_lifetime.hard == o.ike_lifetime.hard && ike_lifetime.margin == o.ike_lifetime.margin &&
         child_lifetime.hard == o.child_lifetime.hard && child_lifetime.margin == o.child_lifetime.margin &&
         force_encapsulation == o.force_encapsulation;
}

std::string_view ConnectionStateName(ConnectionState s) {
  switch (s) {
    case ConnectionState::kNotConnected:
      return "NotConnected";
    case ConnectionState::kConnecting:
      return "Connecting";
    case ConnectionState::kConnected:
      return "Connected";
  }
  return "?";
}

std::string LogLine::ToString() const {
  return fmt::format("{} {}: {} ({})", connection, peer, what, why);
}

}  // namespace isthmus::ike
