#include "net/region_latency.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <string>

namespace isthmus::net {
namespace {

// Source: Microsoft Learn, "Azure network round-trip latency statistics",
// https://learn.microsoft.com/azure/networking/azure-network-latency — the revision dated 2023-07-21
// (MicrosoftDocs/azure-docs, articles/networking/azure-network-latency.md, ms.date 07/21/2023): "monthly
// Percentile P50 round trip times between Azure regions", dataset taken July 21st, 2023, covering the
// 30 days from June 21st, 2023. Later revisions (2024-06, 2025-06, 2026-07) measured other months and
// differ by a few ms; this one agrees with the reference points the tests check (eastus–westus 64 ms,
// eastus–westeurope 82, westeurope–northeurope 17, eastus–japaneast 156, westus–japaneast 106).
//
// The page's tables are directed (a row is the source region, a column the destination) and the two
// directions of a pair differ by up to 5 ms; they are kept here as published, row = source, and
// RegionRoundTrip takes the smaller of the two, so that it is symmetric. Regions the page lists but
// users seldom pick (Canada East, Korea, Norway, South Africa, UAE, ...) are left out, not guessed.
constexpr std::array<std::string_view, 21> kRegions = {
    "eastus",        "eastus2",        "westus",         "westus2",       "westus3",
    "centralus",     "northcentralus", "southcentralus", "canadacentral", "brazilsouth",
    "northeurope",   "westeurope",     "uksouth",        "francecentral", "germanywestcentral",
    "swedencentral", "japaneast",      "eastasia",       "southeastasia", "australiaeast",
    "centralindia",
};

// Milliseconds; kP50[source][destination], in kRegions' order.
// One published row a line, aligned.
// clang-format off
constexpr std::uint16_t kP50[21][21] = {
  {  0,  6, 64, 64, 51, 24, 19, 32, 18,115, 67, 83, 76, 82, 87,109,156,199,222,204,202}, // eastus
  {  7,  0, 60, 64, 47, 28, 22, 28, 22,114, 71, 87, 80, 86, 91,114,152,195,218,200,203}, // eastus2
  { 64, 60,  0, 23, 17, 39, 49, 34, 62,179,127,143,136,141,147,170,106,149,169,148,218}, // westus
  { 64, 64, 23,  0, 38, 38, 47, 45, 64,182,125,142,134,140,145,168, 99,142,162,160,210}, // westus2
  { 51, 46, 17, 37,  0, 43, 50, 20, 66,162,115,131,124,130,135,159,108,151,175,156,232}, // westus3
  { 24, 27, 39, 38, 43,  0,  9, 26, 24,147, 89,105, 98,104,109,133,134,177,197,176,235}, // centralus
  { 19, 22, 49, 47, 51,  9,  0, 33, 18,135, 83, 99, 92, 98,103,127,143,186,205,188,223}, // northcentralus
  { 33, 28, 34, 45, 20, 26, 33,  0, 48,141, 97,114,106,112,117,141,125,168,192,173,237}, // southcentralus
  { 18, 22, 61, 63, 65, 23, 17, 48,  0,128, 84,100, 93, 99,105,128,154,197,218,197,215}, // canadacentral
  {116,114,180,182,163,147,136,141,129,  0,170,184,178,184,189,206,275,328,341,319,305}, // brazilsouth
  { 67, 71,132,130,119, 94, 85, 98, 83,170,  0, 18, 11, 17, 23, 45,232,193,164,246,138}, // northeurope
  { 82, 86,147,145,134,109,100,113, 97,183, 17,  0,  9, 10,  9, 27,219,187,156,239,132}, // westeurope
  { 76, 80,136,134,124, 98, 91,106, 93,177, 11,  9,  0,  8, 14, 37,217,185,153,238,130}, // uksouth
  { 82, 85,142,142,130,104, 97,112, 98,183, 17, 11,  8,  0, 10, 35,212,179,147,232,125}, // francecentral
  { 87, 91,147,145,135,109,103,117,105,189, 22,  8, 14, 10,  0, 27,217,185,155,237,129}, // germanywestcentral
  {110,115,170,168,159,132,126,141,129,206, 45, 22, 37, 36, 27,  0,240,208,179,261,153}, // swedencentral
  {156,151,106, 98,108,134,142,125,154,275,231,219,217,212,217,240,  0, 46, 70,101,118}, // japaneast
  {199,195,149,141,151,177,186,168,198,328,193,187,185,180,185,208, 46,  0, 34,123, 83}, // eastasia
  {223,220,169,162,175,197,205,192,218,340,163,156,153,147,155,178, 70, 34,  0, 89, 50}, // southeastasia
  {204,200,148,160,156,176,188,173,197,319,246,240,238,233,237,261,102,122, 89,  0,140}, // australiaeast
  {203,203,218,210,232,235,223,237,216,305,137,132,130,126,129,153,118, 83, 50,140,  0}, // centralindia
};
// clang-format on

std::optional<std::size_t> IndexOf(std::string_view name) {
  std::string key;
  for (char c : name) {
    if (c == ' ') continue;
    key += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  for (std::size_t i = 0; i < kRegions.size(); ++i) {
    if (kRegions[i] == key) return i;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Duration> RegionRoundTrip(std::string_view a, std::string_view b) {
  const auto i = IndexOf(a), j = IndexOf(b);
  if (!i || !j || *i == *j) return std::nullopt;
  const std::uint16_t ms = std::min(kP50[*i][*j], kP50[*j][*i]);
  return std::chrono::milliseconds(ms);
}

std::span<const std::string_view> LatencyTableRegions() {
  return kRegions;
}

}  // namespace isthmus::net
