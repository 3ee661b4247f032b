#include "ike/wire/header.h"

#include <gtest/gtest.h>

#include "test_messages.h"

namespace isthmus::ike::wire {
namespace {

using testing::Hex;
using testing::InitRequestBytes;

TEST(Header, ParsesEveryField) {
  Bytes b = Hex("01 02 03 04 05 06 07 08 a1 a2 a3 a4 a5 a6 a7 a8 2e 20 23 38 00 00 00 07 00 00 00 1c");
  auto h = ParseHeader(b);
  ASSERT_TRUE(h.has_value()) << h.error().ToString();
  EXPECT_EQ(h->initiator_spi, 0x0102030405060708ULL);
  EXPECT_EQ(h->responder_spi, 0xa1a2a3a4a5a6a7a8ULL);
  EXPECT_EQ(h->next_payload, PayloadType::kEncrypted);
  EXPECT_EQ(h->major_version, 2);
  EXPECT_EQ(h->minor_version, 0);
  EXPECT_EQ(h->exchange, ExchangeType::kIkeAuth);
  EXPECT_TRUE(h->initiator);
  EXPECT_TRUE(h->version);
  EXPECT_TRUE(h->response);
  EXPECT_EQ(h->message_id, 7u);
  EXPECT_EQ(h->length, 28u);
}

TEST(Header, RoundTrips) {
  Bytes b = Hex("01 02 03 04 05 06 07 08 a1 a2 a3 a4 a5 a6 a7 a8 2e 20 25 28 00 00 00 07 00 00 00 1c");
  auto h = ParseHeader(b);
  ASSERT_TRUE(h.has_value());
  ByteWriter w;
  AppendHeader(w, *h);
  EXPECT_EQ(w.bytes(), b);
}

TEST(Header, ShortDatagramIsDroppedSilently) {
  Bytes b = InitRequestBytes();
  for (std::size_t n = 0; n < kHeaderSize; ++n) {
    auto h = ParseHeader(ByteView(b).first(n));
    ASSERT_FALSE(h.has_value()) << n;
    EXPECT_EQ(h.error().notify, NotifyType::kNone) << n;
  }
}

TEST(Header, HigherMajorVersionAsksForInvalidMajorVersion) {
  Bytes b = InitRequestBytes();
  b[17] = 0x30;  // version 3.0
  auto h = ParseHeader(b);
  ASSERT_FALSE(h.has_value());
  EXPECT_EQ(h.error().notify, NotifyType::kInvalidMajorVersion);
  EXPECT_EQ(h.error().payload, PayloadType::kNone);
}

TEST(Header, IkeV1IsDroppedNotAnswered) {
  Bytes b = InitRequestBytes();
  b[17] = 0x10;  // version 1.0
  auto h = ParseHeader(b);
  ASSERT_FALSE(h.has_value());
  EXPECT_EQ(h.error().notify, NotifyType::kNone);
}

TEST(Header, MinorVersionAndReservedFlagBitsAreIgnored) {
  Bytes b = InitRequestBytes();
  b[17] = 0x27;         // version 2.7
  b[19] = 0x08 | 0xC7;  // I plus every X bit
  auto m = ParseMessage(b);
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  EXPECT_EQ(m->header.minor_version, 7);
  EXPECT_TRUE(m->header.initiator);
  EXPECT_FALSE(m->header.response);
  EXPECT_FALSE(m->header.version);
  EXPECT_EQ(m->header.flags(), kFlagInitiator);
}

TEST(WireError, ConvertsToBaseErrorWithTheNotifyAsCode) {
  WireError e{NotifyType::kInvalidSyntax, PayloadType::kSa, 40, "proposal length 3 is below its minimum 8"};
  Error err = e.ToError();
  EXPECT_EQ(err.kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(err.code, "INVALID_SYNTAX");
  EXPECT_EQ(err.target, "SA");
  EXPECT_NE(err.message.find("offset 40"), std::string::npos);
  EXPECT_NE(err.message.find("proposal length 3"), std::string::npos);
}

TEST(Names, KnownAndUnknownValues) {
  EXPECT_EQ(PayloadName(PayloadType::kEncrypted), "SK");
  EXPECT_EQ(PayloadName(static_cast<PayloadType>(99)), "payload 99");
  EXPECT_EQ(ExchangeName(ExchangeType::kCreateChildSa), "CREATE_CHILD_SA");
  EXPECT_EQ(NotifyName(NotifyType::kNatDetectionDestinationIp), "NAT_DETECTION_DESTINATION_IP");
  EXPECT_EQ(NotifyName(static_cast<NotifyType>(40000)), "notify 40000");
  EXPECT_TRUE(IsErrorNotify(NotifyType::kTemporaryFailure));
  EXPECT_FALSE(IsErrorNotify(NotifyType::kCookie));
  EXPECT_FALSE(IsErrorNotify(NotifyType::kNone));
}

TEST(NotifyType, IanaValues) {
  EXPECT_EQ(static_cast<int>(NotifyType::kInvalidSyntax), 7);
  EXPECT_EQ(static_cast<int>(NotifyType::kInvalidSpi), 11);
  EXPECT_EQ(static_cast<int>(NotifyType::kNoProposalChosen), 14);
  EXPECT_EQ(static_cast<int>(NotifyType::kInvalidKePayload), 17);
  EXPECT_EQ(static_cast<int>(NotifyType::kAuthenticationFailed), 24);
  EXPECT_EQ(static_cast<int>(NotifyType::kTsUnacceptable), 38);
  EXPECT_EQ(static_cast<int>(NotifyType::kTemporaryFailure), 43);
  EXPECT_EQ(static_cast<int>(NotifyType::kChildSaNotFound), 44);
  EXPECT_EQ(static_cast<int>(NotifyType::kStateNotFound), 47);
  EXPECT_EQ(static_cast<int>(NotifyType::kInitialContact), 16384);
  EXPECT_EQ(static_cast<int>(NotifyType::kCookie), 16390);
  EXPECT_EQ(static_cast<int>(NotifyType::kRekeySa), 16393);
  EXPECT_EQ(static_cast<int>(NotifyType::kIkev2FragmentationSupported), 16430);
  EXPECT_EQ(static_cast<int>(NotifyType::kSignatureHashAlgorithms), 16431);
}

}  // namespace
}  // namespace isthmus::ike::wire
