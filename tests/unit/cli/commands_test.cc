// The whole CLI (RunCli) against a fake transport: request paths and bodies, polling, output, errors.
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "cli/errors.h"
#include "fake_transport.h"

namespace isthmus::cli {
namespace {

using testing::GroupUrlPath;
using testing::Harness;
using testing::kSub;
using testing::NetPath;

constexpr char kOpPath[] =
    "/subscriptions/11111111-2222-3333-4444-555555555555/providers/Microsoft.Network/locations/"
    "westus2/operations/op1";

Json Arm(const std::string& rg, const std::string& type, const std::string& name, Json props) {
  return {{"id", NetPath(rg, type, name)}, {"name", name},      {"type", "Microsoft.Network/" + type},
          {"location", "westus2"},         {"etag", "W/\"1\""}, {"properties", std::move(props)}};
}

struct Cli : ::testing::Test {
  void SetUp() override {
    h.transport.On("GET " + GroupUrlPath("RG1"), 200, {{"name", "RG1"}, {"location", "westus2"}});
  }
  Json SentBody(const std::string& key, std::size_t i = 0) {
    auto sent = h.transport.Sent(key);
    EXPECT_GT(sent.size(), i) << key;
    return sent.size() > i ? Json::parse(sent[i].body) : Json();
  }
  Harness h;
};

TEST_F(Cli, VnetCreateSendsArmBodyAndPrintsNewVNet) {
  const std::string path = NetPath("RG1", "virtualNetworks", "VNet1");
  h.transport.On("PUT " + path, 201,
                 Arm("RG1", "virtualNetworks", "VNet1",
                     {{"provisioningState", "Succeeded"},
                      {"addressSpace", {{"addressPrefixes", {"10.11.0.0/16", "10.12.0.0/16"}}}}}));
  int rc =
      h.Run({"network", "vnet", "create", "-g", "RG1", "-n", "VNet1", "--address-prefixes", "10.11.0.0/16",
             "10.12.0.0/16", "--subnet-name", "FrontEnd", "--subnet-prefix", "10.11.0.0/24"});
  ASSERT_EQ(rc, 0) << h.err.str();
  auto sent = h.transport.Sent("PUT " + path);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_NE(sent[0].url.find("api-version=2023-09-01"), std::string::npos);
  Json expected = Json::parse(R"({"location":"westus2","properties":{
      "addressSpace":{"addressPrefixes":["10.11.0.0/16","10.12.0.0/16"]},
      "subnets":[{"name":"FrontEnd","properties":{"addressPrefix":"10.11.0.0/24"}}]}})");
  EXPECT_EQ(SortedKeys(Json::parse(sent[0].body)), SortedKeys(expected));
  Json out = h.OutJson();
  EXPECT_EQ(out["newVNet"]["addressSpace"]["addressPrefixes"][1], "10.12.0.0/16");
  EXPECT_EQ(out["newVNet"]["provisioningState"], "Succeeded");
  EXPECT_EQ(out["newVNet"]["resourceGroup"], "RG1");
}

TEST_F(Cli, ExplicitLocationSkipsGroupLookup) {
  const std::string path = NetPath("RG1", "publicIPAddresses", "GWIP");
  h.transport.On("PUT " + path, 201,
                 Arm("RG1", "publicIPAddresses", "GWIP", {{"provisioningState", "Succeeded"}}));
  ASSERT_EQ(h.Run({"network", "public-ip", "create", "-g", "RG1", "-n", "GWIP", "-l", "eastus",
                   "--allocation-method", "dynamic", "--sku", "basic"}),
            0)
      << h.err.str();
  EXPECT_TRUE(h.transport.Sent("GET " + GroupUrlPath("RG1")).empty());
  Json body = SentBody("PUT " + path);
  EXPECT_EQ(body["location"], "eastus");
  EXPECT_EQ(body["sku"]["name"], "Basic");
  EXPECT_EQ(body["properties"]["publicIPAllocationMethod"], "Dynamic");
  EXPECT_EQ(body["properties"]["publicIPAddressVersion"], "IPv4");
  EXPECT_TRUE(h.OutJson().contains("publicIp"));
}

TEST_F(Cli, MissingRequiredArgumentExitsTwoWithoutRequests) {
  EXPECT_EQ(h.Run({"network", "vnet", "create", "-g", "RG1"}), kExitUsage);
  EXPECT_NE(h.err.str().find("the following arguments are required: --name/-n"), std::string::npos)
      << h.err.str();
  EXPECT_TRUE(h.transport.requests.empty());
}

TEST_F(Cli, UnknownFlagAndCommandExitTwo) {
  EXPECT_EQ(h.Run({"network", "vnet", "show", "-g", "RG1", "-n", "x", "--bogus"}), kExitUsage);
  EXPECT_NE(h.err.str().find("unrecognized arguments: --bogus"), std::string::npos);
  EXPECT_EQ(h.Run({"network", "vnett", "list"}), kExitUsage);
  EXPECT_NE(h.err.str().find("'vnett' is misspelled"), std::string::npos);
  EXPECT_TRUE(h.transport.requests.empty());
}

TEST_F(Cli, HelpAtEveryLevel) {
  ASSERT_EQ(h.Run({"--help"}), 0);
  EXPECT_NE(h.out.str().find("network"), std::string::npos);
  ASSERT_EQ(h.Run({"network", "vpn-connection", "-h"}), 0);
  EXPECT_NE(h.out.str().find("shared-key"), std::string::npos);
  EXPECT_NE(h.out.str().find("create"), std::string::npos);
  ASSERT_EQ(h.Run({"network", "vpn-connection", "ipsec-policy", "add", "--help"}), 0);
  EXPECT_NE(h.out.str().find("--sa-lifetime [Required]"), std::string::npos) << h.out.str();
  EXPECT_TRUE(h.transport.requests.empty());
}

TEST_F(Cli, ConnectionCreateResolvesGatewaysByNameAndById) {
  const std::string path = NetPath("RG1", "connections", "VNet1ToVNet4");
  const std::string gw4 = NetPath("RG4", "virtualNetworkGateways", "VNet4GW");
  h.transport.On("PUT " + path, 201,
                 Arm("RG1", "connections", "VNet1ToVNet4", {{"provisioningState", "Succeeded"}}));
  ASSERT_EQ(
      h.Run({"network", "vpn-connection", "create", "-g", "RG1", "-n", "VNet1ToVNet4", "--vnet-gateway1",
             "VNet1GW", "-l", "westus2", "--shared-key", "s3cret-Key", "--vnet-gateway2", gw4}),
      0)
      << h.err.str();
  Json body = SentBody("PUT " + path);
  EXPECT_EQ(body["properties"]["connectionType"], "Vnet2Vnet");
  EXPECT_EQ(body["properties"]["virtualNetworkGateway1"]["id"],
            NetPath("RG1", "virtualNetworkGateways", "VNet1GW"));
  EXPECT_EQ(body["properties"]["virtualNetworkGateway2"]["id"], gw4);
  EXPECT_EQ(body["properties"]["sharedKey"], "s3cret-Key");
  EXPECT_TRUE(h.OutJson().contains("resource"));
  EXPECT_EQ(h.out.str().find("s3cret-Key"), std::string::npos);
}

TEST_F(Cli, ConnectionCreateToLocalGatewayIsIpsec) {
  const std::string path = NetPath("RG1", "connections", "ToSite");
  h.transport.On("PUT " + path, 201, Arm("RG1", "connections", "ToSite", {}));
  ASSERT_EQ(
      h.Run({"network", "vpn-connection", "create", "-g", "RG1", "-n", "ToSite", "--vnet-gateway1", "VNet1GW",
             "--local-gateway2", "Site2", "--enable-bgp", "--use-policy-based-traffic-selectors", "false"}),
      0)
      << h.err.str();
  Json body = SentBody("PUT " + path);
  EXPECT_EQ(body["properties"]["connectionType"], "IPsec");
  EXPECT_EQ(body["properties"]["localNetworkGateway2"]["id"],
            NetPath("RG1", "localNetworkGateways", "Site2"));
  EXPECT_EQ(body["properties"]["enableBgp"], true);
  EXPECT_EQ(body["properties"]["usePolicyBasedTrafficSelectors"], false);
  EXPECT_EQ(body["location"], "westus2");  // from the resource group
}

TEST_F(Cli, ConnectionCreateRejectsWrongIdTypeAndMissingDestination) {
  const std::string lgw = NetPath("RG4", "localNetworkGateways", "Site");
  EXPECT_EQ(h.Run({"network", "vpn-connection", "create", "-g", "RG1", "-n", "C", "--vnet-gateway1", "GW1",
                   "--vnet-gateway2", lgw}),
            kExitUsage);
  EXPECT_NE(h.err.str().find("--vnet-gateway2"), std::string::npos);
  EXPECT_EQ(h.Run({"network", "vpn-connection", "create", "-g", "RG1", "-n", "C", "--vnet-gateway1", "GW1"}),
            kExitUsage);
  EXPECT_NE(h.err.str().find("--vnet-gateway2 NAME/ID | --local-gateway2 NAME/ID"), std::string::npos);
  for (const auto& r : h.transport.requests) EXPECT_NE(r.method, "PUT");
}

struct GatewayCreate : Cli {
  void SetUp() override {
    Cli::SetUp();
    path = NetPath("RG1", "virtualNetworkGateways", "VNet1GW");
    h.transport.On(
        "PUT " + path, 201,
        Arm("RG1", "virtualNetworkGateways", "VNet1GW", {{"provisioningState", "Updating"}}),
        {{"Azure-AsyncOperation", std::string(testing::kEndpoint) + kOpPath + "?api-version=2023-09-01"},
         {"Retry-After", "2"}});
  }
  int Create(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"network",   "vnet-gateway", "create",    "-g",
                                     "RG1",       "-n",           "VNet1GW",   "--public-ip-address",
                                     "VNet1GWIP", "--vnet",       "TestVNet1", "--gateway-type",
                                     "Vpn",       "--sku",        "VpnGw1",    "--vpn-type",
                                     "RouteBased"};
    args.insert(args.end(), extra.begin(), extra.end());
    return h.Run(args);
  }
  std::string path;
};

TEST_F(GatewayCreate, BodyNamesGatewaySubnetAndPublicIp) {
  ASSERT_EQ(Create({"--no-wait", "--asn", "65010"}), 0) << h.err.str();
  Json p = SentBody("PUT " + path)["properties"];
  EXPECT_EQ(p["gatewayType"], "Vpn");
  EXPECT_EQ(p["vpnType"], "RouteBased");
  EXPECT_EQ(p["sku"], Json({{"name", "VpnGw1"}, {"tier", "VpnGw1"}}));
  EXPECT_EQ(p["activeActive"], false);
  EXPECT_EQ(p["enableBgp"], true);
  EXPECT_EQ(p["bgpSettings"]["asn"], 65010);
  const Json& cfg = p["ipConfigurations"][0]["properties"];
  EXPECT_EQ(cfg["subnet"]["id"], NetPath("RG1", "virtualNetworks", "TestVNet1") + "/subnets/GatewaySubnet");
  EXPECT_EQ(cfg["publicIPAddress"]["id"], NetPath("RG1", "publicIPAddresses", "VNet1GWIP"));
}

TEST_F(GatewayCreate, NoWaitPrintsNothingAndDoesNotPoll) {
  ASSERT_EQ(Create({"--no-wait"}), 0) << h.err.str();
  EXPECT_EQ(h.out.str(), "");
  EXPECT_TRUE(h.transport.Sent(std::string("GET ") + kOpPath).empty());
  EXPECT_TRUE(h.sleeper.sleeps.empty());
}

TEST_F(GatewayCreate, WaitsForOperationThenPrintsFinalResource) {
  h.transport.On(std::string("GET ") + kOpPath, 200, {{"status", "InProgress"}}, {{"Retry-After", "3"}});
  h.transport.On(std::string("GET ") + kOpPath, 200, {{"status", "Succeeded"}});
  h.transport.On("GET " + path, 200,
                 Arm("RG1", "virtualNetworkGateways", "VNet1GW", {{"provisioningState", "Succeeded"}}));
  ASSERT_EQ(Create(), 0) << h.err.str();
  EXPECT_EQ(h.transport.Sent(std::string("GET ") + kOpPath).size(), 2u);
  ASSERT_EQ(h.sleeper.sleeps.size(), 2u);
  EXPECT_EQ(h.sleeper.sleeps[0], std::chrono::seconds(2));
  EXPECT_EQ(h.sleeper.sleeps[1], std::chrono::seconds(3));
  EXPECT_EQ(h.OutJson()["vnetGateway"]["provisioningState"], "Succeeded");
}

TEST_F(GatewayCreate, FailedOperationIsAnErrorWithItsCode) {
  h.transport.On(
      std::string("GET ") + kOpPath, 200,
      {{"status", "Failed"},
       {"error", {{"code", "GatewaySubnetRequired"}, {"message", "VNet TestVNet1 has no GatewaySubnet"}}}});
  EXPECT_EQ(Create(), kExitError);
  EXPECT_NE(h.err.str().find("(GatewaySubnetRequired) VNet TestVNet1 has no GatewaySubnet"),
            std::string::npos)
      << h.err.str();
  EXPECT_EQ(h.out.str(), "");
}

TEST_F(Cli, ServerValidationErrorIsPrintedAzStyleExitOne) {
  const std::string path = NetPath("RG1", "connections", "Bad");
  h.transport.On("PUT " + path, 400,
                 {{"error",
                   {{"code", "VnetAddressSpacesOverlap"},
                    {"message", "10.11.0.0/16 of VNet1 overlaps 10.11.0.0/16 of VNet2"}}}});
  EXPECT_EQ(h.Run({"network", "vpn-connection", "create", "-g", "RG1", "-n", "Bad", "--vnet-gateway1", "GW1",
                   "--vnet-gateway2", "GW2", "--shared-key", "k3y-value"}),
            kExitError);
  EXPECT_NE(h.err.str().find("(VnetAddressSpacesOverlap) 10.11.0.0/16 of VNet1 overlaps"), std::string::npos)
      << h.err.str();
  EXPECT_EQ(h.err.str().find("k3y-value"), std::string::npos);
}

TEST_F(Cli, IpsecPolicyAddAppendsToExistingAndOmitsSharedKey) {
  const std::string path = NetPath("RG1", "connections", "C1");
  Json existing = {{"ikeEncryption", "AES128"}};
  h.transport.On("GET " + path, 200,
                 Arm("RG1", "connections", "C1",
                     {{"provisioningState", "Succeeded"},
                      {"connectionStatus", "Connected"},
                      {"ipsecPolicies", Json::array({existing})}}));
  h.transport.On("PUT " + path, 200, Arm("RG1", "connections", "C1", {{"provisioningState", "Succeeded"}}));
  ASSERT_EQ(h.Run({"network",
                   "vpn-connection",
                   "ipsec-policy",
                   "add",
                   "-g",
                   "RG1",
                   "--connection-name",
                   "C1",
                   "--dh-group",
                   "dhgroup14",
                   "--ike-encryption",
                   "AES256",
                   "--ike-integrity",
                   "SHA384",
                   "--ipsec-encryption",
                   "GCMAES256",
                   "--ipsec-integrity",
                   "GCMAES256",
                   "--pfs-group",
                   "PFS2048",
                   "--sa-lifetime",
                   "27000",
                   "--sa-max-size",
                   "102400000"}),
            0)
      << h.err.str();
  Json body = SentBody("PUT " + path);
  ASSERT_EQ(body["properties"]["ipsecPolicies"].size(), 2u);
  Json added = body["properties"]["ipsecPolicies"][1];
  EXPECT_EQ(added["dhGroup"], "DHGroup14");
  EXPECT_EQ(added["saLifeTimeSeconds"], 27000);
  EXPECT_EQ(added["saDataSizeKilobytes"], 102400000);
  EXPECT_EQ(added["pfsGroup"], "PFS2048");
  EXPECT_FALSE(body["properties"].contains("sharedKey"));
  EXPECT_FALSE(body["properties"].contains("provisioningState"));
  EXPECT_FALSE(body["properties"].contains("connectionStatus"));
  EXPECT_FALSE(body.contains("etag"));
}

TEST_F(Cli, IpsecPolicyAddRejectsUnknownAlgorithmAndBadInt) {
  std::vector<std::string> base = {"network",
                                   "vpn-connection",
                                   "ipsec-policy",
                                   "add",
                                   "-g",
                                   "RG1",
                                   "--connection-name",
                                   "C1",
                                   "--dh-group",
                                   "DHGroup14",
                                   "--ike-encryption",
                                   "AES256",
                                   "--ike-integrity",
                                   "SHA384",
                                   "--ipsec-encryption",
                                   "GCMAES256",
                                   "--ipsec-integrity",
                                   "GCMAES256",
                                   "--pfs-group",
                                   "PFS2048",
                                   "--sa-max-size",
                                   "1"};
  auto bad_alg = base;
  bad_alg.insert(bad_alg.end(), {"--sa-lifetime", "27000", "--ike-encryption", "ROT13"});
  EXPECT_EQ(h.Run(bad_alg), kExitUsage);
  auto bad_int = base;
  bad_int.insert(bad_int.end(), {"--sa-lifetime", "soon"});
  EXPECT_EQ(h.Run(bad_int), kExitUsage);
  EXPECT_NE(h.err.str().find("invalid int value: 'soon'"), std::string::npos) << h.err.str();
}

TEST_F(Cli, SharedKeyOnlyShownBySharedKeyShow) {
  const std::string path = NetPath("RG1", "connections", "C1");
  // Even if a server misbehaved and sent the key, `show` must not print it.
  h.transport.On("GET " + path, 200, Arm("RG1", "connections", "C1", {{"sharedKey", "leaked-Key"}}));
  h.transport.On("GET " + path + "/sharedkey", 200, {{"value", "the-Key"}});
  ASSERT_EQ(h.Run({"network", "vpn-connection", "show", "-g", "RG1", "-n", "C1"}), 0);
  EXPECT_EQ(h.out.str().find("leaked-Key"), std::string::npos);
  ASSERT_EQ(h.Run({"network", "vpn-connection", "shared-key", "show", "-g", "RG1", "--connection-name", "C1",
                   "--query", "value", "-o", "tsv"}),
            0);
  EXPECT_EQ(h.out.str(), "the-Key\n");
}

TEST_F(Cli, SharedKeyUpdateAndResetBodies) {
  const std::string path = NetPath("RG1", "connections", "C1");
  h.transport.On("PUT " + path + "/sharedkey", 200, {{"value", "n3w-Key"}});
  h.transport.On("POST " + path + "/sharedkey/reset", 200, {{"keyLength", 64}});
  ASSERT_EQ(h.Run({"network", "vpn-connection", "shared-key", "update", "-g", "RG1", "--connection-name",
                   "C1", "--value", "n3w-Key"}),
            0);
  EXPECT_EQ(SentBody("PUT " + path + "/sharedkey"), Json({{"value", "n3w-Key"}}));
  EXPECT_EQ(h.out.str().find("n3w-Key"), std::string::npos);
  ASSERT_EQ(h.Run({"network", "vpn-connection", "shared-key", "reset", "-g", "RG1", "--connection-name", "C1",
                   "--key-length", "64"}),
            0);
  EXPECT_EQ(SentBody("POST " + path + "/sharedkey/reset"), Json({{"keyLength", 64}}));
  EXPECT_EQ(h.OutJson()["keyLength"], 64);
}

TEST_F(Cli, DebugLogsRequestLinesNeverBodies) {
  const std::string path = NetPath("RG1", "connections", "C1");
  h.transport.On("PUT " + path + "/sharedkey", 200, {{"value", "d3bug-Key"}});
  ASSERT_EQ(h.Run({"network", "vpn-connection", "shared-key", "update", "-g", "RG1", "--connection-name",
                   "C1", "--value", "d3bug-Key", "--debug"}),
            0);
  EXPECT_NE(h.err.str().find("DEBUG: Request: PUT"), std::string::npos);
  EXPECT_EQ(h.err.str().find("d3bug-Key"), std::string::npos);
}

TEST_F(Cli, ListWithQueryAndTsvAndTable) {
  h.transport.On(
      "GET " + GroupUrlPath("RG1") + "/providers/Microsoft.Network/virtualNetworks", 200,
      {{"value",
        Json::array({Arm("RG1", "virtualNetworks", "VNet1", {{"provisioningState", "Succeeded"}}),
                     Arm("RG1", "virtualNetworks", "VNet2", {{"provisioningState", "Updating"}})})}});
  ASSERT_EQ(h.Run({"network", "vnet", "list", "-g", "RG1", "--query", "[].name", "-o", "tsv"}), 0)
      << h.err.str();
  EXPECT_EQ(h.out.str(), "VNet1\nVNet2\n");
  ASSERT_EQ(h.Run({"network", "vnet", "list", "-g", "RG1", "--query", "[?provisioningState=='Updating'].name",
                   "-o", "tsv"}),
            0);
  EXPECT_EQ(h.out.str(), "VNet2\n");
  ASSERT_EQ(h.Run({"network", "vnet", "list", "-g", "RG1", "--query",
                   "[].{Name:name, State:provisioningState}", "-o", "table"}),
            0);
  EXPECT_EQ(h.out.str(), "Name   State\n-----  ---------\nVNet1  Succeeded\nVNet2  Updating\n");
}

TEST_F(Cli, SubscriptionScopeListWithoutGroup) {
  h.transport.On(std::string("GET /subscriptions/") + kSub + "/providers/Microsoft.Network/publicIPAddresses",
                 200, {{"value", Json::array()}});
  ASSERT_EQ(h.Run({"network", "public-ip", "list"}), 0) << h.err.str();
  EXPECT_EQ(h.out.str(), "[]\n");
}

TEST_F(Cli, BadQueryRejectedBeforeAnyRequest) {
  EXPECT_EQ(h.Run({"network", "vnet", "create", "-g", "RG1", "-n", "V", "--query", "[?"}), kExitUsage);
  EXPECT_NE(h.err.str().find("argument --query"), std::string::npos);
  EXPECT_TRUE(h.transport.requests.empty());
}

TEST_F(Cli, QueryFailingOnTheDataIsAzsInvalidArgumentValueError) {
  h.transport.On("GET " + GroupUrlPath("RG1") + "/providers/Microsoft.Network/virtualNetworks", 200,
                 {{"value", Json::array({Arm("RG1", "virtualNetworks", "VNet1", {})})}});
  EXPECT_EQ(h.Run({"network", "vnet", "list", "-g", "RG1", "--query", "sum([].name)"}), kExitError);
  EXPECT_EQ(
      h.err.str(),
      "ERROR: Invalid jmespath query supplied for `--query`: In function sum(), invalid type for value: "
      "'VNet1', expected one of: ['array-number'], received: \"string\"\n"
      "To learn more about --query, please visit: "
      "'https://docs.microsoft.com/cli/azure/query-azure-cli'\n");
  EXPECT_EQ(h.out.str(), "");
  ASSERT_EQ(
      h.Run({"network", "vnet", "list", "-g", "RG1", "--query", "sort_by(@, &name)[].name", "-o", "tsv"}), 0)
      << h.err.str();
  EXPECT_EQ(h.out.str(), "VNet1\n");
}

TEST_F(Cli, ShowByIdsFetchesEachId) {
  const std::string a = NetPath("RG1", "virtualNetworks", "A"), b = NetPath("RG2", "virtualNetworks", "B");
  h.transport.On("GET " + a, 200, Arm("RG1", "virtualNetworks", "A", {}));
  h.transport.On("GET " + b, 200, Arm("RG2", "virtualNetworks", "B", {}));
  ASSERT_EQ(h.Run({"network", "vnet", "show", "--ids", a, b, "--query", "[].resourceGroup", "-o", "tsv"}), 0)
      << h.err.str();
  EXPECT_EQ(h.out.str(), "RG1\nRG2\n");
  // No subscription lookup: the ids carry it.
  EXPECT_TRUE(h.transport.Sent("GET /subscriptions").empty());
}

TEST_F(Cli, VnetUpdateReplacesPrefixesAndKeepsSubnets) {
  const std::string path = NetPath("RG1", "virtualNetworks", "VNet1");
  Json subnet = {{"name", "FrontEnd"},
                 {"properties", {{"addressPrefix", "10.11.0.0/24"}, {"provisioningState", "Succeeded"}}}};
  h.transport.On(
      "GET " + path, 200,
      Arm("RG1", "virtualNetworks", "VNet1",
          {{"addressSpace", {{"addressPrefixes", {"10.11.0.0/16"}}}}, {"subnets", Json::array({subnet})}}));
  h.transport.On("PUT " + path, 200, Arm("RG1", "virtualNetworks", "VNet1", {}));
  ASSERT_EQ(h.Run({"network", "vnet", "update", "-g", "RG1", "-n", "VNet1", "--address-prefixes",
                   "10.11.0.0/16", "10.12.0.0/16"}),
            0)
      << h.err.str();
  Json body = SentBody("PUT " + path);
  EXPECT_EQ(body["properties"]["addressSpace"]["addressPrefixes"], Json({"10.11.0.0/16", "10.12.0.0/16"}));
  EXPECT_EQ(body["properties"]["subnets"][0]["name"], "FrontEnd");
  EXPECT_FALSE(body["properties"]["subnets"][0]["properties"].contains("provisioningState"));
}

TEST_F(Cli, GroupCommands) {
  h.transport.On("PUT " + GroupUrlPath("RG9"), 201,
                 {{"id", GroupUrlPath("RG9")},
                  {"name", "RG9"},
                  {"location", "eastus"},
                  {"properties", {{"provisioningState", "Succeeded"}}}});
  ASSERT_EQ(h.Run({"group", "create", "-n", "RG9", "-l", "eastus", "--tags", "env=test", "owner"}), 0)
      << h.err.str();
  EXPECT_EQ(SentBody("PUT " + GroupUrlPath("RG9")),
            Json({{"location", "eastus"}, {"tags", {{"env", "test"}, {"owner", ""}}}}));
  EXPECT_NE(h.transport.Sent("PUT " + GroupUrlPath("RG9"))[0].url.find("api-version=2022-09-01"),
            std::string::npos);
  EXPECT_EQ(h.OutJson()["properties"]["provisioningState"], "Succeeded");

  ASSERT_EQ(h.Run({"group", "exists", "-n", "RG1"}), 0);
  EXPECT_EQ(h.out.str(), "true\n");
  ASSERT_EQ(h.Run({"group", "exists", "-n", "Nope"}), 0);  // the fake answers 404 for unknown routes
  EXPECT_EQ(h.out.str(), "false\n");
}

TEST_F(Cli, GroupDeleteAsksUnlessYes) {
  h.transport.On("DELETE " + GroupUrlPath("RG1"), 202, nullptr,
                 {{"Azure-AsyncOperation", std::string(testing::kEndpoint) + kOpPath}});
  h.transport.On(std::string("GET ") + kOpPath, 200, {{"status", "Succeeded"}});
  h.in.str("n\n");
  ASSERT_EQ(h.Run({"group", "delete", "-n", "RG1"}), 0);
  EXPECT_TRUE(h.transport.Sent("DELETE " + GroupUrlPath("RG1")).empty());
  ASSERT_EQ(h.Run({"group", "delete", "-n", "RG1", "--yes"}), 0) << h.err.str();
  EXPECT_EQ(h.transport.Sent("DELETE " + GroupUrlPath("RG1")).size(), 1u);
  EXPECT_EQ(h.transport.Sent(std::string("GET ") + kOpPath).size(), 1u);
}

TEST_F(Cli, AccountSetPersistsAndSubscriptionFlagOverrides) {
  auto dir = std::filesystem::temp_directory_path() / ("isthmus-cli-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  h.settings.config_dir = dir.string();
  ASSERT_EQ(h.Run({"account", "set", "-s", "Isthmus"}), 0) << h.err.str();
  ASSERT_TRUE(std::filesystem::exists(dir / "config.json"));

  h.transport.requests.clear();
  const std::string other = "99999999-2222-3333-4444-555555555555";
  h.transport.On(std::string("GET /subscriptions/") + kSub + "/resourcegroups", 200,
                 {{"value", Json::array()}});
  h.transport.On("GET /subscriptions/" + other + "/resourcegroups", 200, {{"value", Json::array()}});
  ASSERT_EQ(h.Run({"group", "list"}), 0) << h.err.str();
  ASSERT_EQ(h.Run({"group", "list", "--subscription", other}), 0) << h.err.str();
  EXPECT_EQ(h.transport.Sent(std::string("GET /subscriptions/") + kSub + "/resourcegroups").size(), 1u);
  EXPECT_EQ(h.transport.Sent("GET /subscriptions/" + other + "/resourcegroups").size(), 1u);
  EXPECT_TRUE(h.transport.Sent("GET /subscriptions").empty());  // the saved GUID needs no lookup

  ASSERT_EQ(h.Run({"account", "show", "--query", "isDefault"}), 0);
  EXPECT_EQ(h.out.str(), "true\n");
  EXPECT_EQ(h.Run({"account", "set", "-s", "NoSuchSub"}), kExitUsage);
  std::filesystem::remove_all(dir);
}

TEST_F(Cli, UnreachableDaemonIsAClearError) {
  h.transport.refuse = true;
  EXPECT_EQ(h.Run({"group", "list"}), kExitError);
  EXPECT_NE(h.err.str().find("cannot reach isthmusd"), std::string::npos);
}

TEST_F(Cli, UnreadableTokenFileIsAClearError) {
  h.settings.token.reset();
  h.settings.state_dir = "/nonexistent-isthmus-state";
  EXPECT_EQ(h.Run({"group", "list"}), kExitError);
  EXPECT_NE(h.err.str().find("/nonexistent-isthmus-state/token"), std::string::npos) << h.err.str();
  EXPECT_TRUE(h.transport.requests.empty());
}

}  // namespace
}  // namespace isthmus::cli
