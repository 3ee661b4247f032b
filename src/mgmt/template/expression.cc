#include "mgmt/template/expression.h"

#include <cctype>
#include <limits>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

#include "mgmt/template/functions.h"

namespace isthmus::mgmt::tmpl {
namespace {

Error Invalid(std::string message) {
  return Error::Invalid("InvalidTemplate", std::move(message));
}

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// Recursive descent over the text between the outer brackets:
//   expr    := primary postfix*
//   primary := string | integer | name '(' [expr (',' expr)*] ')'
//   postfix := '.' name | '[' expr ']'
class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<Expr> Run() {
    if (s_.size() > kMaxExpressionLength) {
      return Fail(Invalid(fmt::format("the expression is {} characters long; the limit is {}", s_.size(),
                                      kMaxExpressionLength)));
    }
    if (!IsExpression(s_)) return Fail(Invalid("an expression must start with '[' and end with ']'"));
    end_ = s_.size() - 1;  // the closing ']'
    pos_ = 1;
    SkipSpace();
    if (pos_ == end_) return Fail(Invalid("the expression is empty"));
    auto e = ParseExpr(0);
    if (!e) return e;
    SkipSpace();
    if (pos_ != end_) return Fail(Unexpected("the end of the expression"));
    return e;
  }

 private:
  void SkipSpace() {
    while (pos_ < end_ && std::isspace(static_cast<unsigned char>(s_[pos_])) != 0) ++pos_;
  }
  Error Unexpected(std::string_view wanted) const {
    if (pos_ >= end_) return Invalid(fmt::format("expected {} at offset {}, found the end", wanted, pos_));
    return Invalid(fmt::format("expected {} at offset {}, found '{}'", wanted, pos_, s_[pos_]));
  }

  Result<Expr> ParseExpr(int depth) {
    if (depth >= kMaxExpressionDepth) {
      return Fail(Invalid(fmt::format("the expression nests deeper than {} levels (at offset {})",
                                      kMaxExpressionDepth, pos_)));
    }
    auto e = ParsePrimary(depth);
    if (!e) return e;
    for (;;) {
      SkipSpace();
      if (pos_ < end_ && s_[pos_] == '.') {
        Expr p{Expr::Kind::kProperty, {}, 0, {}, pos_};
        ++pos_;
        SkipSpace();
        if (pos_ >= end_ || !IsIdentStart(s_[pos_])) return Fail(Unexpected("a property name after '.'"));
        std::size_t start = pos_;
        while (pos_ < end_ && IsIdentChar(s_[pos_])) ++pos_;
        p.text = std::string(s_.substr(start, pos_ - start));
        p.args.push_back(std::move(*e));
        *e = std::move(p);
      } else if (pos_ < end_ && s_[pos_] == '[') {
        Expr ix{Expr::Kind::kIndex, {}, 0, {}, pos_};
        ++pos_;
        SkipSpace();
        auto index = ParseExpr(depth + 1);
        if (!index) return index;
        SkipSpace();
        if (pos_ >= end_ || s_[pos_] != ']') return Fail(Unexpected("']' closing the index"));
        ++pos_;
        ix.args.push_back(std::move(*e));
        ix.args.push_back(std::move(*index));
        *e = std::move(ix);
      } else {
        return e;
      }
    }
  }

  Result<Expr> ParsePrimary(int depth) {
    SkipSpace();
    if (pos_ >= end_) return Fail(Unexpected("a value"));
    const char c = s_[pos_];
    if (c == '\'') return ParseString();
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c)) != 0) return ParseInt();
    if (IsIdentStart(c)) return ParseCall(depth);
    return Fail(Unexpected("a function call, a 'string' or an integer"));
  }

  Result<Expr> ParseString() {
    Expr e{Expr::Kind::kString, {}, 0, {}, pos_};
    const std::size_t start = pos_++;
    for (;;) {
      if (pos_ >= end_) return Fail(Invalid(fmt::format("unterminated string starting at offset {}", start)));
      if (s_[pos_] == '\'') {
        if (pos_ + 1 < end_ && s_[pos_ + 1] == '\'') {
          e.text.push_back('\'');
          pos_ += 2;
          continue;
        }
        ++pos_;
        return e;
      }
      e.text.push_back(s_[pos_++]);
    }
  }

  Result<Expr> ParseInt() {
    Expr e{Expr::Kind::kInt, {}, 0, {}, pos_};
    const bool negative = s_[pos_] == '-';
    if (negative) ++pos_;
    if (pos_ >= end_ || std::isdigit(static_cast<unsigned char>(s_[pos_])) == 0) {
      return Fail(Unexpected("a digit"));
    }
    // Accumulate as a negative number so that INT64_MIN is representable.
    std::int64_t v = 0;
    while (pos_ < end_ && std::isdigit(static_cast<unsigned char>(s_[pos_])) != 0) {
      const int d = s_[pos_] - '0';
      if (v < (std::numeric_limits<std::int64_t>::min() + d) / 10) {
        return Fail(Invalid(fmt::format("the integer at offset {} is out of range", e.offset)));
      }
      v = v * 10 - d;
      ++pos_;
    }
    if (!negative) {
      if (v == std::numeric_limits<std::int64_t>::min()) {
        return Fail(Invalid(fmt::format("the integer at offset {} is out of range", e.offset)));
      }
      v = -v;
    }
    if (pos_ < end_ &&
        (s_[pos_] == '.' && pos_ + 1 < end_ && std::isdigit(static_cast<unsigned char>(s_[pos_ + 1])) != 0)) {
      return Fail(Invalid(fmt::format("floating-point numbers are not supported (offset {})", e.offset)));
    }
    if (pos_ < end_ && IsIdentChar(s_[pos_])) return Fail(Unexpected("a delimiter after the integer"));
    e.number = v;
    return e;
  }

  Result<Expr> ParseCall(int depth) {
    Expr e{Expr::Kind::kCall, {}, 0, {}, pos_};
    const std::size_t start = pos_;
    while (pos_ < end_ && IsIdentChar(s_[pos_])) ++pos_;
    e.text = std::string(s_.substr(start, pos_ - start));
    SkipSpace();
    if (pos_ >= end_ || s_[pos_] != '(') {
      if (pos_ < end_ && s_[pos_] == '.') {
        return Fail(
            Invalid(fmt::format("'{}' at offset {} is not a function call; user-defined functions "
                                "(namespace.name) are not supported",
                                e.text, start)));
      }
      return Fail(Invalid(
          fmt::format("'{}' at offset {} must be called as a function: {}()", e.text, start, e.text)));
    }
    ++pos_;
    SkipSpace();
    if (pos_ < end_ && s_[pos_] == ')') {
      ++pos_;
      return e;
    }
    for (;;) {
      auto arg = ParseExpr(depth + 1);
      if (!arg) return arg;
      e.args.push_back(std::move(*arg));
      SkipSpace();
      if (pos_ < end_ && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < end_ && s_[pos_] == ')') {
        ++pos_;
        return e;
      }
      return Fail(Unexpected(fmt::format("',' or ')' in the arguments of '{}'", e.text)));
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
};

// The bytes a value holds (strings and containers), walked without recursion.
std::size_t ApproxSize(const Json& v) {
  std::size_t total = 0;
  std::vector<const Json*> todo{&v};
  while (!todo.empty()) {
    const Json* j = todo.back();
    todo.pop_back();
    total += 64;  // roughly what a node costs in memory besides its text
    if (j->is_string()) {
      total += j->get_ref<const std::string&>().size();
    } else if (j->is_array()) {
      for (const auto& x : *j) todo.push_back(&x);
    } else if (j->is_object()) {
      for (const auto& [k, x] : j->items()) {
        total += k.size();
        todo.push_back(&x);
      }
    }
  }
  return total;
}

std::string Available(const Json& obj) {
  std::string out;
  for (const auto& [k, v] : obj.items()) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

class Evaluator {
 public:
  explicit Evaluator(EvalContext& ctx) : ctx_(ctx) {}

  Result<Json> Eval(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kString:
        return Json(e.text);
      case Expr::Kind::kInt:
        return Json(e.number);
      case Expr::Kind::kCall:
        return Call(e);
      case Expr::Kind::kProperty: {
        auto target = Eval(e.args[0]);
        if (!target) return target;
        return Property(*target, e.text);
      }
      case Expr::Kind::kIndex: {
        auto target = Eval(e.args[0]);
        if (!target) return target;
        auto index = Eval(e.args[1]);
        if (!index) return index;
        return Index(*target, *index);
      }
    }
    return Fail(Invalid("unknown expression node"));
  }

 private:
  Result<Json> Call(const Expr& e) {
    if (IEquals(e.text, "if")) return If(e);
    Function f = FindFunction(e.text);
    if (f == nullptr) return Fail(Invalid(fmt::format("the template function '{}' is not known", e.text)));
    std::vector<Json> values;
    values.reserve(e.args.size());
    for (const auto& a : e.args) {
      auto v = Eval(a);
      if (!v) return v;
      values.push_back(std::move(*v));
    }
    Args args(e.text, values, ctx_);
    auto out = f(args);
    if (!out) return out;
    return Charge(std::move(*out));
  }

  // if(condition, trueValue, falseValue): only the chosen branch is evaluated, so the other may refer to
  // what does not exist (the reason templates use if()).
  Result<Json> If(const Expr& e) {
    if (e.args.size() != 3) {
      return Fail(
          Invalid(fmt::format("the template function 'if' expects 3 arguments, got {}", e.args.size())));
    }
    auto cond = Eval(e.args[0]);
    if (!cond) return cond;
    if (!cond->is_boolean()) {
      return Fail(Invalid(fmt::format("the template function 'if' expects argument 1 to be a Boolean, got {}",
                                      TypeName(*cond))));
    }
    return Eval(e.args[cond->get<bool>() ? 1 : 2]);
  }

  Result<Json> Charge(Json v) {
    if (v.is_string() && v.get_ref<const std::string&>().size() > kMaxStringBytes) {
      return Fail(Invalid(fmt::format("a string built by the expression exceeds {} bytes", kMaxStringBytes)));
    }
    built_ += ApproxSize(v);
    if (built_ > kMaxBuiltBytes) {
      return Fail(Invalid(fmt::format("the expression builds more than {} bytes of values", kMaxBuiltBytes)));
    }
    return v;
  }

  // ARM resolves property names case-insensitively; an exact match wins.
  static Result<Json> Property(const Json& target, const std::string& name) {
    if (!target.is_object()) {
      return Fail(Invalid(
          fmt::format("the property '{}' cannot be read from a value of type {}", name, TypeName(target))));
    }
    if (auto it = target.find(name); it != target.end()) return *it;
    for (const auto& [k, v] : target.items()) {
      if (IEquals(k, name)) return v;
    }
    return Fail(Invalid(fmt::format("the property '{}' doesn't exist; available properties are '{}'", name,
                                    Available(target))));
  }

  static Result<Json> Index(const Json& target, const Json& index) {
    if (target.is_array()) {
      if (!index.is_number_integer()) {
        return Fail(Invalid(fmt::format("an array index must be an Integer, got {}", TypeName(index))));
      }
      const auto i = index.get<std::int64_t>();
      if (index.is_number_unsigned() || i < 0 || static_cast<std::uint64_t>(i) >= target.size()) {
        return Fail(Invalid(fmt::format("the index {} is out of range for an array of length {}",
                                        index.dump(), target.size())));
      }
      return target[static_cast<std::size_t>(i)];
    }
    if (target.is_object()) {
      if (!index.is_string()) {
        return Fail(Invalid(fmt::format("an object index must be a String, got {}", TypeName(index))));
      }
      return Property(target, index.get<std::string>());
    }
    return Fail(Invalid(fmt::format("a value of type {} cannot be indexed", TypeName(target))));
  }

  EvalContext& ctx_;
  std::size_t built_ = 0;
};

std::string Shorten(std::string_view expr) {
  constexpr std::size_t kShown = 200;
  if (expr.size() <= kShown) return std::string(expr);
  return fmt::format("{}...", expr.substr(0, kShown));
}

Error Locate(Error e, std::string_view json_path, std::string_view expr) {
  const std::string where =
      json_path.empty() ? std::string("the template root") : fmt::format("'{}'", json_path);
  e.message =
      fmt::format("The template expression '{}' at {} is not valid: {}", Shorten(expr), where, e.message);
  if (e.target.empty()) e.target = std::string(json_path);
  return e;
}

// Property names in paths: plain identifiers as .name, anything else quoted as ['name'].
std::string Member(std::string_view path, std::string_view key) {
  bool plain = !key.empty() && IsIdentStart(key[0]);
  for (char c : key) plain = plain && (IsIdentChar(c) || c == '$');
  if (plain) return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
  return fmt::format("{}['{}']", path, key);
}

constexpr int kMaxTemplateDepth = 128;  // ours: bounds EvaluateDeep's recursion on hostile templates

Result<Json> Deep(const Json& value, EvalContext& ctx, const std::string& path, int depth) {
  if (depth > kMaxTemplateDepth) {
    return Fail(Error::Invalid(
        "InvalidTemplate",
        fmt::format("The template value at '{}' nests deeper than {} levels", path, kMaxTemplateDepth),
        path));
  }
  if (value.is_string()) return Evaluate(value, ctx, path);
  if (value.is_array()) {
    Json out = Json::array();
    for (std::size_t i = 0; i < value.size(); ++i) {
      auto v = Deep(value[i], ctx, fmt::format("{}[{}]", path, i), depth + 1);
      if (!v) return v;
      out.push_back(std::move(*v));
    }
    return out;
  }
  if (value.is_object()) {
    // Names are tracked apart because ordered_json finds keys linearly (quadratic on a big object).
    Json out = Json::object();
    auto& members = *out.get_ptr<Json::object_t*>();
    std::unordered_set<std::string> seen;
    for (const auto& [k, v] : value.items()) {
      const std::string member = Member(path, k);
      auto key = Evaluate(Json(k), ctx, member);
      if (!key) return Fail(key.error());
      if (!key->is_string()) {
        return Fail(
            Error::Invalid("InvalidTemplate",
                           fmt::format("The property name '{}' at '{}' must evaluate to a String, got {}", k,
                                       member, TypeName(*key)),
                           member));
      }
      const auto& name = key->get_ref<const std::string&>();
      if (!seen.insert(name).second) {
        return Fail(Error::Invalid("InvalidTemplate",
                                   fmt::format("The property name '{}' at '{}' is a duplicate", name, member),
                                   member));
      }
      auto evaluated = Deep(v, ctx, member, depth + 1);
      if (!evaluated) return evaluated;
      members.emplace_back(name, std::move(*evaluated));
    }
    return out;
  }
  return value;
}

}  // namespace

bool IsExpression(std::string_view text) {
  return text.size() >= 2 && text.front() == '[' && text.back() == ']' && text[1] != '[';
}

Result<Expr> ParseExpression(std::string_view text) {
  return Parser(text).Run();
}

Result<Json> Evaluate(const Json& value, EvalContext& ctx, std::string_view json_path) {
  if (!value.is_string()) return value;
  const auto& s = value.get_ref<const std::string&>();
  if (s.size() >= 2 && s[0] == '[' && s[1] == '[') return Json(s.substr(1));
  if (!IsExpression(s)) return value;
  auto ast = ParseExpression(s);
  if (!ast) return Fail(Locate(ast.error(), json_path, s));
  Evaluator ev(ctx);
  auto out = ev.Eval(*ast);
  if (!out) return Fail(Locate(out.error(), json_path, s));
  return out;
}

Result<Json> EvaluateDeep(const Json& value, EvalContext& ctx, std::string_view json_path) {
  return Deep(value, ctx, std::string(json_path), 0);
}

}  // namespace isthmus::mgmt::tmpl
