#include "ike/sa/keymat.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "crypto/prf.h"
#include "crypto/transforms.h"

namespace isthmus::ike::sa {
namespace {

using crypto::ConstBytes;

Error BadInput(std::string message) {
  return Error::Invalid("InvalidKeyDerivationInput", std::move(message));
}

Status CheckNonces(ConstBytes ni, ConstBytes nr) {
  for (auto [name, n] : {std::pair{"Ni", ni}, std::pair{"Nr", nr}}) {
    if (n.size() < kMinNonceSize || n.size() > kMaxNonceSize) {
      return Fail(BadInput(fmt::format("{} is {} octets; RFC 7296 §2.10 requires {}..{}", name, n.size(),
                                       kMinNonceSize, kMaxNonceSize)));
    }
  }
  return {};
}

void AppendU64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

std::vector<std::uint8_t> Concat(std::initializer_list<ConstBytes> parts) {
  std::vector<std::uint8_t> out;
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Cuts `keymat` into consecutive pieces, in the order asked for.
class Splitter {
 public:
  explicit Splitter(const SecretBytes& keymat) : keymat_(keymat) {}
  SecretBytes Take(std::size_t n) {
    SecretBytes out(keymat_.view().subspan(pos_, n));
    pos_ += n;
    return out;
  }

 private:
  const SecretBytes& keymat_;
  std::size_t pos_ = 0;
};

// prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr) split into the seven SK_* keys (§2.14).
Result<IkeSaKeys> SplitIkeKeys(crypto::Prf& prf, const IkeKeySizes& sizes, const SecretBytes& skeyseed,
                               ConstBytes ni, ConstBytes nr, std::uint64_t spi_i, std::uint64_t spi_r) {
  std::vector<std::uint8_t> seed = Concat({ni, nr});
  AppendU64(seed, spi_i);
  AppendU64(seed, spi_r);
  auto keymat = crypto::PrfPlus(prf, skeyseed.view(), seed, sizes.total());
  if (!keymat) return Fail(keymat.error());
  Splitter s(*keymat);
  IkeSaKeys k;
  k.sk_d = s.Take(sizes.d);
  k.sk_ai = s.Take(sizes.a);
  k.sk_ar = s.Take(sizes.a);
  k.sk_ei = s.Take(sizes.e);
  k.sk_er = s.Take(sizes.e);
  k.sk_pi = s.Take(sizes.p);
  k.sk_pr = s.Take(sizes.p);
  return k;
}

}  // namespace

Result<IkeKeySizes> IkeKeySizesFor(const IkeSuite& suite) {
  auto encr = crypto::FindEncr(suite.encr.id, suite.encr.key_bits);
  if (!encr)
    return Fail(BadInput(fmt::format("encryption transform {} is not supported", EncrName(suite.encr))));
  auto prf = crypto::FindPrf(suite.prf);
  if (!prf) return Fail(BadInput("PRF transform is not supported"));
  IkeKeySizes sizes;
  sizes.d = prf->key_size;
  sizes.p = prf->key_size;
  sizes.e = encr->keymat_size;
  if (encr->aead) {
    if (suite.integ != crypto::IntegId::kNone)
      return Fail(BadInput("an AEAD IKE suite has no integrity transform"));
  } else {
    auto integ = crypto::FindInteg(suite.integ);
    if (!integ) return Fail(BadInput("a non-AEAD IKE suite needs a supported integrity transform"));
    sizes.a = integ->key_size;
  }
  return sizes;
}

Result<IkeSaKeys> DeriveIkeSaKeys(const IkeSuite& suite, ConstBytes shared_secret, ConstBytes ni,
                                  ConstBytes nr, std::uint64_t spi_i, std::uint64_t spi_r) {
  auto sizes = IkeKeySizesFor(suite);
  if (!sizes) return Fail(sizes.error());
  if (auto ok = CheckNonces(ni, nr); !ok) return Fail(ok.error());
  if (shared_secret.empty()) return Fail(BadInput("the key exchange's shared secret is empty"));
  auto prf = crypto::Prf::Create(suite.prf);
  if (!prf) return Fail(prf.error());
  const std::vector<std::uint8_t> nonces = Concat({ni, nr});
  auto skeyseed = (*prf)->Compute(nonces, shared_secret);  // prf(Ni | Nr, g^ir)
  if (!skeyseed) return Fail(skeyseed.error());
  return SplitIkeKeys(**prf, *sizes, *skeyseed, ni, nr, spi_i, spi_r);
}

Result<IkeSaKeys> DeriveRekeyedIkeSaKeys(crypto::PrfId old_prf, const SecretBytes& old_sk_d,
                                         const IkeSuite& new_suite, ConstBytes shared_secret, ConstBytes ni,
                                         ConstBytes nr, std::uint64_t spi_i, std::uint64_t spi_r) {
  auto sizes = IkeKeySizesFor(new_suite);
  if (!sizes) return Fail(sizes.error());
  if (auto ok = CheckNonces(ni, nr); !ok) return Fail(ok.error());
  // §2.18 makes the KE payloads of an IKE rekey mandatory, so there is always a new g^ir.
  if (shared_secret.empty())
    return Fail(BadInput("an IKE SA rekey needs the new key exchange's shared secret"));
  if (old_sk_d.empty()) return Fail(BadInput("the old IKE SA's SK_d is empty"));
  auto prf_old = crypto::Prf::Create(old_prf);
  if (!prf_old) return Fail(prf_old.error());
  auto skeyseed = (*prf_old)->Compute(old_sk_d.view(), {shared_secret, ni, nr});  // prf(SK_d, g^ir | Ni | Nr)
  if (!skeyseed) return Fail(skeyseed.error());
  auto prf_new = crypto::Prf::Create(new_suite.prf);
  if (!prf_new) return Fail(prf_new.error());
  return SplitIkeKeys(**prf_new, *sizes, *skeyseed, ni, nr, spi_i, spi_r);
}

Result<ChildKeySizes> ChildKeySizesFor(const ChildSuite& suite) {
  auto encr = crypto::FindEncr(suite.encr.id, suite.encr.key_bits);
  if (!encr)
    return Fail(BadInput(fmt::format("encryption transform {} is not supported", EncrName(suite.encr))));
  ChildKeySizes sizes;
  sizes.encr = encr->keymat_size;
  if (encr->aead) {
    if (suite.integ != crypto::IntegId::kNone)
      return Fail(BadInput("an AEAD ESP suite has no integrity transform"));
  } else {
    auto integ = crypto::FindInteg(suite.integ);
    if (!integ) return Fail(BadInput("a non-AEAD ESP suite needs a supported integrity transform"));
    sizes.integ = integ->key_size;
  }
  return sizes;
}

Result<ChildSaKeys> DeriveChildSaKeys(crypto::PrfId prf_id, const SecretBytes& sk_d, const ChildSuite& suite,
                                      ConstBytes pfs_shared_secret, ConstBytes ni, ConstBytes nr) {
  auto sizes = ChildKeySizesFor(suite);
  if (!sizes) return Fail(sizes.error());
  if (auto ok = CheckNonces(ni, nr); !ok) return Fail(ok.error());
  if (sk_d.empty()) return Fail(BadInput("SK_d is empty"));
  if (suite.ke != crypto::KeGroup::kNone && pfs_shared_secret.empty()) {
    return Fail(BadInput("the suite has a PFS group but no shared secret was given"));
  }
  if (suite.ke == crypto::KeGroup::kNone && !pfs_shared_secret.empty()) {
    return Fail(BadInput("a shared secret was given for a suite without PFS"));
  }
  auto prf = crypto::Prf::Create(prf_id);
  if (!prf) return Fail(prf.error());
  // The seed holds g^ir when PFS is on, so it lives in SecretBytes (wiped) from the start.
  SecretBytes seed(pfs_shared_secret.size() + ni.size() + nr.size());
  std::size_t at = 0;
  for (ConstBytes part : {pfs_shared_secret, ni, nr}) {
    std::copy(part.begin(), part.end(), seed.data() + at);
    at += part.size();
  }
  auto keymat = crypto::PrfPlus(**prf, sk_d.view(), seed.view(), 2 * (sizes->encr + sizes->integ));
  if (!keymat) return Fail(keymat.error());
  Splitter s(*keymat);
  ChildSaKeys k;
  k.initiator_to_responder.encr = s.Take(sizes->encr);
  k.initiator_to_responder.integ = s.Take(sizes->integ);
  k.responder_to_initiator.encr = s.Take(sizes->encr);
  k.responder_to_initiator.integ = s.Take(sizes->integ);
  return k;
}

}  // namespace isthmus::ike::sa
