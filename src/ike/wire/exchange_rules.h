// Which payloads each exchange carries (RFC 7296 §1.2-1.5, §2.6, §2.21), as data, and Verify().
#pragma once

#include <cstdint>
#include <span>

#include "ike/wire/error.h"
#include "ike/wire/message.h"
#include "ike/wire/types.h"

namespace isthmus::ike::wire {

inline constexpr std::uint8_t kUnbounded = 0xFF;

struct PayloadRule {
  PayloadType type;
  std::uint8_t min;
  std::uint8_t max;  // kUnbounded: any number (the chain bound still applies)
};

struct ExchangeRule {
  ExchangeType exchange;
  bool response;
  // All payloads travel inside SK; outside it there is exactly one SK and nothing else.
  bool encrypted;
  // Allowed payload types with their counts; a known type not listed is refused.
  std::span<const PayloadRule> payloads;
  // Types that come all together or not at all (the Child SA's SA, TSi, TSr in IKE_AUTH).
  std::span<const PayloadType> all_or_none;
  // §2.21: a response that refuses a request carries an error notify instead of the usual payloads,
  // so the minimums do not apply when one is present.
  bool error_notify_waives_minimums;
  // Status notifies that also stand alone in a response (§2.6: N(COOKIE) in an IKE_SA_INIT response).
  std::span<const NotifyType> standalone_status;
};

// The table, for documentation and tests.
std::span<const ExchangeRule> ExchangeRules();
const ExchangeRule* FindExchangeRule(ExchangeType exchange, bool response);

// Checks what can be checked before decryption: a known exchange type and direction, the header rules
// (non-zero initiator SPI; IKE_SA_INIT has Message ID 0 and, in a request, a zero responder SPI), and
// that an encrypted exchange has exactly one SK and nothing outside it while IKE_SA_INIT has no SK.
// An unknown exchange type or a zero initiator SPI suggests kNone (drop), everything else
// INVALID_SYNTAX.
WireStatus VerifyEnvelope(const Message& m);

// Everything VerifyEnvelope checks, plus the contents against the table and these rules:
// - SA: a request's first proposal is numbered 1; a response carries exactly one proposal.
// - IKE_SA_INIT: proposals are for IKE with no SPI; N(COOKIE), if present in a request, comes first
//   (§2.6); a full response has a non-zero responder SPI.
// - CREATE_CHILD_SA: proposals for AH/ESP need TSi and TSr; proposals for IKE (rekeying the IKE SA)
//   need an 8-octet SPI and no traffic selectors (§1.3.1, §1.3.2).
// For encrypted exchanges `m.inner` must have been set from the decrypted SK.
WireStatus Verify(const Message& m);

}  // namespace isthmus::ike::wire
