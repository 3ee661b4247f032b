// Key Exchange payload (RFC 7296 §3.4).
#pragma once

#include <cstdint>

#include "ike/wire/bytes.h"
#include "ike/wire/error.h"

namespace isthmus::ike::wire {

//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   Diffie-Hellman Group Num    |           RESERVED            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// ~                       Key Exchange Data                       ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The data length is a property of the group; the crypto layer checks it, the codec only refuses an
// empty value.
struct KePayload {
  std::uint16_t group = 0;
  Bytes data;

  static WireResult<KePayload> Parse(ByteView body);
  void AppendBody(ByteWriter& w) const;
  bool operator==(const KePayload&) const = default;
};

}  // namespace isthmus::ike::wire
