#include "crypto/integrity.h"

#include <array>
#include <cstring>

#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "base/secret.h"
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

// What both HMAC paths share: the untruncated HMAC (Full) cut to the ICV, and a constant-time compare.
class TruncatedHmacBase : public Integrity {
 public:
  explicit TruncatedHmacBase(const IntegInfo& info) : info_(info) {}
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

  // The whole HMAC output (2 * icv_size octets) into `full`.
  virtual bool Full(std::span<const ConstBytes> parts, std::array<std::uint8_t, kMaxDigest>& full) = 0;

  const IntegInfo info_;
};

// OpenSSL's HMAC (EVP_MAC), keyed once; each call re-initialises it without a key, which restores the
// precomputed inner/outer pad state instead of re-hashing the key (and, in OpenSSL 3.0, allocates).
class TruncatedHmac final : public TruncatedHmacBase {
 public:
  TruncatedHmac(const IntegInfo& info, detail::MacCtxPtr ctx)
      : TruncatedHmacBase(info), ctx_(std::move(ctx)) {}

  IntegrityPath path() const override { return IntegrityPath::kEvp; }

 private:
  bool Full(std::span<const ConstBytes> parts, std::array<std::uint8_t, kMaxDigest>& full) override {
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

  detail::MacCtxPtr ctx_;
};

// RFC 2104 over the provider's own SHA-2 functions: H((K0 ^ opad) || H((K0 ^ ipad) || text)), with K0
// the key zero-padded to the hash's block (ESP keys are the hash length, shorter than the block, RFC
// 4868 §2.1.1). Why not OpenSSL's HMAC: in 3.0 every re-init and final duplicates a digest context, two
// allocations per packet (tests/unit/dataplane/no_alloc_test.cc found them), and there is no way to copy
// a digest state into an existing context before 3.1. The price is two more compression-function calls
// per packet (the pad blocks are hashed each time instead of restored). Same output as EVP_MAC
// (tests/unit/crypto/integrity_test.cc, both paths on every vector and on random inputs).
class DirectHmac final : public TruncatedHmacBase {
 public:
  static std::unique_ptr<Integrity> Create(const IntegInfo& info, const char* digest, ConstBytes key) {
    detail::MdPtr md(EVP_MD_fetch(nullptr, digest, nullptr));
    if (!md) return nullptr;
    const int block = EVP_MD_get_block_size(md.get()), size = EVP_MD_get_size(md.get());
    if (block <= 0 || block > static_cast<int>(kMaxBlock) || size != static_cast<int>(2 * info.icv_size) ||
        key.size() > static_cast<std::size_t>(block)) {
      return nullptr;
    }
    const OSSL_PROVIDER* prov = EVP_MD_get0_provider(md.get());
    const OSSL_DISPATCH* impl = detail::ProviderDispatch(prov, OSSL_OP_DIGEST, EVP_MD_get0_name(md.get()));
    if (impl == nullptr) return nullptr;
    std::unique_ptr<DirectHmac> h(new DirectHmac(info, std::move(md), static_cast<std::size_t>(block)));
    for (const OSSL_DISPATCH* d = impl; d->function_id != 0; ++d) {
      switch (d->function_id) {
        case OSSL_FUNC_DIGEST_NEWCTX:
          h->newctx_ = OSSL_FUNC_digest_newctx(d);
          break;
        case OSSL_FUNC_DIGEST_FREECTX:
          h->freectx_ = OSSL_FUNC_digest_freectx(d);
          break;
        case OSSL_FUNC_DIGEST_INIT:
          h->init_ = OSSL_FUNC_digest_init(d);
          break;
        case OSSL_FUNC_DIGEST_UPDATE:
          h->update_ = OSSL_FUNC_digest_update(d);
          break;
        case OSSL_FUNC_DIGEST_FINAL:
          h->final_ = OSSL_FUNC_digest_final(d);
          break;
        default:
          break;
      }
    }
    if (!h->newctx_ || !h->freectx_ || !h->init_ || !h->update_ || !h->final_) return nullptr;
    void* provctx = OSSL_PROVIDER_get0_provider_ctx(prov);
    h->inner_ = h->newctx_(provctx);
    h->outer_ = h->newctx_(provctx);
    if (h->inner_ == nullptr || h->outer_ == nullptr) return nullptr;
    for (std::size_t i = 0; i < h->block_; ++i) {
      const std::uint8_t k = i < key.size() ? key[i] : 0;
      h->ipad_[i] = static_cast<std::uint8_t>(k ^ 0x36);
      h->opad_[i] = static_cast<std::uint8_t>(k ^ 0x5c);
    }
    return h;
  }
  ~DirectHmac() override {
    if (inner_ != nullptr) freectx_(inner_);  // the provider cleanses its state
    if (outer_ != nullptr) freectx_(outer_);
    SecureWipe(ipad_.data(), ipad_.size());
    SecureWipe(opad_.data(), opad_.size());
  }
  DirectHmac(const DirectHmac&) = delete;
  DirectHmac& operator=(const DirectHmac&) = delete;

  IntegrityPath path() const override { return IntegrityPath::kDirect; }

 private:
  static constexpr std::size_t kMaxBlock = 128;  // SHA-384/512

  DirectHmac(const IntegInfo& info, detail::MdPtr md, std::size_t block)
      : TruncatedHmacBase(info), md_(std::move(md)), block_(block) {}

  bool Full(std::span<const ConstBytes> parts, std::array<std::uint8_t, kMaxDigest>& full) override {
    const std::size_t n = 2 * info_.icv_size;
    std::size_t len = 0;
    if (init_(inner_, nullptr) != 1 || update_(inner_, ipad_.data(), block_) != 1) return false;
    for (ConstBytes p : parts) {
      if (!p.empty() && update_(inner_, p.data(), p.size()) != 1) return false;
    }
    if (final_(inner_, full.data(), &len, full.size()) != 1 || len != n) return false;
    if (init_(outer_, nullptr) != 1 || update_(outer_, opad_.data(), block_) != 1 ||
        update_(outer_, full.data(), n) != 1 || final_(outer_, full.data(), &len, full.size()) != 1) {
      return false;
    }
    return len == n;
  }

  detail::MdPtr md_;  // keeps the provider (and so the functions below) loaded
  std::size_t block_;
  OSSL_FUNC_digest_newctx_fn* newctx_ = nullptr;
  OSSL_FUNC_digest_freectx_fn* freectx_ = nullptr;
  OSSL_FUNC_digest_init_fn* init_ = nullptr;
  OSSL_FUNC_digest_update_fn* update_ = nullptr;
  OSSL_FUNC_digest_final_fn* final_ = nullptr;
  void* inner_ = nullptr;
  void* outer_ = nullptr;
  std::array<std::uint8_t, kMaxBlock> ipad_{}, opad_{};
};

}  // namespace

Result<std::unique_ptr<Integrity>> Integrity::Create(IntegId id, ConstBytes key, IntegrityPath path) {
  const auto info = FindInteg(id);
  if (!info) return Fail(Error::Invalid("UnsupportedTransform", "unsupported integrity transform"));
  if (key.size() != info->key_size) {
    return Fail(Error::Invalid("InvalidKeyLength", "integrity key has the wrong length"));
  }
  if (path == IntegrityPath::kDirect) {
    if (auto direct = DirectHmac::Create(*info, DigestName(id), key)) return direct;
    ERR_clear_error();  // fall back to EVP_MAC below
  }
  auto ctx = detail::NewHmacContext(DigestName(id));
  if (!ctx) return Fail(std::move(ctx.error()));
  if (EVP_MAC_init(ctx->get(), key.data(), key.size(), nullptr) != 1) {
    return Fail(detail::OpenSslError("EVP_MAC_init"));
  }
  return std::unique_ptr<Integrity>(new TruncatedHmac(*info, std::move(*ctx)));
}

}  // namespace isthmus::crypto
