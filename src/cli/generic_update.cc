#include "cli/generic_update.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/errors.h"

namespace isthmus::cli {

namespace {

// azure-cli's usage strings (azure/cli/core/commands/arm.py), quoted in its "invalid syntax" errors.
constexpr char kSetUsage[] = "--set property1.property2=<value>";
constexpr char kAddUsage[] = "--add property.listProperty <key=value, string or JSON string>";
constexpr char kRemoveUsage[] = "--remove property.list <indexToRemove> OR --remove propertyToRemove";

// ARM's envelope: what stays beside `properties` rather than inside it.
bool IsEnvelopeKey(const std::string& k) {
  static const std::vector<std::string> keys = {"id",   "name",      "type",  "location", "tags",
                                                "etag", "sku",       "zones", "identity", "extendedLocation",
                                                "kind", "managedBy", "plan"};
  return std::find(keys.begin(), keys.end(), k) != keys.end();
}

// Containers the resources here have that a GET may leave out; az's models know them, so a path may
// pass through one that is absent (it is created, as az creates an unset model attribute).
bool IsOptionalContainer(const std::string& k) {
  static const std::vector<std::string> keys = {"tags",
                                                "sku",
                                                "addressSpace",
                                                "dhcpOptions",
                                                "bgpSettings",
                                                "dnsSettings",
                                                "localNetworkAddressSpace",
                                                "vpnClientConfiguration"};
  return std::find(keys.begin(), keys.end(), k) != keys.end();
}

bool IsResourceLike(const Json& v) {
  return v.is_object() && v.contains("properties") && v["properties"].is_object();
}

// camelCase and snake_case name the same property for az (make_snake_case): compare without either.
std::string Folded(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c != '_') out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

// _get_internal_path: "a.b[0][name=x].c" → a, b, [0], [name=x], c.
std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  for (std::size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '[') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      std::size_t close = path.find(']', i);
      if (close == std::string::npos) close = path.size() - 1;
      out.push_back(path.substr(i, close - i + 1));
      i = close;
    } else if (c == '.') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string JoinPath(const std::vector<std::string>& parts, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n && i < parts.size(); ++i) {
    if (!out.empty() && parts[i][0] != '[') out += ".";
    out += parts[i];
  }
  return out;
}

bool IsIndex(const std::string& part) {
  return part.size() >= 2 && part.front() == '[' && part.back() == ']';
}

// The keys az would offer: the resource as az shows it (properties flattened), camelCase, sorted.
std::vector<std::string> ViewKeys(const Json& v) {
  std::vector<std::string> keys;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key() != "properties" || !it->is_object()) keys.push_back(it.key());
  }
  if (IsResourceLike(v)) {
    for (auto it = v["properties"].begin(); it != v["properties"].end(); ++it) {
      if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) keys.push_back(it.key());
    }
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

// throw_and_show_options: `where` is the path walked before `part`.
Error NotFound(const Json& node, const std::string& part, const std::string& where) {
  std::string msg = fmt::format("Couldn't find '{}' in '{}'.", part, where);
  if (node.is_object()) {
    std::vector<std::string> quoted;
    for (const auto& k : ViewKeys(node)) quoted.push_back("'" + k + "'");
    msg += fmt::format(" Available options: [{}]", fmt::join(quoted, ", "));
  } else if (node.is_array()) {
    msg += fmt::format(" Available options: index into the collection '{}' with [<index>] or [<key=value>]",
                       where);
  } else {
    msg += fmt::format(" '{}' does not support further indexing.", where);
  }
  return ClientError(msg);
}

Error InvalidSyntax(const char* usage) {
  return ClientError(fmt::format("invalid syntax: {}", usage));
}

// az's shell_safe_json_parse, without its Python-literal fallback: JSON if it parses, else the text.
Json ValueOf(const std::string& text, bool force_string) {
  if (force_string) return Json(text);
  auto v = Json::parse(text, nullptr, false);
  return v.is_discarded() ? Json(text) : v;
}

// A member of an object as az's view sees it: its own key, else one of its flattened properties.
Json* Member(Json& node, const std::string& part) {
  if (auto it = node.find(part); it != node.end()) return &*it;
  Json* props = IsResourceLike(node) ? &node["properties"] : nullptr;
  if (props != nullptr) {
    if (auto it = props->find(part); it != props->end()) return &*it;
  }
  for (Json* scope : {&node, props}) {
    if (scope == nullptr) continue;
    for (auto it = scope->begin(); it != scope->end(); ++it) {
      if (Folded(it.key()) == Folded(part) && it.key() != "properties") return &*it;
    }
  }
  return nullptr;
}

// Where a new member of `node` belongs: inside `properties` unless it is part of ARM's envelope.
Json& NewMember(Json& node, const std::string& name) {
  if (IsResourceLike(node) && !IsEnvelopeKey(name)) return node["properties"][name];
  return node[name];
}

Result<std::size_t> ListIndex(const Json& list, const std::string& text, const std::string& list_name) {
  long long i = 0;
  try {
    std::size_t used = 0;
    i = std::stoll(text, &used);
    if (used != text.size()) return Fail(Error::Invalid("ValueError", "not an index"));
  } catch (const std::exception&) {
    return Fail(Error::Invalid("ValueError", "not an index"));
  }
  const long long size = static_cast<long long>(list.size());
  const long long k = i < 0 ? size + i : i;  // Python's negative indexes
  if (k < 0 || k >= size)
    return Fail(ClientError(fmt::format("index {} doesn't exist on {}", text, list_name)));
  return static_cast<std::size_t>(k);
}

// One step of _update_instance: `parts[i]` inside `node`.
Result<Json*> Step(Json& node, const std::vector<std::string>& parts, std::size_t i) {
  const std::string& part = parts[i];
  const std::string where = JoinPath(parts, i);
  if (IsIndex(part)) {
    if (!node.is_array()) return Fail(NotFound(node, part, where));
    const std::string inner = part.substr(1, part.size() - 2);
    const std::string list_name = i > 0 ? parts[i - 1] : "";
    auto eq = inner.find('=');
    if (eq == std::string::npos) {
      auto k = ListIndex(node, inner, list_name);
      if (!k) return Fail(k.error());
      return &node[*k];
    }
    const std::string key = inner.substr(0, eq);
    const Json want = ValueOf(inner.substr(eq + 1), false);
    Json* match = nullptr;
    for (auto& item : node) {
      if (!item.is_object()) continue;
      Json* v = Member(item, key);
      if (v == nullptr || *v != want) continue;
      if (match != nullptr) {
        return Fail(ClientError(fmt::format(
            "non-unique key '{}' found multiple matches on {}. Key must be unique.", key, list_name)));
      }
      match = &item;
    }
    if (match == nullptr) {
      return Fail(ClientError(fmt::format("item with value '{}' doesn't exist for key '{}' on {}",
                                          inner.substr(eq + 1), key, list_name)));
    }
    return match;
  }
  if (!node.is_object()) return Fail(NotFound(node, part, where));
  if (Json* m = Member(node, part)) return m;
  if (IsOptionalContainer(part)) return &(NewMember(node, part) = Json::object());
  return Fail(NotFound(node, part, where));
}

// _find_property over the first `n` parts.
Result<Json*> Find(Json& root, const std::vector<std::string>& parts, std::size_t n) {
  Json* node = &root;
  for (std::size_t i = 0; i < n; ++i) {
    auto next = Step(*node, parts, i);
    if (!next) return next;
    node = *next;
  }
  return node;
}

// _split_key_value_pair: the first '=' outside [brackets] ends the key.
std::pair<std::string, std::string> SplitAssignment(const std::string& e) {
  bool brackets = false;
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (e[i] == '[') brackets = true;
    if (e[i] == ']') brackets = false;
    if (e[i] == '=' && !brackets) return {e.substr(0, i), e.substr(i + 1)};
  }
  return {e, ""};
}

Status Set(Json& root, const std::string& expression, bool force_string) {
  auto [key, text] = SplitAssignment(expression);
  if (key.find_first_not_of(" \t") == std::string::npos) {
    return Fail(
        ClientError("usage error: Empty key in --set. Correct syntax: --set KEY=VALUE [KEY=VALUE ...]"));
  }
  const std::vector<std::string> parts = SplitPath(key);
  const std::string& name = parts.back();
  auto parent = Find(root, parts, parts.size() - 1);
  if (!parent) return Fail(parent.error());
  Json& target = **parent;
  if (target.is_null() && !parts.empty()) target = Json::object();  // az: an unset attribute becomes {}
  Json value = ValueOf(text, force_string);
  if (IsIndex(name)) {
    if (!target.is_array()) return Fail(NotFound(target, name, JoinPath(parts, parts.size() - 1)));
    auto k =
        ListIndex(target, name.substr(1, name.size() - 2), parts.size() > 1 ? parts[parts.size() - 2] : "");
    if (!k) return k.error().code == "ValueError" ? Fail(InvalidSyntax(kSetUsage)) : Fail(k.error());
    target[*k] = std::move(value);
    return {};
  }
  if (!target.is_object()) return Fail(NotFound(target, name, JoinPath(parts, parts.size() - 1)));
  if (Json* m = Member(target, name)) {
    *m = std::move(value);
  } else {
    NewMember(target, name) = std::move(value);
  }
  return {};
}

// A flat {"name": ..., "addressPrefix": ...} added to a list of sub-resources goes in ARM's shape, as
// az's SDK models serialise it: envelope keys beside `properties`, the rest inside.
Json AsListItem(const Json& list, const std::string& list_name, Json item) {
  static const std::vector<std::string> sub_resources = {"subnets", "ipConfigurations",
                                                         "virtualNetworkPeerings"};
  bool resources = std::any_of(list.begin(), list.end(), IsResourceLike) ||
                   (list.empty() &&
                    std::find(sub_resources.begin(), sub_resources.end(), list_name) != sub_resources.end());
  if (!resources || !item.is_object() || item.contains("properties")) return item;
  Json out = Json::object();
  Json props = Json::object();
  for (auto it = item.begin(); it != item.end(); ++it) {
    (IsEnvelopeKey(it.key()) ? out[it.key()] : props[it.key()]) = *it;
  }
  out["properties"] = std::move(props);
  return out;
}

Status Add(Json& root, const std::vector<std::string>& values, bool force_string) {
  const std::vector<std::string> parts = SplitPath(values[0]);
  if (parts.empty()) return Fail(InvalidSyntax(kAddUsage));
  auto parent = Find(root, parts, parts.size() - 1);
  if (!parent) return Fail(parent.error());
  Json* list = nullptr;
  if ((*parent)->is_object() && !IsIndex(parts.back())) {
    list = Member(**parent, parts.back());
    if (list == nullptr || list->is_null()) list = &(NewMember(**parent, parts.back()) = Json::array());
  } else {
    auto l = Step(**parent, parts, parts.size() - 1);
    if (!l) return Fail(l.error());
    list = *l;
  }
  if (!list->is_array()) return Fail(InvalidSyntax(kAddUsage));
  const std::string& list_name = parts.back();
  Json entry = Json::object();  // consecutive key=value arguments make one object
  Json added = Json::array();
  for (std::size_t i = 1; i < values.size(); ++i) {
    const std::string& v = values[i];
    auto eq = v.find('=');
    if (eq != std::string::npos) {
      entry[v.substr(0, eq)] = v.substr(eq + 1);
      continue;
    }
    if (!entry.empty()) added.push_back(std::exchange(entry, Json::object()));
    added.push_back(ValueOf(v, force_string));
  }
  if (!entry.empty()) added.push_back(std::move(entry));
  for (auto& item : added) list->push_back(AsListItem(*list, list_name, std::move(item)));
  return {};
}

Status Remove(Json& root, const std::vector<std::string>& values) {
  const std::vector<std::string> parts = SplitPath(values[0]);
  if (parts.empty()) return Fail(InvalidSyntax(kRemoveUsage));
  if (values.size() >= 2 && !values[1].empty()) {
    auto list = Find(root, parts, parts.size());
    if (!list) return Fail(list.error());
    if (!(*list)->is_array()) return Fail(ClientError(fmt::format("{} doesn't exist", parts.back())));
    auto k = ListIndex(**list, values[1], parts.back());
    if (!k) return k.error().code == "ValueError" ? Fail(InvalidSyntax(kRemoveUsage)) : Fail(k.error());
    (*list)->erase(*k);
    return {};
  }
  auto parent = Find(root, parts, parts.size() - 1);
  if (!parent) return Fail(parent.error());
  Json& p = **parent;
  const std::string& name = parts.back();
  if (IsIndex(name) || !p.is_object()) return Fail(InvalidSyntax(kRemoveUsage));
  if (p.erase(name) > 0) return {};
  if (IsResourceLike(p) && p["properties"].erase(name) > 0) return {};
  if (Json* m = Member(p, name)) {
    *m = nullptr;  // found under another spelling: az sets the attribute to None
    return {};
  }
  return Fail(NotFound(p, name, JoinPath(parts, parts.size() - 1)));
}

}  // namespace

std::vector<OptionSpec> GenericUpdateOptions() {
  std::vector<OptionSpec> out = {
      {"properties_to_set",
       {"--set"},
       fmt::format("Update an object by specifying a property path and value to set.  Example: {}",
                   kSetUsage),
       ArgKind::kList},
      {"properties_to_add",
       {"--add"},
       fmt::format(
           "Add an object to a list of objects by specifying a path and key value pairs.  Example: {}",
           kAddUsage),
       ArgKind::kList},
      {"properties_to_remove",
       {"--remove"},
       fmt::format("Remove a property or an element from a list.  Example: {}", kRemoveUsage),
       ArgKind::kList},
      {"force_string",
       {"--force-string"},
       "When using 'set' or 'add', preserve string literals instead of attempting to convert to JSON.",
       ArgKind::kFlag},
  };
  for (std::size_t i = 0; i < 3; ++i) out[i].ordered = true;
  return out;
}

Status ApplyGenericUpdates(const ParsedArgs& args, Json& resource) {
  const bool force_string = args.Flag("force_string");
  for (const auto& [dest, values] : args.Ordered()) {
    if (dest == "properties_to_set") {
      for (const auto& e : values) {
        if (auto s = Set(resource, e, force_string); !s) return s;
      }
    } else if (dest == "properties_to_add") {
      if (auto s = Add(resource, values, force_string); !s) return s;
    } else if (dest == "properties_to_remove") {
      if (auto s = Remove(resource, values); !s) return s;
    }
  }
  return {};
}

}  // namespace isthmus::cli
