// `-o json|jsonc|table|tsv|none`, rendered the way az (knack) renders them, so that scripts written
// against az's output parse ours.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "cli/json.h"

namespace isthmus::cli {

enum class OutputFormat { kJson, kJsonc, kTable, kTsv, kNone };

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

std::string Format(OutputFormat f, const Json& v, bool query_active);

}  // namespace isthmus::cli
