#include "crypto/cipher.h"

#include <climits>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto/openssl_handles.h"
#include "crypto/overlap.h"
#include "crypto/transforms.h"

namespace isthmus::crypto {
namespace {

// Two contexts, each keyed once: AES decryption uses a different key schedule than encryption, and
// re-initialising a context without a key does not recompute it when the direction changes.
class AesCbc final : public Cipher {
 public:
  AesCbc(const EncrInfo& info, detail::CipherCtxPtr enc, detail::CipherCtxPtr dec)
      : info_(info), enc_(std::move(enc)), dec_(std::move(dec)) {}

  EncrId id() const override { return info_.id; }
  std::size_t key_size() const override { return info_.key_size; }
  std::size_t iv_size() const override { return info_.iv_size; }
  std::size_t block_size() const override { return info_.block_size; }

  bool Encrypt(ConstBytes iv, ConstBytes in, MutableBytes out) override {
    return Run(enc_.get(), iv, in, out);
  }
  bool Decrypt(ConstBytes iv, ConstBytes in, MutableBytes out) override {
    return Run(dec_.get(), iv, in, out);
  }

 private:
  bool Run(EVP_CIPHER_CTX* ctx, ConstBytes iv, ConstBytes in, MutableBytes out) {
    if (iv.size() != info_.iv_size || in.size() % info_.block_size != 0 || out.size() != in.size() ||
        in.size() > INT_MAX || PartiallyOverlaps(in, out)) {
      return false;
    }
    if (in.empty()) return true;
    if (EVP_CipherInit_ex2(ctx, nullptr, nullptr, iv.data(), -1, nullptr) != 1) return Failed();
    // With padding off, Update emits every whole block and Final would emit nothing, so Final is
    // skipped. Checking the length also guards against padding having been switched back on: with
    // padding, decryption would hold back a block and we would notice here instead of mis-decrypting.
    int len = 0;
    if (EVP_CipherUpdate(ctx, out.data(), &len, in.data(), static_cast<int>(in.size())) != 1 ||
        static_cast<std::size_t>(len) != in.size()) {
      return Failed();
    }
    return true;
  }
  static bool Failed() {
    ERR_clear_error();
    return false;
  }

  EncrInfo info_;
  detail::CipherCtxPtr enc_;
  detail::CipherCtxPtr dec_;
};

Result<detail::CipherCtxPtr> KeyedContext(EVP_CIPHER* cipher, ConstBytes key, int enc) {
  detail::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Fail(detail::OpenSslError("EVP_CIPHER_CTX_new"));
  if (EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), nullptr, enc, nullptr) != 1) {
    return Fail(detail::OpenSslError("EVP_CipherInit_ex2"));
  }
  if (EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
    return Fail(detail::OpenSslError("EVP_CIPHER_CTX_set_padding"));
  }
  return ctx;
}

}  // namespace

Result<std::unique_ptr<Cipher>> Cipher::Create(EncrId id, std::uint16_t key_length_attr, ConstBytes key) {
  const auto info = FindEncr(id, key_length_attr);
  if (!info || info->aead) {
    return Fail(
        Error::Invalid("UnsupportedTransform", "encryption transform is not a supported non-AEAD cipher"));
  }
  if (key.size() != info->key_size) {
    return Fail(Error::Invalid("InvalidKeyLength", "cipher key has the wrong length"));
  }
  detail::CipherPtr cipher(
      EVP_CIPHER_fetch(nullptr, info->key_size == 32 ? "AES-256-CBC" : "AES-128-CBC", nullptr));
  if (!cipher) return Fail(detail::OpenSslError("EVP_CIPHER_fetch"));
  auto enc = KeyedContext(cipher.get(), key, 1);
  if (!enc) return Fail(std::move(enc.error()));
  auto dec = KeyedContext(cipher.get(), key, 0);
  if (!dec) return Fail(std::move(dec.error()));
  return std::make_unique<AesCbc>(*info, std::move(*enc), std::move(*dec));
}

}  // namespace isthmus::crypto
