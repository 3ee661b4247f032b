// isthmusd's sign-in authority, shaped as AD FS is for Azure Stack Hub: cloud metadata points clients at
// `{base}/adfs`, whose OpenID configuration names a token endpoint for the client-credentials grant
// (RFC 6749 §4.4). Service principals' access tokens are checked here (the router itself accepts the
// local token from the state directory, which is Owner of everything, for the `isthmus` CLI).
// No sockets: the router hands requests in, so all of it is unit-testable.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mgmt/auth/principals.h"
#include "mgmt/auth/tokens.h"

namespace isthmus::mgmt::auth {

// Who is asking.
struct Caller {
  bool local = false;  // the bootstrap token
  std::string app_id;
  std::string object_id;
  std::vector<RoleAssignment> roles;  // local: Owner of "/"
};

// A rejected request: the HTTP status and ARM's (or OAuth's) error.
struct AuthFailure {
  int status = 401;
  std::string code;  // ARM: AuthenticationFailed, InvalidAuthenticationToken, ExpiredAuthenticationToken…
  std::string message;  // OAuth: the error_description
};

struct AuthorityOptions {
  std::string tenant_id;             // the default subscription's tenant
  std::vector<std::string> origins;  // "https://127.0.0.1:7480", …: issuers and audiences derive from these
  std::chrono::seconds token_lifetime{std::chrono::hours(1)};  // as Azure AD's default
};

class Authority {
 public:
  Authority(
      TokenIssuer issuer, PrincipalDirectory& principals, AuthorityOptions options,
      std::function<WallClock::time_point()> now = [] { return WallClock::now(); });

  // A bearer token that is not the local one (the router checks that) → the service principal it was
  // issued to, with its current roles, or why not (ARM's 401 codes).
  std::expected<Caller, AuthFailure> Authenticate(std::string_view token) const;

  // The token endpoint: a form body (and the Authorization header, for client_secret_basic) → the
  // token response JSON, or an OAuth error ({"error":…,"error_description":…} with 400 or 401).
  std::expected<nlohmann::ordered_json, AuthFailure> Token(std::string_view form_body,
                                                           std::string_view authorization) const;

  // The OpenID configuration and key set for the origin a client used (`origin` is "https://host:port").
  nlohmann::ordered_json OpenIdConfiguration(const std::string& origin) const;
  nlohmann::ordered_json Jwks() const { return issuer_.Jwks(); }
  // The audience tokens for this origin carry (what cloud metadata lists under authentication.audiences).
  std::string AudienceFor(const std::string& origin) const;
  // Before serving only (not synchronized): when the port was picked by the kernel.
  void SetOrigins(std::vector<std::string> origins);
  const std::string& tenant_id() const { return options_.tenant_id; }
  PrincipalDirectory& principals() const { return principals_; }

 private:
  ValidationRules Rules() const;
  TokenIssuer issuer_;
  PrincipalDirectory& principals_;
  AuthorityOptions options_;
  std::function<WallClock::time_point()> now_;
};

}  // namespace isthmus::mgmt::auth
