// Encodings: base64, base64ToString, base64ToJson, and URIs: uri (RFC 3986 reference resolution),
// uriComponent and uriComponentToString (percent-encoding as .NET's Uri.EscapeDataString and
// UnescapeDataString do it, which is what ARM calls).
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "mgmt/template/functions_internal.h"

namespace isthmus::mgmt::tmpl::detail {
namespace {

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

// ---- URIs -----------------------------------------------------------------------------------------

bool IsAsciiAlpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool IsAsciiDigit(char c) {
  return c >= '0' && c <= '9';
}

// RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
bool IsScheme(std::string_view s) {
  if (s.empty() || !IsAsciiAlpha(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) {
    return IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '+' || c == '-' || c == '.';
  });
}

// A URI reference cut into its five components as RFC 3986 Appendix B does; an absent component (no
// "//", "?" or "#") is not the same as an empty one.
struct UriParts {
  std::optional<std::string_view> scheme;
  std::optional<std::string_view> authority;
  std::string_view path;
  std::optional<std::string_view> query;
  std::optional<std::string_view> fragment;
};

UriParts SplitUri(std::string_view s) {
  UriParts p;
  if (const auto colon = s.find_first_of(":/?#");
      colon != std::string_view::npos && s[colon] == ':' && IsScheme(s.substr(0, colon))) {
    p.scheme = s.substr(0, colon);
    s.remove_prefix(colon + 1);
  }
  if (s.starts_with("//")) {
    s.remove_prefix(2);
    const auto end = std::min(s.find_first_of("/?#"), s.size());
    p.authority = s.substr(0, end);
    s.remove_prefix(end);
  }
  const auto path_end = std::min(s.find_first_of("?#"), s.size());
  p.path = s.substr(0, path_end);
  s.remove_prefix(path_end);
  if (s.starts_with('?')) {
    const auto end = std::min(s.find('#'), s.size());
    p.query = s.substr(1, end - 1);
    s.remove_prefix(end);
  }
  if (s.starts_with('#')) p.fragment = s.substr(1);
  return p;
}

// RFC 3986 §5.2.4: "." and ".." segments resolved against the segments before them.
std::string RemoveDotSegments(std::string_view in) {
  std::string out;
  const auto drop_last_segment = [&out] {
    const auto slash = out.rfind('/');
    out.erase(slash == std::string::npos ? 0 : slash);
  };
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./")) {
      in.remove_prefix(2);
    } else if (in.starts_with("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.starts_with("/../")) {
      in.remove_prefix(3);
      drop_last_segment();
    } else if (in == "/..") {
      in = "/";
      drop_last_segment();
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      const auto end = std::min(in.find('/', 1), in.size());
      out.append(in.substr(0, end));
      in.remove_prefix(end);
    }
  }
  return out;
}

// RFC 3986 §5.2.3: a relative path replaces the base path's last segment.
std::string MergePaths(const UriParts& base, std::string_view path) {
  if (base.authority && base.path.empty()) return fmt::format("/{}", path);
  const auto slash = base.path.rfind('/');
  if (slash == std::string_view::npos) return std::string(path);
  return fmt::format("{}{}", base.path.substr(0, slash + 1), path);
}

// RFC 3986 §5.2.2 (strict) and §5.3: the target URI of reference `r` against the absolute base `b`.
std::string Resolve(const UriParts& b, const UriParts& r) {
  UriParts t;
  std::string path;
  if (r.scheme) {
    t.scheme = r.scheme;
    t.authority = r.authority;
    path = RemoveDotSegments(r.path);
    t.query = r.query;
  } else {
    if (r.authority) {
      t.authority = r.authority;
      path = RemoveDotSegments(r.path);
      t.query = r.query;
    } else {
      if (r.path.empty()) {
        path = b.path;
        t.query = r.query ? r.query : b.query;
      } else {
        path = r.path.starts_with('/') ? RemoveDotSegments(r.path) : RemoveDotSegments(MergePaths(b, r.path));
        t.query = r.query;
      }
      t.authority = b.authority;
    }
    t.scheme = b.scheme;
  }
  t.fragment = r.fragment;
  std::string out;
  if (t.scheme) out.append(*t.scheme).push_back(':');
  if (t.authority) out.append("//").append(*t.authority);
  out += path;
  if (t.query) out.append("?").append(*t.query);
  if (t.fragment) out.append("#").append(*t.fragment);
  return out;
}

// uri(baseUri, relativeUri): RFC 3986 §5 resolution, as ARM's documentation specifies it, so
// ('http://contoso.org/firstpath', 'myscript.sh') -> 'http://contoso.org/myscript.sh'. What .NET's Uri
// adds on top (lower-cased scheme and host, default ports dropped, re-escaping) is not done.
Result<Json> UriFn(Args& a) {
  if (auto s = a.Count(2, 2); !s) return Fail(s.error());
  auto base = a.Str(0);
  if (!base) return Fail(base.error());
  auto relative = a.Str(1);
  if (!relative) return Fail(relative.error());
  const UriParts b = SplitUri(*base);
  if (!b.scheme) {
    return Fail(a.Wrong(fmt::format(
        "expects argument 1 (baseUri) to be an absolute URI with a scheme such as 'https:', got '{}'",
        *base)));
  }
  return CheckedString(Resolve(b, SplitUri(*relative)));
}

// uriComponent(): Uri.EscapeDataString: every byte of the UTF-8 text except RFC 3986's unreserved
// characters (§2.3: ALPHA DIGIT - . _ ~) becomes %XX, in upper-case hex as in ARM's example.
Result<Json> UriComponentFn(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  auto s = a.Str(0);
  if (!s) return Fail(s.error());
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s->size());
  for (const char c : *s) {
    if (IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0f]);
  }
  return CheckedString(std::move(out));
}

int HexValue(char c) {
  if (IsAsciiDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629 §4: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0.
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) return 1;
  std::size_t n = 0;
  unsigned lo = 0x80;  // the range of the second byte; later ones are always 80..BF
  unsigned hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (n > s.size() - i) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const unsigned b = static_cast<unsigned char>(s[i + k]);
    if (b < (k == 1 ? lo : 0x80u) || b > (k == 1 ? hi : 0xBFu)) return 0;
  }
  return n;
}

// uriComponentToString(): Uri.UnescapeDataString: each run of %XX escapes is decoded where its bytes are
// well-formed UTF-8; other bytes keep their escape, and a '%' without two hex digits stays as written.
// '+' stays '+' (a space only in form encoding).
Result<Json> UriComponentToStringFn(Args& a) {
  if (auto s = a.Count(1, 1); !s) return Fail(s.error());
  auto text = a.Str(0);
  if (!text) return Fail(text.error());
  const std::string_view s = *text;
  std::string out;
  std::string run;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t j = i;
    run.clear();
    while (j + 2 < s.size() && s[j] == '%' && HexValue(s[j + 1]) >= 0 && HexValue(s[j + 2]) >= 0) {
      run.push_back(static_cast<char>(HexValue(s[j + 1]) * 16 + HexValue(s[j + 2])));
      j += 3;
    }
    if (run.empty()) {
      out.push_back(s[i++]);
      continue;
    }
    for (std::size_t k = 0; k < run.size();) {
      if (const std::size_t n = Utf8Length(run, k); n > 0) {
        out.append(run, k, n);
        k += n;
      } else {
        out.append(s.substr(i + 3 * k, 3));
        ++k;
      }
    }
    i = j;
  }
  return Json(std::move(out));
}

constexpr std::array kTable{
    FunctionEntry{"base64", Base64Fn},
    FunctionEntry{"base64ToJson", Base64ToJsonFn},
    FunctionEntry{"base64ToString", Base64ToStringFn},
    FunctionEntry{"uri", UriFn},
    FunctionEntry{"uriComponent", UriComponentFn},
    FunctionEntry{"uriComponentToString", UriComponentToStringFn},
};

}  // namespace

std::span<const FunctionEntry> EncodingFunctions() {
  return kTable;
}

}  // namespace isthmus::mgmt::tmpl::detail
