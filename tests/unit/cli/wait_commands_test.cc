// `wait` commands and the generic update arguments through RunCli: polling with az's defaults on a
// manual clock, az's outcomes and exit codes, and an update that is refused before anything is sent.
#include <gtest/gtest.h>

#include "cli/errors.h"
#include "fake_transport.h"

namespace isthmus::cli {
namespace {

using testing::GroupUrlPath;
using testing::NetPath;

Json Resource(const std::string& rg, const std::string& type, const std::string& name,
              const std::string& state, Json extra = Json::object()) {
  Json props = {{"provisioningState", state}};
  for (auto it = extra.begin(); it != extra.end(); ++it) props[it.key()] = *it;
  return {{"id", NetPath(rg, type, name)}, {"name", name}, {"location", "eastus"}, {"properties", props}};
}

struct WaitCli : ::testing::Test {
  std::string gw = NetPath("RG1", "virtualNetworkGateways", "GW");
  testing::Harness h;
};

TEST_F(WaitCli, CreatedReturnsWhenProvisioningSucceedsPollingEveryThirtySeconds) {
  h.transport.On("GET " + gw, 200, Resource("RG1", "virtualNetworkGateways", "GW", "Updating"));
  h.transport.On("GET " + gw, 200, Resource("RG1", "virtualNetworkGateways", "GW", "Updating"));
  h.transport.On("GET " + gw, 200, Resource("RG1", "virtualNetworkGateways", "GW", "Succeeded"));
  ASSERT_EQ(h.Run({"network", "vnet-gateway", "wait", "-g", "RG1", "-n", "GW", "--created"}), 0)
      << h.err.str();
  EXPECT_EQ(h.out.str(), "");
  EXPECT_EQ(h.transport.Sent("GET " + gw).size(), 3u);
  ASSERT_EQ(h.sleeper.sleeps.size(), 2u);
  EXPECT_EQ(h.sleeper.sleeps[0], std::chrono::seconds(30));
}

TEST_F(WaitCli, TimeoutPrintsAnEmptyObjectAndExitsZeroAsAzDoes) {
  h.transport.On("GET " + gw, 200, Resource("RG1", "virtualNetworkGateways", "GW", "Updating"));
  ASSERT_EQ(h.Run({"network", "vnet-gateway", "wait", "-g", "RG1", "-n", "GW", "--created", "--timeout", "25",
                   "--interval", "10"}),
            0);
  EXPECT_EQ(h.out.str(), "{}\n");
  EXPECT_EQ(h.err.str(), "WARNING: Wait operation timed-out after 25 seconds\n");
  EXPECT_EQ(h.transport.Sent("GET " + gw).size(), 3u);  // range(0, 25, 10): 0, 10, 20
  EXPECT_EQ(h.clock.Now().time_since_epoch(), std::chrono::seconds(30));
}

TEST_F(WaitCli, FailedProvisioningIsAnError) {
  h.transport.On("GET " + gw, 200, Resource("RG1", "virtualNetworkGateways", "GW", "Failed"));
  EXPECT_EQ(h.Run({"network", "vnet-gateway", "wait", "-g", "RG1", "-n", "GW", "--created"}), kExitError);
  EXPECT_EQ(h.err.str(), "ERROR: The operation failed\n");
}

TEST_F(WaitCli, NotFoundMeansDeletedAndIsWaitedThroughForCreated) {
  const std::string vnet = NetPath("RG1", "virtualNetworks", "V");
  Json not_found = {{"error", {{"code", "ResourceNotFound"}, {"message", "not found"}}}};
  h.transport.On("GET " + vnet, 200, Resource("RG1", "virtualNetworks", "V", "Deleting"));
  h.transport.On("GET " + vnet, 404, not_found);
  ASSERT_EQ(h.Run({"network", "vnet", "wait", "-g", "RG1", "-n", "V", "--deleted"}), 0) << h.err.str();
  EXPECT_EQ(h.transport.Sent("GET " + vnet).size(), 2u);

  const std::string pip = NetPath("RG1", "publicIPAddresses", "IP");
  h.transport.On("GET " + pip, 404, not_found);
  h.transport.On("GET " + pip, 200, Resource("RG1", "publicIPAddresses", "IP", "Succeeded"));
  ASSERT_EQ(h.Run({"network", "public-ip", "wait", "-g", "RG1", "-n", "IP", "--created"}), 0) << h.err.str();
  // --updated alone does not wait through a 404: the resource should exist.
  const std::string lgw = NetPath("RG1", "localNetworkGateways", "L");
  h.transport.On("GET " + lgw, 404, not_found);
  EXPECT_EQ(h.Run({"network", "local-gateway", "wait", "-g", "RG1", "-n", "L", "--updated"}), kExitError);
  EXPECT_NE(h.err.str().find("ResourceNotFound"), std::string::npos);
}

TEST_F(WaitCli, CustomConditionSeesWhatShowPrints) {
  const std::string conn = NetPath("RG1", "connections", "C");
  h.transport.On("GET " + conn, 200,
                 Resource("RG1", "connections", "C", "Succeeded", {{"connectionStatus", "Connecting"}}));
  h.transport.On("GET " + conn, 200,
                 Resource("RG1", "connections", "C", "Succeeded", {{"connectionStatus", "Connected"}}));
  ASSERT_EQ(h.Run({"network", "vpn-connection", "wait", "-g", "RG1", "-n", "C", "--custom",
                   "connectionStatus=='Connected'", "--interval", "5"}),
            0)
      << h.err.str();
  EXPECT_EQ(h.transport.Sent("GET " + conn).size(), 2u);
  EXPECT_EQ(h.sleeper.sleeps.at(0), std::chrono::seconds(5));
  // A query that does not parse is refused before any request.
  h.transport.requests.clear();
  EXPECT_EQ(h.Run({"network", "vpn-connection", "wait", "-g", "RG1", "-n", "C", "--custom", "[?"}),
            kExitUsage);
  EXPECT_TRUE(h.transport.requests.empty());
}

TEST_F(WaitCli, ExistsGroupAndDeploymentAndNoCondition) {
  h.transport.On("GET " + gw, 200, Resource("RG1", "virtualNetworkGateways", "GW", "Updating"));
  ASSERT_EQ(h.Run({"network", "vnet-gateway", "wait", "-g", "RG1", "-n", "GW", "--exists"}), 0);
  EXPECT_TRUE(h.sleeper.sleeps.empty());

  h.transport.On("GET " + GroupUrlPath("RG9"), 200,
                 {{"name", "RG9"}, {"properties", {{"provisioningState", "Deleting"}}}});
  h.transport.On("GET " + GroupUrlPath("RG9"), 200,
                 {{"name", "RG9"}, {"properties", {{"provisioningState", "Succeeded"}}}});
  ASSERT_EQ(h.Run({"group", "wait", "-n", "RG9", "--updated"}), 0) << h.err.str();

  const std::string dep = GroupUrlPath("RG1") + "/providers/Microsoft.Resources/deployments/d1";
  h.transport.On("GET " + dep, 200, {{"name", "d1"}, {"properties", {{"provisioningState", "Running"}}}});
  h.transport.On("GET " + dep, 200, {{"name", "d1"}, {"properties", {{"provisioningState", "Succeeded"}}}});
  ASSERT_EQ(h.Run({"deployment", "group", "wait", "-g", "RG1", "-n", "d1", "--created"}), 0) << h.err.str();
  EXPECT_EQ(h.transport.Sent("GET " + dep).size(), 2u);

  EXPECT_EQ(h.Run({"network", "vnet-gateway", "wait", "-g", "RG1", "-n", "GW"}), kExitError);
  EXPECT_EQ(h.err.str(),
            "ERROR: incorrect usage: --created | --updated | --deleted | --exists | --custom JMESPATH\n");
  EXPECT_EQ(
      h.Run({"network", "vnet-gateway", "wait", "-g", "RG1", "-n", "GW", "--created", "--interval", "0"}),
      kExitUsage);
}

TEST_F(WaitCli, VmWaitReadsTheInstanceView) {
  const std::string vm = GroupUrlPath("RG1") + "/providers/Microsoft.Compute/virtualMachines/VM1";
  h.transport.On("GET " + vm, 200,
                 {{"name", "VM1"},
                  {"properties",
                   {{"provisioningState", "Succeeded"},
                    {"instanceView", {{"statuses", Json::array({{{"code", "PowerState/running"}}})}}}}}});
  ASSERT_EQ(h.Run({"vm", "wait", "-g", "RG1", "-n", "VM1", "--custom",
                   "instanceView.statuses[?code=='PowerState/running']"}),
            0)
      << h.err.str();
  auto sent = h.transport.Sent("GET " + vm);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_NE(sent[0].url.find("$expand=instanceView"), std::string::npos);
}

TEST_F(WaitCli, GenericUpdateSendsTheChangedResource) {
  const std::string vnet = NetPath("RG1", "virtualNetworks", "V");
  Json current = Resource("RG1", "virtualNetworks", "V", "Succeeded",
                          {{"addressSpace", {{"addressPrefixes", Json::array({"10.0.0.0/16"})}}}});
  h.transport.On("GET " + vnet, 200, current);
  h.transport.On("PUT " + vnet, 200, current);
  ASSERT_EQ(h.Run({"network", "vnet", "update", "-g", "RG1", "-n", "V", "--set", "tags.env=dev", "--add",
                   "addressSpace.addressPrefixes", "10.1.0.0/16"}),
            0)
      << h.err.str();
  auto sent = h.transport.Sent("PUT " + vnet);
  ASSERT_EQ(sent.size(), 1u);
  Json body = Json::parse(sent[0].body);
  EXPECT_EQ(body["tags"], Json({{"env", "dev"}}));
  EXPECT_EQ(body["properties"]["addressSpace"]["addressPrefixes"],
            Json::array({"10.0.0.0/16", "10.1.0.0/16"}));
  EXPECT_FALSE(body["properties"].contains("provisioningState"));
}

TEST_F(WaitCli, GenericUpdateWithABadPathSendsNothing) {
  const std::string vnet = NetPath("RG1", "virtualNetworks", "V");
  h.transport.On("GET " + vnet, 200, Resource("RG1", "virtualNetworks", "V", "Succeeded"));
  EXPECT_EQ(h.Run({"network", "vnet", "update", "-g", "RG1", "-n", "V", "--set", "tags.a=1", "--set",
                   "subnets[3].name=x"}),
            kExitError);
  EXPECT_TRUE(h.err.str().starts_with("ERROR: Couldn't find 'subnets' in ''. Available options: ["))
      << h.err.str();
  EXPECT_TRUE(h.transport.Sent("PUT " + vnet).empty());
}

}  // namespace
}  // namespace isthmus::cli
