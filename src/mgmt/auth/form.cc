#include "mgmt/auth/form.h"

#include <fmt/format.h>

namespace isthmus::mgmt::auth {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Error BadForm(std::string message) {
  return Error::Invalid("invalid_request", std::move(message));
}

}  // namespace

Result<std::string> FormDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      int hi = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) return Fail(BadForm("The request body has a malformed %-escape."));
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<std::map<std::string, std::string>> ParseForm(std::string_view body) {
  if (body.size() > kMaxFormBytes) {
    return Fail(BadForm(fmt::format("The request body is larger than {} bytes.", kMaxFormBytes)));
  }
  std::map<std::string, std::string> fields;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view pair = body.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;  // "a=1&&b=2" and a trailing '&' are harmless
    std::size_t eq = pair.find('=');
    auto name = FormDecode(pair.substr(0, eq));
    if (!name) return Fail(name.error());
    auto value = FormDecode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!value) return Fail(value.error());
    if (name->empty()) return Fail(BadForm("The request body has a field without a name."));
    if (fields.size() == kMaxFormFields) {
      return Fail(BadForm(fmt::format("The request body has more than {} fields.", kMaxFormFields)));
    }
    if (!fields.emplace(std::move(*name), std::move(*value)).second) {
      return Fail(BadForm(fmt::format("The request body repeats the field '{}'.", pair.substr(0, eq))));
    }
  }
  return fields;
}

}  // namespace isthmus::mgmt::auth
