// The ARM template functions (names case-insensitive, as in ARM) over evaluated arguments. `if` is
// evaluated lazily by the evaluator (expression.cc) and is not in this table; list*() resolve to
// EvalContext::List. Errors say only what is wrong ("the template function 'concat' expects argument 2
// to be a string, got Object"); the evaluator adds the JSON path and the expression.
//
// Where we knowingly differ from ARM: strings are measured and indexed in UTF-8 bytes (ARM: UTF-16 code
// units) and toLower/toUpper/trim (and items()' case-insensitive sort) handle ASCII only, which only
// matters for non-ASCII text; uri() is RFC 3986's resolution without .NET's normalisation on top.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "mgmt/template/expression.h"

namespace isthmus::mgmt::tmpl {

// A call's evaluated arguments with the checks every function needs.
class Args {
 public:
  Args(std::string_view name, std::vector<Json>& values, EvalContext& ctx)
      : name_(name), v_(values), ctx_(ctx) {}

  std::string_view name() const { return name_; }
  std::size_t size() const { return v_.size(); }
  Json& operator[](std::size_t i) { return v_[i]; }
  std::vector<Json>& values() { return v_; }
  EvalContext& ctx() { return ctx_; }

  Status Count(std::size_t min, std::size_t max) const;
  Result<std::string> Str(std::size_t i) const;
  Result<std::int64_t> Int(std::size_t i) const;
  Result<bool> Bool(std::size_t i) const;
  Error TypeError(std::size_t i, std::string_view expected) const;
  Error Wrong(std::string what) const;  // "the template function 'x' <what>"

 private:
  std::string_view name_;
  std::vector<Json>& v_;
  EvalContext& ctx_;
};

using Function = Result<Json> (*)(Args& args);

// The function called `name` (any case), or nullptr. Names starting with "list" that are not in the
// table resolve to the context's List.
Function FindFunction(std::string_view name);

// The type names ARM's messages use: String, Integer, Boolean, Object, Array, Null, Float.
std::string_view TypeName(const Json& v);

// ARM's deep equality (equals(), contains() and union() on arrays): objects compare key sets and values
// regardless of order, strings case-sensitively.
bool DeepEquals(const Json& a, const Json& b);

// uniqueString() and guid(): the algorithms ARM uses, so names derived from them match Azure's.
std::string UniqueString(std::string_view joined);
std::string GuidV5(std::string_view joined);

}  // namespace isthmus::mgmt::tmpl
