// Round trips and rejection rules for the payloads with flat bodies.
#include <gtest/gtest.h>

#include "ike/wire/payload.h"
#include "test_messages.h"

namespace isthmus::ike::wire {
namespace {

using testing::Concat;
using testing::Hex;
using testing::Repeat;

// Serializes one payload as a chain and parses it back.
Payload RoundTrip(const Payload& p) {
  auto chain = SerializePayloadChain(std::span(&p, 1));
  EXPECT_TRUE(chain.has_value()) << chain.error().message;
  if (!chain) return {};
  EXPECT_EQ(chain->first, p.type);
  auto back = ParseInnerPayloads(chain->first, chain->bytes);
  EXPECT_TRUE(back.has_value()) << back.error().ToString();
  if (!back || back->payloads.size() != 1) return {};
  return back->payloads[0];
}

// Parses a single payload of `type` whose body is `body`; returns the error.
WireError BodyError(PayloadType type, const Bytes& body) {
  Bytes chain = Hex("00 00 00 00");
  chain[2] = static_cast<std::uint8_t>((4 + body.size()) >> 8);
  chain[3] = static_cast<std::uint8_t>(4 + body.size());
  chain.insert(chain.end(), body.begin(), body.end());
  auto r = ParseInnerPayloads(type, chain);
  EXPECT_FALSE(r.has_value()) << PayloadName(type);
  if (r) return {};
  EXPECT_EQ(r.error().payload, type);
  EXPECT_EQ(r.error().notify, NotifyType::kInvalidSyntax);
  return r.error();
}

TEST(Payloads, EveryTypeRoundTrips) {
  std::vector<Payload> all = {
      Payload::Of(testing::EspProposal(0x01020304)),
      Payload::Of(KePayload{ke_group::kCurve25519, Repeat(7, 32)}),
      Payload::Idi(IdPayload::Fqdn("vnet1gw.example")),
      Payload::Idr(IdPayload::Address(*net::IpAddress::Parse("198.18.0.4"))),
      Payload::Idr(IdPayload::Address(*net::IpAddress::Parse("2001:db8::4"))),
      Payload::Idi(IdPayload::Rfc822("gw@example.net")),
      Payload::Idi(IdPayload::KeyId(Hex("00 01 02 ff"))),
      Payload::Of(CertPayload{CertEncoding::kX509Signature, Repeat(0x30, 100)}),
      Payload::Of(CertReqPayload{CertEncoding::kX509Signature, Repeat(0x99, 40)}),
      Payload::Of(CertReqPayload{CertEncoding::kX509Signature, {}}),
      Payload::Of(AuthPayload{AuthMethod::kSharedKeyMic, Repeat(0xa5, 32)}),
      Payload::Of(NoncePayload{Repeat(1, 16)}),
      Payload::Of(NoncePayload{Repeat(2, 256)}),
      Payload::Of(NotifyPayload::Of(NotifyType::kCookie, Repeat(3, 64))),
      Payload::Of(NotifyPayload::InvalidKe(ke_group::kCurve25519)),
      Payload::Of(NotifyPayload::AboutChildSa(NotifyType::kRekeySa, ProtocolId::kEsp, 0xdeadbeef)),
      Payload::Of(NotifyPayload::SignatureHashAlgorithms({2, 3, 4})),
      Payload::Of(NotifyPayload::Of(static_cast<NotifyType>(40001), Repeat(5, 3))),
      Payload::Of(DeletePayload::IkeSa()),
      Payload::Of(DeletePayload::ChildSas(ProtocolId::kEsp, {1, 2, 0xffffffff})),
      Payload::Of(VendorIdPayload{Hex("88 2f e5 6d 6f d2 0d bc 22 86 e1 d7 e4 4c e1 c3")}),
      Payload::Tsi(testing::Ts("10.1.0.0/16")),
      Payload::Tsr(testing::Ts("fd00:4::/48")),
      Payload::Of(ConfigPayload{1, Hex("00 01 00 00 00 08 00 00")}),
      Payload::Of(EapPayload{Hex("01 07 00 06 01 41")}),
  };
  for (const auto& p : all) EXPECT_EQ(RoundTrip(p), p) << PayloadName(p.type);

  // And all of them in one chain.
  auto chain = SerializePayloadChain(all);
  ASSERT_TRUE(chain.has_value());
  auto back = ParseInnerPayloads(chain->first, chain->bytes);
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(back->payloads, all);
}

TEST(KePayload, ParsesHandWrittenBytes) {
  auto ke = KePayload::Parse(Hex("00 1f 00 00 0a 0b 0c"));
  ASSERT_TRUE(ke.has_value());
  EXPECT_EQ(ke->group, 31);
  EXPECT_EQ(ke->data, Hex("0a 0b 0c"));
}

TEST(KePayload, RejectsTruncationAndEmptyData) {
  BodyError(PayloadType::kKe, Hex("00 13 00"));
  BodyError(PayloadType::kKe, Hex("00 13 00 00"));
}

TEST(IdPayload, TypedAccessors) {
  auto v4 = IdPayload::Address(*net::IpAddress::Parse("198.18.0.4"));
  EXPECT_EQ(v4.type, IdType::kIpv4Addr);
  EXPECT_EQ(v4.AsAddress()->ToString(), "198.18.0.4");
  EXPECT_FALSE(v4.AsText().has_value());
  auto fqdn = IdPayload::Fqdn("gw.example");
  EXPECT_EQ(fqdn.AsText(), "gw.example");
  EXPECT_FALSE(fqdn.AsAddress().has_value());
  EXPECT_EQ(IdPayload::Address(*net::IpAddress::Parse("fd00::1")).AsAddress()->ToString(), "fd00::1");
}

TEST(IdPayload, BodyKeepsReceivedReservedOctetsForAuth) {
  // §2.15: AUTH covers "IDType | RESERVED | InitIDData" as received, RESERVED included.
  Bytes body = Hex("02 aa bb cc 67 77");
  auto id = IdPayload::Parse(body);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->AsText(), "gw");
  EXPECT_EQ(id->Body(), body);
}

TEST(IdPayload, RejectsMalformedData) {
  BodyError(PayloadType::kIdi, Hex("01 00 00"));                    // truncated
  BodyError(PayloadType::kIdi, Hex("02 00 00 00"));                 // empty
  BodyError(PayloadType::kIdi, Hex("01 00 00 00 0a 00 00"));        // IPv4 of 3 octets
  BodyError(PayloadType::kIdr, Hex("05 00 00 00 0a 00 00 01"));     // IPv6 of 4 octets
  BodyError(PayloadType::kIdi, Hex("02 00 00 00 67 77 00"));        // FQDN with NUL
  BodyError(PayloadType::kIdi, Hex("03 00 00 00 61 40 62 0d 0a"));  // RFC822 with CRLF
}

TEST(CertPayloads, RejectTruncation) {
  BodyError(PayloadType::kCert, {});
  BodyError(PayloadType::kCert, Hex("04"));
  BodyError(PayloadType::kCertReq, {});
  EXPECT_TRUE(CertReqPayload::Parse(Hex("04")).has_value());  // empty CA list is allowed
}

TEST(AuthPayload, ParsesAndRejects) {
  auto a = AuthPayload::Parse(Hex("02 00 00 00 01 02 03"));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->method, AuthMethod::kSharedKeyMic);
  EXPECT_EQ(a->data, Hex("01 02 03"));
  BodyError(PayloadType::kAuth, Hex("02 00 00"));
  BodyError(PayloadType::kAuth, Hex("02 00 00 00"));
}

TEST(NoncePayload, SizeMustBe16To256) {
  BodyError(PayloadType::kNonce, Repeat(1, 15));
  BodyError(PayloadType::kNonce, Repeat(1, 257));
  BodyError(PayloadType::kNonce, {});
  EXPECT_TRUE(NoncePayload::Parse(Repeat(1, 16)).has_value());
  EXPECT_TRUE(NoncePayload::Parse(Repeat(1, 256)).has_value());
}

TEST(NotifyPayload, ParsesHandWrittenInvalidKe) {
  auto n = NotifyPayload::Parse(Hex("00 00 00 11 00 13"));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->type, NotifyType::kInvalidKePayload);
  EXPECT_TRUE(n->is_error());
  EXPECT_EQ(n->invalid_ke_group(), 19);
}

TEST(NotifyPayload, ChildSaSpiAndAccessors) {
  auto n = NotifyPayload::Parse(Hex("03 04 40 09 c0 ff ee 01"));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->type, NotifyType::kRekeySa);
  EXPECT_EQ(n->protocol, ProtocolId::kEsp);
  EXPECT_EQ(n->spi32(), 0xc0ffee01u);
  EXPECT_FALSE(n->is_error());
  EXPECT_EQ(NotifyPayload::SignatureHashAlgorithms({2, 4}).signature_hash_algorithms(),
            (std::vector<std::uint16_t>{2, 4}));
}

TEST(NotifyPayload, ProtocolIsIgnoredWithoutSpi) {
  auto n = NotifyPayload::Parse(Hex("03 00 40 00"));  // INITIAL_CONTACT with a stray protocol
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->protocol, ProtocolId::kNone);
}

TEST(NotifyPayload, RejectsMalformedShapes) {
  BodyError(PayloadType::kNotify, Hex("00 00 40"));                              // truncated
  BodyError(PayloadType::kNotify, Hex("00 00 00 00"));                           // type 0
  BodyError(PayloadType::kNotify, Hex("03 08 40 09 01 02 03 04"));               // SPI overruns
  BodyError(PayloadType::kNotify, Hex("00 00 00 11 00"));                        // INVALID_KE: 1 octet
  BodyError(PayloadType::kNotify, Concat({Hex("00 00 40 04"), Repeat(1, 19)}));  // NAT-D of 19
  BodyError(PayloadType::kNotify, Hex("00 00 40 06"));                           // COOKIE empty
  BodyError(PayloadType::kNotify, Concat({Hex("00 00 40 06"), Repeat(1, 65)}));  // COOKIE of 65
  BodyError(PayloadType::kNotify, Hex("00 00 40 2f 00 02 00"));                  // odd hash list
  BodyError(PayloadType::kNotify, Hex("00 00 40 09"));                           // REKEY_SA without SPI
  BodyError(PayloadType::kNotify, Hex("01 04 40 09 01 02 03 04"));               // REKEY_SA for IKE
  BodyError(PayloadType::kNotify, Hex("03 04 40 00 01 02 03 04"));               // INITIAL_CONTACT + SPI
}

TEST(DeletePayload, ParsesHandWrittenBytes) {
  auto d = DeletePayload::Parse(Hex("03 04 00 02 00 00 00 01 ff ff ff fe"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->protocol, ProtocolId::kEsp);
  EXPECT_EQ(d->spis, (std::vector<std::uint32_t>{1, 0xfffffffe}));
  auto ike = DeletePayload::Parse(Hex("01 00 00 00"));
  ASSERT_TRUE(ike.has_value());
  EXPECT_TRUE(ike->spis.empty());
}

TEST(DeletePayload, RejectsInconsistentSizes) {
  BodyError(PayloadType::kDelete, Hex("03 04 00"));                             // truncated
  BodyError(PayloadType::kDelete, Hex("03 04 00 02 00 00 00 01"));              // 2 SPIs announced, 1 present
  BodyError(PayloadType::kDelete, Hex("03 04 00 01 00 00 00 01 00"));           // extra octet
  BodyError(PayloadType::kDelete, Hex("03 08 00 01 00 00 00 00 00 00 00 01"));  // ESP SPI of 8
  BodyError(PayloadType::kDelete, Hex("01 08 00 01 00 00 00 00 00 00 00 01"));  // IKE with an SPI
  BodyError(PayloadType::kDelete, Hex("07 04 00 00"));                          // unknown protocol
}

TEST(VendorIdPayload, EmptyIsRejected) {
  BodyError(PayloadType::kVendorId, {});
}

TEST(OpaquePayloads, ConfigAndEapAreCarriedNotInterpreted) {
  BodyError(PayloadType::kConfig, Hex("01 00 00"));
  BodyError(PayloadType::kEap, Hex("01 07 00"));
  BodyError(PayloadType::kEap, Hex("01 07 00 09 01 41"));  // EAP Length disagrees
  auto eap = EapPayload::Parse(Hex("02 07 00 05 01"));
  ASSERT_TRUE(eap.has_value());
  EXPECT_EQ(eap->message, Hex("02 07 00 05 01"));
}

}  // namespace
}  // namespace isthmus::ike::wire
