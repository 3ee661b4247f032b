// JMESPath (https://jmespath.org/specification.html) for `--query`: the whole language — identifiers,
// "quoted identifiers", a.b.c, [n] (negative too), [a:b:c] slices, [*] and .* projections, [] flatten,
// [a, b] and {x: a, y: b} multiselects, [?expr] filters with == != < <= > >= && || !, 'raw strings' and
// `json literals`, @, pipes, &expression references, and every built-in function of the
// specification (jmespath_functions.h). Semantics follow the specification's reference implementation,
// jmespath.py, which az uses (projections drop nulls, a projection's right side binds until a pipe,
// comparisons of non-numbers by < yield null, ...); tests/unit/cli/jmespath_compliance is its suite.
#pragma once

#include <memory>
#include <string_view>

#include "base/result.h"
#include "cli/json.h"

namespace isthmus::cli::jmespath {

// Error::code of what Parse and Evaluate refuse, named after jmespath.py's exceptions; the
// compliance suite's error kinds are, in order: syntax, unknown-function, invalid-arity,
// invalid-type, invalid-value.
inline constexpr char kSyntaxErrorCode[] = "ParseError";
inline constexpr char kUnknownFunctionCode[] = "UnknownFunctionError";
inline constexpr char kArityErrorCode[] = "ArityError";
inline constexpr char kTypeErrorCode[] = "JMESPathTypeError";
inline constexpr char kValueErrorCode[] = "ValueError";  // a slice step of 0
// What a failed evaluation becomes for the CLI: az's InvalidArgumentValueError (exit code 1).
inline constexpr char kQueryErrorCode[] = "InvalidArgumentValueError";

struct Node;

class Expression {
 public:
  // Syntax, unknown functions, argument counts and slice steps are checked here; the message names
  // the position of a syntax problem.
  static Result<Expression> Parse(std::string_view text);
  // Fails only for function argument type errors (e.g. length(`5`)), which depend on the data.
  Result<Json> Evaluate(const Json& data) const;

 private:
  explicit Expression(std::shared_ptr<const Node> root) : root_(std::move(root)) {}
  std::shared_ptr<const Node> root_;
};

// az's wording for a --query that does not parse (argparse's, exit code 2: a usage error) ...
Error QueryParseError(std::string_view expression, const Error& e);
// ... and for one that fails on the data (handle_exception's, exit code 1, code kQueryErrorCode).
Error QueryEvaluationError(const Error& e);

// Parse + evaluate in one step, with the errors above.
Result<Json> Search(std::string_view expression, const Json& data);

}  // namespace isthmus::cli::jmespath
