// Internal to src/crypto: owning handles for OpenSSL objects and the one way OpenSSL failures become
// Errors. Not for use outside this folder (no other module talks to OpenSSL).
#pragma once

#include <memory>
#include <string_view>

#include <openssl/bn.h>
#include <openssl/core.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include "base/result.h"

namespace isthmus::crypto::detail {

template <auto FreeFn>
struct OsslDeleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    FreeFn(p);
  }
};

using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, OsslDeleter<&EVP_CIPHER_CTX_free>>;
using CipherPtr = std::unique_ptr<EVP_CIPHER, OsslDeleter<&EVP_CIPHER_free>>;
using MdPtr = std::unique_ptr<EVP_MD, OsslDeleter<&EVP_MD_free>>;
using MacPtr = std::unique_ptr<EVP_MAC, OsslDeleter<&EVP_MAC_free>>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, OsslDeleter<&EVP_MAC_CTX_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<&EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<&EVP_PKEY_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, OsslDeleter<&BN_free>>;
// For private scalars/exponents: zeroes the limbs before freeing.
using SecretBnPtr = std::unique_ptr<BIGNUM, OsslDeleter<&BN_clear_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, OsslDeleter<&BN_CTX_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OsslDeleter<&OSSL_PARAM_BLD_free>>;
// OSSL_PARAM_BLD puts values of BN_secure_new() numbers in a separate block that OSSL_PARAM_free
// clears before freeing, so private keys must be pushed from secure BIGNUMs.
using ParamsPtr = std::unique_ptr<OSSL_PARAM, OsslDeleter<&OSSL_PARAM_free>>;

// An Internal error naming the failed OpenSSL call and OpenSSL's own reason (which never contains key
// material); drains this thread's OpenSSL error queue.
Error OpenSslError(std::string_view what);

// The dispatch table of the implementation named `name` (any of its colon-separated names, case-
// insensitive) that `prov` offers for `operation` (OSSL_OP_CIPHER, OSSL_OP_DIGEST...), or nullptr. It
// stays valid while the provider is loaded: keep the fetched EVP_CIPHER/EVP_MD that named `prov`.
const OSSL_DISPATCH* ProviderDispatch(const OSSL_PROVIDER* prov, int operation, const char* name);

// A fresh HMAC context with its digest ("SHA256", "SHA384", "SHA512") set; no key yet.
Result<MacCtxPtr> NewHmacContext(const char* digest);

}  // namespace isthmus::crypto::detail
