// The parsed form of a JMESPath expression, shared by the parser/evaluator (jmespath.cc) and the
// built-in functions (jmespath_functions.cc). Internal to src/cli.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/json.h"

namespace isthmus::cli::jmespath {

enum class Kind {
  kIdentity,
  kField,
  kIndex,
  kSlice,
  kSubexpr,
  kProjection,
  kValueProjection,
  kFlatten,
  kFilterProjection,
  kLiteral,
  kMultiList,
  kMultiHash,
  kCompare,
  kAnd,
  kOr,
  kNot,
  kPipe,
  kFunction,
  kExpref,  // `&expr`: an expression handed unevaluated to a function (sort_by, map, ...)
};
enum class Cmp { kEq, kNe, kLt, kLe, kGt, kGe };

// clang-tidy 14 flags the implicit members of this struct holding a Json (bugprone-exception-escape);
// nothing here throws from a destructor or a move.
struct Node {  // NOLINT(bugprone-exception-escape)
  Kind kind = Kind::kIdentity;
  std::string name;  // field name, function name
  long index = 0;
  std::array<std::optional<long>, 3> slice{};
  Json literal;
  Cmp cmp = Cmp::kEq;
  std::vector<std::string> keys;  // multiselect hash keys, parallel to children
  std::vector<std::shared_ptr<const Node>> children;
};
using NodePtr = std::shared_ptr<const Node>;

}  // namespace isthmus::cli::jmespath
