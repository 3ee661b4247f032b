// Nonce payload (RFC 7296 §3.9).
#pragma once

#include "ike/wire/bytes.h"
#include "ike/wire/error.h"

namespace isthmus::ike::wire {

//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// ~                            Nonce Data                         ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// §3.9: "The size of the Nonce Data MUST be between 16 and 256 octets, inclusive."
struct NoncePayload {
  Bytes data;

  static WireResult<NoncePayload> Parse(ByteView body);
  void AppendBody(ByteWriter& w) const;
  bool operator==(const NoncePayload&) const = default;
};

}  // namespace isthmus::ike::wire
