// Any payload, the generic payload header (RFC 7296 §3.2) and payload chains.
#pragma once

#include <span>
#include <variant>
#include <vector>

#include "base/result.h"
#include "ike/wire/auth_payload.h"
#include "ike/wire/bytes.h"
#include "ike/wire/cert_payload.h"
#include "ike/wire/delete_payload.h"
#include "ike/wire/encrypted_payload.h"
#include "ike/wire/error.h"
#include "ike/wire/id_payload.h"
#include "ike/wire/ke_payload.h"
#include "ike/wire/nonce_payload.h"
#include "ike/wire/notify_payload.h"
#include "ike/wire/opaque_payloads.h"
#include "ike/wire/sa_payload.h"
#include "ike/wire/ts_payload.h"
#include "ike/wire/types.h"
#include "ike/wire/vendor_id_payload.h"

namespace isthmus::ike::wire {

// Generic payload header (§3.2):
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// C (critical): for a payload type the receiver does not understand, set means reject the whole
// message with UNSUPPORTED_CRITICAL_PAYLOAD, clear means skip it. It is ignored for known types and
// always sent as 0 (every type we send is defined in RFC 7296).
using PayloadBody = std::variant<SaPayload, KePayload, IdPayload, CertPayload, CertReqPayload, AuthPayload,
                                 NoncePayload, NotifyPayload, DeletePayload, VendorIdPayload, TsPayload,
                                 EncryptedPayload, ConfigPayload, EapPayload>;

// A payload: its type (which tells IDi from IDr and TSi from TSr) and its parsed body.
struct Payload {
  PayloadType type = PayloadType::kNone;
  PayloadBody body;

  static Payload Of(SaPayload b) { return {PayloadType::kSa, std::move(b)}; }
  static Payload Of(KePayload b) { return {PayloadType::kKe, std::move(b)}; }
  static Payload Of(CertPayload b) { return {PayloadType::kCert, std::move(b)}; }
  static Payload Of(CertReqPayload b) { return {PayloadType::kCertReq, std::move(b)}; }
  static Payload Of(AuthPayload b) { return {PayloadType::kAuth, std::move(b)}; }
  static Payload Of(NoncePayload b) { return {PayloadType::kNonce, std::move(b)}; }
  static Payload Of(NotifyPayload b) { return {PayloadType::kNotify, std::move(b)}; }
  static Payload Of(DeletePayload b) { return {PayloadType::kDelete, std::move(b)}; }
  static Payload Of(VendorIdPayload b) { return {PayloadType::kVendorId, std::move(b)}; }
  static Payload Of(EncryptedPayload b) { return {PayloadType::kEncrypted, std::move(b)}; }
  static Payload Of(ConfigPayload b) { return {PayloadType::kConfig, std::move(b)}; }
  static Payload Of(EapPayload b) { return {PayloadType::kEap, std::move(b)}; }
  static Payload Idi(IdPayload b) { return {PayloadType::kIdi, std::move(b)}; }
  static Payload Idr(IdPayload b) { return {PayloadType::kIdr, std::move(b)}; }
  static Payload Tsi(TsPayload b) { return {PayloadType::kTsi, std::move(b)}; }
  static Payload Tsr(TsPayload b) { return {PayloadType::kTsr, std::move(b)}; }

  template <typename T>
  const T* As() const {
    return std::get_if<T>(&body);
  }
  // The type agrees with the body's alternative (e.g. an IdPayload is typed IDi or IDr).
  bool consistent() const;
  bool operator==(const Payload&) const = default;
};

// A parsed chain. Unknown payloads without the critical bit are dropped and listed in `skipped`.
struct PayloadChain {
  std::vector<Payload> payloads;
  std::vector<PayloadType> skipped;
};

// Parses the chain that starts with payload type `first` and fills `bytes` exactly. `base` is added to
// error offsets (the chain's position in the datagram). When `outer` is true SK may appear and ends
// the chain (its Next Payload names the first inner payload instead); inside SK, SK is refused.
// Bounded by kMaxPayloadsPerChain.
WireResult<PayloadChain> ParsePayloadChain(PayloadType first, ByteView bytes, std::size_t base, bool outer);

// The engine's entry point after decrypting SK and StripSkPadding(): `first` is the SK payload's
// first_inner. Offsets in errors are relative to `chain`.
WireResult<PayloadChain> ParseInnerPayloads(PayloadType first, ByteView chain);

// A serialized chain and the type of its first payload (kNone for an empty chain), which goes into
// the Next Payload field of whatever precedes it (IKE header or SK).
struct SerializedChain {
  PayloadType first = PayloadType::kNone;
  Bytes bytes;
};

// Serializes payloads with their generic headers, chaining Next Payload and computing lengths. SK, if
// present, must be last (its Next Payload is its first_inner). Fails only on caller bugs: a body that
// does not fit its fields, or a type that disagrees with the body.
Result<SerializedChain> SerializePayloadChain(std::span<const Payload> payloads);

}  // namespace isthmus::ike::wire
