// The local CA and server certificate (auth/tls_material.cc) in a temporary directory.
#include <sys/stat.h>

#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "mgmt/auth/tls_material.h"

namespace isthmus::mgmt::auth {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int Mode(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}

// Verifies server.pem's leaf against ca.pem as a TLS client would (chain and name).
bool Verifies(const TlsMaterial& m, const std::string& host) {
  FILE* f = std::fopen(m.server_cert.c_str(), "r");
  X509* leaf = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_load_file(store, m.ca_cert.c_str());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  if (host.find_first_not_of("0123456789.:abcdef") == std::string::npos &&
      host.find_first_of(".:") != std::string::npos) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  }
  bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(leaf);
  return ok;
}

class TlsMaterialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("isthmus-tls-" + std::to_string(std::random_device{}()));
    options_.names = {"127.0.0.1", "localhost", "::1", "gw.example"};
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  TlsOptions options_;
};

TEST_F(TlsMaterialTest, FirstStartMakesACaAndAServerCertificateForEveryName) {
  auto m = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_TRUE(m->issued);
  EXPECT_EQ(Mode(dir_), 0700);
  EXPECT_EQ(Mode(m->ca_key), 0600);
  EXPECT_EQ(Mode(m->server_key), 0600);
  EXPECT_EQ(Mode(m->ca_cert), 0644);
  auto names = CertificateNames(m->server_cert);
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, (std::vector<std::string>{"127.0.0.1", "localhost", "::1", "gw.example"}));
  for (const char* host : {"127.0.0.1", "localhost", "::1", "gw.example"})
    EXPECT_TRUE(Verifies(*m, host)) << host;
  EXPECT_FALSE(Verifies(*m, "other.example"));
  EXPECT_FALSE(Verifies(*m, "10.0.0.1"));
  // The keys are P-256 and belong to their certificates.
  for (auto [key, cert] : {std::pair{m->ca_key, m->ca_cert}, std::pair{m->server_key, m->server_cert}}) {
    FILE* kf = std::fopen(key.c_str(), "r");
    EVP_PKEY* k = PEM_read_PrivateKey(kf, nullptr, nullptr, nullptr);
    std::fclose(kf);
    FILE* cf = std::fopen(cert.c_str(), "r");
    X509* c = PEM_read_X509(cf, nullptr, nullptr, nullptr);
    std::fclose(cf);
    ASSERT_TRUE(k && c);
    EXPECT_EQ(EVP_PKEY_get_base_id(k), EVP_PKEY_EC);
    EXPECT_EQ(EVP_PKEY_get_bits(k), 256);
    EXPECT_EQ(X509_check_private_key(c, k), 1);
    EVP_PKEY_free(k);
    X509_free(c);
  }
}

TEST_F(TlsMaterialTest, ASecondStartKeepsEverything) {
  auto first = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(first);
  const std::string ca = Slurp(first->ca_cert), server = Slurp(first->server_cert),
                    key = Slurp(first->server_key);
  options_.names = {"LOCALHOST", "127.0.0.1"};  // a subset, other case: covered
  auto second = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->issued);
  EXPECT_EQ(Slurp(second->ca_cert), ca);
  EXPECT_EQ(Slurp(second->server_cert), server);
  EXPECT_EQ(Slurp(second->server_key), key);
}

TEST_F(TlsMaterialTest, ANewNameReissuesTheServerCertificateUnderTheSameCa) {
  auto first = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(first);
  const std::string ca = Slurp(first->ca_cert), server = Slurp(first->server_cert);
  options_.names.push_back("10.1.2.3");
  auto second = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->issued);
  EXPECT_EQ(Slurp(second->ca_cert), ca);
  EXPECT_NE(Slurp(second->server_cert), server);
  EXPECT_TRUE(Verifies(*second, "10.1.2.3"));
}

TEST_F(TlsMaterialTest, ACertificateNearItsEndIsReissued) {
  options_.server_lifetime = std::chrono::hours(24);  // shorter than renew_before (30 days)
  auto first = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(first);
  const std::string server = Slurp(first->server_cert);
  auto second = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->issued);
  EXPECT_NE(Slurp(second->server_cert), server);
}

TEST_F(TlsMaterialTest, ALostCaKeyMakesANewCa) {
  auto first = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(first);
  const std::string ca = Slurp(first->ca_cert);
  fs::remove(first->ca_key);
  auto second = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(second->issued);
  EXPECT_NE(Slurp(second->ca_cert), ca);
  EXPECT_TRUE(Verifies(*second, "localhost"));
}

TEST_F(TlsMaterialTest, ACorruptCaIsAnErrorAndChangesNothing) {
  auto first = EnsureTlsMaterial(dir_, options_);
  ASSERT_TRUE(first);
  { std::ofstream(first->ca_cert) << "-----BEGIN CERTIFICATE-----\nnot base64\n"; }
  const std::string server = Slurp(first->server_cert), key = Slurp(first->ca_key);
  auto second = EnsureTlsMaterial(dir_, options_);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("ca.pem"), std::string::npos) << second.error().message;
  EXPECT_EQ(Slurp(first->server_cert), server);
  EXPECT_EQ(Slurp(first->ca_key), key);
  EXPECT_EQ(second.error().message.find("PRIVATE"), std::string::npos);
}

}  // namespace
}  // namespace isthmus::mgmt::auth
