// The built-in functions of the JMESPath specification (https://jmespath.org/specification.html,
// "Built-in Functions"): their signatures, type checks and results. Internal to src/cli.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cli/jmespath_ast.h"
#include "cli/json.h"

namespace isthmus::cli::jmespath {

// A call is checked when it is parsed, so a misspelt function or a wrong argument count is refused
// before a command runs: unknown-function and invalid-arity errors.
Status CheckCall(const std::string& name, std::size_t argc);

// One argument as a function receives it: a value, or for `&expr` the expression itself.
struct Argument {
  Json value;
  const Node* expref = nullptr;
};

using Evaluator = std::function<Result<Json>(const Node&, const Json&)>;

// Calls a function that CheckCall accepted; type errors (invalid-type) are found here, on the
// values, as the specification's reference implementation finds them.
Result<Json> CallFunction(const std::string& name, const std::vector<Argument>& args, const Evaluator& eval);

// jmespath's name for a value's type: number, string, boolean, array, object, null.
std::string TypeName(const Json& v);

// Value equality as the specification defines it (numbers by value, objects regardless of order).
bool DeepEqual(const Json& a, const Json& b);

}  // namespace isthmus::cli::jmespath
