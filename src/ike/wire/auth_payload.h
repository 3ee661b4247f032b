// Authentication payload (RFC 7296 §3.8).
#pragma once

#include "ike/wire/bytes.h"
#include "ike/wire/error.h"
#include "ike/wire/types.h"

namespace isthmus::ike::wire {

//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Auth Method   |                RESERVED                       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// ~                      Authentication Data                      ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The data is a MAC or signature; its length depends on the negotiated PRF, which the codec does not
// know, so only emptiness is refused. The value is not secret once sent but is still never logged.
struct AuthPayload {
  AuthMethod method = AuthMethod::kSharedKeyMic;
  Bytes data;

  static WireResult<AuthPayload> Parse(ByteView body);
  void AppendBody(ByteWriter& w) const;
  bool operator==(const AuthPayload&) const = default;
};

}  // namespace isthmus::ike::wire
