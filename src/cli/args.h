// Argument parsing with az's (Python argparse's) rules, which CLI11 does not model:
//   - `nargs='+'` lists: `--address-prefixes 10.1.0.0/16 10.2.0.0/16` takes values up to the next option;
//   - unique prefixes of long options are accepted (`--address-prefix` for `--address-prefixes`),
//     ambiguous ones are refused; an exact name always wins;
//   - three-state booleans: `--enable-bgp` alone is true, `--enable-bgp false` is false;
//   - enum values match case-insensitively and are normalised to their canonical spelling;
//   - errors read like argparse's (`the following arguments are required: --name/-n`).
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace isthmus::cli {

enum class ArgKind {
  kValue,  // exactly one value
  kList,   // one or more values
  kFlag,   // no value: present = true
  kBool,   // optional true/false value: present alone = true
};

struct OptionSpec {
  OptionSpec(std::string dest_, std::vector<std::string> names_, std::string help_,
             ArgKind kind_ = ArgKind::kValue, bool required_ = false, std::vector<std::string> choices_ = {},
             std::string default_value_ = {})
      : dest(std::move(dest_)),
        names(std::move(names_)),
        help(std::move(help_)),
        kind(kind_),
        required(required_),
        choices(std::move(choices_)),
        default_value(std::move(default_value_)) {}

  std::string dest;                // key handlers read: "resource_group"
  std::vector<std::string> names;  // "--resource-group", "-g" (first is the long, canonical one)
  std::string help;
  ArgKind kind = ArgKind::kValue;
  bool required = false;
  std::vector<std::string> choices;  // canonical spellings; empty = free text
  std::string default_value;         // applied when absent; shown in help
  bool id_part = false;              // filled from --ids when the command supports it
  bool append = false;               // repeated, its values add up (argparse's action='append')
  bool positional = false;           // takes the words that are not options (`config set KEY=VALUE`)
  bool ordered = false;              // each occurrence is also kept in order (az's OrderedArgsAction)
  // The `[defaults]` name that fills it when absent (az's configured_default): "group", "location".
  std::string configured_default;

  std::string DisplayName() const;  // "--name/-n"
};

class ParsedArgs {
 public:
  bool Has(const std::string& dest) const { return values_.contains(dest); }
  std::optional<std::string> Get(const std::string& dest) const;
  std::string GetOr(const std::string& dest, const std::string& fallback) const;
  std::vector<std::string> GetList(const std::string& dest) const;
  // For kFlag/kBool options: nullopt when absent (and no default).
  std::optional<bool> Bool(const std::string& dest) const;
  bool Flag(const std::string& dest) const { return Bool(dest).value_or(false); }

  void Set(const std::string& dest, std::vector<std::string> values) { values_[dest] = std::move(values); }
  void Erase(const std::string& dest) { values_.erase(dest); }

  // Occurrences of `ordered` options as typed, each with its own values: --set a=1 --remove b --set c=2.
  using Occurrence = std::pair<std::string, std::vector<std::string>>;
  const std::vector<Occurrence>& Ordered() const { return ordered_; }
  void AddOrdered(std::string dest, std::vector<std::string> values) {
    ordered_.emplace_back(std::move(dest), std::move(values));
  }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<Occurrence> ordered_;
};

// `help_requested` short-circuits required-argument checks, as argparse does for -h.
struct ParseOutcome {
  ParsedArgs args;
  bool help_requested = false;
};

// When an option with dest "ids" is given, options marked id_part are not required (--ids supplies them).
// `configured` holds the user's defaults (`isthmus configure --defaults group=RG`): an absent option with
// a configured_default found there takes that value and is no longer required; an explicit flag wins.
Result<ParseOutcome> ParseArgs(std::span<const OptionSpec> options, std::span<const std::string> tokens,
                               const std::map<std::string, std::string>& configured = {});

}  // namespace isthmus::cli
