#include <gtest/gtest.h>

#include "ike/wire/encrypted_payload.h"
#include "ike/wire/exchange_rules.h"
#include "ike/wire/message.h"
#include "test_messages.h"

namespace isthmus::ike::wire {
namespace {

using testing::Concat;
using testing::Hex;
using testing::Repeat;

// HDR(IKE_AUTH request), SK{first inner IDi} with IV(4)=aa.., ciphertext(6)=cc.., ICV(4)=ee..
Bytes HandWrittenAuthRequest() {
  return Concat({Hex("01 02 03 04 05 06 07 08 11 12 13 14 15 16 17 18"
                     "2e 20 23 08 00 00 00 01 00 00 00 2e"),  // SK(46), IKE_AUTH, I, MID 1, length 46
                 Hex("23 00 00 12"),                          // Next IDi(35), length 18
                 Repeat(0xaa, 4), Repeat(0xcc, 6), Repeat(0xee, 4)});
}

TEST(EncryptedPayload, ParsesTheEnvelope) {
  Bytes wire = HandWrittenAuthRequest();
  auto m = ParseMessage(wire);
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  const EncryptedPayload* sk = m->encrypted();
  ASSERT_NE(sk, nullptr);
  EXPECT_EQ(sk->first_inner, PayloadType::kIdi);
  EXPECT_EQ(sk->body, Concat({Repeat(0xaa, 4), Repeat(0xcc, 6), Repeat(0xee, 4)}));
  EXPECT_EQ(sk->body_offset, 32u);
  EXPECT_TRUE(VerifyEnvelope(*m).has_value());
  // The full Verify needs the decrypted content first.
  auto v = Verify(*m);
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().notify, NotifyType::kNone);
}

TEST(EncryptedPayload, EmptyBodyIsRejected) {
  Bytes wire =
      Concat({Hex("01 02 03 04 05 06 07 08 11 12 13 14 15 16 17 18 2e 20 25 08 00 00 00 01 00 00 00 20"),
              Hex("00 00 00 04")});
  auto m = ParseMessage(wire);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().payload, PayloadType::kEncrypted);
}

TEST(EncryptedPayload, MustBeTheLastPayload) {
  Bytes wire =
      Concat({Hex("01 02 03 04 05 06 07 08 11 12 13 14 15 16 17 18 2e 20 25 08 00 00 00 01 00 00 00 2c"),
              Hex("29 00 00 08 01 02 03 04"),    // SK; its Next Payload (N) belongs to the inner chain
              Hex("00 00 00 08 00 00 40 00")});  // a clear N after SK
  auto m = ParseMessage(wire);
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().what.find("follow the SK payload"), std::string::npos);
}

TEST(EncryptedPayload, SkInsideSkIsRejected) {
  Bytes inner = Hex("00 00 00 08 01 02 03 04");
  auto r = ParseInnerPayloads(PayloadType::kEncrypted, inner);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().payload, PayloadType::kEncrypted);
}

TEST(SkPadding, LayoutFollowsSection3_14) {
  auto l = ComputeSkPlaintextLayout(30, 16);
  EXPECT_EQ(l.pad_len, 1u);
  EXPECT_EQ(l.plaintext_len, 32u);
  EXPECT_EQ(ComputeSkPlaintextLayout(31, 16).pad_len, 0u);
  EXPECT_EQ(ComputeSkPlaintextLayout(32, 16).pad_len, 15u);
  EXPECT_EQ(ComputeSkPlaintextLayout(0, 16).plaintext_len, 16u);
  EXPECT_EQ(ComputeSkPlaintextLayout(30, 1).pad_len, 0u);  // AEAD: no alignment
  EXPECT_EQ(ComputeSkPlaintextLayout(30, 1).plaintext_len, 31u);

  Bytes chain = Repeat(0x77, 20);
  Bytes padded = PadSkPlaintext(chain, 16);
  ASSERT_EQ(padded.size(), 32u);
  EXPECT_EQ(padded.back(), 11);  // Pad Length
  auto stripped = StripSkPadding(padded, 16);
  ASSERT_TRUE(stripped.has_value());
  EXPECT_EQ(Bytes(stripped->begin(), stripped->end()), chain);
}

TEST(SkPadding, ReceiverAcceptsAnyAligningPadLength) {
  // §3.14: "the recipient MUST accept any length that results in proper alignment".
  Bytes p = Concat({Repeat(0x77, 4), Repeat(0, 27), Hex("1b")});  // 4 + 27 + 1 = 32
  auto s = StripSkPadding(p, 16);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->size(), 4u);
}

TEST(SkPadding, RejectsBadPadLengthAndAlignment) {
  EXPECT_FALSE(StripSkPadding({}, 1).has_value());
  EXPECT_FALSE(StripSkPadding(Hex("00 01 02 04"), 1).has_value());  // pad 4 > 3 available
  EXPECT_FALSE(StripSkPadding(Repeat(0, 17), 16).has_value());      // not a multiple of 16
  EXPECT_TRUE(StripSkPadding(Hex("00 01 02 03"), 1).has_value());   // pad 3 leaves an empty chain
}

TEST(SkFrame, OffsetsAndLengthsAreFinal) {
  Header h;
  h.initiator_spi = 1;
  h.responder_spi = 2;
  h.exchange = ExchangeType::kInformational;
  h.message_id = 9;
  auto f = BuildSkFrame(h, {}, PayloadType::kDelete, 16, 32, 16);
  ASSERT_TRUE(f.has_value()) << f.error().message;
  EXPECT_EQ(f->bytes.size(), 28u + 4u + 16u + 32u + 16u);
  EXPECT_EQ(f->iv_offset, 32u);
  EXPECT_EQ(f->ciphertext_offset, 48u);
  EXPECT_EQ(f->icv_offset, 80u);
  EXPECT_EQ(f->iv().size(), 16u);
  EXPECT_EQ(f->ciphertext().size(), 32u);
  EXPECT_EQ(f->icv().size(), 16u);
  EXPECT_EQ(f->associated_data().size(), 32u);
  auto m = ParseMessage(f->bytes);
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  EXPECT_EQ(m->header.length, f->bytes.size());
  EXPECT_EQ(m->header.next_payload, PayloadType::kEncrypted);
  EXPECT_EQ(m->encrypted()->first_inner, PayloadType::kDelete);
  EXPECT_EQ(m->encrypted()->body_offset, f->iv_offset);
}

TEST(SkFrame, RefusesSkAmongClearPayloadsAndOversize) {
  Header h;
  std::vector<Payload> clear = {Payload::Of(EncryptedPayload{PayloadType::kNone, {1}, 0})};
  EXPECT_FALSE(BuildSkFrame(h, clear, PayloadType::kNone, 8, 8, 8).has_value());
  EXPECT_FALSE(BuildSkFrame(h, {}, PayloadType::kNone, 16, 70000, 16).has_value());
}

TEST(SkFrame, EmptyInformationalIsALivenessCheck) {
  Message m = testing::Protected(ExchangeType::kInformational, false, {});
  EXPECT_EQ(m.encrypted()->first_inner, PayloadType::kNone);
  ASSERT_TRUE(m.inner.has_value());
  EXPECT_TRUE(m.inner->empty());
  EXPECT_TRUE(Verify(m).has_value()) << Verify(m).error().ToString();
}

TEST(SkFrame, InnerChainRoundTripsThroughTheEnvelope) {
  auto contents = testing::AuthRequestContents();
  Message m = testing::Protected(ExchangeType::kIkeAuth, false, contents);
  ASSERT_TRUE(m.inner.has_value());
  EXPECT_EQ(*m.inner, contents);
  EXPECT_EQ(m.encrypted()->first_inner, PayloadType::kIdi);
  EXPECT_TRUE(Verify(m).has_value()) << Verify(m).error().ToString();
}

TEST(InnerPayloads, ErrorsAreReportedLikeOuterOnes) {
  auto chain = SerializePayloadChain(testing::AuthRequestContents());
  ASSERT_TRUE(chain.has_value());
  for (std::size_t n = 0; n < chain->bytes.size(); ++n) {
    auto r = ParseInnerPayloads(chain->first, ByteView(chain->bytes).first(n));
    EXPECT_FALSE(r.has_value()) << n;
  }
  Bytes extra = Concat({chain->bytes, Hex("00")});
  auto r = ParseInnerPayloads(chain->first, extra);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().offset, chain->bytes.size());
}

}  // namespace
}  // namespace isthmus::ike::wire
