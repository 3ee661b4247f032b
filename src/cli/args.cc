#include "cli/args.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/errors.h"
#include "cli/resource_id.h"

namespace isthmus::cli {

std::string OptionSpec::DisplayName() const {
  if (positional) return dest;  // argparse names a positional by its dest
  return fmt::format("{}", fmt::join(names, "/"));
}

std::optional<std::string> ParsedArgs::Get(const std::string& dest) const {
  auto it = values_.find(dest);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string ParsedArgs::GetOr(const std::string& dest, const std::string& fallback) const {
  return Get(dest).value_or(fallback);
}

std::vector<std::string> ParsedArgs::GetList(const std::string& dest) const {
  auto it = values_.find(dest);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::optional<bool> ParsedArgs::Bool(const std::string& dest) const {
  auto v = Get(dest);
  if (!v) return std::nullopt;
  return EqualsIgnoreCase(*v, "true");
}

namespace {

bool IsNegativeNumber(const std::string& t) {
  return t.size() > 1 && t[0] == '-' && std::all_of(t.begin() + 1, t.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
         });
}

bool LooksLikeOption(const std::string& t) {
  return t.size() > 1 && t[0] == '-' && !IsNegativeNumber(t);
}

std::optional<bool> ParseBoolWord(const std::string& t) {
  if (EqualsIgnoreCase(t, "true") || EqualsIgnoreCase(t, "yes")) return true;
  if (EqualsIgnoreCase(t, "false") || EqualsIgnoreCase(t, "no")) return false;
  return std::nullopt;
}

struct Match {
  const OptionSpec* spec = nullptr;
  std::string name;  // as written, for messages
};

Result<const OptionSpec*> FindLong(std::span<const OptionSpec> options, const std::string& name) {
  for (const auto& o : options) {
    if (std::find(o.names.begin(), o.names.end(), name) != o.names.end()) return &o;
  }
  // argparse's allow_abbrev: a unique prefix of a long option is that option.
  std::vector<std::string> hits;
  const OptionSpec* hit = nullptr;
  for (const auto& o : options) {
    for (const auto& n : o.names) {
      if (n.starts_with("--") && n.starts_with(name)) {
        if (hit != &o) hits.push_back(n);
        hit = &o;
      }
    }
  }
  if (hits.size() > 1) {
    return Fail(UsageError(fmt::format("ambiguous option: {} could match {}", name, fmt::join(hits, ", "))));
  }
  return hit;  // nullptr = unknown
}

const OptionSpec* FindShort(std::span<const OptionSpec> options, const std::string& name) {
  for (const auto& o : options) {
    if (std::find(o.names.begin(), o.names.end(), name) != o.names.end()) return &o;
  }
  return nullptr;
}

Result<std::string> Canonical(const OptionSpec& o, const std::string& v) {
  if (o.choices.empty()) return v;
  for (const auto& c : o.choices) {
    if (EqualsIgnoreCase(c, v)) return c;
  }
  std::vector<std::string> quoted;
  for (const auto& c : o.choices) quoted.push_back("'" + c + "'");
  return Fail(UsageError(fmt::format("argument {}: invalid choice: '{}' (choose from {})", o.DisplayName(), v,
                                     fmt::join(quoted, ", "))));
}

}  // namespace

Result<ParseOutcome> ParseArgs(std::span<const OptionSpec> options, std::span<const std::string> tokens,
                               const std::map<std::string, std::string>& configured) {
  ParseOutcome out;
  const OptionSpec* positional = nullptr;
  for (const auto& o : options) {
    if (o.positional) positional = &o;
  }
  std::vector<std::string> unrecognized;
  std::size_t i = 0;
  while (i < tokens.size()) {
    const std::string& tok = tokens[i++];
    if (tok == "-h" || tok == "--help") {
      out.help_requested = true;
      continue;
    }
    if (!LooksLikeOption(tok)) {
      if (positional != nullptr && (positional->kind == ArgKind::kList || !out.args.Has(positional->dest))) {
        auto values = out.args.GetList(positional->dest);
        values.push_back(tok);
        out.args.Set(positional->dest, std::move(values));
      } else {
        unrecognized.push_back(tok);
      }
      continue;
    }
    const OptionSpec* spec = nullptr;
    std::optional<std::string> inline_value;
    std::string written = tok;
    if (tok.starts_with("--")) {
      auto eq = tok.find('=');
      if (eq != std::string::npos) {
        inline_value = tok.substr(eq + 1);
        written = tok.substr(0, eq);
      }
      auto found = FindLong(options, written);
      if (!found) return Fail(found.error());
      spec = *found;
    } else {
      spec = FindShort(options, tok.substr(0, 2));
      if (spec && tok.size() > 2) {
        // argparse accepts "-nVNet1" for a short option that takes a value.
        if (spec->kind == ArgKind::kFlag || spec->kind == ArgKind::kBool) {
          spec = nullptr;
        } else {
          inline_value = tok.substr(tok[2] == '=' ? 3 : 2);
          written = tok.substr(0, 2);
        }
      }
    }
    if (spec == nullptr) {
      unrecognized.push_back(written);
      // Skip the unknown option's values too, so the error lists only the option.
      while (i < tokens.size() && !LooksLikeOption(tokens[i])) unrecognized.push_back(tokens[i++]);
      continue;
    }
    std::vector<std::string> values;
    switch (spec->kind) {
      case ArgKind::kFlag:
        if (inline_value) {
          return Fail(UsageError(fmt::format("argument {}: ignored explicit argument '{}'",
                                             spec->DisplayName(), *inline_value)));
        }
        values.push_back("true");
        break;
      case ArgKind::kBool: {
        std::optional<std::string> word = inline_value;
        if (!word && i < tokens.size() && ParseBoolWord(tokens[i])) word = tokens[i++];
        if (!word) {
          values.push_back("true");
        } else {
          auto b = ParseBoolWord(*word);
          if (!b) {
            return Fail(
                UsageError(fmt::format("argument {}: invalid choice: '{}' (choose from 'false', 'true')",
                                       spec->DisplayName(), *word)));
          }
          values.push_back(*b ? "true" : "false");
        }
        break;
      }
      case ArgKind::kValue:
        if (inline_value) {
          values.push_back(*inline_value);
        } else if (i < tokens.size() && !LooksLikeOption(tokens[i])) {
          values.push_back(tokens[i++]);
        } else {
          return Fail(UsageError(fmt::format("argument {}: expected one argument", spec->DisplayName())));
        }
        break;
      case ArgKind::kList:
        if (inline_value) values.push_back(*inline_value);
        while (i < tokens.size() && !LooksLikeOption(tokens[i])) values.push_back(tokens[i++]);
        if (values.empty()) {
          return Fail(
              UsageError(fmt::format("argument {}: expected at least one argument", spec->DisplayName())));
        }
        break;
    }
    for (auto& v : values) {
      auto c = Canonical(*spec, v);
      if (!c) return Fail(c.error());
      v = *c;
    }
    if (spec->ordered) out.args.AddOrdered(spec->dest, values);
    if (spec->append && out.args.Has(spec->dest)) {
      auto all = out.args.GetList(spec->dest);
      all.insert(all.end(), values.begin(), values.end());
      values = std::move(all);
    }
    out.args.Set(spec->dest, std::move(values));  // otherwise a repeated option: the last one wins
  }
  if (!unrecognized.empty()) {
    return Fail(UsageError(fmt::format("unrecognized arguments: {}", fmt::join(unrecognized, " "))));
  }
  if (out.help_requested) return out;

  const bool ids_given = out.args.Has("ids");
  std::vector<std::string> missing;
  for (const auto& o : options) {
    if (out.args.Has(o.dest)) continue;
    if (!o.configured_default.empty() && !(ids_given && o.id_part)) {
      if (auto it = configured.find(o.configured_default); it != configured.end() && !it->second.empty()) {
        out.args.Set(o.dest, {it->second});
        continue;
      }
    }
    if (o.required && !(ids_given && o.id_part)) {
      missing.push_back(o.DisplayName());
    } else if (!o.default_value.empty()) {
      out.args.Set(o.dest, {o.default_value});
    }
  }
  if (!missing.empty()) {
    return Fail(
        UsageError(fmt::format("the following arguments are required: {}", fmt::join(missing, ", "))));
  }
  return out;
}

}  // namespace isthmus::cli
