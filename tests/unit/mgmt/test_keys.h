// An RSA signing key for the sign-in tests and the auth fuzzer, as the PKCS#8 PEM TokenIssuer::FromPem
// reads. Header-only so fuzz/ can include it by relative path without a test library of its own.
#pragma once

#include <cstddef>
#include <string>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto/openssl_handles.h"

namespace isthmus::mgmt::testing {

// A fresh 2048-bit key each call: generation takes tens of milliseconds, so callers make one and keep it.
inline std::string RsaPrivateKeyPem() {
  const crypto::detail::PkeyPtr k(EVP_RSA_gen(2048));
  const crypto::detail::BioPtr b(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(b.get(), k.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(b.get(), &data);
  return {data, static_cast<std::size_t>(n)};
}

}  // namespace isthmus::mgmt::testing
