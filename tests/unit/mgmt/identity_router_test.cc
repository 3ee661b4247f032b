// The router's sign-in and discovery routes, and RBAC on every other route, without sockets: cloud
// metadata, the OpenID configuration, the token endpoint, Isthmus.Identity's principals, 401/403 in
// ARM's shape, lists filtered to a principal's scopes, tracing headers.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/clock.h"
#include "mgmt/auth/authority.h"
#include "mgmt/rest/router.h"
#include "mgmt/store/sqlite_store.h"
#include "test_keys.h"

namespace isthmus::mgmt {
namespace {

constexpr const char* kToken = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
constexpr const char* kOrigin = "https://127.0.0.1:7480";

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

class IdentityRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteStore::Open(":memory:");
    ASSERT_TRUE(store);
    svc_ = std::make_unique<ResourceService>(std::move(*store),
                                             ServiceOptions{*net::Prefix::Parse("198.18.0.0/15")}, rng_);
    ASSERT_TRUE(svc_->Open());
    sub_ = svc_->DefaultSubscription();
    auto principals = auth::PrincipalDirectory::Load(
        svc_->ForeignRows(auth::PrincipalDirectory::kRowKind),
        [this](const std::vector<RowChange>& rows) { return svc_->CommitForeignRows(rows); }, rng_,
        [] { return std::chrono::system_clock::now(); });
    ASSERT_TRUE(principals);
    principals_ = std::move(*principals);
    static const std::string pem = testing::RsaPrivateKeyPem();
    auto issuer = auth::TokenIssuer::FromPem(pem);
    ASSERT_TRUE(issuer);
    auth::AuthorityOptions o;
    o.tenant_id = (*svc_->GetSubscription(sub_)).value("tenantId", "");
    o.origins = {kOrigin};
    authority_.emplace(std::move(*issuer), *principals_, o);
    RouterOptions ro;
    ro.authority = &*authority_;
    router_ = std::make_unique<Router>(*svc_, kToken, nullptr, nullptr, ro);
  }

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& body,
                    const std::string& bearer, const char* api = "2025-05-01") {
    HttpRequest req;
    req.method = method;
    req.path = path;
    if (api) req.query["api-version"] = api;
    req.headers["host"] = "127.0.0.1:7480";
    if (!bearer.empty()) req.headers["authorization"] = "Bearer " + bearer;
    req.body = body;
    return router_->Handle(req);
  }
  static Json J(const HttpResponse& r) { return Json::parse(r.body, nullptr, false); }
  static std::string Code(const HttpResponse& r) {
    Json j = J(r);
    return j.is_object() && j.contains("error") && j["error"].is_object() ? j["error"].value("code", "") : "";
  }
  // `isthmus ad sp create-for-rbac` through the router: appId and password.
  std::pair<std::string, std::string> CreateSp(const std::string& name, const std::string& role,
                                               const std::string& scope) {
    Json body = {{"displayName", name},
                 {"roleAssignments", Json::array({{{"roleDefinitionName", role}, {"scope", scope}}})}};
    HttpResponse r = Call("POST", "/providers/Isthmus.Identity/servicePrincipals", body.dump(), kToken);
    EXPECT_EQ(r.status, 200) << r.body;
    Json j = J(r);
    return {j.value("appId", ""), j.value("password", "")};
  }
  std::string SignIn(const std::pair<std::string, std::string>& sp) {
    HttpRequest req;
    req.method = "POST";
    req.path = "/adfs/oauth2/token";
    req.headers["host"] = "127.0.0.1:7480";
    req.body = fmt::format("grant_type=client_credentials&client_id={}&client_secret={}&scope={}", sp.first,
                           UrlEncode(sp.second), UrlEncode(std::string(kOrigin) + "/.default"));
    HttpResponse r = router_->Handle(req);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers["Cache-Control"], "no-store");
    return J(r).value("access_token", "");
  }
  std::string Sub() const { return "/subscriptions/" + sub_; }

  SeededRng rng_{11};
  std::unique_ptr<ResourceService> svc_;
  std::unique_ptr<auth::PrincipalDirectory> principals_;
  std::optional<auth::Authority> authority_;
  std::unique_ptr<Router> router_;
  std::string sub_;
};

TEST_F(IdentityRouterTest, CloudMetadataPointsAtTheAuthorityWithoutAToken) {
  HttpResponse old =
      Call("GET", "//metadata/endpoints", "", "", "2015-01-01");  // msrestazure's doubled slash
  ASSERT_EQ(old.status, 200) << old.body;
  EXPECT_EQ(J(old)["authentication"]["loginEndpoint"], "https://127.0.0.1:7480/adfs");
  EXPECT_EQ(J(old)["authentication"]["audiences"][0], "https://127.0.0.1:7480/");
  HttpResponse now = Call("GET", "/metadata/endpoints", "", "", "2022-09-01");
  ASSERT_EQ(now.status, 200);
  EXPECT_EQ(J(now)[0]["resourceManager"], "https://127.0.0.1:7480/");
  EXPECT_EQ(J(now)[0]["authentication"]["identityProvider"], "ADFS");
  EXPECT_EQ(Code(Call("GET", "/metadata/endpoints", "", "", "2014-01-01")), "InvalidApiVersionParameter");
  for (const char* p :
       {"/adfs/.well-known/openid-configuration", "/adfs/adfs/.well-known/openid-configuration"}) {
    HttpResponse c = Call("GET", p, "", "", nullptr);
    ASSERT_EQ(c.status, 200) << p;
    EXPECT_EQ(J(c)["token_endpoint"], "https://127.0.0.1:7480/adfs/oauth2/token");
  }
  EXPECT_EQ(J(Call("GET", "/adfs/discovery/keys", "", "", nullptr))["keys"][0]["kty"], "RSA");
  // Everything else still needs a token.
  EXPECT_EQ(Call("GET", "/adfs/nothing", "", "", nullptr).status, 404);
  EXPECT_EQ(Call("GET", "/subscriptions", "", "").status, 401);
}

TEST_F(IdentityRouterTest, AServicePrincipalSignsInAndWorksWithinItsRole) {
  auto contributor = CreateSp("ci", "Contributor", Sub());
  ASSERT_EQ(contributor.second.size(), 40u);
  const std::string token = SignIn(contributor);
  ASSERT_FALSE(token.empty());
  HttpResponse subs = Call("GET", "/subscriptions", "", token, "2022-12-01");
  ASSERT_EQ(subs.status, 200) << subs.body;
  EXPECT_EQ(J(subs)["value"].size(), 1u);
  EXPECT_EQ(
      Call("PUT", Sub() + "/resourceGroups/rg1", R"({"location":"westus"})", token, "2025-04-01").status,
      201);
  EXPECT_EQ(
      Call("PUT", Sub() + "/resourceGroups/rg2", R"({"location":"westus"})", token, "2025-04-01").status,
      201);
  // Principals are managed by Owners only.
  HttpResponse denied = Call("POST", "/providers/Isthmus.Identity/servicePrincipals",
                             R"({"displayName":"x","roleAssignments":[]})", token);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(Code(denied), "AuthorizationFailed");
  EXPECT_EQ(J(Call("GET", "/tenants", "", token, "2022-12-01"))["value"][0]["tenantId"],
            authority_->tenant_id());
  EXPECT_EQ(
      J(Call("GET", Sub() + "/providers/Microsoft.Network", "", token, "2025-04-01"))["registrationState"],
      "Registered");
  EXPECT_FALSE(J(Call("GET", Sub() + "/locations", "", token, "2022-12-01"))["value"].empty());
}

TEST_F(IdentityRouterTest, AReaderReadsButCannotWriteAndSeesOnlyItsScope) {
  ASSERT_EQ(
      Call("PUT", Sub() + "/resourceGroups/rg1", R"({"location":"westus"})", kToken, "2025-04-01").status,
      201);
  ASSERT_EQ(
      Call("PUT", Sub() + "/resourceGroups/rg2", R"({"location":"westus"})", kToken, "2025-04-01").status,
      201);
  const std::string token = SignIn(CreateSp("auditor", "Reader", Sub() + "/resourceGroups/rg1"));
  EXPECT_EQ(Call("GET", Sub() + "/resourceGroups/rg1", "", token, "2025-04-01").status, 200);
  HttpResponse put =
      Call("PUT", Sub() + "/resourceGroups/rg1", R"({"location":"westus"})", token, "2025-04-01");
  EXPECT_EQ(put.status, 403);
  EXPECT_EQ(Code(put), "AuthorizationFailed");
  EXPECT_NE(J(put)["error"]["message"].get<std::string>().find(
                "Microsoft.Resources/subscriptions/resourceGroups/write"),
            std::string::npos);
  EXPECT_EQ(Call("GET", Sub() + "/resourceGroups/rg2", "", token, "2025-04-01").status, 403);
  HttpResponse list = Call("GET", Sub() + "/resourceGroups", "", token, "2025-04-01");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(J(list)["value"].size(), 1u);
  EXPECT_EQ(J(list)["value"][0]["name"], "rg1");
  HttpResponse vnet = Call(
      "PUT", Sub() + "/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v",
      R"({"location":"westus","properties":{"addressSpace":{"addressPrefixes":["10.1.0.0/16"]}}})", token);
  EXPECT_EQ(vnet.status, 403);
  EXPECT_NE(J(vnet)["error"]["message"].get<std::string>().find("Microsoft.Network/virtualNetworks/write"),
            std::string::npos);
}

TEST_F(IdentityRouterTest, EveryResponseCarriesArmsTracingHeaders) {
  HttpResponse r = Call("GET", "/subscriptions", "", kToken, "2022-12-01");
  EXPECT_EQ(r.headers["x-ms-request-id"].size(), 36u);
  EXPECT_EQ(r.headers["x-ms-correlation-request-id"].size(), 36u);
  HttpRequest req;
  req.method = "GET";
  req.path = "/subscriptions";
  req.query["api-version"] = "2022-12-01";
  req.headers = {{"authorization", std::string("Bearer ") + kToken},
                 {"x-ms-client-request-id", "c-1"},
                 {"x-ms-correlation-request-id", "corr-1"}};
  HttpResponse echoed = router_->Handle(req);
  EXPECT_EQ(echoed.headers["x-ms-request-id"], "c-1");
  EXPECT_EQ(echoed.headers["x-ms-correlation-request-id"], "corr-1");
  EXPECT_FALSE(Call("GET", "/subscriptions", "", "", "2022-12-01").headers["x-ms-request-id"].empty());
}

}  // namespace
}  // namespace isthmus::mgmt
