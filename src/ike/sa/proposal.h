// The proposal model: what a connection is willing to negotiate, per transform type, in preference
// order (RFC 7296 §3.3), independent of the wire structs but convertible to and from them.
// Written the way operators write it: strongSwan's swanctl `proposals` / `esp_proposals` syntax
// ("aes256gcm16-prfsha256-ecp256"), or Azure's IPsec-policy fields (ike/sa/azure_policy.h).
//
// Also the selected suites (IkeSuite, ChildSuite): exactly one transform of each type, which is what
// key derivation (keymat.h), SK protection (sk_protector.h) and SaSpec need.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/transform_ids.h"
#include "ike/wire/sa_payload.h"

namespace isthmus::ike::sa {

// An encryption transform: the ID plus its Key Length attribute in bits (RFC 7296 §3.3.5); 0 where no
// attribute is sent (ChaCha20-Poly1305, RFC 7634 §2).
struct EncrAlg {
  crypto::EncrId id = crypto::EncrId::kAesGcm16;
  std::uint16_t key_bits = 256;
  bool aead() const;
  bool operator==(const EncrAlg&) const = default;
};

// One proposal: for each transform type, the acceptable algorithms, most preferred first.
//   IKE: encr (all AEAD or all classic), prf (>= 1), integ (classic only, >= 1), ke (>= 1), no esn.
//   ESP: encr, integ (classic only, >= 1), ke (PFS groups; empty = no PFS), esn (>= 1), no prf.
struct Proposal {
  wire::ProtocolId protocol = wire::ProtocolId::kIke;
  std::vector<EncrAlg> encr;
  std::vector<crypto::PrfId> prf;
  std::vector<crypto::IntegId> integ;
  std::vector<crypto::KeGroup> ke;
  std::vector<crypto::EsnId> esn;

  // True if the encryption algorithms are AEADs (Validate() guarantees they all agree).
  bool aead() const;
  // Checks the rules above and that every algorithm is supported by crypto/transforms.h.
  Status Validate() const;

  // The swanctl syntax that parses back to this proposal, e.g. "aes256gcm16-prfsha256-ecp256".
  std::string ToString() const;
  // strongSwan's log style, e.g. "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256", for "configured
  // proposals" / "received proposals" log lines.
  std::string Describe() const;

  // One wire transform per algorithm, in type order ENCR, PRF, INTEG, KE, ESN (RFC 7296 §3.3.2), with
  // the Key Length attribute where the transform needs one. `include_ke` = false drops the KE
  // transforms, for the CHILD SA carried in IKE_AUTH, which has no KE payload (RFC 7296 §1.2).
  wire::Proposal ToWire(std::uint8_t number, wire::Bytes spi, bool include_ke = true) const;
  // The inverse, for logging and for checking what a peer offered: transforms Isthmus does not support
  // (unknown IDs, other key lengths, unknown attributes) are left out. Fails only for a protocol other
  // than IKE or ESP.
  static Result<Proposal> FromWire(const wire::Proposal& p);

  bool operator==(const Proposal&) const = default;
};

// The wire SA payload for a list of proposals, numbered 1, 2, ... in order (RFC 7296 §3.3.1).
wire::SaPayload ToWireSa(std::span<const Proposal> proposals, const wire::Bytes& spi, bool include_ke = true);

// Parses one proposal in swanctl syntax: tokens separated by '-', case-insensitive. Tokens Isthmus
// supports:
//   encryption: aes128 aes256 (AES-CBC), aes128gcm16 aes256gcm16 (also ...gcm128, ...gcm),
//               chacha20poly1305
//   integrity:  sha256 sha384 sha512 (also sha2_256 ...): HMAC-SHA2-256-128/384-192/512-256
//   prf:        prfsha256 prfsha384 prfsha512
//   key exch.:  modp1024 (weak) modp2048 ecp256 ecp384 curve25519 x25519
//   esn:        esn noesn
// Rules (strongSwan's check_proposal, with two deliberate refusals where strongSwan silently drops):
//   - classic and AEAD encryption cannot be mixed in one proposal;
//   - IKE: without prf tokens the PRFs are derived from the integrity tokens (sha256 -> prfsha256),
//     then, for AEAD, the integrity tokens are dropped ("aes256gcm16-sha256-ecp256" is valid); no PRF
//     at all is an error; a key exchange group is mandatory; esn tokens are an error;
//   - ESP: an integrity token with AEAD encryption is an error (strongSwan drops it silently);
//     prf tokens are an error (strongSwan drops them); without esn tokens, noesn is assumed;
//     key exchange tokens are the PFS groups;
//   - classic encryption needs an integrity algorithm (strongSwan requires it for IKE only; Isthmus's
//     data plane does not run encryption-only ESP, RFC 4303 §3.2).
// Errors: kInvalidArgument, code "InvalidProposal", the message names the offending token.
Result<Proposal> ParseProposal(std::string_view text, wire::ProtocolId protocol);
// A comma-separated list, as in swanctl.conf ("aes256gcm16-prfsha256-ecp256, aes256-sha256-modp2048").
// The keyword "default" expands to DefaultIkeProposals() / DefaultEspProposals().
Result<std::vector<Proposal>> ParseProposals(std::string_view text, wire::ProtocolId protocol);

// Isthmus's defaults (DESIGN.md §4): modern first. IKE: AES-GCM-256/128 or ChaCha20-Poly1305 with
// PRF-SHA2-256/384/512 over ECP-256, Curve25519, ECP-384, MODP-2048; then AES-CBC with HMAC-SHA2.
// ESP: AES-GCM-256/128, ChaCha20-Poly1305; then AES-CBC with HMAC-SHA2; no PFS; ESN preferred, no-ESN
// accepted.
std::vector<Proposal> DefaultIkeProposals();
std::vector<Proposal> DefaultEspProposals();
// What an Azure VPN gateway offers and accepts without a custom policy, restricted to what Isthmus
// supports (Azure's default set also has 3DES and SHA1, which Isthmus does not implement):
// IKE AES256/AES128 with SHA256 over DHGroup2 (MODP-1024, weak) or DHGroup14; ESP GCMAES256 or AES256
// with SHA256, no PFS.
std::vector<Proposal> AzureDefaultIkeProposals();
std::vector<Proposal> AzureDefaultEspProposals();

// The negotiated IKE SA transforms: one of each type.
struct IkeSuite {
  EncrAlg encr;
  crypto::PrfId prf = crypto::PrfId::kHmacSha2_256;
  crypto::IntegId integ = crypto::IntegId::kNone;  // kNone exactly when encr is an AEAD (RFC 5282 §8)
  crypto::KeGroup ke = crypto::KeGroup::kEcp256;
  bool aead() const { return encr.aead(); }
  // The reply proposal (RFC 7296 §2.7): the echoed number, our SPI, one transform per type.
  wire::Proposal ToWire(std::uint8_t number, wire::Bytes spi) const;
  std::string Describe() const;  // "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256"
  bool operator==(const IkeSuite&) const = default;
};

// The negotiated CHILD (ESP) SA transforms.
struct ChildSuite {
  EncrAlg encr;
  crypto::IntegId integ = crypto::IntegId::kNone;  // kNone exactly when encr is an AEAD
  crypto::KeGroup ke = crypto::KeGroup::kNone;     // PFS group of a CREATE_CHILD_SA; kNone = no PFS
  bool esn = false;
  wire::Proposal ToWire(std::uint8_t number, wire::Bytes spi) const;
  std::string Describe() const;  // "ESP:AES_GCM_16_256/NO_EXT_SEQ"
  bool operator==(const ChildSuite&) const = default;
};

// Names for logs: "AES_GCM_16_256", "PRF_HMAC_SHA2_256", "HMAC_SHA2_256_128", "ECP_256", "NO_EXT_SEQ".
std::string EncrName(const EncrAlg& e);
std::string_view PrfName(crypto::PrfId id);
std::string_view IntegName(crypto::IntegId id);
std::string_view KeName(crypto::KeGroup g);

}  // namespace isthmus::ike::sa
