// application/x-www-form-urlencoded bodies (the token endpoint's requests, RFC 6749 §4.4.2 and
// Appendix B): name=value pairs joined by '&', '+' for space, %XX escapes.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/result.h"

namespace isthmus::mgmt::auth {

// Decodes a form body. Refuses a bad %-escape, an empty or repeated name (RFC 6749 §3.2: parameters
// MUST NOT be included more than once), more than kMaxFields fields, and a body over kMaxBytes, with
// an error whose message says which.
constexpr std::size_t kMaxFormBytes = 16 * 1024;
constexpr std::size_t kMaxFormFields = 32;
Result<std::map<std::string, std::string>> ParseForm(std::string_view body);

// Percent-decoding of one component ('+' is a space): nullopt on a bad escape.
Result<std::string> FormDecode(std::string_view text);

}  // namespace isthmus::mgmt::auth
