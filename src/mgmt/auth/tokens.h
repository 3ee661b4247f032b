// Access tokens: JWTs signed RS256 (as Azure AD and AD FS sign them) with a key isthmusd keeps in its
// state directory. Issued by the token endpoint for the client-credentials grant and checked on every
// request. libjwt does the encoding; OpenSSL does every signature (libjwt's OpenSSL backend).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace isthmus::mgmt::auth {

using WallClock = std::chrono::system_clock;

// What a token says about its bearer (the claims ARM reads).
struct TokenClaims {
  std::string issuer;                  // iss: "https://HOST:PORT/adfs"
  std::string audience;                // aud: the resource the token is for
  std::string tenant;                  // tid
  std::string app_id;                  // appid (and azp)
  std::string object_id;               // oid (and sub)
  WallClock::time_point issued_at{};   // iat
  WallClock::time_point not_before{};  // nbf
  WallClock::time_point expires_at{};  // exp
};

// Why a token was refused; the router maps each to ARM's 401 error code and message.
enum class TokenProblem {
  kMalformed,    // not three base64url parts of JSON, or claims of the wrong type
  kAlgorithm,    // alg other than RS256 (none, HS256 key confusion, ...) or an unknown kid
  kSignature,    // RS256 but the signature does not verify with our key
  kExpired,      // now >= exp (+ skew)
  kNotYetValid,  // now < nbf (- skew)
  kAudience,     // aud not one of the accepted audiences
  kIssuer,       // iss not one of the accepted issuers
};

struct TokenRejection {
  TokenProblem problem;
  std::string detail;  // for the error message; never contains the token or key material
};

struct ValidationRules {
  std::vector<std::string> audiences;  // compared after removing one trailing '/', case-insensitively
  std::vector<std::string> issuers;    // compared exactly
  std::chrono::seconds clock_skew{std::chrono::seconds(60)};
};

class TokenIssuer {
 public:
  // Loads the RSA signing key (PEM, PKCS#8) from `key_file`, creating a 2048-bit one (mode 0600, written
  // atomically) when the file does not exist. An unreadable or non-RSA file is an error naming it.
  static Result<TokenIssuer> LoadOrCreate(const std::filesystem::path& key_file);
  // From PEM text (tests).
  static Result<TokenIssuer> FromPem(const std::string& private_key_pem);

  TokenIssuer(TokenIssuer&&) noexcept;
  TokenIssuer& operator=(TokenIssuer&&) noexcept;
  ~TokenIssuer();

  // A compact JWS: header {"typ":"JWT","alg":"RS256","kid":KID,"x5t":KID}; payload with aud, iss, iat,
  // nbf, exp (seconds since the epoch), tid, appid, azp, oid, sub, idtyp "app", ver "1.0", and a random
  // jti (uti). The claims' times are taken as given.
  Result<std::string> Issue(const TokenClaims& claims) const;

  // Checks a token: header alg must be exactly RS256 and kid (when present) ours, checked before the
  // signature is; then the signature with our public key; then exp/nbf against `now` with the skew,
  // then aud and iss. Never throws on any input.
  std::expected<TokenClaims, TokenRejection> Validate(std::string_view token, const ValidationRules& rules,
                                                      WallClock::time_point now) const;

  // The key id: base64url of the SHA-1 thumbprint of the DER public key (stable across restarts).
  const std::string& key_id() const;
  // {"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":..,"x5t":..,"n":..,"e":..}]} for jwks_uri.
  nlohmann::json Jwks() const;

 private:
  struct Key;
  explicit TokenIssuer(std::unique_ptr<Key> key);
  std::unique_ptr<Key> key_;
};

// base64url without padding (RFC 7515 §2), shared by the token code and its tests.
std::string Base64UrlEncode(std::string_view bytes);
Result<std::string> Base64UrlDecode(std::string_view text);

}  // namespace isthmus::mgmt::auth
