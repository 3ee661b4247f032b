// The function lookup, Args' checks and the helpers every family shares (functions_internal.h); the
// functions themselves are in functions_{text,encoding,collections,scope}.cc.
#include "mgmt/template/functions.h"

#include <cctype>
#include <initializer_list>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "mgmt/model/resource_id.h"
#include "mgmt/template/functions_internal.h"

namespace isthmus::mgmt::tmpl {
namespace detail {
namespace {

bool SameChar(char a, char b, bool icase) {
  if (a == b) return true;
  return icase && std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
}

}  // namespace

Error Invalid(std::string message) {
  return Error::Invalid("InvalidTemplate", std::move(message));
}

bool IsInt(const Json& v) {
  return v.is_number_integer() &&
         (!v.is_number_unsigned() ||
          v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
}

Result<Json> CheckedString(std::string s) {
  if (s.size() > kMaxStringBytes) {
    return Fail(Invalid(fmt::format("the resulting string exceeds {} bytes", kMaxStringBytes)));
  }
  return Json(std::move(s));
}

Finder::Finder(std::string_view needle, bool icase) : n_(needle), icase_(icase), fail_(needle.size(), 0) {
  std::size_t k = 0;
  for (std::size_t i = 1; i < n_.size(); ++i) {
    while (k > 0 && !SameChar(n_[i], n_[k], icase_)) k = fail_[k - 1];
    if (SameChar(n_[i], n_[k], icase_)) ++k;
    fail_[i] = k;
  }
}

std::size_t Finder::Find(std::string_view hay, std::size_t from) const {
  if (n_.empty()) return from <= hay.size() ? from : std::string_view::npos;
  std::size_t k = 0;
  for (std::size_t i = from; i < hay.size(); ++i) {
    while (k > 0 && !SameChar(hay[i], n_[k], icase_)) k = fail_[k - 1];
    if (SameChar(hay[i], n_[k], icase_)) ++k;
    if (k == n_.size()) return i + 1 - k;
  }
  return std::string_view::npos;
}

std::size_t Finder::FindLast(std::string_view hay) const {
  if (n_.empty()) return hay.size();
  std::size_t last = std::string_view::npos;
  std::size_t k = 0;
  for (std::size_t i = 0; i < hay.size(); ++i) {
    while (k > 0 && !SameChar(hay[i], n_[k], icase_)) k = fail_[k - 1];
    if (SameChar(hay[i], n_[k], icase_)) ++k;
    if (k == n_.size()) {
      last = i + 1 - k;
      k = fail_[k - 1];
    }
  }
  return last;
}

}  // namespace detail

namespace {

using detail::Invalid;
using detail::IsInt;

std::string Ordinal(std::size_t n) {
  return n == 1 ? "1 argument" : fmt::format("{} arguments", n);
}

bool IStartsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && IEquals(s.substr(0, p.size()), p);
}

}  // namespace

// ---- Args -----------------------------------------------------------------------------------------

Status Args::Count(std::size_t min, std::size_t max) const {
  if (v_.size() >= min && v_.size() <= max) return {};
  if (min == max) return isthmus::Fail(Wrong(fmt::format("expects {}, got {}", Ordinal(min), v_.size())));
  if (v_.size() < min)
    return isthmus::Fail(Wrong(fmt::format("expects at least {}, got {}", Ordinal(min), v_.size())));
  return isthmus::Fail(Wrong(fmt::format("expects at most {}, got {}", Ordinal(max), v_.size())));
}

Error Args::Wrong(std::string what) const {
  return Invalid(fmt::format("the template function '{}' {}", name_, what));
}

Error Args::TypeError(std::size_t i, std::string_view expected) const {
  return Wrong(fmt::format("expects argument {} to be {}, got {}", i + 1, expected, TypeName(v_[i])));
}

Result<std::string> Args::Str(std::size_t i) const {
  if (!v_[i].is_string()) return isthmus::Fail(TypeError(i, "a String"));
  return v_[i].get<std::string>();
}

Result<std::int64_t> Args::Int(std::size_t i) const {
  if (!IsInt(v_[i])) return isthmus::Fail(TypeError(i, "an Integer"));
  return v_[i].get<std::int64_t>();
}

Result<bool> Args::Bool(std::size_t i) const {
  if (!v_[i].is_boolean()) return isthmus::Fail(TypeError(i, "a Boolean"));
  return v_[i].get<bool>();
}

// ---- public ---------------------------------------------------------------------------------------

Function FindFunction(std::string_view name) {
  for (const auto table : {detail::CollectionFunctions(), detail::TextFunctions(),
                           detail::EncodingFunctions(), detail::ScopeFunctions()}) {
    for (const auto& e : table) {
      if (IEquals(e.name, name)) return e.fn;
    }
  }
  if (name.size() > 4 && IStartsWith(name, "list")) return detail::ListFn;
  return nullptr;
}

std::string_view TypeName(const Json& v) {
  switch (v.type()) {
    case Json::value_t::string:
      return "String";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "Integer";
    case Json::value_t::number_float:
      return "Float";
    case Json::value_t::boolean:
      return "Boolean";
    case Json::value_t::object:
      return "Object";
    case Json::value_t::array:
      return "Array";
    case Json::value_t::null:
      return "Null";
    default:
      return "Unknown";
  }
}

bool DeepEquals(const Json& a, const Json& b) {
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& [k, v] : a.items()) {
      auto it = b.find(k);
      if (it == b.end() || !DeepEquals(v, *it)) return false;
    }
    return true;
  }
  if (a.is_array() && b.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!DeepEquals(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace isthmus::mgmt::tmpl
