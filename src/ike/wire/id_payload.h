// Identification payloads IDi and IDr (RFC 7296 §3.5).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ike/wire/bytes.h"
#include "ike/wire/error.h"
#include "ike/wire/types.h"
#include "net/prefix.h"

namespace isthmus::ike::wire {

//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   ID Type     |                 RESERVED                      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// ~                   Identification Data                         ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The same body serves IDi and IDr; the Payload wrapper says which. The data is opaque; the typed
// accessors interpret it. Parse checks what the type fixes: 4 octets for ID_IPV4_ADDR, 16 for
// ID_IPV6_ADDR, no NUL/CR/LF in ID_FQDN and ID_RFC822_ADDR (§3.5: no terminators), never empty.
struct IdPayload {
  IdType type = IdType::kFqdn;
  // Kept as received because AUTH is computed over "IDType | RESERVED | InitIDData" (§2.15), and
  // RESERVED is only required to be ignored, not to be zero.
  std::array<std::uint8_t, 3> reserved{};
  Bytes data;

  static IdPayload Fqdn(std::string_view name);
  static IdPayload Rfc822(std::string_view email);
  static IdPayload Address(const net::IpAddress& a);
  static IdPayload KeyId(ByteView key_id);

  // ID_IPV4_ADDR / ID_IPV6_ADDR as an address; nullopt for other types.
  std::optional<net::IpAddress> AsAddress() const;
  // ID_FQDN / ID_RFC822_ADDR as text; nullopt for other types.
  std::optional<std::string> AsText() const;
  // "ID Type | RESERVED | Identification Data": the octets prf(SK_p, ...) covers for AUTH (§2.15).
  Bytes Body() const;

  static WireResult<IdPayload> Parse(ByteView body);
  void AppendBody(ByteWriter& w) const;
  bool operator==(const IdPayload&) const = default;
};

}  // namespace isthmus::ike::wire
