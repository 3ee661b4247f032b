// isthmus-impair's configuration file: one impairment configuration per direction, in the JSON users
// write (milliseconds and percentages), turned into net::ImpairConfig (durations and fractions).
//
//   { "a_to_b": { "default": { "delayMs": 5 },
//                 "rules": [ { "prefix": "198.18.0.5/32", "delayMs": 32, "jitterMs": 0, "lossPercent": 1,
//                              "reorderPercent": 0, "duplicatePercent": 0 },
//                            { "prefix": "198.18.0.9/32", "regions": ["eastus", "westeurope"] } ],
//                 "queuePackets": 16384, "queueBytes": 33554432 },
//     "b_to_a": { ... },
//     "seed": 42 }
//
// Every key is optional but "prefix" in a rule; a missing direction or profile impairs nothing.
// "regions" takes the one-way delay from Microsoft's published round trip between two Azure regions
// (net/region_latency.h: half the round trip), instead of "delayMs". Unknown keys are errors, so a typo
// never silently means "no impairment". "seed" makes every decision reproducible; without it the
// process picks one at start (and shows it in the status file).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "net/impair.h"

namespace isthmus::impair_app {

struct ImpairPlan {
  net::ImpairConfig a_to_b;
  net::ImpairConfig b_to_a;
  std::optional<std::uint64_t> seed;
};

// Errors name the place in the file: "a_to_b.rules[1].lossPercent: must be within 0..100, got 120".
Result<ImpairPlan> ParseImpairPlan(std::string_view json_text);
Result<ImpairPlan> LoadImpairPlan(const std::string& path);

}  // namespace isthmus::impair_app
