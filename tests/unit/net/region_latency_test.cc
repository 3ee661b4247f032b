#include "net/region_latency.h"

#include <gtest/gtest.h>

namespace isthmus::net {
namespace {

using std::chrono::milliseconds;

TEST(RegionLatency, AgreesWithThePublishedReferencePoints) {
  EXPECT_EQ(RegionRoundTrip("eastus", "westus"), milliseconds(64));
  EXPECT_EQ(RegionRoundTrip("eastus", "westeurope"), milliseconds(82));
  EXPECT_EQ(RegionRoundTrip("westeurope", "northeurope"), milliseconds(17));
  EXPECT_EQ(RegionRoundTrip("eastus", "japaneast"), milliseconds(156));
  EXPECT_EQ(RegionRoundTrip("westus", "japaneast"), milliseconds(106));
}

TEST(RegionLatency, IsSymmetricAndCompleteOverItsRegions) {
  const auto regions = LatencyTableRegions();
  EXPECT_GE(regions.size(), 21u);
  for (auto a : regions) {
    for (auto b : regions) {
      if (a == b) {
        EXPECT_FALSE(RegionRoundTrip(a, b).has_value()) << a;
        continue;
      }
      auto ab = RegionRoundTrip(a, b);
      ASSERT_TRUE(ab.has_value()) << a << " " << b;
      EXPECT_EQ(ab, RegionRoundTrip(b, a)) << a << " " << b;
      // Plausible P50 round trips: above zero, below the page's largest (399 ms, Australia–South Africa).
      EXPECT_GT(*ab, milliseconds(0));
      EXPECT_LT(*ab, milliseconds(400));
    }
  }
}

TEST(RegionLatency, NamesAreCaseInsensitiveAndIgnoreSpaces) {
  EXPECT_EQ(RegionRoundTrip("EastUS", "WestEurope"), milliseconds(82));
  EXPECT_EQ(RegionRoundTrip("East US", "west europe"), milliseconds(82));
  EXPECT_EQ(RegionRoundTrip("EASTUS2", "eastus"), RegionRoundTrip("eastus", "eastus2"));
}

TEST(RegionLatency, UnknownRegionsAreNotGuessed) {
  EXPECT_FALSE(RegionRoundTrip("eastus", "atlantis").has_value());
  EXPECT_FALSE(RegionRoundTrip("", "eastus").has_value());
  EXPECT_FALSE(RegionRoundTrip("eastus", "east").has_value());
}

TEST(RegionLatency, NearbyRegionsAreCloserThanFarOnes) {
  EXPECT_LT(*RegionRoundTrip("eastus", "eastus2"), *RegionRoundTrip("eastus", "centralus"));
  EXPECT_LT(*RegionRoundTrip("uksouth", "westeurope"), *RegionRoundTrip("uksouth", "swedencentral"));
  EXPECT_LT(*RegionRoundTrip("southeastasia", "eastasia"), *RegionRoundTrip("southeastasia", "japaneast"));
}

}  // namespace
}  // namespace isthmus::net
