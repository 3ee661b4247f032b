#include "ike/wire/vendor_id_payload.h"

namespace isthmus::ike::wire {

WireResult<VendorIdPayload> VendorIdPayload::Parse(ByteView body) {
  if (body.empty()) return Malformed("Vendor ID payload is empty");
  return VendorIdPayload{Bytes(body.begin(), body.end())};
}

}  // namespace isthmus::ike::wire
