// Rules on network interfaces and virtual machines: private addresses, MACs, GatewaySubnet, and what is in
// use when something is deleted.
#include <regex>
#include <set>

#include <fmt/format.h>

#include "model_fixture.h"

namespace isthmus::mgmt::testing {
namespace {

class VmRules : public ModelTest {
 protected:
  void SetUp() override {
    PutExpectOk(Group("rg"), {{"location", "westus"}});
    PutExpectOk(
        Net(Kind::kVirtualNetwork, "rg", "v1"),
        VnetBody({"10.1.0.0/16"},
                 {{"default", "10.1.0.0/24"}, {"small", "10.1.1.0/29"}, {"GatewaySubnet", "10.1.255.0/27"}}));
  }
  static ResourceId Nic(const std::string& n, const std::string& rg = "rg") {
    return Net(Kind::kNetworkInterface, rg, n);
  }
  static ResourceId Vm(const std::string& n, const std::string& rg = "rg") {
    return Net(Kind::kVirtualMachine, rg, n);
  }
  const Json& Doc(const ResourceId& id) { return state_.Find(id)->doc; }
  std::string Address(const ResourceId& nic) {
    return Doc(nic)["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"];
  }
  std::string PutNic(const std::string& n, const std::string& subnet = "default",
                     const std::string& ip = "") {
    auto p = PutExpectOk(Nic(n), NicBody("rg", "v1", subnet, ip));
    return p ? Address(Nic(n)) : "";
  }
  // What the reconciler does once the fabric removed a VM.
  void FinishDeletes() {
    Planner planner(state_, Ctx());
    std::vector<Change> changes;
    for (const Resource* r : state_.List(Kind::kVirtualMachine, kSub)) {
      if (r->doc["properties"]["provisioningState"] == kDeleting) {
        for (auto& c : planner.FinishDelete(*r)) changes.push_back(std::move(c));
      }
    }
    state_.Apply(changes);
  }
};

// ---- Private addresses ----------------------------------------------------------------------------------

TEST_F(VmRules, DynamicAllocationStartsAtFourAndSkipsTakenAddresses) {
  EXPECT_EQ(PutNic("n1"), "10.1.0.4");
  EXPECT_EQ(PutNic("n2", "default", "10.1.0.5"), "10.1.0.5");
  EXPECT_EQ(PutNic("n3"), "10.1.0.6");
  ASSERT_TRUE(Delete(Nic("n1")));
  EXPECT_EQ(PutNic("n4"), "10.1.0.4") << "a freed address is the first free one again";
  // An update keeps a dynamic address where it is.
  EXPECT_EQ(PutNic("n3"), "10.1.0.6");
  const auto& cfg = Doc(Nic("n3"))["properties"]["ipConfigurations"][0];
  EXPECT_EQ(cfg["properties"]["privateIPAllocationMethod"], "Dynamic");
  EXPECT_EQ(cfg["properties"]["subnet"]["id"], Subnet("rg", "v1", "default").ToString());
  EXPECT_EQ(cfg["id"], Nic("n3").ToString() + "/ipConfigurations/ipconfig1");
  EXPECT_EQ(Doc(Nic("n3"))["properties"]["provisioningState"], "Succeeded") << "NICs are synchronous";
}

TEST_F(VmRules, StaticAddressOutsideTheSubnetIsRefused) {
  ExpectError(Put(Nic("n"), NicBody("rg", "v1", "default", "10.1.1.4")), "PrivateIPAddressNotInSubnet",
              {"10.1.1.4", "default", "10.1.0.0/24"});
  ExpectError(Put(Nic("n"), NicBody("rg", "v1", "default", "192.168.0.4")), "PrivateIPAddressNotInSubnet");
  ExpectError(Put(Nic("n"), NicBody("rg", "v1", "default", "not-an-ip")), "InvalidPrivateIPAddress");
  EXPECT_EQ(state_.Find(Nic("n")), nullptr);
}

TEST_F(VmRules, StaticReservedAddressesAreRefused) {
  for (const char* a : {"10.1.0.0", "10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.255"}) {
    ExpectError(Put(Nic("n"), NicBody("rg", "v1", "default", a)), "PrivateIPAddressInReservedRange",
                {a, "10.1.0.4", "10.1.0.254"});
  }
  EXPECT_EQ(PutNic("n", "default", "10.1.0.254"), "10.1.0.254");
}

TEST_F(VmRules, StaticAddressTakenByAnotherNicIsRefused) {
  EXPECT_EQ(PutNic("n1"), "10.1.0.4");
  auto r = Put(Nic("n2"), NicBody("rg", "v1", "default", "10.1.0.4"));
  ExpectError(r, "PrivateIPAddressInUse", {"10.1.0.4", Nic("n1").ToString() + "/ipConfigurations/ipconfig1"});
  EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
  // Its own address is not "taken" when a NIC is updated.
  EXPECT_EQ(PutNic("n1", "default", "10.1.0.4"), "10.1.0.4");
  EXPECT_EQ(Doc(Nic("n1"))["properties"]["ipConfigurations"][0]["properties"]["privateIPAllocationMethod"],
            "Static");
}

TEST_F(VmRules, FullSubnetIsAClearError) {
  // A /29 has eight addresses; five are Azure's, three are left: .4, .5, .6.
  EXPECT_EQ(PutNic("a", "small"), "10.1.1.4");
  EXPECT_EQ(PutNic("b", "small"), "10.1.1.5");
  EXPECT_EQ(PutNic("c", "small"), "10.1.1.6");
  ExpectError(Put(Nic("d"), NicBody("rg", "v1", "small")), "SubnetIsFull", {"small", "10.1.1.0/29"});
}

// ---- Where a NIC may live ------------------------------------------------------------------------------

TEST_F(VmRules, GatewaySubnetIsRefused) {
  ExpectError(Put(Nic("n"), NicBody("rg", "v1", "GatewaySubnet")), "VmInGatewaySubnetNotAllowed",
              {"GatewaySubnet", "v1"});
  ExpectError(Put(Nic("n"), NicBody("rg", "v1", "GatewaySubnet", "10.1.255.4")),
              "VmInGatewaySubnetNotAllowed");
}

TEST_F(VmRules, NicNeedsAnExistingSubnetInItsLocation) {
  ExpectError(Put(Nic("n"), NicBody("rg", "v1", "nope")), "InvalidResourceReference", {"nope"});
  ExpectError(Put(Nic("n"), NicBody("rg", "v1", "default", "", "eastus")), "NicAndVnetInDifferentLocations",
              {"eastus", "westus"});
  Json two = NicBody("rg", "v1", "default");
  two["properties"]["ipConfigurations"].push_back(two["properties"]["ipConfigurations"][0]);
  ExpectError(Put(Nic("n"), two), "InvalidIpConfigurationCount");
  Json with_pip = NicBody("rg", "v1", "default");
  with_pip["properties"]["ipConfigurations"][0]["properties"]["publicIPAddress"] = {
      {"id", Net(Kind::kPublicIpAddress, "rg", "ip").ToString()}};
  ExpectError(Put(Nic("n"), with_pip), "PublicIPAddressOnNicNotSupported");
}

TEST_F(VmRules, MacAddressesHaveAzuresFormatAndAreUnique) {
  const std::regex format("^00-0D-3A-[0-9A-F]{2}-[0-9A-F]{2}-[0-9A-F]{2}$");
  std::set<std::string> seen;
  for (const char* n : {"n1", "n2", "n3", "n4"}) {
    PutNic(n);
    std::string mac = Doc(Nic(n))["properties"]["macAddress"];
    EXPECT_TRUE(std::regex_match(mac, format)) << mac;
    EXPECT_TRUE(seen.insert(mac).second) << "duplicate " << mac;
  }
  const std::string before = Doc(Nic("n2"))["properties"]["macAddress"];
  PutNic("n2", "default", "10.1.0.100");
  EXPECT_EQ(Doc(Nic("n2"))["properties"]["macAddress"], before) << "an update keeps the MAC";
}

TEST_F(VmRules, MacCollisionDrawsAgain) {
  PutNic("n1");
  const std::string first = Doc(Nic("n1"))["properties"]["macAddress"];
  // A generator that repeats itself once: the planner must not hand out the same MAC twice.
  int calls = 0;
  PlanContext ctx = Ctx();
  const std::string repeated =
      "00000000-0000-4000-8000-000000" + first.substr(9, 2) + first.substr(12, 2) + first.substr(15, 2);
  ctx.new_guid = [&, n = 0]() mutable {
    ++calls;
    return n++ < 3 ? repeated : fmt::format("00000000-0000-4000-8000-{:012}", 900000 + n);
  };
  Planner planner(state_, ctx);
  auto plan = planner.Put(Nic("n2"), NicBody("rg", "v1", "default"));
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_NE(plan->result.doc["properties"]["macAddress"], first);
  EXPECT_GT(calls, 3);
}

TEST_F(VmRules, SubnetListsTheIpConfigurationsOfItsNics) {
  PutNic("n1");
  PutNic("n2");
  const Json* subnet = state_.FindSubnet(Subnet("rg", "v1", "default"));
  ASSERT_NE(subnet, nullptr);
  Json expected = Json::array({{{"id", Nic("n1").ToString() + "/ipConfigurations/ipconfig1"}},
                               {{"id", Nic("n2").ToString() + "/ipConfigurations/ipconfig1"}}});
  EXPECT_EQ((*subnet)["properties"]["ipConfigurations"], expected);
  EXPECT_FALSE(state_.FindSubnet(Subnet("rg", "v1", "small"))->at("properties").contains("ipConfigurations"));
  // A VNet PUT (what `vnet update` sends back) keeps the list, and so does a subnet PUT.
  PutExpectOk(
      Net(Kind::kVirtualNetwork, "rg", "v1"),
      VnetBody({"10.1.0.0/16", "10.9.0.0/16"},
               {{"default", "10.1.0.0/24"}, {"small", "10.1.1.0/29"}, {"GatewaySubnet", "10.1.255.0/27"}}));
  EXPECT_EQ(state_.FindSubnet(Subnet("rg", "v1", "default"))->at("properties")["ipConfigurations"], expected);
  PutExpectOk(Subnet("rg", "v1", "default"), {{"properties", {{"addressPrefix", "10.1.0.0/24"}}}});
  EXPECT_EQ(state_.FindSubnet(Subnet("rg", "v1", "default"))->at("properties")["ipConfigurations"], expected);
  // Moving a NIC to another subnet moves its entry.
  PutExpectOk(Nic("n2"), NicBody("rg", "v1", "small"));
  EXPECT_EQ(state_.FindSubnet(Subnet("rg", "v1", "default"))->at("properties")["ipConfigurations"].size(),
            1u);
  EXPECT_EQ(state_.FindSubnet(Subnet("rg", "v1", "small"))->at("properties")["ipConfigurations"][0]["id"],
            Nic("n2").ToString() + "/ipConfigurations/ipconfig1");
  EXPECT_EQ(Address(Nic("n2")), "10.1.1.4") << "a new subnet, a new dynamic address";
  ASSERT_TRUE(Delete(Nic("n1")));
  ASSERT_TRUE(Delete(Nic("n2")));
  EXPECT_FALSE(
      state_.FindSubnet(Subnet("rg", "v1", "default"))->at("properties").contains("ipConfigurations"));
}

// ---- In use ----------------------------------------------------------------------------------------------

TEST_F(VmRules, SubnetOrVnetWithNicsCannotBeDeletedOrReaddressed) {
  PutNic("n1");
  const std::string cfg = Nic("n1").ToString() + "/ipConfigurations/ipconfig1";
  ExpectError(Delete(Subnet("rg", "v1", "default")), "InUseSubnetCannotBeDeleted", {"default", cfg});
  ExpectError(Delete(Net(Kind::kVirtualNetwork, "rg", "v1")), "InUseSubnetCannotBeDeleted", {"default", cfg});
  ExpectError(Put(Net(Kind::kVirtualNetwork, "rg", "v1"),
                  VnetBody({"10.1.0.0/16"}, {{"small", "10.1.1.0/29"}, {"GatewaySubnet", "10.1.255.0/27"}})),
              "InUseSubnetCannotBeDeleted", {"default", cfg});
  ExpectError(Put(Subnet("rg", "v1", "default"), {{"properties", {{"addressPrefix", "10.1.0.0/25"}}}}),
              "InUseSubnetCannotBeUpdated", {"default", cfg});
  // Other subnets stay free to change.
  PutExpectOk(Subnet("rg", "v1", "small"), {{"properties", {{"addressPrefix", "10.1.2.0/29"}}}});
  ASSERT_TRUE(Delete(Nic("n1")));
  auto gone = Delete(Subnet("rg", "v1", "default"));
  ASSERT_TRUE(gone) << gone.error().message;
  EXPECT_EQ(state_.FindSubnet(Subnet("rg", "v1", "default")), nullptr);
}

// ---- Virtual machines ------------------------------------------------------------------------------------

TEST_F(VmRules, VmIsAsynchronousAndItsNicKnowsIt) {
  PutNic("n1");
  auto p = PutExpectOk(Vm("vm1"), VmBody(Nic("n1")));
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->async);
  EXPECT_TRUE(p->created);
  const Json vm = Doc(Vm("vm1"));
  EXPECT_EQ(vm["type"], "Microsoft.Compute/virtualMachines");
  EXPECT_EQ(vm["id"], "/subscriptions/" + std::string(kSub) +
                          "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1");
  EXPECT_EQ(vm["properties"]["provisioningState"], "Updating");
  EXPECT_EQ(vm["properties"]["hardwareProfile"]["vmSize"], "Standard_B1s");
  EXPECT_EQ(vm["properties"]["osProfile"]["computerName"], "vm1");
  EXPECT_EQ(vm["properties"]["storageProfile"]["imageReference"]["sku"], "22_04-lts-gen2");
  EXPECT_EQ(vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"], Nic("n1").ToString());
  EXPECT_EQ(vm["properties"]["vmId"].get<std::string>().size(), 36u);
  EXPECT_EQ(Doc(Nic("n1"))["properties"]["virtualMachine"]["id"], Vm("vm1").ToString());
  Provision();
  EXPECT_EQ(Doc(Vm("vm1"))["properties"]["provisioningState"], "Succeeded");
  // Defaults: the size, the computer name; a PUT without an image keeps the one it has.
  Json bare = VmBody(Nic("n1"));
  bare["properties"].erase("hardwareProfile");
  bare["properties"].erase("storageProfile");
  PutExpectOk(Vm("vm1"), bare);
  EXPECT_EQ(Doc(Vm("vm1"))["properties"]["hardwareProfile"]["vmSize"], "Standard_B1s");
  EXPECT_EQ(Doc(Vm("vm1"))["properties"]["storageProfile"]["imageReference"]["offer"],
            "0001-com-ubuntu-server-jammy");
  EXPECT_EQ(Doc(Vm("vm1"))["properties"]["vmId"], vm["properties"]["vmId"]) << "vmId is stable";
}

TEST_F(VmRules, VmSecretsAreNotStoredAndImmutablePropertiesStay) {
  PutNic("n1");
  Json body = VmBody(Nic("n1"));
  body["properties"]["osProfile"] = {
      {"computerName", "host1"}, {"adminUsername", "azureuser"}, {"adminPassword", "Pa55w0rd!Pa55w0rd"}};
  PutExpectOk(Vm("vm1"), body);
  EXPECT_EQ(Doc(Vm("vm1")).dump().find("Pa55w0rd"), std::string::npos);
  EXPECT_EQ(Doc(Vm("vm1"))["properties"]["osProfile"]["adminUsername"], "azureuser");
  Provision();
  Json other = body;
  other["properties"]["osProfile"]["computerName"] = "host2";
  ExpectError(Put(Vm("vm1"), other), "PropertyChangeNotAllowed", {"computerName"});
  Json image = body;
  image["properties"]["storageProfile"]["imageReference"]["sku"] = "20_04-lts";
  ExpectError(Put(Vm("vm1"), image), "PropertyChangeNotAllowed", {"imageReference"});
}

TEST_F(VmRules, VmReferencingAMissingOrWrongNicIsRefused) {
  ExpectError(Put(Vm("vm1"), VmBody(Nic("nope"))), "InvalidResourceReference", {"nope"});
  ExpectError(Put(Vm("vm1"), VmBody(Subnet("rg", "v1", "default"))), "InvalidParameter",
              {"not the ID of a network interface"});
  Json none = VmBody(Nic("n1"));
  none["properties"].erase("networkProfile");
  ExpectError(Put(Vm("vm1"), none), "MissingRequiredProperty", {"networkInterfaces"});
  PutNic("n1");
  PutNic("n2");
  Json two = VmBody(Nic("n1"));
  two["properties"]["networkProfile"]["networkInterfaces"].push_back({{"id", Nic("n2").ToString()}});
  ExpectError(Put(Vm("vm1"), two), "InvalidParameter", {"exactly one network interface"});
  ExpectError(Put(Vm("vm1"), VmBody(Nic("n1"), "eastus")), "NicAndVmInDifferentLocations",
              {"eastus", "westus"});
  Json no_location = VmBody(Nic("n1"));
  no_location.erase("location");
  ExpectError(Put(Vm("vm1"), no_location), "LocationRequired");
  EXPECT_EQ(state_.Find(Vm("vm1")), nullptr);
  EXPECT_FALSE(Doc(Nic("n1"))["properties"].contains("virtualMachine"));
}

TEST_F(VmRules, NicServesOneVm) {
  PutNic("n1");
  PutExpectOk(Vm("vm1"), VmBody(Nic("n1")));
  Provision();
  auto r = Put(Vm("vm2"), VmBody(Nic("n1")));
  ExpectError(r, "NicInUse", {Nic("n1").ToString(), Vm("vm1").ToString()});
  EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
  // A VM moved to another NIC releases the first one.
  PutNic("n2");
  PutExpectOk(Vm("vm1"), VmBody(Nic("n2")));
  EXPECT_FALSE(Doc(Nic("n1"))["properties"].contains("virtualMachine"));
  EXPECT_EQ(Doc(Nic("n2"))["properties"]["virtualMachine"]["id"], Vm("vm1").ToString());
}

TEST_F(VmRules, NicUsedByAVmCannotBeDeletedAndStaysWhenTheVmGoes) {
  PutNic("n1");
  PutExpectOk(Vm("vm1"), VmBody(Nic("n1")));
  Provision();
  ExpectError(Delete(Nic("n1")), "NicInUse", {Nic("n1").ToString(), Vm("vm1").ToString()});
  auto d = Delete(Vm("vm1"));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_TRUE(d->async);
  EXPECT_EQ(Doc(Vm("vm1"))["properties"]["provisioningState"], "Deleting");
  ExpectError(Delete(Nic("n1")), "NicInUse");  // until the fabric has removed the VM
  FinishDeletes();
  EXPECT_EQ(state_.Find(Vm("vm1")), nullptr);
  ASSERT_NE(state_.Find(Nic("n1")), nullptr) << "the NIC stays, as in Azure";
  EXPECT_FALSE(Doc(Nic("n1"))["properties"].contains("virtualMachine"));
  ASSERT_TRUE(Delete(Nic("n1")));
  EXPECT_EQ(state_.Find(Nic("n1")), nullptr);
}

TEST_F(VmRules, GroupDeletionTakesVmsAndNicsAndCrossGroupUseBlocksIt) {
  PutNic("n1");
  PutExpectOk(Group("rg2"), {{"location", "westus"}});
  PutExpectOk(Vm("vm2", "rg2"), VmBody(Nic("n1")));
  Provision();
  // rg holds the NIC that rg2's VM uses: rg cannot go; rg2 can (the NIC's back-reference does not hold it).
  ExpectError(Delete(Group("rg")), "ResourceGroupInUse", {"vm2", "n1"});
  auto d2 = Delete(Group("rg2"));
  ASSERT_TRUE(d2) << d2.error().message;
  EXPECT_EQ(Doc(Vm("vm2", "rg2"))["properties"]["provisioningState"], "Deleting");
  FinishDeletes();
  EXPECT_FALSE(Doc(Nic("n1"))["properties"].contains("virtualMachine"));

  PutExpectOk(Vm("vm1"), VmBody(Nic("n1")));
  Provision();
  auto d = Delete(Group("rg"));
  ASSERT_TRUE(d) << d.error().message;
  for (const auto& id : {Vm("vm1"), Nic("n1"), Net(Kind::kVirtualNetwork, "rg", "v1")}) {
    EXPECT_EQ(Doc(id)["properties"]["provisioningState"], "Deleting") << id.ToString();
  }
}

TEST_F(VmRules, VmNamesFollowAzuresLimit) {
  PutNic("n1");
  ExpectError(Put(Vm(std::string(65, 'a')), VmBody(Nic("n1"))), "InvalidResourceName", {"1-64"});
  PutExpectOk(Vm(std::string(64, 'a')), VmBody(Nic("n1")));
  ExpectError(Put(Vm("bad_name_"), VmBody(Nic("n1"))), "InvalidParameter", {"Computer name"});
}

}  // namespace
}  // namespace isthmus::mgmt::testing
