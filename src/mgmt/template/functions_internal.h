// Shared by functions*.cc only (not part of the template library's interface): each family of functions
// keeps its implementations private and hands functions.cc its table of names; the few helpers more
// than one family needs are declared here once.
//   functions.cc              the lookup (FindFunction), Args' checks, TypeName, DeepEquals, these helpers
//   functions_text.cc         strings: concat, format, split, replace, indexOf, padLeft, uniqueString,
//   guid... functions_encoding.cc     base64*, uri, uriComponent, uriComponentToString
//   functions_collections.cc  arrays, objects, logic, comparison, numbers and conversions (json, int...)
//   functions_scope.cc        what comes from the deployment: parameters, variables, copyIndex,
//                             reference, list*, resourceId and its kin, resourceGroup, subscription...
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "mgmt/template/functions.h"

namespace isthmus::mgmt::tmpl::detail {

struct FunctionEntry {
  std::string_view name;  // as ARM spells it; looked up case-insensitively
  Function fn;
};

// The tables; a name is in at most one of them (FindFunction takes the first match).
std::span<const FunctionEntry> TextFunctions();
std::span<const FunctionEntry> EncodingFunctions();
std::span<const FunctionEntry> CollectionFunctions();
std::span<const FunctionEntry> ScopeFunctions();

// listKeys(), listSecrets(), ...: every name starting with "list" that no table holds.
Result<Json> ListFn(Args& a);

// json(); base64ToJson() decodes, then parses with the same limits.
Result<Json> JsonFn(Args& a);

Error Invalid(std::string message);  // Error::Invalid("InvalidTemplate", message)

// An Integer that fits in int64 (nlohmann keeps large positive literals as unsigned).
bool IsInt(const Json& v);

// `s`, or an error when it is over kMaxStringBytes.
Result<Json> CheckedString(std::string s);

// Substring search in linear time (Knuth-Morris-Pratt): std::string::find is quadratic in the worst case,
// and the strings here can be a megabyte built by a hostile template. `icase` folds ASCII only.
class Finder {
 public:
  Finder(std::string_view needle, bool icase);

  // The first match at or after `from`; npos when none.
  std::size_t Find(std::string_view hay, std::size_t from = 0) const;

  // The last match (matches may overlap); an empty needle matches at the end, as in .NET.
  std::size_t FindLast(std::string_view hay) const;

 private:
  std::string_view n_;
  bool icase_;
  std::vector<std::size_t> fail_;
};

}  // namespace isthmus::mgmt::tmpl::detail
