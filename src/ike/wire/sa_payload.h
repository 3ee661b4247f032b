// Security Association payload with its Proposals, Transforms and Attributes (RFC 7296 §3.3).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ike/wire/bytes.h"
#include "ike/wire/error.h"
#include "ike/wire/types.h"

namespace isthmus::ike::wire {

// Data Attributes (§3.3.5):
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |A|       Attribute Type        |    AF=0  Attribute Length     |
// |F|                             |    AF=1  Attribute Value      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                   AF=0  Attribute Value                       |
// |                   AF=1  Not Transmitted                       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct TransformAttribute {
  std::uint16_t type = 0;  // 15 bits
  bool tv = true;          // AF=1: the value is the 16-bit `value`; AF=0: the value is `data`
  std::uint16_t value = 0;
  Bytes data;
  bool operator==(const TransformAttribute&) const = default;
};

// Transform Substructure (§3.3.2):
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Last Substruc |   RESERVED    |        Transform Length       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Transform Type |   RESERVED    |          Transform ID         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// ~                      Transform Attributes                     ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct Transform {
  TransformType type = TransformType::kEncr;
  std::uint16_t id = 0;
  // Unknown attribute types are kept so the negotiator can refuse the transform (§3.3.6), not the codec.
  std::vector<TransformAttribute> attributes;

  static Transform Of(TransformType type, std::uint16_t id, std::optional<std::uint16_t> key_length = {});
  // The Key Length attribute (bits), if present.
  std::optional<std::uint16_t> key_length() const;
  bool operator==(const Transform&) const = default;
};

// Proposal Substructure (§3.3.1):
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Last Substruc |   RESERVED    |         Proposal Length       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                        SPI (variable)                         ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// ~                        <Transforms>                           ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct Proposal {
  std::uint8_t number = 1;
  ProtocolId protocol = ProtocolId::kIke;
  Bytes spi;  // IKE: empty in IKE_SA_INIT, 8 octets when rekeying; AH/ESP: 4 octets
  std::vector<Transform> transforms;

  // The first transform of a type, if any (a proposal may offer several of one type).
  const Transform* Find(TransformType t) const;
  bool operator==(const Proposal&) const = default;
};

// Security Association payload body (§3.3): one or more proposals.
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// ~                          <Proposals>                          ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Parse enforces the structure: Last Substruc 0 on the last proposal/transform and 2/3 before it,
// lengths that add up exactly, Num Transforms equal to what follows, SPI size 0 or 8 for IKE and 4 for
// AH/ESP (any size for protocols we do not know), Key Length only in TV form and at most once, and proposal
// numbers 1, 2, 3, ... when more than one proposal is present (a single proposal may carry any non-zero
// number, because a response echoes the number it accepted). Request/response rules (first number 1, exactly
// one proposal in a response) belong to Verify.
struct SaPayload {
  std::vector<Proposal> proposals;

  static WireResult<SaPayload> Parse(ByteView body);
  void AppendBody(ByteWriter& w) const;
  bool operator==(const SaPayload&) const = default;
};

}  // namespace isthmus::ike::wire
