// Per-exchange rules, written in RFC notation where it helps.
#include "ike/wire/exchange_rules.h"

#include <gtest/gtest.h>

#include "test_messages.h"

namespace isthmus::ike::wire {
namespace {

using testing::AuthRequestContents;
using testing::EspProposal;
using testing::InitRequestMessage;
using testing::Protected;
using testing::Repeat;
using testing::Ts;

Payload Nonce() {
  return Payload::Of(NoncePayload{Repeat(0x6e, 32)});
}
Payload Note(NotifyType t, Bytes data = {}) {
  return Payload::Of(NotifyPayload::Of(t, std::move(data)));
}

void ExpectBroken(const Message& m, PayloadType payload, std::string_view fragment) {
  auto v = Verify(m);
  ASSERT_FALSE(v.has_value()) << "expected a violation mentioning '" << fragment << "'";
  EXPECT_EQ(v.error().notify, NotifyType::kInvalidSyntax) << v.error().ToString();
  EXPECT_EQ(v.error().payload, payload) << v.error().ToString();
  EXPECT_NE(v.error().what.find(fragment), std::string::npos) << v.error().ToString();
}

void ExpectOk(const Message& m) {
  auto v = Verify(m);
  EXPECT_TRUE(v.has_value()) << v.error().ToString();
}

Message InitResponse() {
  Message m = InitRequestMessage();
  m.header.initiator = false;
  m.header.response = true;
  m.header.responder_spi = 0x1112131415161718ULL;
  return m;
}

TEST(ExchangeRules, TableCoversEveryExchangeAndDirection) {
  for (auto ex : {ExchangeType::kIkeSaInit, ExchangeType::kIkeAuth, ExchangeType::kCreateChildSa,
                  ExchangeType::kInformational}) {
    for (bool response : {false, true}) EXPECT_NE(FindExchangeRule(ex, response), nullptr);
  }
  EXPECT_EQ(ExchangeRules().size(), 8u);
  EXPECT_FALSE(FindExchangeRule(ExchangeType::kIkeSaInit, false)->encrypted);
  EXPECT_TRUE(FindExchangeRule(ExchangeType::kIkeAuth, false)->encrypted);
}

// HDR, SA, KEi, Ni -->  (each one missing)
TEST(IkeSaInit, RequestRequiresSaKeAndNonce) {
  ExpectOk(InitRequestMessage());
  for (std::size_t drop = 0; drop < 3; ++drop) {
    Message m = InitRequestMessage();
    PayloadType missing = m.payloads[drop].type;
    m.payloads.erase(m.payloads.begin() + static_cast<std::ptrdiff_t>(drop));
    ExpectBroken(m, missing, "requires");
  }
}

TEST(IkeSaInit, RequestRefusesDuplicatesAndForeignPayloads) {
  Message twice = InitRequestMessage();
  twice.payloads.push_back(Nonce());
  ExpectBroken(twice, PayloadType::kNonce, "too many");
  Message with_id = InitRequestMessage();
  with_id.payloads.push_back(Payload::Idi(IdPayload::Fqdn("a")));
  ExpectBroken(with_id, PayloadType::kIdi, "not allowed");
}

// HDR(A,0), N(COOKIE), SA, KEi, Ni -->
TEST(IkeSaInit, CookieRetryHasTheCookieFirst) {
  Message retry = InitRequestMessage();
  retry.payloads.insert(retry.payloads.begin(), Note(NotifyType::kCookie, Repeat(9, 16)));
  ExpectOk(retry);
  Message late = InitRequestMessage();
  late.payloads.push_back(Note(NotifyType::kCookie, Repeat(9, 16)));
  ExpectBroken(late, PayloadType::kNotify, "first payload");
}

TEST(IkeSaInit, HeaderRules) {
  Message mid = InitRequestMessage();
  mid.header.message_id = 1;
  ExpectBroken(mid, PayloadType::kNone, "Message ID 0");
  Message rspi = InitRequestMessage();
  rspi.header.responder_spi = 5;
  ExpectBroken(rspi, PayloadType::kNone, "zero responder SPI");
  Message ispi = InitRequestMessage();
  ispi.header.initiator_spi = 0;
  auto v = Verify(ispi);
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().notify, NotifyType::kNone);  // dropped, not answered
}

TEST(IkeSaInit, ProposalsAreForIkeWithoutSpi) {
  Message m = InitRequestMessage();
  std::get<SaPayload>(m.payloads[0].body).proposals[0].spi = Repeat(1, 8);
  ExpectBroken(m, PayloadType::kSa, "no SPI");
  Message esp = InitRequestMessage();
  esp.payloads[0] = Payload::Of(EspProposal(1));
  ExpectBroken(esp, PayloadType::kSa, "for IKE");
}

TEST(IkeSaInit, RequestProposalsStartAtOne) {
  Message m = InitRequestMessage();
  std::get<SaPayload>(m.payloads[0].body).proposals[0].number = 2;
  ExpectBroken(m, PayloadType::kSa, "numbered 1");
}

// <-- HDR, SA, KEr, Nr   |   <-- HDR, N(INVALID_KE_PAYLOAD)   |   <-- HDR, N(COOKIE)
TEST(IkeSaInit, ResponseIsFullOrAStandaloneNotify) {
  ExpectOk(InitResponse());
  Message invalid_ke = InitResponse();
  invalid_ke.header.responder_spi = 0;
  invalid_ke.payloads = {Payload::Of(NotifyPayload::InvalidKe(ke_group::kCurve25519))};
  ExpectOk(invalid_ke);
  Message cookie = InitResponse();
  cookie.header.responder_spi = 0;
  cookie.payloads = {Note(NotifyType::kCookie, Repeat(1, 32))};
  ExpectOk(cookie);
  Message status_only = InitResponse();
  status_only.payloads = {Note(NotifyType::kNatDetectionSourceIp, Repeat(1, 20))};
  ExpectBroken(status_only, PayloadType::kSa, "requires");
  Message no_spi = InitResponse();
  no_spi.header.responder_spi = 0;
  ExpectBroken(no_spi, PayloadType::kNone, "responder's SPI");
}

TEST(IkeSaInit, ResponseChoosesExactlyOneProposal) {
  Message m = InitResponse();
  auto& sa = std::get<SaPayload>(m.payloads[0].body);
  sa.proposals.push_back(sa.proposals[0]);
  sa.proposals[1].number = 2;
  ExpectBroken(m, PayloadType::kSa, "exactly one proposal");
  Message echoed = InitResponse();
  std::get<SaPayload>(echoed.payloads[0].body).proposals[0].number = 3;  // accepted proposal #3
  ExpectOk(echoed);
}

TEST(IkeSaInit, IsNeverEncrypted) {
  Message m = InitRequestMessage();
  m.payloads.push_back(Payload::Of(EncryptedPayload{PayloadType::kNone, {1, 2, 3}, 0}));
  ExpectBroken(m, PayloadType::kEncrypted, "never encrypted");
}

// HDR, SK {IDi, AUTH, SA, TSi, TSr, N(INITIAL_CONTACT)} -->
TEST(IkeAuth, RequestInsideSk) {
  ExpectOk(Protected(ExchangeType::kIkeAuth, false, AuthRequestContents()));
}

TEST(IkeAuth, PayloadsOutsideSkAreRefused) {
  Message m = Protected(ExchangeType::kIkeAuth, false, AuthRequestContents());
  m.payloads.insert(m.payloads.begin(), Payload::Idi(IdPayload::Fqdn("clear.example")));
  auto v = VerifyEnvelope(m);
  ASSERT_FALSE(v.has_value());
  EXPECT_NE(v.error().what.find("nothing outside"), std::string::npos);
  Message clear;
  clear.header = m.header;
  clear.payloads = AuthRequestContents();
  EXPECT_FALSE(VerifyEnvelope(clear).has_value());
}

TEST(IkeAuth, RequestNeedsIdiAndAuth) {
  for (auto missing : {PayloadType::kIdi, PayloadType::kAuth}) {
    auto contents = AuthRequestContents();
    std::erase_if(contents, [missing](const Payload& p) { return p.type == missing; });
    ExpectBroken(Protected(ExchangeType::kIkeAuth, false, contents), missing, "requires");
  }
}

TEST(IkeAuth, ChildSaPayloadsComeTogether) {
  auto contents = AuthRequestContents();
  std::erase_if(contents, [](const Payload& p) { return p.type == PayloadType::kTsr; });
  ExpectBroken(Protected(ExchangeType::kIkeAuth, false, contents), PayloadType::kSa, "together");
  // Childless (RFC 6023): none of the three.
  auto childless = AuthRequestContents();
  std::erase_if(childless, [](const Payload& p) {
    return p.type == PayloadType::kSa || p.type == PayloadType::kTsi || p.type == PayloadType::kTsr;
  });
  ExpectOk(Protected(ExchangeType::kIkeAuth, false, childless));
}

TEST(IkeAuth, ProposalsAreForEspOrAh) {
  auto contents = AuthRequestContents();
  Proposal p = std::get<SaPayload>(InitRequestMessage().payloads[0].body).proposals[0];
  contents[2] = Payload::Of(SaPayload{{p}});
  ExpectBroken(Protected(ExchangeType::kIkeAuth, false, contents), PayloadType::kSa, "AH or ESP");
}

// <-- HDR, SK {N(AUTHENTICATION_FAILED)}   |   <-- HDR, SK {IDr, AUTH, N(TS_UNACCEPTABLE)}
TEST(IkeAuth, ResponsesThatRefuse) {
  ExpectOk(Protected(ExchangeType::kIkeAuth, true, {Note(NotifyType::kAuthenticationFailed)}));
  ExpectOk(Protected(ExchangeType::kIkeAuth, true,
                     {Payload::Idr(IdPayload::Fqdn("vnet4gw.example")),
                      Payload::Of(AuthPayload{AuthMethod::kSharedKeyMic, Repeat(1, 32)}),
                      Note(NotifyType::kTsUnacceptable)}));
  ExpectBroken(Protected(ExchangeType::kIkeAuth, true, {Note(NotifyType::kInitialContact)}),
               PayloadType::kIdr, "requires");
  ExpectBroken(Protected(ExchangeType::kIkeAuth, true,
                         {Payload::Idr(IdPayload::Fqdn("x")), Payload::Idi(IdPayload::Fqdn("y")),
                          Payload::Of(AuthPayload{AuthMethod::kSharedKeyMic, Repeat(1, 32)})}),
               PayloadType::kIdi, "not allowed");
}

// HDR, SK {SA, Ni, [KEi], TSi, TSr} -->  (new Child SA)
std::vector<Payload> NewChild() {
  return {Payload::Of(EspProposal(7)), Nonce(), Payload::Tsi(Ts("10.1.0.0/16")),
          Payload::Tsr(Ts("10.4.0.0/16"))};
}

// HDR, SK {SA, Ni, KEi} -->  (IKE SA rekey)
std::vector<Payload> IkeRekey(std::size_t spi_len) {
  Proposal p = std::get<SaPayload>(InitRequestMessage().payloads[0].body).proposals[0];
  p.spi = Repeat(0x42, spi_len);
  return {Payload::Of(SaPayload{{p}}), Nonce(), Payload::Of(KePayload{ke_group::kEcp256, Repeat(1, 64)})};
}

TEST(CreateChildSa, ChildAndIkeRekeyShapes) {
  ExpectOk(Protected(ExchangeType::kCreateChildSa, false, NewChild()));
  auto rekey_child = NewChild();
  rekey_child.insert(rekey_child.begin(),
                     Payload::Of(NotifyPayload::AboutChildSa(NotifyType::kRekeySa, ProtocolId::kEsp, 9)));
  ExpectOk(Protected(ExchangeType::kCreateChildSa, false, rekey_child));
  ExpectOk(Protected(ExchangeType::kCreateChildSa, false, IkeRekey(8)));
  ExpectBroken(Protected(ExchangeType::kCreateChildSa, false, IkeRekey(0)), PayloadType::kSa, "8-octet SPI");
  auto rekey_with_ts = IkeRekey(8);
  rekey_with_ts.push_back(Payload::Tsi(Ts("10.1.0.0/16")));
  rekey_with_ts.push_back(Payload::Tsr(Ts("10.4.0.0/16")));
  ExpectBroken(Protected(ExchangeType::kCreateChildSa, false, rekey_with_ts), PayloadType::kTsi,
               "no traffic");
  auto child_without_ts = NewChild();
  child_without_ts.resize(2);
  ExpectBroken(Protected(ExchangeType::kCreateChildSa, false, child_without_ts), PayloadType::kTsi,
               "needs TSi");
  auto half_ts = NewChild();
  half_ts.pop_back();
  ExpectBroken(Protected(ExchangeType::kCreateChildSa, false, half_ts), PayloadType::kTsi, "together");
}

TEST(CreateChildSa, RequiresSaAndNonceUnlessRefused) {
  auto no_nonce = NewChild();
  no_nonce.erase(no_nonce.begin() + 1);
  ExpectBroken(Protected(ExchangeType::kCreateChildSa, false, no_nonce), PayloadType::kNonce, "requires");
  ExpectOk(Protected(ExchangeType::kCreateChildSa, true, {Note(NotifyType::kNoProposalChosen)}));
  ExpectOk(Protected(ExchangeType::kCreateChildSa, true, {Note(NotifyType::kTemporaryFailure)}));
  ExpectOk(Protected(ExchangeType::kCreateChildSa, true,
                     {Payload::Of(NotifyPayload::InvalidKe(ke_group::kEcp384))}));
  // A refusal is a response; a request cannot waive its own payloads.
  ExpectBroken(Protected(ExchangeType::kCreateChildSa, false, {Note(NotifyType::kNoProposalChosen)}),
               PayloadType::kSa, "requires");
}

// HDR, SK {D} -->   <-- HDR, SK {}   and   HDR, SK {N(INITIAL_CONTACT), V} -->
TEST(Informational, DeletesNotifiesAndEmpty) {
  ExpectOk(Protected(ExchangeType::kInformational, false, {Payload::Of(DeletePayload::IkeSa())}));
  ExpectOk(Protected(ExchangeType::kInformational, true, {}));
  ExpectOk(Protected(ExchangeType::kInformational, false,
                     {Note(NotifyType::kInitialContact), Payload::Of(VendorIdPayload{Repeat(1, 16)})}));
  ExpectBroken(Protected(ExchangeType::kInformational, false, {Payload::Of(EspProposal(1))}),
               PayloadType::kSa, "not allowed");
  ExpectBroken(Protected(ExchangeType::kInformational, false,
                         {Payload::Of(ConfigPayload{1, {}}), Payload::Of(ConfigPayload{2, {}})}),
               PayloadType::kConfig, "too many");
}

TEST(ExchangeRules, UnknownExchangeIsDropped) {
  Message m = InitRequestMessage();
  m.header.exchange = static_cast<ExchangeType>(43);  // IKE_INTERMEDIATE, not negotiated here
  auto v = VerifyEnvelope(m);
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().notify, NotifyType::kNone);
}

}  // namespace
}  // namespace isthmus::ike::wire
