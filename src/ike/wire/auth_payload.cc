#include "ike/wire/auth_payload.h"

namespace isthmus::ike::wire {

WireResult<AuthPayload> AuthPayload::Parse(ByteView body) {
  if (body.size() < 4) return Malformed("truncated AUTH payload");
  if (body.size() == 4) return Malformed("AUTH payload has no authentication data", 4);
  return AuthPayload{static_cast<AuthMethod>(body[0]), Bytes(body.begin() + 4, body.end())};
}

void AuthPayload::AppendBody(ByteWriter& w) const {
  w.U8(static_cast<std::uint8_t>(method));
  w.Zeros(3);
  w.Append(data);
}

}  // namespace isthmus::ike::wire
