#include "crypto/key_exchange.h"

#include <array>
#include <cstddef>
#include <vector>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "crypto/openssl_handles.h"
#include "crypto/transforms.h"

namespace isthmus::crypto {
namespace {

using detail::BnCtxPtr;
using detail::BnPtr;
using detail::OpenSslError;
using detail::ParamBldPtr;
using detail::ParamsPtr;
using detail::PkeyCtxPtr;
using detail::PkeyPtr;
using detail::SecretBnPtr;

Error BadPeer(const KeInfo& info, std::string_view why) {
  std::string msg = "peer's ";
  msg += info.name;
  msg += " public value ";
  msg += why;
  return Error::Invalid("InvalidKeyExchangeValue", std::move(msg));
}

// Per-thread, per-group OpenSSL objects that every exchange of a group would otherwise rebuild (and
// re-fetch algorithms by name for): the group's domain parameters as an EVP_PKEY, and a key-generation
// context initialised once from them. Neither holds key material. Per thread because an EVP_PKEY_CTX
// is mutable state; freed at thread exit (for the main thread, before OpenSSL's atexit cleanup).
struct GroupCache {
  PkeyPtr domain;     // MODP/ECP: EVP_PKEY_KEY_PARAMETERS only; keygen template, peer-key prototype
  PkeyCtxPtr keygen;  // EVP_PKEY_keygen_init done (on `domain`; for X25519 on the key type)
};

GroupCache& CacheFor(KeGroup group) {
  thread_local std::array<GroupCache, 5> caches;
  switch (group) {
    case KeGroup::kModp1024:
      return caches[0];
    case KeGroup::kModp2048:
      return caches[1];
    case KeGroup::kEcp256:
      return caches[2];
    case KeGroup::kEcp384:
      return caches[3];
    default:
      return caches[4];
  }
}

// Generates a key pair with the cached context of `cache`, building it from `domain` (the group's
// parameters, or null for a key type without parameters, e.g. X25519, then `keytype` names it) on
// first use in this thread.
Result<PkeyPtr> GenerateKey(GroupCache& cache, const char* keytype) {
  if (!cache.keygen) {
    PkeyCtxPtr ctx(cache.domain ? EVP_PKEY_CTX_new_from_pkey(nullptr, cache.domain.get(), nullptr)
                                : EVP_PKEY_CTX_new_from_name(nullptr, keytype, nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) return Fail(OpenSslError("EVP_PKEY_keygen_init"));
    cache.keygen = std::move(ctx);
  }
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_keygen(cache.keygen.get(), &key) != 1) return Fail(OpenSslError("EVP_PKEY_keygen"));
  return PkeyPtr(key);
}

// Everything common to the three families: own key, public value, derivation.
class EvpKeyExchange : public KeyExchange {
 public:
  explicit EvpKeyExchange(const KeInfo& info) : info_(info) {}

  KeGroup group() const override { return info_.group; }
  ConstBytes PublicValue() const override { return public_; }

  Result<SecretBytes> ComputeShared(ConstBytes peer_public) override {
    if (peer_public.size() != info_.public_size) return Fail(BadPeer(info_, "has the wrong length"));
    auto peer = ImportPeer(peer_public);
    if (!peer) return Fail(std::move(peer.error()));

    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
    if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1) {
      return Fail(OpenSslError("EVP_PKEY_derive_init"));
    }
    if (PadSharedSecret()) {
      // RFC 7296 §2.14: g^ir is padded with zeros to len(p); OpenSSL strips them unless asked.
      unsigned int pad = 1;
      OSSL_PARAM params[] = {OSSL_PARAM_construct_uint(OSSL_EXCHANGE_PARAM_PAD, &pad),
                             OSSL_PARAM_construct_end()};
      if (EVP_PKEY_CTX_set_params(ctx.get(), params) != 1) {
        return Fail(OpenSslError("EVP_PKEY_CTX_set_params(pad)"));
      }
    }
    // ImportPeer has validated the value for its family; a second OpenSSL check here would, for
    // MODP-2048, be a full subgroup test costing one more 2048-bit exponentiation for nothing
    // (RFC 6989 §2.2: the range check suffices for safe primes).
    if (EVP_PKEY_derive_set_peer_ex(ctx.get(), peer->get(), 0) != 1) {
      ERR_clear_error();
      return Fail(BadPeer(info_, "failed validation"));
    }
    std::size_t len = info_.shared_size;
    SecretBytes shared(info_.shared_size);
    if (EVP_PKEY_derive(ctx.get(), shared.data(), &len) != 1) {
      // OpenSSL's X25519 refuses an all-zero result itself; the other groups cannot fail here
      // after validation except internally.
      if (info_.group == KeGroup::kCurve25519) {
        ERR_clear_error();
        return Fail(BadPeer(info_, "gives an all-zero shared secret"));
      }
      return Fail(OpenSslError("EVP_PKEY_derive"));
    }
    if (len != info_.shared_size) return Fail(Error::Internal("shared secret has unexpected length"));
    if (info_.group == KeGroup::kCurve25519) {
      static constexpr std::array<std::uint8_t, 32> kZero{};
      if (CRYPTO_memcmp(shared.data(), kZero.data(), kZero.size()) == 0) {
        return Fail(BadPeer(info_, "gives an all-zero shared secret"));
      }
    }
    return shared;
  }

 protected:
  // Builds an EVP_PKEY from the peer's wire value (length already checked), rejecting invalid ones.
  virtual Result<PkeyPtr> ImportPeer(ConstBytes peer) const = 0;
  virtual bool PadSharedSecret() const { return false; }

  KeInfo info_;
  PkeyPtr key_;
  std::vector<std::uint8_t> public_;
};

// ---- MODP (groups 2 and 14) ---------------------------------------------------------------------

class ModpKeyExchange final : public EvpKeyExchange {
 public:
  explicit ModpKeyExchange(const KeInfo& info) : EvpKeyExchange(info) {}

  Status Init(ConstBytes private_key) {
    p_.reset(info_.group == KeGroup::kModp1024 ? BN_get_rfc2409_prime_1024(nullptr)
                                               : BN_get_rfc3526_prime_2048(nullptr));
    g_.reset(BN_new());
    if (!p_ || !g_) return Fail(OpenSslError("BN_new"));
    // Generator 2 for both (RFC 2409 §6.2, RFC 3526 §3). No q is passed: OpenSSL 3.0 then refuses
    // to generate keys for the 1024-bit group (FIPS 186-4 size rules), and it recognises the 2048-bit
    // prime as its named "modp_2048" group anyway (short 2*112-bit exponents).
    if (BN_set_word(g_.get(), 2) != 1) return Fail(OpenSslError("BN_set_word"));
    if (private_key.empty()) {
      GroupCache& cache = CacheFor(info_.group);
      if (!cache.domain) {
        auto domain = FromData(EVP_PKEY_KEY_PARAMETERS, nullptr, nullptr);
        if (!domain) return Fail(std::move(domain.error()));
        cache.domain = std::move(*domain);
      }
      auto key = GenerateKey(cache, "DH");
      if (!key) return Fail(std::move(key.error()));
      key_ = std::move(*key);
    } else {
      SecretBnPtr x(BN_secure_new());
      BnPtr y(BN_new());
      BnCtxPtr bn_ctx(BN_CTX_secure_new());
      if (!x || !y || !bn_ctx) return Fail(OpenSslError("BN_new"));
      BN_set_flags(x.get(), BN_FLG_CONSTTIME);
      if (!BN_bin2bn(private_key.data(), static_cast<int>(private_key.size()), x.get())) {
        return Fail(OpenSslError("BN_bin2bn"));
      }
      if (!InOpenRange(x.get())) {
        return Fail(Error::Invalid("InvalidPrivateKey", "MODP private exponent out of range"));
      }
      if (BN_mod_exp_mont_consttime(y.get(), g_.get(), x.get(), p_.get(), bn_ctx.get(), nullptr) != 1) {
        return Fail(OpenSslError("BN_mod_exp_mont_consttime"));
      }
      auto key = FromData(EVP_PKEY_KEYPAIR, y.get(), x.get());
      if (!key) return Fail(std::move(key.error()));
      key_ = std::move(*key);
    }
    BIGNUM* pub = nullptr;
    if (EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY, &pub) != 1) {
      return Fail(OpenSslError("EVP_PKEY_get_bn_param(pub)"));
    }
    BnPtr pub_owner(pub);
    public_.resize(info_.public_size);
    if (BN_bn2binpad(pub, public_.data(), static_cast<int>(public_.size())) < 0) {
      return Fail(Error::Internal("MODP public value longer than p"));
    }
    return {};
  }

 protected:
  Result<PkeyPtr> ImportPeer(ConstBytes peer) const override {
    BnPtr y(BN_bin2bn(peer.data(), static_cast<int>(peer.size()), nullptr));
    if (!y) return Fail(OpenSslError("BN_bin2bn"));
    // RFC 6989 §2.2: for safe-prime groups, 1 < y < p-1 is the required check (it excludes the
    // elements of order 1 and 2; y >= p is not a group element at all).
    if (!InOpenRange(y.get())) return Fail(BadPeer(info_, "is not in the range 1 < y < p-1"));
    return FromData(EVP_PKEY_PUBLIC_KEY, y.get(), nullptr);
  }
  bool PadSharedSecret() const override { return true; }

 private:
  // 1 < v < p-1
  bool InOpenRange(const BIGNUM* v) const {
    BnPtr p_minus_1(BN_dup(p_.get()));
    if (!p_minus_1 || BN_sub_word(p_minus_1.get(), 1) != 1) return false;
    return BN_cmp(v, BN_value_one()) > 0 && BN_cmp(v, p_minus_1.get()) < 0;
  }

  Result<PkeyPtr> FromData(int selection, const BIGNUM* pub, const BIGNUM* priv) const {
    ParamBldPtr bld(OSSL_PARAM_BLD_new());
    if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_P, p_.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_G, g_.get()) != 1 ||
        (pub && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub) != 1) ||
        (priv && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1)) {
      return Fail(OpenSslError("OSSL_PARAM_BLD_push_BN"));
    }
    ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr));
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, selection, params.get()) != 1) {
      return Fail(OpenSslError("EVP_PKEY_fromdata(DH)"));
    }
    return PkeyPtr(key);
  }

  BnPtr p_, g_;
};

// ---- ECP (groups 19 and 20) ---------------------------------------------------------------------

class EcpKeyExchange final : public EvpKeyExchange {
 public:
  explicit EcpKeyExchange(const KeInfo& info)
      : EvpKeyExchange(info), curve_(info.group == KeGroup::kEcp256 ? "P-256" : "P-384") {}

  Status Init(ConstBytes private_key) {
    if (private_key.empty()) {
      auto domain = Domain();
      if (!domain) return Fail(std::move(domain.error()));
      auto key = GenerateKey(CacheFor(info_.group), "EC");
      if (!key) return Fail(std::move(key.error()));
      key_ = std::move(*key);
    } else if (auto s = InitFromPrivate(private_key); !s) {
      return s;
    }
    // OpenSSL encodes the point as 0x04 || x || y (uncompressed, its default for generated keys).
    std::array<std::uint8_t, 1 + 96> encoded;
    std::size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY, encoded.data(), encoded.size(),
                                        &len) != 1) {
      return Fail(OpenSslError("EVP_PKEY_get_octet_string_param(pub)"));
    }
    if (len != 1 + info_.public_size || encoded[0] != POINT_CONVERSION_UNCOMPRESSED) {
      return Fail(Error::Internal("EC public key is not in uncompressed form"));
    }
    public_.assign(encoded.begin() + 1, encoded.begin() + static_cast<std::ptrdiff_t>(len));
    return {};
  }

 protected:
  Result<PkeyPtr> ImportPeer(ConstBytes peer) const override {
    // RFC 5903 §7 sends x || y; OpenSSL takes the SEC1 uncompressed encoding.
    std::array<std::uint8_t, 1 + 96> encoded;
    encoded[0] = POINT_CONVERSION_UNCOMPRESSED;
    std::copy(peer.begin(), peer.end(), encoded.begin() + 1);
    // A copy of the cached domain parameters (which shares the curve's precomputation) plus the
    // point: much cheaper than EVP_PKEY_fromdata, which builds the curve from its name every time.
    auto domain = Domain();
    if (!domain) return Fail(std::move(domain.error()));
    PkeyPtr key(EVP_PKEY_dup(*domain));
    if (!key) return Fail(OpenSslError("EVP_PKEY_dup(EC parameters)"));
    // RFC 6989 §2.3 / SP 800-56A partial validation: coordinates < p, on the curve, not infinity.
    // Decoding does all of it (EC_POINT_oct2point rejects a coordinate >= p and a point off the
    // curve; the 0x04 x || y form cannot encode infinity). The point's order need not be checked:
    // both curves have cofactor 1 — which is why EVP_PKEY_public_check, whose extra n*Q == O test
    // costs a whole scalar multiplication, is not used.
    if (EVP_PKEY_set1_encoded_public_key(key.get(), encoded.data(), 1 + peer.size()) != 1) {
      ERR_clear_error();
      return Fail(BadPeer(info_, "is not a point on the curve"));
    }
    return key;
  }

 private:
  // This thread's cached domain parameters of the curve (built on first use).
  Result<EVP_PKEY*> Domain() const {
    GroupCache& cache = CacheFor(info_.group);
    if (!cache.domain) {
      OSSL_PARAM params[] = {
          OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(curve_), 0),
          OSSL_PARAM_construct_end()};
      PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
      EVP_PKEY* domain = nullptr;
      if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
          EVP_PKEY_fromdata(ctx.get(), &domain, EVP_PKEY_KEY_PARAMETERS, params) != 1) {
        return Fail(OpenSslError("EVP_PKEY_fromdata(EC parameters)"));
      }
      cache.domain.reset(domain);
    }
    return cache.domain.get();
  }

  Status InitFromPrivate(ConstBytes private_key) {
    if (private_key.size() != info_.shared_size) {
      return Fail(Error::Invalid("InvalidPrivateKey", "ECP private scalar has the wrong length"));
    }
    const int nid = info_.group == KeGroup::kEcp256 ? NID_X9_62_prime256v1 : NID_secp384r1;
    std::unique_ptr<EC_GROUP, detail::OsslDeleter<&EC_GROUP_free>> group(EC_GROUP_new_by_curve_name(nid));
    std::unique_ptr<EC_POINT, detail::OsslDeleter<&EC_POINT_free>> point(group ? EC_POINT_new(group.get())
                                                                               : nullptr);
    SecretBnPtr d(BN_secure_new());
    BnCtxPtr bn_ctx(BN_CTX_secure_new());
    if (!group || !point || !d || !bn_ctx) return Fail(OpenSslError("EC_GROUP/EC_POINT_new"));
    if (!BN_bin2bn(private_key.data(), static_cast<int>(private_key.size()), d.get())) {
      return Fail(OpenSslError("BN_bin2bn"));
    }
    if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group.get())) >= 0) {
      return Fail(Error::Invalid("InvalidPrivateKey", "ECP private scalar out of range"));
    }
    // OpenSSL 3.0's EVP_PKEY_fromdata does not derive the public point from a private scalar.
    if (EC_POINT_mul(group.get(), point.get(), d.get(), nullptr, nullptr, bn_ctx.get()) != 1) {
      return Fail(OpenSslError("EC_POINT_mul"));
    }
    std::array<std::uint8_t, 1 + 96> encoded;
    const std::size_t len = EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED,
                                               encoded.data(), encoded.size(), bn_ctx.get());
    if (len != 1 + info_.public_size) return Fail(OpenSslError("EC_POINT_point2oct"));
    auto key = FromData(EVP_PKEY_KEYPAIR, {encoded.data(), len}, d.get());
    if (!key) return Fail(std::move(key.error()));
    key_ = std::move(*key);
    return {};
  }

  Result<PkeyPtr> FromData(int selection, ConstBytes encoded_point, const BIGNUM* priv) const {
    ParamBldPtr bld(OSSL_PARAM_BLD_new());
    if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve_, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, encoded_point.data(),
                                         encoded_point.size()) != 1 ||
        (priv && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1)) {
      return Fail(OpenSslError("OSSL_PARAM_BLD_push"));
    }
    ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, selection, params.get()) != 1) {
      return Fail(OpenSslError("EVP_PKEY_fromdata(EC)"));
    }
    return PkeyPtr(key);
  }

  const char* curve_;
};

// ---- Curve25519 (group 31) ----------------------------------------------------------------------

class X25519KeyExchange final : public EvpKeyExchange {
 public:
  explicit X25519KeyExchange(const KeInfo& info) : EvpKeyExchange(info) {}

  Status Init(ConstBytes private_key) {
    if (private_key.empty()) {
      auto key = GenerateKey(CacheFor(info_.group), "X25519");
      if (!key) return Fail(std::move(key.error()));
      key_ = std::move(*key);
    } else {
      if (private_key.size() != 32) {
        return Fail(Error::Invalid("InvalidPrivateKey", "X25519 private key must be 32 octets"));
      }
      // Derives the public value from the private key.
      key_.reset(EVP_PKEY_new_raw_private_key_ex(nullptr, "X25519", nullptr, private_key.data(),
                                                 private_key.size()));
    }
    if (!key_) return Fail(OpenSslError("X25519 key"));
    public_.resize(info_.public_size);
    std::size_t len = public_.size();
    if (EVP_PKEY_get_raw_public_key(key_.get(), public_.data(), &len) != 1 || len != 32) {
      return Fail(OpenSslError("EVP_PKEY_get_raw_public_key"));
    }
    return {};
  }

 protected:
  Result<PkeyPtr> ImportPeer(ConstBytes peer) const override {
    // Every 32-octet string is a valid X25519 input (RFC 7748 §5); bad ones show as a zero result.
    PkeyPtr key(EVP_PKEY_new_raw_public_key_ex(nullptr, "X25519", nullptr, peer.data(), peer.size()));
    if (!key) return Fail(OpenSslError("EVP_PKEY_new_raw_public_key_ex"));
    return key;
  }
};

template <typename T>
Result<std::unique_ptr<KeyExchange>> Make(const KeInfo& info, ConstBytes private_key) {
  auto ke = std::make_unique<T>(info);
  if (auto s = ke->Init(private_key); !s) return Fail(std::move(s.error()));
  return ke;
}

Result<std::unique_ptr<KeyExchange>> CreateImpl(KeGroup group, ConstBytes private_key) {
  const auto info = FindKe(group);
  if (!info) return Fail(Error::Invalid("UnsupportedTransform", "unsupported key exchange group"));
  switch (group) {
    case KeGroup::kModp1024:
    case KeGroup::kModp2048:
      return Make<ModpKeyExchange>(*info, private_key);
    case KeGroup::kEcp256:
    case KeGroup::kEcp384:
      return Make<EcpKeyExchange>(*info, private_key);
    case KeGroup::kCurve25519:
      return Make<X25519KeyExchange>(*info, private_key);
    case KeGroup::kNone:
      break;
  }
  return Fail(Error::Invalid("UnsupportedTransform", "unsupported key exchange group"));
}

}  // namespace

Result<std::unique_ptr<KeyExchange>> KeyExchange::Create(KeGroup group) {
  return CreateImpl(group, {});
}

Result<std::unique_ptr<KeyExchange>> KeyExchange::CreateWithPrivateKey(KeGroup group,
                                                                       ConstBytes private_key) {
  if (private_key.empty()) {
    return Fail(Error::Invalid("InvalidPrivateKey", "private key must not be empty"));
  }
  return CreateImpl(group, private_key);
}

}  // namespace isthmus::crypto
