// Azure's view of a connection's IKE SAs (what `az network vpn-connection list-ike-sas` and
// Get-AzVirtualNetworkGatewayConnectionIkeSa print), from the gateway's status entry (gateway/status.cc).
// The algorithm names there are the IKE engine's (ike/sa/proposal.cc: "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/
// ECP_256", "ESP:AES_CBC_256/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ"); this file maps them to Azure's
// policy names (AES256, GCMAES256, SHA256, DHGroup14, PFS2048, ...) as text, since mgmt never includes ike/.
#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <vector>

#include "mgmt/reconcile/reconciler.h"

namespace isthmus::mgmt {
namespace {

// Azure's defaults (VPN Gateway "About cryptographic requirements"), reported when a gateway's status
// predates lifetimes in it.
constexpr std::int64_t kAzureIkeLifetimeS = 28800;
constexpr std::int64_t kAzureChildLifetimeS = 27000;
// Isthmus enforces no volume-based lifetime; Azure would print its 102,400,000 KB here.
constexpr std::int64_t kNoVolumeLifetime = 0;
// RFC 3948 §2: UDP-encapsulated ESP and IKE move to port 4500.
constexpr int kNatTraversalPort = 4500;

struct NameMap {
  std::string_view engine;
  std::string_view azure;
};

constexpr NameMap kEncryption[] = {
    {"AES_GCM_16_256", "GCMAES256"},
    {"AES_GCM_16_192", "GCMAES192"},
    {"AES_GCM_16_128", "GCMAES128"},
    {"AES_CBC_256", "AES256"},
    {"AES_CBC_192", "AES192"},
    {"AES_CBC_128", "AES128"},
    // Azure has no ChaCha20-Poly1305; the name says what it is.
    {"CHACHA20_POLY1305", "ChaCha20Poly1305"},
};
// Integrity transforms and, for AEAD IKE SAs, the PRF (Azure's ikeIntegrity names the PRF then).
constexpr NameMap kIntegrity[] = {
    {"HMAC_SHA2_256_128", "SHA256"}, {"HMAC_SHA2_384_192", "SHA384"}, {"HMAC_SHA2_512_256", "SHA512"},
    {"PRF_HMAC_SHA2_256", "SHA256"}, {"PRF_HMAC_SHA2_384", "SHA384"}, {"PRF_HMAC_SHA2_512", "SHA512"},
};
constexpr NameMap kDhGroup[] = {
    {"MODP_1024", "DHGroup2"}, {"MODP_2048", "DHGroup14"},    {"ECP_256", "ECP256"},
    {"ECP_384", "ECP384"},     {"CURVE_25519", "Curve25519"},
};
constexpr NameMap kPfsGroup[] = {
    {"MODP_1024", "PFS2"}, {"MODP_2048", "PFS2048"},      {"ECP_256", "ECP256"},
    {"ECP_384", "ECP384"}, {"CURVE_25519", "Curve25519"},
};

template <std::size_t N>
std::optional<std::string> Lookup(const NameMap (&table)[N], std::string_view name) {
  for (const auto& m : table) {
    if (m.engine == name) return std::string(m.azure);
  }
  return std::nullopt;
}

struct Suite {
  std::string encryption = "None";
  std::string integrity = "None";
  std::string group = "None";
};

// "IKE:A/B/C" → Azure's names. Unknown words are kept as the engine spells them, so a new transform
// shows up under its own name rather than vanishing.
Suite ParseSuite(std::string_view text, bool esp) {
  Suite s;
  if (auto colon = text.find(':'); colon != std::string_view::npos) text.remove_prefix(colon + 1);
  std::optional<std::string> integ, prf;
  while (!text.empty()) {
    const auto slash = text.find('/');
    const std::string_view word = text.substr(0, slash);
    text = slash == std::string_view::npos ? std::string_view() : text.substr(slash + 1);
    if (word.empty() || word == "EXT_SEQ" || word == "NO_EXT_SEQ" || word == "NONE") continue;
    if (auto e = Lookup(kEncryption, word)) {
      s.encryption = *e;
    } else if (word.starts_with("PRF_")) {
      prf = Lookup(kIntegrity, word).value_or(std::string(word));
    } else if (auto i = Lookup(kIntegrity, word)) {
      integ = *i;
    } else if (auto g = Lookup(esp ? kPfsGroup : kDhGroup, word)) {
      s.group = *g;
    } else if (word.starts_with("MODP_") || word.starts_with("ECP_") || word.starts_with("CURVE_")) {
      s.group = std::string(word);
    } else if (word.starts_with("HMAC_")) {
      integ = std::string(word);
    } else {
      s.encryption = std::string(word);
    }
  }
  const bool aead = s.encryption.starts_with("GCMAES") || s.encryption == "ChaCha20Poly1305";
  if (integ) {
    s.integrity = *integ;
  } else if (esp && aead) {
    s.integrity = s.encryption;  // Azure: GCMAES ipsecEncryption goes with the same ipsecIntegrity
  } else if (prf) {
    s.integrity = *prf;
  }
  return s;
}

// The gateway prints SPIs in hex; Azure's cookies and SPIs are decimal numbers.
std::uint64_t HexValue(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (!v.is_string()) return 0;
  const std::string& s = v.get_ref<const std::string&>();
  std::uint64_t out = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return ec == std::errc() && ptr == s.data() + s.size() ? out : 0;
}

std::int64_t Seconds(const nlohmann::json& j, const char* key, std::int64_t fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

Json Prefixes(const nlohmann::json& j, const char* key) {
  Json out = Json::array();
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& p : *it) {
    if (p.is_string()) out.push_back(p.get<std::string>());
  }
  return out;
}

}  // namespace

std::string EndpointAddress(const std::string& endpoint) {
  if (!endpoint.empty() && endpoint.back() == ']') {
    auto open = endpoint.rfind('[');
    if (open != std::string::npos && open > 0) return endpoint.substr(0, open);
  }
  if (std::count(endpoint.begin(), endpoint.end(), ':') == 1) return endpoint.substr(0, endpoint.find(':'));
  return endpoint;
}

Json AzureIkeSas(const nlohmann::json& c) {
  Json out = Json::array();
  if (!c.is_object() || c.value("state", "") != "Connected") return out;
  auto ike_it = c.find("ike_sa");
  if (ike_it == c.end() || !ike_it->is_object()) return out;
  const nlohmann::json& ike = *ike_it;
  const std::string local = EndpointAddress(c.value("local", ""));
  const std::string remote = EndpointAddress(c.value("remote", ""));
  const bool encap = ike.value("udp_encapsulated", false);
  const Suite suite = ParseSuite(ike.value("algorithms", ""), false);

  Json quick = Json::array();
  if (auto ch = c.find("children"); ch != c.end() && ch->is_array()) {
    for (const auto& k : *ch) {
      if (!k.is_object()) continue;
      const Suite esp = ParseSuite(k.value("algorithms", ""), true);
      Json q;
      q["localEndpoint"] = local;
      q["remoteEndpoint"] = remote;
      q["inboundSpi"] = HexValue(k.value("inbound_spi", nlohmann::json()));
      q["outboundSpi"] = HexValue(k.value("outbound_spi", nlohmann::json()));
      q["localTrafficSelectors"] = Prefixes(k, "local_prefixes");
      q["remoteTrafficSelectors"] = Prefixes(k, "remote_prefixes");
      q["encryption"] = esp.encryption;
      q["integrity"] = esp.integrity;
      q["pfsGroupId"] = esp.group;
      q["lifeTimeSeconds"] = Seconds(k, "lifetime_s", kAzureChildLifetimeS);
      q["lifetimeKilobytes"] = kNoVolumeLifetime;
      q["elapsedTimeInseconds"] = Seconds(k, "established_s", 0);
      quick.push_back(std::move(q));
    }
  }

  Json sa;
  sa["localEndpoint"] = local;
  sa["remoteEndpoint"] = remote;
  sa["initiatorCookie"] = HexValue(ike.value("spi_i", nlohmann::json()));
  sa["responderCookie"] = HexValue(ike.value("spi_r", nlohmann::json()));
  sa["localUdpEncapsulationPort"] = encap ? kNatTraversalPort : 0;
  sa["remoteUdpEncapsulationPort"] = encap ? kNatTraversalPort : 0;
  sa["encryption"] = suite.encryption;
  sa["integrity"] = suite.integrity;
  sa["dhGroup"] = suite.group;
  sa["lifeTimeSeconds"] = Seconds(ike, "lifetime_s", kAzureIkeLifetimeS);
  sa["isSaInitiator"] = ike.value("initiator", false);
  sa["elapsedTimeInseconds"] = Seconds(ike, "established_s", 0);
  sa["quickModeSa"] = std::move(quick);
  out.push_back(std::move(sa));
  return out;
}

Json AgeIkeSas(Json ike_sas, std::int64_t seconds) {
  if (seconds <= 0 || !ike_sas.is_array()) return ike_sas;
  auto age = [&](Json& j) {
    if (auto it = j.find("elapsedTimeInseconds"); it != j.end() && it->is_number_integer()) {
      *it = it->get<std::int64_t>() + seconds;
    }
  };
  for (auto& sa : ike_sas) {
    if (!sa.is_object()) continue;
    age(sa);
    if (auto q = sa.find("quickModeSa"); q != sa.end() && q->is_array()) {
      for (auto& k : *q) {
        if (k.is_object()) age(k);
      }
    }
  }
  return ike_sas;
}

}  // namespace isthmus::mgmt
