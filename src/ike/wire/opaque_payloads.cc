#include "ike/wire/opaque_payloads.h"

#include <fmt/format.h>

namespace isthmus::ike::wire {

WireResult<ConfigPayload> ConfigPayload::Parse(ByteView body) {
  if (body.size() < 4) return Malformed("truncated CP payload");
  return ConfigPayload{body[0], Bytes(body.begin() + 4, body.end())};
}

void ConfigPayload::AppendBody(ByteWriter& w) const {
  w.U8(cfg_type);
  w.Zeros(3);
  w.Append(attributes);
}

WireResult<EapPayload> EapPayload::Parse(ByteView body) {
  if (body.size() < 4) return Malformed("truncated EAP message");
  std::size_t eap_len = (std::size_t{body[2]} << 8) | body[3];
  if (eap_len != body.size()) {
    return Malformed(fmt::format("EAP Length {} differs from the payload's {}", eap_len, body.size()), 2);
  }
  return EapPayload{Bytes(body.begin(), body.end())};
}

}  // namespace isthmus::ike::wire
