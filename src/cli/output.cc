#include "cli/output.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "cli/errors.h"

namespace isthmus::cli {

Result<OutputFormat> ParseOutputFormat(std::string_view name) {
  if (name == "json") return OutputFormat::kJson;
  if (name == "jsonc") return OutputFormat::kJsonc;
  if (name == "table") return OutputFormat::kTable;
  if (name == "tsv") return OutputFormat::kTsv;
  if (name == "none") return OutputFormat::kNone;
  return Fail(UsageError(fmt::format(
      "argument --output/-o: invalid choice: '{}' (choose from 'json', 'jsonc', 'none', 'table', 'tsv')",
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

std::string Format(OutputFormat f, const Json& v, bool query_active) {
  switch (f) {
    case OutputFormat::kJson:
      return FormatJson(v, false);
    case OutputFormat::kJsonc:
      return FormatJson(v, true);
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
