// The local CA and server certificate (auth/tls_material.cc), each test in its own temporary directory.
#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <utility>

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "mgmt/auth/tls_material.h"

namespace isthmus::mgmt::auth {
namespace {

namespace fs = std::filesystem;

template <auto FreeFn>
struct OsslFree {
  template <typename T>
  void operator()(T* p) const noexcept {
    FreeFn(p);
  }
};
using Pkey = std::unique_ptr<EVP_PKEY, OsslFree<&EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, OsslFree<&X509_free>>;
using Bio = std::unique_ptr<BIO, OsslFree<&BIO_free_all>>;
using Store = std::unique_ptr<X509_STORE, OsslFree<&X509_STORE_free>>;
using StoreCtx = std::unique_ptr<X509_STORE_CTX, OsslFree<&X509_STORE_CTX_free>>;
using GeneralNames = std::unique_ptr<GENERAL_NAMES, OsslFree<&GENERAL_NAMES_free>>;
using SslCtx = std::unique_ptr<SSL_CTX, OsslFree<&SSL_CTX_free>>;
using Bn = std::unique_ptr<BIGNUM, OsslFree<&BN_free>>;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Spill(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

int Mode(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

// Every certificate in a PEM file, in order.
std::vector<Cert> CertsIn(const fs::path& p) {
  const std::string text = Slurp(p);
  Bio b(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  std::vector<Cert> out;
  while (Cert c{PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr)}) out.push_back(std::move(c));
  return out;
}

Cert FirstCert(const fs::path& p) {
  auto certs = CertsIn(p);
  return certs.empty() ? nullptr : std::move(certs.front());
}

Pkey KeyIn(const fs::path& p) {
  const std::string text = Slurp(p);
  Bio b(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  return Pkey(PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr));
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// Verifies server.pem's leaf against `ca_pem` as a TLS client would: the chain and the name dialled.
bool Verifies(const fs::path& server_pem, const fs::path& ca_pem, const std::string& host) {
  Cert leaf = FirstCert(server_pem);
  Store store(X509_STORE_new());
  StoreCtx ctx(X509_STORE_CTX_new());
  if (!leaf || !store || !ctx || X509_STORE_load_file(store.get(), ca_pem.c_str()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr) != 1) {
    return false;
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  if (IsIpLiteral(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  }
  return X509_verify_cert(ctx.get()) == 1;
}

bool Verifies(const TlsMaterial& m, const std::string& host) {
  return Verifies(m.server_cert, m.ca_cert, host);
}

// The SANs of a certificate as ("IP"|"DNS", text) pairs, in order.
std::vector<std::pair<std::string, std::string>> TypedSans(X509* cert) {
  std::vector<std::pair<std::string, std::string>> out;
  GeneralNames names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names.get(), i);
    if (g->type == GEN_DNS) {
      out.emplace_back("DNS", reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)));
    } else if (g->type == GEN_IPADD) {
      char buf[INET6_ADDRSTRLEN] = {};
      const int len = ASN1_STRING_length(g->d.iPAddress);
      ::inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(g->d.iPAddress), buf, sizeof buf);
      out.emplace_back("IP", buf);
    } else {
      out.emplace_back("other", "");
    }
  }
  return out;
}

std::string NameEntry(const X509_NAME* name, int nid) {
  char buf[256] = {};
  return X509_NAME_get_text_by_NID(name, nid, buf, sizeof buf) > 0 ? buf : "";
}

bool Critical(X509* cert, int nid) {
  const int i = X509_get_ext_by_NID(cert, nid, -1);
  return i >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, i)) == 1;
}

// Seconds from now to an ASN.1 time (negative when it is past).
long long SecondsFromNow(const ASN1_TIME* t) {
  int days = 0, secs = 0;
  if (ASN1_TIME_diff(&days, &secs, nullptr, t) != 1) return 0;
  return static_cast<long long>(days) * 86400 + secs;
}

// A DNS name longer than a CN may be (69 characters).
std::string LongName(char c) {
  return std::string(30, c) + "." + std::string(30, c) + ".example";
}

using Files = std::map<std::string, std::string>;

class TlsMaterialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    root_ =
        fs::temp_directory_path() / ("isthmus-tls-test-" + std::to_string(::getpid()) + "-" +
                                     std::to_string(counter++) + "-" + std::to_string(std::time(nullptr)));
    fs::remove_all(root_);
    ASSERT_TRUE(fs::create_directory(root_));
    dir_ = root_ / "tls";  // made by EnsureTlsMaterial
    options_.names = {"127.0.0.1", "localhost", "::1", "gw.example"};
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Every file in `dir` and its bytes.
  static Files Snapshot(const fs::path& dir) {
    Files out;
    for (const auto& e : fs::directory_iterator(dir)) out[e.path().filename().string()] = Slurp(e.path());
    return out;
  }

  TlsMaterial Ensure() {
    auto m = EnsureTlsMaterial(dir_, options_);
    EXPECT_TRUE(m) << m.error().message;
    return m ? *m : TlsMaterial{};
  }

  fs::path root_;
  fs::path dir_;
  TlsOptions options_;
};

TEST_F(TlsMaterialTest, FirstStartMakesFourFilesWithPrivateKeysAndAPrivateDirectory) {
  auto m = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_TRUE(m->issued);
  EXPECT_EQ(m->ca_cert, dir_ / "ca.pem");
  EXPECT_EQ(m->ca_key, dir_ / "ca.key");
  EXPECT_EQ(m->server_cert, dir_ / "server.pem");
  EXPECT_EQ(m->server_key, dir_ / "server.key");
  EXPECT_EQ(Mode(dir_), 0700);
  EXPECT_EQ(Mode(m->ca_key), 0600);
  EXPECT_EQ(Mode(m->server_key), 0600);
  EXPECT_EQ(Mode(m->ca_cert), 0644);
  EXPECT_EQ(Mode(m->server_cert), 0644);
  Files files = Snapshot(dir_);  // no temporary file is left behind
  ASSERT_EQ(files.size(), 4u);
  EXPECT_TRUE(files.contains("ca.pem") && files.contains("ca.key") && files.contains("server.pem") &&
              files.contains("server.key"));
  EXPECT_NE(files["ca.key"].find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
}

TEST_F(TlsMaterialTest, AnExistingDirectoryIsMadePrivate) {
  fs::create_directory(dir_);
  ::chmod(dir_.c_str(), 0755);
  Ensure();
  EXPECT_EQ(Mode(dir_), 0700);
}

TEST_F(TlsMaterialTest, TheServerCertificateChainsToTheCaForExactlyTheNamesAsked) {
  TlsMaterial m = Ensure();
  Cert leaf = FirstCert(m.server_cert);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(TypedSans(leaf.get()),
            (std::vector<std::pair<std::string, std::string>>{
                {"IP", "127.0.0.1"}, {"DNS", "localhost"}, {"IP", "::1"}, {"DNS", "gw.example"}}));
  auto names = CertificateNames(m.server_cert);
  ASSERT_TRUE(names) << names.error().message;
  EXPECT_EQ(*names, (std::vector<std::string>{"127.0.0.1", "localhost", "::1", "gw.example"}));
  for (const char* host : {"127.0.0.1", "localhost", "::1", "gw.example", "GW.Example"}) {
    EXPECT_TRUE(Verifies(m, host)) << host;
  }
  EXPECT_FALSE(Verifies(m, "other.example"));
  EXPECT_FALSE(Verifies(m, "10.0.0.1"));
  EXPECT_FALSE(Verifies(m, "::2"));
}

TEST_F(TlsMaterialTest, TheCaIsASelfSignedCaWithARandomName) {
  TlsMaterial m = Ensure();
  Cert ca = FirstCert(m.ca_cert);
  ASSERT_TRUE(ca);
  EXPECT_EQ(X509_get_version(ca.get()), X509_VERSION_3);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(ca.get()), X509_get_issuer_name(ca.get())), 0);
  EXPECT_EQ(X509_verify(ca.get(), X509_get0_pubkey(ca.get())), 1);
  const std::string cn = NameEntry(X509_get_subject_name(ca.get()), NID_commonName);
  EXPECT_TRUE(cn.starts_with("Isthmus local CA ")) << cn;
  EXPECT_GT(cn.size(), std::string("Isthmus local CA ").size());
  EXPECT_EQ(NameEntry(X509_get_subject_name(ca.get()), NID_organizationName), "Isthmus");
  EXPECT_NE(X509_get_extension_flags(ca.get()) & EXFLAG_CA, 0u);
  EXPECT_TRUE(Critical(ca.get(), NID_basic_constraints));
  EXPECT_TRUE(Critical(ca.get(), NID_key_usage));
  EXPECT_EQ(X509_get_key_usage(ca.get()), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NE(X509_get0_subject_key_id(ca.get()), nullptr);
  // notBefore an hour back, notAfter per ca_lifetime.
  EXPECT_NEAR(SecondsFromNow(X509_get0_notBefore(ca.get())), -3600, 120);
  EXPECT_NEAR(SecondsFromNow(X509_get0_notAfter(ca.get())),
              std::chrono::seconds(options_.ca_lifetime).count(), 120);

  // Another host's CA has another name.
  auto other = EnsureTlsMaterial(root_ / "other", options_);
  ASSERT_TRUE(other);
  Cert other_ca = FirstCert(other->ca_cert);
  ASSERT_TRUE(other_ca);
  EXPECT_NE(X509_NAME_cmp(X509_get_subject_name(ca.get()), X509_get_subject_name(other_ca.get())), 0);
  EXPECT_FALSE(Verifies(other->server_cert, m.ca_cert, "localhost"));
}

TEST_F(TlsMaterialTest, TheServerCertificateIsALeafForTlsServersSignedWithSha256) {
  TlsMaterial m = Ensure();
  std::vector<Cert> chain = CertsIn(m.server_cert);
  Cert ca = FirstCert(m.ca_cert);
  ASSERT_EQ(chain.size(), 2u);  // the leaf, then the CA
  ASSERT_TRUE(ca);
  EXPECT_EQ(X509_cmp(chain[1].get(), ca.get()), 0);
  X509* leaf = chain[0].get();
  EXPECT_EQ(NameEntry(X509_get_subject_name(leaf), NID_commonName), "127.0.0.1");
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(leaf), X509_get_subject_name(ca.get())), 0);
  EXPECT_EQ(X509_get_signature_nid(leaf), NID_ecdsa_with_SHA256);
  EXPECT_EQ(X509_get_extension_flags(leaf) & EXFLAG_CA, 0u);
  EXPECT_TRUE(Critical(leaf, NID_key_usage));
  EXPECT_EQ(X509_get_key_usage(leaf), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  EXPECT_EQ(X509_get_extended_key_usage(leaf), static_cast<uint32_t>(XKU_SSL_SERVER));
  ASSERT_NE(X509_get0_subject_key_id(leaf), nullptr);
  ASSERT_NE(X509_get0_authority_key_id(leaf), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf), X509_get0_subject_key_id(ca.get())), 0);
  EXPECT_NEAR(SecondsFromNow(X509_get0_notAfter(leaf)),
              std::chrono::seconds(options_.server_lifetime).count(), 120);
  // A positive 128-bit serial, different from the CA's.
  Bn serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), nullptr));
  ASSERT_TRUE(serial);
  EXPECT_FALSE(BN_is_negative(serial.get()));
  EXPECT_EQ(BN_num_bits(serial.get()), 128);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(leaf), X509_get0_serialNumber(ca.get())), 0);
}

TEST_F(TlsMaterialTest, TheKeysAreP256AndBelongToTheirCertificates) {
  TlsMaterial m = Ensure();
  for (const auto& [key_file, cert_file] :
       {std::pair{m.ca_key, m.ca_cert}, std::pair{m.server_key, m.server_cert}}) {
    Pkey key = KeyIn(key_file);
    Cert cert = FirstCert(cert_file);
    ASSERT_TRUE(key && cert) << key_file;
    EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_EC);
    char group[64] = {};
    size_t len = 0;
    ASSERT_EQ(EVP_PKEY_get_group_name(key.get(), group, sizeof group, &len), 1);
    EXPECT_STREQ(group, "prime256v1");
    EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1) << key_file;
  }
  Pkey server_key = KeyIn(m.server_key);
  Cert ca = FirstCert(m.ca_cert);
  EXPECT_NE(X509_check_private_key(ca.get(), server_key.get()), 1);  // two keys, not one
}

TEST_F(TlsMaterialTest, AnSslContextLoadsTheChainAndTheKey) {
  TlsMaterial m = Ensure();
  SslCtx ctx(SSL_CTX_new(TLS_server_method()));
  ASSERT_TRUE(ctx);
  EXPECT_EQ(SSL_CTX_use_certificate_chain_file(ctx.get(), m.server_cert.c_str()), 1);
  EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx.get(), m.server_key.c_str(), SSL_FILETYPE_PEM), 1);
  EXPECT_EQ(SSL_CTX_check_private_key(ctx.get()), 1);
}

TEST_F(TlsMaterialTest, ASecondStartWithCoveredNamesKeepsEveryFile) {
  Ensure();
  const Files before = Snapshot(dir_);
  // A subset, in another case, an address in another spelling, a duplicate: all covered.
  options_.names = {"LOCALHOST", "127.0.0.1", "0:0:0:0:0:0:0:1", "localhost"};
  auto second = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(second->issued);
  EXPECT_EQ(Snapshot(dir_), before);
}

TEST_F(TlsMaterialTest, ANewNameReissuesTheServerCertificateAndKeyUnderTheSameCa) {
  Ensure();
  const Files before = Snapshot(dir_);
  options_.names.push_back("10.1.2.3");
  auto second = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(second->issued);
  const Files after = Snapshot(dir_);
  EXPECT_EQ(after.at("ca.pem"), before.at("ca.pem"));
  EXPECT_EQ(after.at("ca.key"), before.at("ca.key"));
  EXPECT_NE(after.at("server.pem"), before.at("server.pem"));
  EXPECT_NE(after.at("server.key"), before.at("server.key"));
  EXPECT_EQ(after.size(), 4u);
  EXPECT_TRUE(Verifies(*second, "10.1.2.3"));
  EXPECT_TRUE(Verifies(*second, "gw.example"));
  // And the reissued one is kept from then on.
  auto third = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(third);
  EXPECT_FALSE(third->issued);
}

TEST_F(TlsMaterialTest, ACertificateNearItsEndIsReissued) {
  options_.server_lifetime = std::chrono::hours(24);  // shorter than renew_before (30 days)
  Ensure();
  const Files before = Snapshot(dir_);
  auto second = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(second->issued);
  const Files after = Snapshot(dir_);
  EXPECT_NE(after.at("server.pem"), before.at("server.pem"));
  EXPECT_EQ(after.at("ca.pem"), before.at("ca.pem"));
  // With a renewal window shorter than the lifetime it is kept.
  options_.renew_before = std::chrono::hours(1);
  auto third = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(third);
  EXPECT_FALSE(third->issued);
}

TEST_F(TlsMaterialTest, ALostCaKeyMakesANewCaAndServerCertificate) {
  TlsMaterial first = Ensure();
  const Files before = Snapshot(dir_);
  const fs::path old_ca = root_ / "old-ca.pem";
  fs::copy_file(first.ca_cert, old_ca);
  fs::remove(first.ca_key);
  auto second = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(second->issued);
  const Files after = Snapshot(dir_);
  ASSERT_EQ(after.size(), 4u);
  EXPECT_NE(after.at("ca.pem"), before.at("ca.pem"));
  EXPECT_NE(after.at("server.key"), before.at("server.key"));
  EXPECT_EQ(Mode(second->ca_key), 0600);
  EXPECT_TRUE(Verifies(*second, "localhost"));
  EXPECT_FALSE(Verifies(second->server_cert, old_ca, "localhost"));
}

TEST_F(TlsMaterialTest, AServerCertificateFromAnotherCaIsReissued) {
  TlsMaterial m = Ensure();
  auto other = EnsureTlsMaterial(root_ / "other", options_);
  ASSERT_TRUE(other);
  fs::copy_file(other->server_cert, m.server_cert, fs::copy_options::overwrite_existing);
  fs::copy_file(other->server_key, m.server_key, fs::copy_options::overwrite_existing);
  auto again = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->issued);
  EXPECT_TRUE(Verifies(*again, "localhost"));
}

TEST_F(TlsMaterialTest, AServerKeyThatDoesNotMatchItsCertificateIsReissued) {
  TlsMaterial m = Ensure();
  fs::copy_file(m.ca_key, m.server_key, fs::copy_options::overwrite_existing);  // a valid key, the wrong one
  auto again = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->issued);
  Pkey key = KeyIn(m.server_key);
  Cert leaf = FirstCert(m.server_cert);
  ASSERT_TRUE(key && leaf);
  EXPECT_EQ(X509_check_private_key(leaf.get(), key.get()), 1);
}

TEST_F(TlsMaterialTest, AMissingServerFileIsReissued) {
  TlsMaterial m = Ensure();
  fs::remove(m.server_key);
  auto again = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->issued);
  EXPECT_EQ(Mode(m.server_key), 0600);
  EXPECT_TRUE(Verifies(*again, "localhost"));
}

// Each unreadable file is an error naming it, and nothing in the directory changes.
struct Corruption {
  const char* file;
  const char* text;
};

class TlsCorruptionTest : public TlsMaterialTest, public ::testing::WithParamInterface<Corruption> {};

TEST_P(TlsCorruptionTest, IsAnErrorNamingTheFileAndChangesNothing) {
  Ensure();
  Spill(dir_ / GetParam().file, GetParam().text);
  const Files before = Snapshot(dir_);
  auto again = EnsureTlsMaterial(dir_, options_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kInternal);
  EXPECT_NE(again.error().message.find((dir_ / GetParam().file).string()), std::string::npos)
      << again.error().message;
  EXPECT_EQ(again.error().message.find("PRIVATE KEY"), std::string::npos) << again.error().message;
  EXPECT_EQ(again.error().message.find("MII"), std::string::npos) << again.error().message;
  EXPECT_EQ(Snapshot(dir_), before);
}

INSTANTIATE_TEST_SUITE_P(
    EveryFile, TlsCorruptionTest,
    ::testing::Values(Corruption{"ca.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n"},
                      Corruption{"ca.pem", ""},
                      Corruption{"ca.key", "-----BEGIN PRIVATE KEY-----\nMIIgarbage\n"},
                      Corruption{"server.pem",
                                 "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
                      Corruption{"server.key", "garbage"}),
    [](const ::testing::TestParamInfo<Corruption>& param_info) {
      std::string name = std::string(param_info.param.file) + "_" + std::to_string(param_info.index);
      for (auto& c : name) c = c == '.' ? '_' : c;
      return name;
    });

TEST_F(TlsMaterialTest, ACaCertificateThatIsNotTheKeysIsAnError) {
  TlsMaterial m = Ensure();
  auto other = EnsureTlsMaterial(root_ / "other", options_);
  ASSERT_TRUE(other);
  fs::copy_file(other->ca_cert, m.ca_cert, fs::copy_options::overwrite_existing);
  const Files before = Snapshot(dir_);
  auto again = EnsureTlsMaterial(dir_, options_);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("ca.pem"), std::string::npos) << again.error().message;
  EXPECT_EQ(Snapshot(dir_), before);
}

TEST_F(TlsMaterialTest, AMissingCaCertificateWithItsKeyIsAnError) {
  TlsMaterial m = Ensure();
  fs::remove(m.ca_cert);
  const Files before = Snapshot(dir_);
  auto again = EnsureTlsMaterial(dir_, options_);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("ca.pem"), std::string::npos) << again.error().message;
  EXPECT_EQ(Snapshot(dir_), before);
}

TEST_F(TlsMaterialTest, BadNamesAreRejectedBeforeAnythingIsWritten) {
  for (const std::vector<std::string>& names :
       std::vector<std::vector<std::string>>{{},
                                             {""},
                                             {"localhost", "a,DNS:evil.example"},
                                             {"two words"},
                                             {"a..b"},
                                             {"fe80::1%eth0"},
                                             {std::string(64, 'x') + ".example"},
                                             {std::string(254, 'a')}}) {
    options_.names = names;
    auto m = EnsureTlsMaterial(dir_, options_);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().kind, ErrorKind::kInvalidArgument) << m.error().message;
    EXPECT_FALSE(fs::exists(dir_));
  }
  options_.names = {"localhost"};
  options_.server_lifetime = std::chrono::hours(0);
  auto m = EnsureTlsMaterial(dir_, options_);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir_));
}

TEST_F(TlsMaterialTest, NamesAreCanonicalAndBracketedAddressesAreIps) {
  options_.names = {"GW.Example",      "gw.example",     "[::1]",      "::1",
                    "0:0:0:0:0:0:0:1", "*.Apps.Example", LongName('a')};
  TlsMaterial m = Ensure();
  Cert leaf = FirstCert(m.server_cert);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(TypedSans(leaf.get()),
            (std::vector<std::pair<std::string, std::string>>{
                {"DNS", "gw.example"}, {"IP", "::1"}, {"DNS", "*.apps.example"}, {"DNS", LongName('a')}}));
  EXPECT_TRUE(Verifies(m, "x.apps.example"));
  // A first name too long for a CN (RFC 5280 ub-common-name) leaves the CN out rather than failing.
  options_.names = {LongName('b')};
  auto long_cn = EnsureTlsMaterial(root_ / "long", options_);
  ASSERT_TRUE(long_cn) << long_cn.error().message;
  EXPECT_TRUE(Verifies(*long_cn, LongName('b')));
}

TEST_F(TlsMaterialTest, CertificateNamesOfAFileThatIsNotACertificateIsAnError) {
  EXPECT_FALSE(CertificateNames(root_ / "missing.pem"));
  Spill(root_ / "junk.pem", "junk");
  auto names = CertificateNames(root_ / "junk.pem");
  ASSERT_FALSE(names);
  EXPECT_NE(names.error().message.find("junk.pem"), std::string::npos);
}

}  // namespace
}  // namespace isthmus::mgmt::auth
