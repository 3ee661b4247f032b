#include "ike/wire/exchange_rules.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace isthmus::ike::wire {
namespace {

using P = PayloadType;

// §1.2: HDR, SA, KEi, Ni [, N(NAT_DETECTION_*), N(COOKIE) on a retry, ...]  -->
constexpr PayloadRule kInitRequest[] = {
    {P::kSa, 1, 1},
    {P::kKe, 1, 1},
    {P::kNonce, 1, 1},
    {P::kNotify, 0, kUnbounded},
    {P::kVendorId, 0, kUnbounded},
    {P::kCertReq, 0, kUnbounded},
};
// <--  HDR, SA, KEr, Nr, [CERTREQ]   or   HDR, N(error | COOKIE)
constexpr PayloadRule kInitResponse[] = {
    {P::kSa, 1, 1},
    {P::kKe, 1, 1},
    {P::kNonce, 1, 1},
    {P::kNotify, 0, kUnbounded},
    {P::kVendorId, 0, kUnbounded},
    {P::kCertReq, 0, kUnbounded},
};
// §1.2: HDR, SK {IDi, [CERT,] [CERTREQ,] [IDr,] AUTH, SA, TSi, TSr}  -->
// (SA, TSi, TSr are optional together: RFC 6023 childless, or refused Child SA.)
constexpr PayloadRule kAuthRequest[] = {
    {P::kIdi, 1, 1},
    {P::kCert, 0, kUnbounded},
    {P::kCertReq, 0, kUnbounded},
    {P::kIdr, 0, 1},
    {P::kAuth, 1, 1},
    {P::kSa, 0, 1},
    {P::kTsi, 0, 1},
    {P::kTsr, 0, 1},
    {P::kConfig, 0, 1},
    {P::kNotify, 0, kUnbounded},
    {P::kVendorId, 0, kUnbounded},
    {P::kEap, 0, 1},
};
// <--  HDR, SK {IDr, [CERT,] AUTH, SA, TSi, TSr}   or   HDR, SK {N(AUTHENTICATION_FAILED)}
constexpr PayloadRule kAuthResponse[] = {
    {P::kIdr, 1, 1},
    {P::kCert, 0, kUnbounded},
    {P::kAuth, 1, 1},
    {P::kSa, 0, 1},
    {P::kTsi, 0, 1},
    {P::kTsr, 0, 1},
    {P::kConfig, 0, 1},
    {P::kNotify, 0, kUnbounded},
    {P::kVendorId, 0, kUnbounded},
    {P::kEap, 0, 1},
};
constexpr P kChildTriple[] = {P::kSa, P::kTsi, P::kTsr};
// §1.3: HDR, SK {[N(REKEY_SA)], SA, Ni, [KEi], [TSi, TSr]}  <-->  HDR, SK {SA, Nr, [KEr], [TSi, TSr]}
constexpr PayloadRule kChildExchange[] = {
    {P::kSa, 1, 1},
    {P::kNonce, 1, 1},
    {P::kKe, 0, 1},
    {P::kTsi, 0, 1},
    {P::kTsr, 0, 1},
    {P::kNotify, 0, kUnbounded},
    {P::kVendorId, 0, kUnbounded},
};
constexpr P kTsPair[] = {P::kTsi, P::kTsr};
// §1.4: HDR, SK {[N,] [D,] [CP,] ...}  <-->  HDR, SK {[N,] [D,] [CP], ...}
constexpr PayloadRule kInformational[] = {
    {P::kNotify, 0, kUnbounded},
    {P::kDelete, 0, kUnbounded},
    {P::kConfig, 0, 1},
    {P::kVendorId, 0, kUnbounded},
};
constexpr NotifyType kCookieOnly[] = {NotifyType::kCookie};

constexpr ExchangeRule kRules[] = {
    {ExchangeType::kIkeSaInit, false, false, kInitRequest, {}, false, {}},
    {ExchangeType::kIkeSaInit, true, false, kInitResponse, {}, true, kCookieOnly},
    {ExchangeType::kIkeAuth, false, true, kAuthRequest, kChildTriple, false, {}},
    {ExchangeType::kIkeAuth, true, true, kAuthResponse, kChildTriple, true, {}},
    {ExchangeType::kCreateChildSa, false, true, kChildExchange, kTsPair, false, {}},
    {ExchangeType::kCreateChildSa, true, true, kChildExchange, kTsPair, true, {}},
    {ExchangeType::kInformational, false, true, kInformational, {}, false, {}},
    {ExchangeType::kInformational, true, true, kInformational, {}, false, {}},
};

std::unexpected<WireError> Broken(PayloadType payload, std::string what) {
  return std::unexpected(WireError{NotifyType::kInvalidSyntax, payload, 0, std::move(what)});
}
std::unexpected<WireError> Drop(std::string what) {
  return std::unexpected(WireError{NotifyType::kNone, PayloadType::kNone, 0, std::move(what)});
}

std::string Where(const Message& m) {
  return fmt::format("{} {}", ExchangeName(m.header.exchange), m.header.response ? "response" : "request");
}

WireStatus VerifySa(const Message& m, const SaPayload& sa, bool waived) {
  const auto& proposals = sa.proposals;
  if (proposals.empty()) return Broken(P::kSa, "SA payload carries no proposal");
  if (m.header.response) {
    if (proposals.size() != 1) {
      return Broken(P::kSa,
                    fmt::format("a response must choose exactly one proposal, not {}", proposals.size()));
    }
  } else if (proposals.front().number != 1) {
    return Broken(P::kSa, "the first proposal of a request must be numbered 1 (§3.3.1)");
  }
  const ExchangeType ex = m.header.exchange;
  for (const auto& p : proposals) {
    if (ex == ExchangeType::kIkeSaInit && (p.protocol != ProtocolId::kIke || !p.spi.empty())) {
      return Broken(P::kSa, "IKE_SA_INIT proposals must be for IKE with no SPI");
    }
    if (ex == ExchangeType::kIkeAuth && p.protocol != ProtocolId::kAh && p.protocol != ProtocolId::kEsp) {
      return Broken(P::kSa, "IKE_AUTH proposals must be for AH or ESP");
    }
  }
  if (ex == ExchangeType::kCreateChildSa && !waived) {
    bool rekey_ike = proposals.front().protocol == ProtocolId::kIke;
    bool has_ts = m.Find(P::kTsi) != nullptr;
    for (const auto& p : proposals) {
      if ((p.protocol == ProtocolId::kIke) != rekey_ike) {
        return Broken(P::kSa, "CREATE_CHILD_SA mixes IKE and Child SA proposals");
      }
      if (rekey_ike && p.spi.size() != 8)
        return Broken(P::kSa, "an IKE SA rekey proposal needs an 8-octet SPI");
    }
    if (rekey_ike && has_ts)
      return Broken(P::kTsi, "rekeying the IKE SA takes no traffic selectors (§1.3.2)");
    if (!rekey_ike && !has_ts) return Broken(P::kTsi, "creating a Child SA needs TSi and TSr (§1.3.1)");
  }
  return {};
}

}  // namespace

std::span<const ExchangeRule> ExchangeRules() {
  return kRules;
}

const ExchangeRule* FindExchangeRule(ExchangeType exchange, bool response) {
  for (const auto& r : kRules) {
    if (r.exchange == exchange && r.response == response) return &r;
  }
  return nullptr;
}

WireStatus VerifyEnvelope(const Message& m) {
  const Header& h = m.header;
  const ExchangeRule* rule = FindExchangeRule(h.exchange, h.response);
  if (!rule) return Drop(fmt::format("unsupported exchange type {}", static_cast<unsigned>(h.exchange)));
  // §3.1: "This value MUST NOT be zero." Nothing sensible can answer such a message.
  if (h.initiator_spi == 0) return Drop("initiator SPI is zero");
  if (h.exchange == ExchangeType::kIkeSaInit) {
    if (h.message_id != 0) return Broken(P::kNone, "IKE_SA_INIT must use Message ID 0 (§2.2)");
    if (!h.response && h.responder_spi != 0) {
      return Broken(P::kNone, "an IKE_SA_INIT request must have a zero responder SPI (§3.1)");
    }
  }
  bool has_sk = m.encrypted() != nullptr;
  if (rule->encrypted) {
    if (!has_sk || m.payloads.size() != 1) {
      return Broken(has_sk ? m.payloads.front().type : P::kEncrypted,
                    fmt::format("{} must carry exactly one SK payload and nothing outside it", Where(m)));
    }
  } else if (has_sk) {
    return Broken(P::kEncrypted, fmt::format("{} is never encrypted", Where(m)));
  }
  return {};
}

WireStatus Verify(const Message& m) {
  if (auto env = VerifyEnvelope(m); !env) return env;
  const ExchangeRule& rule = *FindExchangeRule(m.header.exchange, m.header.response);
  if (rule.encrypted && !m.inner) return Drop("Verify() before the SK payload was decrypted");

  const auto contents = m.Contents();
  std::array<unsigned, 256> counts{};
  for (const Payload* p : contents) {
    auto it = std::find_if(rule.payloads.begin(), rule.payloads.end(),
                           [p](const PayloadRule& r) { return r.type == p->type; });
    if (it == rule.payloads.end()) {
      return Broken(p->type, fmt::format("{} is not allowed in {}", PayloadName(p->type), Where(m)));
    }
    if (++counts[static_cast<std::uint8_t>(p->type)] > it->max) {
      return Broken(p->type, fmt::format("too many {} payloads in {} (at most {})", PayloadName(p->type),
                                         Where(m), it->max));
    }
  }

  bool waived = rule.error_notify_waives_minimums && m.FirstErrorNotify() != nullptr;
  for (NotifyType t : rule.standalone_status) waived = waived || m.FindNotify(t) != nullptr;
  if (!waived) {
    for (const auto& r : rule.payloads) {
      if (counts[static_cast<std::uint8_t>(r.type)] < r.min) {
        return Broken(r.type, fmt::format("{} requires {}", Where(m), PayloadName(r.type)));
      }
    }
  }
  if (!rule.all_or_none.empty()) {
    std::size_t present = 0;
    for (P t : rule.all_or_none) present += counts[static_cast<std::uint8_t>(t)] > 0 ? 1 : 0;
    if (present != 0 && present != rule.all_or_none.size()) {
      std::string names;
      for (P t : rule.all_or_none) names += (names.empty() ? "" : ", ") + PayloadName(t);
      return Broken(rule.all_or_none.front(), fmt::format("{} must come together or not at all", names));
    }
  }

  if (const auto* sa = m.Find<SaPayload>(P::kSa)) {
    if (auto s = VerifySa(m, *sa, waived); !s) return s;
  }
  if (m.header.exchange == ExchangeType::kIkeSaInit) {
    if (!m.header.response && m.FindNotify(NotifyType::kCookie) != nullptr) {
      const auto* first = m.payloads.front().As<NotifyPayload>();
      if (!first || first->type != NotifyType::kCookie) {
        return Broken(P::kNotify, "N(COOKIE) must be the first payload (§2.6)");
      }
    }
    if (m.header.response && !waived && m.header.responder_spi == 0) {
      return Broken(P::kNone, "an IKE_SA_INIT response must carry the responder's SPI");
    }
  }
  return {};
}

}  // namespace isthmus::ike::wire
