// A desired state built through the Planner, as the service would, without a store: for rule tests.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "mgmt/model/planner.h"

namespace isthmus::mgmt::testing {

inline constexpr const char* kSub = "00000000-0000-0000-0000-000000000001";

class ModelTest : public ::testing::Test {
 protected:
  PlanContext Ctx();
  // Applies a PUT; fails the test (and returns the error) if the planner refuses.
  Result<Plan> Put(const ResourceId& id, const Json& body);
  Result<Plan> Delete(const ResourceId& id);
  Result<Plan> PutExpectOk(const ResourceId& id, const Json& body);
  // Runs the reconciler's job by hand: every Updating resource (gateway, connection, VM) becomes Succeeded.
  void Provision();

  static ResourceId Group(const std::string& rg) { return ResourceId::Group(kSub, rg); }
  static ResourceId Net(Kind k, const std::string& rg, const std::string& name) {
    return ResourceId::Network(k, kSub, rg, name);
  }
  static ResourceId Subnet(const std::string& rg, const std::string& vnet, const std::string& name) {
    ResourceId id = Net(Kind::kVirtualNetwork, rg, vnet);
    id.kind = Kind::kSubnet;
    id.child_name = name;
    return id;
  }

  // Body builders shaped like what the CLI sends.
  static Json VnetBody(std::vector<std::string> prefixes,
                       std::vector<std::pair<std::string, std::string>> subnets);
  static Json PipBody(const std::string& method = "Static");
  Json GatewayBody(const std::string& rg, const std::string& vnet, const std::string& pip,
                   const std::string& vpn_type = "RouteBased", const std::string& sku = "VpnGw1",
                   const std::string& subnet = "GatewaySubnet");
  static Json ConnectionBody(const ResourceId& gw1, const ResourceId& gw2, const std::string& key = "abc123");
  // A NIC in `subnet` of `vnet`; `address` empty = Dynamic, else Static.
  static Json NicBody(const std::string& rg, const std::string& vnet, const std::string& subnet,
                      const std::string& address = "", const std::string& location = "westus");
  static Json VmBody(const ResourceId& nic, const std::string& location = "westus");

  // A group with a VNet (GatewaySubnet + FrontEnd), a public IP and a provisioned gateway.
  ResourceId MakeSite(const std::string& rg, const std::string& name, std::vector<std::string> prefixes,
                      const std::string& gateway_subnet, const std::string& frontend);

  State state_;
  int guid_ = 0;
};

// Asserts that `r` failed with `code` and that the message contains every one of `needles`.
void ExpectError(const Result<Plan>& r, const std::string& code, std::vector<std::string> needles = {});

}  // namespace isthmus::mgmt::testing
