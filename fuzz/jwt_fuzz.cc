// libFuzzer target for access tokens (mgmt/auth/tokens.cc). Every input is
//   - decoded by Base64UrlDecode, which must round-trip through Base64UrlEncode when it accepts; and the
//     input's bytes, encoded, must decode back to themselves;
//   - validated as a bearer token as it is: it must be refused, since the issuer's RSA key is generated
//     at startup and no input can carry a signature by it;
//   - when it holds a NUL byte, also signed: the bytes before the first NUL are the JOSE header's JSON
//     text ("{kid}" stands for the key id), the rest the payload's; the harness base64url-encodes both
//     and signs them RS256 with the issuer's key, so the checks after the signature (claim types,
//     exp/nbf, aud, iss) are reached. A token accepted that way must have said exactly RS256, named no
//     other key, and meet every rule.
// Every refusal's detail must be short printable ASCII. A finding reproduces from its input alone: which
// key signs changes no verdict.
//
//   jwt_fuzz fuzz/corpus/jwt -max_total_time=120
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "mgmt/auth/tokens.h"

namespace {

using isthmus::mgmt::auth::Base64UrlDecode;
using isthmus::mgmt::auth::Base64UrlEncode;
using isthmus::mgmt::auth::TokenClaims;
using isthmus::mgmt::auth::TokenIssuer;
using isthmus::mgmt::auth::TokenRejection;
using isthmus::mgmt::auth::ValidationRules;
using isthmus::mgmt::auth::WallClock;
using Json = nlohmann::json;

// The seeds' clock and rules (fuzz/corpus/jwt/signed_*).
const WallClock::time_point kNow = WallClock::time_point(std::chrono::seconds(1'800'000'000));
constexpr const char* kAudience = "https://127.0.0.1:7480";
constexpr const char* kIssuer = "https://127.0.0.1:7480/adfs";

// A broken invariant is a finding: crash so libFuzzer records the input.
void Require(bool ok) {
  if (!ok) __builtin_trap();
}

struct World {
  EVP_PKEY* key = nullptr;  // kept for the process's life
  std::unique_ptr<TokenIssuer> issuer;
  ValidationRules rules;

  World() {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
    Require(key != nullptr);
    BIO* bio = BIO_new(BIO_s_mem());
    Require(PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
    char* pem = nullptr;
    const long n = BIO_get_mem_data(bio, &pem);
    auto made = TokenIssuer::FromPem(std::string(pem, static_cast<std::size_t>(n)));
    BIO_free(bio);
    Require(made.has_value());
    issuer = std::make_unique<TokenIssuer>(std::move(*made));
    rules.audiences = {kAudience};
    rules.issuers = {kIssuer};
  }

  std::string SignRs256(const std::string& header, std::string_view payload) const {
    const std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    unsigned char sig[512];
    std::size_t len = sizeof sig;
    Require(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1);
    Require(EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(input.data()),
                           input.size()) == 1);
    EVP_MD_CTX_free(ctx);
    return input + "." + Base64UrlEncode({reinterpret_cast<const char*>(sig), len});
  }
};

void CheckRefusal(const TokenRejection& r) {
  Require(!r.detail.empty() && r.detail.size() <= 256);
  for (char c : r.detail) Require(c >= 0x20 && c < 0x7f);
}

void CheckBase64(std::string_view input) {
  auto decoded = Base64UrlDecode(input);
  if (decoded) {
    Require(Base64UrlEncode(*decoded) == input);
    Require(decoded->size() == input.size() * 3 / 4);
  }
  auto back = Base64UrlDecode(Base64UrlEncode(input));
  Require(back.has_value() && *back == input);
}

std::string Lower(std::string s) {
  for (auto& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  if (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// A signed token the issuer accepted: check it against the header and payload independently.
void CheckAccepted(const World& w, const std::string& header_text, std::string_view payload_text,
                   const TokenClaims& c) {
  const Json header = Json::parse(header_text, nullptr, false);
  Require(header.is_object());
  const auto alg = header.find("alg");
  Require(alg != header.end() && alg->is_string() && alg->get<std::string>() == "RS256");
  for (const char* name : {"kid", "x5t"}) {
    const auto id = header.find(name);
    Require(id == header.end() || (id->is_string() && id->get<std::string>() == w.issuer->key_id()));
  }
  const Json payload = Json::parse(payload_text, nullptr, false);
  Require(payload.is_object());
  Require(payload.contains("exp") && payload["exp"].is_number_integer());
  Require(payload.contains("appid") && payload["appid"].is_string() &&
          payload["appid"].get<std::string>() == c.app_id);
  Require(payload.contains("oid") && payload["oid"].is_string() &&
          payload["oid"].get<std::string>() == c.object_id);
  Require(kNow < c.expires_at + w.rules.clock_skew);
  Require(!(kNow < c.not_before - w.rules.clock_skew));
  Require(Lower(c.audience) == Lower(kAudience));
  Require(c.issuer == kIssuer);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const World& w = *new World();
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  CheckBase64(input);

  auto raw = w.issuer->Validate(input, w.rules, kNow);
  Require(!raw.has_value());
  CheckRefusal(raw.error());

  const auto nul = input.find('\0');
  if (nul == std::string_view::npos) return 0;
  std::string header(input.substr(0, nul));
  for (auto at = header.find("{kid}"); at != std::string::npos; at = header.find("{kid}", at)) {
    header.replace(at, 5, w.issuer->key_id());
    at += w.issuer->key_id().size();
  }
  const std::string_view payload = input.substr(nul + 1);
  auto signed_token = w.issuer->Validate(w.SignRs256(header, payload), w.rules, kNow);
  if (signed_token) {
    CheckAccepted(w, header, payload, *signed_token);
  } else {
    CheckRefusal(signed_token.error());
  }
  return 0;
}
