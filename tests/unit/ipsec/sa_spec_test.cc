#include "ipsec/sa_spec.h"

#include <gtest/gtest.h>

#include "test_specs.h"

namespace isthmus::ipsec {
namespace {

using testing::AeadSpec;
using testing::CbcSpec;
using testing::Key;

void ExpectInvalid(const SaSpec& s, std::string_view target) {
  auto r = Validate(s);
  ASSERT_FALSE(r.has_value()) << "expected " << target << " to be refused";
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(r.error().code, "InvalidSaSpec");
  EXPECT_EQ(r.error().target, target) << r.error().message;
}

TEST(SaSpecValidate, AcceptsEverySupportedTransformWithExactKeySizes) {
  struct Case {
    crypto::EncrId encr;
    std::uint16_t bits;
    std::size_t keymat;
    crypto::IntegId integ;
    std::size_t integ_key;
  };
  const Case cases[] = {
      {crypto::EncrId::kAesGcm16, 128, 20, crypto::IntegId::kNone, 0},
      {crypto::EncrId::kAesGcm16, 256, 36, crypto::IntegId::kNone, 0},
      {crypto::EncrId::kChaCha20Poly1305, 0, 36, crypto::IntegId::kNone, 0},
      {crypto::EncrId::kAesCbc, 128, 16, crypto::IntegId::kHmacSha2_256_128, 32},
      {crypto::EncrId::kAesCbc, 256, 32, crypto::IntegId::kHmacSha2_384_192, 48},
      {crypto::EncrId::kAesCbc, 256, 32, crypto::IntegId::kHmacSha2_512_256, 64},
  };
  for (const auto& c : cases) {
    SaSpec s = AeadSpec();
    s.transform = {c.encr, c.bits, c.integ, false};
    s.keys.encr = Key(c.keymat, 1);
    s.keys.integ = Key(c.integ_key, 2);
    EXPECT_TRUE(Validate(s).has_value()) << Describe(s) << ": " << Validate(s).error().message;
    s.keys.encr = Key(c.keymat - 1, 1);
    ExpectInvalid(s, "keys.encr");
    s.keys.encr = Key(c.keymat + 1, 1);
    ExpectInvalid(s, "keys.encr");
  }
}

TEST(SaSpecValidate, GcmKeymatWithoutSaltIsRefused) {
  SaSpec s = AeadSpec();
  s.keys.encr = Key(32, 1);  // key only: the RFC 4106 salt is missing
  ExpectInvalid(s, "keys.encr");
}

TEST(SaSpecValidate, AeadWithIntegrityIsRefused) {
  SaSpec s = AeadSpec();
  s.transform.integ = crypto::IntegId::kHmacSha2_256_128;
  ExpectInvalid(s, "transform.integ");
  s = AeadSpec();
  s.keys.integ = Key(32, 1);
  ExpectInvalid(s, "keys.integ");
}

TEST(SaSpecValidate, CbcNeedsIntegrityWithTheRightKeySize) {
  SaSpec s = CbcSpec();
  ASSERT_TRUE(Validate(s).has_value());
  s.transform.integ = crypto::IntegId::kNone;
  ExpectInvalid(s, "transform.integ");
  s = CbcSpec();
  s.keys.integ = Key(16, 1);  // an ICV-sized key, a classic mistake
  ExpectInvalid(s, "keys.integ");
}

TEST(SaSpecValidate, UnsupportedKeyLengthIsRefused) {
  SaSpec s = AeadSpec();
  s.transform.encr_key_bits = 192;
  s.keys.encr = Key(28, 1);
  ExpectInvalid(s, "transform.encr");
  s = AeadSpec();
  s.transform = {crypto::EncrId::kChaCha20Poly1305, 256, crypto::IntegId::kNone, false};  // must be 0
  ExpectInvalid(s, "transform.encr");
}

TEST(SaSpecValidate, ReservedSpisAreRefused) {
  for (std::uint32_t spi : {0u, 1u, 255u}) {
    SaSpec s = AeadSpec(Direction::kInbound, spi);
    ExpectInvalid(s, "spi");
  }
  EXPECT_TRUE(Validate(AeadSpec(Direction::kInbound, 256)).has_value());
}

TEST(SaSpecValidate, OuterAddressesMustBeSetAndOfOneFamily) {
  SaSpec s = AeadSpec();
  s.local_address = net::IpAddress();
  ExpectInvalid(s, "local_address");
  s = AeadSpec();
  s.remote_address = *net::IpAddress::Parse("2001:db8::1");
  ExpectInvalid(s, "remote_address");
  s.local_address = *net::IpAddress::Parse("2001:db8::2");
  EXPECT_TRUE(Validate(s).has_value());
}

TEST(SaSpecValidate, SelectorsMustBePresentAndWellFormed) {
  SaSpec s = AeadSpec();
  s.selectors.local.clear();
  ExpectInvalid(s, "selectors.local");
  s = AeadSpec();
  s.selectors.remote.push_back({*net::Prefix::Parse("10.3.0.0/16"), 6, 443, 80});
  ExpectInvalid(s, "selectors.remote[1]");
}

TEST(SaSpecValidate, SoftLimitsMustBeBelowHardOnes) {
  SaSpec s = AeadSpec();
  s.lifetimes.soft.bytes = 1000;
  s.lifetimes.hard.bytes = 1000;
  ExpectInvalid(s, "lifetimes.soft.bytes");
  s.lifetimes.hard.bytes = 0;  // soft only: rekey, never cut traffic
  EXPECT_TRUE(Validate(s).has_value());
  s = AeadSpec();
  s.lifetimes.soft.seconds = 4000;
  ExpectInvalid(s, "lifetimes.soft.seconds");
  s = AeadSpec();
  s.lifetimes.soft.packets = 10;
  s.lifetimes.hard.packets = 5;
  ExpectInvalid(s, "lifetimes.soft.packets");
}

TEST(SaSpecValidate, ReplayWindowBoundsApplyToInboundOnly) {
  SaSpec s = AeadSpec(Direction::kInbound);
  s.replay_window = 16;
  ExpectInvalid(s, "replay_window");
  s.replay_window = kMaxReplayWindow + 1;
  ExpectInvalid(s, "replay_window");
  s.replay_window = 0;
  EXPECT_TRUE(Validate(s).has_value());
  s = AeadSpec(Direction::kOutbound);
  s.replay_window = 16;
  EXPECT_TRUE(Validate(s).has_value());
}

TEST(SaSpecValidate, UdpEncapNeedsPortsAndConnectionNeedsAName) {
  SaSpec s = AeadSpec();
  s.encap = {true, 4500, 0};
  ExpectInvalid(s, "encap");
  s = AeadSpec();
  s.connection.clear();
  ExpectInvalid(s, "connection");
}

TEST(SaSpecDescribe, NamesTheSaButNeverTheKeys) {
  SaSpec s = CbcSpec();
  s.encap = {true, 4500, 31000};
  std::string d = Describe(s);
  EXPECT_NE(d.find("outbound"), std::string::npos) << d;
  EXPECT_NE(d.find("0x12345678"), std::string::npos) << d;
  EXPECT_NE(d.find("AES_CBC_128/HMAC_SHA2_256_128"), std::string::npos) << d;
  EXPECT_NE(d.find("udp 4500/31000"), std::string::npos) << d;
  EXPECT_NE(d.find("vnet1-to-vnet2"), std::string::npos) << d;
  EXPECT_EQ(d.find("2222"), std::string::npos) << d;  // key fill bytes in any hex form
  EXPECT_EQ(d.find("3333"), std::string::npos) << d;
  // Errors about keys talk about sizes only.
  s.keys.integ = Key(31, 0x33);
  auto r = Validate(s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message.find("3333"), std::string::npos);
}

}  // namespace
}  // namespace isthmus::ipsec
