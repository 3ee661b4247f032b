// Network Watcher's VPN troubleshoot diagnosis (service/troubleshoot.cc): each Azure fault id from the
// observation that causes it, and the TroubleshootingResult document.
#include "mgmt/service/troubleshoot.h"

#include <gtest/gtest.h>

namespace isthmus::mgmt {
namespace {

Resource Named(Kind kind, const std::string& name) {
  return {ResourceId::Network(kind, "sub", "rg", name), Json::object()};
}

ConnectionObservation Observed(const std::string& status, const std::string& reason = "") {
  ConnectionObservation o;
  o.status = status;
  o.reason = reason;
  return o;
}

class DiagnoseConnectionTest : public ::testing::Test {
 protected:
  Fault Diagnose(const std::optional<ConnectionObservation>& o, bool gateway_running = true) {
    return DiagnoseConnection(&conn_, o, gateway_running);
  }
  Resource conn_ = Named(Kind::kConnection, "VNet1ToVNet4");
};

TEST_F(DiagnoseConnectionTest, ConnectedIsNoFault) {
  Fault f = Diagnose(Observed("Connected"));
  EXPECT_EQ(f.id, "NoFault");
  EXPECT_TRUE(f.actions.empty());
  EXPECT_EQ(TroubleshootResult({f}, "t0", "t1")["code"], "Healthy");
}

TEST_F(DiagnoseConnectionTest, AuthenticationFailedIsAuthentication) {
  Fault f = Diagnose(Observed("NotConnected", "AUTHENTICATION_FAILED"));
  EXPECT_EQ(f.id, "Authentication");
  EXPECT_NE(f.summary.find("key"), std::string::npos) << f.summary;
  EXPECT_FALSE(f.actions.empty());
}

TEST_F(DiagnoseConnectionTest, NoProposalChosenIsIkePolicyMismatch) {
  Fault f = Diagnose(Observed("NotConnected", "NO_PROPOSAL_CHOSEN"));
  EXPECT_EQ(f.id, "IkePolicyMismatch");
  EXPECT_NE(f.detail.find("NO_PROPOSAL_CHOSEN"), std::string::npos)
      << "the detail says what the peer answered";
  EXPECT_EQ(Diagnose(Observed("NotConnected", "TS_UNACCEPTABLE")).id, "IkePolicyMismatch");
}

TEST_F(DiagnoseConnectionTest, UnansweredPeerIsPeerReachability) {
  // The engine's own texts (ike/engine/engine_timers.cc), while retrying (Connecting) and after.
  EXPECT_EQ(Diagnose(Observed("Connecting", "peer did not answer (retransmissions exhausted)")).id,
            "PeerReachability");
  EXPECT_EQ(Diagnose(Observed("NotConnected", "peer did not answer (retransmissions exhausted)")).id,
            "PeerReachability");
  EXPECT_EQ(Diagnose(Observed("Connecting", "half-open IKE SA timed out")).id, "PeerReachability");
  // Without a failure yet, a connection that is Connecting is only on its way.
  EXPECT_EQ(Diagnose(Observed("Connecting")).id, "ConnectionIsMarkedDisconnected");
}

TEST_F(DiagnoseConnectionTest, StoppedGatewayIsGatewayNotFound) {
  // Whatever the last observation said: a connection on a gateway that is not running cannot be up.
  Fault f = Diagnose(Observed("NotConnected", "isthmus-gateway exited: bind failed"), false);
  EXPECT_EQ(f.id, "GatewayNotFound");
  EXPECT_NE(f.detail.find("VNet1ToVNet4"), std::string::npos);
  EXPECT_EQ(Diagnose(std::nullopt, false).id, "GatewayNotFound");
}

TEST_F(DiagnoseConnectionTest, OtherFaults) {
  EXPECT_EQ(DiagnoseConnection(nullptr, Observed("Connected"), true).id, "ConnectionEntityNotFound");
  EXPECT_EQ(Diagnose(std::nullopt).id, "ConnectionNotConfiguredOnGateway");
  EXPECT_EQ(
      Diagnose(Observed("Connecting", "The connection resource on the other gateway does not exist yet.")).id,
      "ConnectionEntityNotFound");
  EXPECT_EQ(Diagnose(Observed("NotConnected", "IKE SA closed")).id, "ConnectionIsMarkedDisconnected");
}

TEST(DiagnoseGateway, RunningWithEveryConnectionUpIsNoFault) {
  Resource gw = Named(Kind::kVirtualNetworkGateway, "VNet1GW");
  Resource a = Named(Kind::kConnection, "a");
  Resource b = Named(Kind::kConnection, "b");
  EXPECT_EQ(DiagnoseGateway(&gw, true, {{&a, Observed("Connected")}, {&b, Observed("Connected")}}).id,
            "NoFault");
}

TEST(DiagnoseGateway, ConnectionsDownIsConnectionsNotConnected) {
  Resource gw = Named(Kind::kVirtualNetworkGateway, "VNet1GW");
  Resource a = Named(Kind::kConnection, "up");
  Resource b = Named(Kind::kConnection, "down");
  Resource c = Named(Kind::kConnection, "unseen");
  Fault some =
      DiagnoseGateway(&gw, true, {{&a, Observed("Connected")}, {&b, Observed("NotConnected")}, {&c, {}}});
  EXPECT_EQ(some.id, "ConnectionsNotConnected");
  EXPECT_NE(some.detail.find("2 of 3"), std::string::npos) << some.detail;
  EXPECT_NE(some.detail.find("down, unseen"), std::string::npos) << some.detail;
  EXPECT_EQ(some.detail.find("up,"), std::string::npos) << "a connected one is not listed";
  Fault none = DiagnoseGateway(&gw, true, {{&b, Observed("Connecting")}});
  EXPECT_EQ(none.id, "ConnectionsNotConnected");
}

TEST(DiagnoseGateway, StoppedOrEmptyOrMissing) {
  Resource gw = Named(Kind::kVirtualNetworkGateway, "VNet1GW");
  Resource a = Named(Kind::kConnection, "a");
  EXPECT_EQ(DiagnoseGateway(&gw, false, {{&a, Observed("Connected")}}).id, "ServiceNotRunning");
  EXPECT_EQ(DiagnoseGateway(&gw, true, {}).id, "NoConnectionsFoundForGateway");
  EXPECT_EQ(DiagnoseGateway(nullptr, true, {}).id, "GatewayNotFound");
}

TEST(TroubleshootResult, AzuresShape) {
  Fault ok{"NoFault", "fine", "all good", {}};
  Fault bad{"Authentication", "Preshared key mismatch.", "detail", {"Set the same key.", "Check the peer."}};
  Json r = TroubleshootResult({bad, ok}, "2024-01-01T00:00:00.000Z", "2024-01-01T00:00:01.000Z");
  EXPECT_EQ(r["code"], "UnHealthy") << "one fault makes the whole result unhealthy";
  EXPECT_EQ(r["startTime"], "2024-01-01T00:00:00.000Z");
  EXPECT_EQ(r["endTime"], "2024-01-01T00:00:01.000Z");
  ASSERT_EQ(r["results"].size(), 2u);
  EXPECT_EQ(r["results"][0]["id"], "Authentication");
  EXPECT_EQ(r["results"][0]["summary"], "Preshared key mismatch.");
  EXPECT_EQ(r["results"][0]["detail"], "detail");
  ASSERT_EQ(r["results"][0]["recommendedActions"].size(), 2u);
  const Json& action = r["results"][0]["recommendedActions"][1];
  EXPECT_EQ(action["actionText"], "Check the peer.");
  EXPECT_TRUE(action.contains("actionUri"));
  EXPECT_TRUE(action.contains("actionUriText"));
  EXPECT_EQ(r["results"][1]["recommendedActions"], Json::array());
}

}  // namespace
}  // namespace isthmus::mgmt
