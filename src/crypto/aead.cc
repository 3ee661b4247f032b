#include "crypto/aead.h"

#include <array>
#include <climits>
#include <cstring>
#include <optional>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "base/secret.h"
#include "crypto/openssl_handles.h"
#include "crypto/overlap.h"
#include "crypto/transforms.h"

namespace isthmus::crypto {
namespace {

constexpr std::size_t kSaltSize = 4;
constexpr std::size_t kIvSize = 8;
constexpr std::size_t kNonceSize = kSaltSize + kIvSize;  // 96-bit nonce, RFC 4106 §4, RFC 8439 §2.8
constexpr std::size_t kMaxIcv = 16;

// Seal and Open over a backend that reaches OpenSSL's implementation one way or the other. A backend
// is keyed once; per call it loads the nonce and direction (Init), takes the AAD, the text, finishes,
// and hands over or takes the tag. Each returns false on any failure.
template <typename Backend>
class AeadImpl final : public Aead {
 public:
  AeadImpl(const EncrInfo& info, Backend backend, ConstBytes salt) : info_(info), b_(std::move(backend)) {
    std::memcpy(nonce_.data(), salt.data(), kSaltSize);
  }
  ~AeadImpl() override { SecureWipe(nonce_.data(), nonce_.size()); }
  AeadImpl(const AeadImpl&) = delete;
  AeadImpl& operator=(const AeadImpl&) = delete;

  EncrId id() const override { return info_.id; }
  std::size_t key_size() const override { return info_.key_size; }
  std::size_t iv_size() const override { return info_.iv_size; }
  std::size_t icv_size() const override { return info_.icv_size; }
  AeadPath path() const override { return Backend::kPath; }

  bool Seal(AeadIv iv, ConstBytes aad, ConstBytes plaintext, MutableBytes out) override {
    const std::size_t n = plaintext.size();
    if (out.size() != n + info_.icv_size || n > INT_MAX || aad.size() > INT_MAX) return false;
    if (PartiallyOverlaps(plaintext, out.first(n))) return false;
    if (!Start(iv, /*enc=*/1, aad)) return Failed();
    if (n > 0 && !b_.Update(out.data(), plaintext.data(), n)) return Failed();
    if (!b_.Final() || !b_.GetTag(out.data() + n, info_.icv_size)) return Failed();
    return true;
  }

  bool Open(AeadIv iv, ConstBytes aad, ConstBytes in, MutableBytes out) override {
    if (in.size() < info_.icv_size) return Reject(out);
    const std::size_t n = in.size() - info_.icv_size;
    if (out.size() != n || n > INT_MAX || aad.size() > INT_MAX) return Reject(out);
    if (PartiallyOverlaps(in.first(n), out)) return Reject(out);
    // Copy the ICV first: with a disjoint `out` that happens to cover the ICV's bytes, decryption
    // would otherwise overwrite it before it is checked.
    std::array<std::uint8_t, kMaxIcv> icv;
    std::memcpy(icv.data(), in.data() + n, info_.icv_size);
    if (!Start(iv, /*enc=*/0, aad) || !b_.SetTag(icv.data(), info_.icv_size)) return Reject(out);
    if (n > 0 && !b_.Update(out.data(), in.data(), n)) return Reject(out);
    // Final compares the tag (in constant time, inside OpenSSL).
    if (!b_.Final()) return Reject(out);
    return true;
  }

 private:
  bool Start(AeadIv iv, int enc, ConstBytes aad) {
    std::memcpy(nonce_.data() + kSaltSize, iv.data(), kIvSize);
    return b_.Init(nonce_.data(), kNonceSize, enc) && (aad.empty() || b_.Aad(aad.data(), aad.size()));
  }

  static bool Failed() {
    ERR_clear_error();  // keep the thread's error queue from filling with per-packet failures
    return false;
  }
  static bool Reject(MutableBytes out) {
    if (!out.empty()) OPENSSL_cleanse(out.data(), out.size());
    return Failed();
  }

  EncrInfo info_;
  Backend b_;
  std::array<std::uint8_t, kNonceSize> nonce_{};  // salt || current IV
};

// The EVP_CIPHER_CTX API. One context, keyed once: AES-GCM and ChaCha20-Poly1305 use the same key
// schedule in both directions, so switching direction needs only the IV re-init every call does anyway.
class EvpBackend {
 public:
  static constexpr AeadPath kPath = AeadPath::kEvp;
  explicit EvpBackend(detail::CipherCtxPtr ctx) : ctx_(std::move(ctx)) {}

  bool Init(const std::uint8_t* nonce, std::size_t, int enc) {
    // Cipher and key NULL: keep both, only load the nonce (and the direction).
    return EVP_CipherInit_ex2(ctx_.get(), nullptr, nullptr, nonce, enc, nullptr) == 1;
  }
  bool Aad(const std::uint8_t* aad, std::size_t n) {
    int len = 0;
    return EVP_CipherUpdate(ctx_.get(), nullptr, &len, aad, static_cast<int>(n)) == 1;
  }
  bool Update(std::uint8_t* out, const std::uint8_t* in, std::size_t n) {
    int len = 0;
    return EVP_CipherUpdate(ctx_.get(), out, &len, in, static_cast<int>(n)) == 1 &&
           static_cast<std::size_t>(len) == n;
  }
  bool Final() {
    std::uint8_t none[16];
    int fin = 0;
    return EVP_CipherFinal_ex(ctx_.get(), none, &fin) == 1 && fin == 0;
  }
  bool GetTag(std::uint8_t* tag, std::size_t n) {
    OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, n),
                           OSSL_PARAM_construct_end()};
    return EVP_CIPHER_CTX_get_params(ctx_.get(), params) == 1;
  }
  bool SetTag(std::uint8_t* tag, std::size_t n) {
    OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, n),
                           OSSL_PARAM_construct_end()};
    return EVP_CIPHER_CTX_set_params(ctx_.get(), params) == 1;
  }

 private:
  detail::CipherCtxPtr ctx_;
};

// The provider's cipher functions (provider-cipher(7)), called as EVP calls them but without EVP's
// per-call overhead. The fetched EVP_CIPHER is kept: it holds the provider, and so its code, loaded.
class DirectBackend {
 public:
  static constexpr AeadPath kPath = AeadPath::kDirect;
  struct Fns {
    OSSL_FUNC_cipher_newctx_fn* newctx = nullptr;
    OSSL_FUNC_cipher_freectx_fn* freectx = nullptr;
    OSSL_FUNC_cipher_encrypt_init_fn* einit = nullptr;
    OSSL_FUNC_cipher_decrypt_init_fn* dinit = nullptr;
    OSSL_FUNC_cipher_update_fn* update = nullptr;
    OSSL_FUNC_cipher_final_fn* final = nullptr;
    OSSL_FUNC_cipher_get_ctx_params_fn* get_ctx_params = nullptr;
    OSSL_FUNC_cipher_set_ctx_params_fn* set_ctx_params = nullptr;
  };

  // The provider's implementation of `cipher`, a fresh context for it keyed with `key`; nullopt when
  // any piece is missing.
  static std::optional<DirectBackend> Create(detail::CipherPtr cipher, ConstBytes key) {
    const OSSL_PROVIDER* prov = EVP_CIPHER_get0_provider(cipher.get());
    const OSSL_DISPATCH* impl =
        detail::ProviderDispatch(prov, OSSL_OP_CIPHER, EVP_CIPHER_get0_name(cipher.get()));
    if (impl == nullptr) return std::nullopt;
    Fns f;
    for (const OSSL_DISPATCH* d = impl; d->function_id != 0; ++d) {
      switch (d->function_id) {
        case OSSL_FUNC_CIPHER_NEWCTX:
          f.newctx = OSSL_FUNC_cipher_newctx(d);
          break;
        case OSSL_FUNC_CIPHER_FREECTX:
          f.freectx = OSSL_FUNC_cipher_freectx(d);
          break;
        case OSSL_FUNC_CIPHER_ENCRYPT_INIT:
          f.einit = OSSL_FUNC_cipher_encrypt_init(d);
          break;
        case OSSL_FUNC_CIPHER_DECRYPT_INIT:
          f.dinit = OSSL_FUNC_cipher_decrypt_init(d);
          break;
        case OSSL_FUNC_CIPHER_UPDATE:
          f.update = OSSL_FUNC_cipher_update(d);
          break;
        case OSSL_FUNC_CIPHER_FINAL:
          f.final = OSSL_FUNC_cipher_final(d);
          break;
        case OSSL_FUNC_CIPHER_GET_CTX_PARAMS:
          f.get_ctx_params = OSSL_FUNC_cipher_get_ctx_params(d);
          break;
        case OSSL_FUNC_CIPHER_SET_CTX_PARAMS:
          f.set_ctx_params = OSSL_FUNC_cipher_set_ctx_params(d);
          break;
        default:
          break;
      }
    }
    if (!f.newctx || !f.freectx || !f.einit || !f.dinit || !f.update || !f.final || !f.get_ctx_params ||
        !f.set_ctx_params) {
      return std::nullopt;
    }
    void* ctx = f.newctx(OSSL_PROVIDER_get0_provider_ctx(prov));
    if (ctx == nullptr) return std::nullopt;
    DirectBackend b(std::move(cipher), f, ctx);
    if (f.einit(ctx, key.data(), key.size(), nullptr, 0, nullptr) != 1) return std::nullopt;
    return b;
  }

  DirectBackend(DirectBackend&& o) noexcept : cipher_(std::move(o.cipher_)), f_(o.f_), ctx_(o.ctx_) {
    o.ctx_ = nullptr;
  }
  DirectBackend& operator=(DirectBackend&&) = delete;
  ~DirectBackend() {
    if (ctx_ != nullptr) f_.freectx(ctx_);  // the provider cleanses its key schedule
  }

  bool Init(const std::uint8_t* nonce, std::size_t n, int enc) {
    return (enc ? f_.einit : f_.dinit)(ctx_, nullptr, 0, nonce, n, nullptr) == 1;
  }
  bool Aad(const std::uint8_t* aad, std::size_t n) {
    std::size_t len = 0;
    return f_.update(ctx_, nullptr, &len, n, aad, n) == 1;
  }
  bool Update(std::uint8_t* out, const std::uint8_t* in, std::size_t n) {
    std::size_t len = 0;
    return f_.update(ctx_, out, &len, n, in, n) == 1 && len == n;
  }
  bool Final() {
    std::uint8_t none[16];
    std::size_t fin = 0;
    return f_.final(ctx_, none, &fin, sizeof none) == 1 && fin == 0;
  }
  bool GetTag(std::uint8_t* tag, std::size_t n) {
    OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, n),
                           OSSL_PARAM_construct_end()};
    return f_.get_ctx_params(ctx_, params) == 1;
  }
  bool SetTag(std::uint8_t* tag, std::size_t n) {
    OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, n),
                           OSSL_PARAM_construct_end()};
    return f_.set_ctx_params(ctx_, params) == 1;
  }

 private:
  DirectBackend(detail::CipherPtr cipher, const Fns& f, void* ctx)
      : cipher_(std::move(cipher)), f_(f), ctx_(ctx) {}

  detail::CipherPtr cipher_;
  Fns f_;
  void* ctx_ = nullptr;
};

const char* EvpCipherName(const EncrInfo& info) {
  switch (info.id) {
    case EncrId::kAesGcm16:
      return info.key_size == 32 ? "AES-256-GCM" : "AES-128-GCM";
    case EncrId::kChaCha20Poly1305:
      return "ChaCha20-Poly1305";
    default:
      return nullptr;
  }
}

}  // namespace

Result<std::unique_ptr<Aead>> Aead::Create(EncrId id, std::uint16_t key_length_attr, ConstBytes keymat,
                                           AeadPath path) {
  const auto info = FindEncr(id, key_length_attr);
  if (!info || !info->aead) {
    return Fail(Error::Invalid("UnsupportedTransform",
                               "encryption transform is not a supported AEAD (id/key length)"));
  }
  if (keymat.size() != info->keymat_size) {
    return Fail(Error::Invalid("InvalidKeyLength", "AEAD keymat must be key || 4-octet salt"));
  }
  detail::CipherPtr cipher(EVP_CIPHER_fetch(nullptr, EvpCipherName(*info), nullptr));
  if (!cipher) return Fail(detail::OpenSslError("EVP_CIPHER_fetch"));
  // The default IV length of both ciphers is the 12-octet nonce we use, so no IVLEN param is needed;
  // check rather than assume.
  if (EVP_CIPHER_get_iv_length(cipher.get()) != static_cast<int>(kNonceSize)) {
    return Fail(Error::Internal("AEAD nonce length mismatch"));
  }
  const ConstBytes key = keymat.first(info->key_size), salt = keymat.subspan(info->key_size);
  if (path == AeadPath::kDirect) {
    // Take the second reference before wrapping it: a failed up_ref must not be released.
    if (EVP_CIPHER_up_ref(cipher.get()) != 1) return Fail(detail::OpenSslError("EVP_CIPHER_up_ref"));
    detail::CipherPtr ref(cipher.get());
    if (auto direct = DirectBackend::Create(std::move(ref), key)) {
      return std::unique_ptr<Aead>(new AeadImpl<DirectBackend>(*info, std::move(*direct), salt));
    }
    ERR_clear_error();  // fall back to EVP below
  }
  detail::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Fail(detail::OpenSslError("EVP_CIPHER_CTX_new"));
  // The ctx keeps its own reference to the cipher; the fetched one is released on return.
  if (EVP_CipherInit_ex2(ctx.get(), cipher.get(), key.data(), nullptr, 1, nullptr) != 1) {
    return Fail(detail::OpenSslError("EVP_CipherInit_ex2"));
  }
  return std::unique_ptr<Aead>(new AeadImpl<EvpBackend>(*info, EvpBackend(std::move(ctx)), salt));
}

}  // namespace isthmus::crypto
