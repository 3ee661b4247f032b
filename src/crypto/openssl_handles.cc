#include "crypto/openssl_handles.h"

#include <cstring>
#include <string>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/provider.h>

namespace isthmus::crypto::detail {

Error OpenSslError(std::string_view what) {
  std::string msg = "OpenSSL: ";
  msg += what;
  // Report the earliest error: it is the cause; later entries are consequences.
  if (unsigned long e = ERR_peek_error(); e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    msg += ": ";
    msg += buf;
  }
  ERR_clear_error();
  return Error::Internal(std::move(msg));
}

namespace {
bool NamesInclude(const char* names, const char* name) {
  const std::size_t len = std::strlen(name);
  for (const char* p = names; *p != '\0';) {
    const char* end = std::strchr(p, ':');
    const std::size_t n = end == nullptr ? std::strlen(p) : static_cast<std::size_t>(end - p);
    if (n == len && OPENSSL_strncasecmp(p, name, n) == 0) return true;
    if (end == nullptr) break;
    p = end + 1;
  }
  return false;
}
}  // namespace

const OSSL_DISPATCH* ProviderDispatch(const OSSL_PROVIDER* prov, int operation, const char* name) {
  if (prov == nullptr || name == nullptr) return nullptr;
  int no_cache = 0;
  const OSSL_ALGORITHM* algs = OSSL_PROVIDER_query_operation(prov, operation, &no_cache);
  if (algs == nullptr) return nullptr;
  const OSSL_DISPATCH* found = nullptr;
  for (const OSSL_ALGORITHM* a = algs; a->algorithm_names != nullptr && found == nullptr; ++a) {
    if (NamesInclude(a->algorithm_names, name)) found = a->implementation;
  }
  OSSL_PROVIDER_unquery_operation(prov, operation, algs);
  return found;
}

Result<MacCtxPtr> NewHmacContext(const char* digest) {
  MacPtr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) return Fail(OpenSslError("EVP_MAC_fetch(HMAC)"));
  MacCtxPtr ctx(EVP_MAC_CTX_new(mac.get()));  // holds its own reference to `mac`
  if (!ctx) return Fail(OpenSslError("EVP_MAC_CTX_new"));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(ctx.get(), params) != 1) {
    return Fail(OpenSslError("EVP_MAC_CTX_set_params(digest)"));
  }
  return ctx;
}

}  // namespace isthmus::crypto::detail
