// Microsoft's published round-trip latencies between Azure regions, so an emulated WAN between two
// gateways can take the delay of the regions their resources name (one way = round trip / 2).
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "base/clock.h"

namespace isthmus::net {

// The P50 round-trip time between two regions, either order. Names as ARM normalizes locations:
// case-insensitive, spaces ignored ("eastus", "East US", "WestEurope"). nullopt for a region the
// table lacks and for a region with itself (Microsoft publishes inter-region figures only).
std::optional<Duration> RegionRoundTrip(std::string_view a, std::string_view b);

// The regions the table holds, in normalized form ("eastus", "westeurope", ...).
std::span<const std::string_view> LatencyTableRegions();

}  // namespace isthmus::net
