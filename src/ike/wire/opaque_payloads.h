// Configuration (RFC 7296 §3.15) and EAP (§3.16) payloads. Isthmus negotiates neither; they are parsed
// only far enough that a message carrying them is not mistaken for a malformed one.
#pragma once

#include <cstdint>

#include "ike/wire/bytes.h"
#include "ike/wire/error.h"

namespace isthmus::ike::wire {

// CP:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C| RESERVED    |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   CFG Type    |                    RESERVED                   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// ~                   Configuration Attributes                    ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct ConfigPayload {
  std::uint8_t cfg_type = 0;  // 1 CFG_REQUEST, 2 CFG_REPLY, 3 CFG_SET, 4 CFG_ACK
  Bytes attributes;           // unparsed

  static WireResult<ConfigPayload> Parse(ByteView body);
  void AppendBody(ByteWriter& w) const;
  bool operator==(const ConfigPayload&) const = default;
};

// EAP: the body is one EAP message (RFC 3748), whose own Length field must match the body.
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Code      | Identifier    |           Length              |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      | Type_Data...
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-
struct EapPayload {
  Bytes message;

  static WireResult<EapPayload> Parse(ByteView body);
  void AppendBody(ByteWriter& w) const { w.Append(message); }
  bool operator==(const EapPayload&) const = default;
};

}  // namespace isthmus::ike::wire
