// Each function is a row: its name, its parameters' types as the specification writes them
// (`array[number]` is spelled "array-number", as in the reference implementation's signatures), and
// what it computes. Arguments are checked against the row before the function runs, and the errors
// read like jmespath.py's, which is what az prints.
#include "cli/jmespath_functions.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/errors.h"
#include "cli/jmespath.h"

namespace isthmus::cli::jmespath {

std::string TypeName(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

bool DeepEqual(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    if (!a.is_number_float() && !b.is_number_float()) {
      if (a.is_number_unsigned() || b.is_number_unsigned()) {
        return a.is_number_unsigned() == b.is_number_unsigned()
                   ? a.get<std::uint64_t>() == b.get<std::uint64_t>()
                   : a.get<double>() == b.get<double>();
      }
      return a.get<std::int64_t>() == b.get<std::int64_t>();
    }
    return a.get<double>() == b.get<double>();
  }
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto o = b.find(it.key());
      if (o == b.end() || !DeepEqual(it.value(), *o)) return false;
    }
    return true;
  }
  if (a.is_array() && b.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!DeepEqual(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

namespace {

using Args = std::vector<Argument>;
using Impl = Result<Json> (*)(const Args&, const Evaluator&);
using Types = std::vector<std::string_view>;  // empty: any value

struct FunctionSpec {
  std::string_view name;
  std::vector<Types> params;
  bool variadic = false;  // the last parameter repeats (at least once)
  Impl impl = nullptr;
};

// Python's repr() of a value, because az shows the offending value the way jmespath.py formats it.
std::string PyRepr(const Json& v) {
  if (v.is_null()) return "None";
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_number()) return v.dump();
  if (v.is_string()) {
    std::string out = "'";
    for (char c : v.get_ref<const std::string&>()) {
      if (c == '\\' || c == '\'') out.push_back('\\');
      out.push_back(c);
    }
    return out + "'";
  }
  std::vector<std::string> parts;
  if (v.is_array()) {
    for (const auto& e : v) parts.push_back(PyRepr(e));
    return fmt::format("[{}]", fmt::join(parts, ", "));
  }
  for (auto it = v.begin(); it != v.end(); ++it) parts.push_back(PyRepr(Json(it.key())) + ": " + PyRepr(*it));
  return fmt::format("{{{}}}", fmt::join(parts, ", "));
}

Error TypeError(std::string_view fn, const std::string& value, const std::string& actual,
                const Types& expected) {
  std::vector<std::string> quoted;
  for (auto t : expected) quoted.push_back(fmt::format("'{}'", t));
  return Error::Invalid(kTypeErrorCode,
                        fmt::format("In function {}(), invalid type for value: {}, expected one of: [{}], "
                                    "received: \"{}\"",
                                    fn, value, fmt::join(quoted, ", "), actual));
}

Error TypeError(std::string_view fn, const Json& value, const Types& expected) {
  return TypeError(fn, PyRepr(value), TypeName(value), expected);
}

Status CheckType(std::string_view fn, const Argument& a, const Types& types) {
  if (a.expref != nullptr) {
    if (std::find(types.begin(), types.end(), "expref") != types.end()) return {};
    return Fail(TypeError(fn, "<expression>", "expref", types.empty() ? Types{"any"} : types));
  }
  if (types.empty()) return {};
  const std::string actual = TypeName(a.value);
  bool plain = false;
  Types subtypes;
  for (auto t : types) {
    auto dash = t.find('-');
    if (t.substr(0, dash) != actual) continue;
    if (dash == std::string_view::npos) {
      plain = true;
    } else {
      subtypes.push_back(t.substr(dash + 1));
    }
  }
  if (!plain && subtypes.empty()) return Fail(TypeError(fn, a.value, types));
  if (plain || a.value.empty()) return {};
  // array[number] or array[string]: the first element decides which, and every element must agree.
  const std::string first = TypeName(a.value[0]);
  if (std::find(subtypes.begin(), subtypes.end(), first) == subtypes.end()) {
    return Fail(TypeError(fn, a.value[0], types));
  }
  for (const auto& e : a.value) {
    if (TypeName(e) != first) return Fail(TypeError(fn, e, types));
  }
  return {};
}

// An integral double as an integer, as Python's math.ceil/floor return ints.
Json Integral(double d) {
  if (std::isfinite(d) && d >= -9.2e18 && d <= 9.2e18) return Json(static_cast<std::int64_t>(d));
  return Json(d);
}

bool Less(const Json& x, const Json& y) {
  if (x.is_number()) return x.get<double>() < y.get<double>();
  return x.get_ref<const std::string&>() < y.get_ref<const std::string&>();  // UTF-8: code point order
}

std::vector<std::string> CodePoints(const std::string& s) {
  std::vector<std::string> out;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80 || out.empty()) out.emplace_back();
    out.back().push_back(static_cast<char>(c));
  }
  return out;
}

// Python's int()/float() on a string, restricted to what JSON can hold (no inf, nan or hex).
Json ParseNumber(std::string s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!s.empty() && space(s.back())) s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && space(s[b])) ++b;
  s.erase(0, b);
  std::size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  auto digits = [&] {
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  std::size_t whole = digits();
  bool integer = whole > 0 && i == s.size();
  std::size_t frac = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    frac = digits();
  }
  if (whole + frac == 0) return Json(nullptr);
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return Json(nullptr);
  }
  if (i != s.size()) return Json(nullptr);
  if (integer) {
    try {
      return Json(std::stoll(s));
    } catch (const std::exception&) {
      // too large for 64 bits: fall through to a double, as JSON readers do
    }
  }
  double d = std::strtod(s.c_str(), nullptr);
  if (!std::isfinite(d)) return Json(nullptr);
  return Json(d);
}

// The key of each element for sort_by/min_by/max_by: numbers or strings, all of one type.
Result<std::vector<Json>> Keys(std::string_view fn, const Args& a, const Evaluator& eval) {
  std::vector<Json> keys;
  const Types allowed{"number", "string"};
  for (const auto& e : a[0].value) {
    auto k = eval(*a[1].expref, e);
    if (!k) return Fail(k.error());
    if (!k->is_number() && !k->is_string()) return Fail(TypeError(fn, *k, allowed));
    if (!keys.empty() && TypeName(*k) != TypeName(keys[0])) {
      return Fail(TypeError(fn, *k, Types{TypeName(keys[0]) == "number" ? "number" : "string"}));
    }
    keys.push_back(std::move(*k));
  }
  return keys;
}

Result<Json> Extreme(const Json& items, bool max) {
  if (items.empty()) return Json(nullptr);
  std::size_t best = 0;
  for (std::size_t i = 1; i < items.size(); ++i) {
    if (max ? Less(items[best], items[i]) : Less(items[i], items[best])) best = i;
  }
  return items[best];
}

Result<Json> ExtremeBy(std::string_view fn, const Args& a, const Evaluator& eval, bool max) {
  if (a[0].value.empty()) return Json(nullptr);
  auto keys = Keys(fn, a, eval);
  if (!keys) return Fail(keys.error());
  auto best = Extreme(Json(*keys), max);
  std::size_t i = 0;
  while (!DeepEqual((*keys)[i], *best)) ++i;
  return a[0].value[i];
}

Result<Json> Abs(const Args& a, const Evaluator&) {
  const Json& n = a[0].value;
  if (n.is_number_float()) return Json(std::fabs(n.get<double>()));
  if (n.is_number_unsigned()) return n;
  std::int64_t v = n.get<std::int64_t>();
  if (v == std::numeric_limits<std::int64_t>::min()) return Json(-static_cast<double>(v));
  return Json(v < 0 ? -v : v);
}

Result<Json> Avg(const Args& a, const Evaluator&) {
  if (a[0].value.empty()) return Json(nullptr);
  double sum = 0;
  for (const auto& e : a[0].value) sum += e.get<double>();
  return Json(sum / static_cast<double>(a[0].value.size()));
}

Result<Json> Sum(const Args& a, const Evaluator&) {
  std::int64_t total = 0;
  bool exact = true;
  double dsum = 0;
  for (const auto& e : a[0].value) {
    dsum += e.get<double>();
    if (!e.is_number_integer() || e.is_number_unsigned() ||
        __builtin_add_overflow(total, e.get<std::int64_t>(), &total)) {
      exact = false;
    }
  }
  return exact ? Json(total) : Json(dsum);
}

Result<Json> Contains(const Args& a, const Evaluator&) {
  const Json& subject = a[0].value;
  const Json& search = a[1].value;
  if (subject.is_array()) {
    return Json(
        std::any_of(subject.begin(), subject.end(), [&](const Json& e) { return DeepEqual(e, search); }));
  }
  if (!search.is_string()) return Json(false);
  return Json(subject.get_ref<const std::string&>().find(search.get_ref<const std::string&>()) !=
              std::string::npos);
}

Result<Json> Join(const Args& a, const Evaluator&) {
  std::string out;
  const std::string& glue = a[0].value.get_ref<const std::string&>();
  for (std::size_t i = 0; i < a[1].value.size(); ++i) {
    if (i) out += glue;
    out += a[1].value[i].get_ref<const std::string&>();
  }
  return Json(out);
}

Result<Json> KeysOrValues(const Args& a, bool keys) {
  Json out = Json::array();
  for (auto it = a[0].value.begin(); it != a[0].value.end(); ++it) out.push_back(keys ? Json(it.key()) : *it);
  return out;
}

Result<Json> Length(const Args& a, const Evaluator&) {
  const Json& v = a[0].value;
  if (v.is_string()) return Json(CodePoints(v.get_ref<const std::string&>()).size());
  return Json(v.size());
}

Result<Json> Map(const Args& a, const Evaluator& eval) {
  Json out = Json::array();
  for (const auto& e : a[1].value) {
    auto r = eval(*a[0].expref, e);
    if (!r) return r;
    out.push_back(std::move(*r));  // unlike a projection, map keeps nulls
  }
  return out;
}

Result<Json> Merge(const Args& a, const Evaluator&) {
  Json out = Json::object();
  for (const auto& arg : a) {
    for (auto it = arg.value.begin(); it != arg.value.end(); ++it) out[it.key()] = *it;
  }
  return out;
}

Result<Json> NotNull(const Args& a, const Evaluator&) {
  for (const auto& arg : a) {
    if (!arg.value.is_null()) return arg.value;
  }
  return Json(nullptr);
}

Result<Json> Reverse(const Args& a, const Evaluator&) {
  const Json& v = a[0].value;
  if (v.is_array()) return Json(std::vector<Json>(v.rbegin(), v.rend()));
  auto points = CodePoints(v.get_ref<const std::string&>());
  std::string out;
  for (auto it = points.rbegin(); it != points.rend(); ++it) out += *it;
  return Json(out);
}

Result<Json> Sort(const Args& a, const Evaluator&) {
  std::vector<Json> items(a[0].value.begin(), a[0].value.end());
  std::stable_sort(items.begin(), items.end(), Less);
  return Json(items);
}

Result<Json> SortBy(const Args& a, const Evaluator& eval) {
  auto keys = Keys("sort_by", a, eval);
  if (!keys) return Fail(keys.error());
  std::vector<std::size_t> order(keys->size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return Less((*keys)[x], (*keys)[y]); });
  Json out = Json::array();
  for (auto i : order) out.push_back(a[0].value[i]);
  return out;
}

Result<Json> ToString(const Args& a, const Evaluator&) {
  if (a[0].value.is_string()) return a[0].value;
  // json.dumps(separators=(',', ':')) with Python's default ensure_ascii.
  return Json(a[0].value.dump(-1, ' ', true));
}

Result<Json> ToNumber(const Args& a, const Evaluator&) {
  const Json& v = a[0].value;
  if (v.is_number()) return v;
  if (v.is_string()) return ParseNumber(v.get<std::string>());
  return Json(nullptr);
}

Result<Json> ToArray(const Args& a, const Evaluator&) {
  return a[0].value.is_array() ? a[0].value : Json::array({a[0].value});
}

const std::vector<FunctionSpec>& Functions() {
  const Types number{"number"}, string{"string"}, array{"array"}, object{"object"}, expref{"expref"}, any{};
  const Types numbers{"array-number"}, strings{"array-string"}, sortable{"array-number", "array-string"};
  static const std::vector<FunctionSpec> table = {
      {"abs", {number}, false, Abs},
      {"avg", {numbers}, false, Avg},
      {"ceil",
       {number},
       false,
       [](const Args& a, const Evaluator&) -> Result<Json> {
         return Integral(std::ceil(a[0].value.get<double>()));
       }},
      {"contains", {{"array", "string"}, any}, false, Contains},
      {"ends_with",
       {string, string},
       false,
       [](const Args& a, const Evaluator&) -> Result<Json> {
         return Json(
             a[0].value.get_ref<const std::string&>().ends_with(a[1].value.get_ref<const std::string&>()));
       }},
      {"floor",
       {number},
       false,
       [](const Args& a, const Evaluator&) -> Result<Json> {
         return Integral(std::floor(a[0].value.get<double>()));
       }},
      {"join", {string, strings}, false, Join},
      {"keys", {object}, false, [](const Args& a, const Evaluator&) { return KeysOrValues(a, true); }},
      {"length", {{"string", "array", "object"}}, false, Length},
      {"map", {expref, array}, false, Map},
      {"max", {sortable}, false, [](const Args& a, const Evaluator&) { return Extreme(a[0].value, true); }},
      {"max_by",
       {array, expref},
       false,
       [](const Args& a, const Evaluator& e) { return ExtremeBy("max_by", a, e, true); }},
      {"merge", {object}, true, Merge},
      {"min", {sortable}, false, [](const Args& a, const Evaluator&) { return Extreme(a[0].value, false); }},
      {"min_by",
       {array, expref},
       false,
       [](const Args& a, const Evaluator& e) { return ExtremeBy("min_by", a, e, false); }},
      {"not_null", {any}, true, NotNull},
      {"reverse", {{"string", "array"}}, false, Reverse},
      {"sort", {sortable}, false, Sort},
      {"sort_by", {array, expref}, false, SortBy},
      {"starts_with",
       {string, string},
       false,
       [](const Args& a, const Evaluator&) -> Result<Json> {
         return Json(
             a[0].value.get_ref<const std::string&>().starts_with(a[1].value.get_ref<const std::string&>()));
       }},
      {"sum", {numbers}, false, Sum},
      {"to_array", {any}, false, ToArray},
      {"to_number", {any}, false, ToNumber},
      {"to_string", {any}, false, ToString},
      {"type",
       {any},
       false,
       [](const Args& a, const Evaluator&) -> Result<Json> { return Json(TypeName(a[0].value)); }},
      {"values", {object}, false, [](const Args& a, const Evaluator&) { return KeysOrValues(a, false); }},
  };
  return table;
}

const FunctionSpec* Find(std::string_view name) {
  for (const auto& f : Functions()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace

Status CheckCall(const std::string& name, std::size_t argc) {
  const FunctionSpec* f = Find(name);
  if (f == nullptr)
    return Fail(Error::Invalid(kUnknownFunctionCode, fmt::format("Unknown function: {}()", name)));
  const std::size_t want = f->params.size();
  if (f->variadic ? argc >= want : argc == want) return {};
  return Fail(Error::Invalid(
      kArityErrorCode, fmt::format("Expected {}{} argument{} for function {}(), received {}",
                                   f->variadic ? "at least " : "", want, want == 1 ? "" : "s", name, argc)));
}

Result<Json> CallFunction(const std::string& name, const std::vector<Argument>& args, const Evaluator& eval) {
  if (auto s = CheckCall(name, args.size()); !s) return Fail(s.error());
  const FunctionSpec& f = *Find(name);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const Types& types = f.params[std::min(i, f.params.size() - 1)];
    if (auto s = CheckType(name, args[i], types); !s) return Fail(s.error());
  }
  return f.impl(args, eval);
}

}  // namespace isthmus::cli::jmespath
