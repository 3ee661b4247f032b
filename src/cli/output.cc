#include "cli/output.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <regex>
#include <vector>

#include <fmt/format.h>

#include "cli/errors.h"

namespace isthmus::cli {

Result<OutputFormat> ParseOutputFormat(std::string_view name) {
  if (name == "json") return OutputFormat::kJson;
  if (name == "jsonc") return OutputFormat::kJsonc;
  if (name == "yaml") return OutputFormat::kYaml;
  if (name == "yamlc") return OutputFormat::kYamlc;
  if (name == "table") return OutputFormat::kTable;
  if (name == "tsv") return OutputFormat::kTsv;
  if (name == "none") return OutputFormat::kNone;
  return Fail(UsageError(fmt::format(
      "argument --output/-o: invalid choice: '{}' (choose from 'json', 'jsonc', 'none', 'table', 'tsv', "
      "'yaml', 'yamlc')",
      name)));
}

namespace {

// ANSI colours close to what az's jsonc (pygments) shows: keys, strings, literals.
constexpr char kKeyColor[] = "\x1b[94m";
constexpr char kStringColor[] = "\x1b[32m";
constexpr char kLiteralColor[] = "\x1b[36m";
constexpr char kReset[] = "\x1b[0m";

void Colored(const Json& v, int depth, std::string& out) {
  const std::string pad(static_cast<std::size_t>(depth) * 2, ' ');
  const std::string inner(static_cast<std::size_t>(depth + 1) * 2, ' ');
  if (v.is_object() && !v.empty()) {
    out += "{\n";
    std::size_t i = 0;
    for (auto it = v.begin(); it != v.end(); ++it, ++i) {
      out += inner + kKeyColor + Json(it.key()).dump() + kReset + ": ";
      Colored(it.value(), depth + 1, out);
      out += i + 1 < v.size() ? ",\n" : "\n";
    }
    out += pad + "}";
  } else if (v.is_array() && !v.empty()) {
    out += "[\n";
    for (std::size_t i = 0; i < v.size(); ++i) {
      out += inner;
      Colored(v[i], depth + 1, out);
      out += i + 1 < v.size() ? ",\n" : "\n";
    }
    out += pad + "]";
  } else if (v.is_string()) {
    out += kStringColor + v.dump() + kReset;
  } else {
    out += kLiteralColor + v.dump() + kReset;
  }
}

std::size_t DisplayWidth(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string Capitalized(std::string k) {
  if (!k.empty() && k[0] >= 'a' && k[0] <= 'z') k[0] = static_cast<char>(k[0] - 'a' + 'A');
  return k;
}

std::string TableCell(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  return v.dump();
}

std::string TsvCell(const Json& v) {
  if (v.is_null() || v.is_object()) return "";
  if (v.is_array()) return std::to_string(v.size());
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

bool IsSkippedKey(const std::string& k) {
  return k == "id" || k == "type" || k == "etag";
}

}  // namespace

std::string FormatJson(const Json& v, bool color) {
  Json sorted = SortedKeys(v);
  if (!color) return sorted.dump(2) + "\n";
  std::string out;
  Colored(sorted, 0, out);
  return out + "\n";
}

std::string FormatTable(const Json& v, bool query_active) {
  if (v.is_null()) return "";
  std::vector<Json> items;
  if (v.is_array()) {
    items.assign(v.begin(), v.end());
  } else {
    items.push_back(v);
  }
  // Columns in first-seen order; a row may lack some (null values are left out, as in az).
  std::vector<std::string> columns;
  std::vector<std::vector<std::pair<std::string, Json>>> rows;
  for (const auto& item : items) {
    std::vector<std::pair<std::string, Json>> row;
    if (item.is_object()) {
      for (auto it = item.begin(); it != item.end(); ++it) {
        if (!query_active && IsSkippedKey(it.key())) continue;
        if (it.value().is_null() || it.value().is_array() || it.value().is_object()) continue;
        row.emplace_back(Capitalized(it.key()), it.value());
      }
    } else {
      row.emplace_back("Result", item);
    }
    for (const auto& [k, _] : row) {
      if (std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);
    }
    rows.push_back(std::move(row));
  }
  if (columns.empty()) return "";
  std::vector<std::size_t> width(columns.size());
  std::vector<bool> numeric(columns.size(), true);
  std::vector<std::vector<std::string>> cells(rows.size(), std::vector<std::string>(columns.size()));
  for (std::size_t c = 0; c < columns.size(); ++c) {
    width[c] = DisplayWidth(columns[c]);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      for (const auto& [k, val] : rows[r]) {
        if (k != columns[c]) continue;
        cells[r][c] = TableCell(val);
        if (!val.is_number()) numeric[c] = false;
      }
      width[c] = std::max(width[c], DisplayWidth(cells[r][c]));
    }
  }
  auto line = [&](const std::vector<std::string>& values) {
    std::string out;
    for (std::size_t c = 0; c < values.size(); ++c) {
      std::string fill(width[c] - DisplayWidth(values[c]), ' ');
      if (c) out += "  ";
      // Number columns right-aligned (header included), like tabulate's.
      out += numeric[c] ? fill + values[c] : values[c] + fill;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(columns);
  std::vector<std::string> dashes;
  dashes.reserve(width.size());
  for (auto w : width) dashes.emplace_back(w, '-');
  out += line(dashes);
  for (const auto& row : cells) out += line(row);
  return out;
}

std::string FormatTsv(const Json& v) {
  if (v.is_null()) return "";
  std::vector<Json> items;
  if (v.is_array()) {
    items.assign(v.begin(), v.end());
  } else {
    items.push_back(v);
  }
  std::string out;
  for (const auto& item : items) {
    if (item.is_object() || item.is_array()) {
      std::string sep;
      for (const auto& e : item) {
        out += sep + TsvCell(e);
        sep = "\t";
      }
    } else {
      out += TsvCell(item);
    }
    out += "\n";
  }
  return out;
}

namespace {

// Would this text, written as a plain scalar, read back as something other than a string? The
// patterns are YAML 1.1's implicit types as PyYAML resolves them (bool, int, float, null, timestamp,
// merge, value), plus YAML 1.2's core-schema numbers ("1e3"), so that both kinds of reader agree.
bool ReadsAsNonString(const std::string& s) {
  static const std::regex yaml11(
      R"(^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$)"
      R"(|^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?)"
      R"(|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$)"
      R"(|^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)"
      R"(|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$)"
      R"(|^(?:~|null|Null|NULL|<<|=)$)"
      R"(|^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?)");
  static const std::regex yaml12(R"(^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$|^0o[0-7]+$)");
  return s.empty() || std::regex_search(s, yaml11) || std::regex_search(s, yaml12);
}

void EmitString(YAML::Emitter& e, const std::string& s) {
  if (ReadsAsNonString(s)) e << YAML::SingleQuoted;  // as PyYAML quotes '10', 'true', ''
  e << s;
}

// A JSON number as YAML reads it back as the same number: PyYAML's floats need a dot ("1.0e+21").
std::string YamlNumber(const Json& v) {
  std::string t = v.dump();
  if (v.is_number_float() && t.find('.') == std::string::npos) {
    auto e = t.find_first_of("eE");
    t.insert(e == std::string::npos ? t.size() : e, ".0");
  }
  return t;
}

void EmitYaml(YAML::Emitter& e, const Json& v) {
  if (v.is_object()) {
    if (v.empty()) e << YAML::Flow;
    e << YAML::BeginMap;
    for (auto it = v.begin(); it != v.end(); ++it) {
      e << YAML::Key;
      EmitString(e, it.key());
      e << YAML::Value;
      EmitYaml(e, *it);
    }
    e << YAML::EndMap;
  } else if (v.is_array()) {
    if (v.empty()) e << YAML::Flow;
    e << YAML::BeginSeq;
    for (const auto& item : v) EmitYaml(e, item);
    e << YAML::EndSeq;
  } else if (v.is_string()) {
    EmitString(e, v.get_ref<const std::string&>());
  } else if (v.is_boolean()) {
    e << v.get<bool>();
  } else if (v.is_null()) {
    e << YAML::Null;
  } else {
    e << YamlNumber(v);
  }
}

// The value part of a YAML line in jsonc's colours: quoted or plain strings, and literals.
std::string ColoredYamlValue(const std::string& v) {
  if (v.empty()) return v;
  bool literal = v == "[]" || v == "{}" || ((v[0] != '\'' && v[0] != '"') && ReadsAsNonString(v));
  return (literal ? kLiteralColor : kStringColor) + v + kReset;
}

// Colours one emitted line: its "- " markers stay plain, a `key:` is coloured as a key, the rest as a
// value. Plain scalars cannot hold ": ", so the first one outside quotes ends the key.
std::string ColoredYamlLine(const std::string& line) {
  if (line == "...") return line;
  std::size_t i = 0;
  while (i < line.size() && line[i] == ' ') ++i;
  while (line.compare(i, 2, "- ") == 0) i += 2;
  std::string out = line.substr(0, i);
  const std::string rest = line.substr(i);
  std::size_t colon = std::string::npos;
  if (!rest.empty() && (rest[0] == '\'' || rest[0] == '"')) {
    std::size_t close = rest.find(rest[0], 1);
    while (close != std::string::npos && rest[0] == '"' && rest[close - 1] == '\\')
      close = rest.find('"', close + 1);
    if (close != std::string::npos && close + 1 < rest.size() && rest[close + 1] == ':') colon = close + 1;
  } else {
    colon = rest.find(": ");
    if (colon == std::string::npos && !rest.empty() && rest.back() == ':') colon = rest.size() - 1;
  }
  if (colon == std::string::npos) return out + ColoredYamlValue(rest);
  out += kKeyColor + rest.substr(0, colon) + kReset + ":";
  if (colon + 1 < rest.size()) out += " " + ColoredYamlValue(rest.substr(colon + 2));
  return out;
}

}  // namespace

std::string FormatYaml(const Json& v, bool color) {
  YAML::Emitter e;
  e.SetIndent(2);
  e.SetOutputCharset(YAML::EmitNonAscii);  // allow_unicode=True
  e.SetBoolFormat(YAML::TrueFalseBool);
  e.SetBoolFormat(YAML::LowerCase);
  e.SetNullFormat(YAML::LowerNull);
  EmitYaml(e, SortedKeys(v));
  std::string out = std::string(e.c_str()) + "\n";
  // PyYAML ends a document that is one plain scalar with "...", so that its end is unambiguous.
  if (!v.is_array() && !v.is_object() && out[0] != '\'' && out[0] != '"') out += "...\n";
  if (!color) return out;
  std::string colored;
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t nl = out.find('\n', start);
    colored += ColoredYamlLine(out.substr(start, nl - start)) + "\n";
    start = nl + 1;
  }
  return colored;
}

std::string Format(OutputFormat f, const Json& v, bool query_active, bool color) {
  switch (f) {
    case OutputFormat::kJson:
      return FormatJson(v, false);
    case OutputFormat::kJsonc:
      return FormatJson(v, color);
    case OutputFormat::kYaml:
      return FormatYaml(v, false);
    case OutputFormat::kYamlc:
      return FormatYaml(v, color);
    case OutputFormat::kTable:
      return FormatTable(v, query_active);
    case OutputFormat::kTsv:
      return FormatTsv(v);
    case OutputFormat::kNone:
      return "";
  }
  return "";
}

}  // namespace isthmus::cli
