// Service principals and the authority (auth/principals.cc, authority.cc, form.cc): secrets kept only as
// hashes, role scopes, the token endpoint's grant handling and every token refusal's ARM code.
#include <gtest/gtest.h>

#include "base/clock.h"
#include "mgmt/auth/authority.h"
#include "mgmt/auth/form.h"
#include "mgmt/auth/principals.h"
#include "test_keys.h"

namespace isthmus::mgmt::auth {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::ordered_json;

TEST(Form, DecodesPairsAndRefusesWhatRfc6749Forbids) {
  auto f =
      ParseForm("grant_type=client_credentials&client_id=a%2Fb&scope=https%3A%2F%2Fh%3A1%2F.default&x=a+b&&");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->at("client_id"), "a/b");
  EXPECT_EQ(f->at("scope"), "https://h:1/.default");
  EXPECT_EQ(f->at("x"), "a b");
  EXPECT_EQ(ParseForm("a=1&a=2").error().code, "invalid_request");
  EXPECT_FALSE(ParseForm("a=%zz"));
  EXPECT_FALSE(ParseForm("a=%4"));
  EXPECT_FALSE(ParseForm("=1"));
  EXPECT_FALSE(ParseForm(std::string(kMaxFormBytes + 1, 'a')));
  std::string many;
  for (std::size_t i = 0; i <= kMaxFormFields; ++i) many += "f" + std::to_string(i) + "=1&";
  EXPECT_FALSE(ParseForm(many));
  EXPECT_TRUE(ParseForm(""));
}

TEST(Scopes, RolesAllowWhatArmAllows) {
  std::vector<RoleAssignment> reader = {{"1", Role::kReader, "/subscriptions/S/resourceGroups/RG1"}};
  std::vector<RoleAssignment> contributor = {{"2", Role::kContributor, "/subscriptions/S"}};
  const std::string vnet =
      "/subscriptions/s/resourcegroups/rg1/providers/Microsoft.Network/virtualNetworks/v";
  EXPECT_TRUE(Permits(reader, vnet, Access::kRead));
  EXPECT_FALSE(Permits(reader, vnet, Access::kWrite));
  EXPECT_FALSE(Permits(reader, "/subscriptions/S/resourceGroups/RG2", Access::kRead));
  EXPECT_FALSE(Permits(reader, "/subscriptions/S/resourceGroups/RG10", Access::kRead))
      << "segments, not prefixes";
  EXPECT_TRUE(Sees(reader, "/subscriptions/S")) << "a group's reader sees its subscription";
  EXPECT_FALSE(Sees(reader, "/subscriptions/T"));
  EXPECT_TRUE(Permits(contributor, vnet, Access::kWrite));
  EXPECT_FALSE(Permits(contributor, vnet, Access::kManagePrincipals));
  EXPECT_FALSE(Permits(contributor, "/subscriptions/T/resourceGroups/x", Access::kRead));
  EXPECT_EQ(*ParseScope("/subscriptions/S/resourcegroups/G/"), "/subscriptions/S/resourceGroups/G");
  for (const char* bad : {"", "subscriptions/S", "/subscriptions", "/subscriptions/S/resourceGroups",
                          "/subscriptions/S/foo/G", "/subscriptions/S/resourceGroups/G/providers/x"}) {
    EXPECT_FALSE(ParseScope(bad)) << bad;
  }
  EXPECT_TRUE(ParseRole("contributor"));
  EXPECT_EQ(ParseRole("Admin").error().code, "RoleDefinitionDoesNotExist");
}

class PrincipalsTest : public ::testing::Test {
 protected:
  void SetUp() override { Load(); }
  void Load() {
    auto d = PrincipalDirectory::Load(
        rows_,
        [this](const std::vector<RowChange>& changes) -> Status {
          if (fail_commits_) return Fail(Error::Unavailable("StoreDown", "the store is down"));
          for (const auto& c : changes) {
            std::erase_if(rows_, [&](const StoredRow& r) { return r.key == c.key; });
            if (c.body) rows_.push_back({c.key, c.kind, *c.body});
          }
          return {};
        },
        rng_, [this] { return now_; });
    ASSERT_TRUE(d) << d.error().message;
    dir_ = std::move(*d);
  }
  std::vector<StoredRow> rows_;
  bool fail_commits_ = false;
  SeededRng rng_{7};
  WallClock::time_point now_ = WallClock::time_point(std::chrono::seconds(1'800'000'000));
  std::unique_ptr<PrincipalDirectory> dir_;
};

TEST_F(PrincipalsTest, SecretsAreShownOnceAndStoredOnlyAsHashes) {
  auto s = dir_->CreateOrPatch({"ci", {{"", Role::kContributor, "/subscriptions/S"}}, 1});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->secret.size(), 40u);
  ASSERT_EQ(rows_.size(), 1u);
  EXPECT_EQ(rows_[0].body.find(s->secret), std::string::npos) << "the secret itself is never stored";
  EXPECT_EQ(s->principal.ToJson().dump().find(s->secret), std::string::npos);
  EXPECT_TRUE(dir_->Authenticate(s->principal.app_id, s->secret));
  EXPECT_FALSE(dir_->Authenticate(s->principal.app_id, s->secret + "x"));
  EXPECT_FALSE(dir_->Authenticate("no-such-app", s->secret));
  // Reloaded from the rows, as after a restart.
  Load();
  auto again = dir_->Authenticate(s->principal.app_id, s->secret);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->roles, s->principal.roles);
  // Past the credential's end date (az's --years), it no longer signs in.
  now_ += 24h * 366;
  EXPECT_FALSE(dir_->Authenticate(s->principal.app_id, s->secret));
}

TEST_F(PrincipalsTest, CreateForRbacWithAnExistingNamePatchesIt) {
  auto first = dir_->CreateOrPatch({"ci", {{"", Role::kReader, "/subscriptions/S"}}, 1});
  auto second =
      dir_->CreateOrPatch({"CI", {{"", Role::kContributor, "/subscriptions/S/resourceGroups/g"}}, 2});
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->principal.app_id, second->principal.app_id);
  EXPECT_EQ(second->principal.roles.size(), 2u);
  EXPECT_FALSE(dir_->Authenticate(first->principal.app_id, first->secret)) << "the old secret is replaced";
  EXPECT_TRUE(dir_->Authenticate(first->principal.app_id, second->secret));
  auto appended = dir_->ResetCredential("ci", true, 1);
  ASSERT_TRUE(appended);
  EXPECT_TRUE(dir_->Authenticate(first->principal.app_id, second->secret));
  EXPECT_TRUE(dir_->Authenticate(first->principal.app_id, appended->secret));
  EXPECT_EQ(appended->principal.credentials.size(), 2u);
  auto reset = dir_->ResetCredential(first->principal.app_id, false, 1);
  ASSERT_TRUE(reset);
  EXPECT_FALSE(dir_->Authenticate(first->principal.app_id, appended->secret));
  EXPECT_TRUE(dir_->Delete(first->principal.object_id));
  EXPECT_FALSE(dir_->Authenticate(first->principal.app_id, reset->secret));
  EXPECT_TRUE(rows_.empty());
  EXPECT_EQ(dir_->Find("ci").error().code, "PrincipalNotFound");
}

TEST_F(PrincipalsTest, BadRequestsAndAFailedCommitChangeNothing) {
  EXPECT_EQ(dir_->CreateOrPatch({"", {}, 1}).error().code, "InvalidDisplayName");
  EXPECT_EQ(dir_->CreateOrPatch({"x", {{"", Role::kReader, "/nope"}}, 1}).error().code, "InvalidScope");
  EXPECT_EQ(dir_->CreateOrPatch({"x", {}, 0}).error().code, "InvalidYears");
  fail_commits_ = true;
  EXPECT_FALSE(dir_->CreateOrPatch({"x", {}, 1}));
  EXPECT_TRUE(dir_->List().empty());
  EXPECT_TRUE(rows_.empty());
}

TEST_F(PrincipalsTest, ACorruptRowIsAnErrorNamingIt) {
  rows_.push_back({"sp:x", PrincipalDirectory::kRowKind, R"({"appId":"x","secrets":[{"salt":"zz"}]})"});
  auto d = PrincipalDirectory::Load(rows_, nullptr, rng_, [this] { return now_; });
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("sp:x"), std::string::npos);
}

// The authority over a real key: the client-credentials grant and what becomes of its tokens.
class AuthorityTest : public PrincipalsTest {
 protected:
  void SetUp() override {
    PrincipalsTest::SetUp();
    static const std::string pem = testing::RsaPrivateKeyPem();
    auto issuer = TokenIssuer::FromPem(pem);
    ASSERT_TRUE(issuer);
    AuthorityOptions o;
    o.tenant_id = "tenant-1";
    o.origins = {"https://127.0.0.1:7480", "https://localhost:7480/"};
    authority_.emplace(std::move(*issuer), *dir_, o, [this] { return now_; });
    auto s = dir_->CreateOrPatch({"ci", {{"", Role::kContributor, "/subscriptions/S"}}, 1});
    ASSERT_TRUE(s);
    app_ = s->principal.app_id;
    secret_ = s->secret;
  }
  std::string Grant(const std::string& scope = "https%3A%2F%2F127.0.0.1%3A7480%2F.default") {
    return "grant_type=client_credentials&client_id=" + app_ + "&client_secret=" + secret_ +
           "&scope=" + scope;
  }
  std::optional<Authority> authority_;
  std::string app_, secret_;
};

TEST_F(AuthorityTest, TheClientCredentialsGrantIssuesATokenThatAuthenticates) {
  auto t = authority_->Token(Grant(), "");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ((*t)["token_type"], "Bearer");
  EXPECT_EQ((*t)["expires_in"], 3600);
  const std::string token = (*t)["access_token"];
  auto caller = authority_->Authenticate(token);
  ASSERT_TRUE(caller) << caller.error().message;
  EXPECT_EQ(caller->app_id, app_);
  EXPECT_FALSE(caller->local);
  ASSERT_EQ(caller->roles.size(), 1u);
  EXPECT_EQ(caller->roles[0].role, Role::kContributor);
  // The other name of this server, and the v1 'resource' form, work too.
  EXPECT_TRUE(authority_->Token(Grant("https%3A%2F%2Flocalhost%3A7480%2F%2F.default"), ""));
  EXPECT_TRUE(authority_->Token("grant_type=client_credentials&client_id=" + app_ + "&client_secret=" +
                                    secret_ + "&resource=https%3A%2F%2F127.0.0.1%3A7480%2F",
                                ""));
  // client_secret_basic (RFC 6749 §2.3.1).
  auto basic = authority_->Token(
      "grant_type=client_credentials&scope=https%3A%2F%2F127.0.0.1%3A7480%2F.default", "Basic " + [&] {
        std::string plain = app_ + ":" + secret_;
        std::string out;
        static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (std::size_t i = 0; i < plain.size(); i += 3) {
          unsigned v = static_cast<unsigned char>(plain[i]) << 16;
          if (i + 1 < plain.size()) v |= static_cast<unsigned char>(plain[i + 1]) << 8;
          if (i + 2 < plain.size()) v |= static_cast<unsigned char>(plain[i + 2]);
          out += a[(v >> 18) & 63];
          out += a[(v >> 12) & 63];
          out += i + 1 < plain.size() ? a[(v >> 6) & 63] : '=';
          out += i + 2 < plain.size() ? a[v & 63] : '=';
        }
        return out;
      }());
  EXPECT_TRUE(basic) << basic.error().message;
}

TEST_F(AuthorityTest, BadGrantsGetOAuthErrors) {
  auto code = [&](const std::string& form) {
    auto t = authority_->Token(form, "");
    EXPECT_FALSE(t) << form;
    return t ? std::string() : t.error().code;
  };
  EXPECT_EQ(code("grant_type=password&username=a&password=b"), "unsupported_grant_type");
  EXPECT_EQ(code("client_id=a&client_secret=b"), "invalid_request");
  EXPECT_EQ(code("grant_type=client_credentials&client_id=" + app_), "invalid_request");
  EXPECT_EQ(code("grant_type=client_credentials&client_id=" + app_ + "&client_secret=" + secret_),
            "invalid_request");
  EXPECT_EQ(code("grant_type=client_credentials&a=%zz"), "invalid_request");
  EXPECT_EQ(code(Grant("https%3A%2F%2Fmanagement.azure.com%2F.default")), "invalid_scope");
  EXPECT_EQ(code(Grant("openid")), "invalid_scope");
  // A wrong secret and an unknown client get the same answer.
  auto wrong = authority_->Token("grant_type=client_credentials&client_id=" + app_ +
                                     "&client_secret=nope&scope=https%3A%2F%2F127.0.0.1%3A7480%2F.default",
                                 "");
  auto unknown = authority_->Token(
      "grant_type=client_credentials&client_id=nobody&client_secret=nope&scope=https%3A%2F%2F127.0.0.1%"
      "3A7480%2F.default",
      "");
  ASSERT_FALSE(wrong);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(wrong.error().status, 401);
  EXPECT_EQ(wrong.error().code, "invalid_client");
  EXPECT_EQ(wrong.error().code, unknown.error().code);
  EXPECT_EQ(wrong.error().message, unknown.error().message);
}

TEST_F(AuthorityTest, TokensAreRefusedWithArmsCodes) {
  const std::string token = (*authority_->Token(Grant(), ""))["access_token"];
  now_ += 2h;
  EXPECT_EQ(authority_->Authenticate(token).error().code, "ExpiredAuthenticationToken");
  now_ -= 2h;
  std::string flipped = token;
  flipped[flipped.size() - 5] = flipped[flipped.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(authority_->Authenticate(flipped).error().code, "InvalidAuthenticationToken");
  EXPECT_EQ(authority_->Authenticate("a.b.c").error().code, "InvalidAuthenticationToken");
  // A deleted principal's token stops working at once.
  ASSERT_TRUE(dir_->Delete(app_));
  auto gone = authority_->Authenticate(token);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, "InvalidAuthenticationToken");
}

TEST_F(AuthorityTest, TheOpenIdConfigurationNamesEveryEndpointTheSdksRead) {
  Json c = authority_->OpenIdConfiguration("https://127.0.0.1:7480");
  EXPECT_EQ(c["issuer"], "https://127.0.0.1:7480/adfs");
  EXPECT_EQ(c["token_endpoint"], "https://127.0.0.1:7480/adfs/oauth2/token");
  for (const char* k : {"authorization_endpoint", "end_session_endpoint", "jwks_uri"}) {
    EXPECT_TRUE(c.contains(k)) << k;
  }
  EXPECT_EQ(authority_->Jwks()["keys"].size(), 1u);
}

}  // namespace
}  // namespace isthmus::mgmt::auth
