// IKE header (RFC 7296 §3.1).
#pragma once

#include <cstdint>

#include "ike/wire/bytes.h"
#include "ike/wire/error.h"
#include "ike/wire/types.h"

namespace isthmus::ike::wire {

//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       IKE SA Initiator's SPI                  |
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       IKE SA Responder's SPI                  |
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                          Message ID                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                            Length                             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Flags: |X|X|R|V|I|X|X|X| — X bits are sent as zero and ignored on receipt, so they are not kept.
struct Header {
  std::uint64_t initiator_spi = 0;  // host order; the wire carries 8 opaque octets
  std::uint64_t responder_spi = 0;
  PayloadType next_payload = PayloadType::kNone;  // as parsed; computed by the serializer
  std::uint8_t major_version = kMajorVersion;
  std::uint8_t minor_version = kMinorVersion;  // kept as received; receivers ignore it (§3.1)
  ExchangeType exchange = ExchangeType::kIkeSaInit;
  bool initiator = false;  // I: sent by the original initiator of the IKE SA
  bool version = false;    // V: sender could speak a higher major version
  bool response = false;   // R
  std::uint32_t message_id = 0;
  std::uint32_t length = 0;  // as parsed; computed by the serializer

  std::uint8_t flags() const {
    return static_cast<std::uint8_t>((initiator ? kFlagInitiator : 0) | (version ? kFlagVersion : 0) |
                                     (response ? kFlagResponse : 0));
  }
  bool operator==(const Header&) const = default;
};

// Reads the fixed 28 octets without judging the length field against anything; use it to demultiplex
// (SPI lookup) before full parsing. Fails only when fewer than 28 octets are given (notify kNone) or
// the major version is not 2 (higher: INVALID_MAJOR_VERSION; lower, e.g. IKEv1: kNone).
WireResult<Header> ParseHeader(ByteView datagram);

// Writes the 28 octets with `length` and `next_payload` exactly as given in `h`.
void AppendHeader(ByteWriter& w, const Header& h);

}  // namespace isthmus::ike::wire
