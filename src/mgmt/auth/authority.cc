#include "mgmt/auth/authority.h"

#include <ctime>

#include <fmt/format.h>

#include "mgmt/auth/form.h"
#include "mgmt/model/resource_id.h"

namespace isthmus::mgmt::auth {
namespace {

using Json = nlohmann::ordered_json;

std::string StripSlashes(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return std::string(s);
}

std::string UtcText(WallClock::time_point t) {
  std::time_t s = WallClock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  return fmt::format("{:02}/{:02}/{:04} {:02}:{:02}:{:02}", tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
}

AuthFailure OAuthError(int status, std::string error, std::string description) {
  return {status, std::move(error), std::move(description)};
}

// Decodes "Basic base64(id:secret)" (RFC 6749 §2.3.1: both form-encoded first).
std::optional<std::pair<std::string, std::string>> BasicCredentials(std::string_view header) {
  constexpr std::string_view kBasic = "Basic ";
  if (header.size() <= kBasic.size() || !IEquals(header.substr(0, kBasic.size()), kBasic))
    return std::nullopt;
  std::string_view b64 = header.substr(kBasic.size());
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (char c : b64) {
    if (c == '=') break;
    auto p = kAlphabet.find(c);
    if (p == std::string_view::npos) return std::nullopt;
    buf = (buf << 6) | static_cast<unsigned>(p);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xff));
    }
  }
  auto colon = out.find(':');
  if (colon == std::string::npos) return std::nullopt;
  auto id = FormDecode(out.substr(0, colon));
  auto secret = FormDecode(out.substr(colon + 1));
  if (!id || !secret) return std::nullopt;
  return std::pair{std::move(*id), std::move(*secret)};
}

}  // namespace

Authority::Authority(TokenIssuer issuer, PrincipalDirectory& principals, AuthorityOptions options,
                     std::function<WallClock::time_point()> now)
    : issuer_(std::move(issuer)),
      principals_(principals),
      options_(std::move(options)),
      now_(std::move(now)) {
  for (auto& o : options_.origins) o = StripSlashes(o);
}

void Authority::SetOrigins(std::vector<std::string> origins) {
  options_.origins = std::move(origins);
  for (auto& o : options_.origins) o = StripSlashes(o);
}

ValidationRules Authority::Rules() const {
  ValidationRules r;
  for (const auto& o : options_.origins) {
    r.audiences.push_back(o);
    r.issuers.push_back(o + "/adfs");
  }
  return r;
}

std::string Authority::AudienceFor(const std::string& origin) const {
  return StripSlashes(origin) + "/";
}

Json Authority::OpenIdConfiguration(const std::string& origin) const {
  const std::string base = StripSlashes(origin) + "/adfs";
  return {
      {"issuer", base},
      {"authorization_endpoint", base + "/oauth2/authorize"},
      {"token_endpoint", base + "/oauth2/token"},
      {"end_session_endpoint", base + "/oauth2/logout"},
      {"jwks_uri", base + "/discovery/keys"},
      {"access_token_issuer", base},
      {"response_types_supported", Json::array({"token"})},
      {"response_modes_supported", Json::array({"query", "fragment", "form_post"})},
      {"grant_types_supported", Json::array({"client_credentials"})},
      {"subject_types_supported", Json::array({"pairwise"})},
      {"scopes_supported", Json::array({"openid"})},
      {"id_token_signing_alg_values_supported", Json::array({"RS256"})},
      {"token_endpoint_auth_methods_supported", Json::array({"client_secret_post", "client_secret_basic"})},
      {"claims_supported", Json::array({"aud", "iss", "iat", "nbf", "exp", "tid", "appid", "oid", "sub"})}};
}

std::expected<Caller, AuthFailure> Authority::Authenticate(std::string_view token) const {
  const auto now = now_();
  auto claims = issuer_.Validate(token, Rules(), now);
  if (!claims) {
    switch (claims.error().problem) {
      case TokenProblem::kExpired:
        return std::unexpected(AuthFailure{
            401, "ExpiredAuthenticationToken",
            fmt::format("The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                        claims.error().detail, UtcText(now))});
      case TokenProblem::kAudience:
        return std::unexpected(AuthFailure{
            401, "InvalidAuthenticationTokenAudience",
            fmt::format("The access token has been obtained for wrong audience or resource '{}'. It should "
                        "exactly match with one of the allowed audiences '{}'.",
                        claims.error().detail, fmt::join(Rules().audiences, "', '"))});
      case TokenProblem::kIssuer:
        return std::unexpected(AuthFailure{
            401, "InvalidAuthenticationTokenTenant",
            fmt::format("The access token is from the wrong issuer '{}'.", claims.error().detail)});
      case TokenProblem::kSignature:
        return std::unexpected(
            AuthFailure{401, "InvalidAuthenticationToken", "The access token has invalid signature."});
      case TokenProblem::kNotYetValid:
        return std::unexpected(
            AuthFailure{401, "InvalidAuthenticationToken",
                        "The access token is not yet valid (its 'nbf' is in the future)."});
      case TokenProblem::kAlgorithm:
      case TokenProblem::kMalformed:
        break;
    }
    return std::unexpected(AuthFailure{401, "InvalidAuthenticationToken", "The access token is invalid."});
  }
  auto principal = principals_.Find(claims->app_id);
  if (!principal || principal->object_id != claims->object_id) {
    return std::unexpected(
        AuthFailure{401, "InvalidAuthenticationToken",
                    fmt::format("The access token's client '{}' no longer exists.", claims->app_id)});
  }
  return Caller{false, principal->app_id, principal->object_id, principal->roles};
}

std::expected<Json, AuthFailure> Authority::Token(std::string_view form_body,
                                                  std::string_view authorization) const {
  auto form = ParseForm(form_body);
  if (!form) return std::unexpected(OAuthError(400, "invalid_request", form.error().message));
  auto field = [&](const char* name) -> std::string {
    auto it = form->find(name);
    return it == form->end() ? "" : it->second;
  };
  const std::string grant = field("grant_type");
  if (grant.empty()) {
    return std::unexpected(OAuthError(400, "invalid_request", "The request body must contain 'grant_type'."));
  }
  if (grant != "client_credentials") {
    return std::unexpected(OAuthError(
        400, "unsupported_grant_type",
        fmt::format(
            "The grant type '{}' is not supported: this authority issues tokens to service principals "
            "with grant_type=client_credentials.",
            grant)));
  }
  std::string client_id = field("client_id");
  std::string secret = field("client_secret");
  const bool basic_used = !authorization.empty();
  if (basic_used) {
    auto basic = BasicCredentials(authorization);
    if (!basic) {
      return std::unexpected(
          OAuthError(401, "invalid_client", "The Authorization header is not valid Basic authentication."));
    }
    if (!client_id.empty() && client_id != basic->first) {
      return std::unexpected(
          OAuthError(400, "invalid_request", "client_id differs from the Basic credentials."));
    }
    client_id = basic->first;
    secret = basic->second;
  }
  if (client_id.empty() || secret.empty()) {
    return std::unexpected(
        OAuthError(400, "invalid_request", "The request body must contain 'client_id' and 'client_secret'."));
  }
  // The resource: scope ".../.default" (v2, as MSAL sends it) or resource (v1).
  std::string resource = field("resource");
  if (std::string scope = field("scope"); !scope.empty()) {
    std::size_t i = 0;
    while (i < scope.size()) {
      auto j = scope.find(' ', i);
      if (j == std::string::npos) j = scope.size();
      std::string_view s(scope.data() + i, j - i);
      constexpr std::string_view kDefault = "/.default";
      if (s.size() > kDefault.size() && s.substr(s.size() - kDefault.size()) == kDefault) {
        resource = std::string(s.substr(0, s.size() - kDefault.size()));
      }
      i = j + 1;
    }
    if (resource.empty()) {
      return std::unexpected(OAuthError(400, "invalid_scope",
                                        "The client-credentials grant needs a scope of the form "
                                        "'<resource>/.default'."));
    }
  }
  if (resource.empty()) {
    return std::unexpected(
        OAuthError(400, "invalid_request", "The request body must contain 'scope' or 'resource'."));
  }
  const std::string wanted = StripSlashes(resource);
  std::string origin;
  for (const auto& o : options_.origins) {
    if (IEquals(o, wanted)) origin = o;
  }
  // The client is checked before the resource, so an unknown resource tells nothing to a stranger.
  auto principal = principals_.Authenticate(client_id, secret);
  if (!principal) {
    return std::unexpected(OAuthError(401, "invalid_client",
                                      "MSIS9622: Client authentication failed. Please verify the credential "
                                      "provided for client authentication is valid."));
  }
  if (origin.empty()) {
    return std::unexpected(OAuthError(
        400, "invalid_scope",
        fmt::format(
            "AADSTS500011: The resource principal named {} was not found in the tenant. The resources "
            "here are: {}.",
            resource, fmt::join(options_.origins, ", "))));
  }
  const auto now = now_();
  TokenClaims c;
  c.issuer = origin + "/adfs";
  c.audience = origin + "/";
  c.tenant = options_.tenant_id;
  c.app_id = principal->app_id;
  c.object_id = principal->object_id;
  c.issued_at = now;
  c.not_before = now - std::chrono::minutes(5);  // as Azure AD backdates nbf, for clock skew
  c.expires_at = now + options_.token_lifetime;
  auto token = issuer_.Issue(c);
  if (!token) return std::unexpected(OAuthError(500, "server_error", token.error().message));
  const auto lifetime = options_.token_lifetime.count();
  return Json{{"token_type", "Bearer"},
              {"expires_in", lifetime},
              {"ext_expires_in", lifetime},
              {"expires_on",
               std::chrono::duration_cast<std::chrono::seconds>(c.expires_at.time_since_epoch()).count()},
              {"resource", resource},
              {"access_token", *token}};
}

}  // namespace isthmus::mgmt::auth
