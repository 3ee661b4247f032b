#include "ike/wire/ke_payload.h"

namespace isthmus::ike::wire {

WireResult<KePayload> KePayload::Parse(ByteView body) {
  if (body.size() < 4) return Malformed("truncated KE payload");
  ByteReader r(body);
  KePayload ke;
  ke.group = r.U16();
  r.U16();  // RESERVED
  if (r.empty()) return Malformed("KE payload has no key exchange data", 4);
  ByteView d = r.Rest();
  ke.data.assign(d.begin(), d.end());
  return ke;
}

void KePayload::AppendBody(ByteWriter& w) const {
  w.U16(group);
  w.U16(0);
  w.Append(data);
}

}  // namespace isthmus::ike::wire
