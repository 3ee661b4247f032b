#include "ike/sa/proposal_selection.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "crypto/transforms.h"

namespace isthmus::ike::sa {
namespace {

using crypto::EsnId;
using crypto::IntegId;
using crypto::KeGroup;
using crypto::PrfId;
using TT = wire::TransformType;

// The transforms of one wire proposal, sorted by type, in the order the sender listed them. A
// transform with an attribute we do not understand is left out (RFC 7296 §3.3.6: "... the responder
// MUST ignore that transform"), as is a Key Length on a transform that takes none.
struct Offered {
  std::vector<EncrAlg> encr;
  std::vector<PrfId> prf;
  std::vector<IntegId> integ;  // may contain kNone
  std::vector<KeGroup> ke;     // may contain kNone
  std::vector<EsnId> esn;
  bool unknown_type = false;    // a Transform Type outside 1..5: the whole proposal is unacceptable
  bool duplicate_type = false;  // for responses: more than one transform of a type
};

Offered Sort(const wire::Proposal& p) {
  Offered o;
  std::uint8_t seen = 0;
  for (const auto& t : p.transforms) {
    const auto type_bit = static_cast<unsigned>(t.type);
    if (type_bit >= 1 && type_bit <= 5) {
      if (seen & (1u << type_bit)) o.duplicate_type = true;
      seen = static_cast<std::uint8_t>(seen | (1u << type_bit));
    }
    bool odd_attr = false;
    for (const auto& a : t.attributes) odd_attr |= a.type != wire::kAttrKeyLength;
    if (odd_attr) continue;
    const bool has_key_length = t.key_length().has_value();
    switch (t.type) {
      case TT::kEncr:
        o.encr.push_back({static_cast<crypto::EncrId>(t.id), t.key_length().value_or(0)});
        break;
      case TT::kPrf:
        if (!has_key_length) o.prf.push_back(static_cast<PrfId>(t.id));
        break;
      case TT::kInteg:
        if (!has_key_length) o.integ.push_back(static_cast<IntegId>(t.id));
        break;
      case TT::kKe:
        if (!has_key_length) o.ke.push_back(static_cast<KeGroup>(t.id));
        break;
      case TT::kEsn:
        if (!has_key_length) o.esn.push_back(static_cast<EsnId>(t.id));
        break;
      default:
        o.unknown_type = true;
        break;
    }
  }
  return o;
}

template <typename T>
bool Contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The first of `theirs` (their preference) that is also in `ours`.
template <typename T>
std::optional<T> FirstCommon(const std::vector<T>& theirs, const std::vector<T>& ours) {
  for (const auto& x : theirs) {
    if (Contains(ours, x)) return x;
  }
  return std::nullopt;
}

struct Chosen {
  EncrAlg encr;
  PrfId prf = PrfId::kHmacSha2_256;
  IntegId integ = IntegId::kNone;
  KeGroup ke = KeGroup::kNone;
  bool esn = false;
};

std::optional<KeGroup> ChooseKe(const Offered& o, const Proposal& c, const SelectOptions& opt) {
  if (opt.received_ke && Contains(o.ke, *opt.received_ke) && Contains(c.ke, *opt.received_ke)) {
    return *opt.received_ke;
  }
  return FirstCommon(o.ke, c.ke);
}

// One offered proposal against one configured proposal.
std::optional<Chosen> Match(const wire::Proposal& offered, const Proposal& c, const SelectOptions& opt) {
  if (offered.protocol != c.protocol) return std::nullopt;
  const Offered o = Sort(offered);
  if (o.unknown_type) return std::nullopt;
  const bool ike = c.protocol == wire::ProtocolId::kIke;
  Chosen ch;

  auto encr = FirstCommon(o.encr, c.encr);
  if (!encr) return std::nullopt;
  ch.encr = *encr;

  if (ike) {
    auto prf = FirstCommon(o.prf, c.prf);
    if (!prf) return std::nullopt;
    ch.prf = *prf;
    if (!o.esn.empty()) return std::nullopt;  // ESN is not an IKE transform (§3.3.3)
  } else if (!o.prf.empty()) {
    return std::nullopt;  // nor is PRF an ESP one
  }

  // An AEAD needs no integrity transform (RFC 5282 §8). Integrity transforms in a proposal that also
  // lists classic ciphers belong to those, so they do not disqualify the AEAD choice.
  if (!ch.encr.aead()) {
    auto integ = FirstCommon(o.integ, c.integ);
    if (!integ) return std::nullopt;
    ch.integ = *integ;
  }

  if (opt.ignore_ke) {
    ch.ke = KeGroup::kNone;
  } else if (ike || !c.ke.empty()) {
    auto ke = ChooseKe(o, c, opt);
    if (!ke) return std::nullopt;
    ch.ke = *ke;
  } else if (!o.ke.empty() && !Contains(o.ke, KeGroup::kNone)) {
    return std::nullopt;  // the peer insists on PFS and we are configured without it
  }

  if (!ike) {
    // ESN is mandatory in ESP proposals (§3.3.3); a peer that leaves it out cannot do ESN.
    const std::vector<EsnId> theirs = o.esn.empty() ? std::vector<EsnId>{EsnId::kNoEsn} : o.esn;
    auto esn = FirstCommon(theirs, c.esn);
    if (!esn) return std::nullopt;
    ch.esn = *esn == EsnId::kEsn;
  }
  return ch;
}

std::string DescribeOffered(std::span<const wire::Proposal> offered) {
  std::vector<std::string> parts;
  for (const auto& w : offered) {
    auto p = Proposal::FromWire(w);
    parts.push_back(p ? p->Describe() : fmt::format("protocol {}", static_cast<unsigned>(w.protocol)));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string DescribeConfigured(std::span<const Proposal> configured) {
  std::vector<std::string> parts;
  for (const auto& p : configured) parts.push_back(p.Describe());
  return fmt::format("{}", fmt::join(parts, ", "));
}

Error NoProposal(std::span<const wire::Proposal> offered, std::span<const Proposal> configured) {
  return Error::Invalid(std::string(kNoProposalChosen),
                        fmt::format("no acceptable proposal: received {}; configured {}",
                                    DescribeOffered(offered), DescribeConfigured(configured)),
                        "SA");
}

template <typename Selection, typename MakeSuite>
Result<Selection> Select(std::span<const wire::Proposal> offered, std::span<const Proposal> configured,
                         const SelectOptions& opt, MakeSuite make) {
  for (const auto& o : offered) {
    for (const auto& c : configured) {
      if (auto ch = Match(o, c, opt)) return Selection{o.number, o.spi, make(*ch)};
    }
  }
  return Fail(NoProposal(offered, configured));
}

Error NotOffered(std::string what) {
  return Error::Invalid(std::string(kProposalNotOffered),
                        fmt::format("responder's choice is invalid: {}", what), "SA");
}

// Checks a response proposal against the one we offered under its number; returns the one-per-type
// choice.
Result<Chosen> CheckChosen(std::span<const Proposal> offered, const wire::SaPayload& response,
                           wire::ProtocolId protocol, bool ignore_ke) {
  if (response.proposals.size() != 1) {
    return Fail(NotOffered(fmt::format("{} proposals instead of exactly one", response.proposals.size())));
  }
  const wire::Proposal& r = response.proposals.front();
  if (r.number == 0 || r.number > offered.size()) {
    return Fail(NotOffered(fmt::format("proposal number {} but we offered {}", r.number, offered.size())));
  }
  const Proposal& ours = offered[r.number - 1];
  if (r.protocol != protocol || ours.protocol != protocol) {
    return Fail(
        NotOffered(fmt::format("protocol {} in answer to a proposal for {}",
                               static_cast<unsigned>(r.protocol), static_cast<unsigned>(ours.protocol))));
  }
  const Offered o = Sort(r);
  if (o.unknown_type) return Fail(NotOffered("a transform type we do not know"));
  if (o.duplicate_type) return Fail(NotOffered("more than one transform of one type"));
  // Sort() dropped transforms with unknown attributes; a chosen transform must not have any.
  std::size_t understood = o.encr.size() + o.prf.size() + o.integ.size() + o.ke.size() + o.esn.size();
  if (understood != r.transforms.size())
    return Fail(NotOffered("a transform with attributes we did not send"));

  const bool ike = protocol == wire::ProtocolId::kIke;
  Chosen ch;
  if (o.encr.size() != 1 || !Contains(ours.encr, o.encr[0])) return Fail(NotOffered("encryption algorithm"));
  ch.encr = o.encr[0];
  if (ike) {
    if (o.prf.size() != 1 || !Contains(ours.prf, o.prf[0])) return Fail(NotOffered("PRF"));
    ch.prf = o.prf[0];
    if (!o.esn.empty()) return Fail(NotOffered("ESN in an IKE proposal"));
  } else if (!o.prf.empty()) {
    return Fail(NotOffered("PRF in an ESP proposal"));
  }
  if (ch.encr.aead()) {
    if (!o.integ.empty() && !(o.integ.size() == 1 && o.integ[0] == IntegId::kNone)) {
      return Fail(NotOffered("integrity algorithm with an AEAD"));
    }
  } else {
    if (o.integ.size() != 1 || !Contains(ours.integ, o.integ[0]))
      return Fail(NotOffered("integrity algorithm"));
    ch.integ = o.integ[0];
  }
  const bool ke_expected = !ignore_ke && (ike || !ours.ke.empty());
  if (ke_expected) {
    if (o.ke.size() != 1 || !Contains(ours.ke, o.ke[0])) return Fail(NotOffered("key exchange group"));
    ch.ke = o.ke[0];
  } else if (!o.ke.empty() && !(o.ke.size() == 1 && (o.ke[0] == KeGroup::kNone || ignore_ke))) {
    return Fail(NotOffered("a key exchange group we did not ask for"));
  }
  if (!ike) {
    const EsnId esn = o.esn.empty() ? EsnId::kNoEsn : o.esn[0];
    if (!Contains(ours.esn, esn)) return Fail(NotOffered("ESN choice"));
    ch.esn = esn == EsnId::kEsn;
  }
  return ch;
}

IkeSuite ToIkeSuite(const Chosen& c) {
  return IkeSuite{c.encr, c.prf, c.integ, c.ke};
}
ChildSuite ToChildSuite(const Chosen& c) {
  return ChildSuite{c.encr, c.integ, c.ke, c.esn};
}

}  // namespace

std::uint32_t ChildSelection::peer_spi_value() const {
  if (peer_spi.size() != 4) return 0;
  return std::uint32_t{peer_spi[0]} << 24 | std::uint32_t{peer_spi[1]} << 16 |
         std::uint32_t{peer_spi[2]} << 8 | peer_spi[3];
}

Result<IkeSelection> SelectIkeProposal(std::span<const wire::Proposal> offered,
                                       std::span<const Proposal> configured, const SelectOptions& options) {
  return Select<IkeSelection>(offered, configured, options, ToIkeSuite);
}

Result<ChildSelection> SelectChildProposal(std::span<const wire::Proposal> offered,
                                           std::span<const Proposal> configured,
                                           const SelectOptions& options) {
  return Select<ChildSelection>(offered, configured, options, ToChildSuite);
}

Result<IkeSelection> CheckIkeResponse(std::span<const Proposal> offered, const wire::SaPayload& response) {
  auto ch = CheckChosen(offered, response, wire::ProtocolId::kIke, false);
  if (!ch) return Fail(ch.error());
  const auto& r = response.proposals.front();
  return IkeSelection{r.number, r.spi, ToIkeSuite(*ch)};
}

Result<ChildSelection> CheckChildResponse(std::span<const Proposal> offered, const wire::SaPayload& response,
                                          bool ignore_ke) {
  auto ch = CheckChosen(offered, response, wire::ProtocolId::kEsp, ignore_ke);
  if (!ch) return Fail(ch.error());
  const auto& r = response.proposals.front();
  if (r.spi.size() != 4) return Fail(NotOffered(fmt::format("ESP SPI of {} octets", r.spi.size())));
  return ChildSelection{r.number, r.spi, ToChildSuite(*ch)};
}

KeGroup PreferredKeGroup(std::span<const Proposal> proposals) {
  for (const auto& p : proposals) {
    if (!p.ke.empty()) return p.ke.front();
  }
  return KeGroup::kNone;
}

std::optional<KeGroup> KeGroupToRequest(KeGroup selected, std::uint16_t received) {
  if (static_cast<std::uint16_t>(selected) == received) return std::nullopt;
  return selected;
}

Result<KeGroup> GroupForInvalidKe(std::span<const Proposal> offered, KeGroup sent, std::uint16_t requested) {
  const auto group = static_cast<KeGroup>(requested);
  auto refuse = [&](std::string why) -> Result<KeGroup> {
    return Fail(Error::Invalid(std::string(kInvalidKePayload),
                               fmt::format("peer asked for key exchange group {}: {}", requested, why),
                               "KE"));
  };
  if (group == sent) return refuse("that is the group we sent");
  if (group == KeGroup::kNone || !crypto::FindKe(group)) return refuse("not a group Isthmus supports");
  for (const auto& p : offered) {
    if (Contains(p.ke, group)) return group;
  }
  return refuse("we did not offer it");
}

std::vector<Proposal> PromoteKeGroup(std::span<const Proposal> proposals, KeGroup group) {
  std::vector<Proposal> out(proposals.begin(), proposals.end());
  for (auto& p : out) {
    auto it = std::find(p.ke.begin(), p.ke.end(), group);
    if (it != p.ke.end()) std::rotate(p.ke.begin(), it, it + 1);
  }
  return out;
}

}  // namespace isthmus::ike::sa
