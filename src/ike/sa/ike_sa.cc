#include "ike/sa/ike_sa.h"

#include <fmt/format.h>

namespace isthmus::ike::sa {

std::string_view IkeSaStateName(IkeSaState s) {
  switch (s) {
    case IkeSaState::kConnecting:
      return "CONNECTING";
    case IkeSaState::kEstablished:
      return "ESTABLISHED";
    case IkeSaState::kRekeyed:
      return "REKEYED";
    case IkeSaState::kDeleting:
      return "DELETING";
    case IkeSaState::kDead:
      return "DEAD";
  }
  return "?";
}

std::string_view ChildSaStateName(ChildSaState s) {
  switch (s) {
    case ChildSaState::kInstalled:
      return "INSTALLED";
    case ChildSaState::kRekeying:
      return "REKEYING";
    case ChildSaState::kRekeyed:
      return "REKEYED";
    case ChildSaState::kDeleting:
      return "DELETING";
  }
  return "?";
}

ChildSa* IkeSa::FindChild(std::uint64_t child_id) {
  if (child_id == 0) return nullptr;
  for (auto& c : children) {
    if (c.id == child_id) return &c;
  }
  return nullptr;
}

ChildSa* IkeSa::FindChildByInbound(std::uint32_t spi) {
  for (auto& c : children) {
    if (c.inbound_spi == spi) return &c;
  }
  return nullptr;
}

ChildSa* IkeSa::FindChildByOutbound(std::uint32_t spi) {
  for (auto& c : children) {
    if (c.outbound_spi == spi) return &c;
  }
  return nullptr;
}

std::string IkeSa::Describe() const {
  return fmt::format("#{} {} {} spis {:016x}:{:016x} {}", id, connection, remote.ToString(), spi_i, spi_r,
                     IkeSaStateName(state));
}

}  // namespace isthmus::ike::sa
