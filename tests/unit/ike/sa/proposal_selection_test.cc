#include "ike/sa/proposal_selection.h"

#include <gtest/gtest.h>

namespace isthmus::ike::sa {
namespace {

using crypto::EncrId;
using crypto::IntegId;
using crypto::KeGroup;
using crypto::PrfId;
using TT = wire::TransformType;
constexpr auto kIke = wire::ProtocolId::kIke;
constexpr auto kEsp = wire::ProtocolId::kEsp;

std::vector<Proposal> Parse(std::string_view s, wire::ProtocolId p) {
  auto r = ParseProposals(s, p);
  EXPECT_TRUE(r.has_value()) << s;
  return r ? *r : std::vector<Proposal>{};
}

// What an initiator configured with `s` puts in its SA payload.
std::vector<wire::Proposal> Offer(std::string_view s, wire::ProtocolId p, wire::Bytes spi = {}) {
  return ToWireSa(Parse(s, p), spi).proposals;
}

TEST(SelectIkeProposal, PicksTheFirstOfTheInitiatorsProposalsWeAccept) {
  auto offered =
      Offer("aes128gcm16-prfsha384-ecp384, aes256gcm16-prfsha256-ecp256, aes256-sha256-modp2048", kIke);
  auto ours = Parse("aes256-sha256-modp2048, aes256gcm16-prfsha256-ecp256", kIke);
  auto sel = SelectIkeProposal(offered, ours);
  ASSERT_TRUE(sel.has_value()) << sel.error().message;
  // Proposal 2 is the initiator's first acceptable one, even though our list prefers CBC.
  EXPECT_EQ(sel->number, 2);
  EXPECT_EQ(sel->suite,
            (IkeSuite{{EncrId::kAesGcm16, 256}, PrfId::kHmacSha2_256, IntegId::kNone, KeGroup::kEcp256}));
}

TEST(SelectIkeProposal, OneTransformPerTypeInTheInitiatorsOrder) {
  auto offered = Offer("aes128-aes256-sha512-sha256-prfsha384-prfsha256-ecp384-ecp256", kIke);
  auto ours = Parse("aes256-aes128-sha256-sha512-prfsha256-prfsha384-ecp256-ecp384", kIke);
  auto sel = SelectIkeProposal(offered, ours);
  ASSERT_TRUE(sel.has_value());
  EXPECT_EQ(sel->suite.encr, (EncrAlg{EncrId::kAesCbc, 128}));
  EXPECT_EQ(sel->suite.integ, IntegId::kHmacSha2_512_256);
  EXPECT_EQ(sel->suite.prf, PrfId::kHmacSha2_384);
  EXPECT_EQ(sel->suite.ke, KeGroup::kEcp384);
  // The reply carries exactly those, under the echoed number.
  wire::Proposal reply = sel->suite.ToWire(sel->number, {});
  EXPECT_EQ(reply.transforms.size(), 4u);
}

TEST(SelectIkeProposal, PrefersTheGroupOfTheReceivedKePayload) {
  auto offered = Offer("aes256gcm16-prfsha256-ecp256-curve25519", kIke);
  auto ours = Parse("aes256gcm16-prfsha256-curve25519-ecp256", kIke);
  auto plain = SelectIkeProposal(offered, ours);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->suite.ke, KeGroup::kEcp256);
  SelectOptions opt;
  opt.received_ke = KeGroup::kCurve25519;
  auto guided = SelectIkeProposal(offered, ours, opt);
  ASSERT_TRUE(guided.has_value());
  EXPECT_EQ(guided->suite.ke, KeGroup::kCurve25519);
  opt.received_ke = KeGroup::kModp2048;  // not in the proposal: fall back to the initiator's order
  EXPECT_EQ(SelectIkeProposal(offered, ours, opt)->suite.ke, KeGroup::kEcp256);
}

TEST(SelectIkeProposal, NoProposalChosenNamesBothSides) {
  auto offered = Offer("aes128-sha256-modp2048", kIke);
  auto ours = Parse("aes256gcm16-prfsha256-ecp256", kIke);
  auto sel = SelectIkeProposal(offered, ours);
  ASSERT_FALSE(sel.has_value());
  EXPECT_EQ(sel.error().code, kNoProposalChosen);
  EXPECT_NE(sel.error().message.find("AES_CBC_128"), std::string::npos) << sel.error().message;
  EXPECT_NE(sel.error().message.find("AES_GCM_16_256"), std::string::npos) << sel.error().message;
  // Same algorithms but a group we do not accept.
  EXPECT_FALSE(SelectIkeProposal(Offer("aes256gcm16-prfsha256-modp2048", kIke), ours).has_value());
  // ESP proposals are never chosen for IKE.
  EXPECT_FALSE(SelectIkeProposal(Offer("aes256gcm16", kEsp, {0, 0, 0, 1}), ours).has_value());
}

TEST(SelectIkeProposal, UnknownTransformTypeMakesTheProposalUnacceptable) {
  auto offered = Offer("aes256gcm16-prfsha256-ecp256, aes256gcm16-prfsha384-ecp256", kIke);
  offered[0].transforms.push_back(wire::Transform{static_cast<TT>(9), 1, {}});
  auto ours = Parse("aes256gcm16-prfsha256-prfsha384-ecp256", kIke);
  auto sel = SelectIkeProposal(offered, ours);
  ASSERT_TRUE(sel.has_value());
  EXPECT_EQ(sel->number, 2);
}

TEST(SelectIkeProposal, TransformWithUnknownAttributeIsIgnored) {
  auto offered = Offer("aes256gcm16-aes128gcm16-prfsha256-ecp256", kIke);
  offered[0].transforms[0].attributes.push_back({99, true, 1, {}});  // on AES-GCM-256
  auto ours = Parse("aes256gcm16-aes128gcm16-prfsha256-ecp256", kIke);
  auto sel = SelectIkeProposal(offered, ours);
  ASSERT_TRUE(sel.has_value());
  EXPECT_EQ(sel->suite.encr, (EncrAlg{EncrId::kAesGcm16, 128}));
}

TEST(SelectIkeProposal, KeyLengthMustMatchExactly) {
  auto offered = Offer("aes128gcm16-prfsha256-ecp256", kIke);
  auto ours = Parse("aes256gcm16-prfsha256-ecp256", kIke);
  EXPECT_FALSE(SelectIkeProposal(offered, ours).has_value());
  // An AES transform without its mandatory Key Length attribute matches nothing.
  offered[0].transforms[0].attributes.clear();
  EXPECT_FALSE(SelectIkeProposal(offered, Parse("aes128gcm16-prfsha256-ecp256", kIke)).has_value());
}

TEST(SelectIkeProposal, AeadAcceptsAnExplicitIntegrityNone) {
  auto offered = Offer("aes256gcm16-prfsha256-ecp256", kIke);
  offered[0].transforms.push_back(wire::Transform::Of(TT::kInteg, 0));
  auto sel = SelectIkeProposal(offered, Parse("aes256gcm16-prfsha256-ecp256", kIke));
  ASSERT_TRUE(sel.has_value());
  EXPECT_EQ(sel->suite.integ, IntegId::kNone);
}

TEST(SelectIkeProposal, RekeyCarriesThePeersSpi) {
  auto offered = Offer("aes256gcm16-prfsha256-ecp256", kIke, {1, 2, 3, 4, 5, 6, 7, 8});
  auto sel = SelectIkeProposal(offered, Parse("aes256gcm16-prfsha256-ecp256", kIke));
  ASSERT_TRUE(sel.has_value());
  EXPECT_EQ(sel->peer_spi, (wire::Bytes{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(SelectChildProposal, EspWithAndWithoutPfs) {
  auto ours_no_pfs = Parse("aes256gcm16, aes256-sha256", kEsp);
  auto sel = SelectChildProposal(Offer("aes256-sha256", kEsp, {0xc1, 0, 0, 2}), ours_no_pfs);
  ASSERT_TRUE(sel.has_value());
  EXPECT_EQ(sel->suite,
            (ChildSuite{{EncrId::kAesCbc, 256}, IntegId::kHmacSha2_256_128, KeGroup::kNone, false}));
  EXPECT_EQ(sel->peer_spi_value(), 0xc1000002u);

  // The initiator insists on PFS; we are configured without it.
  EXPECT_FALSE(SelectChildProposal(Offer("aes256gcm16-ecp256", kEsp, {0, 0, 1, 0}), ours_no_pfs).has_value());
  // ... unless the exchange is IKE_AUTH, where KE transforms are ignored (RFC 7296 §1.2).
  SelectOptions in_auth;
  in_auth.ignore_ke = true;
  auto a = SelectChildProposal(Offer("aes256gcm16-ecp256", kEsp, {0, 0, 1, 0}), ours_no_pfs, in_auth);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->suite.ke, KeGroup::kNone);

  auto ours_pfs = Parse("aes256gcm16-ecp384-ecp256", kEsp);
  auto p = SelectChildProposal(Offer("aes256gcm16-ecp256", kEsp, {0, 0, 1, 0}), ours_pfs);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->suite.ke, KeGroup::kEcp256);
  // We require PFS and the initiator offers none.
  EXPECT_FALSE(SelectChildProposal(Offer("aes256gcm16", kEsp, {0, 0, 1, 0}), ours_pfs).has_value());
}

TEST(SelectChildProposal, EsnFollowsTheInitiatorsPreference) {
  auto ours = Parse("aes256gcm16-esn-noesn", kEsp);
  EXPECT_TRUE(SelectChildProposal(Offer("aes256gcm16-esn", kEsp, {0, 0, 1, 0}), ours)->suite.esn);
  EXPECT_FALSE(SelectChildProposal(Offer("aes256gcm16-noesn-esn", kEsp, {0, 0, 1, 0}), ours)->suite.esn);
  EXPECT_FALSE(SelectChildProposal(Offer("aes256gcm16-esn", kEsp, {0, 0, 1, 0}), Parse("aes256gcm16", kEsp))
                   .has_value());
}

TEST(SelectChildProposal, GcmWithIntegrityFromAMixedPeerProposal) {
  // Some peers put classic and AEAD ciphers in one proposal; the integrity there belongs to the classic
  // ones and must not stop us choosing the AEAD.
  wire::Proposal mixed;
  mixed.number = 1;
  mixed.protocol = kEsp;
  mixed.spi = {0, 0, 1, 0};
  mixed.transforms = {wire::Transform::Of(TT::kEncr, 20, 256), wire::Transform::Of(TT::kEncr, 12, 256),
                      wire::Transform::Of(TT::kInteg, 12), wire::Transform::Of(TT::kEsn, 0)};
  std::vector<wire::Proposal> offered{mixed};
  auto sel = SelectChildProposal(offered, Parse("aes256gcm16", kEsp));
  ASSERT_TRUE(sel.has_value());
  EXPECT_EQ(sel->suite.integ, IntegId::kNone);
  auto cbc = SelectChildProposal(offered, Parse("aes256-sha256", kEsp));
  ASSERT_TRUE(cbc.has_value());
  EXPECT_EQ(cbc->suite.integ, IntegId::kHmacSha2_256_128);
}

// --- Initiator side ---------------------------------------------------------------------------------

TEST(CheckIkeResponse, AcceptsAChoiceWeOffered) {
  auto ours = Parse("aes128gcm16-prfsha384-ecp384, aes256-aes128-sha256-sha512-modp2048-ecp256", kIke);
  IkeSuite chosen{{EncrId::kAesCbc, 128}, PrfId::kHmacSha2_512, IntegId::kHmacSha2_512_256, KeGroup::kEcp256};
  wire::SaPayload response;
  response.proposals.push_back(chosen.ToWire(2, {}));
  auto sel = CheckIkeResponse(ours, response);
  ASSERT_TRUE(sel.has_value()) << sel.error().message;
  EXPECT_EQ(sel->suite, chosen);
  EXPECT_EQ(sel->number, 2);
}

TEST(CheckIkeResponse, RefusesWhatWeDidNotOffer) {
  auto ours = Parse("aes128gcm16-prfsha384-ecp384, aes256-sha256-modp2048", kIke);
  auto expect_refused = [&](const wire::SaPayload& r, std::string_view what) {
    auto sel = CheckIkeResponse(ours, r);
    ASSERT_FALSE(sel.has_value()) << what;
    EXPECT_EQ(sel.error().code, kProposalNotOffered) << what;
  };
  IkeSuite good{{EncrId::kAesGcm16, 128}, PrfId::kHmacSha2_384, IntegId::kNone, KeGroup::kEcp384};
  wire::SaPayload r;
  r.proposals = {good.ToWire(1, {})};
  ASSERT_TRUE(CheckIkeResponse(ours, r).has_value());

  r.proposals = {good.ToWire(2, {})};  // proposal 2 was CBC
  expect_refused(r, "number of another proposal");
  r.proposals = {good.ToWire(3, {})};
  expect_refused(r, "number we never sent");
  r.proposals = {good.ToWire(1, {}), good.ToWire(1, {})};
  expect_refused(r, "two proposals");
  IkeSuite other_group = good;
  other_group.ke = KeGroup::kEcp256;
  r.proposals = {other_group.ToWire(1, {})};
  expect_refused(r, "group not offered in that proposal");
  r.proposals = {good.ToWire(1, {})};
  r.proposals[0].transforms.push_back(wire::Transform::Of(TT::kPrf, 5));
  expect_refused(r, "two PRFs");
  r.proposals = {good.ToWire(1, {})};
  r.proposals[0].transforms.push_back(wire::Transform::Of(TT::kInteg, 12));
  expect_refused(r, "integrity with AEAD");
  r.proposals = {good.ToWire(1, {})};
  r.proposals[0].transforms.pop_back();  // KE missing
  expect_refused(r, "no KE");
  r.proposals = {good.ToWire(1, {})};
  r.proposals[0].transforms[0].attributes.push_back({77, true, 1, {}});
  expect_refused(r, "attribute we did not send");
}

TEST(CheckChildResponse, EspRulesIncludingIkeAuth) {
  auto ours = Parse("aes256gcm16-ecp256-esn-noesn", kEsp);
  ChildSuite pfs{{EncrId::kAesGcm16, 256}, IntegId::kNone, KeGroup::kEcp256, true};
  wire::SaPayload r;
  r.proposals = {pfs.ToWire(1, {0xaa, 0xbb, 0xcc, 0xdd})};
  auto sel = CheckChildResponse(ours, r);
  ASSERT_TRUE(sel.has_value()) << sel.error().message;
  EXPECT_EQ(sel->suite, pfs);
  EXPECT_EQ(sel->peer_spi_value(), 0xaabbccddu);

  ChildSuite no_pfs = pfs;
  no_pfs.ke = KeGroup::kNone;
  r.proposals = {no_pfs.ToWire(1, {0xaa, 0xbb, 0xcc, 0xdd})};
  EXPECT_FALSE(CheckChildResponse(ours, r).has_value());  // CREATE_CHILD_SA: we asked for PFS
  auto in_auth = CheckChildResponse(ours, r, /*ignore_ke=*/true);
  ASSERT_TRUE(in_auth.has_value());
  EXPECT_EQ(in_auth->suite.ke, KeGroup::kNone);

  auto ours_no_pfs = Parse("aes256gcm16", kEsp);
  r.proposals = {pfs.ToWire(1, {0xaa, 0xbb, 0xcc, 0xdd})};
  EXPECT_FALSE(CheckChildResponse(ours_no_pfs, r).has_value());  // a group we did not ask for
  r.proposals = {no_pfs.ToWire(1, {0xaa, 0xbb, 0xcc, 0xdd})};
  EXPECT_FALSE(CheckChildResponse(ours_no_pfs, r).has_value());  // ESN chosen, we only do noesn
}

TEST(SelectionRoundTrip, ResponderReplyPassesTheInitiatorsCheck) {
  for (const auto& ours : {DefaultIkeProposals(), AzureDefaultIkeProposals()}) {
    auto offered = ToWireSa(ours, {}).proposals;
    auto sel = SelectIkeProposal(offered, DefaultIkeProposals());
    if (!sel) continue;  // Azure's MODP-1024 proposals are not in our defaults
    wire::SaPayload reply;
    reply.proposals = {sel->suite.ToWire(sel->number, {})};
    auto back = CheckIkeResponse(ours, reply);
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_EQ(back->suite, sel->suite);
  }
  auto esp_offer = ToWireSa(DefaultEspProposals(), {1, 2, 3, 4}).proposals;
  auto child = SelectChildProposal(esp_offer, AzureDefaultEspProposals());
  ASSERT_TRUE(child.has_value());
  EXPECT_EQ(child->suite.Describe(), "ESP:AES_GCM_16_256/NO_EXT_SEQ");
  wire::SaPayload reply;
  reply.proposals = {child->suite.ToWire(child->number, {5, 6, 7, 8})};
  EXPECT_TRUE(CheckChildResponse(DefaultEspProposals(), reply).has_value());
}

// --- KE group negotiation ---------------------------------------------------------------------------

TEST(KeGroups, InitiatorGuessAndResponderRequest) {
  EXPECT_EQ(PreferredKeGroup(DefaultIkeProposals()), KeGroup::kEcp256);
  EXPECT_EQ(PreferredKeGroup(Parse("aes256gcm16", kEsp)), KeGroup::kNone);
  EXPECT_EQ(KeGroupToRequest(KeGroup::kEcp256, 19), std::nullopt);
  EXPECT_EQ(KeGroupToRequest(KeGroup::kEcp256, 31), KeGroup::kEcp256);
}

TEST(KeGroups, InvalidKePayloadRetryOnlyWithAnOfferedGroup) {
  auto ours = Parse("aes256gcm16-prfsha256-ecp256-curve25519, aes256-sha256-modp2048", kIke);
  auto g = GroupForInvalidKe(ours, KeGroup::kEcp256, 14);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(*g, KeGroup::kModp2048);
  EXPECT_EQ(*GroupForInvalidKe(ours, KeGroup::kEcp256, 31), KeGroup::kCurve25519);
  for (std::uint16_t bad :
       {19, 20, 2, 0, 999}) {  // the one we sent, not offered, weak not offered, none, unknown
    auto r = GroupForInvalidKe(ours, KeGroup::kEcp256, bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, kInvalidKePayload);
  }
  auto promoted = PromoteKeGroup(ours, KeGroup::kCurve25519);
  EXPECT_EQ(promoted[0].ke, (std::vector<KeGroup>{KeGroup::kCurve25519, KeGroup::kEcp256}));
  EXPECT_EQ(promoted[1].ke, ours[1].ke);
  EXPECT_EQ(PreferredKeGroup(promoted), KeGroup::kCurve25519);
}

}  // namespace
}  // namespace isthmus::ike::sa
