// `-o json|jsonc|yaml|yamlc|table|tsv|none`, rendered the way az (knack) renders them, so that scripts
// written against az's output parse ours.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "cli/json.h"

namespace isthmus::cli {

enum class OutputFormat { kJson, kJsonc, kYaml, kYamlc, kTable, kTsv, kNone };

Result<OutputFormat> ParseOutputFormat(std::string_view name);

// json: keys sorted, 2-space indent (json.dumps(sort_keys=True, indent=2)).
std::string FormatJson(const Json& v, bool color);

// table: one row per list item (a lone object is one row); columns are the item's scalar fields with
// their first letter capitalised; `id`, `type` and `etag` are left out unless the user asked for them
// with --query (`query_active`); headers are underlined with dashes; columns are 2 spaces apart.
std::string FormatTable(const Json& v, bool query_active);

// tsv: one line per list item; an item's values (objects: in key order) separated by tabs; a nested
// list prints as its length and a nested object as an empty field, so columns stay aligned.
std::string FormatTsv(const Json& v);

// yaml: what az's yaml.safe_dump(default_flow_style=False, allow_unicode=True) means — block style,
// keys sorted, every value loading back as the same JSON value in a YAML 1.1 reader such as PyYAML
// (strings that would read as numbers, booleans, nulls or dates are quoted) and in a YAML 1.2 one.
// The layout is yaml-cpp's: lists under a key are indented by two spaces where PyYAML does not indent.
std::string FormatYaml(const Json& v, bool color);

// `color` is honoured by jsonc and yamlc only; as in az, callers pass true only when stdout and stderr
// are terminals, so jsonc/yamlc piped into a file are plain json/yaml.
std::string Format(OutputFormat f, const Json& v, bool query_active, bool color);

}  // namespace isthmus::cli
