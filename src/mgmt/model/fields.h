// Typed reads of request bodies: each failure names the property path, so errors say what is wrong.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "mgmt/model/state.h"
#include "net/prefix.h"

namespace isthmus::mgmt::fields {

// The object at `key` of `obj` (absent → empty object); error if present and not an object.
Result<Json> Object(const Json& obj, const char* key, const std::string& path);
// Optional string; error if present and not a string.
Result<std::optional<std::string>> String(const Json& obj, const char* key, const std::string& path);
Result<std::string> RequiredString(const Json& obj, const char* key, const std::string& path);
Result<std::optional<std::int64_t>> Integer(const Json& obj, const char* key, const std::string& path);
Result<std::optional<bool>> Bool(const Json& obj, const char* key, const std::string& path);
// One of `allowed`, matched case-insensitively; returns the canonical spelling.
Result<std::optional<std::string>> Enum(const Json& obj, const char* key, const std::string& path,
                                        const std::vector<std::string>& allowed);
// A list of strings; absent → empty.
Result<std::vector<std::string>> StringList(const Json& obj, const char* key, const std::string& path);
// A list of strict CIDR prefixes; absent → empty.
Result<std::vector<net::Prefix>> PrefixList(const Json& obj, const char* key, const std::string& path);
// `{"id": "..."}` sub-resource reference; absent → nullopt.
Result<std::optional<ResourceId>> Reference(const Json& obj, const char* key, const std::string& path);
// tags: object of string → string.
Result<Json> Tags(const Json& body);

Error Bad(std::string code, std::string message, std::string target = {});
Error WrongType(const std::string& path, const char* expected);

}  // namespace isthmus::mgmt::fields
