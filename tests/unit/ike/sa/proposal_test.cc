#include "ike/sa/proposal.h"

#include <gtest/gtest.h>

namespace isthmus::ike::sa {
namespace {

using crypto::EncrId;
using crypto::EsnId;
using crypto::IntegId;
using crypto::KeGroup;
using crypto::PrfId;
constexpr auto kIke = wire::ProtocolId::kIke;
constexpr auto kEsp = wire::ProtocolId::kEsp;

Proposal MustParse(std::string_view s, wire::ProtocolId p) {
  auto r = ParseProposal(s, p);
  EXPECT_TRUE(r.has_value()) << s << ": " << (r ? "" : r.error().message);
  return r ? *r : Proposal{};
}

void ExpectError(std::string_view s, wire::ProtocolId p, std::string_view message_part) {
  auto r = ParseProposal(s, p);
  ASSERT_FALSE(r.has_value()) << s << " parsed as " << r->Describe();
  EXPECT_EQ(r.error().code, "InvalidProposal");
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(r.error().message.find(message_part), std::string::npos)
      << "'" << s << "': message '" << r.error().message << "' lacks '" << message_part << "'";
}

TEST(ParseProposal, AeadIkeProposal) {
  Proposal p = MustParse("aes256gcm16-prfsha256-ecp256", kIke);
  EXPECT_EQ(p.protocol, kIke);
  EXPECT_EQ(p.encr, (std::vector<EncrAlg>{{EncrId::kAesGcm16, 256}}));
  EXPECT_EQ(p.prf, (std::vector<PrfId>{PrfId::kHmacSha2_256}));
  EXPECT_TRUE(p.integ.empty());
  EXPECT_EQ(p.ke, (std::vector<KeGroup>{KeGroup::kEcp256}));
  EXPECT_TRUE(p.esn.empty());
  EXPECT_TRUE(p.aead());
  EXPECT_EQ(p.Describe(), "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256");
}

TEST(ParseProposal, ClassicIkeProposalDerivesPrfFromIntegrityLikeStrongSwan) {
  Proposal p = MustParse("aes256-sha256-modp2048", kIke);
  EXPECT_EQ(p.encr, (std::vector<EncrAlg>{{EncrId::kAesCbc, 256}}));
  EXPECT_EQ(p.integ, (std::vector<IntegId>{IntegId::kHmacSha2_256_128}));
  EXPECT_EQ(p.prf, (std::vector<PrfId>{PrfId::kHmacSha2_256}));
  EXPECT_EQ(p.ke, (std::vector<KeGroup>{KeGroup::kModp2048}));
  Proposal q = MustParse("aes128-sha512-sha384-ecp384", kIke);
  EXPECT_EQ(q.prf, (std::vector<PrfId>{PrfId::kHmacSha2_512, PrfId::kHmacSha2_384}));
  // An explicit PRF wins over derivation.
  Proposal r = MustParse("aes128-sha512-prfsha256-ecp384", kIke);
  EXPECT_EQ(r.prf, (std::vector<PrfId>{PrfId::kHmacSha2_256}));
  EXPECT_EQ(r.integ, (std::vector<IntegId>{IntegId::kHmacSha2_512_256}));
}

TEST(ParseProposal, ChaChaWithCurve25519AndAliases) {
  Proposal p = MustParse("chacha20poly1305-prfsha512-curve25519", kIke);
  EXPECT_EQ(p.encr, (std::vector<EncrAlg>{{EncrId::kChaCha20Poly1305, 0}}));
  EXPECT_EQ(p.prf, (std::vector<PrfId>{PrfId::kHmacSha2_512}));
  EXPECT_EQ(p.ke, (std::vector<KeGroup>{KeGroup::kCurve25519}));
  EXPECT_EQ(MustParse("CHACHA20POLY1305-PRFSHA512-X25519", kIke), p);  // case-insensitive, x25519 alias
  EXPECT_EQ(MustParse("aes256gcm128-prfsha256-ecp256", kIke),
            MustParse("aes256gcm16-prfsha256-ecp256", kIke));
}

TEST(ParseProposal, AeadIkeWithIntegrityTokenNamesThePrf) {
  // strongSwan: with no prf token the PRF comes from the integrity token, which AEAD then drops.
  Proposal p = MustParse("aes256gcm16-sha384-ecp384", kIke);
  EXPECT_TRUE(p.integ.empty());
  EXPECT_EQ(p.prf, (std::vector<PrfId>{PrfId::kHmacSha2_384}));
}

TEST(ParseProposal, EspProposals) {
  Proposal a = MustParse("aes256gcm16", kEsp);
  EXPECT_EQ(a.encr, (std::vector<EncrAlg>{{EncrId::kAesGcm16, 256}}));
  EXPECT_TRUE(a.integ.empty());
  EXPECT_TRUE(a.ke.empty());
  EXPECT_EQ(a.esn, (std::vector<EsnId>{EsnId::kNoEsn}));  // strongSwan's default when unspecified
  EXPECT_EQ(a.Describe(), "ESP:AES_GCM_16_256/NO_EXT_SEQ");

  Proposal b = MustParse("aes256gcm16-ecp256", kEsp);
  EXPECT_EQ(b.ke, (std::vector<KeGroup>{KeGroup::kEcp256}));  // the PFS group

  Proposal c = MustParse("aes256-sha256", kEsp);
  EXPECT_EQ(c.integ, (std::vector<IntegId>{IntegId::kHmacSha2_256_128}));
  EXPECT_TRUE(c.prf.empty());

  Proposal d = MustParse("aes128gcm16-esn-noesn", kEsp);
  EXPECT_EQ(d.esn, (std::vector<EsnId>{EsnId::kEsn, EsnId::kNoEsn}));
}

TEST(ParseProposal, ClearErrors) {
  ExpectError("aes256gcm16-prfsha256-ecp999", kIke, "'ecp999' not recognized");
  ExpectError("3des-sha1-modp1024", kIke, "'3des' is not supported by Isthmus");
  ExpectError("aes192-sha256-modp2048", kIke, "'aes192' is not supported");
  ExpectError("aes256gcm16-sha256", kEsp, "integrity algorithm can't be combined");
  ExpectError("aes256gcm16-ecp256", kIke, "a PRF algorithm is mandatory in IKE proposals");
  ExpectError("aes256-aes256gcm16-sha256-modp2048", kIke, "classic and combined-mode");
  ExpectError("aes256gcm16-prfsha256", kIke, "key exchange (DH) group is mandatory");
  ExpectError("aes256-prfsha256-modp2048", kIke, "integrity algorithm is mandatory");
  ExpectError("aes256", kEsp, "integrity algorithm is mandatory");
  ExpectError("sha256-modp2048", kIke, "encryption algorithm is mandatory");
  ExpectError("aes256gcm16-prfsha256", kEsp, "is a PRF");
  ExpectError("aes256gcm16-prfsha256-ecp256-esn", kIke, "ESP proposals only");
  ExpectError("aes256gcm16--prfsha256-ecp256", kIke, "empty algorithm name");
  ExpectError("", kIke, "empty proposal");
}

TEST(ParseProposal, ToStringRoundTrips) {
  for (std::string_view s :
       {"aes256gcm16-prfsha256-ecp256", "aes256-aes128-sha256-sha512-prfsha384-modp2048-curve25519",
        "chacha20poly1305-prfsha512-curve25519-modp1024"}) {
    Proposal p = MustParse(s, kIke);
    EXPECT_EQ(MustParse(p.ToString(), kIke), p) << p.ToString();
  }
  for (std::string_view s : {"aes256gcm16", "aes256gcm16-ecp256-esn", "aes128-sha384-noesn-esn"}) {
    Proposal p = MustParse(s, kEsp);
    EXPECT_EQ(MustParse(p.ToString(), kEsp), p) << p.ToString();
  }
  EXPECT_EQ(MustParse("aes256-sha256-prfsha256-modp2048", kIke).ToString(),
            "aes256-sha256-prfsha256-modp2048");
}

TEST(ParseProposals, ListsAndTheDefaultKeyword) {
  auto list = ParseProposals("aes256gcm16-prfsha256-ecp256, aes256-sha256-modp2048", kIke);
  ASSERT_TRUE(list.has_value()) << list.error().message;
  ASSERT_EQ(list->size(), 2u);
  EXPECT_FALSE((*list)[1].aead());
  auto with_default = ParseProposals("aes128gcm16-prfsha256-ecp384,default", kIke);
  ASSERT_TRUE(with_default.has_value());
  EXPECT_EQ(with_default->size(), 1 + DefaultIkeProposals().size());
  auto bad = ParseProposals("aes256gcm16, aes256gcm16-sha256", kEsp);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().target, "aes256gcm16-sha256");
}

TEST(DefaultProposals, AreValidAndModernFirst) {
  for (const auto& p : DefaultIkeProposals()) EXPECT_TRUE(p.Validate().has_value()) << p.Describe();
  for (const auto& p : DefaultEspProposals()) EXPECT_TRUE(p.Validate().has_value()) << p.Describe();
  for (const auto& p : AzureDefaultIkeProposals()) EXPECT_TRUE(p.Validate().has_value()) << p.Describe();
  for (const auto& p : AzureDefaultEspProposals()) EXPECT_TRUE(p.Validate().has_value()) << p.Describe();
  const Proposal first = DefaultIkeProposals().front();
  EXPECT_EQ(first.encr.front(), (EncrAlg{EncrId::kAesGcm16, 256}));
  EXPECT_EQ(first.prf.front(), PrfId::kHmacSha2_256);
  EXPECT_EQ(first.ke.front(), KeGroup::kEcp256);
  EXPECT_NE(std::find(first.ke.begin(), first.ke.end(), KeGroup::kCurve25519), first.ke.end());
  // The weak MODP-1024 group is never in Isthmus's own defaults.
  for (const auto& p : DefaultIkeProposals()) {
    EXPECT_EQ(std::find(p.ke.begin(), p.ke.end(), KeGroup::kModp1024), p.ke.end());
  }
  EXPECT_EQ(DefaultEspProposals().front().encr.front(), (EncrAlg{EncrId::kAesGcm16, 256}));
  EXPECT_EQ(AzureDefaultIkeProposals().front().Describe(),
            "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_1024");
}

TEST(ProposalWire, ToWireCarriesKeyLengthsAndTypeOrder) {
  Proposal p = MustParse("aes256-aes128-sha256-prfsha384-ecp256-modp2048", kIke);
  wire::Proposal w = p.ToWire(2, {});
  EXPECT_EQ(w.number, 2);
  EXPECT_EQ(w.protocol, kIke);
  ASSERT_EQ(w.transforms.size(), 6u);
  EXPECT_EQ(w.transforms[0], wire::Transform::Of(wire::TransformType::kEncr, 12, 256));
  EXPECT_EQ(w.transforms[1], wire::Transform::Of(wire::TransformType::kEncr, 12, 128));
  EXPECT_EQ(w.transforms[2], wire::Transform::Of(wire::TransformType::kPrf, 6));
  EXPECT_EQ(w.transforms[3], wire::Transform::Of(wire::TransformType::kInteg, 12));
  EXPECT_EQ(w.transforms[4], wire::Transform::Of(wire::TransformType::kKe, 19));
  EXPECT_EQ(w.transforms[5], wire::Transform::Of(wire::TransformType::kKe, 14));
  auto back = Proposal::FromWire(w);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, p);
}

TEST(ProposalWire, ChaChaSendsNoKeyLengthAndIkeAuthDropsKe) {
  Proposal p = MustParse("chacha20poly1305-ecp256-esn", kEsp);
  wire::Proposal w = p.ToWire(1, {0xc0, 0, 0, 1});
  EXPECT_EQ(w.spi, (wire::Bytes{0xc0, 0, 0, 1}));
  EXPECT_EQ(w.transforms[0], wire::Transform::Of(wire::TransformType::kEncr, 28));
  EXPECT_FALSE(w.transforms[0].key_length().has_value());
  EXPECT_NE(w.Find(wire::TransformType::kKe), nullptr);
  wire::Proposal in_auth = p.ToWire(1, {0xc0, 0, 0, 1}, /*include_ke=*/false);
  EXPECT_EQ(in_auth.Find(wire::TransformType::kKe), nullptr);
  EXPECT_NE(in_auth.Find(wire::TransformType::kEsn), nullptr);
}

TEST(ProposalWire, FromWireLeavesOutWhatIsthmusDoesNotSupport) {
  wire::Proposal w;
  w.protocol = kIke;
  w.transforms = {
      wire::Transform::Of(wire::TransformType::kEncr, 12, 192),  // AES-192: unsupported key length
      wire::Transform::Of(wire::TransformType::kEncr, 3),        // 3DES
      wire::Transform::Of(wire::TransformType::kEncr, 20, 128),
      wire::Transform::Of(wire::TransformType::kPrf, 2),  // PRF_HMAC_SHA1
      wire::Transform::Of(wire::TransformType::kPrf, 5),
      wire::Transform::Of(wire::TransformType::kKe, 21),  // ECP-521
      wire::Transform::Of(wire::TransformType::kKe, 31),
  };
  auto p = Proposal::FromWire(w);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->Describe(), "IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/CURVE_25519");
  w.protocol = wire::ProtocolId::kAh;
  EXPECT_FALSE(Proposal::FromWire(w).has_value());
}

TEST(ProposalWire, ToWireSaNumbersFromOne) {
  auto sa = ToWireSa(DefaultEspProposals(), {1, 2, 3, 4});
  ASSERT_EQ(sa.proposals.size(), DefaultEspProposals().size());
  for (std::size_t i = 0; i < sa.proposals.size(); ++i) {
    EXPECT_EQ(sa.proposals[i].number, i + 1);
    EXPECT_EQ(sa.proposals[i].spi, (wire::Bytes{1, 2, 3, 4}));
  }
}

TEST(Suites, ToWireHasOneTransformPerTypeAndDescribes) {
  IkeSuite ike{{EncrId::kAesCbc, 128}, PrfId::kHmacSha2_384, IntegId::kHmacSha2_384_192, KeGroup::kEcp384};
  wire::Proposal w = ike.ToWire(3, {});
  EXPECT_EQ(w.number, 3);
  EXPECT_EQ(w.transforms.size(), 4u);
  EXPECT_EQ(ike.Describe(), "IKE:AES_CBC_128/HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/ECP_384");
  IkeSuite aead{{EncrId::kAesGcm16, 256}, PrfId::kHmacSha2_256, IntegId::kNone, KeGroup::kCurve25519};
  EXPECT_EQ(aead.ToWire(1, {}).transforms.size(), 3u);  // no INTEG for AEAD (RFC 5282 §8)

  ChildSuite child{{EncrId::kAesGcm16, 128}, IntegId::kNone, KeGroup::kNone, true};
  wire::Proposal c = child.ToWire(1, {9, 9, 9, 9});
  ASSERT_EQ(c.transforms.size(), 2u);  // ENCR, ESN
  EXPECT_EQ(c.transforms[1], wire::Transform::Of(wire::TransformType::kEsn, 1));
  EXPECT_EQ(child.Describe(), "ESP:AES_GCM_16_128/EXT_SEQ");
}

}  // namespace
}  // namespace isthmus::ike::sa
