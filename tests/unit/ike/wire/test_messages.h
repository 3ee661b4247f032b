// Hand-written IKEv2 messages shared by the codec tests and the corpus generator.
#pragma once

#include <initializer_list>
#include <string_view>

#include "ike/wire/wire.h"

namespace isthmus::ike::wire::testing {

// "0a 0b ..." (whitespace ignored) to bytes.
Bytes Hex(std::string_view hex);
Bytes Concat(std::initializer_list<Bytes> parts);
Bytes Repeat(std::uint8_t b, std::size_t n);

// IKE_SA_INIT request, written octet by octet from the RFC 7296 §3 diagrams:
//   HDR(SPIi=0102030405060708, SPIr=0), SA(IKE: ENCR_AES_GCM_16/256, PRF_HMAC_SHA2_256, group 19),
//   KE(19, 64 octets), Ni(32 octets), N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP)
Bytes InitRequestBytes();
// The same message as structs.
Message InitRequestMessage();

// Offsets into InitRequestBytes() used by the rejection tests.
inline constexpr std::size_t kInitSaOffset = 28;
inline constexpr std::size_t kInitProposalOffset = 32;
inline constexpr std::size_t kInitKeOffset = 68;
inline constexpr std::size_t kInitNonceOffset = 140;
inline constexpr std::size_t kInitNatSrcOffset = 176;
inline constexpr std::size_t kInitNatDstOffset = 204;
inline constexpr std::size_t kInitLength = 232;

// Typical payloads of the other exchanges.
SaPayload EspProposal(std::uint32_t spi);
TsPayload Ts(std::string_view prefix);
// IKE_AUTH request contents (to go inside SK): IDi, AUTH, SA, TSi, TSr, N(INITIAL_CONTACT).
std::vector<Payload> AuthRequestContents();
// A message with header for `exchange`, an SK envelope around `inner` (identity "cipher": the
// plaintext is copied as is, IV and ICV are fixed patterns), parsed back and with `inner` filled in,
// as the engine would have it after decryption.
Message Protected(ExchangeType exchange, bool response, std::vector<Payload> inner);
// Serialized form of a protected message (what is on the wire). With iv_len = icv_len = 0 the SK body
// is exactly the padded plaintext (block size 1): the "null cipher" framing the fuzz target decodes.
Bytes ProtectedBytes(ExchangeType exchange, bool response, const std::vector<Payload>& inner,
                     std::size_t iv_len = 8, std::size_t icv_len = 16);

}  // namespace isthmus::ike::wire::testing
