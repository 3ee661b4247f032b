#include "crypto/aead.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <array>
#include <climits>
#include <cstring>

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

// One EVP_CIPHER_CTX, keyed once. Sealing and opening share it: AES-GCM and ChaCha20-Poly1305 use
// the same key schedule in both directions, so switching direction needs only the IV re-init that
// every call does anyway.
class EvpAead final : public Aead {
 public:
  EvpAead(const EncrInfo& info, detail::CipherCtxPtr ctx, ConstBytes salt)
      : info_(info), ctx_(std::move(ctx)) {
    std::memcpy(nonce_.data(), salt.data(), kSaltSize);
  }
  ~EvpAead() override { SecureWipe(nonce_.data(), nonce_.size()); }
  EvpAead(const EvpAead&) = delete;
  EvpAead& operator=(const EvpAead&) = delete;

  EncrId id() const override { return info_.id; }
  std::size_t key_size() const override { return info_.key_size; }
  std::size_t iv_size() const override { return info_.iv_size; }
  std::size_t icv_size() const override { return info_.icv_size; }

  bool Seal(AeadIv iv, ConstBytes aad, ConstBytes plaintext, MutableBytes out) override {
    const std::size_t n = plaintext.size();
    if (out.size() != n + info_.icv_size || n > INT_MAX || aad.size() > INT_MAX) return false;
    if (PartiallyOverlaps(plaintext, out.first(n))) return false;
    if (!Start(iv, /*enc=*/1, aad)) return Failed();
    int len = 0;
    if (n > 0 &&
        (EVP_CipherUpdate(ctx_.get(), out.data(), &len, plaintext.data(), static_cast<int>(n)) != 1 ||
         static_cast<std::size_t>(len) != n)) {
      return Failed();
    }
    int fin = 0;
    if (EVP_CipherFinal_ex(ctx_.get(), out.data() + n, &fin) != 1 || fin != 0) return Failed();
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, out.data() + n, info_.icv_size),
        OSSL_PARAM_construct_end()};
    if (EVP_CIPHER_CTX_get_params(ctx_.get(), params) != 1) return Failed();
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
    if (!Start(iv, /*enc=*/0, aad)) return Reject(out);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, icv.data(), info_.icv_size),
        OSSL_PARAM_construct_end()};
    if (EVP_CIPHER_CTX_set_params(ctx_.get(), params) != 1) return Reject(out);
    int len = 0;
    if (n > 0 && (EVP_CipherUpdate(ctx_.get(), out.data(), &len, in.data(), static_cast<int>(n)) != 1 ||
                  static_cast<std::size_t>(len) != n)) {
      return Reject(out);
    }
    int fin = 0;
    // Final compares the tag (in constant time, inside OpenSSL).
    if (EVP_CipherFinal_ex(ctx_.get(), out.data() + n, &fin) != 1 || fin != 0) return Reject(out);
    return true;
  }

 private:
  bool Start(AeadIv iv, int enc, ConstBytes aad) {
    std::memcpy(nonce_.data() + kSaltSize, iv.data(), kIvSize);
    // Cipher and key NULL: keep both, only load the nonce (and the direction).
    if (EVP_CipherInit_ex2(ctx_.get(), nullptr, nullptr, nonce_.data(), enc, nullptr) != 1) {
      return false;
    }
    if (!aad.empty()) {
      int len = 0;
      if (EVP_CipherUpdate(ctx_.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
        return false;
      }
    }
    return true;
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
  detail::CipherCtxPtr ctx_;
  std::array<std::uint8_t, kNonceSize> nonce_{};  // salt || current IV
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

Result<std::unique_ptr<Aead>> Aead::Create(EncrId id, std::uint16_t key_length_attr, ConstBytes keymat) {
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
  detail::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Fail(detail::OpenSslError("EVP_CIPHER_CTX_new"));
  // The default IV length of both ciphers is the 12-octet nonce we use, so no IVLEN param is needed;
  // check rather than assume.
  if (EVP_CIPHER_get_iv_length(cipher.get()) != static_cast<int>(kNonceSize)) {
    return Fail(Error::Internal("AEAD nonce length mismatch"));
  }
  // The ctx keeps its own reference to the cipher; the fetched one is released on return.
  if (EVP_CipherInit_ex2(ctx.get(), cipher.get(), keymat.data(), nullptr, 1, nullptr) != 1) {
    return Fail(detail::OpenSslError("EVP_CipherInit_ex2"));
  }
  return std::make_unique<EvpAead>(*info, std::move(ctx), keymat.subspan(info->key_size));
}

}  // namespace isthmus::crypto
