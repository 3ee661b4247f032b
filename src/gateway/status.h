// Status rendering for the control socket: the engine's per-connection snapshot (never keys) joined
// with the data plane's counters, as JSON (the wire format of `status`) and as a human table (what
// `isthmus-gateway status -o table` prints from that JSON).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "ike/engine/types.h"

namespace isthmus::gateway {

struct TrafficFigures {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};

// Counters read from the data plane (copied out, so rendering takes no data-plane state).
struct DataplaneView {
  struct Connection {
    TrafficFigures in;
    TrafficFigures out;
    std::map<std::string, std::uint64_t> drops;  // reason -> count, non-zero only
  };
  std::map<std::string, Connection> connections;      // by connection name
  std::map<std::uint32_t, TrafficFigures> inbound;    // by SPI
  std::map<std::uint32_t, TrafficFigures> outbound;   // by SPI
  std::map<std::string, std::uint64_t> worker_drops;  // not attributable to an SA
};

// `now` is the engine's clock (to turn established_at into an age), `wall_now` the wall clock (to
// print when, as ISO 8601 UTC). Without `ages` the SAs' ages (established_s, established_at) are left
// out: what is left changes only when something happens (a state, an SA, a counter).
nlohmann::json StatusJson(const std::vector<ike::ConnectionStatus>& connections, const DataplaneView& dp,
                          TimePoint now, std::chrono::system_clock::time_point wall_now, bool ages = true);
// The same plus the engine's half-open IKE SAs and what the §2.6 defence did (top-level "ike"): what
// the control socket's `status` answers.
nlohmann::json StatusJson(const std::vector<ike::ConnectionStatus>& connections, const ike::DosStatus& dos,
                          const DataplaneView& dp, TimePoint now,
                          std::chrono::system_clock::time_point wall_now, bool ages = true);

// A short digest of a status without ages: `status DIGEST` on the control socket answers
// {"ok":true,"unchanged":true} while it still holds, so a supervisor polling many idle gateways is
// sent (and parses) a few bytes instead of every SA again.
std::string StatusDigest(const nlohmann::json& status_without_ages);

std::string RenderStatusTable(const nlohmann::json& status);

std::string HexSpi(std::uint64_t spi, int width);

}  // namespace isthmus::gateway
