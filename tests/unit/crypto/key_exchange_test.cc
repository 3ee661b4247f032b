#include "crypto/key_exchange.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/bn.h>

#include "hex.h"

namespace isthmus::crypto {
namespace {

using testing::Concat;
using testing::Hex;
using testing::ToHex;

std::unique_ptr<KeyExchange> WithPrivate(KeGroup g, const std::vector<std::uint8_t>& priv) {
  auto ke = KeyExchange::CreateWithPrivateKey(g, priv);
  EXPECT_TRUE(ke.has_value()) << ke.error().message;
  return ke ? std::move(*ke) : nullptr;
}

std::string Shared(KeyExchange& ke, ConstBytes peer) {
  auto s = ke.ComputeShared(peer);
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return s ? ToHex(s->view()) : std::string();
}

void ExpectRejected(KeyExchange& ke, ConstBytes peer, const char* what) {
  auto s = ke.ComputeShared(peer);
  ASSERT_FALSE(s.has_value()) << what;
  EXPECT_EQ(s.error().kind, ErrorKind::kInvalidArgument) << what;
  EXPECT_EQ(s.error().code, "InvalidKeyExchangeValue") << what;
}

// ---- Known answers ------------------------------------------------------------------------------

struct EcdhVector {
  KeGroup group;
  std::string i, gi, r, gr, gir;  // gi/gr as x || y (RFC 5903 wire format)
};

// RFC 5903 §8.1 (256-bit random ECP group) and §8.2 (384-bit).
const EcdhVector kEcp256 = {KeGroup::kEcp256,
                            "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433",
                            "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180"
                            "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3",
                            "C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53",
                            "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
                            "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB",
                            "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE"};
const EcdhVector kEcp384 = {
    KeGroup::kEcp384,
    "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655E35B538041E649EE3FAEF896783AB194",
    "667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6DE3AC808ACB4BDB4C88732AEE95F41AA"
    "9482ED1FC0EEB9CAFC4984625CCFC23F65032149E0E144ADA024181535A0F38EEB9FCFF3C2C947DAE69B4C634573A81C",
    "41CB0779B4BDB85D47846725FBEC3C9430FAB46CC8DC5060855CC9BDA0AA2942E0308312916B8ED2960E4BD55A7448FC",
    "E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D0D1AC43A0336DEF96FDA41D0774A3571"
    "DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FFF83FA40142209DFF5EAAD96DB9E6386C",
    "11187331C279962D93D604243FD592CB9D0A926F422E47187521287E7156C5C4D603135569B9E9D09CF5D4A270F59746"};
// RFC 7748 §6.1.
const EcdhVector kX25519 = {KeGroup::kCurve25519,
                            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
                            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
                            "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
                            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
                            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"};

class EcdhKat : public ::testing::TestWithParam<EcdhVector> {};

TEST_P(EcdhKat, PublicValuesAndSharedSecretMatch) {
  const auto& v = GetParam();
  auto initiator = WithPrivate(v.group, Hex(v.i));
  auto responder = WithPrivate(v.group, Hex(v.r));
  ASSERT_TRUE(initiator && responder);
  EXPECT_EQ(ToHex(initiator->PublicValue()), ToHex(Hex(v.gi)));
  EXPECT_EQ(ToHex(responder->PublicValue()), ToHex(Hex(v.gr)));
  EXPECT_EQ(Shared(*initiator, Hex(v.gr)), ToHex(Hex(v.gir)));
  EXPECT_EQ(Shared(*responder, Hex(v.gi)), ToHex(Hex(v.gir)));
  EXPECT_EQ(initiator->group(), v.group);
}

INSTANTIATE_TEST_SUITE_P(Rfc, EcdhKat, ::testing::Values(kEcp256, kEcp384, kX25519),
                         [](const auto& p) { return std::to_string(static_cast<int>(p.param.group)); });

// ---- Fresh keys agree ---------------------------------------------------------------------------

struct GroupSizes {
  KeGroup group;
  std::size_t public_size, shared_size;
};

class FreshKeys : public ::testing::TestWithParam<GroupSizes> {};

TEST_P(FreshKeys, TwoPartiesAgree) {
  const auto& g = GetParam();
  auto a = KeyExchange::Create(g.group);
  auto b = KeyExchange::Create(g.group);
  ASSERT_TRUE(a.has_value()) << a.error().message;
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ((*a)->PublicValue().size(), g.public_size);
  EXPECT_NE(ToHex((*a)->PublicValue()), ToHex((*b)->PublicValue()));
  auto ab = (*a)->ComputeShared((*b)->PublicValue());
  auto ba = (*b)->ComputeShared((*a)->PublicValue());
  ASSERT_TRUE(ab.has_value()) << ab.error().message;
  ASSERT_TRUE(ba.has_value()) << ba.error().message;
  EXPECT_EQ(ab->size(), g.shared_size);
  EXPECT_TRUE(*ab == *ba);
}

TEST_P(FreshKeys, RejectsWrongLengths) {
  const auto& g = GetParam();
  auto a = KeyExchange::Create(g.group);
  auto b = KeyExchange::Create(g.group);
  ASSERT_TRUE(a && b);
  auto good = std::vector<std::uint8_t>((*b)->PublicValue().begin(), (*b)->PublicValue().end());
  auto longer = good;
  longer.insert(longer.begin(), 0);  // a zero-prefixed value is still the wrong length
  ExpectRejected(**a, longer, "one octet too long");
  ExpectRejected(**a, ConstBytes(good).first(good.size() - 1), "one octet short");
  ExpectRejected(**a, {}, "empty");
  if (g.group == KeGroup::kEcp256 || g.group == KeGroup::kEcp384) {
    ExpectRejected(**a, Concat({Hex("04"), good}), "SEC1 0x04 prefix is not the RFC 5903 format");
  }
}

INSTANTIATE_TEST_SUITE_P(AllGroups, FreshKeys,
                         ::testing::Values(GroupSizes{KeGroup::kModp1024, 128, 128},
                                           GroupSizes{KeGroup::kModp2048, 256, 256},
                                           GroupSizes{KeGroup::kEcp256, 64, 32},
                                           GroupSizes{KeGroup::kEcp384, 96, 48},
                                           GroupSizes{KeGroup::kCurve25519, 32, 32}),
                         [](const auto& p) { return std::to_string(static_cast<int>(p.param.group)); });

// ---- MODP ---------------------------------------------------------------------------------------

std::vector<std::uint8_t> BnBytes(const BIGNUM* bn, std::size_t len) {
  std::vector<std::uint8_t> out(len);
  EXPECT_EQ(BN_bn2binpad(bn, out.data(), static_cast<int>(len)), static_cast<int>(len));
  return out;
}

std::vector<std::uint8_t> SmallValue(std::uint8_t v, std::size_t len) {
  std::vector<std::uint8_t> out(len, 0);
  out.back() = v;
  return out;
}

class Modp : public ::testing::TestWithParam<KeGroup> {
 protected:
  std::size_t Len() const { return GetParam() == KeGroup::kModp1024 ? 128 : 256; }
  BIGNUM* Prime() const {
    return GetParam() == KeGroup::kModp1024 ? BN_get_rfc2409_prime_1024(nullptr)
                                            : BN_get_rfc3526_prime_2048(nullptr);
  }
};

TEST_P(Modp, FixedExponentsAgreeWithTheProductExponent) {
  // g^a and g^b with a = 3, b = 5: each side's secret must equal the public value of a party
  // whose exponent is 15, i.e. g^(ab). Also checks that small values are zero-padded to len(p).
  auto a = WithPrivate(GetParam(), {3});
  auto b = WithPrivate(GetParam(), {5});
  auto ab = WithPrivate(GetParam(), {15});
  ASSERT_TRUE(a && b && ab);
  EXPECT_EQ(ToHex(a->PublicValue()), ToHex(SmallValue(8, Len())));   // 2^3
  EXPECT_EQ(ToHex(b->PublicValue()), ToHex(SmallValue(32, Len())));  // 2^5
  EXPECT_EQ(Shared(*a, b->PublicValue()), ToHex(ab->PublicValue()));
  EXPECT_EQ(Shared(*b, a->PublicValue()), ToHex(ab->PublicValue()));
}

TEST_P(Modp, SharedSecretKeepsLeadingZeros) {
  // Peer value 2 (g^1) with exponent x gives g^x = our own public value, which for x = 7 is 128:
  // the shared secret must be len(p) octets, not stripped to one.
  auto a = WithPrivate(GetParam(), {7});
  ASSERT_TRUE(a);
  auto s = a->ComputeShared(SmallValue(2, Len()));
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(ToHex(s->view()), ToHex(SmallValue(128, Len())));
}

TEST_P(Modp, RejectsInvalidPeerValues) {
  auto a = KeyExchange::Create(GetParam());
  ASSERT_TRUE(a);
  BIGNUM* p = Prime();
  ASSERT_NE(p, nullptr);
  ExpectRejected(**a, SmallValue(0, Len()), "zero");
  ExpectRejected(**a, SmallValue(1, Len()), "one");
  BN_sub_word(p, 1);
  ExpectRejected(**a, BnBytes(p, Len()), "p-1");
  BN_add_word(p, 1);
  ExpectRejected(**a, BnBytes(p, Len()), "p");
  BN_add_word(p, 1);
  ExpectRejected(**a, BnBytes(p, Len()), "p+1");
  ExpectRejected(**a, std::vector<std::uint8_t>(Len(), 0xff), "2^n-1 > p");
  BN_free(p);
}

TEST_P(Modp, RejectsOutOfRangePrivateKey) {
  EXPECT_FALSE(KeyExchange::CreateWithPrivateKey(GetParam(), std::vector<std::uint8_t>{1}));
  EXPECT_FALSE(KeyExchange::CreateWithPrivateKey(GetParam(), std::vector<std::uint8_t>(Len(), 0xff)));
}

INSTANTIATE_TEST_SUITE_P(Groups, Modp, ::testing::Values(KeGroup::kModp1024, KeGroup::kModp2048),
                         [](const auto& p) { return std::to_string(static_cast<int>(p.param)); });

// ---- ECP ----------------------------------------------------------------------------------------

TEST(Ecp, RejectsPointsOffTheCurve) {
  for (const auto* v : {&kEcp256, &kEcp384}) {
    auto a = WithPrivate(v->group, Hex(v->i));
    ASSERT_TRUE(a);
    auto off = Hex(v->gr);
    off.back() ^= 0x01;  // y changed: not on the curve
    ExpectRejected(*a, off, "y flipped");
    ExpectRejected(*a, std::vector<std::uint8_t>(off.size(), 0), "all-zero (x=0,y=0)");
    ExpectRejected(*a, std::vector<std::uint8_t>(off.size(), 0xff), "coordinates >= p");
  }
}

TEST(Ecp, RejectsNonCanonicalCoordinate) {
  // A coordinate equal to the field prime p is never a canonical field element (RFC 6989 §2.3).
  auto a = WithPrivate(KeGroup::kEcp256, Hex(kEcp256.i));
  ASSERT_TRUE(a);
  const auto p = Hex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
  auto gr = Hex(kEcp256.gr);
  ExpectRejected(*a, Concat({p, ConstBytes(gr).subspan(32)}), "x = p");
  ExpectRejected(*a, Concat({ConstBytes(gr).first(32), p}), "y = p");
}

TEST(Ecp, FixedScalarsAgreeWithTheProductScalar) {
  // x(3 * (5G)) = x(15G)
  for (KeGroup g : {KeGroup::kEcp256, KeGroup::kEcp384}) {
    const std::size_t n = g == KeGroup::kEcp256 ? 32 : 48;
    auto a = WithPrivate(g, SmallValue(3, n));
    auto b = WithPrivate(g, SmallValue(5, n));
    auto ab = WithPrivate(g, SmallValue(15, n));
    ASSERT_TRUE(a && b && ab);
    EXPECT_EQ(Shared(*a, b->PublicValue()), ToHex(ab->PublicValue().first(n)));
  }
}

TEST(Ecp, RejectsBadPrivateScalars) {
  EXPECT_FALSE(KeyExchange::CreateWithPrivateKey(KeGroup::kEcp256, std::vector<std::uint8_t>(32, 0)));
  EXPECT_FALSE(KeyExchange::CreateWithPrivateKey(KeGroup::kEcp256, std::vector<std::uint8_t>(32, 0xff)));
  EXPECT_FALSE(KeyExchange::CreateWithPrivateKey(KeGroup::kEcp256, Hex(kEcp384.i)));  // 48 octets
}

// ---- X25519 -------------------------------------------------------------------------------------

TEST(X25519, RejectsLowOrderPointsGivingZeroSecret) {
  auto a = WithPrivate(KeGroup::kCurve25519, Hex(kX25519.i));
  ASSERT_TRUE(a);
  ExpectRejected(*a, std::vector<std::uint8_t>(32, 0), "u = 0");
  auto one_le = std::vector<std::uint8_t>(32, 0);
  one_le[0] = 1;
  ExpectRejected(*a, one_le, "u = 1");
  // A point of order 8 (from the well-known list of Curve25519 low-order points).
  ExpectRejected(*a, Hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
                 "order-8 point");
}

TEST(X25519, RejectsWrongPrivateKeyLength) {
  EXPECT_FALSE(KeyExchange::CreateWithPrivateKey(KeGroup::kCurve25519, std::vector<std::uint8_t>(31)));
}

// ---- Factory ------------------------------------------------------------------------------------

TEST(KeyExchangeFactory, RejectsUnsupportedGroups) {
  for (auto g :
       {KeGroup::kNone, static_cast<KeGroup>(5), static_cast<KeGroup>(21), static_cast<KeGroup>(32)}) {
    auto ke = KeyExchange::Create(g);
    ASSERT_FALSE(ke);
    EXPECT_EQ(ke.error().kind, ErrorKind::kInvalidArgument);
  }
  EXPECT_FALSE(KeyExchange::CreateWithPrivateKey(KeGroup::kEcp256, {}));
}

}  // namespace
}  // namespace isthmus::crypto
