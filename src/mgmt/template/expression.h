// ARM template expressions: the `[...]` language inside template JSON strings, parsed to an AST and
// evaluated against an EvalContext the deployment engine implements. Pure: no I/O, no clock, no store;
// whatever needs the deployment (parameters, variables, copy loops, reference(), list*()) goes through
// the context. Errors are Error::Invalid("InvalidTemplate", ...) naming the JSON path, the expression and
// what is wrong; nothing throws out of here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "mgmt/model/state.h"  // Json

namespace isthmus::mgmt::tmpl {

// Implementation limits. ARM documents 24,576 characters per expression; the depth limit is ours (ARM
// sets none in its documentation) and bounds the parser's and the evaluator's recursion.
inline constexpr std::size_t kMaxExpressionLength = 24'576;
inline constexpr int kMaxExpressionDepth = 64;
// Our caps on what one expression may build (format/replace/padLeft can grow text geometrically when
// nested): no single string beyond 1 MiB, no more than 32 MiB of values built per expression. ARM caps a
// whole template at 4 MB, so real templates stay far below both.
inline constexpr std::size_t kMaxStringBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxBuiltBytes = std::size_t{32} << 20;

// One node of a parsed expression.
struct Expr {
  enum class Kind {
    kString,    // 'text' ('' inside is one quote): `text` holds the value
    kInt,       // 42, -7: `number`
    kCall,      // name(args...): `text` holds the name as written, `args` the arguments
    kProperty,  // args[0].text: `text` holds the property name
    kIndex,     // args[0][args[1]]
  };
  Kind kind = Kind::kString;
  std::string text;
  std::int64_t number = 0;
  std::vector<Expr> args;
  std::size_t offset = 0;  // where the node starts in the template string (the '[' is offset 0)
};

// Parses a whole template string that is an expression ("[concat('a', 'b')]"). The error message says
// what is wrong and at which offset, without the JSON path (Evaluate adds it).
Result<Expr> ParseExpression(std::string_view text);

// True if a template string is an expression: starts with '[' and ends with ']' but not "[[".
bool IsExpression(std::string_view text);

// What the evaluator needs from the deployment. The caller evaluates variables lazily (and detects
// cycles), knows the copy loops in scope and the resources of the deployment.
class EvalContext {
 public:
  virtual ~EvalContext() = default;

  virtual Result<Json> Parameter(std::string_view name) = 0;
  virtual Result<Json> Variable(std::string_view name) = 0;
  // copyIndex([loop], [offset]): `loop` empty means the innermost loop in scope.
  virtual Result<Json> CopyIndex(std::string_view loop, std::int64_t offset) = 0;
  // reference(resourceIdOrName, [apiVersion], ['Full']): the resource's properties, or its whole
  // document when `full`.
  virtual Result<Json> Reference(std::string_view id_or_name, std::string_view api_version, bool full) = 0;
  // listKeys(), listSecrets(), ...: `function` as written in the template; `body` null when not given.
  virtual Result<Json> List(std::string_view function, std::string_view resource_id,
                            std::string_view api_version, const Json& body) = 0;

  virtual std::string SubscriptionId() const = 0;
  virtual std::string TenantId() const = 0;
  virtual std::string ResourceGroupName() const = 0;
  virtual std::string ResourceGroupLocation() const = 0;
  virtual std::string DeploymentName() const = 0;
  // Optional parts of resourceGroup(), subscription() and deployment().
  virtual Json ResourceGroupTags() const { return Json::object(); }
  virtual std::string SubscriptionDisplayName() const { return {}; }
  virtual std::string DeploymentMode() const { return "Incremental"; }
  virtual std::string TemplateContentVersion() const { return "1.0.0.0"; }

  // Every reference() argument, appended as evaluated (in order, duplicates kept): the caller turns
  // them into implicit dependencies.
  std::vector<std::string> references;
};

// Evaluates one template value: an expression string is parsed and evaluated; "[[..." loses its first
// '['; any other value is returned unchanged. `json_path` (e.g. "resources[3].name") goes into errors.
Result<Json> Evaluate(const Json& value, EvalContext& ctx, std::string_view json_path = {});

// Walks objects and arrays, evaluating every string and every property name (as ARM does).
Result<Json> EvaluateDeep(const Json& value, EvalContext& ctx, std::string_view json_path = {});

}  // namespace isthmus::mgmt::tmpl
