// Azure's custom IPsec/IKE policy (the `ipsecPolicies` entry of a connection: ipsecEncryption,
// ipsecIntegrity, ikeEncryption, ikeIntegrity, dhGroup, pfsGroup) mapped to IKEv2 proposals, so a
// policy written for Azure VPN Gateway means the same transforms here.
#pragma once

#include <string>

#include "base/result.h"
#include "ike/sa/proposal.h"

namespace isthmus::ike::sa {

// The algorithm fields, spelled as in the ARM API (matched case-insensitively). SA lifetime fields
// (saLifeTimeSeconds, saDataSizeKilobytes) are lifetimes, not transforms; the engine config takes them.
struct AzureIpsecPolicy {
  std::string ipsec_encryption;  // AES128 AES256 GCMAES128 GCMAES256
  std::string ipsec_integrity;   // SHA256 GCMAES128 GCMAES256 (GCMAESn must equal ipsecEncryption)
  std::string ike_encryption;    // AES128 AES256 GCMAES128 GCMAES256
  std::string ike_integrity;     // SHA256 SHA384 GCMAES128 GCMAES256
  std::string dh_group;          // DHGroup2 DHGroup14 DHGroup2048 ECP256 ECP384
  std::string pfs_group;         // None PFS2 PFS14 PFS2048 ECP256 ECP384
};

// One IKE proposal:
//   - AESn: ENCR_AES_CBC n with ikeIntegrity as integrity (SHA256 -> HMAC_SHA2_256_128, SHA384 ->
//     HMAC_SHA2_384_192) and as PRF (PRF_HMAC_SHA2_256/384).
//   - GCMAESn: ENCR_AES_GCM_16 n, no integrity transform (RFC 5282 §8); ikeIntegrity names the PRF
//     (SHA256/SHA384). ikeIntegrity GCMAESn (same n) is accepted too and then means PRF_HMAC_SHA2_256
//     (Isthmus's choice: the field names no hash).
//   - dhGroup: DHGroup2 -> MODP-1024 (weak), DHGroup14 and DHGroup2048 -> MODP-2048, ECP256 -> 19,
//     ECP384 -> 20.
// Values Azure has that Isthmus does not implement (DES, DES3, AES192, MD5, SHA1, DHGroup1, DHGroup24,
// ...) fail with "UnsupportedIpsecPolicy"; unknown or inconsistent values with "InvalidIpsecPolicy".
// The error's target names the field ("ikeIntegrity").
Result<Proposal> AzureIkeProposal(const AzureIpsecPolicy& policy);

// One ESP proposal:
//   - AESn + SHA256: ENCR_AES_CBC n + HMAC_SHA2_256_128. GCMAESn + GCMAESn (must match, as Azure
//     requires): ENCR_AES_GCM_16 n, no integrity.
//   - pfsGroup: None -> no PFS; PFS2 -> MODP-1024 (weak); PFS14 and PFS2048 -> MODP-2048; ECP256 -> 19;
//     ECP384 -> 20.
//   - no ESN (Azure's gateways negotiate 32-bit sequence numbers).
Result<Proposal> AzureEspProposal(const AzureIpsecPolicy& policy);

}  // namespace isthmus::ike::sa
