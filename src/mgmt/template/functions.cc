#include "mgmt/template/functions.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "mgmt/model/resource_id.h"

namespace isthmus::mgmt::tmpl {
namespace {

Error Invalid(std::string message) {
  return Error::Invalid("InvalidTemplate", std::move(message));
}

std::string Ordinal(std::size_t n) {
  return n == 1 ? "1 argument" : fmt::format("{} arguments", n);
}

// ---- strings -------------------------------------------------------------------------------------

bool IStartsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && IEquals(s.substr(0, p.size()), p);
}

std::string ToUpper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool SameChar(char a, char b, bool icase) {
  if (a == b) return true;
  return icase && std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
}

// Substring search in linear time (Knuth-Morris-Pratt): std::string::find is quadratic in the worst case,
// and the strings here can be a megabyte built by a hostile template.
class Finder {
 public:
  Finder(std::string_view needle, bool icase) : n_(needle), icase_(icase), fail_(needle.size(), 0) {
    std::size_t k = 0;
    for (std::size_t i = 1; i < n_.size(); ++i) {
      while (k > 0 && !SameChar(n_[i], n_[k], icase_)) k = fail_[k - 1];
      if (SameChar(n_[i], n_[k], icase_)) ++k;
      fail_[i] = k;
    }
  }

  // The first match at or after `from`; npos when none.
  std::size_t Find(std::string_view hay, std::size_t from = 0) const {
    if (n_.empty()) return from <= hay.size() ? from : std::string_view::npos;
    std::size_t k = 0;
    for (std::size_t i = from; i < hay.size(); ++i) {
      while (k > 0 && !SameChar(hay[i], n_[k], icase_)) k = fail_[k - 1];
      if (SameChar(hay[i], n_[k], icase_)) ++k;
      if (k == n_.size()) return i + 1 - k;
    }
    return std::string_view::npos;
  }

  // The last match (matches may overlap); an empty needle matches at the end, as in .NET.
  std::size_t FindLast(std::string_view hay) const {
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

 private:
  std::string_view n_;
  bool icase_;
  std::vector<std::size_t> fail_;
};

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

// How .NET prints a value into text (concat, format): strings as they are, booleans as True/False,
// null as nothing, containers as JSON.
std::string Text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_null()) return {};
  return v.dump();
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

// ---- base64 ---------------------------------------------------------------------------------------

constexpr std::string_view kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = (std::uint32_t{static_cast<unsigned char>(in[i])} << 16) |
                   (std::uint32_t{static_cast<unsigned char>(in[i + 1])} << 8) |
                   static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kB64[(n >> s) & 63]);
  }
  if (i < in.size()) {
    std::uint32_t n = std::uint32_t{static_cast<unsigned char>(in[i])} << 16;
    if (i + 1 < in.size()) n |= std::uint32_t{static_cast<unsigned char>(in[i + 1])} << 8;
    out.push_back(kB64[(n >> 18) & 63]);
    out.push_back(kB64[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kB64[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 4) {
    std::uint32_t n = 0;
    int pad = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = in[i + j];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        ++pad;
        n <<= 6;
        continue;
      }
      const auto k = kB64.find(c);
      if (k == std::string_view::npos || pad > 0) return std::nullopt;
      n = (n << 6) | static_cast<std::uint32_t>(k);
    }
    out.push_back(static_cast<char>((n >> 16) & 0xff));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
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

// ---- functions ------------------------------------------------------------------------------------

Result<Json> Parameters(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  auto name = a.Str(0);
  if (!name) return Fail(name.error());
  return a.ctx().Parameter(*name);
}

Result<Json> Variables(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  auto name = a.Str(0);
  if (!name) return Fail(name.error());
  return a.ctx().Variable(*name);
}

// concat(): arrays when the first argument is an array, otherwise text (integers and booleans printed).
Result<Json> Concat(Args& a) {
  if (auto s = a.Count(1, std::numeric_limits<std::size_t>::max()); !s) return Fail(s.error());
  if (a[0].is_array()) {
    Json out = Json::array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i].is_null()) continue;
      if (!a[i].is_array()) return Fail(a.TypeError(i, "an Array (the first argument is an Array)"));
      for (auto& x : a[i]) out.push_back(std::move(x));
    }
    return out;
  }
  std::string out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].is_object() || a[i].is_array() || a[i].is_number_float()) {
      return Fail(a.TypeError(i, "a String, an Integer or a Boolean"));
    }
    const std::string t = Text(a[i]);
    if (out.size() + t.size() > kMaxStringBytes) return CheckedString(out + t);
    out += t;
  }
  return Json(std::move(out));
}

// Applies a .NET numeric format string (D, X, N; the precision is the digit count) to an integer.
Result<std::string> FormatInt(std::int64_t v, std::string_view spec) {
  if (spec.empty()) return fmt::format("{}", v);
  const char kind = static_cast<char>(std::toupper(static_cast<unsigned char>(spec[0])));
  int precision = -1;
  if (spec.size() > 1) {
    precision = 0;
    for (char c : spec.substr(1)) {
      if (std::isdigit(static_cast<unsigned char>(c)) == 0 || precision > 99) {
        return Fail(Invalid(fmt::format("the format specifier '{}' is not supported", spec)));
      }
      precision = precision * 10 + (c - '0');
    }
  }
  switch (kind) {
    case 'D': {
      const std::uint64_t mag = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
      return fmt::format("{}{:0>{}}", v < 0 ? "-" : "", mag, std::max(precision, 1));
    }
    case 'X': {
      std::string hex = fmt::format("{:0>{}x}", static_cast<std::uint64_t>(v), std::max(precision, 1));
      return spec[0] == 'X' ? ToUpper(hex) : hex;
    }
    case 'N': {
      const std::uint64_t mag = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
      std::string digits = fmt::format("{}", mag);
      std::string grouped;
      for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) grouped.push_back(',');
        grouped.push_back(digits[i]);
      }
      const int decimals = precision < 0 ? 2 : precision;
      if (decimals > 0) grouped += "." + std::string(static_cast<std::size_t>(decimals), '0');
      return (v < 0 ? "-" : "") + grouped;
    }
    default:
      return Fail(Invalid(fmt::format("the format specifier '{}' is not supported", spec)));
  }
}

// format(): .NET composite formatting: {index[,alignment][:format]}, "{{" and "}}" for braces.
Result<Json> Format(Args& a) {
  if (auto s = a.Count(1, std::numeric_limits<std::size_t>::max()); !s) return Fail(s.error());
  auto text = a.Str(0);
  if (!text) return Fail(text.error());
  const std::string& f = *text;
  std::string out;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const char c = f[i];
    if (c == '}') {
      if (i + 1 < f.size() && f[i + 1] == '}') {
        out.push_back('}');
        ++i;
        continue;
      }
      return Fail(a.Wrong(fmt::format("the format string has an unmatched '}}' at offset {}", i)));
    }
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < f.size() && f[i + 1] == '{') {
      out.push_back('{');
      ++i;
      continue;
    }
    const std::size_t close = f.find('}', i);
    if (close == std::string::npos) {
      return Fail(a.Wrong(fmt::format("the format string has an unmatched '{{' at offset {}", i)));
    }
    std::string_view item(f.data() + i + 1, close - i - 1);
    std::string_view spec;
    if (auto colon = item.find(':'); colon != std::string_view::npos) {
      spec = item.substr(colon + 1);
      item = item.substr(0, colon);
    }
    long alignment = 0;
    if (auto comma = item.find(','); comma != std::string_view::npos) {
      std::string_view al = item.substr(comma + 1);
      item = item.substr(0, comma);
      const bool neg = !al.empty() && al[0] == '-';
      if (neg) al.remove_prefix(1);
      if (al.empty() || al.size() > 4 || !std::all_of(al.begin(), al.end(), [](char d) {
            return std::isdigit(static_cast<unsigned char>(d)) != 0;
          })) {
        return Fail(a.Wrong(fmt::format("the format item '{{{}}}' has an invalid alignment",
                                        f.substr(i + 1, close - i - 1))));
      }
      alignment = std::stol(std::string(al)) * (neg ? -1 : 1);
    }
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty() || item.size() > 6 || !std::all_of(item.begin(), item.end(), [](char d) {
          return std::isdigit(static_cast<unsigned char>(d)) != 0;
        })) {
      return Fail(
          a.Wrong(fmt::format("the format item '{{{}}}' is not valid", f.substr(i + 1, close - i - 1))));
    }
    const std::size_t index = std::stoul(std::string(item));
    if (index + 1 >= a.size()) {
      return Fail(
          a.Wrong(fmt::format("the format item {{{}}} refers to an argument that was not given ({} given)",
                              index, a.size() - 1)));
    }
    const Json& arg = a[index + 1];
    std::string piece;
    if (IsInt(arg)) {
      auto p = FormatInt(arg.get<std::int64_t>(), spec);
      if (!p) return Fail(a.Wrong(p.error().message));
      piece = std::move(*p);
    } else {
      piece = Text(arg);
    }
    const auto width = static_cast<std::size_t>(alignment < 0 ? -alignment : alignment);
    if (piece.size() < width) {
      const std::string pad(width - piece.size(), ' ');
      piece = alignment < 0 ? piece + pad : pad + piece;
    }
    if (out.size() + piece.size() > kMaxStringBytes) return CheckedString(out + piece);
    out += piece;
    i = close;
  }
  return Json(std::move(out));
}

// The provider path of a resource type and its names:
// ("Microsoft.Network/virtualNetworks/subnets", [v, s]) -> "Microsoft.Network/virtualNetworks/v/subnets/s".
Result<std::string> TypePath(Args& a, std::size_t type_at) {
  auto type = a.Str(type_at);
  if (!type) return Fail(type.error());
  std::vector<std::string_view> segments;
  std::string_view rest = *type;
  while (true) {
    const auto slash = rest.find('/');
    segments.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  if (segments.size() < 2 ||
      std::any_of(segments.begin(), segments.end(), [](auto s) { return s.empty(); })) {
    return Fail(a.Wrong(fmt::format("'{}' is not a resource type (Namespace/type[/childType...])", *type)));
  }
  const std::size_t names = a.size() - type_at - 1;
  if (names != segments.size() - 1) {
    return Fail(a.Wrong(fmt::format("the resource type '{}' takes {} resource name(s), got {}", *type,
                                    segments.size() - 1, names)));
  }
  std::string out(segments[0]);
  for (std::size_t i = 1; i < segments.size(); ++i) {
    auto name = a.Str(type_at + i);
    if (!name) return Fail(name.error());
    if (name->empty()) return Fail(a.Wrong(fmt::format("resource name {} is empty", i)));
    out += fmt::format("/{}/{}", segments[i], *name);
  }
  return out;
}

// The index of the first argument that is a resource type (holds a '/'), after at most `max_before`.
Result<std::size_t> TypeIndex(Args& a, std::size_t max_before) {
  for (std::size_t i = 0; i < a.size() && i <= max_before; ++i) {
    if (!a[i].is_string()) return Fail(a.TypeError(i, "a String"));
    if (a[i].get_ref<const std::string&>().find('/') != std::string::npos) return i;
  }
  return Fail(a.Wrong("no resource type (Namespace/type) found among the arguments"));
}

// resourceId([subscriptionId], [resourceGroupName], resourceType, name1, [name2], ...).
Result<Json> ResourceIdFn(Args& a) {
  if (auto s = a.Count(2, std::numeric_limits<std::size_t>::max()); !s) return Fail(s.error());
  auto at = TypeIndex(a, 2);
  if (!at) return Fail(at.error());
  std::string sub = a.ctx().SubscriptionId();
  std::string group = a.ctx().ResourceGroupName();
  if (*at == 2) {
    sub = a[0].get<std::string>();
    group = a[1].get<std::string>();
  } else if (*at == 1) {
    group = a[0].get<std::string>();
  }
  auto path = TypePath(a, *at);
  if (!path) return Fail(path.error());
  return Json(fmt::format("/subscriptions/{}/resourceGroups/{}/providers/{}", sub, group, *path));
}

// subscriptionResourceId([subscriptionId], resourceType, name1, ...).
Result<Json> SubscriptionResourceId(Args& a) {
  if (auto s = a.Count(2, std::numeric_limits<std::size_t>::max()); !s) return Fail(s.error());
  auto at = TypeIndex(a, 1);
  if (!at) return Fail(at.error());
  const std::string sub = *at == 1 ? a[0].get<std::string>() : a.ctx().SubscriptionId();
  auto path = TypePath(a, *at);
  if (!path) return Fail(path.error());
  return Json(fmt::format("/subscriptions/{}/providers/{}", sub, *path));
}

// tenantResourceId(resourceType, name1, ...).
Result<Json> TenantResourceId(Args& a) {
  if (auto s = a.Count(2, std::numeric_limits<std::size_t>::max()); !s) return Fail(s.error());
  auto path = TypePath(a, 0);
  if (!path) return Fail(path.error());
  return Json(fmt::format("/providers/{}", *path));
}

// extensionResourceId(resourceId, resourceType, name1, ...).
Result<Json> ExtensionResourceId(Args& a) {
  if (auto s = a.Count(3, std::numeric_limits<std::size_t>::max()); !s) return Fail(s.error());
  auto base = a.Str(0);
  if (!base) return Fail(base.error());
  auto path = TypePath(a, 1);
  if (!path) return Fail(path.error());
  return Json(fmt::format("{}/providers/{}", *base, *path));
}

Result<Json> ResourceGroupFn(Args& a) {
  if (auto s = a.Count(0, 0); !s) return Fail(s.error());
  auto& c = a.ctx();
  return Json{
      {"id", fmt::format("/subscriptions/{}/resourceGroups/{}", c.SubscriptionId(), c.ResourceGroupName())},
      {"name", c.ResourceGroupName()},
      {"type", "Microsoft.Resources/resourceGroups"},
      {"location", c.ResourceGroupLocation()},
      {"tags", c.ResourceGroupTags()},
      {"properties", {{"provisioningState", "Succeeded"}}}};
}

Result<Json> SubscriptionFn(Args& a) {
  if (auto s = a.Count(0, 0); !s) return Fail(s.error());
  auto& c = a.ctx();
  return Json{{"id", "/subscriptions/" + c.SubscriptionId()},
              {"subscriptionId", c.SubscriptionId()},
              {"tenantId", c.TenantId()},
              {"displayName", c.SubscriptionDisplayName()}};
}

Result<Json> DeploymentFn(Args& a) {
  if (auto s = a.Count(0, 0); !s) return Fail(s.error());
  auto& c = a.ctx();
  return Json{
      {"name", c.DeploymentName()},
      {"properties",
       {{"template", {{"contentVersion", c.TemplateContentVersion()}}}, {"mode", c.DeploymentMode()}}}};
}

// uniqueString() and guid() take strings only and hash them joined with '-', as ARM does.
Result<std::string> Joined(Args& a) {
  if (auto s = a.Count(1, std::numeric_limits<std::size_t>::max()); !s) return Fail(s.error());
  std::string out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto s = a.Str(i);
    if (!s) return Fail(s.error());
    if (i > 0) out.push_back('-');
    out += *s;
  }
  return out;
}

Result<Json> UniqueStringFn(Args& a) {
  auto j = Joined(a);
  if (!j) return Fail(j.error());
  return Json(UniqueString(*j));
}

Result<Json> GuidFn(Args& a) {
  auto j = Joined(a);
  if (!j) return Fail(j.error());
  return Json(GuidV5(*j));
}

Result<Json> ToLowerFn(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  auto v = a.Str(0);
  if (!v) return Fail(v.error());
  return Json(ToLower(*v));
}

Result<Json> ToUpperFn(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  auto v = a.Str(0);
  if (!v) return Fail(v.error());
  return Json(ToUpper(*v));
}

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
// empty delimiters are ignored, and with no non-empty delimiter the string splits on white space.
Result<Json> Split(Args& a) {
  if (auto s = a.Count(2, 2); !s) return Fail(s.error());
  auto input = a.Str(0);
  if (!input) return Fail(input.error());
  std::vector<std::string> delims;
  if (a[1].is_string()) {
    delims.push_back(a[1].get<std::string>());
  } else if (a[1].is_array()) {
    for (const auto& d : a[1]) {
      if (!d.is_string()) return Fail(a.Wrong("argument 2 must be a String or an Array of Strings"));
      delims.push_back(d.get<std::string>());
    }
  } else {
    return Fail(a.TypeError(1, "a String or an Array of Strings"));
  }
  std::erase_if(delims, [](const std::string& d) { return d.empty(); });
  // Candidates by first byte, in the caller's order (the first that matches wins). The comparison budget
  // is ours: thousands of delimiters with a shared prefix over a megabyte of text would take minutes.
  std::array<std::vector<const std::string*>, 256> by_first;
  std::unordered_set<std::string_view> distinct;
  for (const auto& d : delims) {
    if (distinct.insert(d).second) by_first[static_cast<unsigned char>(d[0])].push_back(&d);
  }
  constexpr std::size_t kMaxSplitWork = std::size_t{1} << 26;
  std::size_t work = 0;
  const std::string& s = *input;
  Json out = Json::array();
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t matched = 0;
    if (delims.empty()) {
      if (std::isspace(static_cast<unsigned char>(s[i])) != 0) matched = 1;
    } else {
      for (const std::string* d : by_first[static_cast<unsigned char>(s[i])]) {
        work += d->size();
        if (s.compare(i, d->size(), *d) == 0) {
          matched = d->size();
          break;
        }
      }
      if (work > kMaxSplitWork) return Fail(a.Wrong("the string and delimiters are too large to split"));
    }
    if (matched == 0) {
      ++i;
      continue;
    }
    // Ours, like the comparison budget: a megabyte split at every byte is a million values.
    constexpr std::size_t kMaxSplitParts = 100'000;
    if (out.size() + 1 >= kMaxSplitParts)
      return Fail(a.Wrong(fmt::format("makes more than {} parts", kMaxSplitParts)));
    out.push_back(s.substr(start, i - start));
    i += matched;
    start = i;
  }
  out.push_back(s.substr(start));
  return out;
}

Result<Json> Replace(Args& a) {
  if (auto s = a.Count(3, 3); !s) return Fail(s.error());
  auto s = a.Str(0);
  auto from = a.Str(1);
  auto to = a.Str(2);
  if (!s) return Fail(s.error());
  if (!from) return Fail(from.error());
  if (!to) return Fail(to.error());
  if (from->empty()) return Fail(a.Wrong("the string to replace (argument 2) must not be empty"));
  const Finder finder(*from, false);
  std::size_t hits = 0;
  for (auto p = finder.Find(*s); p != std::string::npos; p = finder.Find(*s, p + from->size())) ++hits;
  if (hits > 0 && to->size() > from->size() &&
      (to->size() - from->size()) > (kMaxStringBytes - std::min(kMaxStringBytes, s->size())) / hits) {
    return Fail(a.Wrong(fmt::format("the resulting string would exceed {} bytes", kMaxStringBytes)));
  }
  std::string out;
  std::size_t at = 0;
  for (auto p = finder.Find(*s); p != std::string::npos; p = finder.Find(*s, at)) {
    out.append(*s, at, p - at);
    out += *to;
    at = p + from->size();
  }
  out.append(*s, at);
  return Json(std::move(out));
}

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

// indexOf()/lastIndexOf(): strings case-insensitively, arrays by deep equality; -1 when absent.
template <bool kLast>
Result<Json> IndexOf(Args& a) {
  if (auto s = a.Count(2, 2); !s) return Fail(s.error());
  if (a[0].is_array()) {
    const Json& arr = a[0];
    for (std::size_t k = 0; k < arr.size(); ++k) {
      const std::size_t i = kLast ? arr.size() - 1 - k : k;
      if (DeepEquals(arr[i], a[1])) return Json(static_cast<std::int64_t>(i));
    }
    return Json(-1);
  }
  auto s = a.Str(0);
  if (!s) return Fail(s.error());
  auto needle = a.Str(1);
  if (!needle) return Fail(needle.error());
  const Finder finder(*needle, true);
  const std::size_t at = kLast ? finder.FindLast(*s) : finder.Find(*s);
  return at == std::string_view::npos ? Json(-1) : Json(static_cast<std::int64_t>(at));
}

template <bool kStarts>
Result<Json> Affix(Args& a) {
  if (auto s = a.Count(2, 2); !s) return Fail(s.error());
  auto s = a.Str(0);
  if (!s) return Fail(s.error());
  auto p = a.Str(1);
  if (!p) return Fail(p.error());
  if (p->size() > s->size()) return Json(false);
  return Json(IEquals(kStarts ? std::string_view(*s).substr(0, p->size())
                              : std::string_view(*s).substr(s->size() - p->size()),
                      *p));
}

Result<Json> Trim(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  auto s = a.Str(0);
  if (!s) return Fail(s.error());
  const auto first = s->find_first_not_of(" \t\r\n\v\f");
  if (first == std::string::npos) return Json("");
  const auto last = s->find_last_not_of(" \t\r\n\v\f");
  return Json(s->substr(first, last - first + 1));
}

Result<Json> PadLeft(Args& a) {
  if (auto s = a.Count(2, 3); !s) return Fail(s.error());
  std::string value;
  if (a[0].is_string())
    value = a[0].get<std::string>();
  else if (IsInt(a[0]))
    value = a[0].dump();
  else
    return Fail(a.TypeError(0, "a String or an Integer"));
  auto total = a.Int(1);
  if (!total) return Fail(total.error());
  if (*total < 0 || static_cast<std::uint64_t>(*total) > kMaxStringBytes) {
    return Fail(a.Wrong(fmt::format("totalLength must be between 0 and {}", kMaxStringBytes)));
  }
  char pad = ' ';
  if (a.size() == 3) {
    auto p = a.Str(2);
    if (!p) return Fail(p.error());
    if (p->size() != 1) return Fail(a.Wrong("paddingCharacter must be a single character"));
    pad = (*p)[0];
  }
  const auto want = static_cast<std::size_t>(*total);
  if (value.size() >= want) return Json(std::move(value));
  return Json(std::string(want - value.size(), pad) + value);
}

// substring(s, startIndex, [length]): fails, as ARM does, when the range leaves the string.
Result<Json> Substring(Args& a) {
  if (auto s = a.Count(2, 3); !s) return Fail(s.error());
  auto s = a.Str(0);
  if (!s) return Fail(s.error());
  auto start = a.Int(1);
  if (!start) return Fail(start.error());
  if (*start < 0 || static_cast<std::uint64_t>(*start) > s->size()) {
    return Fail(a.Wrong(
        fmt::format("startIndex {} must be between 0 and the string's length {}", *start, s->size())));
  }
  std::int64_t len = static_cast<std::int64_t>(s->size()) - *start;
  if (a.size() == 3) {
    auto l = a.Int(2);
    if (!l) return Fail(l.error());
    if (*l < 0 || *l > len) {
      return Fail(
          a.Wrong(fmt::format("the index {} and length {} must refer to a location within the string "
                              "of length {}",
                              *start, *l, s->size())));
    }
    len = *l;
  }
  return Json(s->substr(static_cast<std::size_t>(*start), static_cast<std::size_t>(len)));
}

Result<Json> ArrayFn(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  if (a[0].is_array()) return std::move(a[0]);
  return Json::array({std::move(a[0])});
}

Result<Json> Base64Fn(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  auto s = a.Str(0);
  if (!s) return Fail(s.error());
  return CheckedString(Base64Encode(*s));
}

Result<Json> Base64ToStringFn(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  auto s = a.Str(0);
  if (!s) return Fail(s.error());
  auto d = Base64Decode(*s);
  if (!d) return Fail(a.Wrong("the argument is not valid base64"));
  return Json(std::move(*d));
}

Result<Json> Base64ToJsonFn(Args& a) {
  auto s = Base64ToStringFn(a);
  if (!s) return s;
  a[0] = std::move(*s);
  return JsonFn(a);
}

Result<Json> Join(Args& a) {
  if (auto s = a.Count(2, 2); !s) return Fail(s.error());
  if (!a[0].is_array()) return Fail(a.TypeError(0, "an Array"));
  auto d = a.Str(1);
  if (!d) return Fail(d.error());
  std::string out;
  for (std::size_t i = 0; i < a[0].size(); ++i) {
    const Json& x = a[0][i];
    if (x.is_object() || x.is_array())
      return Fail(a.Wrong("the array must hold Strings, Integers or Booleans"));
    const std::string t = (i > 0 ? *d : std::string()) + Text(x);
    if (out.size() + t.size() > kMaxStringBytes) return CheckedString(out + t);
    out += t;
  }
  return Json(std::move(out));
}

// copyIndex(), copyIndex(offset), copyIndex('loop'), copyIndex('loop', offset).
Result<Json> CopyIndexFn(Args& a) {
  if (auto s = a.Count(0, 2); !s) return Fail(s.error());
  std::string loop;
  std::int64_t offset = 0;
  std::size_t next = 0;
  if (a.size() >= 1 && a[0].is_string()) {
    loop = a[0].get<std::string>();
    next = 1;
  }
  if (next < a.size()) {
    auto o = a.Int(next);
    if (!o) return Fail(o.error());
    offset = *o;
    ++next;
  }
  if (next != a.size()) return Fail(a.Wrong("expects ([loopName], [offset])"));
  return a.ctx().CopyIndex(loop, offset);
}

// reference(resourceIdOrName, [apiVersion], ['Full']): recorded for the caller's dependency graph.
Result<Json> ReferenceFn(Args& a) {
  if (auto s = a.Count(1, 3); !s) return Fail(s.error());
  auto target = a.Str(0);
  if (!target) return Fail(target.error());
  std::string api;
  if (a.size() >= 2) {
    auto v = a.Str(1);
    if (!v) return Fail(v.error());
    api = *v;
  }
  bool full = false;
  if (a.size() == 3) {
    auto f = a.Str(2);
    if (!f) return Fail(f.error());
    if (!IEquals(*f, "Full")) return Fail(a.Wrong(fmt::format("argument 3 must be 'Full', got '{}'", *f)));
    full = true;
  }
  a.ctx().references.push_back(*target);
  return a.ctx().Reference(*target, api, full);
}

// listKeys(resourceId, apiVersion, [body]) and every other list*().
Result<Json> ListFn(Args& a) {
  if (auto s = a.Count(2, 3); !s) return Fail(s.error());
  auto id = a.Str(0);
  if (!id) return Fail(id.error());
  auto api = a.Str(1);
  if (!api) return Fail(api.error());
  const Json body = a.size() == 3 ? a[2] : Json(nullptr);
  return a.ctx().List(a.name(), *id, *api, body);
}

template <int kValue>
Result<Json> Constant(Args& a) {
  if (auto s = a.Count(0, 0); !s) return Fail(s.error());
  if constexpr (kValue < 0)
    return Json(nullptr);
  else
    return Json(kValue == 1);
}

struct Entry {
  std::string_view name;
  Function fn;
};

constexpr std::array kTable{
    Entry{"add", Arith<Op::kAdd>},
    Entry{"and", Logic<true>},
    Entry{"array", ArrayFn},
    Entry{"base64", Base64Fn},
    Entry{"base64ToJson", Base64ToJsonFn},
    Entry{"base64ToString", Base64ToStringFn},
    Entry{"bool", BoolFn},
    Entry{"coalesce", Coalesce},
    Entry{"concat", Concat},
    Entry{"contains", Contains},
    Entry{"copyIndex", CopyIndexFn},
    Entry{"createArray", CreateArray},
    Entry{"createObject", CreateObject},
    Entry{"deployment", DeploymentFn},
    Entry{"div", Arith<Op::kDiv>},
    Entry{"empty", Empty},
    Entry{"endsWith", Affix<false>},
    Entry{"equals", Equals},
    Entry{"extensionResourceId", ExtensionResourceId},
    Entry{"false", Constant<0>},
    Entry{"first", Edge<true>},
    Entry{"format", Format},
    Entry{"greater", Compare<std::greater<>>},
    Entry{"greaterOrEquals", Compare<std::greater_equal<>>},
    Entry{"guid", GuidFn},
    Entry{"if", IfEager},
    Entry{"indexOf", IndexOf<false>},
    Entry{"int", IntFn},
    Entry{"join", Join},
    Entry{"json", JsonFn},
    Entry{"last", Edge<false>},
    Entry{"lastIndexOf", IndexOf<true>},
    Entry{"length", Length},
    Entry{"less", Compare<std::less<>>},
    Entry{"lessOrEquals", Compare<std::less_equal<>>},
    Entry{"max", Extreme<false>},
    Entry{"min", Extreme<true>},
    Entry{"mod", Arith<Op::kMod>},
    Entry{"mul", Arith<Op::kMul>},
    Entry{"not", Not},
    Entry{"null", Constant<-1>},
    Entry{"or", Logic<false>},
    Entry{"padLeft", PadLeft},
    Entry{"parameters", Parameters},
    Entry{"range", Range},
    Entry{"reference", ReferenceFn},
    Entry{"replace", Replace},
    Entry{"resourceGroup", ResourceGroupFn},
    Entry{"resourceId", ResourceIdFn},
    Entry{"skip", Slice<false>},
    Entry{"split", Split},
    Entry{"startsWith", Affix<true>},
    Entry{"string", StringFn},
    Entry{"sub", Arith<Op::kSub>},
    Entry{"subscription", SubscriptionFn},
    Entry{"subscriptionResourceId", SubscriptionResourceId},
    Entry{"substring", Substring},
    Entry{"take", Slice<true>},
    Entry{"tenantResourceId", TenantResourceId},
    Entry{"toLower", ToLowerFn},
    Entry{"toUpper", ToUpperFn},
    Entry{"trim", Trim},
    Entry{"true", Constant<1>},
    Entry{"union", Union},
    Entry{"uniqueString", UniqueStringFn},
    Entry{"variables", Variables},
};

// ---- hashing --------------------------------------------------------------------------------------

std::uint32_t Rotl(std::uint32_t x, int r) {
  return (x << r) | (x >> (32 - r));
}

std::uint32_t Le32(const unsigned char* p, std::size_t n) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= std::uint32_t{p[i]} << (8 * i);
  return v;
}

// The 64-bit MurmurHash variant of ARM's expression engine (two 32-bit lanes; Microsoft's constants).
std::uint64_t ArmMurmur64(std::string_view text) {
  constexpr std::uint32_t kC1 = 597'399'067u;
  constexpr std::uint32_t kC2 = 2'869'860'233u;
  const auto* d = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::uint32_t h1 = 0;
  std::uint32_t h2 = 0;
  std::size_t i = 0;
  for (; i + 7 < n; i += 8) {
    std::uint32_t k1 = Le32(d + i, 4);
    std::uint32_t k2 = Le32(d + i + 4, 4);
    k1 = Rotl(k1 * kC1, 15) * kC2;
    h1 = (Rotl(h1 ^ k1, 19) + h2) * 5 + 1'444'728'091u;
    k2 = Rotl(k2 * kC2, 17) * kC1;
    h2 = (Rotl(h2 ^ k2, 13) + h1) * 5 + 197'830'471u;
  }
  const std::size_t tail = n - i;
  if (tail > 0) {
    const std::uint32_t k1 = Le32(d + i, std::min<std::size_t>(tail, 4));
    h1 ^= Rotl(k1 * kC1, 15) * kC2;
    if (tail > 4) {
      const std::uint32_t k2 = Le32(d + i + 4, tail - 4);
      h2 ^= Rotl(k2 * kC2, 17) * kC1;
    }
  }
  h1 ^= static_cast<std::uint32_t>(n);
  h2 ^= static_cast<std::uint32_t>(n);
  h1 += h2;
  h2 += h1;
  auto fmix = [](std::uint32_t h) {
    h ^= h >> 16;
    h *= 2'246'822'507u;
    h ^= h >> 13;
    h *= 3'266'489'909u;
    return h ^ (h >> 16);
  };
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 += h2;
  h2 += h1;
  return (std::uint64_t{h2} << 32) | h1;
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
  for (const auto& e : kTable) {
    if (IEquals(e.name, name)) return e.fn;
  }
  if (name.size() > 4 && IStartsWith(name, "list")) return ListFn;
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

std::string UniqueString(std::string_view joined) {
  constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz234567";  // RFC 4648 base32, lowercase
  std::uint64_t h = ArmMurmur64(joined);
  std::string out;
  for (int i = 0; i < 13; ++i) {
    out.push_back(kAlphabet[h >> 59]);
    h <<= 5;
  }
  return out;
}

std::string GuidV5(std::string_view joined) {
  // RFC 4122 §4.3 name-based UUID (SHA-1) in ARM's namespace 11fb06fb-712d-4ddd-98c7-e71bbd588830.
  constexpr std::array<unsigned char, 16> kNamespace{0x11, 0xfb, 0x06, 0xfb, 0x71, 0x2d, 0x4d, 0xdd,
                                                     0x98, 0xc7, 0xe7, 0x1b, 0xbd, 0x58, 0x88, 0x30};
  std::string input(kNamespace.begin(), kNamespace.end());
  input += joined;
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int md_len = 0;
  if (EVP_Digest(input.data(), input.size(), md.data(), &md_len, EVP_sha1(), nullptr) != 1 || md_len < 16) {
    return {};  // only a broken OpenSSL; callers see an empty name rather than a crash
  }
  md[6] = static_cast<unsigned char>((md[6] & 0x0f) | 0x50);
  md[8] = static_cast<unsigned char>((md[8] & 0x3f) | 0x80);
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out += fmt::format("{:02x}", md[i]);
  }
  return out;
}

}  // namespace isthmus::mgmt::tmpl
