#include "ike/wire/cert_payload.h"

namespace isthmus::ike::wire {

WireResult<CertPayload> CertPayload::Parse(ByteView body) {
  if (body.empty()) return Malformed("CERT payload has no encoding octet");
  if (body.size() == 1) return Malformed("CERT payload has no certificate data", 1);
  return CertPayload{static_cast<CertEncoding>(body[0]), Bytes(body.begin() + 1, body.end())};
}

void CertPayload::AppendBody(ByteWriter& w) const {
  w.U8(static_cast<std::uint8_t>(encoding));
  w.Append(data);
}

WireResult<CertReqPayload> CertReqPayload::Parse(ByteView body) {
  if (body.empty()) return Malformed("CERTREQ payload has no encoding octet");
  return CertReqPayload{static_cast<CertEncoding>(body[0]), Bytes(body.begin() + 1, body.end())};
}

void CertReqPayload::AppendBody(ByteWriter& w) const {
  w.U8(static_cast<std::uint8_t>(encoding));
  w.Append(authorities);
}

}  // namespace isthmus::ike::wire
