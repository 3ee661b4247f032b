// `network vpn-connection list-ike-sas`, `network watcher troubleshooting start` and `network watcher
// test-connectivity` through RunCli against a fake transport: the paths and bodies sent, the watcher
// picked from the target's location, and az's output shapes under --query.
#include <gtest/gtest.h>

#include "cli/errors.h"
#include "fake_transport.h"

namespace isthmus::cli {
namespace {

using testing::GroupUrlPath;
using testing::Harness;
using testing::kSub;
using testing::NetPath;

std::string WatcherPath(const std::string& location, const std::string& action) {
  return GroupUrlPath("NetworkWatcherRG") + "/providers/Microsoft.Network/networkWatchers/NetworkWatcher_" +
         location + "/" + action;
}
std::string VmUrlPath(const std::string& rg, const std::string& name) {
  return GroupUrlPath(rg) + "/providers/Microsoft.Compute/virtualMachines/" + name;
}

Json IkeSas() {
  return Json::parse(R"([{"localEndpoint": "198.18.0.1", "remoteEndpoint": "198.18.0.2",
      "initiatorCookie": 18364758544493064720, "responderCookie": 66, "encryption": "GCMAES256",
      "integrity": "SHA256", "dhGroup": "ECP256", "isSaInitiator": true,
      "quickModeSa": [{"inboundSpi": 3248619521, "outboundSpi": 43981, "encryption": "GCMAES256"}]}])");
}

Json Troubleshooting(const std::string& id, const std::string& code) {
  return {{"startTime", "2024-01-01T00:00:00.000Z"},
          {"endTime", "2024-01-01T00:00:00.010Z"},
          {"code", code},
          {"results", Json::array({{{"id", id},
                                    {"summary", "Preshared key mismatch."},
                                    {"detail", "d"},
                                    {"recommendedActions", Json::array({{{"actionText", "Set the same key."},
                                                                         {"actionUri", ""},
                                                                         {"actionUriText", ""}}})}}})}};
}

struct WatcherCli : ::testing::Test {
  Json SentBody(const std::string& key) {
    auto sent = h.transport.Sent(key);
    EXPECT_EQ(sent.size(), 1u) << key;
    return sent.empty() ? Json() : Json::parse(sent[0].body);
  }
  Harness h;
};

// ---- list-ike-sas -------------------------------------------------------------------------------------

TEST_F(WatcherCli, ListIkeSasParsesTheStringAzureAnswersWith) {
  const std::string action = "POST " + NetPath("TestRG1", "connections", "VNet1ToVNet4") + "/getikesas";
  h.transport.On(action, 200, Json(IkeSas().dump()));
  ASSERT_EQ(h.Run({"network", "vpn-connection", "list-ike-sas", "-g", "TestRG1", "-n", "VNet1ToVNet4"}), 0)
      << h.err.str();
  Json out = h.OutJson();
  ASSERT_TRUE(out.is_array()) << h.out.str();
  EXPECT_EQ(out[0]["initiatorCookie"].get<std::uint64_t>(), 18364758544493064720ULL);
  EXPECT_EQ(out[0]["quickModeSa"][0]["encryption"], "GCMAES256");
  auto sent = h.transport.Sent(action);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_NE(sent[0].url.find("api-version=2023-09-01"), std::string::npos);

  ASSERT_EQ(h.Run({"network", "vpn-connection", "list-ike-sas", "-g", "TestRG1", "-n", "VNet1ToVNet4",
                   "--query", "[0].quickModeSa[0].inboundSpi", "-o", "tsv"}),
            0)
      << h.err.str();
  EXPECT_EQ(h.out.str(), "3248619521\n");
}

TEST_F(WatcherCli, ListIkeSasOfAnUnknownConnectionIsTheServersError) {
  const std::string action = "POST " + NetPath("TestRG1", "connections", "nope") + "/getikesas";
  h.transport.On(
      action, 404,
      {{"error", {{"code", "ResourceNotFound"}, {"message", "The Resource 'nope' was not found."}}}});
  EXPECT_EQ(h.Run({"network", "vpn-connection", "list-ike-sas", "-g", "TestRG1", "-n", "nope"}), kExitError);
  EXPECT_NE(h.err.str().find("ResourceNotFound"), std::string::npos) << h.err.str();
  EXPECT_EQ(h.Run({"network", "vpn-connection", "list-ike-sas", "-g", "TestRG1"}), kExitUsage);
}

TEST_F(WatcherCli, ListIkeSasFollowsAnAcceptedOperationToItsResult) {
  // Azure answers 202; the result is at the Location once the operation ends.
  const std::string action = "POST " + NetPath("TestRG1", "connections", "c") + "/getikesas";
  const std::string op = std::string("/subscriptions/") + kSub +
                         "/providers/Microsoft.Network/locations/westus2/"
                         "operations/op1";
  const std::string result = std::string("/subscriptions/") + kSub +
                             "/providers/Microsoft.Network/locations/westus2/"
                             "operationResults/op1";
  h.transport.On(action, 202, nullptr,
                 {{"Azure-AsyncOperation", std::string(testing::kEndpoint) + op + "?api-version=2023-09-01"},
                  {"Location", std::string(testing::kEndpoint) + result + "?api-version=2023-09-01"},
                  {"Retry-After", "1"}});
  h.transport.On("GET " + op, 200, {{"status", "Succeeded"}});
  h.transport.On("GET " + result, 200, Json("[]"));
  ASSERT_EQ(h.Run({"network", "vpn-connection", "list-ike-sas", "-g", "TestRG1", "-n", "c"}), 0)
      << h.err.str();
  EXPECT_EQ(h.OutJson(), Json::array());
}

// ---- troubleshooting start ----------------------------------------------------------------------------

TEST_F(WatcherCli, TroubleshootingStartPostsToTheRegionsWatcher) {
  const std::string conn = NetPath("TestRG1", "connections", "VNet1ToVNet4");
  h.transport.On("GET " + conn, 200, {{"id", conn}, {"name", "VNet1ToVNet4"}, {"location", "eastus2"}});
  h.transport.On("POST " + WatcherPath("eastus2", "troubleshoot"), 200,
                 Troubleshooting("Authentication", "UnHealthy"));
  ASSERT_EQ(
      h.Run({"network", "watcher", "troubleshooting", "start", "-g", "TestRG1", "--resource", "VNet1ToVNet4",
             "--resource-type", "vpnConnection", "--storage-account", "logs", "--storage-path",
             "https://logs.blob.core.windows.net/troubleshoot", "--query", "results[0].id", "-o", "tsv"}),
      0)
      << h.err.str();
  EXPECT_EQ(h.out.str(), "Authentication\n");
  Json body = SentBody("POST " + WatcherPath("eastus2", "troubleshoot"));
  EXPECT_EQ(body["target"], conn);
  EXPECT_EQ(body["properties"]["storageId"],
            GroupUrlPath("TestRG1") + "/providers/Microsoft.Storage/storageAccounts/logs");
  EXPECT_EQ(body["properties"]["storagePath"], "https://logs.blob.core.windows.net/troubleshoot");
}

TEST_F(WatcherCli, TroubleshootingStartByIdInfersTheTypeAndPrintsTheWholeResult) {
  const std::string gw = NetPath("TestRG1", "virtualNetworkGateways", "VNet1GW");
  h.transport.On("GET " + gw, 200, {{"id", gw}, {"location", "westus2"}});
  h.transport.On("POST " + WatcherPath("westus2", "troubleshoot"), 200,
                 Troubleshooting("NoFault", "Healthy"));
  ASSERT_EQ(h.Run({"network", "watcher", "troubleshooting", "start", "--resource", gw}), 0) << h.err.str();
  Json out = h.OutJson();
  EXPECT_EQ(out["code"], "Healthy");
  EXPECT_EQ(out["results"][0]["recommendedActions"][0]["actionText"], "Set the same key.");
  Json body = SentBody("POST " + WatcherPath("westus2", "troubleshoot"));
  EXPECT_EQ(body["target"], gw);
  EXPECT_EQ(body["properties"], Json::object());
}

TEST_F(WatcherCli, TroubleshootingStartUsageErrors) {
  const std::string gw = NetPath("TestRG1", "virtualNetworkGateways", "VNet1GW");
  // A name without its type or group, a mismatched type, an ID of another type, an unknown type.
  EXPECT_EQ(
      h.Run({"network", "watcher", "troubleshooting", "start", "-g", "TestRG1", "--resource", "VNet1GW"}),
      kExitUsage);
  EXPECT_EQ(h.Run({"network", "watcher", "troubleshooting", "start", "--resource", "VNet1GW",
                   "--resource-type", "vnetGateway"}),
            kExitUsage);
  EXPECT_EQ(h.Run({"network", "watcher", "troubleshooting", "start", "--resource", gw, "--resource-type",
                   "vpnConnection"}),
            kExitUsage);
  EXPECT_EQ(h.Run({"network", "watcher", "troubleshooting", "start", "--resource",
                   NetPath("TestRG1", "virtualNetworks", "VNet1")}),
            kExitUsage);
  EXPECT_EQ(h.Run({"network", "watcher", "troubleshooting", "start", "-g", "TestRG1", "--resource", "x",
                   "--resource-type", "vm"}),
            kExitUsage);
  for (const auto& r : h.transport.requests) EXPECT_NE(r.method, "POST") << r.url;
}

// ---- test-connectivity --------------------------------------------------------------------------------

TEST_F(WatcherCli, TestConnectivitySendsAzuresBody) {
  h.transport.On("GET " + VmUrlPath("TestRG1", "vm1"), 200,
                 {{"id", VmUrlPath("TestRG1", "vm1")}, {"location", "westus2"}});
  Json info =
      Json::parse(R"({"hops": [{"type": "Source", "address": "10.1.0.4"}], "connectionStatus": "Reachable",
      "avgLatencyInMs": 1, "minLatencyInMs": 0, "maxLatencyInMs": 2, "probesSent": 10, "probesFailed": 0})");
  h.transport.On("POST " + WatcherPath("westus2", "connectivityCheck"), 200, info);
  ASSERT_EQ(h.Run({"network", "watcher", "test-connectivity", "-g", "TestRG1", "--source-resource", "vm1",
                   "--dest-address", "10.41.0.4", "--dest-port", "80"}),
            0)
      << h.err.str();
  EXPECT_EQ(h.OutJson(), SortedKeys(info));
  Json body = SentBody("POST " + WatcherPath("westus2", "connectivityCheck"));
  EXPECT_EQ(body, Json::parse(R"({"source": {"resourceId": ")" + VmUrlPath("TestRG1", "vm1") +
                              R"("}, "destination": {"address": "10.41.0.4", "port": 80}})"));
  auto vm_get = h.transport.Sent("GET " + VmUrlPath("TestRG1", "vm1"));
  ASSERT_EQ(vm_get.size(), 1u);
  EXPECT_NE(vm_get[0].url.find("api-version=2022-11-01"), std::string::npos)
      << "a Compute api-version for the VM";
}

TEST_F(WatcherCli, TestConnectivityIcmpByVmIdPrintsTheStatus) {
  const std::string vm = VmUrlPath("TestRG9", "vm2");
  h.transport.On("GET " + vm, 200, {{"id", vm}, {"location", "northeurope"}});
  h.transport.On("POST " + WatcherPath("northeurope", "connectivityCheck"), 200,
                 {{"connectionStatus", "Unreachable"},
                  {"probesSent", 10},
                  {"probesFailed", 10},
                  {"hops", Json::array()}});
  ASSERT_EQ(h.Run({"network", "watcher", "test-connectivity", "--source-resource", vm, "--dest-address",
                   "10.2.0.4", "--protocol", "icmp", "--query", "connectionStatus", "-o", "tsv"}),
            0)
      << h.err.str();
  EXPECT_EQ(h.out.str(), "Unreachable\n");
  Json body = SentBody("POST " + WatcherPath("northeurope", "connectivityCheck"));
  EXPECT_EQ(body["protocol"], "Icmp") << "choices are normalised to their canonical spelling";
  EXPECT_FALSE(body["destination"].contains("port"));
}

TEST_F(WatcherCli, TestConnectivityUsageErrors) {
  EXPECT_EQ(h.Run({"network", "watcher", "test-connectivity", "--source-resource", "vm1", "--dest-address",
                   "10.2.0.4"}),
            kExitUsage)
      << "a VM name needs its group";
  EXPECT_EQ(h.Run({"network", "watcher", "test-connectivity", "--source-resource",
                   NetPath("TestRG1", "networkInterfaces", "nic"), "--dest-address", "10.2.0.4"}),
            kExitUsage);
  EXPECT_EQ(h.Run({"network", "watcher", "test-connectivity", "-g", "TestRG1", "--source-resource", "vm1",
                   "--dest-address", "10.2.0.4", "--dest-port", "http"}),
            kExitUsage);
  EXPECT_EQ(h.Run({"network", "watcher", "test-connectivity", "-g", "TestRG1", "--source-resource", "vm1"}),
            kExitUsage);
  EXPECT_EQ(h.Run({"network", "watcher", "test-connectivity", "-g", "TestRG1", "--source-resource", "vm1",
                   "--dest-address", "10.2.0.4", "--protocol", "Udp"}),
            kExitUsage);
  for (const auto& r : h.transport.requests) EXPECT_NE(r.method, "POST") << r.url;
}

TEST_F(WatcherCli, HelpListsTheNewCommands) {
  ASSERT_EQ(h.Run({"network", "watcher", "--help"}), 0);
  EXPECT_NE(h.out.str().find("test-connectivity"), std::string::npos);
  EXPECT_NE(h.out.str().find("troubleshooting"), std::string::npos);
  ASSERT_EQ(h.Run({"network", "watcher", "troubleshooting", "start", "--help"}), 0);
  EXPECT_NE(h.out.str().find("--resource-type"), std::string::npos);
  EXPECT_NE(h.out.str().find("vpnConnection"), std::string::npos);
  ASSERT_EQ(h.Run({"network", "vpn-connection", "--help"}), 0);
  EXPECT_NE(h.out.str().find("list-ike-sas"), std::string::npos);
}

}  // namespace
}  // namespace isthmus::cli
