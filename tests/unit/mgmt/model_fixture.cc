#include "model_fixture.h"

#include <fmt/format.h>

namespace isthmus::mgmt::testing {

PlanContext ModelTest::Ctx() {
  return {[this] { return fmt::format("00000000-0000-4000-8000-{:012}", ++guid_); },
          *net::Prefix::Parse("198.18.0.0/15")};
}

Result<Plan> ModelTest::Put(const ResourceId& id, const Json& body) {
  Planner p(state_, Ctx());
  auto plan = p.Put(id, body);
  if (plan) state_.Apply(plan->changes);
  return plan;
}

Result<Plan> ModelTest::PutExpectOk(const ResourceId& id, const Json& body) {
  auto plan = Put(id, body);
  EXPECT_TRUE(plan.has_value()) << id.ToString() << ": " << (plan ? "" : plan.error().message);
  return plan;
}

Result<Plan> ModelTest::Delete(const ResourceId& id) {
  Planner p(state_, Ctx());
  auto plan = p.Delete(id);
  if (plan) state_.Apply(plan->changes);
  return plan;
}

void ModelTest::Provision() {
  std::vector<Change> changes;
  for (Kind k : {Kind::kVirtualNetworkGateway, Kind::kConnection, Kind::kVirtualMachine}) {
    for (const Resource* r : state_.List(k, kSub)) {
      if (r->doc["properties"]["provisioningState"] == kUpdating) {
        Resource m = *r;
        m.doc["properties"]["provisioningState"] = kSucceeded;
        changes.push_back({m.id.Key(), m});
      }
    }
  }
  state_.Apply(changes);
}

Json ModelTest::VnetBody(std::vector<std::string> prefixes,
                         std::vector<std::pair<std::string, std::string>> subnets) {
  Json s = Json::array();
  for (const auto& [name, prefix] : subnets)
    s.push_back({{"name", name}, {"properties", {{"addressPrefix", prefix}}}});
  return {{"location", "westus"},
          {"properties", {{"addressSpace", {{"addressPrefixes", prefixes}}}, {"subnets", s}}}};
}

Json ModelTest::PipBody(const std::string& method) {
  return {{"location", "westus"},
          {"sku", {{"name", method == "Static" ? "Standard" : "Basic"}}},
          {"properties", {{"publicIPAllocationMethod", method}}}};
}

Json ModelTest::GatewayBody(const std::string& rg, const std::string& vnet, const std::string& pip,
                            const std::string& vpn_type, const std::string& sku, const std::string& subnet) {
  return {{"location", "westus"},
          {"properties",
           {{"gatewayType", "Vpn"},
            {"vpnType", vpn_type},
            {"sku", {{"name", sku}}},
            {"ipConfigurations",
             {{{"name", "cfg0"},
               {"properties",
                {{"subnet", {{"id", Subnet(rg, vnet, subnet).ToString()}}},
                 {"publicIPAddress", {{"id", Net(Kind::kPublicIpAddress, rg, pip).ToString()}}}}}}}}}}};
}

Json ModelTest::ConnectionBody(const ResourceId& gw1, const ResourceId& gw2, const std::string& key) {
  return {{"location", "westus"},
          {"properties",
           {{"connectionType", "Vnet2Vnet"},
            {"virtualNetworkGateway1", {{"id", gw1.ToString()}}},
            {"virtualNetworkGateway2", {{"id", gw2.ToString()}}},
            {"sharedKey", key}}}};
}

Json ModelTest::NicBody(const std::string& rg, const std::string& vnet, const std::string& subnet,
                        const std::string& address, const std::string& location) {
  Json props = {{"subnet", {{"id", Subnet(rg, vnet, subnet).ToString()}}},
                {"privateIPAllocationMethod", address.empty() ? "Dynamic" : "Static"}};
  if (!address.empty()) props["privateIPAddress"] = address;
  return {
      {"location", location},
      {"properties", {{"ipConfigurations", Json::array({{{"name", "ipconfig1"}, {"properties", props}}})}}}};
}

Json ModelTest::VmBody(const ResourceId& nic, const std::string& location) {
  return {{"location", location},
          {"properties",
           {{"hardwareProfile", {{"vmSize", "Standard_B1s"}}},
            {"storageProfile",
             {{"imageReference",
               {{"publisher", "Canonical"},
                {"offer", "0001-com-ubuntu-server-jammy"},
                {"sku", "22_04-lts-gen2"},
                {"version", "latest"}}}}},
            {"networkProfile", {{"networkInterfaces", Json::array({{{"id", nic.ToString()}}})}}}}}};
}

ResourceId ModelTest::MakeSite(const std::string& rg, const std::string& name,
                               std::vector<std::string> prefixes, const std::string& gateway_subnet,
                               const std::string& frontend) {
  PutExpectOk(Group(rg), {{"location", "westus"}});
  PutExpectOk(Net(Kind::kVirtualNetwork, rg, name),
              VnetBody(prefixes, {{"FrontEnd", frontend}, {"GatewaySubnet", gateway_subnet}}));
  PutExpectOk(Net(Kind::kPublicIpAddress, rg, name + "-ip"), PipBody());
  PutExpectOk(Net(Kind::kVirtualNetworkGateway, rg, name + "-gw"), GatewayBody(rg, name, name + "-ip"));
  Provision();
  return Net(Kind::kVirtualNetworkGateway, rg, name + "-gw");
}

void ExpectError(const Result<Plan>& r, const std::string& code, std::vector<std::string> needles) {
  ASSERT_FALSE(r.has_value()) << "expected " << code;
  EXPECT_EQ(r.error().code, code) << r.error().message;
  for (const auto& n : needles) {
    EXPECT_NE(r.error().message.find(n), std::string::npos) << "'" << n << "' not in: " << r.error().message;
  }
}

}  // namespace isthmus::mgmt::testing
