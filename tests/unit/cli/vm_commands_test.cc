// `vm ...`, `network nic ...` and the public-ip SKU default, through RunCli against a fake transport:
// request bodies and their order, polling, az's output shapes and table columns.
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
    "/subscriptions/11111111-2222-3333-4444-555555555555/providers/Microsoft.Compute/locations/"
    "westus2/operations/op1";

std::string VmUrlPath(const std::string& rg, const std::string& name) {
  return GroupUrlPath(rg) + "/providers/Microsoft.Compute/virtualMachines/" + name;
}

Json NicDoc(const std::string& rg, const std::string& name, const std::string& ip, const std::string& mac) {
  return {
      {"id", NetPath(rg, "networkInterfaces", name)},
      {"name", name},
      {"type", "Microsoft.Network/networkInterfaces"},
      {"location", "westus2"},
      {"properties",
       {{"provisioningState", "Succeeded"},
        {"macAddress", mac},
        {"ipConfigurations",
         Json::array(
             {{{"name", "ipconfig1"},
               {"properties",
                {{"privateIPAddress", ip},
                 {"privateIPAllocationMethod", "Dynamic"},
                 {"subnet", {{"id", NetPath(rg, "virtualNetworks", "VNet1") + "/subnets/default"}}}}}}})}}}};
}

Json VmDoc(const std::string& rg, const std::string& name, const std::string& state) {
  return {{"id", VmUrlPath(rg, name)},
          {"name", name},
          {"type", "Microsoft.Compute/virtualMachines"},
          {"location", "westus2"},
          {"properties",
           {{"provisioningState", state},
            {"hardwareProfile", {{"vmSize", "Standard_B1s"}}},
            {"networkProfile",
             {{"networkInterfaces",
               Json::array({{{"id", NetPath(rg, "networkInterfaces", name + "VMNic")}}})}}}}}};
}

Json RunningView() {
  return Json::parse(R"({"computerName":"vm1","statuses":[
      {"code":"ProvisioningState/succeeded","level":"Info","displayStatus":"Provisioning succeeded"},
      {"code":"PowerState/running","level":"Info","displayStatus":"VM running"}]})");
}

struct VmCli : ::testing::Test {
  void SetUp() override {
    h.transport.On("GET " + GroupUrlPath("RG1"), 200, {{"name", "RG1"}, {"location", "westus2"}});
  }
  Json SentBody(const std::string& key, std::size_t i = 0) {
    auto sent = h.transport.Sent(key);
    EXPECT_GT(sent.size(), i) << key;
    return sent.size() > i ? Json::parse(sent[i].body) : Json();
  }
  // A VM PUT that is accepted, polled once and then Succeeded.
  void CannedCreate(const std::string& name) {
    h.transport.On("PUT " + NetPath("RG1", "networkInterfaces", name + "VMNic"), 201,
                   NicDoc("RG1", name + "VMNic", "10.1.0.4", "00-0D-3A-11-22-33"));
    h.transport.On(
        "PUT " + VmUrlPath("RG1", name), 201, VmDoc("RG1", name, "Updating"),
        {{"Azure-AsyncOperation", std::string(testing::kEndpoint) + kOpPath + "?api-version=2022-11-01"},
         {"Retry-After", "1"}});
    h.transport.On(std::string("GET ") + kOpPath, 200, {{"status", "Succeeded"}});
    h.transport.On("GET " + VmUrlPath("RG1", name), 200, VmDoc("RG1", name, "Succeeded"));
    h.transport.On("GET " + VmUrlPath("RG1", name) + "/instanceView", 200, RunningView());
  }
  Harness h;
};

TEST_F(VmCli, CreatePutsTheNicThenTheVmAndPrintsAzsSummary) {
  CannedCreate("vm1");
  int rc = h.Run({"vm",
                  "create",
                  "-g",
                  "RG1",
                  "-n",
                  "vm1",
                  "--vnet-name",
                  "VNet1",
                  "--subnet",
                  "default",
                  "--image",
                  "Ubuntu2204",
                  "--admin-username",
                  "azureuser",
                  "--generate-ssh-keys",
                  "--authentication-type",
                  "ssh",
                  "--nsg",
                  "",
                  "--public-ip-address",
                  ""});
  ASSERT_EQ(rc, 0) << h.err.str();
  EXPECT_EQ(h.err.str(), "") << "empty --nsg/--public-ip-address are silently accepted";

  // The NIC first, then the VM.
  std::vector<std::string> writes;
  for (const auto& r : h.transport.requests) {
    if (r.method == "PUT") writes.push_back(testing::RouteKey(r));
  }
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0], "PUT " + NetPath("RG1", "networkInterfaces", "vm1VMNic"));
  EXPECT_EQ(writes[1], "PUT " + VmUrlPath("RG1", "vm1"));
  EXPECT_EQ(
      SortedKeys(SentBody("PUT " + NetPath("RG1", "networkInterfaces", "vm1VMNic"))),
      SortedKeys(Json::parse(R"({"location":"westus2","properties":{"ipConfigurations":[{"name":"ipconfigvm1",
                "properties":{"privateIPAllocationMethod":"Dynamic","subnet":{"id":")" +
                             NetPath("RG1", "virtualNetworks", "VNet1") + R"(/subnets/default"}}}]}})")));
  Json vm = SentBody("PUT " + VmUrlPath("RG1", "vm1"));
  EXPECT_EQ(vm["location"], "westus2");
  EXPECT_EQ(vm["properties"]["hardwareProfile"]["vmSize"], "Standard_B1s");
  EXPECT_EQ(
      vm["properties"]["storageProfile"]["imageReference"],
      Json::parse(R"({"publisher":"Canonical","offer":"0001-com-ubuntu-server-jammy","sku":"22_04-lts-gen2",
                            "version":"latest"})"));
  EXPECT_EQ(vm["properties"]["osProfile"], Json({{"computerName", "vm1"}}));
  EXPECT_EQ(vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"],
            NetPath("RG1", "networkInterfaces", "vm1VMNic"));
  EXPECT_NE(h.transport.Sent("PUT " + VmUrlPath("RG1", "vm1"))[0].url.find("api-version=2022-11-01"),
            std::string::npos);
  EXPECT_EQ(h.transport.Sent(std::string("GET ") + kOpPath).size(), 1u) << "it waited for provisioning";

  EXPECT_EQ(h.OutJson(), Json::parse(R"({"fqdns":"","id":")" + VmUrlPath("RG1", "vm1") +
                                     R"(","location":"westus2","macAddress":"00-0D-3A-11-22-33",
      "powerState":"VM running","privateIpAddress":"10.1.0.4","publicIpAddress":"","resourceGroup":"RG1",
      "zones":""})"));
}

TEST_F(VmCli, CreateWithSubnetIdStaticAddressAndNoWait) {
  CannedCreate("vm2");
  const std::string subnet = NetPath("RG2", "virtualNetworks", "Other") + "/subnets/back";
  ASSERT_EQ(
      h.Run({"vm", "create", "-g", "RG1", "-n", "vm2", "--subnet", subnet, "--private-ip-address",
             "10.2.0.10", "--size", "Standard_B2s", "--image", "Canonical:ubuntu-24_04-lts:server:latest",
             "-l", "eastus", "--nsg", "vm2NSG", "--no-wait"}),
      0)
      << h.err.str();
  EXPECT_EQ(h.out.str(), "") << "--no-wait prints nothing";
  EXPECT_TRUE(h.transport.Sent(std::string("GET ") + kOpPath).empty());
  EXPECT_NE(h.err.str().find("WARNING: --nsg 'vm2NSG' is ignored"), std::string::npos) << h.err.str();
  Json cfg =
      SentBody("PUT " + NetPath("RG1", "networkInterfaces", "vm2VMNic"))["properties"]["ipConfigurations"][0];
  EXPECT_EQ(cfg["properties"]["subnet"]["id"], subnet);
  EXPECT_EQ(cfg["properties"]["privateIPAllocationMethod"], "Static");
  EXPECT_EQ(cfg["properties"]["privateIPAddress"], "10.2.0.10");
  Json vm = SentBody("PUT " + VmUrlPath("RG1", "vm2"));
  EXPECT_EQ(vm["location"], "eastus");
  EXPECT_EQ(vm["properties"]["hardwareProfile"]["vmSize"], "Standard_B2s");
  EXPECT_EQ(vm["properties"]["storageProfile"]["imageReference"]["offer"], "ubuntu-24_04-lts");
}

TEST_F(VmCli, CreateRefusesWhatItCannotPlaceBeforeSendingAnything) {
  EXPECT_EQ(h.Run({"vm", "create", "-g", "RG1", "-n", "vm1", "--subnet", "default"}), kExitUsage);
  EXPECT_NE(h.err.str().find("--subnet NAME --vnet-name NAME | --subnet ID"), std::string::npos)
      << h.err.str();
  EXPECT_EQ(h.Run({"vm", "create", "-g", "RG1", "-n", "vm1", "--vnet-name", "VNet1", "--subnet", "default",
                   "--image", "Win2099"}),
            kExitUsage);
  EXPECT_NE(h.err.str().find("Invalid image \"Win2099\""), std::string::npos) << h.err.str();
  for (const auto& r : h.transport.requests) EXPECT_NE(r.method, "PUT");
}

TEST_F(VmCli, ListIpAddressesHasAzsShapeAndTable) {
  h.transport.On(
      "GET " + GroupUrlPath("RG1") + "/providers/Microsoft.Compute/virtualMachines", 200,
      {{"value", Json::array({VmDoc("RG1", "vm1", "Succeeded"), VmDoc("RG1", "vm2", "Succeeded")})}});
  h.transport.On("GET " + NetPath("RG1", "networkInterfaces", "vm1VMNic"), 200,
                 NicDoc("RG1", "vm1VMNic", "10.1.0.4", "00-0D-3A-00-00-01"));
  h.transport.On("GET " + NetPath("RG1", "networkInterfaces", "vm2VMNic"), 200,
                 NicDoc("RG1", "vm2VMNic", "10.1.0.5", "00-0D-3A-00-00-02"));
  ASSERT_EQ(h.Run({"vm", "list-ip-addresses", "-g", "RG1", "-n", "VM2"}), 0) << h.err.str();
  EXPECT_EQ(h.OutJson(),
            Json::parse(R"([{"virtualMachine":{"name":"vm2","network":{"privateIpAddresses":["10.1.0.5"],
                                          "publicIpAddresses":[]},"resourceGroup":"RG1"}}])"));
  ASSERT_EQ(h.Run({"vm", "list-ip-addresses", "-g", "RG1", "-o", "table"}), 0) << h.err.str();
  // az's transform_ip_addresses; an empty public column is left out, as knack leaves out None.
  EXPECT_EQ(h.out.str(),
            "VirtualMachine  PrivateIPAddresses\n"
            "--------------  ------------------\n"
            "vm1             10.1.0.4\n"
            "vm2             10.1.0.5\n");
}

TEST_F(VmCli, ListTableHasAzsColumnsAndShowDetailsAddsTheSummary) {
  h.transport.On("GET " + GroupUrlPath("RG1") + "/providers/Microsoft.Compute/virtualMachines", 200,
                 {{"value", Json::array({VmDoc("RG1", "vm1", "Succeeded")})}});
  ASSERT_EQ(h.Run({"vm", "list", "-g", "RG1", "-o", "table"}), 0) << h.err.str();
  EXPECT_EQ(h.out.str(),
            "Name  ResourceGroup  Location  Zones\n"
            "----  -------------  --------  -----\n"
            "vm1   RG1            westus2\n");
  // A query's own shape wins over the transformer, as in az.
  ASSERT_EQ(h.Run({"vm", "list", "-g", "RG1", "-o", "table", "--query", "[].{N:name}"}), 0);
  EXPECT_EQ(h.out.str(), "N\n---\nvm1\n");

  Json expanded = VmDoc("RG1", "vm1", "Succeeded");
  expanded["properties"]["instanceView"] = RunningView();
  h.transport.On("GET " + VmUrlPath("RG1", "vm1"), 200, expanded);
  h.transport.On("GET " + NetPath("RG1", "networkInterfaces", "vm1VMNic"), 200,
                 NicDoc("RG1", "vm1VMNic", "10.1.0.4", "00-0D-3A-00-00-01"));
  ASSERT_EQ(h.Run({"vm", "show", "-g", "RG1", "-n", "vm1", "-d"}), 0) << h.err.str();
  Json out = h.OutJson();
  EXPECT_EQ(out["powerState"], "VM running");
  EXPECT_EQ(out["privateIps"], "10.1.0.4");
  EXPECT_EQ(out["macAddresses"], "00-0D-3A-00-00-01");
  EXPECT_EQ(out["publicIps"], "");
  EXPECT_EQ(out["fqdns"], "");
  EXPECT_EQ(out["vmSize"], nullptr) << "properties are flattened, hardwareProfile stays an object";
  EXPECT_EQ(out["hardwareProfile"]["vmSize"], "Standard_B1s");
  auto gets = h.transport.Sent("GET " + VmUrlPath("RG1", "vm1"));
  ASSERT_FALSE(gets.empty());
  EXPECT_NE(gets.back().url.find("$expand=instanceView"), std::string::npos) << gets.back().url;
  ASSERT_EQ(h.Run({"vm", "list", "-g", "RG1", "-d", "-o", "table"}), 0) << h.err.str();
  EXPECT_EQ(h.out.str(),
            "Name  ResourceGroup  PowerState  PublicIps  Fqdns  Location  Zones\n"
            "----  -------------  ----------  ---------  -----  --------  -----\n"
            "vm1   RG1            VM running                    westus2\n");
}

TEST_F(VmCli, RunCommandInvokePrintsTheServersAnswer) {
  const std::string run = VmUrlPath("RG1", "vm1") + "/runCommand";
  Json answer = Json::parse(R"({"value":[{"code":"ProvisioningState/succeeded","level":"Info",
      "displayStatus":"Provisioning succeeded","message":"Enable succeeded: \n[stdout]\nhi\n\n[stderr]\n"}]})");
  h.transport.On("POST " + run, 200, answer);
  ASSERT_EQ(h.Run({"vm", "run-command", "invoke", "-g", "RG1", "-n", "vm1", "--command-id", "RunShellScript",
                   "--scripts", "echo hi", "uname -n"}),
            0)
      << h.err.str();
  EXPECT_EQ(SentBody("POST " + run),
            Json::parse(R"({"commandId":"RunShellScript","script":["echo hi","uname -n"]})"));
  EXPECT_EQ(h.OutJson(), SortedKeys(answer));
  ASSERT_EQ(h.Run({"vm", "run-command", "invoke", "-g", "RG1", "-n", "vm1", "--command-id", "RunShellScript",
                   "--scripts", "ping -c 1 10.41.0.4", "--query", "value[0].message", "-o", "tsv"}),
            0);
  EXPECT_EQ(h.out.str(), "Enable succeeded: \n[stdout]\nhi\n\n[stderr]\n\n");
  EXPECT_EQ(h.Run({"vm", "run-command", "invoke", "-g", "RG1", "-n", "vm1", "--scripts", "ls"}), kExitUsage);
  EXPECT_NE(h.err.str().find("--command-id"), std::string::npos);
}

TEST_F(VmCli, DeleteAsksAndLeavesTheNic) {
  h.transport.On("DELETE " + VmUrlPath("RG1", "vm1"), 202, nullptr,
                 {{"Azure-AsyncOperation", std::string(testing::kEndpoint) + kOpPath}});
  h.transport.On(std::string("GET ") + kOpPath, 200, {{"status", "Succeeded"}});
  h.in.str("n\n");
  ASSERT_EQ(h.Run({"vm", "delete", "-g", "RG1", "-n", "vm1"}), 0);
  EXPECT_TRUE(h.transport.Sent("DELETE " + VmUrlPath("RG1", "vm1")).empty());
  ASSERT_EQ(h.Run({"vm", "delete", "-g", "RG1", "-n", "vm1", "-y"}), 0) << h.err.str();
  EXPECT_EQ(h.transport.Sent("DELETE " + VmUrlPath("RG1", "vm1")).size(), 1u);
  for (const auto& r : h.transport.requests) {
    EXPECT_EQ(testing::RouteKey(r).find("networkInterfaces"), std::string::npos) << testing::RouteKey(r);
  }
  // --ids must name a VM.
  EXPECT_EQ(h.Run({"vm", "delete", "--yes", "--ids", NetPath("RG1", "networkInterfaces", "vm1VMNic")}),
            kExitUsage);
  EXPECT_NE(h.err.str().find("Microsoft.Compute/virtualMachines"), std::string::npos) << h.err.str();
}

TEST_F(VmCli, NicShowFlattensLikeAz) {
  h.transport.On("GET " + NetPath("RG1", "networkInterfaces", "vm1VMNic"), 200,
                 NicDoc("RG1", "vm1VMNic", "10.1.0.4", "00-0D-3A-00-00-01"));
  ASSERT_EQ(h.Run({"network", "nic", "show", "-g", "RG1", "-n", "vm1VMNic", "--query",
                   "[macAddress, ipConfigurations[0].privateIPAddress]", "-o", "tsv"}),
            0)
      << h.err.str();
  EXPECT_EQ(h.out.str(), "00-0D-3A-00-00-01\n10.1.0.4\n");  // a list of scalars: one per line, as az
}

// ---- public-ip create: the SKU default of Microsoft's VNet-to-VNet tutorial
// --------------------------------

TEST_F(VmCli, PublicIpDynamicWithoutSkuIsBasicWithAzsWarning) {
  const std::string path = NetPath("RG1", "publicIPAddresses", "VNet1GWIP");
  h.transport.On("PUT " + path, 201,
                 {{"id", path}, {"name", "VNet1GWIP"}, {"properties", {{"provisioningState", "Succeeded"}}}});
  ASSERT_EQ(h.Run({"network", "public-ip", "create", "-n", "VNet1GWIP", "-g", "RG1", "--allocation-method",
                   "Dynamic"}),
            0)
      << h.err.str();
  Json body = SentBody("PUT " + path);
  EXPECT_EQ(body["sku"]["name"], "Basic");
  EXPECT_EQ(body["properties"]["publicIPAllocationMethod"], "Dynamic");
  EXPECT_EQ(h.err.str(),
            "WARNING: Please note that the default public IP used for creation will be changed from Basic to "
            "Standard in the future.\n");

  // No --allocation-method: today's default, Standard and Static, no warning.
  ASSERT_EQ(h.Run({"network", "public-ip", "create", "-n", "VNet1GWIP", "-g", "RG1"}), 0) << h.err.str();
  body = SentBody("PUT " + path, 1);
  EXPECT_EQ(body["sku"]["name"], "Standard");
  EXPECT_EQ(body["properties"]["publicIPAllocationMethod"], "Static");
  EXPECT_EQ(h.err.str(), "");
  // An explicit SKU is taken as given (and the server judges Standard + Dynamic), without the warning.
  ASSERT_EQ(h.Run({"network", "public-ip", "create", "-n", "VNet1GWIP", "-g", "RG1", "--allocation-method",
                   "Dynamic", "--sku", "Basic"}),
            0);
  EXPECT_EQ(h.err.str(), "");
  ASSERT_EQ(h.Run({"network", "public-ip", "create", "-n", "VNet1GWIP", "-g", "RG1", "--allocation-method",
                   "Dynamic", "--only-show-errors"}),
            0);
  EXPECT_EQ(h.err.str(), "");
  EXPECT_EQ(SentBody("PUT " + path, 3)["sku"]["name"], "Basic");
}

}  // namespace
}  // namespace isthmus::cli
