#include "ike/wire/message.h"

#include <gtest/gtest.h>

#include "test_messages.h"

namespace isthmus::ike::wire {
namespace {

using testing::Concat;
using testing::Hex;
using testing::InitRequestBytes;
using testing::InitRequestMessage;
using testing::kInitKeOffset;
using testing::kInitLength;
using testing::kInitNatDstOffset;
using testing::kInitNatSrcOffset;
using testing::kInitNonceOffset;
using testing::Repeat;

// Rewrites the header's Length field after a test changed the datagram's size.
void FixLength(Bytes& b) {
  for (int i = 0; i < 4; ++i) b[24 + i] = static_cast<std::uint8_t>(b.size() >> (24 - 8 * i));
}

WireError ParseError(const Bytes& b) {
  auto m = ParseMessage(b);
  EXPECT_FALSE(m.has_value());
  return m.has_value() ? WireError{} : m.error();
}

TEST(Message, ParsesHandWrittenIkeSaInitRequest) {
  auto m = ParseMessage(InitRequestBytes());
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  EXPECT_EQ(*m, InitRequestMessage());

  const auto* sa = m->Find<SaPayload>(PayloadType::kSa);
  ASSERT_NE(sa, nullptr);
  ASSERT_EQ(sa->proposals.size(), 1u);
  const Proposal& p = sa->proposals[0];
  EXPECT_EQ(p.protocol, ProtocolId::kIke);
  EXPECT_TRUE(p.spi.empty());
  ASSERT_NE(p.Find(TransformType::kEncr), nullptr);
  EXPECT_EQ(p.Find(TransformType::kEncr)->id, encr::kAesGcm16);
  EXPECT_EQ(p.Find(TransformType::kEncr)->key_length(), 256);
  EXPECT_EQ(p.Find(TransformType::kPrf)->id, prf::kHmacSha2_256);
  EXPECT_EQ(p.Find(TransformType::kKe)->id, ke_group::kEcp256);
  EXPECT_EQ(p.Find(TransformType::kInteg), nullptr);  // AEAD: no integrity transform
  EXPECT_EQ(m->Find<KePayload>(PayloadType::kKe)->group, ke_group::kEcp256);
  EXPECT_EQ(m->Find<NoncePayload>(PayloadType::kNonce)->data.size(), 32u);
  ASSERT_EQ(m->Notifies().size(), 2u);
  EXPECT_NE(m->FindNotify(NotifyType::kNatDetectionSourceIp), nullptr);
  EXPECT_NE(m->FindNotify(NotifyType::kNatDetectionDestinationIp), nullptr);
  EXPECT_EQ(m->FirstErrorNotify(), nullptr);
  EXPECT_TRUE(Verify(*m).has_value()) << Verify(*m).error().ToString();
}

TEST(Message, SerializesToTheHandWrittenBytes) {
  Message m = InitRequestMessage();
  m.header.length = 0;  // computed
  m.header.next_payload = PayloadType::kNone;
  auto b = SerializeMessage(m);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(*b, InitRequestBytes());
}

TEST(Message, EveryTruncationFailsCleanly) {
  Bytes full = InitRequestBytes();
  for (std::size_t n = 0; n < full.size(); ++n) {
    Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    // As received: the Length field no longer matches.
    EXPECT_FALSE(ParseMessage(cut).has_value()) << n;
    // With the Length field fixed up, the payload structure itself must be caught.
    if (n >= kHeaderSize) {
      FixLength(cut);
      auto m = ParseMessage(cut);
      ASSERT_FALSE(m.has_value()) << "truncated to " << n << " octets still parses";
      EXPECT_EQ(m.error().notify, NotifyType::kInvalidSyntax) << n;
    }
  }
}

TEST(Message, LengthFieldMustMatchDatagram) {
  Bytes b = InitRequestBytes();
  b.push_back(0);
  auto e = ParseError(b);
  EXPECT_EQ(e.notify, NotifyType::kNone);
  EXPECT_NE(e.what.find("Length"), std::string::npos);
  Bytes c = InitRequestBytes();
  c[27] = static_cast<std::uint8_t>(c[27] - 1);
  EXPECT_EQ(ParseError(c).notify, NotifyType::kNone);
}

TEST(Message, TrailingGarbageAfterLastPayloadIsRejected) {
  Bytes b = Concat({InitRequestBytes(), Hex("de ad be ef")});
  FixLength(b);
  auto e = ParseError(b);
  EXPECT_EQ(e.notify, NotifyType::kInvalidSyntax);
  EXPECT_EQ(e.offset, kInitLength);
  EXPECT_NE(e.what.find("trailing"), std::string::npos);
}

TEST(Message, PayloadLengthBelowFourIsRejected) {
  for (std::uint8_t len : {0, 1, 2, 3}) {
    Bytes b = InitRequestBytes();
    b[kInitKeOffset + 2] = 0;
    b[kInitKeOffset + 3] = len;
    auto e = ParseError(b);
    EXPECT_EQ(e.payload, PayloadType::kKe);
    EXPECT_EQ(e.offset, kInitKeOffset + 2);
  }
}

TEST(Message, PayloadLengthOverrunningTheMessageIsRejected) {
  Bytes b = InitRequestBytes();
  b[kInitNatDstOffset + 3] = 29;  // one more than is there
  auto e = ParseError(b);
  EXPECT_EQ(e.payload, PayloadType::kNotify);
  EXPECT_NE(e.what.find("overruns"), std::string::npos);
}

TEST(Message, NextPayloadPromisingMoreThanThereIsIsRejected) {
  Bytes b = InitRequestBytes();
  b[kInitNatDstOffset] = static_cast<std::uint8_t>(PayloadType::kVendorId);
  auto e = ParseError(b);
  EXPECT_EQ(e.payload, PayloadType::kVendorId);
  EXPECT_EQ(e.offset, kInitLength);
}

// An unknown payload (type 200) inserted after the nonce, with or without the critical bit.
Bytes WithUnknownPayload(bool critical) {
  Bytes b = InitRequestBytes();
  b[kInitNonceOffset] = 200;                       // Nonce's Next Payload now names the unknown payload
  Bytes unknown = Hex("29 00 00 08 01 02 03 04");  // Next N, length 8
  if (critical) unknown[1] = 0x80;
  b.insert(b.begin() + kInitNatSrcOffset, unknown.begin(), unknown.end());
  FixLength(b);
  return b;
}

TEST(Message, UnknownCriticalPayloadIsReportedWithItsType) {
  auto e = ParseError(WithUnknownPayload(true));
  EXPECT_EQ(e.notify, NotifyType::kUnsupportedCriticalPayload);
  EXPECT_EQ(static_cast<unsigned>(e.payload), 200u);
  EXPECT_EQ(e.offset, kInitNatSrcOffset);
}

TEST(Message, UnknownNonCriticalPayloadIsSkipped) {
  auto m = ParseMessage(WithUnknownPayload(false));
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  EXPECT_EQ(m->payloads.size(), 5u);
  ASSERT_EQ(m->skipped.size(), 1u);
  EXPECT_EQ(static_cast<unsigned>(m->skipped[0]), 200u);
  EXPECT_TRUE(Verify(*m).has_value());
}

TEST(Message, CriticalBitOnAKnownPayloadIsIgnored) {
  Bytes b = InitRequestBytes();
  b[kInitNonceOffset + 1] = 0x80;
  auto m = ParseMessage(b);
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  EXPECT_EQ(*m, InitRequestMessage());
}

TEST(Message, TooManyPayloadsAreRejected) {
  Message m = InitRequestMessage();
  for (std::size_t i = 0; m.payloads.size() < kMaxPayloadsPerChain; ++i) {
    m.payloads.push_back(Payload::Of(VendorIdPayload{Repeat(static_cast<std::uint8_t>(i), 4)}));
  }
  auto at_limit = SerializeMessage(m);
  ASSERT_TRUE(at_limit.has_value());
  EXPECT_TRUE(ParseMessage(*at_limit).has_value());
  m.payloads.push_back(Payload::Of(VendorIdPayload{Repeat(0xff, 4)}));
  auto over = SerializeMessage(m);
  ASSERT_TRUE(over.has_value());
  auto e = ParseError(*over);
  EXPECT_NE(e.what.find("more than 64 payloads"), std::string::npos);
}

TEST(Message, SkippedPayloadsCountTowardsTheBound) {
  // 100 tiny unknown non-critical payloads: bounded even though none is kept.
  Bytes b = Hex("01 02 03 04 05 06 07 08 00 00 00 00 00 00 00 00 c8 20 25 08 00 00 00 01 00 00 00 00");
  for (int i = 0; i < 100; ++i) {
    Bytes p = Hex("c8 00 00 04");
    if (i == 99) p[0] = 0;
    b.insert(b.end(), p.begin(), p.end());
  }
  FixLength(b);
  auto e = ParseError(b);
  EXPECT_NE(e.what.find("more than"), std::string::npos);
}

TEST(Message, SerializerRefusesAMismatchedTypeAndBody) {
  Message m = InitRequestMessage();
  m.payloads[1].type = PayloadType::kNonce;  // holds a KePayload
  auto b = SerializeMessage(m);
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().code, "IkePayloadMismatch");
}

TEST(Message, SerializerRefusesOversizedFields) {
  Message m = InitRequestMessage();
  m.payloads.push_back(Payload::Of(VendorIdPayload{Repeat(1, 70000)}));
  EXPECT_FALSE(SerializeMessage(m).has_value());
  Message n = InitRequestMessage();
  std::get<NoncePayload>(n.payloads[2].body).data.resize(8);
  EXPECT_FALSE(SerializeMessage(n).has_value());
}

TEST(Message, FindSeesInnerPayloadsOnlyOnceDecrypted) {
  Message m = testing::Protected(ExchangeType::kIkeAuth, false, testing::AuthRequestContents());
  EXPECT_NE(m.Find(PayloadType::kIdi), nullptr);
  m.inner.reset();
  EXPECT_EQ(m.Find(PayloadType::kIdi), nullptr);
  EXPECT_NE(m.encrypted(), nullptr);
}

}  // namespace
}  // namespace isthmus::ike::wire
