#include "mgmt/auth/tls_material.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/secret.h"
#include "crypto/openssl_handles.h"

namespace isthmus::mgmt::auth {
namespace {

namespace fs = std::filesystem;

// Implementation choices.
constexpr long kClockSkew = 3600;           // notBefore is backdated an hour so skewed clients accept it
constexpr int kSerialBits = 128;            // random serial (RFC 5280 §4.1.2.2: positive, at most 20 octets)
constexpr int kCaSuffixBytes = 8;           // random CN suffix so two hosts' CAs never share a subject
constexpr off_t kMaxPemBytes = 1 << 20;     // the PEM files here are a few KB; refuse anything huge
constexpr std::size_t kMaxCommonName = 64;  // RFC 5280 Appendix A, ub-common-name
constexpr std::size_t kMaxDnsName = 253;    // RFC 1035 §2.3.4, as text without the final dot
constexpr std::size_t kMaxDnsLabel = 63;    // RFC 1035 §2.3.4

using crypto::detail::Asn1StringPtr;
using crypto::detail::BioPtr;
using crypto::detail::BnPtr;
using crypto::detail::GeneralNamePtr;
using crypto::detail::GeneralNamesPtr;
using crypto::detail::PkeyPtr;
using crypto::detail::X509ExtensionPtr;
using crypto::detail::X509Ptr;

// ---- errors ----

// OpenSSL's reason for the last failure (fixed texts, never key material); empties the error queue so
// a stale entry cannot be blamed on a later call.
std::string OpensslReason() {
  const unsigned long e = ERR_peek_last_error();
  const char* reason = e != 0 ? ERR_reason_error_string(e) : nullptr;
  ERR_clear_error();
  return reason != nullptr ? reason : "unknown OpenSSL error";
}

Error OpensslFailure(std::string_view what) {
  return Error::Internal(fmt::format("cannot {}: {}", what, OpensslReason()));
}

Error SystemFailure(std::string_view what, const fs::path& p, int err) {
  return Error::Internal(fmt::format("cannot {} {}: {}", what, p.string(), std::strerror(err)));
}

// Which file a problem is about decides the hint: replacing the CA makes every client re-trust it, so
// only the operator may decide that (by moving ca.key away); server files are safe to replace.
enum class Role { kCa, kServer, kOther };

// A file that exists but cannot be used.
Error Unusable(const fs::path& p, std::string_view why, Role role) {
  std::string_view hint;
  if (role == Role::kCa) {
    hint =
        "; restore it, or move ca.key away to have isthmusd make a new CA (clients must then trust the new "
        "ca.pem)";
  } else if (role == Role::kServer) {
    hint = "; move it away to have isthmusd issue a new one";
  }
  return Error::Internal(fmt::format("{}: {}{}", p.string(), why, hint));
}

// ---- names ----

// One subject alternative name in the form it is compared in: an IP as its 4 or 16 address bytes, a DNS
// name lowercased (RFC 6125 §6.4.1: DNS names compare case-insensitively).
struct SanName {
  bool ip = false;
  std::string value;
  bool operator==(const SanName&) const = default;
};

std::string Display(const SanName& n) {
  if (!n.ip) return n.value;
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(n.value.size() == 4 ? AF_INET : AF_INET6, n.value.data(), buf, sizeof buf);
  return buf;
}

std::optional<SanName> IpName(const std::string& text) {
  in_addr a4{};
  in6_addr a6{};
  if (::inet_pton(AF_INET, text.c_str(), &a4) == 1) {
    return SanName{true, std::string(reinterpret_cast<const char*>(&a4), sizeof a4)};
  }
  if (::inet_pton(AF_INET6, text.c_str(), &a6) == 1) {
    return SanName{true, std::string(reinterpret_cast<const char*>(&a6), sizeof a6)};
  }
  return std::nullopt;
}

// Labels of letters, digits, '-' and '_' joined by dots, optionally behind a leading "*." wildcard
// label. Rejecting the rest keeps a name flag from putting anything odd into the certificate.
bool IsDnsName(std::string_view n) {
  if (n.starts_with("*.")) n.remove_prefix(2);
  if (n.empty() || n.size() > kMaxDnsName) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= n.size(); ++i) {
    if (i == n.size() || n[i] == '.') {
      if (label == 0 || label > kMaxDnsLabel) return false;
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(n[i])) != 0 || n[i] == '-' || n[i] == '_') {
      ++label;
    } else {
      return false;
    }
  }
  return true;
}

Result<SanName> ParseName(const std::string& text) {
  if (auto ip = IpName(text)) return *ip;
  // A listen address may come bracketed ("[::1]", as in a URL).
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    auto ip = IpName(text.substr(1, text.size() - 2));
    if (ip && ip->value.size() == 16) return *ip;
  }
  if (!IsDnsName(text)) {
    return Fail(Error::Invalid("InvalidTlsName",
                               fmt::format("'{}' is neither an IP address nor a DNS name", text), text));
  }
  std::string lower = text;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return SanName{false, std::move(lower)};
}

// The requested names, parsed, without duplicates, in the caller's order.
Result<std::vector<SanName>> ParseNames(const std::vector<std::string>& names) {
  std::vector<SanName> out;
  for (const auto& text : names) {
    auto n = ParseName(text);
    if (!n) return Fail(n.error());
    if (std::find(out.begin(), out.end(), *n) == out.end()) out.push_back(std::move(*n));
  }
  if (out.empty())
    return Fail(Error::Invalid("InvalidTlsName", "the server certificate needs at least one name"));
  return out;
}

// The SANs of a certificate (DNS and IP entries; others are ignored).
std::vector<SanName> NamesOf(const X509* cert) {
  std::vector<SanName> out;
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names.get(), i);
    if (g->type == GEN_DNS) {
      const ASN1_STRING* s = g->d.dNSName;
      out.push_back({false, std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                        static_cast<std::size_t>(ASN1_STRING_length(s)))});
    } else if (g->type == GEN_IPADD) {
      const ASN1_STRING* s = g->d.iPAddress;
      const int len = ASN1_STRING_length(s);
      if (len == 4 || len == 16) {
        out.push_back({true, std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                         static_cast<std::size_t>(len))});
      }
    }
  }
  ERR_clear_error();  // a malformed extension reads as no names, not as a stale error for later calls
  return out;
}

bool Covers(const std::vector<SanName>& have, const std::vector<SanName>& want) {
  return std::all_of(want.begin(), want.end(), [&](const SanName& w) {
    return std::any_of(have.begin(), have.end(), [&](const SanName& h) {
      if (h.ip != w.ip) return false;
      if (h.ip) return h.value == w.value;
      return h.value.size() == w.value.size() &&
             std::equal(h.value.begin(), h.value.end(), w.value.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
             });
    });
  });
}

// ---- files ----

Result<bool> Exists(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return Fail(SystemFailure("inspect", p, errno));
}

// The whole file in a buffer sized once from fstat, so a key's bytes are never left behind in a
// reallocated buffer; the caller wipes it.
Result<std::string> ReadFile(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(SystemFailure("read", p, errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Fail(SystemFailure("read", p, err));
  }
  if (st.st_size > kMaxPemBytes) {
    ::close(fd);
    return Fail(Error::Internal(fmt::format("{} is too large for a PEM file", p.string())));
  }
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      SecureWipe(text.data(), text.size());
      return Fail(SystemFailure("read", p, err));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  text.resize(got);  // shrinking never reallocates
  return text;
}

Status SyncDirectory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Fail(SystemFailure("open", dir, errno));
  const bool ok = ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) return Fail(SystemFailure("sync", dir, err));
  return {};
}

// Replaces `path` atomically: a new file (O_EXCL, `mode`) next to it, written, fsynced, renamed over it,
// then the directory fsynced so the rename itself survives a crash.
Status WriteAtomically(const fs::path& path, std::string_view bytes, mode_t mode) {
  unsigned char tag[8];
  if (RAND_bytes(tag, sizeof tag) != 1) return Fail(OpensslFailure("make a temporary file name"));
  std::string hex;
  for (unsigned char b : tag) hex += fmt::format("{:02x}", b);
  const fs::path tmp = path.parent_path() / fmt::format(".{}.{}.tmp", path.filename().string(), hex);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return Fail(SystemFailure("create", tmp, errno));
  int err = 0;
  if (::fchmod(fd, mode) != 0) err = errno;  // the umask must not loosen or tighten what clients need
  for (std::size_t done = 0; err == 0 && done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n > 0) done += static_cast<std::size_t>(n);
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return Fail(SystemFailure("write", path, err));
  }
  return SyncDirectory(path.parent_path());
}

// Never prompts: an encrypted key is unusable here, not a reason to read the terminal.
int NoPassphrase(char*, int, int, void*) {
  return 0;
}

Result<PkeyPtr> ReadKey(const fs::path& p, Role role) {
  auto text = ReadFile(p);
  if (!text) return Fail(text.error());
  BioPtr b(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  PkeyPtr key(b ? PEM_read_bio_PrivateKey(b.get(), nullptr, NoPassphrase, nullptr) : nullptr);
  b.reset();
  SecureWipe(text->data(), text->size());
  if (!key) return Fail(Unusable(p, fmt::format("not a PEM private key ({})", OpensslReason()), role));
  return key;
}

// Every certificate in a PEM file, in order; at least one.
Result<std::vector<X509Ptr>> ReadCerts(const fs::path& p, Role role) {
  auto text = ReadFile(p);
  if (!text) return Fail(text.error());
  BioPtr b(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  if (!b) return Fail(OpensslFailure("buffer " + p.string()));
  std::vector<X509Ptr> certs;
  ERR_clear_error();
  while (X509Ptr c{PEM_read_bio_X509(b.get(), nullptr, NoPassphrase, nullptr)}) certs.push_back(std::move(c));
  // The loop ends at the first block that is not a certificate; only "no further PEM block" is the end.
  const unsigned long e = ERR_peek_last_error();
  const bool clean_end = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
  if (certs.empty() || !clean_end) {
    return Fail(Unusable(p, fmt::format("not a PEM certificate ({})", OpensslReason()), role));
  }
  ERR_clear_error();
  return certs;
}

// PEM text of a private key, held in OpenSSL's secure-memory BIO (wiped when freed).
Result<BioPtr> KeyPem(EVP_PKEY* key) {
  BioPtr b(BIO_new(BIO_s_secmem()));
  if (!b || PEM_write_bio_PrivateKey(b.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Fail(OpensslFailure("encode a private key"));
  }
  return b;
}

std::string_view BioView(BIO* b) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  return n > 0 ? std::string_view(data, static_cast<std::size_t>(n)) : std::string_view();
}

Result<std::string> CertPem(X509* cert) {
  BioPtr b(BIO_new(BIO_s_mem()));
  if (!b || PEM_write_bio_X509(b.get(), cert) != 1) return Fail(OpensslFailure("encode a certificate"));
  return std::string(BioView(b.get()));
}

Status WriteKey(const fs::path& p, EVP_PKEY* key) {
  auto pem = KeyPem(key);
  if (!pem) return Fail(pem.error());
  return WriteAtomically(p, BioView(pem->get()), 0600);
}

// ---- certificates ----

Result<PkeyPtr> NewP256Key() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return Fail(OpensslFailure("generate a P-256 key"));
  return key;
}

// Adds an extension from its OpenSSL config text ("critical,CA:TRUE"); the text is ours, never input.
bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

bool AddNameEntry(X509_NAME* name, const char* field, const std::string& value) {
  return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) == 1;
}

// The SAN extension built as ASN.1 rather than config text, so no name can inject another entry.
bool AddSubjectAltNames(X509* cert, const std::vector<SanName>& names) {
  GeneralNamesPtr gens(sk_GENERAL_NAME_new_null());
  if (!gens) return false;
  for (const auto& n : names) {
    GeneralNamePtr g(GENERAL_NAME_new());
    Asn1StringPtr value(n.ip ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new());
    if (!g || !value || ASN1_STRING_set(value.get(), n.value.data(), static_cast<int>(n.value.size())) != 1) {
      return false;
    }
    GENERAL_NAME_set0_value(g.get(), n.ip ? GEN_IPADD : GEN_DNS, value.release());
    if (sk_GENERAL_NAME_push(gens.get(), g.get()) <= 0) return false;
    g.release();  // owned by gens now
  }
  return X509_add1_ext_i2d(cert, NID_subject_alt_name, gens.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

// A certificate body: v3, random positive serial, valid from kClockSkew ago for `life`, O=Isthmus and
// CN=`cn` (omitted when too long: clients match the SANs, RFC 6125 §6.4.4), issued by `issuer_name`.
Result<X509Ptr> NewCert(EVP_PKEY* subject_key, const std::string& cn, std::chrono::hours life,
                        const X509_NAME* issuer_name) {
  X509Ptr cert(X509_new());
  BnPtr serial(BN_new());
  if (!cert || !serial || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      BN_rand(serial.get(), kSerialBits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kClockSkew) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                      static_cast<long>(std::chrono::seconds(life).count())) == nullptr ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return Fail(OpensslFailure("make a certificate"));
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!AddNameEntry(name, "O", "Isthmus") || (cn.size() <= kMaxCommonName && !AddNameEntry(name, "CN", cn)) ||
      X509_set_issuer_name(cert.get(), issuer_name != nullptr ? issuer_name : name) != 1) {
    return Fail(OpensslFailure("name a certificate"));
  }
  return cert;
}

struct Ca {
  PkeyPtr key;
  X509Ptr cert;
};

// A self-signed CA, RFC 5280 §4.2.1.9 (basicConstraints), §4.2.1.3 (keyUsage), §4.2.1.2 (key id).
Result<Ca> MakeCa(const TlsOptions& o) {
  unsigned char tag[kCaSuffixBytes];
  if (RAND_bytes(tag, sizeof tag) != 1) return Fail(OpensslFailure("name the CA"));
  std::string cn = "Isthmus local CA ";
  for (unsigned char b : tag) cn += fmt::format("{:02x}", b);
  auto key = NewP256Key();
  if (!key) return Fail(key.error());
  auto cert = NewCert(key->get(), cn, o.ca_lifetime, nullptr);
  if (!cert) return Fail(cert.error());
  X509* c = cert->get();
  if (!AddExtension(c, c, NID_basic_constraints, "critical,CA:TRUE") ||
      !AddExtension(c, c, NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !AddExtension(c, c, NID_subject_key_identifier, "hash") ||
      X509_sign(c, key->get(), EVP_sha256()) <= 0) {
    return Fail(OpensslFailure("sign the CA certificate"));
  }
  return Ca{std::move(*key), std::move(*cert)};
}

struct Server {
  PkeyPtr key;
  X509Ptr cert;
};

// A TLS server leaf under `ca`: RFC 5280 §4.2.1.6 (SAN), §4.2.1.12 (extendedKeyUsage serverAuth),
// §4.2.1.1 (authority key id), signed with SHA-256.
Result<Server> MakeServer(const Ca& ca, const std::vector<SanName>& names, const TlsOptions& o) {
  auto key = NewP256Key();
  if (!key) return Fail(key.error());
  auto cert =
      NewCert(key->get(), Display(names.front()), o.server_lifetime, X509_get_subject_name(ca.cert.get()));
  if (!cert) return Fail(cert.error());
  X509* c = cert->get();
  if (!AddExtension(c, ca.cert.get(), NID_basic_constraints, "CA:FALSE") ||
      !AddExtension(c, ca.cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment") ||
      !AddExtension(c, ca.cert.get(), NID_ext_key_usage, "serverAuth") ||
      !AddExtension(c, ca.cert.get(), NID_subject_key_identifier, "hash") ||
      !AddExtension(c, ca.cert.get(), NID_authority_key_identifier, "keyid") ||
      !AddSubjectAltNames(c, names) || X509_sign(c, ca.key.get(), EVP_sha256()) <= 0) {
    return Fail(OpensslFailure("sign the server certificate"));
  }
  return Server{std::move(*key), std::move(*cert)};
}

// Whether an existing server.pem/server.key pair can stay: issued and signed by the CA, the CA after it
// in the file, the key the certificate's, every name covered and not within renew_before of its end.
bool StillGood(const Ca& ca, const std::vector<X509Ptr>& chain, EVP_PKEY* key,
               const std::vector<SanName>& names, const TlsOptions& o) {
  X509* leaf = chain.front().get();
  const bool signed_by_ca = X509_check_issued(ca.cert.get(), leaf) == X509_V_OK &&
                            X509_verify(leaf, X509_get0_pubkey(ca.cert.get())) == 1;
  const bool chain_is_ca = chain.size() == 2 && X509_cmp(chain[1].get(), ca.cert.get()) == 0;
  std::time_t horizon =
      std::time(nullptr) + static_cast<std::time_t>(std::chrono::seconds(o.renew_before).count());
  const bool good = signed_by_ca && chain_is_ca && X509_check_private_key(leaf, key) == 1 &&
                    Covers(NamesOf(leaf), names) && X509_cmp_time(X509_get0_notAfter(leaf), &horizon) > 0;
  ERR_clear_error();  // a failed check is an answer here, not an error to report later
  return good;
}

struct Paths {
  fs::path ca_cert, ca_key, server_cert, server_key;
};

// The CA in `p` when its key exists (it is then never replaced); nullopt when the key is gone.
Result<std::optional<Ca>> LoadCa(const Paths& p) {
  auto has_key = Exists(p.ca_key);
  if (!has_key) return Fail(has_key.error());
  if (!*has_key) return std::optional<Ca>();
  auto key = ReadKey(p.ca_key, Role::kCa);
  if (!key) return Fail(key.error());
  auto has_cert = Exists(p.ca_cert);
  if (!has_cert) return Fail(has_cert.error());
  if (!*has_cert) return Fail(Unusable(p.ca_cert, "missing while ca.key exists", Role::kCa));
  auto certs = ReadCerts(p.ca_cert, Role::kCa);
  if (!certs) return Fail(certs.error());
  X509Ptr cert = std::move(certs->front());
  if (X509_check_private_key(cert.get(), key->get()) != 1) {
    ERR_clear_error();
    return Fail(Unusable(p.ca_cert, "does not belong to ca.key", Role::kCa));
  }
  return std::optional<Ca>(Ca{std::move(*key), std::move(cert)});
}

// Whether the server files in `p` can be kept under `ca`. Missing files mean no; unreadable ones are an
// error (they are not silently replaced).
Result<bool> KeepServer(const Paths& p, const Ca& ca, const std::vector<SanName>& names,
                        const TlsOptions& o) {
  auto has_cert = Exists(p.server_cert);
  if (!has_cert) return Fail(has_cert.error());
  auto has_key = Exists(p.server_key);
  if (!has_key) return Fail(has_key.error());
  std::vector<X509Ptr> chain;
  if (*has_cert) {
    auto certs = ReadCerts(p.server_cert, Role::kServer);
    if (!certs) return Fail(certs.error());
    chain = std::move(*certs);
  }
  PkeyPtr key;
  if (*has_key) {
    auto k = ReadKey(p.server_key, Role::kServer);
    if (!k) return Fail(k.error());
    key = std::move(*k);
  }
  return !chain.empty() && key && StillGood(ca, chain, key.get(), names, o);
}

Status CheckLifetimes(const TlsOptions& o) {
  using std::chrono::hours;
  constexpr hours kMax{24 * 365 * 100};  // keeps notAfter arithmetic far from overflow
  if (o.ca_lifetime <= hours(0) || o.ca_lifetime > kMax || o.server_lifetime <= hours(0) ||
      o.server_lifetime > kMax || o.renew_before < hours(0) || o.renew_before > kMax) {
    return Fail(Error::Invalid("InvalidTlsLifetime", "TLS lifetimes must be positive and under 100 years"));
  }
  return {};
}

}  // namespace

Result<TlsMaterial> EnsureTlsMaterial(const fs::path& dir, const TlsOptions& options) {
  // The whole request is checked before anything on disk is touched.
  auto names = ParseNames(options.names);
  if (!names) return Fail(names.error());
  if (auto s = CheckLifetimes(options); !s) return Fail(s.error());

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Fail(Error::Internal(fmt::format("cannot create {}: {}", dir.string(), ec.message())));
  if (::chmod(dir.c_str(), 0700) != 0) return Fail(SystemFailure("restrict", dir, errno));
  const Paths p{dir / "ca.pem", dir / "ca.key", dir / "server.pem", dir / "server.key"};
  TlsMaterial m{
      .ca_cert = p.ca_cert, .ca_key = p.ca_key, .server_cert = p.server_cert, .server_key = p.server_key};

  auto loaded = LoadCa(p);
  if (!loaded) return Fail(loaded.error());
  const bool new_ca = !loaded->has_value();
  Ca ca;
  if (new_ca) {
    // Without its key the old CA can sign nothing more; nothing of it (or of its leaf) is read.
    auto made = MakeCa(options);
    if (!made) return Fail(made.error());
    ca = std::move(*made);
  } else {
    ca = std::move(**loaded);
    auto keep = KeepServer(p, ca, *names, options);
    if (!keep) return Fail(keep.error());
    if (*keep) return m;
  }

  auto server = MakeServer(ca, *names, options);
  if (!server) return Fail(server.error());
  auto ca_pem = CertPem(ca.cert.get());
  if (!ca_pem) return Fail(ca_pem.error());
  auto leaf_pem = CertPem(server->cert.get());
  if (!leaf_pem) return Fail(leaf_pem.error());

  // Order matters for a run cut short: ca.pem before ca.key (a new CA counts only once its key exists,
  // so a half-written CA is made again), then the server pair (a key that does not match its
  // certificate is reissued on the next start).
  if (new_ca) {
    if (auto s = WriteAtomically(p.ca_cert, *ca_pem, 0644); !s) return Fail(s.error());
    if (auto s = WriteKey(p.ca_key, ca.key.get()); !s) return Fail(s.error());
  }
  if (auto s = WriteKey(p.server_key, server->key.get()); !s) return Fail(s.error());
  if (auto s = WriteAtomically(p.server_cert, *leaf_pem + *ca_pem, 0644); !s) return Fail(s.error());
  m.issued = true;
  return m;
}

Result<std::vector<std::string>> CertificateNames(const fs::path& pem) {
  auto certs = ReadCerts(pem, Role::kOther);
  if (!certs) return Fail(certs.error());
  std::vector<std::string> out;
  for (const auto& n : NamesOf(certs->front().get())) out.push_back(Display(n));
  return out;
}

}  // namespace isthmus::mgmt::auth
