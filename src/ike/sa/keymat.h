// IKEv2 key derivation: IKE SA keys (RFC 7296 §2.14), IKE SA rekey (§2.18) and CHILD SA keying
// material (§2.17), with key sizes taken from the negotiated transforms (crypto/transforms.h). For
// AEADs there are no SK_a keys and each encryption key carries its salt (RFC 5282 §7.1).
//
// Everything derived is SecretBytes. Errors come from input checks or the crypto library and never
// contain key material.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/result.h"
#include "base/secret.h"
#include "crypto/bytes.h"
#include "ike/sa/proposal.h"
#include "ipsec/sa_spec.h"

namespace isthmus::ike::sa {

// Which end of an exchange we are. For the IKE SA's own keys (SK_e*/SK_a*, SK_p*) it is the original
// initiator of that IKE SA - the I flag of the header (RFC 7296 §2.14, §3.1); after an IKE rekey, the
// end that initiated the rekey is the new SA's initiator (§2.18). For CHILD SA keys it is the end that
// initiated the exchange that created the CHILD SA (§2.17).
enum class IkeRole : std::uint8_t { kInitiator, kResponder };

// Octet sizes of the IKE SA keys for a suite.
struct IkeKeySizes {
  std::size_t d = 0;  // SK_d: the PRF's preferred key length (§2.13; output size for HMAC-SHA2)
  std::size_t a = 0;  // SK_ai/SK_ar: the integrity key; 0 for AEADs (RFC 5282 §7.1)
  std::size_t e = 0;  // SK_ei/SK_er: cipher key + salt for AEADs (RFC 5282 §7.1)
  std::size_t p = 0;  // SK_pi/SK_pr: the PRF's preferred key length (§2.15)
  std::size_t total() const { return d + 2 * a + 2 * e + 2 * p; }
  bool operator==(const IkeKeySizes&) const = default;
};
Result<IkeKeySizes> IkeKeySizesFor(const IkeSuite& suite);

struct IkeSaKeys {
  SecretBytes sk_d;   // derives CHILD SA keys and the next IKE SA's SKEYSEED
  SecretBytes sk_ai;  // integrity, initiator -> responder (empty for AEADs)
  SecretBytes sk_ar;
  SecretBytes sk_ei;  // encryption (+ salt), initiator -> responder
  SecretBytes sk_er;
  SecretBytes sk_pi;  // for the initiator's AUTH payload (§2.15)
  SecretBytes sk_pr;
};

// RFC 7296 §2.14:
//   SKEYSEED = prf(Ni | Nr, g^ir)
//   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr)
// `shared_secret` is g^ir from crypto::KeyExchange::ComputeShared; Ni/Nr are the nonce payloads' data
// (16..256 octets, §2.10); the SPIs are the IKE header's (host order here, big-endian in the seed).
Result<IkeSaKeys> DeriveIkeSaKeys(const IkeSuite& suite, crypto::ConstBytes shared_secret,
                                  crypto::ConstBytes ni, crypto::ConstBytes nr, std::uint64_t spi_i,
                                  std::uint64_t spi_r);

// RFC 7296 §2.18 (rekeying the IKE SA with CREATE_CHILD_SA):
//   SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)
// computed with the OLD IKE SA's PRF ("the rekeying exchange belongs to the old IKE SA"), then the same
// prf+ split as §2.14 with the NEW suite's PRF and sizes, the new nonces and the new SPIs (SPIi = the
// SPI in the rekey initiator's proposal, SPIr = the responder's).
Result<IkeSaKeys> DeriveRekeyedIkeSaKeys(crypto::PrfId old_prf, const SecretBytes& old_sk_d,
                                         const IkeSuite& new_suite, crypto::ConstBytes shared_secret,
                                         crypto::ConstBytes ni, crypto::ConstBytes nr, std::uint64_t spi_i,
                                         std::uint64_t spi_r);

// Octet sizes of one direction of a CHILD SA's keys.
struct ChildKeySizes {
  std::size_t encr = 0;   // cipher key + salt for AEADs (RFC 4106 §8.1, RFC 7634 §2)
  std::size_t integ = 0;  // 0 for AEADs
  bool operator==(const ChildKeySizes&) const = default;
};
Result<ChildKeySizes> ChildKeySizesFor(const ChildSuite& suite);

// Both directions of a CHILD SA, ready to go into ipsec::SaSpec::keys.
struct ChildSaKeys {
  ipsec::SaKeys initiator_to_responder;
  ipsec::SaKeys responder_to_initiator;
  // For the SaSpecs: what we send with and what we receive with, given our role in the exchange that
  // created the CHILD SA.
  const ipsec::SaKeys& Outbound(IkeRole role) const {
    return role == IkeRole::kInitiator ? initiator_to_responder : responder_to_initiator;
  }
  const ipsec::SaKeys& Inbound(IkeRole role) const {
    return role == IkeRole::kInitiator ? responder_to_initiator : initiator_to_responder;
  }
};

// RFC 7296 §2.17:
//   KEYMAT = prf+(SK_d, Ni | Nr)                      (no PFS: `pfs_shared_secret` empty)
//   KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr)         (CREATE_CHILD_SA with a KE payload)
// taken in the order: initiator->responder encryption key, its integrity key, then
// responder->initiator encryption key, its integrity key. `prf` is the IKE SA's PRF; Ni/Nr are the
// nonces of the exchange (IKE_SA_INIT's for the CHILD SA created in IKE_AUTH).
Result<ChildSaKeys> DeriveChildSaKeys(crypto::PrfId prf, const SecretBytes& sk_d, const ChildSuite& suite,
                                      crypto::ConstBytes pfs_shared_secret, crypto::ConstBytes ni,
                                      crypto::ConstBytes nr);

// Nonce size bounds, RFC 7296 §2.10 / §3.9.
inline constexpr std::size_t kMinNonceSize = 16;
inline constexpr std::size_t kMaxNonceSize = 256;

}  // namespace isthmus::ike::sa
