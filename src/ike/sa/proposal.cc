#include "ike/sa/proposal.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "crypto/transforms.h"

namespace isthmus::ike::sa {
namespace {

using crypto::EncrId;
using crypto::EsnId;
using crypto::IntegId;
using crypto::KeGroup;
using crypto::PrfId;

Error BadProposal(std::string message, std::string_view text) {
  return Error::Invalid("InvalidProposal", std::move(message), std::string(text));
}

template <typename T>
void AddUnique(std::vector<T>& v, const T& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

// swanctl keywords (strongSwan's proposal_keywords_static.txt) for the algorithms Isthmus supports.
struct Token {
  std::string_view word;
  wire::TransformType type;
  std::uint16_t id;
  std::uint16_t key_bits;
};
using TT = wire::TransformType;
constexpr std::array kTokens = {
    Token{"aes128", TT::kEncr, 12, 128},
    Token{"aes256", TT::kEncr, 12, 256},
    Token{"aes128gcm16", TT::kEncr, 20, 128},
    Token{"aes128gcm128", TT::kEncr, 20, 128},
    Token{"aes128gcm", TT::kEncr, 20, 128},
    Token{"aes256gcm16", TT::kEncr, 20, 256},
    Token{"aes256gcm128", TT::kEncr, 20, 256},
    Token{"aes256gcm", TT::kEncr, 20, 256},
    Token{"chacha20poly1305", TT::kEncr, 28, 0},
    Token{"sha256", TT::kInteg, 12, 0},
    Token{"sha2_256", TT::kInteg, 12, 0},
    Token{"sha384", TT::kInteg, 13, 0},
    Token{"sha2_384", TT::kInteg, 13, 0},
    Token{"sha512", TT::kInteg, 14, 0},
    Token{"sha2_512", TT::kInteg, 14, 0},
    Token{"prfsha256", TT::kPrf, 5, 0},
    Token{"prfsha384", TT::kPrf, 6, 0},
    Token{"prfsha512", TT::kPrf, 7, 0},
    Token{"modp1024", TT::kKe, 2, 0},
    Token{"modp2048", TT::kKe, 14, 0},
    Token{"ecp256", TT::kKe, 19, 0},
    Token{"ecp384", TT::kKe, 20, 0},
    Token{"curve25519", TT::kKe, 31, 0},
    Token{"x25519", TT::kKe, 31, 0},
    Token{"esn", TT::kEsn, 1, 0},
    Token{"noesn", TT::kEsn, 0, 0},
};

// strongSwan keywords that are real algorithms Isthmus deliberately does not implement: a better error
// than "not recognized" for an operator pasting a config from elsewhere.
constexpr std::string_view kKnownUnsupported[] = {
    "aes192",      "aes192gcm16", "aes192gcm", "aes128gcm8", "aes256gcm8", "aes128gcm12", "aes256gcm12",
    "aes128ccm16", "aes256ccm16", "aes128ctr", "aes256ctr",  "3des",       "des",         "blowfish",
    "camellia128", "camellia256", "null",      "sha1",       "sha",        "md5",         "aesxcbc",
    "aescmac",     "sha256_96",   "prfsha1",   "prfmd5",     "prfaesxcbc", "prfaescmac",  "modp768",
    "modp1536",    "modp3072",    "modp4096",  "modp6144",   "modp8192",   "ecp192",      "ecp224",
    "ecp521",      "curve448",    "x448",      "modpnone",   "aes128gmac",
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

const Token* FindToken(std::string_view word) {
  for (const auto& t : kTokens) {
    if (t.word == word) return &t;
  }
  return nullptr;
}

// The strongSwan PRF for an integrity algorithm (its integ_prf_map), used when an IKE proposal has
// no prf token.
PrfId PrfForInteg(IntegId id) {
  switch (id) {
    case IntegId::kHmacSha2_384_192:
      return PrfId::kHmacSha2_384;
    case IntegId::kHmacSha2_512_256:
      return PrfId::kHmacSha2_512;
    default:
      return PrfId::kHmacSha2_256;
  }
}

std::string_view ProtocolName(wire::ProtocolId p) {
  switch (p) {
    case wire::ProtocolId::kIke:
      return "IKE";
    case wire::ProtocolId::kEsp:
      return "ESP";
    case wire::ProtocolId::kAh:
      return "AH";
    default:
      return "NONE";
  }
}

// Token spellings for ToString (the first of each algorithm's aliases in kTokens).
std::string_view TokenFor(TT type, std::uint16_t id, std::uint16_t key_bits) {
  for (const auto& t : kTokens) {
    if (t.type == type && t.id == id && t.key_bits == key_bits) return t.word;
  }
  return "?";
}

wire::Transform EncrTransform(const EncrAlg& e) {
  std::optional<std::uint16_t> key_length;
  if (e.key_bits != 0) key_length = e.key_bits;
  return wire::Transform::Of(TT::kEncr, static_cast<std::uint16_t>(e.id), key_length);
}

}  // namespace

bool EncrAlg::aead() const {
  auto info = crypto::FindEncr(id, key_bits);
  return info ? info->aead : (id == EncrId::kAesGcm16 || id == EncrId::kChaCha20Poly1305);
}

std::string EncrName(const EncrAlg& e) {
  if (auto info = crypto::FindEncr(e.id, e.key_bits)) return std::string(info->name);
  return fmt::format("ENCR_{}_{}", static_cast<unsigned>(e.id), e.key_bits);
}
std::string_view PrfName(PrfId id) {
  auto info = crypto::FindPrf(id);
  return info ? info->name : "PRF_UNKNOWN";
}
std::string_view IntegName(IntegId id) {
  if (id == IntegId::kNone) return "NONE";
  auto info = crypto::FindInteg(id);
  return info ? info->name : "INTEG_UNKNOWN";
}
std::string_view KeName(KeGroup g) {
  if (g == KeGroup::kNone) return "NONE";
  auto info = crypto::FindKe(g);
  return info ? info->name : "KE_UNKNOWN";
}

bool Proposal::aead() const {
  return !encr.empty() && encr.front().aead();
}

Status Proposal::Validate() const {
  const std::string text = ToString();
  const bool ike = protocol == wire::ProtocolId::kIke;
  if (!ike && protocol != wire::ProtocolId::kEsp) {
    return Fail(BadProposal(
        fmt::format("protocol {} is not supported (IKE and ESP only)", ProtocolName(protocol)), text));
  }
  if (encr.empty()) {
    return Fail(BadProposal(
        fmt::format("an encryption algorithm is mandatory in {} proposals", ProtocolName(protocol)), text));
  }
  const bool all_aead = encr.front().aead();
  for (const auto& e : encr) {
    if (!crypto::FindEncr(e.id, e.key_bits)) {
      return Fail(BadProposal(fmt::format("encryption algorithm {} is not supported", EncrName(e)), text));
    }
    if (e.aead() != all_aead) {
      return Fail(BadProposal(fmt::format("classic and combined-mode (AEAD) encryption algorithms can't be "
                                          "contained in the same {} proposal",
                                          ProtocolName(protocol)),
                              text));
    }
  }
  for (auto i : integ) {
    if (!crypto::FindInteg(i)) return Fail(BadProposal("integrity algorithm is not supported", text));
  }
  if (all_aead && !integ.empty()) {
    return Fail(
        BadProposal(fmt::format("an AEAD {} proposal must not contain an integrity algorithm (RFC 5282 §8)",
                                ProtocolName(protocol)),
                    text));
  }
  if (!all_aead && integ.empty()) {
    return Fail(BadProposal(fmt::format("an integrity algorithm is mandatory in {} proposals with classic "
                                        "(non-AEAD) encryption algorithms",
                                        ProtocolName(protocol)),
                            text));
  }
  for (auto p : prf) {
    if (!crypto::FindPrf(p)) return Fail(BadProposal("PRF is not supported", text));
  }
  for (auto g : ke) {
    if (!crypto::FindKe(g)) {
      return Fail(BadProposal(
          fmt::format("key exchange method {} is not supported", static_cast<unsigned>(g)), text));
    }
  }
  if (ike) {
    if (prf.empty()) return Fail(BadProposal("a PRF algorithm is mandatory in IKE proposals", text));
    if (ke.empty()) return Fail(BadProposal("a key exchange (DH) group is mandatory in IKE proposals", text));
    if (!esn.empty())
      return Fail(BadProposal("ESN is not a transform of IKE proposals (RFC 7296 §3.3.3)", text));
  } else {
    if (!prf.empty())
      return Fail(BadProposal("a PRF has no place in an ESP proposal (RFC 7296 §3.3.3)", text));
    if (esn.empty())
      return Fail(BadProposal("an ESP proposal needs esn and/or noesn (RFC 7296 §3.3.3)", text));
  }
  return {};
}

std::string Proposal::ToString() const {
  std::vector<std::string_view> words;
  for (const auto& e : encr)
    words.push_back(TokenFor(TT::kEncr, static_cast<std::uint16_t>(e.id), e.key_bits));
  for (auto i : integ) words.push_back(TokenFor(TT::kInteg, static_cast<std::uint16_t>(i), 0));
  for (auto p : prf) words.push_back(TokenFor(TT::kPrf, static_cast<std::uint16_t>(p), 0));
  for (auto g : ke) words.push_back(TokenFor(TT::kKe, static_cast<std::uint16_t>(g), 0));
  // "noesn" alone is the ESP default; spelling it out keeps ToString/Parse an exact round trip anyway.
  for (auto e : esn) words.push_back(TokenFor(TT::kEsn, static_cast<std::uint16_t>(e), 0));
  return fmt::format("{}", fmt::join(words, "-"));
}

std::string Proposal::Describe() const {
  std::vector<std::string> names;
  for (const auto& e : encr) names.push_back(EncrName(e));
  for (auto i : integ) names.emplace_back(IntegName(i));
  for (auto p : prf) names.emplace_back(PrfName(p));
  for (auto g : ke) names.emplace_back(KeName(g));
  for (auto e : esn) names.emplace_back(e == EsnId::kEsn ? "EXT_SEQ" : "NO_EXT_SEQ");
  return fmt::format("{}:{}", ProtocolName(protocol), fmt::join(names, "/"));
}

wire::Proposal Proposal::ToWire(std::uint8_t number, wire::Bytes spi, bool include_ke) const {
  wire::Proposal p;
  p.number = number;
  p.protocol = protocol;
  p.spi = std::move(spi);
  for (const auto& e : encr) p.transforms.push_back(EncrTransform(e));
  for (auto x : prf) p.transforms.push_back(wire::Transform::Of(TT::kPrf, static_cast<std::uint16_t>(x)));
  for (auto x : integ) p.transforms.push_back(wire::Transform::Of(TT::kInteg, static_cast<std::uint16_t>(x)));
  if (include_ke) {
    for (auto x : ke) p.transforms.push_back(wire::Transform::Of(TT::kKe, static_cast<std::uint16_t>(x)));
  }
  for (auto x : esn) p.transforms.push_back(wire::Transform::Of(TT::kEsn, static_cast<std::uint16_t>(x)));
  return p;
}

Result<Proposal> Proposal::FromWire(const wire::Proposal& w) {
  if (w.protocol != wire::ProtocolId::kIke && w.protocol != wire::ProtocolId::kEsp) {
    return Fail(Error::Invalid(
        "InvalidProposal", fmt::format("protocol {} is not supported", static_cast<unsigned>(w.protocol))));
  }
  Proposal p;
  p.protocol = w.protocol;
  for (const auto& t : w.transforms) {
    // Any attribute other than one Key Length makes the transform one we do not understand (§3.3.6).
    bool unknown_attr = false;
    for (const auto& a : t.attributes) unknown_attr |= a.type != wire::kAttrKeyLength;
    if (unknown_attr) continue;
    switch (t.type) {
      case TT::kEncr: {
        EncrAlg e{static_cast<EncrId>(t.id), t.key_length().value_or(0)};
        if (crypto::FindEncr(e.id, e.key_bits)) AddUnique(p.encr, e);
        break;
      }
      case TT::kPrf:
        if (!t.key_length() && crypto::FindPrf(static_cast<PrfId>(t.id)))
          AddUnique(p.prf, static_cast<PrfId>(t.id));
        break;
      case TT::kInteg:
        if (!t.key_length() && crypto::FindInteg(static_cast<IntegId>(t.id))) {
          AddUnique(p.integ, static_cast<IntegId>(t.id));
        }
        break;
      case TT::kKe:
        if (!t.key_length() && crypto::FindKe(static_cast<KeGroup>(t.id)))
          AddUnique(p.ke, static_cast<KeGroup>(t.id));
        break;
      case TT::kEsn:
        if (!t.key_length() && t.id <= 1) AddUnique(p.esn, static_cast<EsnId>(t.id));
        break;
      default:
        break;
    }
  }
  return p;
}

wire::SaPayload ToWireSa(std::span<const Proposal> proposals, const wire::Bytes& spi, bool include_ke) {
  wire::SaPayload sa;
  for (std::size_t i = 0; i < proposals.size(); ++i) {
    sa.proposals.push_back(proposals[i].ToWire(static_cast<std::uint8_t>(i + 1), spi, include_ke));
  }
  return sa;
}

Result<Proposal> ParseProposal(std::string_view text, wire::ProtocolId protocol) {
  text = Trim(text);
  if (protocol != wire::ProtocolId::kIke && protocol != wire::ProtocolId::kEsp) {
    return Fail(BadProposal("proposals can be parsed for IKE or ESP only", text));
  }
  if (text.empty()) return Fail(BadProposal("empty proposal", text));
  const bool ike = protocol == wire::ProtocolId::kIke;
  Proposal p;
  p.protocol = protocol;
  std::vector<IntegId> integ_tokens;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t dash = text.find('-', start);
    std::string_view raw =
        text.substr(start, dash == std::string_view::npos ? std::string_view::npos : dash - start);
    std::string word = Lower(Trim(raw));
    start = dash == std::string_view::npos ? text.size() + 1 : dash + 1;
    if (word.empty()) return Fail(BadProposal("empty algorithm name (two '-' in a row?)", text));
    const Token* tok = FindToken(word);
    if (!tok) {
      if (std::ranges::find(kKnownUnsupported, word) != std::end(kKnownUnsupported)) {
        return Fail(BadProposal(
            fmt::format("algorithm '{}' is not supported by Isthmus (see DESIGN.md §4)", word), text));
      }
      return Fail(BadProposal(fmt::format("algorithm '{}' not recognized", word), text));
    }
    switch (tok->type) {
      case TT::kEncr:
        AddUnique(p.encr, EncrAlg{static_cast<EncrId>(tok->id), tok->key_bits});
        break;
      case TT::kInteg:
        AddUnique(integ_tokens, static_cast<IntegId>(tok->id));
        break;
      case TT::kPrf:
        if (!ike)
          return Fail(BadProposal(fmt::format("'{}' is a PRF, which ESP proposals do not have", word), text));
        AddUnique(p.prf, static_cast<PrfId>(tok->id));
        break;
      case TT::kKe:
        AddUnique(p.ke, static_cast<KeGroup>(tok->id));
        break;
      case TT::kEsn:
        if (ike) return Fail(BadProposal(fmt::format("'{}' applies to ESP proposals only", word), text));
        AddUnique(p.esn, static_cast<EsnId>(tok->id));
        break;
    }
  }
  if (p.encr.empty()) {
    return Fail(BadProposal(
        fmt::format("an encryption algorithm is mandatory in {} proposals", ike ? "IKE" : "ESP"), text));
  }
  bool any_aead = false, all_aead = true;
  for (const auto& e : p.encr) {
    any_aead |= e.aead();
    all_aead &= e.aead();
  }
  if (any_aead && !all_aead) {
    return Fail(
        BadProposal(fmt::format("classic and combined-mode (AEAD) encryption algorithms can't be contained "
                                "in the same {} proposal",
                                ike ? "IKE" : "ESP"),
                    text));
  }
  if (ike) {
    if (p.prf.empty()) {
      for (auto i : integ_tokens) AddUnique(p.prf, PrfForInteg(i));
    }
    if (p.prf.empty()) {
      return Fail(BadProposal(all_aead
                                  ? "a PRF algorithm is mandatory in IKE proposals: an AEAD proposal needs a "
                                    "prf token (e.g. prfsha256)"
                                  : "a PRF algorithm is mandatory in IKE proposals",
                              text));
    }
    if (!all_aead) p.integ = integ_tokens;  // AEAD: integrity tokens only named the PRF (strongSwan)
    if (p.ke.empty())
      return Fail(BadProposal("a key exchange (DH) group is mandatory in IKE proposals", text));
  } else {
    if (all_aead && !integ_tokens.empty()) {
      return Fail(BadProposal(
          fmt::format(
              "'{}' is AEAD and already authenticates; an integrity algorithm can't be "
              "combined with it in an ESP proposal",
              TokenFor(TT::kEncr, static_cast<std::uint16_t>(p.encr.front().id), p.encr.front().key_bits)),
          text));
    }
    p.integ = integ_tokens;
    if (p.esn.empty())
      p.esn.push_back(EsnId::kNoEsn);  // strongSwan: "ESN not specified, assume not supported"
  }
  if (auto valid = p.Validate(); !valid) return Fail(BadProposal(valid.error().message, text));
  return p;
}

Result<std::vector<Proposal>> ParseProposals(std::string_view text, wire::ProtocolId protocol) {
  std::vector<Proposal> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    std::string_view item =
        Trim(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    if (Lower(item) == "default") {
      auto defaults = protocol == wire::ProtocolId::kIke ? DefaultIkeProposals() : DefaultEspProposals();
      out.insert(out.end(), defaults.begin(), defaults.end());
      continue;
    }
    auto p = ParseProposal(item, protocol);
    if (!p) return Fail(p.error());
    out.push_back(std::move(*p));
  }
  if (out.size() > 0xFF) return Fail(BadProposal("more than 255 proposals (RFC 7296 §3.3.1)", text));
  return out;
}

namespace {
Proposal MustParse(std::string_view text, wire::ProtocolId protocol) {
  // The built-in strings are fixed and covered by tests; a failure here is a programming error.
  auto p = ParseProposal(text, protocol);
  return p ? std::move(*p) : Proposal{};
}
}  // namespace

std::vector<Proposal> DefaultIkeProposals() {
  return {
      MustParse("aes256gcm16-aes128gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-"
                "ecp256-curve25519-ecp384-modp2048",
                wire::ProtocolId::kIke),
      MustParse("aes256-aes128-sha256-sha384-sha512-prfsha256-prfsha384-prfsha512-ecp256-curve25519-ecp384-"
                "modp2048",
                wire::ProtocolId::kIke),
  };
}

std::vector<Proposal> DefaultEspProposals() {
  return {
      MustParse("aes256gcm16-aes128gcm16-chacha20poly1305-esn-noesn", wire::ProtocolId::kEsp),
      MustParse("aes256-aes128-sha256-sha384-sha512-esn-noesn", wire::ProtocolId::kEsp),
  };
}

std::vector<Proposal> AzureDefaultIkeProposals() {
  return {
      MustParse("aes256-sha256-modp1024", wire::ProtocolId::kIke),
      MustParse("aes128-sha256-modp1024", wire::ProtocolId::kIke),
      MustParse("aes256-sha256-modp2048", wire::ProtocolId::kIke),
  };
}

std::vector<Proposal> AzureDefaultEspProposals() {
  return {
      MustParse("aes256gcm16-noesn", wire::ProtocolId::kEsp),
      MustParse("aes256-sha256-noesn", wire::ProtocolId::kEsp),
  };
}

wire::Proposal IkeSuite::ToWire(std::uint8_t number, wire::Bytes spi) const {
  wire::Proposal p;
  p.number = number;
  p.protocol = wire::ProtocolId::kIke;
  p.spi = std::move(spi);
  p.transforms.push_back(EncrTransform(encr));
  p.transforms.push_back(wire::Transform::Of(TT::kPrf, static_cast<std::uint16_t>(prf)));
  if (integ != IntegId::kNone)
    p.transforms.push_back(wire::Transform::Of(TT::kInteg, static_cast<std::uint16_t>(integ)));
  p.transforms.push_back(wire::Transform::Of(TT::kKe, static_cast<std::uint16_t>(ke)));
  return p;
}

std::string IkeSuite::Describe() const {
  if (integ == IntegId::kNone) return fmt::format("IKE:{}/{}/{}", EncrName(encr), PrfName(prf), KeName(ke));
  return fmt::format("IKE:{}/{}/{}/{}", EncrName(encr), IntegName(integ), PrfName(prf), KeName(ke));
}

wire::Proposal ChildSuite::ToWire(std::uint8_t number, wire::Bytes spi) const {
  wire::Proposal p;
  p.number = number;
  p.protocol = wire::ProtocolId::kEsp;
  p.spi = std::move(spi);
  p.transforms.push_back(EncrTransform(encr));
  if (integ != IntegId::kNone)
    p.transforms.push_back(wire::Transform::Of(TT::kInteg, static_cast<std::uint16_t>(integ)));
  if (ke != KeGroup::kNone)
    p.transforms.push_back(wire::Transform::Of(TT::kKe, static_cast<std::uint16_t>(ke)));
  p.transforms.push_back(wire::Transform::Of(TT::kEsn, esn ? 1 : 0));
  return p;
}

std::string ChildSuite::Describe() const {
  std::string s = fmt::format("ESP:{}", EncrName(encr));
  if (integ != IntegId::kNone) s += fmt::format("/{}", IntegName(integ));
  if (ke != KeGroup::kNone) s += fmt::format("/{}", KeName(ke));
  s += esn ? "/EXT_SEQ" : "/NO_EXT_SEQ";
  return s;
}

}  // namespace isthmus::ike::sa
