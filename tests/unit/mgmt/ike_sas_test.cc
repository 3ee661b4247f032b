// The observation of one gateway status entry: IKE SAs in Azure's list-ike-sas shape and the reason a
// connection is not connected. The status JSON is made by the gateway's own StatusJson from an engine
// snapshot, so a change in the gateway's format breaks these tests rather than the API.
#include <gtest/gtest.h>

#include "gateway/status.h"
#include "mgmt/reconcile/reconciler.h"

namespace isthmus::mgmt {
namespace {

using std::chrono::seconds;

ike::ConnectionStatus Established(TimePoint at) {
  ike::ConnectionStatus c;
  c.name = "VNet1ToVNet4";
  c.state = ike::ConnectionState::kConnected;
  c.ike_spi_i = 0xfedcba9876543210ULL;  // above 2^63: must stay unsigned
  c.ike_spi_r = 0x42;
  c.initiator = true;
  c.ike_algorithms = "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048";
  c.local = {*net::IpAddress::Parse("198.18.0.1"), 4500};
  c.remote = {*net::IpAddress::Parse("198.18.0.2"), 4500};
  c.udp_encapsulated = true;
  c.established_at = at;
  c.ike_lifetime = seconds(28800);
  c.child_lifetime = seconds(3600);
  ike::ChildSaStatus ch;
  ch.id = 1;
  ch.inbound_spi = 0xc1a20001;
  ch.outbound_spi = 0x0000abcd;
  ch.algorithms = "ESP:AES_GCM_16_256/NO_EXT_SEQ";
  ch.local_prefixes = {*net::Prefix::Parse("10.1.0.0/16")};
  ch.remote_prefixes = {*net::Prefix::Parse("10.41.0.0/16"), *net::Prefix::Parse("10.42.0.0/16")};
  ch.established_at = at + seconds(1);
  ch.state = "INSTALLED";
  c.children.push_back(ch);
  ike::ChildSaStatus pfs = ch;
  pfs.id = 2;
  pfs.inbound_spi = 7;
  pfs.outbound_spi = 8;
  pfs.algorithms = "ESP:AES_CBC_128/HMAC_SHA2_384_192/ECP_384/EXT_SEQ";
  c.children.push_back(pfs);
  return c;
}

nlohmann::json EntryOf(const ike::ConnectionStatus& c, TimePoint now) {
  auto status =
      gateway::StatusJson({c}, {}, now, std::chrono::system_clock::time_point{} + seconds(1'700'000'000));
  return status["connections"][0];
}

TEST(ObserveIkeSas, EstablishedSaInAzuresShape) {
  const TimePoint t0 = TimePoint{} + seconds(500);
  const ConnectionObservation o = ObserveConnection(EntryOf(Established(t0), t0 + seconds(120)), false);
  ASSERT_EQ(o.status, "Connected");
  ASSERT_TRUE(o.ike_sas.is_array());
  ASSERT_EQ(o.ike_sas.size(), 1u);
  const Json& sa = o.ike_sas[0];
  EXPECT_EQ(sa["localEndpoint"], "198.18.0.1") << "no port, whatever form the gateway prints it in";
  EXPECT_EQ(sa["remoteEndpoint"], "198.18.0.2");
  ASSERT_TRUE(sa["initiatorCookie"].is_number_unsigned());
  EXPECT_EQ(sa["initiatorCookie"].get<std::uint64_t>(), 0xfedcba9876543210ULL);
  EXPECT_EQ(sa["responderCookie"].get<std::uint64_t>(), 66u);
  EXPECT_EQ(sa["localUdpEncapsulationPort"], 4500);
  EXPECT_EQ(sa["remoteUdpEncapsulationPort"], 4500);
  EXPECT_EQ(sa["encryption"], "AES256");
  EXPECT_EQ(sa["integrity"], "SHA256");
  EXPECT_EQ(sa["dhGroup"], "DHGroup14");
  EXPECT_EQ(sa["lifeTimeSeconds"], 28800);
  EXPECT_EQ(sa["isSaInitiator"], true);
  EXPECT_EQ(sa["elapsedTimeInseconds"], 120);

  ASSERT_EQ(sa["quickModeSa"].size(), 2u);
  const Json& q = sa["quickModeSa"][0];
  EXPECT_EQ(q["localEndpoint"], "198.18.0.1");
  EXPECT_EQ(q["remoteEndpoint"], "198.18.0.2");
  EXPECT_EQ(q["inboundSpi"], 0xc1a20001u) << "decimal, not the gateway's hex text";
  EXPECT_EQ(q["outboundSpi"], 0xabcdu);
  EXPECT_EQ(q["localTrafficSelectors"], Json::array({"10.1.0.0/16"}));
  EXPECT_EQ(q["remoteTrafficSelectors"], Json::array({"10.41.0.0/16", "10.42.0.0/16"}));
  EXPECT_EQ(q["encryption"], "GCMAES256");
  EXPECT_EQ(q["integrity"], "GCMAES256") << "Azure names an AEAD's integrity after its encryption";
  EXPECT_EQ(q["pfsGroupId"], "None");
  EXPECT_EQ(q["lifeTimeSeconds"], 3600);
  EXPECT_EQ(q["lifetimeKilobytes"], 0);
  EXPECT_EQ(q["elapsedTimeInseconds"], 119);
  const Json& p = sa["quickModeSa"][1];
  EXPECT_EQ(p["encryption"], "AES128");
  EXPECT_EQ(p["integrity"], "SHA384");
  EXPECT_EQ(p["pfsGroupId"], "ECP384");
}

TEST(ObserveIkeSas, AeadIkeSaTakesItsIntegrityFromThePrf) {
  const TimePoint t0 = TimePoint{} + seconds(10);
  ike::ConnectionStatus c = Established(t0);
  c.ike_algorithms = "IKE:AES_GCM_16_128/PRF_HMAC_SHA2_384/ECP_256";
  c.udp_encapsulated = false;
  c.initiator = false;
  const Json sas = AzureIkeSas(EntryOf(c, t0));
  ASSERT_EQ(sas.size(), 1u);
  EXPECT_EQ(sas[0]["encryption"], "GCMAES128");
  EXPECT_EQ(sas[0]["integrity"], "SHA384");
  EXPECT_EQ(sas[0]["dhGroup"], "ECP256");
  EXPECT_EQ(sas[0]["localUdpEncapsulationPort"], 0);
  EXPECT_EQ(sas[0]["isSaInitiator"], false);
}

TEST(ObserveIkeSas, AgingAdvancesEveryElapsedTime) {
  const TimePoint t0 = TimePoint{} + seconds(10);
  const Json sas = AzureIkeSas(EntryOf(Established(t0), t0 + seconds(30)));
  ASSERT_EQ(sas.size(), 1u);
  ASSERT_GE(sas[0]["quickModeSa"].size(), 1u);
  const Json later = AgeIkeSas(sas, 45);
  EXPECT_EQ(later[0]["elapsedTimeInseconds"], sas[0]["elapsedTimeInseconds"].get<std::int64_t>() + 45);
  EXPECT_EQ(later[0]["quickModeSa"][0]["elapsedTimeInseconds"],
            sas[0]["quickModeSa"][0]["elapsedTimeInseconds"].get<std::int64_t>() + 45);
  EXPECT_EQ(later[0]["initiatorCookie"], sas[0]["initiatorCookie"]);
  EXPECT_EQ(AgeIkeSas(sas, 0), sas);
  EXPECT_EQ(AgeIkeSas(Json("garbage"), 5), Json("garbage"));
}

TEST(ObserveIkeSas, NoEstablishedSaIsAnEmptyArray) {
  ike::ConnectionStatus down;
  down.name = "VNet1ToVNet4";
  down.last_error = "AUTHENTICATION_FAILED";
  const ConnectionObservation o = ObserveConnection(EntryOf(down, TimePoint{}), false);
  EXPECT_EQ(o.status, "NotConnected");
  EXPECT_EQ(o.reason, "AUTHENTICATION_FAILED");
  EXPECT_EQ(o.ike_sas, Json::array());

  // Half-open: the gateway shows an IKE SA with SPIs, but none is established yet.
  ike::ConnectionStatus connecting = Established(TimePoint{});
  connecting.state = ike::ConnectionState::kConnecting;
  connecting.established_at = {};
  connecting.children.clear();
  EXPECT_EQ(ObserveConnection(EntryOf(connecting, TimePoint{}), false).ike_sas, Json::array());
  EXPECT_EQ(AzureIkeSas(nlohmann::json()), Json::array());
  EXPECT_EQ(AzureIkeSas(nlohmann::json::parse(R"({"state":"Connected","ike_sa":"garbage"})")), Json::array());
}

TEST(ObserveConnection, RetryingKeepsWhyTheLastAttemptFailed) {
  ike::ConnectionStatus c = Established(TimePoint{});
  c.state = ike::ConnectionState::kConnecting;
  c.established_at = {};
  c.children.clear();
  c.last_error = "peer did not answer (retransmissions exhausted)";
  const ConnectionObservation o = ObserveConnection(EntryOf(c, TimePoint{}), false);
  EXPECT_EQ(o.status, "Connecting");
  EXPECT_EQ(o.reason, "peer did not answer (retransmissions exhausted)");
}

TEST(ObserveConnection, TunnelNamesThePeerAddressWithoutItsPort) {
  const TimePoint t0 = TimePoint{} + seconds(1);
  const ConnectionObservation o = ObserveConnection(EntryOf(Established(t0), t0), false);
  ASSERT_EQ(o.tunnels.size(), 1u);
  EXPECT_EQ(o.tunnels[0]["tunnel"], "198.18.0.2");
}

TEST(EndpointAddress, StripsEitherPortForm) {
  EXPECT_EQ(EndpointAddress("198.18.0.2[4500]"), "198.18.0.2");
  EXPECT_EQ(EndpointAddress("198.18.0.2:500"), "198.18.0.2");
  EXPECT_EQ(EndpointAddress("2001:db8::1[500]"), "2001:db8::1");
  EXPECT_EQ(EndpointAddress("2001:db8::1"), "2001:db8::1");
  EXPECT_EQ(EndpointAddress(""), "");
}

}  // namespace
}  // namespace isthmus::mgmt
