// Why a message was rejected, in terms the IKE engine can act on.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <utility>

#include "base/result.h"
#include "ike/wire/types.h"

namespace isthmus::ike::wire {

// A parse or verify failure. `notify` is the codec's suggestion for the answer; the engine decides
// whether to send it (RFC 7296 §2.21: an unauthenticated peer usually gets nothing).
struct WireError {
  // INVALID_SYNTAX for malformed payloads and broken exchange rules; INVALID_MAJOR_VERSION for a higher
  // major version (§2.5); UNSUPPORTED_CRITICAL_PAYLOAD (§3.2) with the unknown type in `payload`;
  // kNone when the datagram is not an IKEv2 message we could answer (truncated header, length
  // mismatch, IKEv1) and must be dropped silently.
  NotifyType notify = NotifyType::kInvalidSyntax;
  // The payload at fault (kNone: the IKE header or the message as a whole).
  PayloadType payload = PayloadType::kNone;
  // Byte offset where the problem was detected: in the datagram for Parse, in the plaintext chain
  // for ParseInnerPayloads, 0 for Verify.
  std::size_t offset = 0;
  std::string what;  // for humans; contains no key material (the codec never sees keys)

  // For Result<T> callers: code is the RFC name of `notify` ("INVALID_SYNTAX"), target the payload.
  Error ToError() const;
  std::string ToString() const;
};

template <typename T>
using WireResult = std::expected<T, WireError>;
using WireStatus = std::expected<void, WireError>;

inline std::unexpected<WireError> Malformed(std::string what, std::size_t offset = 0,
                                            PayloadType payload = PayloadType::kNone) {
  return std::unexpected<WireError>(WireError{NotifyType::kInvalidSyntax, payload, offset, std::move(what)});
}

}  // namespace isthmus::ike::wire
