#include "config.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "net/region_latency.h"

namespace isthmus::impair_app {
namespace {

using Json = nlohmann::json;

constexpr const char* kProfileKeys =
    "delayMs, jitterMs, lossPercent, reorderPercent, duplicatePercent, regions";

Error Bad(const std::string& where, const std::string& why) {
  return Error::Invalid("InvalidImpairConfig", fmt::format("{}: {}", where, why), where);
}

Result<double> Number(const Json& v, const std::string& where, double lo, double hi) {
  if (!v.is_number()) return Fail(Bad(where, "must be a number"));
  const double d = v.get<double>();
  if (!(d >= lo && d <= hi)) return Fail(Bad(where, fmt::format("must be within {}..{}, got {}", lo, hi, d)));
  return d;
}

Duration Milliseconds(double ms) {
  return Duration(std::llround(ms * 1e6));
}

// Half the published round trip between the two regions named in `v` (["eastus", "westeurope"]).
Result<Duration> RegionsDelay(const Json& v, const std::string& where) {
  if (!v.is_array() || v.size() != 2 || !v[0].is_string() || !v[1].is_string()) {
    return Fail(Bad(where, "must be two Azure region names, e.g. [\"eastus\", \"westeurope\"]"));
  }
  const auto a = v[0].get<std::string>(), b = v[1].get<std::string>();
  auto rtt = net::RegionRoundTrip(a, b);
  if (!rtt) return Fail(Bad(where, fmt::format("no published round trip between '{}' and '{}'", a, b)));
  return *rtt / 2;
}

// A profile's keys of `o` into `p`; a rule's "prefix" into `prefix` (nullptr: not a rule).
Status ParseProfile(const Json& o, const std::string& where, net::ImpairProfile& p, net::Prefix* prefix) {
  if (!o.is_object()) return Fail(Bad(where, "must be an object"));
  const double max_ms = std::chrono::duration<double, std::milli>(net::kMaxImpairDelay).count();
  bool delay = false, regions = false, have_prefix = false;
  for (const auto& [key, v] : o.items()) {
    const std::string at = where + "." + key;
    if (key == "delayMs" || key == "jitterMs") {
      auto ms = Number(v, at, 0, max_ms);
      if (!ms) return Fail(ms.error());
      (key == "delayMs" ? p.delay : p.jitter) = Milliseconds(*ms);
      delay = delay || key == "delayMs";
    } else if (key == "lossPercent" || key == "reorderPercent" || key == "duplicatePercent") {
      auto percent = Number(v, at, 0, 100);
      if (!percent) return Fail(percent.error());
      (key == "lossPercent" ? p.loss : key == "reorderPercent" ? p.reorder : p.duplicate) = *percent / 100;
    } else if (key == "regions") {
      auto one_way = RegionsDelay(v, at);
      if (!one_way) return Fail(one_way.error());
      p.delay = *one_way;
      regions = true;
    } else if (key == "prefix" && prefix) {
      if (!v.is_string()) return Fail(Bad(at, "must be a string such as \"198.18.0.5/32\""));
      auto parsed = net::Prefix::Parse(v.get<std::string>());
      if (!parsed) return Fail(Bad(at, parsed.error().message));
      *prefix = *parsed;
      have_prefix = true;
    } else {
      return Fail(Bad(at, fmt::format("unknown key (known: {}{})", kProfileKeys, prefix ? ", prefix" : "")));
    }
  }
  if (delay && regions) return Fail(Bad(where, "give delayMs or regions, not both"));
  if (prefix && !have_prefix) return Fail(Bad(where + ".prefix", "is required"));
  return {};
}

Result<std::size_t> Count(const Json& v, const std::string& where) {
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() == 0)
    return Fail(Bad(where, "must be a positive integer"));
  return static_cast<std::size_t>(v.get<std::uint64_t>());
}

Result<net::ImpairConfig> ParseDirection(const Json& o, const std::string& where) {
  if (!o.is_object()) return Fail(Bad(where, "must be an object"));
  net::ImpairConfig c;
  for (const auto& [key, v] : o.items()) {
    const std::string at = where + "." + key;
    if (key == "default") {
      if (auto s = ParseProfile(v, at, c.default_profile, nullptr); !s) return Fail(s.error());
    } else if (key == "rules") {
      if (!v.is_array()) return Fail(Bad(at, "must be an array"));
      for (std::size_t i = 0; i < v.size(); ++i) {
        net::ImpairRule r;
        if (auto s = ParseProfile(v[i], fmt::format("{}[{}]", at, i), r.profile, &r.destination); !s) {
          return Fail(s.error());
        }
        c.rules.push_back(r);
      }
    } else if (key == "queuePackets" || key == "queueBytes") {
      auto n = Count(v, at);
      if (!n) return Fail(n.error());
      (key == "queuePackets" ? c.queue_packets : c.queue_bytes) = *n;
    } else {
      return Fail(Bad(at, "unknown key (known: default, rules, queuePackets, queueBytes)"));
    }
  }
  // What only the whole configuration can break: jitter over delay, reorder without delay, an IPv6
  // or repeated prefix. The stage's own field names follow (rules[1].jitter).
  if (auto s = net::ValidateConfig(c); !s) return Fail(Bad(where, s.error().message));
  return c;
}

}  // namespace

Result<ImpairPlan> ParseImpairPlan(std::string_view json_text) {
  Json j;
  try {
    j = Json::parse(json_text);
  } catch (const Json::parse_error& e) {
    return Fail(Error::Invalid("InvalidImpairConfig", fmt::format("not JSON: {}", e.what())));
  }
  if (!j.is_object()) return Fail(Bad("(top)", "must be an object"));
  ImpairPlan plan;
  for (const auto& [key, v] : j.items()) {
    if (key == "a_to_b" || key == "b_to_a") {
      auto c = ParseDirection(v, key);
      if (!c) return Fail(c.error());
      (key == "a_to_b" ? plan.a_to_b : plan.b_to_a) = std::move(*c);
    } else if (key == "seed") {
      if (!v.is_number_unsigned()) return Fail(Bad(key, "must be a non-negative integer"));
      plan.seed = v.get<std::uint64_t>();
    } else {
      return Fail(Bad(key, "unknown key (known: a_to_b, b_to_a, seed)"));
    }
  }
  return plan;
}

Result<ImpairPlan> LoadImpairPlan(const std::string& path) {
  std::ifstream f(path);
  if (!f)
    return Fail(
        Error::NotFound("ConfigNotFound", fmt::format("cannot read {}: {}", path, std::strerror(errno))));
  std::stringstream ss;
  ss << f.rdbuf();
  return ParseImpairPlan(ss.str());
}

}  // namespace isthmus::impair_app
