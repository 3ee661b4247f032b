#include "cli/json.h"

#include <algorithm>
#include <string>
#include <vector>

#include "cli/resource_id.h"

namespace isthmus::cli {

Json SortedKeys(const Json& v) {
  if (v.is_array()) {
    Json out = Json::array();
    for (const auto& e : v) out.push_back(SortedKeys(e));
    return out;
  }
  if (!v.is_object()) return v;
  std::vector<std::string> keys;
  for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
  std::sort(keys.begin(), keys.end());
  Json out = Json::object();
  for (const auto& k : keys) out[k] = SortedKeys(v.at(k));
  return out;
}

namespace {

void AddResourceGroup(Json& v) {
  if (v.is_array()) {
    for (auto& e : v) AddResourceGroup(e);
    return;
  }
  if (!v.is_object()) return;
  for (auto it = v.begin(); it != v.end(); ++it) AddResourceGroup(it.value());
  auto id = v.find("id");
  if (id != v.end() && id->is_string() && !v.contains("resourceGroup")) {
    auto parsed = ParseResourceId(id->get<std::string>());
    // Only ids below a group: a resource group's own id names no group "inside" it.
    if (parsed && !parsed->resource_group.empty() && !parsed->type.empty()) {
      v["resourceGroup"] = parsed->resource_group;
    }
  }
}

Json Flatten(const Json& v) {
  if (v.is_array()) {
    Json out = Json::array();
    for (const auto& e : v) out.push_back(Flatten(e));
    return out;
  }
  if (!v.is_object()) return v;
  Json out = Json::object();
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key() == "properties" && it.value().is_object()) continue;
    out[it.key()] = Flatten(it.value());
  }
  auto props = v.find("properties");
  if (props != v.end() && props->is_object()) {
    for (auto it = props->begin(); it != props->end(); ++it) {
      // A top-level field wins over a property of the same name (az's SDK models cannot hold both).
      if (!out.contains(it.key())) out[it.key()] = Flatten(it.value());
    }
  }
  return out;
}

}  // namespace

Json AzView(const Json& arm) {
  Json out = Flatten(arm);
  AddResourceGroup(out);
  return SortedKeys(out);
}

Json WithResourceGroups(const Json& v) {
  Json out = v;
  AddResourceGroup(out);
  return SortedKeys(out);
}

}  // namespace isthmus::cli
