// Owning handles for OpenSSL objects and the one way OpenSSL failures become Errors. For src/crypto and
// for the management plane's sign-in (mgmt/auth: certificates, token keys), the only other module that
// holds OpenSSL objects; nothing else should talk to OpenSSL.
#pragma once

#include <memory>
#include <string_view>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

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
// BIO_free_all: a handle to the head of a filter chain frees the whole chain (one BIO alone is just freed).
using BioPtr = std::unique_ptr<BIO, OsslDeleter<&BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, OsslDeleter<&X509_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OsslDeleter<&X509_EXTENSION_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, OsslDeleter<&GENERAL_NAME_free>>;
// Frees the stack and every GENERAL_NAME on it.
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OsslDeleter<&GENERAL_NAMES_free>>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, OsslDeleter<&ASN1_STRING_free>>;

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
