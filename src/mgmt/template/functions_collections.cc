// Arrays, objects, logic, comparison, numbers and conversions: length, contains, empty, union,
// intersection, items, first/last, skip/take, createArray/createObject, coalesce, if, equals, and/or/not,
// less/greater..., add/sub/mul/div/mod, min/max, range, array, json, string, int, bool, true/false/null.
#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <limits>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "mgmt/model/resource_id.h"
#include "mgmt/template/functions_internal.h"

namespace isthmus::mgmt::tmpl::detail {
namespace {

// A canonical text for a value (object keys sorted), so union() can drop duplicates in linear time.
void Canonical(const Json& v, std::string& out) {
  if (v.is_object()) {
    std::vector<std::pair<std::string_view, const Json*>> members;
    for (const auto& [k, x] : v.items()) members.emplace_back(k, &x);
    std::sort(members.begin(), members.end());
    out.push_back('{');
    for (const auto& [k, x] : members) {
      out += Json(std::string(k)).dump(-1, ' ', false, Json::error_handler_t::replace);
      out.push_back(':');
      Canonical(*x, out);
      out.push_back(',');
    }
    out.push_back('}');
  } else if (v.is_array()) {
    out.push_back('[');
    for (const auto& x : v) {
      Canonical(x, out);
      out.push_back(',');
    }
    out.push_back(']');
  } else {
    out += v.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

// json() input nested too deeply would make later recursive walks (dump, equality) overflow the stack.
bool NestsWithin(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace

Result<Json> JsonFn(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  auto text = a.Str(0);
  if (!text) return Fail(text.error());
  // Our limits: ordered_json finds keys linearly, so a big object costs its size squared to parse.
  constexpr int kMaxJsonDepth = 64;
  constexpr std::size_t kMaxJsonText = 64 * 1024;
  constexpr std::size_t kMaxJsonMembers = 1024;
  if (text->size() > kMaxJsonText) {
    return Fail(
        a.Wrong(fmt::format("the JSON text is {} bytes; the limit is {}", text->size(), kMaxJsonText)));
  }
  if (!NestsWithin(*text, kMaxJsonDepth)) {
    return Fail(a.Wrong(fmt::format("the JSON nests deeper than {} levels", kMaxJsonDepth)));
  }
  const auto sorted = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);  // O(n log n)
  if (sorted.is_discarded()) return Fail(a.Wrong("the argument is not valid JSON"));
  std::vector<const nlohmann::json*> todo{&sorted};
  while (!todo.empty()) {
    const auto* j = todo.back();
    todo.pop_back();
    if (j->is_object() && j->size() > kMaxJsonMembers) {
      return Fail(a.Wrong(fmt::format("a JSON object has more than {} properties", kMaxJsonMembers)));
    }
    if (j->is_structured()) {
      for (const auto& x : *j) todo.push_back(&x);
    }
  }
  Json out = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) return Fail(a.Wrong("the argument is not valid JSON"));
  return out;
}

namespace {

Result<Json> IfEager(Args& a) {
  if (auto s = a.Count(3, 3); !s) return Fail(s.error());
  auto c = a.Bool(0);
  if (!c) return Fail(c.error());
  return std::move(a[*c ? 1 : 2]);
}

Result<Json> Equals(Args& a) {
  if (auto s = a.Count(2, 2); !s) return Fail(s.error());
  return Json(DeepEquals(a[0], a[1]));
}

Result<Json> Not(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  auto b = a.Bool(0);
  if (!b) return Fail(b.error());
  return Json(!*b);
}

template <bool kAnd>
Result<Json> Logic(Args& a) {
  if (auto s = a.Count(2, std::numeric_limits<std::size_t>::max()); !s) return Fail(s.error());
  bool acc = kAnd;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto b = a.Bool(i);
    if (!b) return Fail(b.error());
    acc = kAnd ? (acc && *b) : (acc || *b);
  }
  return Json(acc);
}

// less/greater...: two Integers or two Strings (ordinal comparison, as ARM's examples show 'A' < 'a').
template <typename Cmp>
Result<Json> Compare(Args& a) {
  if (auto s = a.Count(2, 2); !s) return Fail(s.error());
  if (IsInt(a[0]) && IsInt(a[1])) return Json(Cmp{}(a[0].get<std::int64_t>(), a[1].get<std::int64_t>()));
  if (a[0].is_string() && a[1].is_string()) {
    return Json(Cmp{}(a[0].get_ref<const std::string&>().compare(a[1].get_ref<const std::string&>()), 0));
  }
  return Fail(a.Wrong(
      fmt::format("expects two Integers or two Strings, got {} and {}", TypeName(a[0]), TypeName(a[1]))));
}

Result<Json> StringFn(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  if (a[0].is_string()) return std::move(a[0]);
  return CheckedString(a[0].dump(-1, ' ', false, Json::error_handler_t::replace));
}

Result<Json> IntFn(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  if (IsInt(a[0])) return Json(a[0].get<std::int64_t>());
  if (a[0].is_string()) {
    const auto& s = a[0].get_ref<const std::string&>();
    std::size_t i = 0;
    const bool neg = !s.empty() && (s[0] == '-' || s[0] == '+');
    if (neg) i = 1;
    std::int64_t v = 0;
    bool ok = i < s.size();
    for (; ok && i < s.size(); ++i) {
      if (std::isdigit(static_cast<unsigned char>(s[i])) == 0)
        ok = false;
      else if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i] - '0', &v))
        ok = false;
    }
    if (!ok) return Fail(a.Wrong(fmt::format("'{}' is not an integer", s)));
    return Json(s[0] == '-' ? -v : v);
  }
  return Fail(a.TypeError(0, "a String or an Integer"));
}

Result<Json> BoolFn(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  if (a[0].is_boolean()) return std::move(a[0]);
  if (IsInt(a[0])) return Json(a[0].get<std::int64_t>() != 0);
  if (a[0].is_string()) {
    const auto& s = a[0].get_ref<const std::string&>();
    if (IEquals(s, "true")) return Json(true);
    if (IEquals(s, "false")) return Json(false);
    return Fail(a.Wrong(fmt::format("'{}' is not a Boolean (true or false)", s)));
  }
  return Fail(a.TypeError(0, "a String, an Integer or a Boolean"));
}

Result<Json> Length(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  if (a[0].is_string()) return Json(static_cast<std::int64_t>(a[0].get_ref<const std::string&>().size()));
  if (a[0].is_array() || a[0].is_object()) return Json(static_cast<std::int64_t>(a[0].size()));
  return Fail(a.TypeError(0, "a String, an Array or an Object"));
}

// split(): .NET String.Split(string[], None): at each position the first delimiter that matches wins,
// contains(): substring (case-sensitive), array element (deep equality), object key (case-insensitive).
Result<Json> Contains(Args& a) {
  if (auto s = a.Count(2, 2); !s) return Fail(s.error());
  if (a[0].is_string()) {
    if (!a[1].is_string() && !IsInt(a[1])) return Fail(a.TypeError(1, "a String or an Integer"));
    const std::string needle = a[1].is_string() ? a[1].get<std::string>() : a[1].dump();
    return Json(Finder(needle, false).Find(a[0].get_ref<const std::string&>()) != std::string_view::npos);
  }
  if (a[0].is_array()) {
    return Json(std::any_of(a[0].begin(), a[0].end(), [&](const Json& x) { return DeepEquals(x, a[1]); }));
  }
  if (a[0].is_object()) {
    if (!a[1].is_string()) return Fail(a.TypeError(1, "a String (a property name)"));
    const auto& key = a[1].get_ref<const std::string&>();
    for (const auto& [k, v] : a[0].items()) {
      if (IEquals(k, key)) return Json(true);
    }
    return Json(false);
  }
  return Fail(a.TypeError(0, "a String, an Array or an Object"));
}

Result<Json> Empty(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  if (a[0].is_null()) return Json(true);
  if (a[0].is_string()) return Json(a[0].get_ref<const std::string&>().empty());
  if (a[0].is_array() || a[0].is_object()) return Json(a[0].empty());
  return Fail(a.TypeError(0, "a String, an Array, an Object or null"));
}

// Objects merge recursively (a later value wins, nested objects are merged, anything else replaced);
// the documented ARM behaviour for union() of objects.
// Keys are indexed once per merge: ordered_json looks keys up linearly.
void MergeInto(Json& into, Json&& from) {
  auto& members = *into.get_ptr<Json::object_t*>();
  std::unordered_map<std::string, std::size_t> at;
  for (std::size_t i = 0; i < members.size(); ++i)
    at.emplace((members.begin() + static_cast<std::ptrdiff_t>(i))->first, i);
  for (auto& [k, v] : from.items()) {
    auto it = at.find(k);
    if (it == at.end()) {
      at.emplace(k, members.size());
      members.emplace_back(k, std::move(v));
    } else if (Json& old = (members.begin() + static_cast<std::ptrdiff_t>(it->second))->second;
               old.is_object() && v.is_object()) {
      MergeInto(old, std::move(v));
    } else {
      old = std::move(v);
    }
  }
}

Result<Json> Union(Args& a) {
  if (auto s = a.Count(1, std::numeric_limits<std::size_t>::max()); !s) return Fail(s.error());
  if (a[0].is_object()) {
    Json out = Json::object();
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_object()) return Fail(a.TypeError(i, "an Object (the first argument is an Object)"));
      MergeInto(out, std::move(a[i]));
    }
    return out;
  }
  if (a[0].is_array()) {
    Json out = Json::array();
    std::unordered_set<std::string> seen;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_array()) return Fail(a.TypeError(i, "an Array (the first argument is an Array)"));
      for (auto& x : a[i]) {
        std::string key;
        Canonical(x, key);
        if (seen.insert(std::move(key)).second) out.push_back(std::move(x));
      }
    }
    return out;
  }
  return Fail(a.TypeError(0, "an Array or an Object"));
}

template <bool kFirst>
Result<Json> Edge(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  if (a[0].is_array()) {
    if (a[0].empty()) return Json(nullptr);
    return std::move(kFirst ? a[0].front() : a[0].back());
  }
  if (a[0].is_string()) {
    const auto& s = a[0].get_ref<const std::string&>();
    if (s.empty()) return Json("");
    return Json(std::string(1, kFirst ? s.front() : s.back()));
  }
  return Fail(a.TypeError(0, "an Array or a String"));
}

Result<Json> CreateArray(Args& a) {
  Json out = Json::array();
  for (auto& v : a.values()) out.push_back(std::move(v));
  return out;
}

Result<Json> CreateObject(Args& a) {
  if (a.size() % 2 != 0) return Fail(a.Wrong("expects key-value pairs (an even number of arguments)"));
  Json out = Json::object();
  auto& members = *out.get_ptr<Json::object_t*>();
  std::unordered_map<std::string, std::size_t> at;
  for (std::size_t i = 0; i < a.size(); i += 2) {
    auto key = a.Str(i);
    if (!key) return Fail(key.error());
    if (auto it = at.find(*key); it != at.end()) {
      (members.begin() + static_cast<std::ptrdiff_t>(it->second))->second =
          std::move(a[i + 1]);  // a repeated key: the later value wins
    } else {
      at.emplace(*key, members.size());
      members.emplace_back(std::move(*key), std::move(a[i + 1]));
    }
  }
  return out;
}

Result<Json> Coalesce(Args& a) {
  if (auto s = a.Count(1, std::numeric_limits<std::size_t>::max()); !s) return Fail(s.error());
  for (auto& v : a.values()) {
    if (!v.is_null()) return std::move(v);
  }
  return Json(nullptr);
}

enum class Op { kAdd, kSub, kMul, kDiv, kMod };

template <Op kOp>
Result<Json> Arith(Args& a) {
  if (auto s = a.Count(2, 2); !s) return Fail(s.error());
  auto x = a.Int(0);
  if (!x) return Fail(x.error());
  auto y = a.Int(1);
  if (!y) return Fail(y.error());
  std::int64_t r = 0;
  bool overflow = false;
  switch (kOp) {
    case Op::kAdd:
      overflow = __builtin_add_overflow(*x, *y, &r);
      break;
    case Op::kSub:
      overflow = __builtin_sub_overflow(*x, *y, &r);
      break;
    case Op::kMul:
      overflow = __builtin_mul_overflow(*x, *y, &r);
      break;
    case Op::kDiv:
    case Op::kMod:
      if (*y == 0) return Fail(a.Wrong("division by zero"));
      overflow = *x == std::numeric_limits<std::int64_t>::min() && *y == -1;
      if (!overflow) r = kOp == Op::kDiv ? *x / *y : *x % *y;
      break;
  }
  if (overflow) return Fail(a.Wrong("the result is out of the 64-bit integer range"));
  return Json(r);
}

// min()/max(): one Array of Integers or a list of Integers.
template <bool kMin>
Result<Json> Extreme(Args& a) {
  if (auto s = a.Count(1, std::numeric_limits<std::size_t>::max()); !s) return Fail(s.error());
  const Json list = a.size() == 1 && a[0].is_array() ? a[0] : Json(a.values());
  if (list.empty()) return Fail(a.Wrong("the array is empty"));
  std::int64_t best = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!IsInt(list[i])) return Fail(a.Wrong(fmt::format("expects Integers, got {}", TypeName(list[i]))));
    const auto v = list[i].get<std::int64_t>();
    if (i == 0 || (kMin ? v < best : v > best)) best = v;
  }
  return Json(best);
}

// range(startIndex, count): ARM caps count at 10000 and startIndex + count at 2147483647.
Result<Json> Range(Args& a) {
  if (auto s = a.Count(2, 2); !s) return Fail(s.error());
  auto start = a.Int(0);
  if (!start) return Fail(start.error());
  auto count = a.Int(1);
  if (!count) return Fail(count.error());
  if (*count < 0 || *count > 10'000) return Fail(a.Wrong("count must be between 0 and 10000"));
  if (*start > 2'147'483'647 - *count || *start < std::numeric_limits<std::int32_t>::min()) {
    return Fail(a.Wrong("startIndex + count must be within the 32-bit integer range"));
  }
  Json out = Json::array();
  for (std::int64_t i = 0; i < *count; ++i) out.push_back(*start + i);
  return out;
}

// skip()/take() on Arrays and Strings; a count below zero means 0, beyond the length means all.
template <bool kTake>
Result<Json> Slice(Args& a) {
  if (auto s = a.Count(2, 2); !s) return Fail(s.error());
  auto n = a.Int(1);
  if (!n) return Fail(n.error());
  const std::size_t len = a[0].is_array()    ? a[0].size()
                          : a[0].is_string() ? a[0].get_ref<const std::string&>().size()
                                             : 0;
  const std::size_t k = *n <= 0 ? 0 : std::min(len, static_cast<std::size_t>(*n));
  const std::size_t from = kTake ? 0 : k;
  const std::size_t to = kTake ? k : len;
  if (a[0].is_array()) {
    Json out = Json::array();
    for (std::size_t i = from; i < to; ++i) out.push_back(std::move(a[0][i]));
    return out;
  }
  if (a[0].is_string()) return Json(a[0].get_ref<const std::string&>().substr(from, to - from));
  return Fail(a.TypeError(0, "an Array or a String"));
}

Result<Json> ArrayFn(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  if (a[0].is_array()) return std::move(a[0]);
  return Json::array({std::move(a[0])});
}

template <int kValue>
Result<Json> Constant(Args& a) {
  if (auto s = a.Count(0, 0); !s) return Fail(s.error());
  if constexpr (kValue < 0)
    return Json(nullptr);
  else
    return Json(kValue == 1);
}

// intersection(): what every argument has. Arrays: the first array's elements (deep equality, each
// once, in its order) found in all the others, as LINQ's Intersect. Objects: the first object's
// properties that every other has with a deeply equal value; names match case-sensitively, as in
// equals() and union().
Result<Json> Intersection(Args& a) {
  if (auto s = a.Count(2, std::numeric_limits<std::size_t>::max()); !s) return Fail(s.error());
  if (a[0].is_object()) {
    // Members indexed by name: ordered_json looks keys up linearly.
    std::vector<std::unordered_map<std::string_view, const Json*>> others(a.size() - 1);
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (!a[i].is_object()) return Fail(a.TypeError(i, "an Object (the first argument is an Object)"));
      for (const auto& member : *a[i].get_ptr<const Json::object_t*>()) {
        others[i - 1].emplace(member.first, &member.second);
      }
    }
    Json out = Json::object();
    auto& members = *out.get_ptr<Json::object_t*>();
    for (auto& member : *a[0].get_ptr<Json::object_t*>()) {
      const bool everywhere = std::all_of(others.begin(), others.end(), [&](const auto& m) {
        const auto it = m.find(member.first);
        return it != m.end() && DeepEquals(*it->second, member.second);
      });
      if (everywhere) members.emplace_back(member.first, std::move(member.second));
    }
    return out;
  }
  if (a[0].is_array()) {
    std::vector<std::unordered_set<std::string>> others(a.size() - 1);
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (!a[i].is_array()) return Fail(a.TypeError(i, "an Array (the first argument is an Array)"));
      for (const auto& x : a[i]) {
        std::string key;
        Canonical(x, key);
        others[i - 1].insert(std::move(key));
      }
    }
    Json out = Json::array();
    std::unordered_set<std::string> taken;
    for (auto& x : a[0]) {
      std::string key;
      Canonical(x, key);
      if (std::all_of(others.begin(), others.end(), [&](const auto& set) { return set.contains(key); }) &&
          taken.insert(std::move(key)).second) {
        out.push_back(std::move(x));
      }
    }
    return out;
  }
  return Fail(a.TypeError(0, "an Array or an Object"));
}

// items(object): [{key, value}, ...] in ARM's order: keys sorted ordinally ignoring case (.NET's
// OrdinalIgnoreCase, ASCII folding only here), keys equal but for case in the object's order.
Result<Json> Items(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  if (!a[0].is_object()) return Fail(a.TypeError(0, "an Object"));
  auto& members = *a[0].get_ptr<Json::object_t*>();
  std::vector<Json::object_t::value_type*> sorted;
  sorted.reserve(members.size());
  for (auto& m : members) sorted.push_back(&m);
  const auto upper = [](unsigned char c) { return std::toupper(c); };
  std::stable_sort(sorted.begin(), sorted.end(), [&](const auto* x, const auto* y) {
    return std::lexicographical_compare(
        x->first.begin(), x->first.end(), y->first.begin(), y->first.end(), [&](char p, char q) {
          return upper(static_cast<unsigned char>(p)) < upper(static_cast<unsigned char>(q));
        });
  });
  Json out = Json::array();
  for (auto* m : sorted) out.push_back(Json{{"key", m->first}, {"value", std::move(m->second)}});
  return out;
}

constexpr std::array kTable{
    FunctionEntry{"add", Arith<Op::kAdd>},
    FunctionEntry{"and", Logic<true>},
    FunctionEntry{"array", ArrayFn},
    FunctionEntry{"bool", BoolFn},
    FunctionEntry{"coalesce", Coalesce},
    FunctionEntry{"contains", Contains},
    FunctionEntry{"createArray", CreateArray},
    FunctionEntry{"createObject", CreateObject},
    FunctionEntry{"div", Arith<Op::kDiv>},
    FunctionEntry{"empty", Empty},
    FunctionEntry{"equals", Equals},
    FunctionEntry{"false", Constant<0>},
    FunctionEntry{"first", Edge<true>},
    FunctionEntry{"greater", Compare<std::greater<>>},
    FunctionEntry{"greaterOrEquals", Compare<std::greater_equal<>>},
    FunctionEntry{"if", IfEager},
    FunctionEntry{"int", IntFn},
    FunctionEntry{"intersection", Intersection},
    FunctionEntry{"items", Items},
    FunctionEntry{"json", JsonFn},
    FunctionEntry{"last", Edge<false>},
    FunctionEntry{"length", Length},
    FunctionEntry{"less", Compare<std::less<>>},
    FunctionEntry{"lessOrEquals", Compare<std::less_equal<>>},
    FunctionEntry{"max", Extreme<false>},
    FunctionEntry{"min", Extreme<true>},
    FunctionEntry{"mod", Arith<Op::kMod>},
    FunctionEntry{"mul", Arith<Op::kMul>},
    FunctionEntry{"not", Not},
    FunctionEntry{"null", Constant<-1>},
    FunctionEntry{"or", Logic<false>},
    FunctionEntry{"range", Range},
    FunctionEntry{"skip", Slice<false>},
    FunctionEntry{"string", StringFn},
    FunctionEntry{"sub", Arith<Op::kSub>},
    FunctionEntry{"take", Slice<true>},
    FunctionEntry{"true", Constant<1>},
    FunctionEntry{"union", Union},
};

}  // namespace

std::span<const FunctionEntry> CollectionFunctions() {
  return kTable;
}

}  // namespace isthmus::mgmt::tmpl::detail
