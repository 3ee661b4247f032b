// Vendor ID payload (RFC 7296 §3.12).
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
// ~                        Vendor ID (VID)                        ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct VendorIdPayload {
  Bytes id;

  static WireResult<VendorIdPayload> Parse(ByteView body);
  void AppendBody(ByteWriter& w) const { w.Append(id); }
  bool operator==(const VendorIdPayload&) const = default;
};

}  // namespace isthmus::ike::wire
