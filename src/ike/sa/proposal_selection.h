// Proposal selection (RFC 7296 §2.7, §3.3.6) for both roles, and the key-exchange group negotiation
// around INVALID_KE_PAYLOAD (RFC 7296 §1.2, §1.3, §3.10.1).
//
// Responder: the first of the initiator's proposals that matches one of ours, with one transform of
// each type. Initiator: the responder's answer must be exactly one proposal, numbered like one we sent,
// with one transform per type, each of which we offered in that proposal.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ike/sa/proposal.h"
#include "ike/wire/sa_payload.h"

namespace isthmus::ike::sa {

// Error codes (Error::code). Selection failures carry the RFC notify name, so the engine answers with
// exactly that notify.
inline constexpr std::string_view kNoProposalChosen = "NO_PROPOSAL_CHOSEN";  // RFC 7296 §3.10.1, 14
inline constexpr std::string_view kInvalidKePayload = "INVALID_KE_PAYLOAD";  // RFC 7296 §3.10.1, 17
// The responder chose something we never offered (RFC 7296 §2.7: the initiator MUST reject it).
inline constexpr std::string_view kProposalNotOffered = "ProposalNotOffered";

struct SelectOptions {
  // The CHILD SA negotiated inside IKE_AUTH: its proposals may carry KE transforms, but there is no KE
  // payload and therefore no PFS (RFC 7296 §1.2), so KE transforms are ignored on both sides.
  bool ignore_ke = false;
  // The group of the KE payload that came with the proposals. When that group is acceptable in the
  // matching proposal it is chosen even if the initiator listed another first, so a right guess never
  // costs an INVALID_KE_PAYLOAD round trip (strongSwan does the same).
  std::optional<crypto::KeGroup> received_ke;
};

struct IkeSelection {
  std::uint8_t number = 1;  // the proposal number to echo (RFC 7296 §3.3.1)
  wire::Bytes peer_spi;     // the proposal's SPI (IKE rekey: the peer's new IKE SPI; else empty)
  IkeSuite suite;
  bool operator==(const IkeSelection&) const = default;
};

struct ChildSelection {
  std::uint8_t number = 1;
  wire::Bytes peer_spi;  // 4 octets: the SPI the peer receives on, i.e. our outbound SPI
  ChildSuite suite;
  // peer_spi as a number (network order on the wire); 0 if it is not 4 octets.
  std::uint32_t peer_spi_value() const;
  bool operator==(const ChildSelection&) const = default;
};

// Responder side. `offered` are the initiator's proposals from its SA payload; `configured` ours.
// Fails with kNoProposalChosen (kind kInvalidArgument) naming what was offered.
Result<IkeSelection> SelectIkeProposal(std::span<const wire::Proposal> offered,
                                       std::span<const Proposal> configured,
                                       const SelectOptions& options = {});
Result<ChildSelection> SelectChildProposal(std::span<const wire::Proposal> offered,
                                           std::span<const Proposal> configured,
                                           const SelectOptions& options = {});

// Initiator side: checks the responder's SA payload against what we sent, where `offered[i]` went out
// as proposal number i + 1 (ToWireSa). Fails with kProposalNotOffered.
Result<IkeSelection> CheckIkeResponse(std::span<const Proposal> offered, const wire::SaPayload& response);
Result<ChildSelection> CheckChildResponse(std::span<const Proposal> offered, const wire::SaPayload& response,
                                          bool ignore_ke = false);

// --- Key exchange group negotiation -----------------------------------------------------------------

// The group the initiator guesses for its first KE payload: the first group of its first proposal
// that has one (kNone if none has, e.g. ESP without PFS).
crypto::KeGroup PreferredKeGroup(std::span<const Proposal> proposals);

// Responder: the group to name in INVALID_KE_PAYLOAD when the KE payload's group differs from the
// selected one (RFC 7296 §1.2), or nullopt when they agree.
std::optional<crypto::KeGroup> KeGroupToRequest(crypto::KeGroup selected, std::uint16_t received);

// Initiator: the peer answered INVALID_KE_PAYLOAD naming `requested` (the notify's 2-octet data).
// Returns the group to retry with: it must be a supported group we offered (otherwise a peer could
// steer us to a group we did not agree to) and not the group we just sent (a peer asking for that is
// broken; retrying would loop). Fails with kInvalidKePayload otherwise.
Result<crypto::KeGroup> GroupForInvalidKe(std::span<const Proposal> offered, crypto::KeGroup sent,
                                          std::uint16_t requested);

// The proposals to send in the retry: the same, with `group` moved to the front of every proposal that
// has it, so the responder's choice agrees with the new KE payload.
std::vector<Proposal> PromoteKeGroup(std::span<const Proposal> proposals, crypto::KeGroup group);

}  // namespace isthmus::ike::sa
