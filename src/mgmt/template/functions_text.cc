// String functions: concat, format, split, replace, toLower/toUpper, trim, padLeft, substring,
// indexOf/lastIndexOf, startsWith/endsWith, join, and the hashes behind uniqueString() and guid().
#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "mgmt/model/resource_id.h"
#include "mgmt/template/functions_internal.h"

namespace isthmus::mgmt::tmpl {
namespace {

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

namespace detail {
namespace {

std::string ToUpper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// How .NET prints a value into text (concat, format): strings as they are, booleans as True/False,
// null as nothing, containers as JSON.
std::string Text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_null()) return {};
  return v.dump();
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

constexpr std::array kTable{
    FunctionEntry{"concat", Concat},
    FunctionEntry{"endsWith", Affix<false>},
    FunctionEntry{"format", Format},
    FunctionEntry{"guid", GuidFn},
    FunctionEntry{"indexOf", IndexOf<false>},
    FunctionEntry{"join", Join},
    FunctionEntry{"lastIndexOf", IndexOf<true>},
    FunctionEntry{"padLeft", PadLeft},
    FunctionEntry{"replace", Replace},
    FunctionEntry{"split", Split},
    FunctionEntry{"startsWith", Affix<true>},
    FunctionEntry{"substring", Substring},
    FunctionEntry{"toLower", ToLowerFn},
    FunctionEntry{"toUpper", ToUpperFn},
    FunctionEntry{"trim", Trim},
    FunctionEntry{"uniqueString", UniqueStringFn},
};

}  // namespace

std::span<const FunctionEntry> TextFunctions() {
  return kTable;
}

}  // namespace detail
}  // namespace isthmus::mgmt::tmpl
