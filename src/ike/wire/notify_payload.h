// Notify payload (RFC 7296 §3.10).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ike/wire/bytes.h"
#include "ike/wire/error.h"
#include "ike/wire/types.h"

namespace isthmus::ike::wire {

//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Protocol ID  |   SPI Size    |      Notify Message Type      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// ~                Security Parameter Index (SPI)                 ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// ~                       Notification Data                       ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Parse refuses notify type 0 (reserved), and for the types whose data has a fixed shape it checks
// that shape (see kNotifyShapes in the .cc: INVALID_KE_PAYLOAD carries a 2-octet group, NAT_DETECTION_*
// a 20-octet SHA-1, COOKIE 1..64 octets, REKEY_SA a 4-octet AH/ESP SPI, ...). When the SPI is empty the
// Protocol ID "MUST be ignored on receipt", so it is read as kNone.
struct NotifyPayload {
  ProtocolId protocol = ProtocolId::kNone;
  Bytes spi;
  NotifyType type = NotifyType::kNone;
  Bytes data;

  bool is_error() const { return IsErrorNotify(type); }

  static NotifyPayload Of(NotifyType type, Bytes data = {});
  // N(INVALID_KE_PAYLOAD) with the group the responder wants (§1.3.1, §3.10.1).
  static NotifyPayload InvalidKe(std::uint16_t group);
  // N(REKEY_SA) / N(CHILD_SA_NOT_FOUND) / N(INVALID_SPI)-style notifies about one Child SA.
  static NotifyPayload AboutChildSa(NotifyType type, ProtocolId protocol, std::uint32_t spi);
  // N(SIGNATURE_HASH_ALGORITHMS) listing hash algorithm numbers (RFC 7427 §4).
  static NotifyPayload SignatureHashAlgorithms(const std::vector<std::uint16_t>& algorithms);

  // The group in N(INVALID_KE_PAYLOAD).
  std::optional<std::uint16_t> invalid_ke_group() const;
  // The 4-octet SPI as a number, when there is one.
  std::optional<std::uint32_t> spi32() const;
  // The hash algorithms in N(SIGNATURE_HASH_ALGORITHMS).
  std::vector<std::uint16_t> signature_hash_algorithms() const;

  static WireResult<NotifyPayload> Parse(ByteView body);
  void AppendBody(ByteWriter& w) const;
  bool operator==(const NotifyPayload&) const = default;
};

}  // namespace isthmus::ike::wire
