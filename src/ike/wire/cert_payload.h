// Certificate (RFC 7296 §3.6) and Certificate Request (§3.7) payloads, both opaque to the codec.
#pragma once

#include "ike/wire/bytes.h"
#include "ike/wire/error.h"
#include "ike/wire/types.h"

namespace isthmus::ike::wire {

// CERT:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Cert Encoding |                                               |
// +-+-+-+-+-+-+-+-+                                               |
// ~                       Certificate Data                        ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct CertPayload {
  CertEncoding encoding = CertEncoding::kX509Signature;
  Bytes data;

  static WireResult<CertPayload> Parse(ByteView body);
  void AppendBody(ByteWriter& w) const;
  bool operator==(const CertPayload&) const = default;
};

// CERTREQ: same layout, "Certification Authority" in place of the certificate data (for X.509, a
// concatenation of 20-octet SHA-1 hashes of trusted CAs' public keys; may be empty).
struct CertReqPayload {
  CertEncoding encoding = CertEncoding::kX509Signature;
  Bytes authorities;

  static WireResult<CertReqPayload> Parse(ByteView body);
  void AppendBody(ByteWriter& w) const;
  bool operator==(const CertReqPayload&) const = default;
};

}  // namespace isthmus::ike::wire
