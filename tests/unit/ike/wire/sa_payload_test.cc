#include "ike/wire/sa_payload.h"

#include <gtest/gtest.h>

#include "test_messages.h"

namespace isthmus::ike::wire {
namespace {

using testing::Hex;

// The SA body of the hand-written IKE_SA_INIT request (without the generic header).
const char* kGcmProposal =
    "00 00 00 24 01 01 00 03"
    "03 00 00 0c 01 00 00 14 80 0e 01 00"
    "03 00 00 08 02 00 00 05"
    "00 00 00 08 04 00 00 13";

WireError ParseFails(const Bytes& body) {
  auto sa = SaPayload::Parse(body);
  EXPECT_FALSE(sa.has_value());
  return sa.has_value() ? WireError{} : sa.error();
}

TEST(SaPayload, ParsesAesGcmProposal) {
  auto sa = SaPayload::Parse(Hex(kGcmProposal));
  ASSERT_TRUE(sa.has_value()) << sa.error().ToString();
  ASSERT_EQ(sa->proposals.size(), 1u);
  const auto& t = sa->proposals[0].transforms;
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0], Transform::Of(TransformType::kEncr, encr::kAesGcm16, 256));
  EXPECT_EQ(t[1], Transform::Of(TransformType::kPrf, prf::kHmacSha2_256));
  EXPECT_EQ(t[2], Transform::Of(TransformType::kKe, ke_group::kEcp256));
  EXPECT_FALSE(t[1].key_length().has_value());
}

TEST(SaPayload, RoundTripsSeveralProposalsSpisAndAttributes) {
  SaPayload sa;
  Proposal a;
  a.number = 1;
  a.protocol = ProtocolId::kEsp;
  a.spi = {0xc0, 0xff, 0xee, 0x01};
  a.transforms = {Transform::Of(TransformType::kEncr, encr::kAesCbc, 128),
                  Transform::Of(TransformType::kInteg, integ::kHmacSha2_256_128),
                  Transform::Of(TransformType::kKe, ke_group::kCurve25519),
                  Transform::Of(TransformType::kEsn, esn::kYes)};
  // An attribute this codec does not know, in TLV form, is carried verbatim.
  a.transforms[1].attributes.push_back({0x1234, false, 0, {1, 2, 3}});
  Proposal b;
  b.number = 2;
  b.protocol = ProtocolId::kIke;
  b.spi = {1, 2, 3, 4, 5, 6, 7, 8};
  b.transforms = {Transform::Of(TransformType::kEncr, encr::kChaCha20Poly1305)};
  Proposal c;  // no transforms at all: structurally fine, the negotiator will refuse it
  c.number = 3;
  c.protocol = ProtocolId::kAh;
  c.spi = {9, 9, 9, 9};
  sa.proposals = {a, b, c};

  ByteWriter w;
  sa.AppendBody(w);
  ASSERT_TRUE(w.ok()) << w.error();
  auto back = SaPayload::Parse(w.bytes());
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(*back, sa);
}

TEST(SaPayload, EmptyIsRejected) {
  EXPECT_NE(ParseFails({}).what.find("no proposal"), std::string::npos);
}

TEST(SaPayload, ProposalLengthBelowMinimumIsRejected) {
  Bytes b = Hex(kGcmProposal);
  b[3] = 7;
  EXPECT_NE(ParseFails(b).what.find("below its minimum"), std::string::npos);
}

TEST(SaPayload, ProposalLengthOverrunIsRejected) {
  Bytes b = Hex(kGcmProposal);
  b[3] = 0x25;
  EXPECT_NE(ParseFails(b).what.find("overruns"), std::string::npos);
}

TEST(SaPayload, ProposalLengthShortOfItsTransformsIsRejected) {
  // Proposal length 28 leaves the last transform outside the proposal: it reads as another proposal.
  Bytes b = Hex(kGcmProposal);
  b[3] = 28;
  EXPECT_FALSE(SaPayload::Parse(b).has_value());
}

TEST(SaPayload, TransformLengthsThatDoNotAddUpAreRejected) {
  Bytes b = Hex(kGcmProposal);
  b[8 + 3] = 0x10;  // first transform claims 16 octets, which swallows half of the next one
  EXPECT_FALSE(SaPayload::Parse(b).has_value());
  Bytes c = Hex(kGcmProposal);
  c[8 + 3] = 0x07;  // below the 8-octet minimum
  EXPECT_NE(ParseFails(c).what.find("transform length 7"), std::string::npos);
  Bytes d = Hex(kGcmProposal);
  d[28 + 3] = 0x09;  // last transform runs past the proposal
  EXPECT_NE(ParseFails(d).what.find("overruns"), std::string::npos);
}

TEST(SaPayload, NumTransformsMustMatch) {
  for (std::uint8_t n : {0, 2, 4, 255}) {
    Bytes b = Hex(kGcmProposal);
    b[7] = n;
    auto e = ParseFails(b);
    EXPECT_NE(e.what.find("Num Transforms"), std::string::npos) << int(n);
    EXPECT_EQ(e.offset, 7u);
  }
}

TEST(SaPayload, LastSubstrucMustAgreeWithWhatFollows) {
  Bytes more_promised = Hex(kGcmProposal);
  more_promised[0] = 2;  // says another proposal follows; none does
  EXPECT_NE(ParseFails(more_promised).what.find("promises another"), std::string::npos);
  Bytes last_too_early = Hex(kGcmProposal);
  last_too_early[8] = 0;  // first transform claims to be the last
  EXPECT_NE(ParseFails(last_too_early).what.find("marked last"), std::string::npos);
  Bytes wrong_value = Hex(kGcmProposal);
  wrong_value[8] = 2;  // transforms use 3, not 2
  EXPECT_NE(ParseFails(wrong_value).what.find("Last Substruc 2"), std::string::npos);
}

TEST(SaPayload, TruncatedAttributeIsRejected) {
  // Transform length 10: two octets of attribute where four are needed.
  Bytes b = Hex("00 00 00 12 01 01 00 01  00 00 00 0a 01 00 00 14 80 0e");
  EXPECT_NE(ParseFails(b).what.find("truncated transform attribute"), std::string::npos);
}

TEST(SaPayload, TlvAttributeOverrunIsRejected) {
  Bytes b = Hex("00 00 00 14 01 01 00 01  00 00 00 0c 01 00 00 14 12 34 00 09");
  EXPECT_NE(ParseFails(b).what.find("overruns the transform"), std::string::npos);
}

TEST(SaPayload, KeyLengthMustBeTvAndSingle) {
  Bytes tlv = Hex("00 00 00 16 01 01 00 01  00 00 00 0e 01 00 00 14 00 0e 00 02 01 00");
  EXPECT_NE(ParseFails(tlv).what.find("TV format"), std::string::npos);
  Bytes twice = Hex("00 00 00 18 01 01 00 01  00 00 00 10 01 00 00 14 80 0e 01 00 80 0e 00 80");
  EXPECT_NE(ParseFails(twice).what.find("repeated"), std::string::npos);
}

Bytes TwoProposals(std::uint8_t first, std::uint8_t second) {
  Bytes b =
      Hex("02 00 00 10 01 01 00 01 00 00 00 08 01 00 00 14"
          "00 00 00 10 02 01 00 01 00 00 00 08 01 00 00 0c");
  b[4] = first;
  b[16 + 4] = second;
  return b;
}

TEST(SaPayload, ProposalNumbersCountFromOne) {
  EXPECT_TRUE(SaPayload::Parse(TwoProposals(1, 2)).has_value());
  EXPECT_NE(ParseFails(TwoProposals(1, 3)).what.find("proposal number 3 where 2 was due"), std::string::npos);
  EXPECT_FALSE(SaPayload::Parse(TwoProposals(2, 3)).has_value());
  EXPECT_FALSE(SaPayload::Parse(TwoProposals(1, 1)).has_value());
  // A single proposal may carry any non-zero number: a response echoes the one it accepted.
  Bytes single = Hex(kGcmProposal);
  single[4] = 7;
  EXPECT_TRUE(SaPayload::Parse(single).has_value());
  single[4] = 0;
  EXPECT_NE(ParseFails(single).what.find("number 0"), std::string::npos);
}

TEST(SaPayload, SpiSizeFollowsTheProtocol) {
  struct Case {
    std::uint8_t protocol, spi_size;
    bool ok;
  } cases[] = {{1, 0, true},  {1, 8, true}, {1, 4, false}, {3, 4, true}, {3, 0, false},
               {3, 8, false}, {2, 4, true}, {2, 2, false}, {9, 3, true}};
  for (const auto& c : cases) {
    Bytes b = Hex("00 00 00 00 01 00 00 01");
    b[5] = c.protocol;
    b[6] = c.spi_size;
    for (int i = 0; i < c.spi_size; ++i) b.push_back(0xab);
    Bytes t = Hex("00 00 00 08 01 00 00 14");
    b.insert(b.end(), t.begin(), t.end());
    b[3] = static_cast<std::uint8_t>(b.size());
    EXPECT_EQ(SaPayload::Parse(b).has_value(), c.ok) << int(c.protocol) << "/" << int(c.spi_size);
  }
}

TEST(SaPayload, SpiOverrunningTheProposalIsRejected) {
  Bytes b = Hex("00 00 00 0a 01 03 04 00 ab cd");  // SPI size 4 but only 2 octets in the proposal
  EXPECT_NE(ParseFails(b).what.find("SPI overruns"), std::string::npos);
}

}  // namespace
}  // namespace isthmus::ike::wire
