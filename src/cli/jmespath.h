// The subset of JMESPath (https://jmespath.org/specification.html) that `--query` supports:
//   identifiers, "quoted identifiers", a.b.c, [n] (negative too), [a:b:c] slices, [*] and .* projections,
//   [] flatten, [a, b] and {x: a, y: b} multiselects, [?expr] filters with == != < <= > >= && || !,
//   'raw strings' and `json literals`, @, pipes, and the functions length, contains, starts_with,
//   ends_with, keys, values, sort, join, to_string, max, min.
// Semantics follow the specification's reference implementation (projections drop nulls, a
// projection's right side binds until a pipe, comparisons of non-numbers by < yield null, ...).
#pragma once

#include <memory>
#include <string_view>

#include "base/result.h"
#include "cli/json.h"

namespace isthmus::cli::jmespath {

struct Node;

class Expression {
 public:
  // Fails with a message naming the position of the problem.
  static Result<Expression> Parse(std::string_view text);
  // Fails only for function argument type errors (e.g. length(`5`)).
  Result<Json> Evaluate(const Json& data) const;

 private:
  explicit Expression(std::shared_ptr<const Node> root) : root_(std::move(root)) {}
  std::shared_ptr<const Node> root_;
};

// Parse + evaluate in one step; both kinds of failure come back as usage errors mentioning --query.
Result<Json> Search(std::string_view expression, const Json& data);

}  // namespace isthmus::cli::jmespath
