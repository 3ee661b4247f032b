#include "ike/sa/azure_policy.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace isthmus::ike::sa {
namespace {

using crypto::EncrId;
using crypto::IntegId;
using crypto::KeGroup;
using crypto::PrfId;

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

Error Invalid(std::string_view field, std::string message) {
  return Error::Invalid("InvalidIpsecPolicy", std::move(message), std::string(field));
}
Error Unsupported(std::string_view field, std::string_view value) {
  return Error::Invalid(
      "UnsupportedIpsecPolicy",
      fmt::format("{} '{}' is a valid Azure value that Isthmus does not implement (DESIGN.md §4)", field,
                  value),
      std::string(field));
}

template <typename T>
struct Entry {
  std::string_view name;
  std::optional<T> value;  // nullopt: a real Azure value Isthmus does not support
};

template <typename T, std::size_t N>
Result<T> Lookup(const Entry<T> (&table)[N], std::string_view field, std::string_view value) {
  const std::string up = Upper(value);
  for (const auto& e : table) {
    if (e.name == up) {
      if (!e.value) return Fail(Unsupported(field, value));
      return *e.value;
    }
  }
  std::vector<std::string_view> allowed;
  for (const auto& e : table) {
    if (e.value) allowed.push_back(e.name);
  }
  return Fail(Invalid(field, fmt::format("{} '{}' is not recognized; Isthmus supports {}", field, value,
                                         fmt::join(allowed, ", "))));
}

// Encryption fields. GCMAESn doubles as an integrity value, which is what makes the pairing rules below.
const Entry<EncrAlg> kEncryption[] = {
    {"AES128", EncrAlg{EncrId::kAesCbc, 128}},
    {"AES256", EncrAlg{EncrId::kAesCbc, 256}},
    {"GCMAES128", EncrAlg{EncrId::kAesGcm16, 128}},
    {"GCMAES256", EncrAlg{EncrId::kAesGcm16, 256}},
    {"AES192", std::nullopt},
    {"GCMAES192", std::nullopt},
    {"DES", std::nullopt},
    {"DES3", std::nullopt},
    {"NONE", std::nullopt},
};

// Integrity fields: a hash (SHA256/SHA384) or "the GCM of the same strength".
struct Integ {
  std::optional<IntegId> hmac;  // set for SHAn
  std::optional<EncrAlg> gcm;   // set for GCMAESn
};
const Entry<Integ> kIntegrity[] = {
    {"SHA256", Integ{IntegId::kHmacSha2_256_128, std::nullopt}},
    {"SHA384", Integ{IntegId::kHmacSha2_384_192, std::nullopt}},
    {"GCMAES128", Integ{std::nullopt, EncrAlg{EncrId::kAesGcm16, 128}}},
    {"GCMAES256", Integ{std::nullopt, EncrAlg{EncrId::kAesGcm16, 256}}},
    {"GCMAES192", std::nullopt},
    {"SHA1", std::nullopt},
    {"MD5", std::nullopt},
};

const Entry<KeGroup> kDhGroup[] = {
    {"DHGROUP2", KeGroup::kModp1024},    {"DHGROUP14", KeGroup::kModp2048},
    {"DHGROUP2048", KeGroup::kModp2048}, {"ECP256", KeGroup::kEcp256},
    {"ECP384", KeGroup::kEcp384},        {"DHGROUP1", std::nullopt},
    {"DHGROUP24", std::nullopt},         {"NONE", std::nullopt},
};

const Entry<KeGroup> kPfsGroup[] = {
    {"NONE", KeGroup::kNone},        {"PFS2", KeGroup::kModp1024}, {"PFS14", KeGroup::kModp2048},
    {"PFS2048", KeGroup::kModp2048}, {"ECP256", KeGroup::kEcp256}, {"ECP384", KeGroup::kEcp384},
    {"PFS1", std::nullopt},          {"PFS24", std::nullopt},      {"PFSMM", std::nullopt},
};

PrfId PrfFor(IntegId id) {
  return id == IntegId::kHmacSha2_384_192 ? PrfId::kHmacSha2_384 : PrfId::kHmacSha2_256;
}

}  // namespace

Result<Proposal> AzureIkeProposal(const AzureIpsecPolicy& policy) {
  auto encr = Lookup(kEncryption, "ikeEncryption", policy.ike_encryption);
  if (!encr) return Fail(encr.error());
  auto integ = Lookup(kIntegrity, "ikeIntegrity", policy.ike_integrity);
  if (!integ) return Fail(integ.error());
  auto group = Lookup(kDhGroup, "dhGroup", policy.dh_group);
  if (!group) return Fail(group.error());

  Proposal p;
  p.protocol = wire::ProtocolId::kIke;
  p.encr = {*encr};
  p.ke = {*group};
  if (encr->aead()) {
    if (integ->gcm && *integ->gcm != *encr) {
      return Fail(Invalid("ikeIntegrity", fmt::format("ikeIntegrity '{}' must match ikeEncryption '{}'",
                                                      policy.ike_integrity, policy.ike_encryption)));
    }
    p.prf = {integ->hmac ? PrfFor(*integ->hmac) : PrfId::kHmacSha2_256};
  } else {
    if (!integ->hmac) {
      return Fail(Invalid("ikeIntegrity", fmt::format("ikeIntegrity '{}' needs GCM ikeEncryption, not '{}'",
                                                      policy.ike_integrity, policy.ike_encryption)));
    }
    p.integ = {*integ->hmac};
    p.prf = {PrfFor(*integ->hmac)};
  }
  if (auto valid = p.Validate(); !valid) return Fail(Invalid("ikeEncryption", valid.error().message));
  return p;
}

Result<Proposal> AzureEspProposal(const AzureIpsecPolicy& policy) {
  auto encr = Lookup(kEncryption, "ipsecEncryption", policy.ipsec_encryption);
  if (!encr) return Fail(encr.error());
  auto integ = Lookup(kIntegrity, "ipsecIntegrity", policy.ipsec_integrity);
  if (!integ) return Fail(integ.error());
  auto pfs = Lookup(kPfsGroup, "pfsGroup", policy.pfs_group);
  if (!pfs) return Fail(pfs.error());

  Proposal p;
  p.protocol = wire::ProtocolId::kEsp;
  p.encr = {*encr};
  p.esn = {crypto::EsnId::kNoEsn};
  if (*pfs != KeGroup::kNone) p.ke = {*pfs};
  if (encr->aead()) {
    // Azure: "If GCMAES is used for IPsec encryption, the same GCMAES algorithm and key length must be
    // selected for IPsec integrity."
    if (!integ->gcm || *integ->gcm != *encr) {
      return Fail(Invalid("ipsecIntegrity",
                          fmt::format("ipsecIntegrity must be '{}' to match ipsecEncryption, not '{}'",
                                      Upper(policy.ipsec_encryption), policy.ipsec_integrity)));
    }
  } else {
    if (integ->hmac == IntegId::kHmacSha2_384_192) {
      return Fail(Invalid("ipsecIntegrity",
                          "ipsecIntegrity 'SHA384' is not an Azure value (it is one for ikeIntegrity)"));
    }
    if (!integ->hmac) {
      return Fail(
          Invalid("ipsecIntegrity", fmt::format("ipsecIntegrity '{}' can't be used with ipsecEncryption '{}'",
                                                policy.ipsec_integrity, policy.ipsec_encryption)));
    }
    p.integ = {*integ->hmac};
  }
  if (auto valid = p.Validate(); !valid) return Fail(Invalid("ipsecEncryption", valid.error().message));
  return p;
}

}  // namespace isthmus::ike::sa
