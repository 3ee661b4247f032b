// The api-version table: which family a path belongs to, which versions each accepts (those the SDKs
// and az measured on this machine send), and ARM's errors for the others.
#include "mgmt/rest/api_versions.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "mgmt/rest/router.h"

namespace isthmus::mgmt {
namespace {

ApiFamily Of(const std::string& path) {
  return ApiFamilyOf(SplitPath(path));
}

TEST(ApiVersionsTest, PathsBelongToTheirProvidersFamily) {
  EXPECT_EQ(Of("/subscriptions"), ApiFamily::kSubscriptions);
  EXPECT_EQ(Of("/subscriptions/s"), ApiFamily::kSubscriptions);
  EXPECT_EQ(Of("/subscriptions/s/locations"), ApiFamily::kSubscriptions);
  EXPECT_EQ(Of("/tenants"), ApiFamily::kSubscriptions);
  EXPECT_EQ(Of("/metadata/endpoints"), ApiFamily::kMetadata);
  EXPECT_EQ(Of("/subscriptions/s/resourcegroups"), ApiFamily::kResources);
  EXPECT_EQ(Of("/subscriptions/s/resourceGroups/g"), ApiFamily::kResources);
  EXPECT_EQ(Of("/providers"), ApiFamily::kResources);
  EXPECT_EQ(Of("/subscriptions/s/providers"), ApiFamily::kResources);
  EXPECT_EQ(Of("/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v"),
            ApiFamily::kNetwork);
  EXPECT_EQ(Of("/subscriptions/s/resourceGroups/g/providers/microsoft.network/virtualNetworks/v/subnets/x"),
            ApiFamily::kNetwork);
  EXPECT_EQ(Of("/subscriptions/s/providers/Microsoft.Network/connections"), ApiFamily::kNetwork);
  EXPECT_EQ(Of("/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm"),
            ApiFamily::kCompute);
  EXPECT_EQ(Of("/subscriptions/s/resourceGroups/g/providers/Microsoft.Resources/deployments/d"),
            ApiFamily::kResources);
  // A provider's registration document takes any version; so do operation URLs and Isthmus's own.
  EXPECT_EQ(Of("/subscriptions/s/providers/Microsoft.Network"), ApiFamily::kIsthmus);
  EXPECT_EQ(Of("/subscriptions/s/providers/Microsoft.Network/locations/w/operations/1"), ApiFamily::kIsthmus);
  EXPECT_EQ(Of("/subscriptions/s/providers/Microsoft.Compute/locations/w/operationResults/1"),
            ApiFamily::kIsthmus);
  EXPECT_EQ(Of("/subscriptions/s/providers/Isthmus.Fabric/status"), ApiFamily::kIsthmus);
}

TEST(ApiVersionsTest, WhatTheClientsSendIsAccepted) {
  struct Case {
    ApiFamily family;
    const char* version;
    const char* who;
  };
  for (const Case& c : {
           Case{ApiFamily::kNetwork, "2018-11-01", "az 2.45, 2020-09-01-hybrid profile"},
           Case{ApiFamily::kNetwork, "2023-09-01", "isthmus"},
           Case{ApiFamily::kNetwork, "2025-05-01", "the issue's floor for current SDKs"},
           Case{ApiFamily::kNetwork, "2026-01-01", "@azure/arm-network 39.0.0"},
           Case{ApiFamily::kResources, "2019-10-01", "az, hybrid profile"},
           Case{ApiFamily::kResources, "2022-09-01", "az latest, isthmus"},
           Case{ApiFamily::kResources, "2025-03-01", "@azure/arm-resources 6.1.0"},
           Case{ApiFamily::kSubscriptions, "2019-11-01", "az login"},
           Case{ApiFamily::kSubscriptions, "2022-09-01", "the resources versions on subscription paths"},
           Case{ApiFamily::kCompute, "2022-11-01", "az 2.45"},
           Case{ApiFamily::kMetadata, "2015-01-01", "az cloud register"},
           Case{ApiFamily::kMetadata, "2022-09-01", "newer az"},
           Case{ApiFamily::kIsthmus, "2026-01-01", "an operation URL of arm-network 39"},
           Case{ApiFamily::kIsthmus, "2019-10-01", "a group delete's operation URL"},
       }) {
    EXPECT_TRUE(CheckApiVersion(c.family, std::string(c.version))) << c.version << " (" << c.who << ")";
  }
}

TEST(ApiVersionsTest, TablesAreAscendingWithoutRepeats) {
  for (ApiFamily f : {ApiFamily::kNetwork, ApiFamily::kCompute, ApiFamily::kResources,
                      ApiFamily::kSubscriptions, ApiFamily::kMetadata, ApiFamily::kIsthmus}) {
    auto v = SupportedApiVersions(f);
    ASSERT_FALSE(v.empty()) << ApiFamilyName(f);
    EXPECT_TRUE(std::adjacent_find(v.begin(), v.end(), std::greater_equal<>()) == v.end())
        << ApiFamilyName(f);
  }
}

TEST(ApiVersionsTest, OthersGetArmsErrorsListingTheSupportedOnes) {
  auto missing = CheckApiVersion(ApiFamily::kNetwork, std::nullopt);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "MissingApiVersionParameter");
  EXPECT_EQ(missing.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(CheckApiVersion(ApiFamily::kNetwork, std::string()).error().code, "MissingApiVersionParameter");

  for (const char* v : {"2018-10-01", "2026-02-01", "2023-09-01-preview", "latest", "2023-9-1"}) {
    auto bad = CheckApiVersion(ApiFamily::kNetwork, std::string(v));
    ASSERT_FALSE(bad) << v;
    EXPECT_EQ(bad.error().code, "InvalidApiVersionParameter") << v;
    EXPECT_NE(bad.error().message.find(std::string("'") + v + "'"), std::string::npos) << bad.error().message;
    // Newest first, as ARM lists them.
    EXPECT_NE(bad.error().message.find("Microsoft.Network are '2026-01-01,2025-07-01,"), std::string::npos)
        << bad.error().message;
  }
  // A version of one family is not one of another's.
  EXPECT_FALSE(CheckApiVersion(ApiFamily::kResources, std::string("2023-09-01")));
  EXPECT_FALSE(CheckApiVersion(ApiFamily::kMetadata, std::string("2023-09-01")));
  EXPECT_FALSE(CheckApiVersion(ApiFamily::kCompute, std::string("2018-11-01")));
}

}  // namespace
}  // namespace isthmus::mgmt
