#include "crypto/integrity.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <array>
#include <cstring>

#include "crypto/openssl_handles.h"
#include "crypto/transforms.h"

namespace isthmus::crypto {
namespace {

constexpr std::size_t kMaxDigest = 64;  // SHA-512

const char* DigestName(IntegId id) {
  switch (id) {
    case IntegId::kHmacSha2_256_128:
      return "SHA256";
    case IntegId::kHmacSha2_384_192:
      return "SHA384";
    case IntegId::kHmacSha2_512_256:
      return "SHA512";
    default:
      return nullptr;
  }
}

// The HMAC context is keyed once; each call re-initialises it without a key, which restores the
// precomputed inner/outer pad state instead of re-hashing the key.
class TruncatedHmac final : public Integrity {
 public:
  TruncatedHmac(const IntegInfo& info, detail::MacCtxPtr ctx) : info_(info), ctx_(std::move(ctx)) {}

  IntegId id() const override { return info_.id; }
  std::size_t key_size() const override { return info_.key_size; }
  std::size_t icv_size() const override { return info_.icv_size; }

 protected:
  bool DoCompute(std::span<const ConstBytes> parts, MutableBytes icv) override {
    if (icv.size() != info_.icv_size) return false;
    std::array<std::uint8_t, kMaxDigest> full;
    const bool ok = Full(parts, full);
    if (ok) std::memcpy(icv.data(), full.data(), info_.icv_size);
    OPENSSL_cleanse(full.data(), full.size());
    return ok;
  }

  bool DoVerify(std::span<const ConstBytes> parts, ConstBytes icv) override {
    if (icv.size() != info_.icv_size) return false;
    std::array<std::uint8_t, kMaxDigest> full;
    const bool ok = Full(parts, full) && CRYPTO_memcmp(full.data(), icv.data(), info_.icv_size) == 0;
    OPENSSL_cleanse(full.data(), full.size());
    return ok;
  }

 private:
  bool Full(std::span<const ConstBytes> parts, std::array<std::uint8_t, kMaxDigest>& full) {
    if (EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1) return Failed();
    for (ConstBytes p : parts) {
      if (!p.empty() && EVP_MAC_update(ctx_.get(), p.data(), p.size()) != 1) return Failed();
    }
    std::size_t len = 0;
    if (EVP_MAC_final(ctx_.get(), full.data(), &len, full.size()) != 1) return Failed();
    return len == 2 * info_.icv_size;
  }
  static bool Failed() {
    ERR_clear_error();
    return false;
  }

  IntegInfo info_;
  detail::MacCtxPtr ctx_;
};

}  // namespace

Result<std::unique_ptr<Integrity>> Integrity::Create(IntegId id, ConstBytes key) {
  const auto info = FindInteg(id);
  if (!info) return Fail(Error::Invalid("UnsupportedTransform", "unsupported integrity transform"));
  if (key.size() != info->key_size) {
    return Fail(Error::Invalid("InvalidKeyLength", "integrity key has the wrong length"));
  }
  auto ctx = detail::NewHmacContext(DigestName(id));
  if (!ctx) return Fail(std::move(ctx.error()));
  if (EVP_MAC_init(ctx->get(), key.data(), key.size(), nullptr) != 1) {
    return Fail(detail::OpenSslError("EVP_MAC_init"));
  }
  return std::make_unique<TruncatedHmac>(*info, std::move(*ctx));
}

}  // namespace isthmus::crypto
