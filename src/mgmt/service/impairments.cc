#include "mgmt/service/impairments.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/region_latency.h"

namespace isthmus::mgmt {
namespace {

using render::RegionPairImpairment;

constexpr const char* kCode = "InvalidImpairment";
// Bounds (implementation choices): a round trip up to 10 s and jitter up to 5 s cover any WAN worth
// rehearsing; percentages are percentages (100 % loss is a cut link, a disaster to rehearse).
constexpr double kMaxRoundTripMs = 10000;
constexpr double kMaxJitterMs = 5000;

std::string RowKey(const std::string& a, const std::string& b) {
  return "impairment:" + std::min(a, b) + "|" + std::max(a, b);
}

double Ms(Duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}
Duration FromMs(double ms) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(ms));
}

Result<double> Number(const Json& props, const char* name, double max, const char* unit) {
  if (!props.contains(name) || props[name].is_null()) return 0.0;
  const Json& v = props[name];
  if (!v.is_number()) {
    return Fail(Error::Invalid(
        kCode, fmt::format("properties.{} must be a number of {}, got {}.", name, unit, v.dump()),
        fmt::format("properties.{}", name)));
  }
  const double d = v.get<double>();
  if (!std::isfinite(d) || d < 0 || d > max) {
    return Fail(Error::Invalid(
        kCode, fmt::format("properties.{} must be within 0..{} {}, got {}.", name, max, unit, v.dump()),
        fmt::format("properties.{}", name)));
  }
  return d;
}

struct Pair {
  std::string a, b;
};

Result<Pair> NormalizePair(std::string_view a, std::string_view b) {
  auto na = NormalizeRegion(a);
  if (!na) return Fail(na.error());
  auto nb = NormalizeRegion(b);
  if (!nb) return Fail(nb.error());
  return Pair{std::min(*na, *nb), std::max(*na, *nb)};
}

}  // namespace

Result<std::string> NormalizeRegion(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == ' ') continue;
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      out.clear();
      break;
    }
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (out.empty() || out.size() > 64) {
    return Fail(Error::Invalid(
        kCode, fmt::format("'{}' is not a region name: use an Azure location such as eastus or westeurope.",
                           std::string(name.substr(0, 80)))));
  }
  return out;
}

Result<RegionPairImpairment> ParseImpairment(std::string_view a, std::string_view b, const Json& body) {
  auto pair = NormalizePair(a, b);
  if (!pair) return Fail(pair.error());
  if (!body.is_object()) return Fail(Error::Invalid(kCode, "The request body must be a JSON object."));
  for (const auto& [k, v] : body.items()) {
    if (k != "properties" && k != "id" && k != "name" && k != "type") {
      return Fail(
          Error::Invalid(kCode, fmt::format("Unknown property '{}'; an impairment has 'properties'.", k), k));
    }
  }
  const Json props = body.value("properties", Json::object());
  if (!props.is_object())
    return Fail(Error::Invalid(kCode, "properties must be a JSON object.", "properties"));
  static constexpr const char* kKnown[] = {"regionA",  "regionB",     "roundTripMs",    "roundTripSource",
                                           "jitterMs", "lossPercent", "reorderPercent", "duplicatePercent"};
  for (const auto& item : props.items()) {
    const std::string& k =
        item.key();  // not a structured binding: clang 14 (the fuzz preset) cannot capture one
    if (std::none_of(std::begin(kKnown), std::end(kKnown), [&](const char* n) { return k == n; })) {
      return Fail(Error::Invalid(
          kCode,
          fmt::format("Unknown property 'properties.{}'. Known: roundTripMs, jitterMs, lossPercent, "
                      "reorderPercent, duplicatePercent.",
                      k.substr(0, 80)),
          "properties." + k));
    }
  }
  // regionA/regionB in a body (one read back and sent again, say) must agree with the path.
  if (props.contains("regionA") || props.contains("regionB")) {
    const Json ra = props.value("regionA", Json()), rb = props.value("regionB", Json());
    auto named = ra.is_string() && rb.is_string()
                     ? NormalizePair(ra.get<std::string>(), rb.get<std::string>())
                     : Result<Pair>(Fail(Error::Invalid(kCode, "")));
    if (!named || named->a != pair->a || named->b != pair->b) {
      return Fail(Error::Invalid(
          kCode, fmt::format("properties.regionA and regionB must name the pair of the path ({} and {}).",
                             pair->a, pair->b)));
    }
  }
  RegionPairImpairment out;
  out.region_a = pair->a;
  out.region_b = pair->b;
  const bool declared = props.contains("roundTripMs") && !props["roundTripMs"].is_null();
  auto rtt = Number(props, "roundTripMs", kMaxRoundTripMs, "milliseconds");
  if (!rtt) return Fail(rtt.error());
  if (declared) {
    out.round_trip = FromMs(*rtt);
  } else if (!net::RegionRoundTrip(pair->a, pair->b)) {
    std::string known;
    for (auto r : net::LatencyTableRegions()) known += (known.empty() ? "" : ", ") + std::string(r);
    return Fail(Error::Invalid(
        kCode,
        fmt::format("There is no published round trip between {} and {}: give properties.roundTripMs "
                    "(--round-trip-ms). Microsoft's table has: {}.",
                    pair->a, pair->b, known),
        "properties.roundTripMs"));
  }
  auto jitter = Number(props, "jitterMs", kMaxJitterMs, "milliseconds");
  if (!jitter) return Fail(jitter.error());
  out.jitter = FromMs(*jitter);
  for (auto [name, field] : {std::pair{"lossPercent", &out.loss}, std::pair{"reorderPercent", &out.reorder},
                             std::pair{"duplicatePercent", &out.duplicate}}) {
    auto v = Number(props, name, 100, "percent");
    if (!v) return Fail(v.error());
    *field = *v / 100;
  }
  return out;
}

Json ImpairmentJson(const std::string& subscription, const RegionPairImpairment& i) {
  const auto published = net::RegionRoundTrip(i.region_a, i.region_b);
  const Duration rtt = i.round_trip ? *i.round_trip : published.value_or(Duration{});
  const std::string name = i.region_a + "/" + i.region_b;
  return {
      {"id", fmt::format("/subscriptions/{}/providers/Isthmus.Fabric/impairments/{}", subscription, name)},
      {"type", "Isthmus.Fabric/impairments"},
      {"name", name},
      {"properties",
       {{"regionA", i.region_a},
        {"regionB", i.region_b},
        {"roundTripMs", Ms(rtt)},
        {"roundTripSource", i.round_trip ? "declared" : "Microsoft P50"},
        {"jitterMs", Ms(i.jitter)},
        {"lossPercent", i.loss * 100},
        {"reorderPercent", i.reorder * 100},
        {"duplicatePercent", i.duplicate * 100}}}};
}

std::vector<RegionPairImpairment> Impairments::All() const {
  std::vector<std::pair<std::string, RegionPairImpairment>> rows;
  for (const auto& row : service_.ForeignRows(kImpairmentRowKind)) {
    const Json j = Json::parse(row.body, nullptr, false);
    const Json props = j.is_object() ? j.value("properties", Json::object()) : Json();
    if (!props.is_object()) {
      spdlog::warn("store row '{}' is not an impairment: left out", row.key);
      continue;
    }
    auto i = ParseImpairment(props.value("regionA", ""), props.value("regionB", ""), j);
    if (!i) {
      spdlog::warn("store row '{}': {}: left out", row.key, i.error().message);
      continue;
    }
    rows.emplace_back(row.key, std::move(*i));
  }
  std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<RegionPairImpairment> out;
  for (auto& [k, i] : rows) out.push_back(std::move(i));
  return out;
}

Json Impairments::List(const std::string& subscription) const {
  Json value = Json::array();
  for (const auto& i : All()) value.push_back(ImpairmentJson(subscription, i));
  return {{"value", std::move(value)}};
}

Result<Json> Impairments::Get(const std::string& subscription, std::string_view a, std::string_view b) const {
  auto pair = NormalizePair(a, b);
  if (!pair) return Fail(pair.error());
  for (const auto& i : All()) {
    if (i.region_a == pair->a && i.region_b == pair->b) return ImpairmentJson(subscription, i);
  }
  return Fail(Error::NotFound("ImpairmentNotFound",
                              fmt::format("No impairment is set between {} and {}.", pair->a, pair->b)));
}

Result<Json> Impairments::Put(const std::string& subscription, std::string_view a, std::string_view b,
                              const Json& body) {
  auto i = ParseImpairment(a, b, body);
  if (!i) return Fail(i.error());
  // Stored as declared: a left-out round trip stays "Microsoft's", not the figure of today's table.
  Json stored = ImpairmentJson(subscription, *i);
  stored.erase("id");
  if (!i->round_trip) stored["properties"].erase("roundTripMs");
  stored["properties"].erase("roundTripSource");
  if (auto s = service_.CommitForeignRows(
          {{RowKey(i->region_a, i->region_b), std::string(kImpairmentRowKind), stored.dump()}},
          /*realized=*/true);
      !s) {
    return Fail(s.error());
  }
  return ImpairmentJson(subscription, *i);
}

Status Impairments::Delete(std::string_view a, std::string_view b) {
  auto pair = NormalizePair(a, b);
  if (!pair) return Fail(pair.error());
  const std::string key = RowKey(pair->a, pair->b);
  const auto rows = service_.ForeignRows(kImpairmentRowKind);
  if (std::none_of(rows.begin(), rows.end(), [&](const StoredRow& r) { return r.key == key; })) {
    return Fail(Error::NotFound("ImpairmentNotFound",
                                fmt::format("No impairment is set between {} and {}.", pair->a, pair->b)));
  }
  return service_.CommitForeignRows({{key, std::string(kImpairmentRowKind), std::nullopt}},
                                    /*realized=*/true);
}

}  // namespace isthmus::mgmt
