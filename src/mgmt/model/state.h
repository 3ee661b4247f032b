// The desired state: every stored resource document, keyed by lowercased resource ID.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mgmt/model/resource_id.h"

namespace isthmus::mgmt {

using Json = nlohmann::ordered_json;

// One stored resource: its ID and its full ARM document, secrets included (the REST layer redacts).
struct Resource {
  ResourceId id;
  Json doc;
};

// A change to apply atomically: `after` empty means delete.
struct Change {
  std::string key;
  std::optional<Resource> after;
};

class State {
 public:
  const Resource* Find(const ResourceId& id) const;
  const Resource* FindKey(const std::string& key) const;
  // Resources of a kind within a subscription, optionally within one group (compared case-insensitively).
  std::vector<const Resource*> List(Kind kind, const std::string& subscription,
                                    const std::optional<std::string>& group = std::nullopt) const;
  // Resources of a kind in every subscription (for what must be unique on the host, such as MACs).
  std::vector<const Resource*> ListAll(Kind kind) const;
  // Subnet documents live inside their VNet's document, as Azure returns them.
  const Json* FindSubnet(const ResourceId& subnet_id) const;

  void Apply(const std::vector<Change>& changes);
  std::size_t size() const { return by_key_.size(); }

 private:
  std::map<std::string, Resource> by_key_;
};

}  // namespace isthmus::mgmt
