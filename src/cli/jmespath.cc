// A Pratt parser with the binding powers of the specification's reference implementation, so that
// precedence questions (`a[*].b | [0]`, `[?x].y`, `a || b.c`) are answered the same way.
#include "cli/jmespath.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/errors.h"
#include "cli/jmespath_ast.h"
#include "cli/jmespath_functions.h"

namespace isthmus::cli::jmespath {

namespace {

// ---------------------------------------------------------------- lexer

enum class Tok {
  kEof,
  kIdent,
  kQuotedIdent,
  kNumber,
  kLiteral,
  kDot,
  kStar,
  kLBracket,
  kRBracket,
  kFilter,
  kFlatten,
  kLBrace,
  kRBrace,
  kLParen,
  kRParen,
  kComma,
  kColon,
  kPipe,
  kOr,
  kAnd,
  kNot,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kCurrent,
  kExpref,
};

struct Token {
  Tok type = Tok::kEof;
  std::string text;
  Json value;
  long number = 0;
  std::size_t pos = 0;
};

Error SyntaxError(std::size_t pos, std::string_view what) {
  return Error::Invalid(kSyntaxErrorCode, fmt::format("invalid query at column {}: {}", pos + 1, what));
}

Result<std::vector<Token>> Lex(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  auto push = [&](Tok t, std::size_t pos, std::size_t len) {
    out.push_back(Token{t, std::string(s.substr(pos, len)), {}, 0, pos});
    i = pos + len;
  };
  // Reads up to the unescaped `quote`; returns the raw text between the quotes.
  auto delimited = [&](char quote) -> Result<std::string> {
    std::size_t start = i;
    std::string raw;
    ++i;
    while (i < s.size() && s[i] != quote) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        raw.push_back(s[i]);
        ++i;
      }
      raw.push_back(s[i]);
      ++i;
    }
    if (i >= s.size()) return Fail(SyntaxError(start, fmt::format("unterminated {}", quote)));
    ++i;
    return raw;
  };
  while (i < s.size()) {
    char c = s[i];
    std::size_t pos = i;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      push(Tok::kIdent, i, j - i);
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '-' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      std::size_t j = i + 1;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      Token t{Tok::kNumber, std::string(s.substr(i, j - i)), {}, 0, i};
      try {
        t.number = std::stol(t.text);
      } catch (const std::exception&) {
        return Fail(SyntaxError(i, "number out of range"));
      }
      out.push_back(std::move(t));
      i = j;
    } else if (c == '"') {
      auto raw = delimited('"');
      if (!raw) return Fail(raw.error());
      auto v = Json::parse("\"" + *raw + "\"", nullptr, false);
      if (v.is_discarded()) return Fail(SyntaxError(pos, "bad escape in quoted identifier"));
      out.push_back(Token{Tok::kQuotedIdent, v.get<std::string>(), {}, 0, pos});
    } else if (c == '\'') {
      auto raw = delimited('\'');
      if (!raw) return Fail(raw.error());
      std::string str;  // raw strings only unescape \'
      for (std::size_t k = 0; k < raw->size(); ++k) {
        if ((*raw)[k] == '\\' && k + 1 < raw->size() && (*raw)[k + 1] == '\'') ++k;
        str.push_back((*raw)[k]);
      }
      out.push_back(Token{Tok::kLiteral, str, Json(str), 0, pos});
    } else if (c == '`') {
      auto raw = delimited('`');
      if (!raw) return Fail(raw.error());
      std::string text;
      for (std::size_t k = 0; k < raw->size(); ++k) {
        if ((*raw)[k] == '\\' && k + 1 < raw->size() && (*raw)[k + 1] == '`') ++k;
        text.push_back((*raw)[k]);
      }
      auto v = Json::parse(text, nullptr, false);
      if (v.is_discarded()) return Fail(SyntaxError(pos, fmt::format("bad JSON literal `{}`", text)));
      out.push_back(Token{Tok::kLiteral, text, std::move(v), 0, pos});
    } else if (c == '[') {
      if (i + 1 < s.size() && s[i + 1] == '?') {
        push(Tok::kFilter, i, 2);
      } else if (i + 1 < s.size() && s[i + 1] == ']') {
        push(Tok::kFlatten, i, 2);
      } else {
        push(Tok::kLBracket, i, 1);
      }
    } else if (c == '|') {
      push(i + 1 < s.size() && s[i + 1] == '|' ? Tok::kOr : Tok::kPipe, i,
           i + 1 < s.size() && s[i + 1] == '|' ? 2 : 1);
    } else if (c == '&') {
      bool both = i + 1 < s.size() && s[i + 1] == '&';
      push(both ? Tok::kAnd : Tok::kExpref, i, both ? 2 : 1);
    } else if (c == '!') {
      bool ne = i + 1 < s.size() && s[i + 1] == '=';
      push(ne ? Tok::kNe : Tok::kNot, i, ne ? 2 : 1);
    } else if (c == '=') {
      if (i + 1 < s.size() && s[i + 1] == '=') {
        push(Tok::kEq, i, 2);
      } else {
        return Fail(SyntaxError(i, "'=' is not an operator; use '=='"));
      }
    } else if (c == '<' || c == '>') {
      bool eq = i + 1 < s.size() && s[i + 1] == '=';
      Tok t = c == '<' ? (eq ? Tok::kLe : Tok::kLt) : (eq ? Tok::kGe : Tok::kGt);
      push(t, i, eq ? 2 : 1);
    } else {
      Tok t;
      switch (c) {
        case '.':
          t = Tok::kDot;
          break;
        case '*':
          t = Tok::kStar;
          break;
        case ']':
          t = Tok::kRBracket;
          break;
        case '{':
          t = Tok::kLBrace;
          break;
        case '}':
          t = Tok::kRBrace;
          break;
        case '(':
          t = Tok::kLParen;
          break;
        case ')':
          t = Tok::kRParen;
          break;
        case ',':
          t = Tok::kComma;
          break;
        case ':':
          t = Tok::kColon;
          break;
        case '@':
          t = Tok::kCurrent;
          break;
        default:
          return Fail(SyntaxError(i, fmt::format("unexpected character '{}'", c)));
      }
      push(t, i, 1);
    }
  }
  out.push_back(Token{Tok::kEof, "", {}, 0, s.size()});
  return out;
}

int BindingPower(Tok t) {
  switch (t) {
    case Tok::kPipe:
      return 1;
    case Tok::kOr:
      return 2;
    case Tok::kAnd:
      return 3;
    case Tok::kEq:
    case Tok::kNe:
    case Tok::kLt:
    case Tok::kLe:
    case Tok::kGt:
    case Tok::kGe:
      return 5;
    case Tok::kFlatten:
      return 9;
    case Tok::kStar:
      return 20;
    case Tok::kFilter:
      return 21;
    case Tok::kDot:
      return 40;
    case Tok::kNot:
      return 45;
    case Tok::kLBrace:
      return 50;
    case Tok::kLBracket:
      return 55;
    case Tok::kLParen:
      return 60;
    default:
      return 0;
  }
}
// A projection's right-hand side stops at tokens binding weaker than this (pipes, ||, &&, comparisons).
constexpr int kProjectionStop = 10;

// ---------------------------------------------------------------- parser

NodePtr Make(Kind k, std::vector<NodePtr> children = {}) {
  auto n = std::make_shared<Node>();
  n->kind = k;
  n->children = std::move(children);
  return n;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> t) : t_(std::move(t)) {}

  Result<NodePtr> ParseAll() {
    auto e = Expr(0);
    if (!e) return e;
    if (Cur().type != Tok::kEof) return Fail(Unexpected());
    return e;
  }

 private:
  const Token& Cur() const { return t_[i_]; }
  const Token& Next() const { return t_[std::min(i_ + 1, t_.size() - 1)]; }
  const Token& Advance() { return t_[i_ < t_.size() - 1 ? i_++ : i_]; }
  Error Unexpected() const {
    return Cur().type == Tok::kEof ? SyntaxError(Cur().pos, "unexpected end of expression")
                                   : SyntaxError(Cur().pos, fmt::format("unexpected token '{}'", Cur().text));
  }
  Status Expect(Tok t) {
    if (Cur().type != t) return Fail(Unexpected());
    Advance();
    return {};
  }

  Result<NodePtr> Expr(int rbp) {
    auto left = Nud();
    if (!left) return left;
    while (rbp < BindingPower(Cur().type)) {
      left = Led(*left);
      if (!left) return left;
    }
    return left;
  }

  Result<NodePtr> Nud() {
    const Token tok = Advance();
    switch (tok.type) {
      case Tok::kLiteral: {
        auto n = std::make_shared<Node>();
        n->kind = Kind::kLiteral;
        n->literal = tok.value;
        return NodePtr(n);
      }
      case Tok::kIdent:
        return Field(tok.text);
      case Tok::kQuotedIdent:
        if (Cur().type == Tok::kLParen)
          return Fail(SyntaxError(tok.pos, "a quoted identifier cannot name a function"));
        return Field(tok.text);
      case Tok::kStar: {
        auto rhs = ProjectionRhs(BindingPower(Tok::kStar));
        if (!rhs) return rhs;
        return Make(Kind::kValueProjection, {Make(Kind::kIdentity), *rhs});
      }
      case Tok::kFilter:
        return FilterLed(Make(Kind::kIdentity));
      case Tok::kLBrace:
        return MultiHash();
      case Tok::kFlatten: {
        auto rhs = ProjectionRhs(BindingPower(Tok::kFlatten));
        if (!rhs) return rhs;
        return Make(Kind::kProjection, {Make(Kind::kFlatten, {Make(Kind::kIdentity)}), *rhs});
      }
      case Tok::kLBracket:
        if (Cur().type == Tok::kNumber || Cur().type == Tok::kColon) {
          auto idx = IndexOrSlice();
          if (!idx) return idx;
          return ProjectIfSlice(Make(Kind::kIdentity), *idx);
        }
        if (Cur().type == Tok::kStar && Next().type == Tok::kRBracket) {
          Advance();
          Advance();
          auto rhs = ProjectionRhs(BindingPower(Tok::kStar));
          if (!rhs) return rhs;
          return Make(Kind::kProjection, {Make(Kind::kIdentity), *rhs});
        }
        return MultiList();
      case Tok::kCurrent:
        return Make(Kind::kIdentity);
      case Tok::kExpref: {
        // The reference implementation's binding power for `&` is 0: it takes the rest of the argument.
        auto e = Expr(0);
        if (!e) return e;
        return Make(Kind::kExpref, {*e});
      }
      case Tok::kNot: {
        auto e = Expr(BindingPower(Tok::kNot));
        if (!e) return e;
        return Make(Kind::kNot, {*e});
      }
      case Tok::kLParen: {
        auto e = Expr(0);
        if (!e) return e;
        if (auto s = Expect(Tok::kRParen); !s) return Fail(s.error());
        return e;
      }
      case Tok::kEof:
        return Fail(SyntaxError(tok.pos, "unexpected end of expression"));
      default:
        return Fail(SyntaxError(tok.pos, fmt::format("unexpected token '{}'", tok.text)));
    }
  }

  Result<NodePtr> Led(const NodePtr& left) {
    const Token tok = Advance();
    switch (tok.type) {
      case Tok::kDot: {
        if (Cur().type == Tok::kStar) {
          Advance();
          auto rhs = ProjectionRhs(BindingPower(Tok::kDot));
          if (!rhs) return rhs;
          return Make(Kind::kValueProjection, {left, *rhs});
        }
        auto rhs = DotRhs(BindingPower(Tok::kDot));
        if (!rhs) return rhs;
        return Make(Kind::kSubexpr, {left, *rhs});
      }
      case Tok::kPipe:
      case Tok::kOr:
      case Tok::kAnd: {
        auto rhs = Expr(BindingPower(tok.type));
        if (!rhs) return rhs;
        Kind k = tok.type == Tok::kPipe ? Kind::kPipe : tok.type == Tok::kOr ? Kind::kOr : Kind::kAnd;
        return Make(k, {left, *rhs});
      }
      case Tok::kEq:
      case Tok::kNe:
      case Tok::kLt:
      case Tok::kLe:
      case Tok::kGt:
      case Tok::kGe: {
        auto rhs = Expr(BindingPower(tok.type));
        if (!rhs) return rhs;
        auto n = std::make_shared<Node>();
        n->kind = Kind::kCompare;
        n->cmp = tok.type == Tok::kEq   ? Cmp::kEq
                 : tok.type == Tok::kNe ? Cmp::kNe
                 : tok.type == Tok::kLt ? Cmp::kLt
                 : tok.type == Tok::kLe ? Cmp::kLe
                 : tok.type == Tok::kGt ? Cmp::kGt
                                        : Cmp::kGe;
        n->children = {left, *rhs};
        return NodePtr(n);
      }
      case Tok::kFlatten: {
        auto rhs = ProjectionRhs(BindingPower(Tok::kFlatten));
        if (!rhs) return rhs;
        return Make(Kind::kProjection, {Make(Kind::kFlatten, {left}), *rhs});
      }
      case Tok::kFilter:
        return FilterLed(left);
      case Tok::kLBracket: {
        if (Cur().type == Tok::kNumber || Cur().type == Tok::kColon) {
          auto idx = IndexOrSlice();
          if (!idx) return idx;
          return ProjectIfSlice(left, *idx);
        }
        if (auto s = Expect(Tok::kStar); !s) return Fail(s.error());
        if (auto s = Expect(Tok::kRBracket); !s) return Fail(s.error());
        auto rhs = ProjectionRhs(BindingPower(Tok::kStar));
        if (!rhs) return rhs;
        return Make(Kind::kProjection, {left, *rhs});
      }
      case Tok::kLParen:
        return Function(left, tok.pos);
      default:
        return Fail(SyntaxError(tok.pos, fmt::format("unexpected token '{}'", tok.text)));
    }
  }

  static NodePtr Field(const std::string& name) {
    auto n = std::make_shared<Node>();
    n->kind = Kind::kField;
    n->name = name;
    return n;
  }

  Result<NodePtr> FilterLed(NodePtr left) {
    auto cond = Expr(0);
    if (!cond) return cond;
    if (auto s = Expect(Tok::kRBracket); !s) return Fail(s.error());
    NodePtr rhs;
    if (Cur().type == Tok::kFlatten) {
      rhs = Make(Kind::kIdentity);
    } else {
      auto r = ProjectionRhs(BindingPower(Tok::kFilter));
      if (!r) return r;
      rhs = *r;
    }
    return Make(Kind::kFilterProjection, {std::move(left), rhs, *cond});
  }

  Result<NodePtr> ProjectionRhs(int bp) {
    Tok t = Cur().type;
    if (BindingPower(t) < kProjectionStop) return Make(Kind::kIdentity);
    if (t == Tok::kLBracket || t == Tok::kFilter) return Expr(bp);
    if (t == Tok::kDot) {
      Advance();
      return DotRhs(bp);
    }
    return Fail(Unexpected());
  }

  Result<NodePtr> DotRhs(int bp) {
    Tok t = Cur().type;
    if (t == Tok::kIdent || t == Tok::kQuotedIdent || t == Tok::kStar) return Expr(bp);
    if (t == Tok::kLBracket) {
      Advance();
      return MultiList();
    }
    if (t == Tok::kLBrace) {
      Advance();
      return MultiHash();
    }
    return Fail(Unexpected());
  }

  Result<NodePtr> MultiList() {
    auto n = std::make_shared<Node>();
    n->kind = Kind::kMultiList;
    while (true) {
      auto e = Expr(0);
      if (!e) return e;
      n->children.push_back(*e);
      if (Cur().type == Tok::kRBracket) break;
      if (auto s = Expect(Tok::kComma); !s) return Fail(s.error());
    }
    Advance();
    return NodePtr(n);
  }

  Result<NodePtr> MultiHash() {
    auto n = std::make_shared<Node>();
    n->kind = Kind::kMultiHash;
    while (true) {
      if (Cur().type != Tok::kIdent && Cur().type != Tok::kQuotedIdent) {
        return Fail(SyntaxError(Cur().pos, "expected a key name in {key: expression}"));
      }
      n->keys.push_back(Advance().text);
      if (auto s = Expect(Tok::kColon); !s) return Fail(s.error());
      auto e = Expr(0);
      if (!e) return e;
      n->children.push_back(*e);
      if (Cur().type == Tok::kRBrace) {
        Advance();
        break;
      }
      if (auto s = Expect(Tok::kComma); !s) return Fail(s.error());
    }
    return NodePtr(n);
  }

  // After '[' with a number or ':' next: `[n]` or `[a:b:c]`.
  Result<NodePtr> IndexOrSlice() {
    std::array<std::optional<long>, 3> parts{};
    int colons = 0;
    while (Cur().type != Tok::kRBracket) {
      if (Cur().type == Tok::kColon) {
        if (++colons > 2) return Fail(SyntaxError(Cur().pos, "too many colons in slice"));
        Advance();
      } else if (Cur().type == Tok::kNumber) {
        if (parts[colons]) return Fail(Unexpected());
        parts[colons] = Advance().number;
      } else {
        return Fail(Unexpected());
      }
    }
    Advance();
    auto n = std::make_shared<Node>();
    if (colons == 0) {
      n->kind = Kind::kIndex;
      n->index = *parts[0];
    } else {
      if (parts[2] && *parts[2] == 0) {
        return Fail(Error::Invalid(kValueErrorCode, "invalid query: slice step cannot be 0"));
      }
      n->kind = Kind::kSlice;
      n->slice = parts;
    }
    return NodePtr(n);
  }

  Result<NodePtr> ProjectIfSlice(NodePtr left, const NodePtr& index) {
    auto sub = Make(Kind::kSubexpr, {std::move(left), index});
    if (index->kind != Kind::kSlice) return sub;
    auto rhs = ProjectionRhs(BindingPower(Tok::kStar));
    if (!rhs) return rhs;
    return Make(Kind::kProjection, {sub, *rhs});
  }

  Result<NodePtr> Function(const NodePtr& name, std::size_t pos) {
    if (name->kind != Kind::kField) return Fail(SyntaxError(pos, "only a plain name can be called"));
    auto n = std::make_shared<Node>();
    n->kind = Kind::kFunction;
    n->name = name->name;
    while (Cur().type != Tok::kRParen) {
      auto e = Expr(0);
      if (!e) return e;
      n->children.push_back(*e);
      if (Cur().type == Tok::kComma) {
        Advance();
      } else if (Cur().type != Tok::kRParen) {
        return Fail(Unexpected());
      }
    }
    Advance();
    if (auto s = CheckCall(n->name, n->children.size()); !s) return Fail(s.error());
    return NodePtr(n);
  }

  std::vector<Token> t_;
  std::size_t i_ = 0;
};

// ---------------------------------------------------------------- evaluation

bool Truthy(const Json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  if (v.is_array() || v.is_object()) return !v.empty();
  return true;
}

Result<Json> Eval(const Node& n, const Json& v) {
  switch (n.kind) {
    case Kind::kIdentity:
      return v;
    case Kind::kLiteral:
      return n.literal;
    case Kind::kField: {
      if (!v.is_object()) return Json(nullptr);
      auto it = v.find(n.name);
      return it == v.end() ? Json(nullptr) : *it;
    }
    case Kind::kIndex: {
      if (!v.is_array()) return Json(nullptr);
      long size = static_cast<long>(v.size());
      long i = n.index < 0 ? size + n.index : n.index;
      if (i < 0 || i >= size) return Json(nullptr);
      return v[static_cast<std::size_t>(i)];
    }
    case Kind::kSlice: {
      if (!v.is_array()) return Json(nullptr);
      long size = static_cast<long>(v.size());
      long step = n.slice[2].value_or(1);
      auto clamp = [&](std::optional<long> x, long dflt) {
        if (!x) return dflt;
        long k = *x < 0 ? *x + size : *x;
        if (step > 0) return std::clamp(k, 0L, size);
        return std::clamp(k, -1L, size - 1);
      };
      long start = clamp(n.slice[0], step > 0 ? 0 : size - 1);
      long stop = clamp(n.slice[1], step > 0 ? size : -1);
      Json out = Json::array();
      for (long i = start; step > 0 ? i < stop : i > stop; i += step)
        out.push_back(v[static_cast<std::size_t>(i)]);
      return out;
    }
    case Kind::kSubexpr:
    case Kind::kPipe: {
      auto l = Eval(*n.children[0], v);
      if (!l) return l;
      return Eval(*n.children[1], *l);
    }
    case Kind::kFlatten: {
      auto l = Eval(*n.children[0], v);
      if (!l) return l;
      if (!l->is_array()) return Json(nullptr);
      Json out = Json::array();
      for (const auto& e : *l) {
        if (e.is_array()) {
          for (const auto& x : e) out.push_back(x);
        } else {
          out.push_back(e);
        }
      }
      return out;
    }
    case Kind::kProjection:
    case Kind::kValueProjection:
    case Kind::kFilterProjection: {
      auto base = Eval(*n.children[0], v);
      if (!base) return base;
      Json items = Json::array();
      if (n.kind == Kind::kValueProjection) {
        if (!base->is_object()) return Json(nullptr);
        for (auto it = base->begin(); it != base->end(); ++it) items.push_back(it.value());
      } else {
        if (!base->is_array()) return Json(nullptr);
        items = *base;
      }
      Json out = Json::array();
      for (const auto& e : items) {
        if (n.kind == Kind::kFilterProjection) {
          auto c = Eval(*n.children[2], e);
          if (!c) return c;
          if (!Truthy(*c)) continue;
        }
        auto r = Eval(*n.children[1], e);
        if (!r) return r;
        if (!r->is_null()) out.push_back(std::move(*r));
      }
      return out;
    }
    case Kind::kMultiList:
    case Kind::kMultiHash: {
      if (v.is_null()) return Json(nullptr);
      Json out = n.kind == Kind::kMultiList ? Json::array() : Json::object();
      for (std::size_t i = 0; i < n.children.size(); ++i) {
        auto r = Eval(*n.children[i], v);
        if (!r) return r;
        if (n.kind == Kind::kMultiList) {
          out.push_back(std::move(*r));
        } else {
          out[n.keys[i]] = std::move(*r);
        }
      }
      return out;
    }
    case Kind::kCompare: {
      auto l = Eval(*n.children[0], v);
      if (!l) return l;
      auto r = Eval(*n.children[1], v);
      if (!r) return r;
      if (n.cmp == Cmp::kEq) return Json(DeepEqual(*l, *r));
      if (n.cmp == Cmp::kNe) return Json(!DeepEqual(*l, *r));
      if (!l->is_number() || !r->is_number()) return Json(nullptr);
      double x = l->get<double>(), y = r->get<double>();
      switch (n.cmp) {
        case Cmp::kLt:
          return Json(x < y);
        case Cmp::kLe:
          return Json(x <= y);
        case Cmp::kGt:
          return Json(x > y);
        default:
          return Json(x >= y);
      }
    }
    case Kind::kAnd:
    case Kind::kOr: {
      auto l = Eval(*n.children[0], v);
      if (!l) return l;
      bool t = Truthy(*l);
      if ((n.kind == Kind::kAnd && !t) || (n.kind == Kind::kOr && t)) return l;
      return Eval(*n.children[1], v);
    }
    case Kind::kNot: {
      auto e = Eval(*n.children[0], v);
      if (!e) return e;
      return Json(!Truthy(*e));
    }
    case Kind::kFunction: {
      std::vector<Argument> args;
      for (const auto& c : n.children) {
        if (c->kind == Kind::kExpref) {
          args.push_back(Argument{Json(), c->children[0].get()});
          continue;
        }
        auto a = Eval(*c, v);
        if (!a) return a;
        args.push_back(Argument{std::move(*a), nullptr});
      }
      return CallFunction(n.name, args, [](const Node& e, const Json& x) { return Eval(e, x); });
    }
    case Kind::kExpref:
      return Json(nullptr);  // only a function argument has a use for an unevaluated expression
  }
  return Json(nullptr);
}

}  // namespace

Result<Expression> Expression::Parse(std::string_view text) {
  auto tokens = Lex(text);
  if (!tokens) return Fail(tokens.error());
  Parser p(std::move(*tokens));
  auto root = p.ParseAll();
  if (!root) return Fail(root.error());
  return Expression(std::move(*root));
}

Result<Json> Expression::Evaluate(const Json& data) const {
  return Eval(*root_, data);
}

Error QueryParseError(std::string_view expression, const Error& e) {
  return UsageError(
      fmt::format("argument --query: invalid jmespath_type value: '{}': {}", expression, e.message));
}

Error QueryEvaluationError(const Error& e) {
  return Error::Invalid(kQueryErrorCode,
                        fmt::format("Invalid jmespath query supplied for `--query`: {}", e.message));
}

Result<Json> Search(std::string_view expression, const Json& data) {
  auto e = Expression::Parse(expression);
  if (!e) return Fail(QueryParseError(expression, e.error()));
  auto r = e->Evaluate(data);
  if (!r) return Fail(QueryEvaluationError(r.error()));
  return r;
}

}  // namespace isthmus::cli::jmespath
