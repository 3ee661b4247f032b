// Several connections to one peer address, told apart by the peer's identity (IDi), as strongSwan does
// and as the IKE-rate benchmark needs (N connections between two gateways).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ike/sa/proposal.h"
#include "simulated_wire.h"

namespace isthmus::ike::testing {
namespace {

std::vector<sa::Proposal> Props(std::string_view text, wire::ProtocolId protocol) {
  auto p = sa::ParseProposals(text, protocol);
  EXPECT_TRUE(p) << text;
  return p ? *p : std::vector<sa::Proposal>{};
}

// Connection `n` between A and B: its own IDs, key, selectors and (optionally) IKE proposal.
ConnectionConfig Numbered(const ConnectionConfig& base, int n, bool side_a, std::string_view ike = {}) {
  ConnectionConfig c = base;
  c.name = fmt::format("c{}", n);
  c.local_id = wire::IdPayload::Fqdn(fmt::format("c{}@{}", n, side_a ? "a" : "b"));
  c.remote_id = wire::IdPayload::Fqdn(fmt::format("c{}@{}", n, side_a ? "b" : "a"));
  c.psk = SecretBytes(fmt::format("key of connection {}", n));
  const auto a_net = *net::Prefix::Parse(fmt::format("10.1.{}.0/24", n));
  const auto b_net = *net::Prefix::Parse(fmt::format("10.2.{}.0/24", n));
  c.local_prefixes = {side_a ? a_net : b_net};
  c.remote_prefixes = {side_a ? b_net : a_net};
  if (!ike.empty()) c.ike_proposals = Props(ike, wire::ProtocolId::kIke);
  return c;
}

struct Pair {
  explicit Pair(std::vector<ConnectionConfig> a_conns, std::vector<ConnectionConfig> b_conns)
      : p(Scenario{}) {
    p.a.engine->Reload(std::move(a_conns));
    p.b.engine->Reload(std::move(b_conns));
    p.RunFor(1s);
  }
  ConnectionStatus Status(const Side& s, std::string_view name) const {
    for (const auto& c : s.engine->Snapshot()) {
      if (c.name == name) return c;
    }
    ADD_FAILURE() << "no connection " << name;
    return {};
  }
  EnginePair p;
};

// Three connections to one address with distinct IDs and keys: each is established and bound on the
// responder to the connection its IDi names, with that connection's key and selectors.
TEST(PeerIdentity, ConnectionsToOneAddressAreToldApartByIdi) {
  const ConnectionConfig a = MakeConnection(Scenario{}, true), b = MakeConnection(Scenario{}, false);
  std::vector<ConnectionConfig> as, bs;
  for (int n = 1; n <= 3; ++n) {
    as.push_back(Numbered(a, n, true));
    bs.push_back(Numbered(b, n, false));
  }
  Pair t(as, bs);
  for (int n : {3, 1, 2}) ASSERT_TRUE(t.p.a.engine->Initiate(fmt::format("c{}", n)));
  ASSERT_TRUE(t.p.RunUntil(
      [&] {
        for (int n = 1; n <= 3; ++n) {
          if (t.Status(t.p.b, fmt::format("c{}", n)).state != ConnectionState::kConnected) return false;
        }
        return true;
      },
      10s))
      << t.p.DumpLogs();
  for (int n = 1; n <= 3; ++n) {
    const auto st = t.Status(t.p.b, fmt::format("c{}", n));
    ASSERT_EQ(st.children.size(), 1U) << n;
    ASSERT_EQ(st.children[0].local_prefixes.size(), 1U);
    EXPECT_EQ(st.children[0].local_prefixes[0].ToString(), fmt::format("10.2.{}.0/24", n));
  }
  EXPECT_EQ(CheckCrosswise(t.p.a.installer, t.p.b.installer), "");
}

// The responder has two connections to A's address with different IKE proposals; IKE_SA_INIT is
// answered with the one whose proposals accept the offer, so the second connection is reachable.
TEST(PeerIdentity, InitAnsweredByTheConnectionWhoseProposalsMatch) {
  const ConnectionConfig a = MakeConnection(Scenario{}, true), b = MakeConnection(Scenario{}, false);
  Pair t({Numbered(a, 2, true, "chacha20poly1305-prfsha512-curve25519")},
         {Numbered(b, 1, false, "aes128-sha256-modp2048"),
          Numbered(b, 2, false, "chacha20poly1305-prfsha512-curve25519")});
  ASSERT_TRUE(t.p.a.engine->Initiate("c2"));
  ASSERT_TRUE(t.p.RunUntil([&] { return t.Status(t.p.b, "c2").state == ConnectionState::kConnected; }, 10s))
      << t.p.DumpLogs();
  EXPECT_NE(t.Status(t.p.b, "c2").ike_algorithms.find("CHACHA20"), std::string::npos)
      << t.Status(t.p.b, "c2").ike_algorithms;
}

// IDi names a connection that does not accept the suite agreed in IKE_SA_INIT (answered for another
// connection to the same address): AUTHENTICATION_FAILED, no SA on either side.
TEST(PeerIdentity, IdiOfAConnectionThatRefusesTheAgreedSuiteFails) {
  const ConnectionConfig a = MakeConnection(Scenario{}, true), b = MakeConnection(Scenario{}, false);
  // A's c2 offers AES-GCM, which only B's c1 accepts; A's c2 names B's c2 by ID.
  Pair t({Numbered(a, 2, true, "aes256gcm16-prfsha256-ecp256")},
         {Numbered(b, 1, false, "aes256gcm16-prfsha256-ecp256"),
          Numbered(b, 2, false, "chacha20poly1305-prfsha512-curve25519")});
  ASSERT_TRUE(t.p.a.engine->Initiate("c2"));
  t.p.RunFor(5s);
  EXPECT_EQ(t.Status(t.p.b, "c2").state, ConnectionState::kNotConnected);
  EXPECT_EQ(t.Status(t.p.b, "c1").state, ConnectionState::kNotConnected);
  EXPECT_NE(t.Status(t.p.a, "c2").state, ConnectionState::kConnected);
  EXPECT_EQ(t.p.a.installer.installed_count(), 0U);
  EXPECT_EQ(t.p.b.installer.installed_count(), 0U);
  bool refused = false;
  for (const auto& l : t.p.b.log)
    refused |= l.why.find("does not accept the IKE proposal") != std::string::npos;
  EXPECT_TRUE(refused) << t.p.DumpLogs();
}

}  // namespace
}  // namespace isthmus::ike::testing
