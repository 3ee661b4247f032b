#include "mgmt/model/resource_id.h"

#include <gtest/gtest.h>

namespace isthmus::mgmt {
namespace {

TEST(ResourceId, ParsesEveryKindCaseInsensitively) {
  auto g = ResourceId::Parse("/subscriptions/s1/resourcegroups/RG1");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->kind, Kind::kResourceGroup);
  EXPECT_EQ(g->ToString(), "/subscriptions/s1/resourceGroups/RG1");

  auto v =
      ResourceId::Parse("/SUBSCRIPTIONS/s1/resourceGroups/rg/providers/microsoft.network/VIRTUALNETWORKS/v1");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->kind, Kind::kVirtualNetwork);
  EXPECT_EQ(v->ToString(),
            "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v1");

  auto s = ResourceId::Parse(
      "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v1/"
      "subnets/GatewaySubnet");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, Kind::kSubnet);
  EXPECT_EQ(s->child_name, "GatewaySubnet");
  EXPECT_EQ(s->Parent().kind, Kind::kVirtualNetwork);

  for (auto [text, kind] :
       std::vector<std::pair<const char*, Kind>>{{"publicIPAddresses", Kind::kPublicIpAddress},
                                                 {"virtualNetworkGateways", Kind::kVirtualNetworkGateway},
                                                 {"localNetworkGateways", Kind::kLocalNetworkGateway},
                                                 {"connections", Kind::kConnection},
                                                 {"networkInterfaces", Kind::kNetworkInterface}}) {
    auto r = ResourceId::Parse(std::string("/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/") +
                               text + "/x");
    ASSERT_TRUE(r) << text;
    EXPECT_EQ(r->kind, kind);
  }
}

TEST(ResourceId, ComputeProviderForVirtualMachines) {
  auto vm =
      ResourceId::Parse("/subscriptions/s/resourcegroups/RG/providers/microsoft.compute/VIRTUALMACHINES/vm1");
  ASSERT_TRUE(vm);
  EXPECT_EQ(vm->kind, Kind::kVirtualMachine);
  EXPECT_EQ(vm->ToString(),
            "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/vm1");
  EXPECT_EQ(vm->Parent().kind, Kind::kResourceGroup);
  EXPECT_EQ(ArmType(Kind::kVirtualMachine), "Microsoft.Compute/virtualMachines");
  EXPECT_EQ(ArmType(Kind::kNetworkInterface), "Microsoft.Network/networkInterfaces");
  EXPECT_TRUE(IsAsync(Kind::kVirtualMachine));
  EXPECT_FALSE(IsAsync(Kind::kNetworkInterface));
  EXPECT_EQ(ResourceId::Network(Kind::kVirtualMachine, "s", "rg", "vm1").ToString(),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1");
  EXPECT_EQ(KindFromCollection("Microsoft.Compute", "virtualmachines"), Kind::kVirtualMachine);
  // Each type lives under its own provider only.
  EXPECT_EQ(KindFromCollection("Microsoft.Network", "virtualMachines"), std::nullopt);
  EXPECT_EQ(KindFromCollection("Microsoft.Compute", "virtualNetworks"), std::nullopt);
}

TEST(ResourceId, KeyIsCaseFolded) {
  auto a = ResourceId::Parse(
      "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/VNet1");
  auto b = ResourceId::Parse(
      "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/vnet1");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->Key(), b->Key());
  EXPECT_NE(a->ToString(), b->ToString());
}

TEST(ResourceId, RejectsMalformed) {
  for (auto s :
       {"", "subscriptions/s", "/subscriptions", "/subscriptions/s/resourceGroups",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/disks/x",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualMachines/x",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/networkInterfaces/x",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/x/extensions/e",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/unknownThings/x",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/peerings/p",
        "/subscriptions/s//resourceGroups/g", "/subscriptions/s/resourceGroups/g/"}) {
    EXPECT_FALSE(ResourceId::Parse(s).has_value()) << s;
  }
}

}  // namespace
}  // namespace isthmus::mgmt
