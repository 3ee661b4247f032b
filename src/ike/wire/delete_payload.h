// Delete payload (RFC 7296 §3.11).
#pragma once

#include <cstdint>
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
// | Protocol ID   |   SPI Size    |          Num of SPIs          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// ~               Security Parameter Index(es) (SPI)              ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Deleting the IKE SA: Protocol ID 1, SPI Size 0, no SPIs. Deleting Child SAs: Protocol ID 2 or 3,
// SPI Size 4, the sender's inbound SPIs. Anything else, or a length that is not 4 + size * count, is
// refused.
struct DeletePayload {
  ProtocolId protocol = ProtocolId::kIke;
  std::vector<std::uint32_t> spis;  // empty for the IKE SA

  static DeletePayload IkeSa() { return {}; }
  static DeletePayload ChildSas(ProtocolId protocol, std::vector<std::uint32_t> spis) {
    return {protocol, std::move(spis)};
  }

  static WireResult<DeletePayload> Parse(ByteView body);
  void AppendBody(ByteWriter& w) const;
  bool operator==(const DeletePayload&) const = default;
};

}  // namespace isthmus::ike::wire
