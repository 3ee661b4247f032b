#include "crypto/openssl_handles.h"

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <string>

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
