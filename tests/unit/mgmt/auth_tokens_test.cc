// Access tokens (auth/tokens.cc): issue and validation, every way a token is refused (each forged the way
// an attacker would forge it), the key file, the JWKS and base64url.
#include <jwt.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "mgmt/auth/tokens.h"

namespace isthmus::mgmt::auth {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using Json = nlohmann::json;

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using Pkey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO_free>>;

std::string BioText(BIO* b) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string PrivatePem(EVP_PKEY* key) {
  Bio b(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(b.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return BioText(b.get());
}

std::string PublicPem(EVP_PKEY* key) {
  Bio b(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(b.get(), key);
  return BioText(b.get());
}

Pkey ReadPrivate(const std::string& pem) {
  Bio b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Pkey(PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr));
}

struct Keys {
  std::string priv, pub;
};

Keys NewRsa(unsigned bits = 2048) {
  Pkey k(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
  return {PrivatePem(k.get()), PublicPem(k.get())};
}

std::string Bytes(const unsigned char* p, std::size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

// An RS256 JWS over exactly the given header and payload text, signed with `private_pem` by OpenSSL
// directly: lets a test sign whatever an attacker (or a buggy issuer) would put in a token.
std::string SignRs256(const std::string& private_pem, const std::string& header, const std::string& payload) {
  const std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  Pkey key = ReadPrivate(private_pem);
  std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>> ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()), 1);
  EXPECT_EQ(EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                           input.size()),
            1);
  std::string sig(len, '\0');
  EXPECT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()),
            1);
  sig.resize(len);
  return input + "." + Base64UrlEncode(sig);
}

struct Parts {
  std::string header, payload, signature;  // decoded
};

Parts Decode(const std::string& token) {
  const auto a = token.find('.'), b = token.rfind('.');
  return {Base64UrlDecode(token.substr(0, a)).value_or("?"),
          Base64UrlDecode(token.substr(a + 1, b - a - 1)).value_or("?"),
          Base64UrlDecode(token.substr(b + 1)).value_or("?")};
}

const WallClock::time_point kNow = WallClock::time_point(std::chrono::seconds(1'800'000'000));
constexpr const char* kOrigin = "https://127.0.0.1:7480";

// One temp directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "isthmus-tokens-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

class TokenTest : public ::testing::Test {
 protected:
  // RSA keys are slow to make: two for the whole suite.
  static void SetUpTestSuite() {
    ours_ = new Keys(NewRsa());
    theirs_ = new Keys(NewRsa());
  }
  static void TearDownTestSuite() {
    delete ours_;
    delete theirs_;
  }

  void SetUp() override {
    auto i = TokenIssuer::FromPem(ours_->priv);
    ASSERT_TRUE(i) << i.error().message;
    issuer_.emplace(std::move(*i));
    rules_.audiences = {kOrigin};
    rules_.issuers = {std::string(kOrigin) + "/adfs"};
    claims_.issuer = std::string(kOrigin) + "/adfs";
    claims_.audience = std::string(kOrigin) + "/";
    claims_.tenant = "tenant-1";
    claims_.app_id = "app-1";
    claims_.object_id = "oid-1";
    claims_.issued_at = kNow;
    claims_.not_before = kNow - 5min;
    claims_.expires_at = kNow + 1h;
  }

  std::string Issue(const TokenClaims& c) {
    auto t = issuer_->Issue(c);
    EXPECT_TRUE(t) << t.error().message;
    return t ? *t : std::string();
  }
  std::string Issue() { return Issue(claims_); }

  // The refusal's problem; a test failure if the token is accepted.
  TokenProblem Problem(const std::string& token, WallClock::time_point now = kNow) {
    auto v = issuer_->Validate(token, rules_, now);
    EXPECT_FALSE(v) << "accepted: " << token.substr(0, 80);
    if (v) return static_cast<TokenProblem>(-1);
    if (token.size() >= 20) {
      EXPECT_EQ(v.error().detail.find(token.substr(0, 20)), std::string::npos)
          << "the detail quotes the token";
    }
    return v.error().problem;
  }

  // The header our issuer writes, and a payload with the claims ARM needs, for hand-signed tokens.
  std::string OurHeader() const {
    return Json{{"typ", "JWT"}, {"alg", "RS256"}, {"kid", issuer_->key_id()}, {"x5t", issuer_->key_id()}}
        .dump();
  }
  static Json GoodPayload() {
    return {{"aud", std::string(kOrigin) + "/"},
            {"iss", std::string(kOrigin) + "/adfs"},
            {"iat", 1'800'000'000},
            {"nbf", 1'799'999'700},
            {"exp", 1'800'003'600},
            {"tid", "tenant-1"},
            {"appid", "app-1"},
            {"oid", "oid-1"}};
  }

  static Keys* ours_;
  static Keys* theirs_;
  std::optional<TokenIssuer> issuer_;
  ValidationRules rules_;
  TokenClaims claims_;
};
Keys* TokenTest::ours_ = nullptr;
Keys* TokenTest::theirs_ = nullptr;

TEST_F(TokenTest, AnIssuedTokenValidatesWithTheSameClaims) {
  const std::string t = Issue();
  auto v = issuer_->Validate(t, rules_, kNow);
  ASSERT_TRUE(v) << static_cast<int>(v.error().problem) << " " << v.error().detail;
  EXPECT_EQ(v->issuer, claims_.issuer);
  EXPECT_EQ(v->audience, claims_.audience);
  EXPECT_EQ(v->tenant, claims_.tenant);
  EXPECT_EQ(v->app_id, claims_.app_id);
  EXPECT_EQ(v->object_id, claims_.object_id);
  EXPECT_EQ(v->issued_at, claims_.issued_at);
  EXPECT_EQ(v->not_before, claims_.not_before);
  EXPECT_EQ(v->expires_at, claims_.expires_at);
  // Another issuer over the same key (isthmusd after a restart) accepts it too.
  auto restarted = TokenIssuer::FromPem(ours_->priv);
  ASSERT_TRUE(restarted);
  EXPECT_EQ(restarted->key_id(), issuer_->key_id());
  EXPECT_TRUE(restarted->Validate(t, rules_, kNow));
}

TEST_F(TokenTest, AnIssuedTokenHasAzureAdsHeaderAndClaims) {
  const Parts p = Decode(Issue());
  const Json header = Json::parse(p.header);
  EXPECT_EQ(header,
            (Json{{"typ", "JWT"}, {"alg", "RS256"}, {"kid", issuer_->key_id()}, {"x5t", issuer_->key_id()}}));
  const Json payload = Json::parse(p.payload);
  EXPECT_EQ(payload["aud"], "https://127.0.0.1:7480/");
  EXPECT_EQ(payload["iss"], "https://127.0.0.1:7480/adfs");
  EXPECT_EQ(payload["iat"], 1'800'000'000);
  EXPECT_EQ(payload["nbf"], 1'799'999'700);
  EXPECT_EQ(payload["exp"], 1'800'003'600);
  EXPECT_TRUE(payload["exp"].is_number_integer());
  EXPECT_EQ(payload["tid"], "tenant-1");
  EXPECT_EQ(payload["appid"], "app-1");
  EXPECT_EQ(payload["azp"], "app-1");
  EXPECT_EQ(payload["oid"], "oid-1");
  EXPECT_EQ(payload["sub"], "oid-1");
  EXPECT_EQ(payload["idtyp"], "app");
  EXPECT_EQ(payload["ver"], "1.0");
  ASSERT_TRUE(payload["uti"].is_string());
  EXPECT_EQ(payload["uti"], payload["jti"]);
  EXPECT_EQ(payload["uti"].get<std::string>().size(), 22u);  // 128 bits
  EXPECT_EQ(p.signature.size(), 256u);
  // Every token gets its own id.
  std::set<std::string> ids;
  for (int i = 0; i < 8; ++i) ids.insert(Json::parse(Decode(Issue()).payload)["jti"].get<std::string>());
  EXPECT_EQ(ids.size(), 8u);
}

TEST_F(TokenTest, IssueRefusesClaimsItCannotWriteFaithfully) {
  TokenClaims c = claims_;
  c.app_id = std::string("app\0x", 5);
  EXPECT_FALSE(issuer_->Issue(c));
  c = claims_;
  c.object_id = "\xff\xfe";
  EXPECT_FALSE(issuer_->Issue(c));
  c = claims_;
  c.expires_at = WallClock::time_point(std::chrono::seconds(-1));
  EXPECT_FALSE(issuer_->Issue(c));
}

TEST_F(TokenTest, ExpiryAndNotBeforeHoldWithTheSkew) {
  const std::string t = Issue();
  // now >= exp + skew is expired; the detail is the expiry as ARM quotes it.
  EXPECT_TRUE(issuer_->Validate(t, rules_, claims_.expires_at + 59s));
  EXPECT_EQ(Problem(t, claims_.expires_at + 60s), TokenProblem::kExpired);
  auto expired = issuer_->Validate(t, rules_, claims_.expires_at + 24h);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().problem, TokenProblem::kExpired);
  EXPECT_EQ(expired.error().detail, "01/15/2027 09:00:00");
  // now < nbf - skew is not yet valid.
  EXPECT_TRUE(issuer_->Validate(t, rules_, claims_.not_before - 60s));
  EXPECT_EQ(Problem(t, claims_.not_before - 61s), TokenProblem::kNotYetValid);
  // The skew is the rules'.
  rules_.clock_skew = 0s;
  EXPECT_EQ(Problem(t, claims_.expires_at), TokenProblem::kExpired);
  EXPECT_TRUE(issuer_->Validate(t, rules_, claims_.expires_at - 1s));
  EXPECT_EQ(Problem(t, claims_.not_before - 1s), TokenProblem::kNotYetValid);
}

TEST_F(TokenTest, AudienceIgnoresOneTrailingSlashAndCase) {
  const std::string with_slash = Issue();  // aud "https://127.0.0.1:7480/"
  TokenClaims c = claims_;
  c.audience = kOrigin;
  const std::string without_slash = Issue(c);
  for (const std::string rule :
       {"https://127.0.0.1:7480", "https://127.0.0.1:7480/", "HTTPS://127.0.0.1:7480/"}) {
    rules_.audiences = {rule};
    EXPECT_TRUE(issuer_->Validate(with_slash, rules_, kNow)) << rule;
    EXPECT_TRUE(issuer_->Validate(without_slash, rules_, kNow)) << rule;
  }
  // Any of the accepted audiences will do.
  rules_.audiences = {"https://management.azure.com/", kOrigin};
  EXPECT_TRUE(issuer_->Validate(with_slash, rules_, kNow));
  // Only one slash goes.
  rules_.audiences = {kOrigin};
  c.audience = std::string(kOrigin) + "//";
  EXPECT_EQ(Problem(Issue(c)), TokenProblem::kAudience);
}

TEST_F(TokenTest, AudienceAndIssuerMustBeOurs) {
  TokenClaims c = claims_;
  c.audience = "https://management.azure.com/";
  auto v = issuer_->Validate(Issue(c), rules_, kNow);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().problem, TokenProblem::kAudience);
  EXPECT_EQ(v.error().detail, "https://management.azure.com/");
  rules_.audiences = {};
  EXPECT_EQ(Problem(Issue()), TokenProblem::kAudience);
  rules_.audiences = {kOrigin};

  c = claims_;
  c.issuer = "https://login.microsoftonline.com/tenant-1/";
  EXPECT_EQ(Problem(Issue(c)), TokenProblem::kIssuer);
  // Issuers compare exactly: no case folding, no slash trimming.
  c.issuer = "HTTPS://127.0.0.1:7480/adfs";
  EXPECT_EQ(Problem(Issue(c)), TokenProblem::kIssuer);
  c.issuer = "https://127.0.0.1:7480/adfs/";
  EXPECT_EQ(Problem(Issue(c)), TokenProblem::kIssuer);
  // A quoted claim is printable ASCII whatever the token holds.
  c.issuer = "https://x\n\x01\xc3\xa9";
  auto quoted = issuer_->Validate(Issue(c), rules_, kNow);
  ASSERT_FALSE(quoted);
  EXPECT_EQ(quoted.error().detail, "https://x????");
}

TEST_F(TokenTest, AnotherKeysSignatureIsRefused) {
  auto other = TokenIssuer::FromPem(theirs_->priv);
  ASSERT_TRUE(other);
  ASSERT_NE(other->key_id(), issuer_->key_id());
  // Their own token names their key.
  EXPECT_EQ(Problem(*other->Issue(claims_)), TokenProblem::kAlgorithm);
  // Signed with their key under a header naming ours (kid and x5t forged): the signature is wrong.
  EXPECT_EQ(Problem(SignRs256(theirs_->priv, OurHeader(), GoodPayload().dump())), TokenProblem::kSignature);
  // ... and with no kid at all.
  EXPECT_EQ(Problem(SignRs256(theirs_->priv, R"({"alg":"RS256"})", GoodPayload().dump())),
            TokenProblem::kSignature);
  // The same, signed with our key, is fine: the forgery above failed for its key alone.
  EXPECT_TRUE(issuer_->Validate(SignRs256(ours_->priv, OurHeader(), GoodPayload().dump()), rules_, kNow));
  EXPECT_TRUE(
      issuer_->Validate(SignRs256(ours_->priv, R"({"alg":"RS256"})", GoodPayload().dump()), rules_, kNow));
}

TEST_F(TokenTest, AChangedPayloadOrSignatureIsRefused) {
  const std::string t = Issue();
  const auto dot1 = t.find('.'), dot2 = t.rfind('.');
  Parts p = Decode(t);
  // One byte of the payload flipped ("app-1" -> "app-3"), re-encoded.
  p.payload[p.payload.find("app-1") + 4] ^= 0x02;
  const std::string changed = t.substr(0, dot1) + "." + Base64UrlEncode(p.payload) + t.substr(dot2);
  EXPECT_EQ(Problem(changed), TokenProblem::kSignature);
  // One byte of the signature flipped.
  std::string sig = Decode(t).signature;
  sig[100] ^= 0x01;
  EXPECT_EQ(Problem(t.substr(0, dot2 + 1) + Base64UrlEncode(sig)), TokenProblem::kSignature);
  // A signature cut short, or none.
  EXPECT_EQ(Problem(t.substr(0, dot2 + 1) + Base64UrlEncode(sig.substr(0, 255))), TokenProblem::kSignature);
  EXPECT_EQ(Problem(t.substr(0, dot2 + 1)), TokenProblem::kSignature);
}

TEST_F(TokenTest, AlgNoneIsRefused) {
  const std::string payload = Base64UrlEncode(GoodPayload().dump());
  EXPECT_EQ(Problem(Base64UrlEncode(R"({"alg":"none"})") + "." + payload + "."), TokenProblem::kAlgorithm);
  EXPECT_EQ(Problem(Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." + payload + "."),
            TokenProblem::kAlgorithm);
  // An alg none header in front of a valid RS256 signature.
  const std::string t = Issue();
  EXPECT_EQ(Problem(Base64UrlEncode(R"({"alg":"none"})") + t.substr(t.find('.'))), TokenProblem::kAlgorithm);
}

TEST_F(TokenTest, AnyAlgOtherThanExactlyRs256IsRefusedBeforeTheSignature) {
  // Each is signed RS256 with our own key: only the header's word is wrong.
  const std::string payload = GoodPayload().dump();
  for (const std::string header :
       {R"({"typ":"JWT"})", R"({"alg":"rs256"})", R"({"alg":"Rs256"})", R"({"alg":"RS384"})",
        R"({"alg":"RS256 "})", R"({"alg":["RS256"]})", R"({"alg":null})", R"({"alg":256})",
        R"({"alg":"PS256"})", R"({"alg":"ES256"})"}) {
    EXPECT_EQ(Problem(SignRs256(ours_->priv, header, payload)), TokenProblem::kAlgorithm) << header;
  }
}

TEST_F(TokenTest, Hs256KeyedWithOurPublicKeyIsRefused) {
  // The key-confusion forgery: HS256 with our public key PEM (anyone can rebuild it from jwks_uri) as
  // the HMAC secret.
  const std::string input =
      Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})") + "." + Base64UrlEncode(GoodPayload().dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  ASSERT_NE(HMAC(EVP_sha256(), ours_->pub.data(), static_cast<int>(ours_->pub.size()),
                 reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len),
            nullptr);
  const std::string forged = input + "." + Base64UrlEncode(Bytes(mac, mac_len));
  // The forgery is a good one: libjwt 1.10 on its own, given our public key, accepts it. That is why
  // tokens.cc reads the header before libjwt sees the token.
  jwt_t* raw = nullptr;
  const int rc = jwt_decode(&raw, forged.c_str(), reinterpret_cast<const unsigned char*>(ours_->pub.data()),
                            static_cast<int>(ours_->pub.size()));
  jwt_free(raw);
  EXPECT_EQ(rc, 0) << "libjwt now refuses HS256 keyed with a public key by itself";
  EXPECT_EQ(Problem(forged), TokenProblem::kAlgorithm);
  // Nor with a kid naming our key, nor as "hs256", nor behind a duplicate "alg" (the header is read by
  // two JSON parsers, ours and libjwt's: whichever "alg" each keeps, no HMAC gets through).
  auto hs256 = [&](const std::string& header) {
    const std::string in = Base64UrlEncode(header) + "." + Base64UrlEncode(GoodPayload().dump());
    unsigned char m[EVP_MAX_MD_SIZE];
    unsigned int m_len = 0;
    HMAC(EVP_sha256(), ours_->pub.data(), static_cast<int>(ours_->pub.size()),
         reinterpret_cast<const unsigned char*>(in.data()), in.size(), m, &m_len);
    return in + "." + Base64UrlEncode(Bytes(m, m_len));
  };
  EXPECT_EQ(Problem(hs256(Json{{"alg", "HS256"}, {"kid", issuer_->key_id()}}.dump())),
            TokenProblem::kAlgorithm);
  EXPECT_EQ(Problem(hs256(R"({"alg":"hs256"})")), TokenProblem::kAlgorithm);
  EXPECT_EQ(Problem(hs256(R"({"alg":"RS256","alg":"HS256"})")), TokenProblem::kAlgorithm);
  EXPECT_NE(Problem(hs256(R"({"alg":"HS256","alg":"RS256"})")), static_cast<TokenProblem>(-1));
}

TEST_F(TokenTest, AKidOrX5tOfAnotherKeyIsRefused) {
  auto other = TokenIssuer::FromPem(theirs_->priv);
  ASSERT_TRUE(other);
  const std::string payload = GoodPayload().dump();
  // Signed with our key, so only the key id is wrong.
  for (const Json& header :
       {Json{{"alg", "RS256"}, {"kid", other->key_id()}},
        Json{{"alg", "RS256"}, {"kid", issuer_->key_id()}, {"x5t", other->key_id()}},
        Json{{"alg", "RS256"}, {"x5t", other->key_id()}}, Json{{"alg", "RS256"}, {"kid", ""}},
        Json{{"alg", "RS256"}, {"kid", 1}}, Json{{"alg", "RS256"}, {"x5t", nullptr}}}) {
    EXPECT_EQ(Problem(SignRs256(ours_->priv, header.dump(), payload)), TokenProblem::kAlgorithm)
        << header.dump();
  }
}

TEST_F(TokenTest, GarbageIsMalformed) {
  const std::string good = Issue();
  const std::string header = good.substr(0, good.find('.'));
  const std::string payload = Base64UrlEncode(GoodPayload().dump());
  const std::string sig = good.substr(good.rfind('.') + 1);
  const std::vector<std::string> garbage = {
      "",
      "a",
      "a.b",
      "a.b.c.d",
      good + ".",
      "..",
      "!!.??.**",
      Base64UrlEncode("not json") + "." + payload + "." + sig,            // header not JSON
      Base64UrlEncode("[\"RS256\"]") + "." + payload + "." + sig,         // header JSON but not an object
      Base64UrlEncode("{\"alg\":\"RS256\"") + "." + payload + "." + sig,  // truncated JSON
      header + "." + Base64UrlEncode("not json") + "." + sig,             // payload not JSON
      header + "." + Base64UrlEncode("[]") + "." + sig,                   // payload not an object
      header + "." + payload + "=." + sig,                                // padded
      header + "=." + payload + "." + sig,
      header + "." + payload + "." + sig + "=",
      header + "." + payload + "." + sig + "AAA",                              // 4k+1 characters
      header + "." + payload.substr(0, payload.size() - 1) + "+" + "." + sig,  // the other alphabet
      header + " ." + payload + "." + sig,
      header + "." + payload + "." + sig.substr(0, 10) + std::string(1, '\0') + sig.substr(10),
      std::string(16 * 1024 + 1, 'A'),
      header + "." + std::string(16 * 1024, 'A') + "." + sig,  // too long as a whole
  };
  for (const auto& t : garbage) {
    auto v = issuer_->Validate(t, rules_, kNow);
    ASSERT_FALSE(v) << t.substr(0, 60);
    EXPECT_EQ(v.error().problem, TokenProblem::kMalformed) << t.substr(0, 60) << ": " << v.error().detail;
  }
}

TEST_F(TokenTest, ClaimsOfTheWrongTypeAreMalformedOnlyUnderAGoodSignature) {
  auto with = [&](const char* name, const Json& value) {
    Json p = GoodPayload();
    if (value.is_discarded()) {
      p.erase(name);
    } else {
      p[name] = value;
    }
    return p.dump();
  };
  const Json absent(Json::value_t::discarded);
  const std::vector<std::pair<const char*, Json>> bad = {{"exp", absent},    {"exp", "1800003600"},
                                                         {"exp", 1.8e9},     {"exp", -1},
                                                         {"exp", 1LL << 40}, {"exp", Json(1ULL << 62)},
                                                         {"nbf", "0"},       {"iat", true},
                                                         {"aud", absent},    {"aud", Json::array({kOrigin})},
                                                         {"iss", absent},    {"iss", 1},
                                                         {"appid", absent},  {"oid", nullptr},
                                                         {"tid", 7}};
  for (const auto& [name, value] : bad) {
    const std::string payload = with(name, value);
    EXPECT_EQ(Problem(SignRs256(ours_->priv, OurHeader(), payload)), TokenProblem::kMalformed) << payload;
    // Under a signature that does not verify, the signature is the problem reported.
    EXPECT_EQ(Problem(SignRs256(theirs_->priv, OurHeader(), payload)), TokenProblem::kSignature) << payload;
  }
  // An integer beyond 64 bits is refused too (by libjwt's JSON parser, so as a bad signature).
  Json huge = GoodPayload();
  huge["exp"] = 18446744073709551615ULL;
  EXPECT_FALSE(issuer_->Validate(SignRs256(ours_->priv, OurHeader(), huge.dump()), rules_, kNow));
  // nbf, iat and tid may be absent; the claims then read as the epoch and empty.
  Json p = GoodPayload();
  p.erase("nbf");
  p.erase("iat");
  p.erase("tid");
  auto v = issuer_->Validate(SignRs256(ours_->priv, OurHeader(), p.dump()), rules_, kNow);
  ASSERT_TRUE(v) << v.error().detail;
  EXPECT_EQ(v->not_before, WallClock::time_point{});
  EXPECT_EQ(v->tenant, "");
}

TEST(TokenIssuerFile, LoadOrCreateMakesA0600KeyFileAndReadsItBack) {
  TempDir dir;
  const fs::path file = dir.path() / "token-signing.key";
  const mode_t old_umask = ::umask(0277);  // the file is 0600 whatever the umask
  auto first = TokenIssuer::LoadOrCreate(file);
  ::umask(old_umask);
  ASSERT_TRUE(first) << first.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  std::ifstream in(file);
  const std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u) << "PKCS#8";
  Pkey key = ReadPrivate(pem);
  ASSERT_TRUE(key);
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 2048);
  // No temp file left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);

  auto second = TokenIssuer::LoadOrCreate(file);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(first->key_id(), second->key_id());
  EXPECT_EQ(first->Jwks(), second->Jwks());
  TokenClaims c;
  c.issuer = "i";
  c.audience = "a";
  c.app_id = "app";
  c.object_id = "oid";
  c.expires_at = kNow + 1h;
  auto t = first->Issue(c);
  ASSERT_TRUE(t);
  EXPECT_TRUE(second->Validate(*t, ValidationRules{{"a"}, {"i"}}, kNow));
}

TEST(TokenIssuerFile, AKeyThatIsNotRsaIsRefusedNamingTheFile) {
  TempDir dir;
  const fs::path file = dir.path() / "ec.key";
  Pkey ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  const std::string pem = PrivatePem(ec.get());
  { std::ofstream(file) << pem; }
  auto refused = TokenIssuer::LoadOrCreate(file);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find(file.string()), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("RSA"), std::string::npos) << refused.error().message;
  EXPECT_EQ(refused.error().message.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(refused.error().message.find(pem.substr(28, 20)), std::string::npos);
  // The file is left as it was.
  std::ifstream in(file);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()), pem);
  EXPECT_FALSE(TokenIssuer::FromPem(pem));
}

TEST(TokenIssuerFile, UnreadableOrUselessKeyFilesAreRefusedNamingTheFile) {
  TempDir dir;
  const fs::path garbage = dir.path() / "garbage.key";
  { std::ofstream(garbage) << "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n"; }
  const fs::path empty = dir.path() / "empty.key";
  { std::ofstream{empty}; }
  const fs::path public_only = dir.path() / "public.key";
  { std::ofstream(public_only) << NewRsa().pub; }
  const fs::path a_directory = dir.path() / "subdir";
  fs::create_directory(a_directory);
  const fs::path no_such_dir = dir.path() / "missing" / "token-signing.key";
  for (const auto& f : {garbage, empty, public_only, a_directory, no_such_dir}) {
    auto r = TokenIssuer::LoadOrCreate(f);
    ASSERT_FALSE(r) << f;
    EXPECT_NE(r.error().message.find(f.string()), std::string::npos) << r.error().message;
  }
  EXPECT_FALSE(fs::exists(no_such_dir.parent_path()));
}

TEST(TokenIssuerFile, SmallOrEncryptedRsaKeysAreRefused) {
  EXPECT_FALSE(TokenIssuer::FromPem(NewRsa(1024).priv));
  EXPECT_FALSE(TokenIssuer::FromPem(""));
  EXPECT_FALSE(TokenIssuer::FromPem("-----BEGIN PRIVATE KEY-----"));
  // An encrypted key is refused without asking anyone for a passphrase.
  Pkey k = ReadPrivate(NewRsa().priv);
  Bio b(BIO_new(BIO_s_mem()));
  const char pass[] = "passphrase";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(b.get(), k.get(), EVP_aes_256_cbc(), pass,
                                          static_cast<int>(sizeof pass - 1), nullptr, nullptr),
            1);
  const std::string encrypted = BioText(b.get());
  ASSERT_NE(encrypted.find("ENCRYPTED"), std::string::npos);
  EXPECT_FALSE(TokenIssuer::FromPem(encrypted));
  // A traditional PKCS#1 RSA key is read (and kept as PKCS#8).
  Bio rsa(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_PrivateKey_traditional(rsa.get(), k.get(), nullptr, nullptr, 0, nullptr, nullptr),
            1);
  const std::string pkcs1 = BioText(rsa.get());
  ASSERT_NE(pkcs1.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  EXPECT_TRUE(TokenIssuer::FromPem(pkcs1));
}

TEST_F(TokenTest, TheKeyIdIsTheSha1OfTheDerPublicKey) {
  Pkey key = ReadPrivate(ours_->priv);
  unsigned char* der = nullptr;
  const int der_len = i2d_PUBKEY(key.get(), &der);
  ASSERT_GT(der_len, 0);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  ASSERT_EQ(EVP_Digest(der, static_cast<std::size_t>(der_len), digest, &digest_len, EVP_sha1(), nullptr), 1);
  OPENSSL_free(der);
  EXPECT_EQ(issuer_->key_id(), Base64UrlEncode(Bytes(digest, digest_len)));
  EXPECT_EQ(issuer_->key_id().size(), 27u);
}

TEST_F(TokenTest, TheKeySetRebuildsOurPublicKey) {
  const Json jwks = issuer_->Jwks();
  ASSERT_TRUE(jwks["keys"].is_array());
  ASSERT_EQ(jwks["keys"].size(), 1u);
  const Json& k = jwks["keys"][0];
  EXPECT_EQ(k["kty"], "RSA");
  EXPECT_EQ(k["use"], "sig");
  EXPECT_EQ(k["alg"], "RS256");
  EXPECT_EQ(k["kid"], issuer_->key_id());
  EXPECT_EQ(k["x5t"], issuer_->key_id());
  auto n = Base64UrlDecode(k["n"].get<std::string>());
  auto e = Base64UrlDecode(k["e"].get<std::string>());
  ASSERT_TRUE(n && e);
  EXPECT_EQ(n->size(), 256u);
  EXPECT_NE((*n)[0], '\0') << "no leading zero";
  EXPECT_EQ(k["e"], "AQAB");  // 65537

  std::unique_ptr<BIGNUM, Deleter<BN_free>> bn_n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr));
  std::unique_ptr<BIGNUM, Deleter<BN_free>> bn_e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>> bld(OSSL_PARAM_BLD_new());
  ASSERT_EQ(OSSL_PARAM_BLD_push_BN(bld.get(), "n", bn_n.get()), 1);
  ASSERT_EQ(OSSL_PARAM_BLD_push_BN(bld.get(), "e", bn_e.get()), 1);
  std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  ASSERT_EQ(EVP_PKEY_fromdata_init(ctx.get()), 1);
  EVP_PKEY* raw = nullptr;
  ASSERT_EQ(EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()), 1);
  Pkey rebuilt(raw);
  Bio b(BIO_new_mem_buf(ours_->pub.data(), static_cast<int>(ours_->pub.size())));
  Pkey ours(PEM_read_bio_PUBKEY(b.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(ours);
  EXPECT_EQ(EVP_PKEY_eq(rebuilt.get(), ours.get()), 1);
  // And not some other key.
  Pkey theirs = ReadPrivate(theirs_->priv);
  EXPECT_NE(EVP_PKEY_eq(rebuilt.get(), theirs.get()), 1);
}

TEST(Base64Url, Rfc4648VectorsInTheUrlAlphabetWithoutPadding) {
  // RFC 4648 §10, padding removed; then bytes that use the two characters §5 changes.
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg"},
                                                         {"fo", "Zm8"},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg"},
                                                         {"fooba", "Zm9vYmE"},
                                                         {"foobar", "Zm9vYmFy"},
                                                         {"\xfb\xff", "-_8"},
                                                         {"\xfb\xef\xbe", "----"},
                                                         {"\xff\xff\xff", "____"},
                                                         {std::string("\0\0\0", 3), "AAAA"}};
  for (const auto& [plain, coded] : vectors) {
    EXPECT_EQ(Base64UrlEncode(plain), coded);
    auto back = Base64UrlDecode(coded);
    ASSERT_TRUE(back) << coded;
    EXPECT_EQ(*back, plain) << coded;
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= all.size(); len += 37) {
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(all.substr(0, len))).value_or("?"), all.substr(0, len));
  }
}

TEST(Base64Url, DecodeRejectsPaddingOtherAlphabetsAndImpossibleLengths) {
  for (const std::string& bad : std::vector<std::string>{
           "Zg==", "Zm8=", "Zg=", "=", "Z", "Zm9vY", "Zm9+", "Zm/v", "+/8", "Zm9v\n", "Zm 9v", "Zm9v ",
           std::string("Zm\0v", 4), "Zm9v.", "\xc3\xa9\xc3\xa9",
           // RFC 4648 §3.5: leftover bits must be zero ("Zg" is "f"; "Zh" is not canonical).
           "Zh", "Zm9", "Zm9vYh", "Zm9vYmF"}) {
    auto r = Base64UrlDecode(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code, "InvalidBase64Url");
    }
  }
  EXPECT_TRUE(Base64UrlDecode("Zm8"));
}

}  // namespace
}  // namespace isthmus::mgmt::auth
