// IKEv2 protocol numbers (RFC 7296 §3 and the IANA "IKEv2 Parameters" registry).
// Enums have a fixed underlying type so any value read from the wire is representable; unknown values
// are kept as numbers and judged by the code that understands them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace isthmus::ike::wire {

// §3.1 Exchange Type.
enum class ExchangeType : std::uint8_t {
  kIkeSaInit = 34,
  kIkeAuth = 35,
  kCreateChildSa = 36,
  kInformational = 37,
};

// §3.2 Payload Type values ("Next Payload").
enum class PayloadType : std::uint8_t {
  kNone = 0,
  kSa = 33,
  kKe = 34,
  kIdi = 35,
  kIdr = 36,
  kCert = 37,
  kCertReq = 38,
  kAuth = 39,
  kNonce = 40,
  kNotify = 41,
  kDelete = 42,
  kVendorId = 43,
  kTsi = 44,
  kTsr = 45,
  kEncrypted = 46,  // SK
  kConfig = 47,     // CP
  kEap = 48,
};

// §3.3.1 Protocol ID (also used by Notify §3.10 and Delete §3.11).
enum class ProtocolId : std::uint8_t { kNone = 0, kIke = 1, kAh = 2, kEsp = 3 };

// §3.3.2 Transform Type.
enum class TransformType : std::uint8_t { kEncr = 1, kPrf = 2, kInteg = 3, kKe = 4, kEsn = 5 };

// Transform IDs used by the wire profile (DESIGN.md §4); IANA "IKEv2 Transform Type N" registries.
namespace encr {
inline constexpr std::uint16_t kAesCbc = 12;   // RFC 3602
inline constexpr std::uint16_t kAesGcm8 = 18;  // RFC 4106 / 5282
inline constexpr std::uint16_t kAesGcm12 = 19;
inline constexpr std::uint16_t kAesGcm16 = 20;
inline constexpr std::uint16_t kChaCha20Poly1305 = 28;  // RFC 7634
}  // namespace encr
namespace prf {
inline constexpr std::uint16_t kHmacSha1 = 2;
inline constexpr std::uint16_t kHmacSha2_256 = 5;  // RFC 4868
inline constexpr std::uint16_t kHmacSha2_384 = 6;
inline constexpr std::uint16_t kHmacSha2_512 = 7;
}  // namespace prf
namespace integ {
inline constexpr std::uint16_t kNone = 0;
inline constexpr std::uint16_t kHmacSha1_96 = 2;
inline constexpr std::uint16_t kHmacSha2_256_128 = 12;  // RFC 4868
inline constexpr std::uint16_t kHmacSha2_384_192 = 13;
inline constexpr std::uint16_t kHmacSha2_512_256 = 14;
}  // namespace integ
namespace ke_group {
inline constexpr std::uint16_t kNone = 0;
inline constexpr std::uint16_t kModp2048 = 14;  // RFC 3526
inline constexpr std::uint16_t kEcp256 = 19;    // RFC 5903
inline constexpr std::uint16_t kEcp384 = 20;
inline constexpr std::uint16_t kCurve25519 = 31;  // RFC 8031
}  // namespace ke_group
namespace esn {
inline constexpr std::uint16_t kNo = 0;
inline constexpr std::uint16_t kYes = 1;
}  // namespace esn

// §3.3.5 Transform attribute types; Key Length is the only one RFC 7296 defines, always in TV form.
inline constexpr std::uint16_t kAttrKeyLength = 14;

// §3.5 ID Type.
enum class IdType : std::uint8_t {
  kIpv4Addr = 1,
  kFqdn = 2,
  kRfc822Addr = 3,
  kIpv6Addr = 5,
  kDerAsn1Dn = 9,
  kDerAsn1Gn = 10,
  kKeyId = 11,
};

// §3.6 Certificate Encoding (the ones an implementation is likely to meet).
enum class CertEncoding : std::uint8_t {
  kX509Signature = 4,
  kRawRsaKey = 11,
  kHashUrlX509 = 12,
  kHashUrlBundle = 13,
  kRawPublicKey = 15,  // RFC 7670
};

// §3.8 Authentication Method.
enum class AuthMethod : std::uint8_t {
  kRsaSignature = 1,
  kSharedKeyMic = 2,
  kDssSignature = 3,
  kEcdsaSha256P256 = 9,  // RFC 4754
  kEcdsaSha384P384 = 10,
  kEcdsaSha512P521 = 11,
  kNull = 13,              // RFC 7619
  kDigitalSignature = 14,  // RFC 7427
};

// §3.13.1 TS Type.
enum class TsType : std::uint8_t { kIpv4AddrRange = 7, kIpv6AddrRange = 8 };

// §3.10.1 Notify Message Types. Values below 16384 are errors, the rest status (§3.10.1).
enum class NotifyType : std::uint16_t {
  kNone = 0,  // not a notify: the codec's "drop silently, send nothing"
  // Errors (§3.10.1 and the IANA registry, 1..47).
  kUnsupportedCriticalPayload = 1,
  kInvalidIkeSpi = 4,
  kInvalidMajorVersion = 5,
  kInvalidSyntax = 7,
  kInvalidMessageId = 9,
  kInvalidSpi = 11,
  kNoProposalChosen = 14,
  kInvalidKePayload = 17,
  kAuthenticationFailed = 24,
  kSinglePairRequired = 34,
  kNoAdditionalSas = 35,
  kInternalAddressFailure = 36,
  kFailedCpRequired = 37,
  kTsUnacceptable = 38,
  kInvalidSelectors = 39,
  kUnacceptableAddresses = 40,  // RFC 4555
  kUnexpectedNatDetected = 41,  // RFC 4555
  kUseAssignedHoa = 42,         // RFC 5026
  kTemporaryFailure = 43,
  kChildSaNotFound = 44,
  kInvalidGroupId = 45,       // RFC 6407
  kAuthorizationFailed = 46,  // RFC 6407
  kStateNotFound = 47,        // RFC 7651
  // Status types.
  kInitialContact = 16384,
  kSetWindowSize = 16385,
  kAdditionalTsPossible = 16386,
  kIpcompSupported = 16387,
  kNatDetectionSourceIp = 16388,
  kNatDetectionDestinationIp = 16389,
  kCookie = 16390,
  kUseTransportMode = 16391,
  kHttpCertLookupSupported = 16392,
  kRekeySa = 16393,
  kEspTfcPaddingNotSupported = 16394,
  kNonFirstFragmentsAlso = 16395,
  kMobikeSupported = 16396,              // RFC 4555
  kChildlessIkev2Supported = 16418,      // RFC 6023
  kIkev2FragmentationSupported = 16430,  // RFC 7383
  kSignatureHashAlgorithms = 16431,      // RFC 7427
};

inline constexpr std::uint16_t kFirstStatusNotify = 16384;  // §3.10.1
inline bool IsErrorNotify(NotifyType t) {
  return static_cast<std::uint16_t>(t) != 0 && static_cast<std::uint16_t>(t) < kFirstStatusNotify;
}

// §3.1 header layout.
inline constexpr std::size_t kHeaderSize = 28;
inline constexpr std::uint8_t kMajorVersion = 2;
inline constexpr std::uint8_t kMinorVersion = 0;
inline constexpr std::uint8_t kFlagInitiator = 0x08;
inline constexpr std::uint8_t kFlagVersion = 0x10;
inline constexpr std::uint8_t kFlagResponse = 0x20;
// §3.2 generic payload header.
inline constexpr std::size_t kGenericHeaderSize = 4;
inline constexpr std::uint8_t kCriticalBit = 0x80;
// §3.9 nonce size bounds.
inline constexpr std::size_t kMinNonceSize = 16;
inline constexpr std::size_t kMaxNonceSize = 256;

// Implementation limits (not from the RFC). A real message carries well under 20 payloads in a chain
// (strongSwan's largest IKE_SA_INIT has about a dozen); bounding the count bounds the work a hostile
// datagram can cause. 64 leaves room for many vendor IDs and notifies.
inline constexpr std::size_t kMaxPayloadsPerChain = 64;

// Names for logs and errors ("SA", "N(COOKIE)", "IKE_AUTH"); unknown values print as numbers.
std::string PayloadName(PayloadType t);
std::string ExchangeName(ExchangeType t);
std::string NotifyName(NotifyType t);

}  // namespace isthmus::ike::wire
