#include "mgmt/model/state.h"

namespace isthmus::mgmt {

const Resource* State::Find(const ResourceId& id) const {
  if (id.kind == Kind::kSubnet) return nullptr;
  return FindKey(id.Key());
}

const Resource* State::FindKey(const std::string& key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &it->second;
}

std::vector<const Resource*> State::List(Kind kind, const std::string& subscription,
                                         const std::optional<std::string>& group) const {
  std::vector<const Resource*> out;
  for (const auto& [key, r] : by_key_) {
    if (r.id.kind != kind || !IEquals(r.id.subscription, subscription)) continue;
    if (group && !IEquals(r.id.resource_group, *group)) continue;
    out.push_back(&r);
  }
  return out;
}

std::vector<const Resource*> State::ListAll(Kind kind) const {
  std::vector<const Resource*> out;
  for (const auto& [key, r] : by_key_) {
    if (r.id.kind == kind) out.push_back(&r);
  }
  return out;
}

const Json* State::FindSubnet(const ResourceId& subnet_id) const {
  const Resource* vnet = FindKey(subnet_id.Parent().Key());
  if (!vnet) return nullptr;
  const auto& props = vnet->doc["properties"];
  if (!props.contains("subnets")) return nullptr;
  for (const auto& s : props["subnets"]) {
    if (IEquals(s.value("name", ""), subnet_id.child_name)) return &s;
  }
  return nullptr;
}

void State::Apply(const std::vector<Change>& changes) {
  for (const auto& c : changes) {
    if (c.after) {
      by_key_.insert_or_assign(c.key, *c.after);
    } else {
      by_key_.erase(c.key);
    }
  }
}

}  // namespace isthmus::mgmt
