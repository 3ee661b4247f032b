#include "crypto/transforms.h"

#include <array>

namespace isthmus::crypto {
namespace {

constexpr std::size_t kAeadSalt = 4;  // RFC 4106 §8.1, RFC 5282 §7.1, RFC 7634 §2
constexpr std::size_t kAeadIv = 8;    // RFC 4106 §3.1, RFC 7634 §2
constexpr std::size_t kAeadIcv = 16;  // "-16" in ENCR_AES_GCM_16; Poly1305 tag (RFC 8439 §2.5)
constexpr std::size_t kAesBlock = 16;

constexpr std::array kEncr = {
    EncrInfo{EncrId::kAesGcm16, 256, 32, kAeadSalt, 32 + kAeadSalt, kAeadIv, kAeadIcv, 1, true,
             "AES_GCM_16_256"},
    EncrInfo{EncrId::kAesGcm16, 128, 16, kAeadSalt, 16 + kAeadSalt, kAeadIv, kAeadIcv, 1, true,
             "AES_GCM_16_128"},
    EncrInfo{EncrId::kChaCha20Poly1305, 0, 32, kAeadSalt, 32 + kAeadSalt, kAeadIv, kAeadIcv, 1, true,
             "CHACHA20_POLY1305"},
    EncrInfo{EncrId::kAesCbc, 256, 32, 0, 32, kAesBlock, 0, kAesBlock, false, "AES_CBC_256"},
    EncrInfo{EncrId::kAesCbc, 128, 16, 0, 16, kAesBlock, 0, kAesBlock, false, "AES_CBC_128"},
};

constexpr std::array kInteg = {
    IntegInfo{IntegId::kHmacSha2_512_256, 64, 32, "HMAC_SHA2_512_256"},
    IntegInfo{IntegId::kHmacSha2_384_192, 48, 24, "HMAC_SHA2_384_192"},
    IntegInfo{IntegId::kHmacSha2_256_128, 32, 16, "HMAC_SHA2_256_128"},
};

constexpr std::array kPrf = {
    PrfInfo{PrfId::kHmacSha2_512, 64, 64, "PRF_HMAC_SHA2_512"},
    PrfInfo{PrfId::kHmacSha2_384, 48, 48, "PRF_HMAC_SHA2_384"},
    PrfInfo{PrfId::kHmacSha2_256, 32, 32, "PRF_HMAC_SHA2_256"},
};

constexpr std::array kKe = {
    KeInfo{KeGroup::kCurve25519, 32, 32, false, "CURVE_25519"},
    KeInfo{KeGroup::kEcp384, 96, 48, false, "ECP_384"},
    KeInfo{KeGroup::kEcp256, 64, 32, false, "ECP_256"},
    KeInfo{KeGroup::kModp2048, 256, 256, false, "MODP_2048"},
    KeInfo{KeGroup::kModp1024, 128, 128, true, "MODP_1024"},
};

}  // namespace

std::optional<EncrInfo> FindEncr(EncrId id, std::uint16_t key_length_attr) {
  for (const auto& e : kEncr) {
    if (e.id == id && e.key_length_attr == key_length_attr) return e;
  }
  return std::nullopt;
}

std::optional<IntegInfo> FindInteg(IntegId id) {
  for (const auto& e : kInteg) {
    if (e.id == id) return e;
  }
  return std::nullopt;
}

std::optional<PrfInfo> FindPrf(PrfId id) {
  for (const auto& e : kPrf) {
    if (e.id == id) return e;
  }
  return std::nullopt;
}

std::optional<KeInfo> FindKe(KeGroup group) {
  for (const auto& e : kKe) {
    if (e.group == group) return e;
  }
  return std::nullopt;
}

std::span<const EncrInfo> SupportedEncr() {
  return kEncr;
}
std::span<const IntegInfo> SupportedInteg() {
  return kInteg;
}
std::span<const PrfInfo> SupportedPrf() {
  return kPrf;
}
std::span<const KeInfo> SupportedKe() {
  return kKe;
}

}  // namespace isthmus::crypto
