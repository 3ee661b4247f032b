#include "crypto/prf.h"

#include <algorithm>
#include <cstring>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/openssl_handles.h"
#include "crypto/transforms.h"

namespace isthmus::crypto {
namespace {

const char* DigestName(PrfId id) {
  switch (id) {
    case PrfId::kHmacSha2_256:
      return "SHA256";
    case PrfId::kHmacSha2_384:
      return "SHA384";
    case PrfId::kHmacSha2_512:
      return "SHA512";
  }
  return nullptr;
}

class HmacPrf final : public Prf {
 public:
  HmacPrf(const PrfInfo& info, detail::MacCtxPtr ctx) : info_(info), ctx_(std::move(ctx)) {}

  PrfId id() const override { return info_.id; }
  std::size_t output_size() const override { return info_.output_size; }
  std::size_t key_size() const override { return info_.key_size; }

 protected:
  Status DoCompute(ConstBytes key, std::span<const ConstBytes> parts, MutableBytes out) override {
    if (out.size() != info_.output_size) {
      return Fail(Error::Invalid("InvalidLength", "PRF output buffer has the wrong length"));
    }
    // A NULL key means "re-use the previous key" to EVP_MAC_init; an empty key must still be a key.
    static constexpr std::uint8_t kEmpty = 0;
    const std::uint8_t* k = key.empty() ? &kEmpty : key.data();
    if (EVP_MAC_init(ctx_.get(), k, key.size(), nullptr) != 1) {
      return Fail(detail::OpenSslError("EVP_MAC_init"));
    }
    for (ConstBytes p : parts) {
      if (!p.empty() && EVP_MAC_update(ctx_.get(), p.data(), p.size()) != 1) {
        return Fail(detail::OpenSslError("EVP_MAC_update"));
      }
    }
    std::size_t len = 0;
    if (EVP_MAC_final(ctx_.get(), out.data(), &len, out.size()) != 1 || len != out.size()) {
      return Fail(detail::OpenSslError("EVP_MAC_final"));
    }
    return {};
  }

 private:
  PrfInfo info_;
  detail::MacCtxPtr ctx_;
};

}  // namespace

Result<std::unique_ptr<Prf>> Prf::Create(PrfId id) {
  const auto info = FindPrf(id);
  if (!info) return Fail(Error::Invalid("UnsupportedTransform", "unsupported PRF transform"));
  auto ctx = detail::NewHmacContext(DigestName(id));
  if (!ctx) return Fail(std::move(ctx.error()));
  return std::make_unique<HmacPrf>(*info, std::move(*ctx));
}

Result<SecretBytes> Prf::ComputeParts(ConstBytes key, std::span<const ConstBytes> parts) {
  SecretBytes out(output_size());
  if (auto s = DoCompute(key, parts, out.mutable_view()); !s) return Fail(std::move(s.error()));
  return out;
}

Result<SecretBytes> PrfPlus(Prf& prf, ConstBytes key, ConstBytes seed, std::size_t length) {
  const std::size_t n = prf.output_size();
  if (length > kPrfPlusMaxBlocks * n) {
    return Fail(Error::Invalid("PrfPlusTooLong", "prf+ cannot produce more than 255 blocks"));
  }
  SecretBytes out(length);
  SecretBytes block(n);  // wiped on return
  ConstBytes previous;   // T(i-1); empty for T1
  std::size_t offset = 0;
  for (std::uint8_t counter = 1; offset < length; ++counter) {
    const ConstBytes parts[] = {previous, seed, ConstBytes(&counter, 1)};
    if (auto s = prf.ComputeInto(key, parts, block.mutable_view()); !s) {
      return Fail(std::move(s.error()));
    }
    const std::size_t take = std::min(n, length - offset);
    std::memcpy(out.data() + offset, block.data(), take);
    // Only a full block is ever fed back: a partial one is the last.
    previous = out.view().subspan(offset, take);
    offset += take;
  }
  return out;
}

}  // namespace isthmus::crypto
