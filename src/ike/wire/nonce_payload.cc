#include "ike/wire/nonce_payload.h"

#include <fmt/format.h>

namespace isthmus::ike::wire {

WireResult<NoncePayload> NoncePayload::Parse(ByteView body) {
  if (body.size() < kMinNonceSize || body.size() > kMaxNonceSize) {
    return Malformed(fmt::format("nonce of {} octets is outside 16..256", body.size()));
  }
  return NoncePayload{Bytes(body.begin(), body.end())};
}

void NoncePayload::AppendBody(ByteWriter& w) const {
  if (data.size() < kMinNonceSize || data.size() > kMaxNonceSize) w.Fail("nonce size (16..256)");
  w.Append(data);
}

}  // namespace isthmus::ike::wire
