#include "mgmt/model/fields.h"

#include <fmt/format.h>

namespace isthmus::mgmt::fields {

Error Bad(std::string code, std::string message, std::string target) {
  return Error::Invalid(std::move(code), std::move(message), std::move(target));
}

Error WrongType(const std::string& path, const char* expected) {
  return Bad("InvalidRequestFormat", fmt::format("Property '{}' must be {}.", path, expected), path);
}

static std::string Join(const std::string& path, const char* key) {
  return path.empty() ? std::string(key) : path + "." + key;
}

Result<Json> Object(const Json& obj, const char* key, const std::string& path) {
  if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) return Json::object();
  if (!obj[key].is_object()) return Fail(WrongType(Join(path, key), "an object"));
  return obj[key];
}

Result<std::optional<std::string>> String(const Json& obj, const char* key, const std::string& path) {
  if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) return std::optional<std::string>{};
  if (!obj[key].is_string()) return Fail(WrongType(Join(path, key), "a string"));
  return std::optional<std::string>{obj[key].get<std::string>()};
}

Result<std::string> RequiredString(const Json& obj, const char* key, const std::string& path) {
  auto s = String(obj, key, path);
  if (!s) return Fail(s.error());
  if (!*s || (*s)->empty()) {
    return Fail(Bad("MissingRequiredProperty", fmt::format("Property '{}' is required.", Join(path, key)),
                    Join(path, key)));
  }
  return **s;
}

Result<std::optional<std::int64_t>> Integer(const Json& obj, const char* key, const std::string& path) {
  if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) return std::optional<std::int64_t>{};
  const auto& v = obj[key];
  if (v.is_number_integer()) return std::optional<std::int64_t>{v.get<std::int64_t>()};
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d == static_cast<double>(static_cast<std::int64_t>(d))) {
      return std::optional<std::int64_t>{static_cast<std::int64_t>(d)};
    }
  }
  return Fail(WrongType(Join(path, key), "an integer"));
}

Result<std::optional<bool>> Bool(const Json& obj, const char* key, const std::string& path) {
  if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) return std::optional<bool>{};
  if (!obj[key].is_boolean()) return Fail(WrongType(Join(path, key), "true or false"));
  return std::optional<bool>{obj[key].get<bool>()};
}

Result<std::optional<std::string>> Enum(const Json& obj, const char* key, const std::string& path,
                                        const std::vector<std::string>& allowed) {
  auto s = String(obj, key, path);
  if (!s || !*s) return s;
  for (const auto& a : allowed) {
    if (IEquals(a, **s)) return std::optional<std::string>{a};
  }
  return Fail(Bad("InvalidParameter",
                  fmt::format("Property '{}' has value '{}'; allowed values are {}.", Join(path, key), **s,
                              fmt::join(allowed, ", ")),
                  Join(path, key)));
}

Result<std::vector<std::string>> StringList(const Json& obj, const char* key, const std::string& path) {
  std::vector<std::string> out;
  if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) return out;
  if (!obj[key].is_array()) return Fail(WrongType(Join(path, key), "an array of strings"));
  for (const auto& v : obj[key]) {
    if (!v.is_string()) return Fail(WrongType(Join(path, key), "an array of strings"));
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::vector<net::Prefix>> PrefixList(const Json& obj, const char* key, const std::string& path) {
  auto strings = StringList(obj, key, path);
  if (!strings) return Fail(strings.error());
  std::vector<net::Prefix> out;
  for (const auto& s : *strings) {
    auto p = net::Prefix::Parse(s);
    if (!p) {
      Error e = p.error();
      e.target = Join(path, key);
      e.message = fmt::format("{} (in {})", e.message, e.target);
      return Fail(std::move(e));
    }
    out.push_back(*p);
  }
  return out;
}

Result<std::optional<ResourceId>> Reference(const Json& obj, const char* key, const std::string& path) {
  auto o = Object(obj, key, path);
  if (!o) return Fail(o.error());
  if (o->empty()) return std::optional<ResourceId>{};
  auto id = RequiredString(*o, "id", Join(path, key));
  if (!id) return Fail(id.error());
  auto parsed = ResourceId::Parse(*id);
  if (!parsed) {
    Error e = parsed.error();
    e.target = Join(Join(path, key), "id");
    return Fail(std::move(e));
  }
  return std::optional<ResourceId>{*parsed};
}

Result<Json> Tags(const Json& body) {
  if (!body.contains("tags") || body["tags"].is_null()) return Json::object();
  const auto& t = body["tags"];
  if (!t.is_object()) return Fail(WrongType("tags", "an object of strings"));
  if (t.size() > 50)
    return Fail(Bad("InvalidTagNameOrValue", "A resource can have at most 50 tags.", "tags"));
  for (const auto& [k, v] : t.items()) {
    if (!v.is_string()) return Fail(WrongType("tags." + k, "a string"));
    if (k.empty() || k.size() > 512 || v.get<std::string>().size() > 256) {
      return Fail(Bad("InvalidTagNameOrValue",
                      fmt::format("Tag '{}' is invalid: names are 1-512 characters, values up to 256.", k),
                      "tags"));
    }
  }
  return t;
}

}  // namespace isthmus::mgmt::fields
