#include "mgmt/template/template.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "mgmt/model/resource_id.h"
#include "mgmt/template/functions.h"

namespace isthmus::mgmt::tmpl {
namespace {

constexpr std::int64_t kMaxCopyCount = 800;  // ARM's limit per copy loop

Error Invalid(std::string message, std::string target = {}) {
  return Error::Invalid("InvalidTemplate", std::move(message), std::move(target));
}

// A case-insensitive lookup of an object's key; end() when absent.
Json::const_iterator FindKey(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return obj.end();
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (IEquals(it.key(), key)) return it;
  }
  return obj.end();
}

std::string ArmTypeName(const std::string& lowered) {
  if (lowered == "string") return "String";
  if (lowered == "securestring") return "SecureString";
  if (lowered == "int") return "Int";
  if (lowered == "bool") return "Bool";
  if (lowered == "object") return "Object";
  if (lowered == "secureobject") return "SecureObject";
  if (lowered == "array") return "Array";
  return lowered;
}

// Whether `v` is of the declared type (lowercased); strings that spell an int or a bool are converted,
// as parameters typed on a command line arrive as text.
bool Conform(Json& v, const std::string& type) {
  if (type == "string" || type == "securestring") return v.is_string();
  if (type == "object" || type == "secureobject") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "int") {
    if (v.is_number_integer()) return true;
    if (!v.is_string()) return false;
    const std::string s = v.get<std::string>();
    if (s.empty() || s.size() > 19) return false;
    std::size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size() || !std::all_of(s.begin() + static_cast<std::ptrdiff_t>(i), s.end(), ::isdigit))
      return false;
    v = std::stoll(s);
    return true;
  }
  if (type == "bool") {
    if (v.is_boolean()) return true;
    if (v.is_string() && (IEquals(v.get<std::string>(), "true") || IEquals(v.get<std::string>(), "false"))) {
      v = IEquals(v.get<std::string>(), "true");
      return true;
    }
    return false;
  }
  return false;
}

struct CopyFrame {
  std::string name;
  std::int64_t index;
};

// The deployment as expressions see it: parameters, lazily evaluated variables, the copy loops in
// scope, and (when rendering) reference() through the engine.
class TemplateContext final : public EvalContext {
 public:
  TemplateContext(const Json& doc, const Scope& scope) : doc_(doc), scope_(scope) {}

  // Parameters resolved so far (Prepare fills them in on demand; rendering has them all).
  std::map<std::string, ParameterValue>* parameters = nullptr;
  std::function<Result<Json>(std::string_view)> resolve_parameter;  // Prepare: defaults on demand
  const ReferenceResolver* resolve = nullptr;                       // null: reference() not allowed here
  std::function<std::optional<std::string>(std::string_view)> id_of_name;
  bool probing = false;  // Prepare's scan for reference(): answer {} and record

  void Push(std::string name, std::int64_t index) { copies_.push_back({std::move(name), index}); }
  void Pop() { copies_.pop_back(); }

  Result<Json> Parameter(std::string_view name) override {
    if (parameters) {
      for (const auto& [n, p] : *parameters) {
        if (IEquals(n, name)) return p.value;
      }
    }
    if (resolve_parameter) return resolve_parameter(name);
    return Fail(Invalid(fmt::format("The template parameter '{}' is not found.", name)));
  }

  Result<Json> Variable(std::string_view name) override {
    const std::string key = ToLower(name);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    if (in_progress_.contains(key)) {
      return Fail(
          Invalid(fmt::format("The template variable '{}' refers to itself (a cycle of variables).", name)));
    }
    const Json& vars = doc_.contains("variables") ? doc_["variables"] : Json::object();
    Result<Json> value = Fail(Invalid(fmt::format("The template variable '{}' is not found.", name)));
    in_progress_.insert(key);
    // Copies run with only their own loop in scope, not the caller's.
    std::vector<CopyFrame> saved;
    saved.swap(copies_);
    if (auto copy = FindKey(vars, "copy"); copy != vars.end() && copy->is_array() && !IEquals(name, "copy")) {
      for (std::size_t i = 0; i < copy->size(); ++i) {
        const Json& c = (*copy)[i];
        if (c.is_object() && c.contains("name") && c["name"].is_string() &&
            IEquals(c["name"].get<std::string>(), name)) {
          value = CopyArray(c, fmt::format("variables.copy[{}]", i));
          break;
        }
      }
    }
    if (!value) {
      if (auto it = FindKey(vars, name); it != vars.end() && !IEquals(it.key(), "copy")) {
        value = Walk(*it, fmt::format("variables.{}", it.key()));
      }
    }
    copies_.swap(saved);
    in_progress_.erase(key);
    if (value) cache_[key] = *value;
    return value;
  }

  Result<Json> CopyIndex(std::string_view loop, std::int64_t offset) override {
    if (copies_.empty()) {
      return Fail(Invalid(
          "The template function 'copyIndex' is not expected at this location: there is no copy loop here."));
    }
    if (loop.empty()) return copies_.back().index + offset;
    for (auto it = copies_.rbegin(); it != copies_.rend(); ++it) {
      if (IEquals(it->name, loop)) return it->index + offset;
    }
    return Fail(Invalid(fmt::format(
        "The template function 'copyIndex' names the copy loop '{}', which is not in scope here.", loop)));
  }

  Result<Json> Reference(std::string_view id_or_name, std::string_view, bool full) override {
    if (probing) return Json::object();
    if (!resolve) {
      return Fail(Invalid(
          "The template function 'reference' is not expected at this location: names, types, dependsOn, "
          "conditions and copy counts must be known before anything deploys."));
    }
    std::string id(id_or_name);
    if (!id.starts_with("/")) {
      auto found = id_of_name ? id_of_name(id_or_name) : std::nullopt;
      if (!found) {
        return Fail(Invalid(fmt::format(
            "The template function 'reference' names '{}', which is not a resource of this template: give "
            "an existing resource's full ID (resourceId(...)).",
            id_or_name)));
      }
      id = *found;
    }
    auto doc = (*resolve)(id);
    if (!doc) return doc;
    if (doc->is_null()) {
      return Fail(Error::NotFound("ResourceNotFound", fmt::format("The resource '{}' was not found.", id)));
    }
    if (full) return doc;
    return doc->contains("properties") ? (*doc)["properties"] : Json::object();
  }

  Result<Json> List(std::string_view function, std::string_view, std::string_view, const Json&) override {
    return Fail(Invalid(fmt::format(
        "The template function '{}' is not supported: Isthmus's resources have no keys or secrets to list.",
        function)));
  }

  std::string SubscriptionId() const override { return scope_.subscription_id; }
  std::string TenantId() const override { return scope_.tenant_id; }
  std::string ResourceGroupName() const override { return scope_.resource_group; }
  std::string ResourceGroupLocation() const override { return scope_.location; }
  std::string DeploymentName() const override { return scope_.deployment_name; }
  Json ResourceGroupTags() const override { return scope_.resource_group_tags; }
  std::string DeploymentMode() const override { return scope_.mode; }
  std::string TemplateContentVersion() const override { return doc_.value("contentVersion", "1.0.0.0"); }

  // {name, count, input}: the array of `input` evaluated at each index of the loop `name`.
  Result<Json> CopyArray(const Json& c, const std::string& path) {
    if (!c.is_object() || !c.contains("name") || !c["name"].is_string() || !c.contains("count") ||
        !c.contains("input")) {
      return Fail(Invalid(fmt::format("{}: a copy needs 'name', 'count' and 'input'.", path), path));
    }
    auto count = CopyCount(c["count"], path + ".count");
    if (!count) return Fail(count.error());
    Json out = Json::array();
    for (std::int64_t i = 0; i < *count; ++i) {
      Push(c["name"].get<std::string>(), i);
      auto v = Walk(c["input"], fmt::format("{}.input", path));
      Pop();
      if (!v) return v;
      out.push_back(std::move(*v));
    }
    return out;
  }

  Result<std::int64_t> CopyCount(const Json& raw, const std::string& path) {
    auto v = Evaluate(raw, *this, path);
    if (!v) return Fail(v.error());
    if (!v->is_number_integer())
      return Fail(Invalid(fmt::format("{}: the copy count must be an integer.", path), path));
    const auto n = v->get<std::int64_t>();
    if (n < 0 || n > kMaxCopyCount) {
      return Fail(Invalid(
          fmt::format("{}: the copy count must be between 0 and {}; it is {}.", path, kMaxCopyCount, n),
          path));
    }
    return n;
  }

  // Evaluates a value: strings and property names as expressions; an object's "copy" array (property
  // iteration) becomes one array property per loop.
  Result<Json> Walk(const Json& v, const std::string& path) {
    if (v.is_string()) return Evaluate(v, *this, path);
    if (v.is_array()) {
      Json out = Json::array();
      for (std::size_t i = 0; i < v.size(); ++i) {
        auto e = Walk(v[i], fmt::format("{}[{}]", path, i));
        if (!e) return e;
        out.push_back(std::move(*e));
      }
      return out;
    }
    if (!v.is_object()) return v;
    Json out = Json::object();
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string here = path.empty() ? it.key() : fmt::format("{}.{}", path, it.key());
      if (IEquals(it.key(), "copy") && it->is_array()) {
        for (std::size_t i = 0; i < it->size(); ++i) {
          const Json& c = (*it)[i];
          auto arr = CopyArray(c, fmt::format("{}[{}]", here, i));
          if (!arr) return arr;
          out[c["name"].get<std::string>()] = std::move(*arr);
        }
        continue;
      }
      auto key = Evaluate(Json(it.key()), *this, here);
      if (!key) return key;
      if (!key->is_string())
        return Fail(Invalid(fmt::format("{}: a property name must evaluate to a string.", here), here));
      auto val = Walk(*it, here);
      if (!val) return val;
      out[key->get<std::string>()] = std::move(*val);
    }
    return out;
  }

 private:
  const Json& doc_;
  const Scope& scope_;
  std::vector<CopyFrame> copies_;
  std::map<std::string, Json> cache_;
  std::set<std::string> in_progress_;
};

// ---- Parameters ------------------------------------------------------------------------------------

Status CheckParameter(const std::string& name, const Json& decl, const std::string& type, Json& v) {
  if (!Conform(v, type)) {
    return Fail(Error::Invalid("InvalidTemplate",
                               fmt::format("The provided value for the template parameter '{}' is not valid: "
                                           "expected a value of type '{}', got {}.",
                                           name, ArmTypeName(type), TypeName(v)),
                               name));
  }
  if (auto allowed = FindKey(decl, "allowedValues"); allowed != decl.end() && allowed->is_array()) {
    auto ok = [&](const Json& x) {
      return std::any_of(allowed->begin(), allowed->end(), [&](const Json& a) { return DeepEquals(a, x); });
    };
    const bool fits = type == "array" ? std::all_of(v.begin(), v.end(), ok) : ok(v);
    if (!fits) {
      std::vector<std::string> list;
      for (const auto& a : *allowed) list.push_back(a.is_string() ? a.get<std::string>() : a.dump());
      return Fail(Error::Invalid(
          "InvalidTemplate",
          fmt::format(
              "The provided value for the template parameter '{}' is not valid. The value{} is not part "
              "of the allowed value(s): '{}'.",
              name,
              type == "securestring" || type == "secureobject"
                  ? ""
                  : " '" + (v.is_string() ? v.get<std::string>() : v.dump()) + "'",
              fmt::join(list, ",")),
          name));
    }
  }
  auto bound = [&](const char* key, auto&& cmp, const char* what) -> Status {
    auto b = FindKey(decl, key);
    if (b == decl.end()) return {};
    if (!b->is_number_integer()) {
      return Fail(Invalid(fmt::format("parameters.{}.{} must be an integer.", name, key), name));
    }
    const std::int64_t limit = b->get<std::int64_t>();
    const std::int64_t actual = type == "int"   ? v.get<std::int64_t>()
                                : v.is_string() ? static_cast<std::int64_t>(v.get<std::string>().size())
                                                : static_cast<std::int64_t>(v.size());
    if (!cmp(actual, limit)) {
      return Fail(Error::Invalid(
          "InvalidTemplate",
          fmt::format("The provided value for the template parameter '{}' is not valid: its {} is {}, {} {}.",
                      name, type == "int" ? "value" : "length", actual, what, limit),
          name));
    }
    return {};
  };
  if (type == "int") {
    if (auto s = bound("minValue", std::greater_equal<>(), "less than the minimum"); !s) return s;
    if (auto s = bound("maxValue", std::less_equal<>(), "more than the maximum"); !s) return s;
  } else if (type != "bool") {
    if (auto s = bound("minLength", std::greater_equal<>(), "shorter than the minimum"); !s) return s;
    if (auto s = bound("maxLength", std::less_equal<>(), "longer than the maximum"); !s) return s;
  }
  return {};
}

Status ResolveParameters(const Json& doc, const Json& supplied, const Scope& scope,
                         std::map<std::string, ParameterValue>& out) {
  const Json decls = doc.contains("parameters") ? doc["parameters"] : Json::object();
  if (!decls.is_object())
    return Fail(Invalid("The template's 'parameters' must be an object.", "parameters"));
  if (!supplied.is_null() && !supplied.is_object()) {
    return Fail(Error::Invalid("InvalidRequestContent",
                               "The deployment parameters must be an object of {\"name\": {\"value\": ...}}.",
                               "parameters"));
  }
  std::map<std::string, Json> given;  // by lowercased name
  if (supplied.is_object()) {
    std::vector<std::string> unknown;
    for (auto it = supplied.begin(); it != supplied.end(); ++it) {
      if (FindKey(decls, it.key()) == decls.end()) {
        unknown.push_back(it.key());
        continue;
      }
      if (!it->is_object() || !it->contains("value")) {
        if (it->is_object() && it->contains("reference")) {
          return Fail(
              Error::Invalid("InvalidTemplate",
                             fmt::format("The template parameter '{}' refers to a Key Vault secret; Isthmus "
                                         "has no Key Vault: give the value itself.",
                                         it.key()),
                             it.key()));
        }
        return Fail(Error::Invalid(
            "InvalidTemplate",
            fmt::format("The template parameter '{}' must be given as {{\"value\": ...}}.", it.key()),
            it.key()));
      }
      given[ToLower(it.key())] = (*it)["value"];
    }
    if (!unknown.empty()) {
      return Fail(Error::Invalid(
          "InvalidTemplate",
          fmt::format(
              "The template parameters '{}' in the parameters file are not valid; they are not present in "
              "the original template and can therefore not be provided at deployment time. The only "
              "supported parameters for this template are '{}'.",
              fmt::join(unknown, ", "),
              fmt::join(
                  [&] {
                    std::vector<std::string> names;
                    for (auto it = decls.begin(); it != decls.end(); ++it) names.push_back(it.key());
                    return names;
                  }(),
                  ", ")),
          unknown[0]));
    }
  }

  TemplateContext ctx(doc, scope);
  ctx.parameters = &out;
  std::set<std::string> resolving;
  std::function<Result<Json>(std::string_view)> resolve = [&](std::string_view want) -> Result<Json> {
    auto d = FindKey(decls, want);
    if (d == decls.end())
      return Fail(Invalid(fmt::format("The template parameter '{}' is not found.", want)));
    const std::string name = d.key();
    for (const auto& [n, p] : out) {
      if (IEquals(n, name)) return p.value;
    }
    if (!d->is_object() || !d->contains("type") || !(*d)["type"].is_string()) {
      return Fail(Invalid(fmt::format("parameters.{}: a parameter needs a 'type'.", name), name));
    }
    const std::string type = ToLower((*d)["type"].get<std::string>());
    static const std::set<std::string> kTypes = {"string", "securestring", "int",  "bool",
                                                 "object", "secureobject", "array"};
    if (!kTypes.contains(type)) {
      return Fail(
          Invalid(fmt::format("parameters.{}: the type '{}' is not one of string, securestring, int, bool, "
                              "object, secureobject, array.",
                              name, (*d)["type"].get<std::string>()),
                  name));
    }
    Json v;
    if (auto g = given.find(ToLower(name)); g != given.end()) {
      v = g->second;
    } else if (auto def = FindKey(*d, "defaultValue"); def != d->end()) {
      if (!resolving.insert(ToLower(name)).second) {
        return Fail(Invalid(
            fmt::format("The default value of the template parameter '{}' refers to itself.", name), name));
      }
      auto dv = ctx.Walk(*def, fmt::format("parameters.{}.defaultValue", name));
      resolving.erase(ToLower(name));
      if (!dv) return dv;
      v = std::move(*dv);
    } else {
      return Fail(
          Error::Invalid("InvalidTemplate",
                         fmt::format("Deployment template validation failed: 'The value for the template "
                                     "parameter '{}' is not provided.'",
                                     name),
                         name));
    }
    if (auto s = CheckParameter(name, *d, type, v); !s) return Fail(s.error());
    out[name] = ParameterValue{v, type == "securestring" || type == "secureobject", type};
    return v;
  };
  ctx.resolve_parameter = resolve;
  for (auto it = decls.begin(); it != decls.end(); ++it) {
    if (auto r = resolve(it.key()); !r) return Fail(r.error());
  }
  return {};
}

// ---- Resources -------------------------------------------------------------------------------------

struct Pending {
  std::vector<std::string> depends_on;  // evaluated entries
  std::vector<std::string> references;  // reference() targets found by probing
  std::optional<std::size_t> parent;
};

const std::set<std::string>& NonBodyKeys() {
  static const std::set<std::string> keys = {"type",      "apiversion", "name",     "dependson", "copy",
                                             "condition", "resources",  "comments", "metadata",  "scope"};
  return keys;
}

// Records every reference() target in `v`'s expressions (evaluated with {} for each reference, errors
// ignored: only the targets matter here).
void Probe(const Json& v, TemplateContext& ctx, std::vector<std::string>& out) {
  if (v.is_string()) {
    if (!IsExpression(v.get<std::string>())) return;
    ctx.references.clear();
    ctx.probing = true;
    (void)Evaluate(v, ctx, "");
    ctx.probing = false;
    out.insert(out.end(), ctx.references.begin(), ctx.references.end());
    return;
  }
  if (v.is_array() || v.is_object()) {
    for (const auto& e : v) Probe(e, ctx, out);
  }
}

class Expander {
 public:
  Expander(const Json& doc, const Scope& scope, const PrepareOptions& options, Plan& plan)
      : scope_(scope), options_(options), plan_(plan), ctx_(doc, scope) {
    ctx_.parameters = &plan_.parameters;
  }

  Status Expand(const Json& resources, const std::string& prefix, std::optional<std::size_t> parent) {
    if (!resources.is_array()) return Fail(Invalid(fmt::format("{} must be an array.", prefix), prefix));
    for (std::size_t i = 0; i < resources.size(); ++i) {
      const std::string path = fmt::format("{}[{}]", prefix, i);
      const Json& r = resources[i];
      if (!r.is_object()) return Fail(Invalid(fmt::format("{}: a resource must be an object.", path), path));
      auto copy = FindKey(r, "copy");
      if (copy == r.end()) {
        if (auto s = One(r, path, parent, "", -1); !s) return s;
        continue;
      }
      if (!copy->is_object() || !copy->contains("name") || !(*copy)["name"].is_string() ||
          !copy->contains("count")) {
        return Fail(Invalid(fmt::format("{}.copy needs a 'name' and a 'count'.", path), path + ".copy"));
      }
      const std::string loop = (*copy)["name"].get<std::string>();
      auto count = ctx_.CopyCount((*copy)["count"], path + ".copy.count");
      if (!count) return Fail(count.error());
      loops_.insert(ToLower(loop));
      for (std::int64_t k = 0; k < *count; ++k) {
        ctx_.Push(loop, k);
        auto s = One(r, path, parent, loop, k);
        ctx_.Pop();
        if (!s) return s;
      }
    }
    return {};
  }

  Status Link() {
    auto& res = plan_.resources;
    for (std::size_t i = 0; i < res.size(); ++i) {
      if (!res[i].enabled) continue;
      std::set<std::size_t> deps;
      if (pending_[i].parent && res[*pending_[i].parent].enabled) deps.insert(*pending_[i].parent);
      for (const auto& d : pending_[i].depends_on) {
        auto found = Resolve(d);
        if (!found) {
          return Fail(Invalid(
              fmt::format("{}.dependsOn: the resource '{}' is not defined in the template.", res[i].path, d),
              res[i].path + ".dependsOn"));
        }
        for (auto j : *found) {
          if (j != i && res[j].enabled) deps.insert(j);
        }
      }
      for (const auto& ref : pending_[i].references) {
        auto found = Resolve(ref);  // a resource outside the template is no dependency
        if (!found) continue;
        for (auto j : *found) {
          if (j != i && res[j].enabled) deps.insert(j);
        }
      }
      // A child declared on its own (virtualNetworks/subnets) waits for its parent when the template
      // makes the parent too.
      if (auto slash = res[i].id.rfind('/'); slash != std::string::npos) {
        const std::string up = res[i].id.substr(0, res[i].id.rfind('/', slash - 1));
        for (std::size_t j = 0; j < res.size(); ++j) {
          if (j != i && res[j].enabled && IEquals(res[j].id, up)) deps.insert(j);
        }
      }
      res[i].depends_on.assign(deps.begin(), deps.end());
    }
    // Waves by Kahn's algorithm; what is left over lies on a cycle.
    std::vector<int> indegree(res.size(), 0);
    std::vector<std::vector<std::size_t>> dependents(res.size());
    std::size_t enabled = 0;
    for (std::size_t i = 0; i < res.size(); ++i) {
      if (!res[i].enabled) continue;
      ++enabled;
      for (auto j : res[i].depends_on) {
        ++indegree[i];
        dependents[j].push_back(i);
      }
    }
    std::vector<std::size_t> ready;
    for (std::size_t i = 0; i < res.size(); ++i) {
      if (res[i].enabled && indegree[i] == 0) ready.push_back(i);
    }
    std::size_t placed = 0;
    while (!ready.empty()) {
      plan_.waves.push_back(ready);
      placed += ready.size();
      std::vector<std::size_t> next;
      for (auto i : ready) {
        for (auto d : dependents[i]) {
          if (--indegree[d] == 0) next.push_back(d);
        }
      }
      std::sort(next.begin(), next.end());
      ready = std::move(next);
    }
    if (placed != enabled) {
      std::vector<std::string> cycle;
      for (std::size_t i = 0; i < res.size(); ++i) {
        if (res[i].enabled && indegree[i] > 0)
          cycle.push_back(fmt::format("'{}' ({})", res[i].name, res[i].path));
      }
      return Fail(Invalid(fmt::format("Deployment template validation failed: circular dependency among the "
                                      "resources {}.",
                                      fmt::join(cycle, ", ")),
                          "resources"));
    }
    return {};
  }

  std::optional<std::string> IdOfName(std::string_view name) const {
    auto found = Resolve(name);
    if (!found || found->size() != 1) return std::nullopt;
    return plan_.resources[(*found)[0]].id;
  }

 private:
  Status One(const Json& r, const std::string& path, std::optional<std::size_t> parent,
             const std::string& loop, std::int64_t index) {
    PlannedResource p;
    p.path = path;
    p.copy_name = loop;
    p.copy_index = index;
    auto field = [&](const char* key) -> Result<std::string> {
      auto it = FindKey(r, key);
      if (it == r.end()) return Fail(Invalid(fmt::format("{}: a resource needs '{}'.", path, key), path));
      auto v = Evaluate(*it, ctx_, fmt::format("{}.{}", path, key));
      if (!v) return Fail(v.error());
      if (!v->is_string() || v->get<std::string>().empty()) {
        return Fail(Invalid(fmt::format("{}.{} must be a non-empty string.", path, key), path + "." + key));
      }
      return v->get<std::string>();
    };
    auto type = field("type");
    if (!type) return Fail(type.error());
    auto api = field("apiVersion");
    if (!api) return Fail(api.error());
    auto name = field("name");
    if (!name) return Fail(name.error());
    p.type = *type;
    p.name = *name;
    p.api_version = *api;
    if (parent) {  // nested: type and name relative to the parent unless written in full
      const PlannedResource& up = plan_.resources[*parent];
      if (p.type.find('/') == std::string::npos) p.type = up.type + "/" + p.type;
      const auto segments = std::count(p.type.begin(), p.type.end(), '/');
      if (std::count(p.name.begin(), p.name.end(), '/') + 1 < segments) p.name = up.name + "/" + p.name;
    }
    const bool supported = std::any_of(options_.supported_types.begin(), options_.supported_types.end(),
                                       [&](const std::string& t) { return IEquals(t, p.type); });
    if (!supported) {
      return Fail(
          Error::Invalid("UnsupportedResourceType",
                         fmt::format("{}: the resource type '{}' is not one Isthmus deploys; it deploys {}.",
                                     path, p.type, fmt::join(options_.supported_types, ", ")),
                         path + ".type"));
    }
    auto id = ResourceIdFor(scope_.subscription_id, scope_.resource_group, p.type, p.name);
    if (!id) return Fail(Invalid(fmt::format("{}.name: {}", path, id.error().message), path + ".name"));
    p.id = *id;
    if (auto cond = FindKey(r, "condition"); cond != r.end()) {
      auto c = Evaluate(*cond, ctx_, path + ".condition");
      if (!c) return Fail(c.error());
      if (!c->is_boolean()) {
        return Fail(
            Invalid(fmt::format("{}.condition must evaluate to true or false, not {}.", path, TypeName(*c)),
                    path + ".condition"));
      }
      p.enabled = parent ? plan_.resources[*parent].enabled && c->get<bool>() : c->get<bool>();
    } else if (parent) {
      p.enabled = plan_.resources[*parent].enabled;
    }
    Pending pend;
    pend.parent = parent;
    if (auto deps = FindKey(r, "dependsOn"); deps != r.end()) {
      if (!deps->is_array())
        return Fail(Invalid(fmt::format("{}.dependsOn must be an array.", path), path + ".dependsOn"));
      for (std::size_t k = 0; k < deps->size(); ++k) {
        auto d = Evaluate((*deps)[k], ctx_, fmt::format("{}.dependsOn[{}]", path, k));
        if (!d) return Fail(d.error());
        if (!d->is_string()) {
          return Fail(
              Invalid(fmt::format("{}.dependsOn[{}] must be a string.", path, k), path + ".dependsOn"));
        }
        pend.depends_on.push_back(d->get<std::string>());
      }
    }
    p.source = Json::object();
    for (auto it = r.begin(); it != r.end(); ++it) {
      if (!IEquals(it.key(), "resources")) p.source[it.key()] = *it;
      if (!NonBodyKeys().contains(ToLower(it.key()))) Probe(*it, ctx_, pend.references);
    }
    for (const auto& existing : plan_.resources) {
      if (IEquals(existing.id, p.id) && existing.enabled && p.enabled) {
        return Fail(Invalid(
            fmt::format("{}: the resource '{}' is defined more than once in the template (also at {}).", path,
                        p.id, existing.path),
            path));
      }
    }
    plan_.resources.push_back(std::move(p));
    pending_.push_back(std::move(pend));
    const std::size_t self = plan_.resources.size() - 1;
    if (auto nested = FindKey(r, "resources"); nested != r.end()) {
      if (auto s = Expand(*nested, path + ".resources", self); !s) return s;
    }
    return {};
  }

  // The resources a dependsOn entry or reference() target means: a copy loop's, one by ID, or one by
  // name (or type/name); nullopt when nothing in the template matches.
  std::optional<std::vector<std::size_t>> Resolve(std::string_view what) const {
    const auto& res = plan_.resources;
    std::vector<std::size_t> out;
    if (loops_.contains(ToLower(what))) {
      for (std::size_t i = 0; i < res.size(); ++i) {
        if (IEquals(res[i].copy_name, what)) out.push_back(i);
      }
      return out;
    }
    std::string_view trimmed = what;
    while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.remove_suffix(1);
    for (std::size_t i = 0; i < res.size(); ++i) {
      if (IEquals(res[i].id, trimmed)) return std::vector<std::size_t>{i};
    }
    for (std::size_t i = 0; i < res.size(); ++i) {
      if (IEquals(res[i].name, trimmed) || IEquals(res[i].type + "/" + res[i].name, trimmed))
        out.push_back(i);
    }
    if (out.empty()) return std::nullopt;
    return out;
  }

  const Scope& scope_;
  const PrepareOptions& options_;
  Plan& plan_;
  TemplateContext ctx_;
  std::vector<Pending> pending_;
  std::set<std::string> loops_;
};

}  // namespace

Result<std::string> ResourceIdFor(std::string_view subscription, std::string_view group,
                                  std::string_view type, std::string_view name) {
  std::vector<std::string_view> types, names;
  auto split = [](std::string_view s, std::vector<std::string_view>& out) {
    std::size_t start = 0;
    while (true) {
      auto slash = s.find('/', start);
      out.push_back(
          s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
      if (slash == std::string_view::npos) break;
      start = slash + 1;
    }
  };
  split(type, types);
  split(name, names);
  if (types.size() < 2 || std::any_of(types.begin(), types.end(), [](auto t) { return t.empty(); })) {
    return Fail(Invalid(fmt::format("'{}' is not a resource type (namespace/type[/child…]).", type)));
  }
  if (names.size() != types.size() - 1 ||
      std::any_of(names.begin(), names.end(), [](auto n) { return n.empty(); })) {
    return Fail(Invalid(fmt::format("the name '{}' has {} segment(s) but the type '{}' needs {}.", name,
                                    names.size(), type, types.size() - 1)));
  }
  std::string id =
      fmt::format("/subscriptions/{}/resourceGroups/{}/providers/{}", subscription, group, types[0]);
  for (std::size_t i = 1; i < types.size(); ++i) id += fmt::format("/{}/{}", types[i], names[i - 1]);
  return id;
}

Result<Plan> Prepare(const Json& template_doc, const Json& parameters, const Scope& scope,
                     const PrepareOptions& options) {
  if (!template_doc.is_object()) return Fail(Invalid("The template must be a JSON object."));
  if (auto r = FindKey(template_doc, "resources"); r == template_doc.end() || !r->is_array()) {
    return Fail(Invalid("The template must have a 'resources' array.", "resources"));
  }
  Plan plan;
  plan.template_doc = template_doc;
  if (auto s = ResolveParameters(template_doc, parameters, scope, plan.parameters); !s)
    return Fail(s.error());
  Expander ex(plan.template_doc, scope, options, plan);
  if (auto s = ex.Expand(*FindKey(plan.template_doc, "resources"), "resources", std::nullopt); !s)
    return Fail(s.error());
  if (auto s = ex.Link(); !s) return Fail(s.error());
  return plan;
}

namespace {

void Bind(TemplateContext& ctx, const Plan& plan, const ReferenceResolver& resolve) {
  ctx.parameters = const_cast<std::map<std::string, ParameterValue>*>(&plan.parameters);
  ctx.resolve = &resolve;
  ctx.id_of_name = [&plan](std::string_view name) -> std::optional<std::string> {
    std::optional<std::string> found;
    for (const auto& r : plan.resources) {
      if (r.enabled && (IEquals(r.name, name) || IEquals(r.id, name))) {
        if (found && !IEquals(*found, r.id)) return std::nullopt;  // ambiguous
        found = r.id;
      }
    }
    return found;
  };
}

}  // namespace

Result<Json> RenderResource(const Plan& plan, const PlannedResource& resource, const Scope& scope,
                            const ReferenceResolver& resolve) {
  TemplateContext ctx(plan.template_doc, scope);
  Bind(ctx, plan, resolve);
  if (resource.copy_index >= 0) ctx.Push(resource.copy_name, resource.copy_index);
  Json body = Json::object();
  for (auto it = resource.source.begin(); it != resource.source.end(); ++it) {
    if (NonBodyKeys().contains(ToLower(it.key()))) continue;
    auto v = ctx.Walk(*it, fmt::format("{}.{}", resource.path, it.key()));
    if (!v) return v;
    body[it.key()] = std::move(*v);
  }
  return body;
}

Result<Json> RenderOutputs(const Plan& plan, const Scope& scope, const ReferenceResolver& resolve) {
  TemplateContext ctx(plan.template_doc, scope);
  Bind(ctx, plan, resolve);
  Json out = Json::object();
  auto outputs = FindKey(plan.template_doc, "outputs");
  if (outputs == plan.template_doc.end()) return out;
  if (!outputs->is_object()) return Fail(Invalid("The template's 'outputs' must be an object.", "outputs"));
  for (auto it = outputs->begin(); it != outputs->end(); ++it) {
    const std::string path = "outputs." + it.key();
    const Json& o = *it;
    if (!o.is_object() || !o.contains("type") || !o["type"].is_string()) {
      return Fail(Invalid(fmt::format("{}: an output needs a 'type'.", path), path));
    }
    const std::string type = ToLower(o["type"].get<std::string>());
    if (auto cond = FindKey(o, "condition"); cond != o.end()) {
      auto c = Evaluate(*cond, ctx, path + ".condition");
      if (!c) return c;
      if (!c->is_boolean())
        return Fail(Invalid(fmt::format("{}.condition must be true or false.", path), path));
      if (!c->get<bool>()) continue;
    }
    Result<Json> v = Json();
    if (auto copy = FindKey(o, "copy"); copy != o.end()) {
      Json c = *copy;
      c["name"] = "outputs." + it.key();
      v = ctx.CopyArray(c, path + ".copy");
    } else if (auto value = FindKey(o, "value"); value != o.end()) {
      v = ctx.Walk(*value, path + ".value");
    } else {
      return Fail(Invalid(fmt::format("{}: an output needs a 'value' or a 'copy'.", path), path));
    }
    if (!v) return v;
    if (type == "securestring" || type == "secureobject") continue;  // never returned, as in ARM
    if (!Conform(*v, type)) {
      return Fail(Invalid(fmt::format("{}: the value is {}, not of the declared type '{}'.", path,
                                      TypeName(*v), o["type"].get<std::string>()),
                          path));
    }
    out[it.key()] = {{"type", ArmTypeName(type)}, {"value", std::move(*v)}};
  }
  return out;
}

Json DisplayParameters(const Plan& plan) {
  Json out = Json::object();
  for (const auto& [name, p] : plan.parameters) {
    out[name] = {{"type", ArmTypeName(p.type)}};
    if (!p.secure) out[name]["value"] = p.value;
  }
  return out;
}

}  // namespace isthmus::mgmt::tmpl
