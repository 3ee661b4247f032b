// Access tokens (tokens.h). libjwt 1.10 encodes and verifies; this file decides what may reach it.
//
// Why the header is read here first: libjwt's jwt_decode() takes the algorithm from the token itself and
// verifies HS256 with whatever key bytes it is handed. Handed our public key PEM (which is public), it
// would accept an HMAC keyed with that PEM: the classic RS256/HS256 key confusion. So nothing reaches
// jwt_decode() unless its header says exactly "RS256" and names no key but ours, and jwt_get_alg() is
// checked again afterwards. Header fields that point elsewhere for a key (jku, jwk, x5u, x5c) are
// ignored: the only key is ours.
#include "mgmt/auth/tokens.h"

#include <fcntl.h>
#include <jwt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <ctime>
#include <optional>
#include <span>
#include <system_error>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base/secret.h"
#include "crypto/openssl_handles.h"

namespace isthmus::mgmt::auth {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// Implementation choices.
// Azure AD's tokens are 1-3 KiB; the bound comes before any parsing.
constexpr std::size_t kMaxTokenBytes = std::size_t{16} * 1024;
// An RSA-8192 PKCS#8 PEM is ~6.5 KiB.
constexpr std::size_t kMaxKeyFileBytes = std::size_t{64} * 1024;
constexpr int kNewKeyBits = 2048;             // what Azure AD and AD FS sign with
constexpr int kMinKeyBits = 2048;             // NIST SP 800-131A: RSA below 2048 bits is disallowed
constexpr std::size_t kTokenIdBytes = 16;     // uti/jti: 128 random bits, unique without a registry
constexpr std::size_t kMaxDetailBytes = 200;  // a claim quoted in an error message
// exp/nbf/iat are bounded to [0, 2^33) seconds (to the year 2242): system_clock counts nanoseconds in 64
// bits (to 2262), so time arithmetic on any accepted value, skew included, cannot overflow.
constexpr long long kMaxEpochSeconds = 1LL << 33;

// RFC 4648 §5: the URL- and filename-safe alphabet.
constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> MakeDecodeTable() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return t;
}
constexpr std::array<std::int8_t, 256> kDecodeTable = MakeDecodeTable();

using crypto::detail::BioPtr;
using crypto::detail::BnPtr;
using crypto::detail::PkeyCtxPtr;
using crypto::detail::PkeyPtr;
// libjwt's object, owned the way the OpenSSL handles are.
using JwtPtr = std::unique_ptr<jwt_t, crypto::detail::OsslDeleter<&jwt_free>>;

// Never prompt on a terminal for a passphrase (OpenSSL's default callback would): a daemon's key file
// is not encrypted, and an encrypted one is simply refused.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return -1;
}

std::string_view BioView(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string_view(data, static_cast<std::size_t>(n)) : std::string_view();
}

std::string_view AsText(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string ErrnoText(int err) {
  return std::generic_category().message(err);
}

// A big-endian unsigned integer without leading zeros (RFC 7518 §6.3.1 "Base64urlUInt").
std::optional<std::string> BigEndian(const EVP_PKEY* key, const char* param) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) return std::nullopt;
  BnPtr bn(raw);
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::optional<std::string> RandomId(std::size_t bytes) {
  std::array<unsigned char, 32> buf{};
  if (bytes > buf.size() || RAND_bytes(buf.data(), static_cast<int>(bytes)) != 1) return std::nullopt;
  return Base64UrlEncode({reinterpret_cast<const char*>(buf.data()), bytes});
}

long long ToSeconds(WallClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The form ARM's messages quote times in: "MM/DD/YYYY HH:MM:SS" (UTC).
std::string UtcText(long long seconds) {
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:02}/{:02}/{:04} {:02}:{:02}:{:02}", tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// A claim quoted in a rejection's detail: printable ASCII only (a detail ends up in logs and JSON), and
// short.
std::string Quoted(std::string_view claim) {
  std::string out;
  for (char c : claim.substr(0, kMaxDetailBytes)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (claim.size() > kMaxDetailBytes) out += "...";
  return out;
}

// Audiences compare as ARM compares them: one trailing '/' removed, ASCII case ignored.
bool SameAudience(std::string_view a, std::string_view b) {
  if (a.ends_with('/')) a.remove_suffix(1);
  if (b.ends_with('/')) b.remove_suffix(1);
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::unexpected<TokenRejection> Reject(TokenProblem problem, std::string detail) {
  return std::unexpected(TokenRejection{problem, std::move(detail)});
}

struct TokenParts {
  std::string_view header, payload, signature;
};

// Exactly three dot-separated parts (RFC 7515 §7.1, compact serialization).
std::optional<TokenParts> Split(std::string_view token) {
  const auto dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return std::nullopt;
  const auto dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return std::nullopt;
  return TokenParts{token.substr(0, dot1), token.substr(dot1 + 1, dot2 - dot1 - 1), token.substr(dot2 + 1)};
}

// The JOSE header check that must come before any signature check (see the top of the file).
std::optional<TokenRejection> CheckHeader(std::string_view encoded, const std::string& kid) {
  const auto text = Base64UrlDecode(encoded);
  if (!text) return TokenRejection{TokenProblem::kMalformed, "the token's header is not base64url"};
  const Json header = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!header.is_object())
    return TokenRejection{TokenProblem::kMalformed, "the token's header is not a JSON object"};
  const auto alg = header.find("alg");
  // Exactly "RS256": libjwt's own comparison ignores case.
  if (alg == header.end() || !alg->is_string() || alg->get_ref<const std::string&>() != "RS256") {
    return TokenRejection{TokenProblem::kAlgorithm, "the token's algorithm is not RS256"};
  }
  for (const char* name : {"kid", "x5t"}) {
    const auto id = header.find(name);
    if (id != header.end() && (!id->is_string() || id->get_ref<const std::string&>() != kid)) {
      return TokenRejection{TokenProblem::kAlgorithm,
                            "the token is signed with a key this server does not have"};
    }
  }
  return std::nullopt;
}

// Reads a string claim into `out`; false when it has another type, or is absent and `required`.
bool ReadString(const Json& claims, const char* name, bool required, std::string& out) {
  const auto it = claims.find(name);
  if (it == claims.end()) return !required;
  if (!it->is_string()) return false;
  out = it->get_ref<const std::string&>();
  return true;
}

// Reads a NumericDate (RFC 7519 §2) given as an integer in [0, kMaxEpochSeconds).
bool ReadSeconds(const Json& claims, const char* name, bool required, std::optional<long long>& out) {
  const auto it = claims.find(name);
  if (it == claims.end()) return !required;
  // nlohmann keeps non-negative integers as unsigned: read each as the type it holds so nothing wraps.
  if (it->is_number_unsigned()) {
    const auto v = it->get<std::uint64_t>();
    if (v >= static_cast<std::uint64_t>(kMaxEpochSeconds)) return false;
    out = static_cast<long long>(v);
    return true;
  }
  if (!it->is_number_integer()) return false;
  const auto v = it->get<std::int64_t>();
  if (v < 0 || v >= kMaxEpochSeconds) return false;
  out = v;
  return true;
}

// The payload's claims, with exp and nbf as given (for the rejection's detail and nbf's absence).
struct PayloadClaims {
  TokenClaims claims;
  long long exp = 0;
  std::optional<long long> nbf;
};

std::optional<PayloadClaims> ReadPayload(const Json& p) {
  PayloadClaims r;
  std::optional<long long> exp, iat;
  TokenClaims& c = r.claims;
  const bool ok = ReadString(p, "iss", true, c.issuer) && ReadString(p, "aud", true, c.audience) &&
                  ReadString(p, "appid", true, c.app_id) && ReadString(p, "oid", true, c.object_id) &&
                  ReadString(p, "tid", false, c.tenant) && ReadSeconds(p, "exp", true, exp) &&
                  ReadSeconds(p, "nbf", false, r.nbf) && ReadSeconds(p, "iat", false, iat);
  if (!ok) return std::nullopt;
  r.exp = *exp;
  c.expires_at = WallClock::time_point(std::chrono::seconds(*exp));
  c.not_before = WallClock::time_point(std::chrono::seconds(r.nbf.value_or(0)));
  c.issued_at = WallClock::time_point(std::chrono::seconds(iat.value_or(0)));
  return r;
}

// Reads a whole key file into wiped-on-free memory.
Result<SecretBytes> ReadKeyFile(int fd, const fs::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return Fail(Error::Internal(
        fmt::format("cannot read the token-signing key {}: {}", path.string(), ErrnoText(errno))));
  }
  if (!S_ISREG(st.st_mode) || st.st_size <= 0 || static_cast<std::size_t>(st.st_size) > kMaxKeyFileBytes) {
    return Fail(Error::Invalid(
        "InvalidSigningKey", fmt::format("the token-signing key {} is not a regular file of at most {} bytes",
                                         path.string(), kMaxKeyFileBytes)));
  }
  SecretBytes buf(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < buf.size()) {
    const ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return Fail(Error::Internal(
          fmt::format("cannot read the token-signing key {}: {}", path.string(), ErrnoText(errno))));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got == buf.size()) return buf;
  return SecretBytes(buf.view().first(got));
}

// Writes a new private file atomically: a temp file (0600, O_EXCL) in the same directory, fsync, rename,
// then fsync the directory so the rename survives a crash. One isthmusd owns a state directory, so the
// rename does not race another writer of the same key.
Status WritePrivateFile(const fs::path& path, std::span<const std::uint8_t> bytes) {
  const auto suffix = RandomId(8);
  if (!suffix) return Fail(Error::Internal("cannot draw random bytes"));
  // A random temp name: O_EXCL then cannot be defeated by a file or symlink planted at a guessable name.
  const fs::path tmp = path.string() + ".tmp-" + *suffix;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Fail(Error::Internal(
        fmt::format("cannot create the token-signing key {}: {}", path.string(), ErrnoText(errno))));
  }
  int err = ::fchmod(fd, 0600) == 0 ? 0 : errno;  // exactly 0600, whatever the umask
  for (std::size_t done = 0; err == 0 && done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : EIO;
    } else {
      done += static_cast<std::size_t>(n);
    }
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return Fail(Error::Internal(
        fmt::format("cannot write the token-signing key {}: {}", path.string(), ErrnoText(err))));
  }
  const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

Result<PkeyPtr> GenerateRsaKey() {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), kNewKeyBits) != 1 ||
      EVP_PKEY_generate(ctx.get(), &raw) != 1) {
    ERR_clear_error();
    return Fail(Error::Internal("cannot generate an RSA key"));
  }
  return PkeyPtr(raw);
}

}  // namespace

struct TokenIssuer::Key {
  SecretBytes private_pem;  // PKCS#8, handed to libjwt for each signature (libjwt scrubs its copy)
  std::string public_pem;   // SubjectPublicKeyInfo, handed to libjwt to verify
  std::string kid;          // also the x5t
  std::string n, e;         // base64url, for the JWKS
  std::size_t signature_bytes = 0;

  // Everything the issuer keeps, derived from an RSA key; the EVP_PKEY itself is not kept.
  static Result<std::unique_ptr<Key>> Make(EVP_PKEY* pkey) {
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
      return Fail(Error::Invalid("InvalidSigningKey", "the token-signing key is not an RSA key"));
    }
    if (EVP_PKEY_get_bits(pkey) < kMinKeyBits) {
      return Fail(Error::Invalid("InvalidSigningKey",
                                 fmt::format("the token-signing key has fewer than {} bits", kMinKeyBits)));
    }
    auto key = std::make_unique<Key>();
    // A secure-heap BIO: OpenSSL clears its buffer when it frees it.
    BioPtr priv(BIO_new(BIO_s_secmem()));
    BioPtr pub(BIO_new(BIO_s_mem()));
    if (!priv || !pub ||
        PEM_write_bio_PKCS8PrivateKey(priv.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
        PEM_write_bio_PUBKEY(pub.get(), pkey) != 1) {
      ERR_clear_error();
      return Fail(Error::Internal("cannot encode the token-signing key"));
    }
    const std::string_view priv_text = BioView(priv.get());
    key->private_pem = SecretBytes(priv_text);
    key->public_pem = std::string(BioView(pub.get()));

    unsigned char* der = nullptr;
    const int der_len = i2d_PUBKEY(pkey, &der);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    const bool hashed = der_len > 0 && EVP_Digest(der, static_cast<std::size_t>(der_len), digest, &digest_len,
                                                  EVP_sha1(), nullptr) == 1;
    OPENSSL_free(der);
    auto n = BigEndian(pkey, OSSL_PKEY_PARAM_RSA_N);
    auto e = BigEndian(pkey, OSSL_PKEY_PARAM_RSA_E);
    if (!hashed || !n || !e || key->private_pem.empty() || key->public_pem.empty()) {
      ERR_clear_error();
      return Fail(Error::Internal("cannot encode the token-signing key"));
    }
    key->kid = Base64UrlEncode({reinterpret_cast<const char*>(digest), digest_len});
    key->n = Base64UrlEncode(*n);
    key->e = Base64UrlEncode(*e);
    key->signature_bytes = static_cast<std::size_t>(EVP_PKEY_get_size(pkey));
    return key;
  }

  static Result<std::unique_ptr<Key>> FromPemText(std::string_view pem) {
    if (pem.size() > kMaxKeyFileBytes) {
      return Fail(Error::Invalid("InvalidSigningKey", "the token-signing key is too large"));
    }
    BioPtr in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    PkeyPtr pkey(in ? PEM_read_bio_PrivateKey(in.get(), nullptr, NoPassphrase, nullptr) : nullptr);
    if (!pkey) {
      ERR_clear_error();
      return Fail(
          Error::Invalid("InvalidSigningKey", "the token-signing key is not an unencrypted PEM private key"));
    }
    return Make(pkey.get());
  }
};

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  auto at = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])); };
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  const std::size_t rest = bytes.size() - i;  // RFC 4648 §4: 1 byte -> 2 chars, 2 bytes -> 3 chars
  if (rest > 0) {
    const std::uint32_t v = at(i) << 16 | (rest == 2 ? at(i + 1) << 8 : 0);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

Result<std::string> Base64UrlDecode(std::string_view text) {
  // One character left over carries 6 bits: no byte can end there.
  if (text.size() % 4 == 1)
    return Fail(Error::Invalid("InvalidBase64Url", "base64url text of an impossible length"));
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = kDecodeTable[static_cast<unsigned char>(c)];
    if (v < 0) {
      return Fail(Error::Invalid("InvalidBase64Url", c == '='
                                                         ? "base64url text must not be padded"
                                                         : "a character outside the base64url alphabet"));
    }
    acc = (acc << 6 | static_cast<std::uint32_t>(v)) & 0xfff;  // at most 6 + 6 bits are pending
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // RFC 4648 §3.5: the unused low bits of the last character must be zero (one text per byte string).
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return Fail(Error::Invalid("InvalidBase64Url", "non-canonical base64url text"));
  }
  return out;
}

TokenIssuer::TokenIssuer(std::unique_ptr<Key> key) : key_(std::move(key)) {}
TokenIssuer::TokenIssuer(TokenIssuer&&) noexcept = default;
TokenIssuer& TokenIssuer::operator=(TokenIssuer&&) noexcept = default;
TokenIssuer::~TokenIssuer() = default;

Result<TokenIssuer> TokenIssuer::FromPem(const std::string& private_key_pem) {
  auto key = Key::FromPemText(private_key_pem);
  if (!key) return std::unexpected(key.error());
  return TokenIssuer(std::move(*key));
}

Result<TokenIssuer> TokenIssuer::LoadOrCreate(const fs::path& key_file) {
  const int fd = ::open(key_file.c_str(), O_RDONLY | O_CLOEXEC);
  const int open_errno = errno;
  if (fd >= 0) {
    auto pem = ReadKeyFile(fd, key_file);
    ::close(fd);
    if (!pem) return std::unexpected(pem.error());
    auto key = Key::FromPemText(AsText(pem->view()));
    if (!key) {
      Error e = key.error();
      e.message = fmt::format("{}: {}", key_file.string(), e.message);
      return std::unexpected(std::move(e));
    }
    return TokenIssuer(std::move(*key));
  }
  if (open_errno != ENOENT) {
    return Fail(Error::Internal(
        fmt::format("cannot open the token-signing key {}: {}", key_file.string(), ErrnoText(open_errno))));
  }
  auto pkey = GenerateRsaKey();
  if (!pkey) return std::unexpected(pkey.error());
  auto key = Key::Make(pkey->get());
  if (!key) return std::unexpected(key.error());
  if (auto written = WritePrivateFile(key_file, (*key)->private_pem.view()); !written) {
    return std::unexpected(written.error());
  }
  return TokenIssuer(std::move(*key));
}

const std::string& TokenIssuer::key_id() const {
  return key_->kid;
}

Json TokenIssuer::Jwks() const {
  Json key = {{"kty", "RSA"},     {"use", "sig"}, {"alg", "RS256"}, {"kid", key_->kid},
              {"x5t", key_->kid}, {"n", key_->n}, {"e", key_->e}};
  return Json{{"keys", Json::array({std::move(key)})}};
}

Result<std::string> TokenIssuer::Issue(const TokenClaims& c) const {
  // libjwt takes C strings: an embedded NUL would silently cut a claim short.
  for (const std::string* s : {&c.issuer, &c.audience, &c.tenant, &c.app_id, &c.object_id}) {
    if (s->find('\0') != std::string::npos) {
      return Fail(Error::Invalid("InvalidTokenClaim", "a token claim contains a NUL character"));
    }
  }
  const long long iat = ToSeconds(c.issued_at), nbf = ToSeconds(c.not_before), exp = ToSeconds(c.expires_at);
  for (long long t : {iat, nbf, exp}) {
    if (t < 0 || t >= kMaxEpochSeconds)
      return Fail(Error::Invalid("InvalidTokenClaim", "a token time is out of range"));
  }
  const auto uti = RandomId(kTokenIdBytes);
  jwt_t* raw = nullptr;
  if (!uti || jwt_new(&raw) != 0) return Fail(Error::Internal("cannot make a token"));
  JwtPtr jwt(raw);
  // libjwt writes "typ":"JWT" and "alg" itself.
  int rc = jwt_add_header(jwt.get(), "kid", key_->kid.c_str());
  rc |= jwt_add_header(jwt.get(), "x5t", key_->kid.c_str());
  rc |= jwt_add_grant(jwt.get(), "aud", c.audience.c_str());
  rc |= jwt_add_grant(jwt.get(), "iss", c.issuer.c_str());
  rc |= jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(iat));
  rc |= jwt_add_grant_int(jwt.get(), "nbf", static_cast<long>(nbf));
  rc |= jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(exp));
  rc |= jwt_add_grant(jwt.get(), "tid", c.tenant.c_str());
  rc |= jwt_add_grant(jwt.get(), "appid", c.app_id.c_str());
  rc |= jwt_add_grant(jwt.get(), "azp", c.app_id.c_str());
  rc |= jwt_add_grant(jwt.get(), "oid", c.object_id.c_str());
  rc |= jwt_add_grant(jwt.get(), "sub", c.object_id.c_str());
  rc |= jwt_add_grant(jwt.get(), "idtyp", "app");
  rc |= jwt_add_grant(jwt.get(), "ver", "1.0");
  rc |= jwt_add_grant(jwt.get(), "uti", uti->c_str());
  rc |= jwt_add_grant(jwt.get(), "jti", uti->c_str());
  // Jansson refuses strings that are not UTF-8, so a bad claim shows up here.
  if (rc != 0) return Fail(Error::Invalid("InvalidTokenClaim", "a token claim is not valid UTF-8 text"));
  if (jwt_set_alg(jwt.get(), JWT_ALG_RS256, key_->private_pem.data(),
                  static_cast<int>(key_->private_pem.size())) != 0) {
    return Fail(Error::Internal("cannot set the token's signing key"));
  }
  char* text = jwt_encode_str(jwt.get());
  if (text == nullptr) {
    ERR_clear_error();
    return Fail(Error::Internal("cannot sign a token"));
  }
  std::string out(text);
  free(text);  // libjwt allocates with malloc
  return out;
}

std::expected<TokenClaims, TokenRejection> TokenIssuer::Validate(std::string_view token,
                                                                 const ValidationRules& rules,
                                                                 WallClock::time_point now) const {
  if (token.empty() || token.size() > kMaxTokenBytes) {
    return Reject(TokenProblem::kMalformed, "the token is empty or too long");
  }
  const auto parts = Split(token);
  if (!parts) return Reject(TokenProblem::kMalformed, "the token does not have three parts");
  if (auto refused = CheckHeader(parts->header, key_->kid)) return std::unexpected(std::move(*refused));
  const auto payload_text = Base64UrlDecode(parts->payload);
  const auto signature = Base64UrlDecode(parts->signature);
  if (!payload_text || !signature) return Reject(TokenProblem::kMalformed, "the token is not base64url");
  const Json payload = Json::parse(*payload_text, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object())
    return Reject(TokenProblem::kMalformed, "the token's payload is not a JSON object");
  if (signature->size() != key_->signature_bytes)
    return Reject(TokenProblem::kSignature, "the token's signature is invalid");

  // Every part is base64url text by now, so the token holds no NUL and libjwt sees all of it.
  const std::string text(token);
  jwt_t* raw = nullptr;
  const int rc =
      jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char*>(key_->public_pem.data()),
                 static_cast<int>(key_->public_pem.size()));
  const JwtPtr jwt(raw);
  if (rc != 0 || !jwt) {
    ERR_clear_error();
    return Reject(TokenProblem::kSignature, "the token's signature is invalid");
  }
  if (jwt_get_alg(jwt.get()) != JWT_ALG_RS256)
    return Reject(TokenProblem::kAlgorithm, "the token's algorithm is not RS256");

  const auto read = ReadPayload(payload);
  if (!read) return Reject(TokenProblem::kMalformed, "the token's claims are missing or of the wrong type");
  const TokenClaims& c = read->claims;
  if (now >= c.expires_at + rules.clock_skew) return Reject(TokenProblem::kExpired, UtcText(read->exp));
  if (read->nbf && now < c.not_before - rules.clock_skew) {
    return Reject(TokenProblem::kNotYetValid, UtcText(*read->nbf));
  }
  bool audience_ok = false;
  for (const auto& a : rules.audiences) audience_ok = audience_ok || SameAudience(a, c.audience);
  if (!audience_ok) return Reject(TokenProblem::kAudience, Quoted(c.audience));
  bool issuer_ok = false;
  for (const auto& i : rules.issuers) issuer_ok = issuer_ok || i == c.issuer;
  if (!issuer_ok) return Reject(TokenProblem::kIssuer, Quoted(c.issuer));
  return c;
}

}  // namespace isthmus::mgmt::auth
