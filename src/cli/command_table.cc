#include "cli/command_table.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace isthmus::cli {

void CommandTable::AddGroup(std::string path, std::string summary) {
  groups_.push_back(GroupSpec{std::move(path), std::move(summary)});
}

void CommandTable::AddCommand(CommandSpec spec) {
  commands_.push_back(std::move(spec));
}

const GroupSpec* CommandTable::FindGroup(std::string_view path) const {
  for (const auto& g : groups_) {
    if (g.path == path) return &g;
  }
  return nullptr;
}

const CommandSpec* CommandTable::FindCommand(std::string_view path) const {
  for (const auto& c : commands_) {
    if (c.path == path) return &c;
  }
  return nullptr;
}

namespace {

// "network vnet subnet" is a direct child of "network vnet"; returns its last word, or "" if not a child.
std::string ChildWord(std::string_view parent, std::string_view path) {
  std::string_view rest;
  if (parent.empty()) {
    rest = path;
  } else {
    if (!path.starts_with(parent) || path.size() <= parent.size() || path[parent.size()] != ' ') return "";
    rest = path.substr(parent.size() + 1);
  }
  if (rest.empty() || rest.find(' ') != std::string_view::npos) return "";
  return std::string(rest);
}

std::string Listing(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::size_t w = 0;
  for (const auto& [n, _] : rows) w = std::max(w, n.size());
  std::string out;
  for (const auto& [n, s] : rows) out += fmt::format("    {:<{}} : {}\n", n, w, s);
  return out;
}

std::string OptionLine(const OptionSpec& o) {
  std::string names = fmt::format("{}", fmt::join(o.names, " "));
  std::string tags;
  if (o.required) tags += " [Required]";
  std::string help = o.help;
  if (!o.choices.empty()) help += fmt::format("  Allowed values: {}.", fmt::join(o.choices, ", "));
  if (!o.default_value.empty()) help += fmt::format("  Default: {}.", o.default_value);
  return fmt::format("{}{}\t{}", names, tags, help);
}

std::string OptionSection(const std::string& title, const std::vector<const OptionSpec*>& opts) {
  if (opts.empty()) return "";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto* o : opts) {
    std::string line = OptionLine(*o);
    auto tab = line.find('\t');
    rows.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  return fmt::format("\n{}\n{}", title, Listing(rows));
}

}  // namespace

std::string CommandTable::GroupHelp(std::string_view path) const {
  const GroupSpec* g = FindGroup(path);
  std::string out = "\nGroup\n";
  out += fmt::format("    isthmus{}{} : {}\n", path.empty() ? "" : " ", path, g ? g->summary : "");
  std::vector<std::pair<std::string, std::string>> subgroups, commands;
  for (const auto& sg : groups_) {
    if (auto w = ChildWord(path, sg.path); !w.empty()) subgroups.emplace_back(w, sg.summary);
  }
  for (const auto& c : commands_) {
    if (auto w = ChildWord(path, c.path); !w.empty()) commands.emplace_back(w, c.summary);
  }
  std::sort(subgroups.begin(), subgroups.end());
  std::sort(commands.begin(), commands.end());
  if (!subgroups.empty()) out += "\nSubgroups:\n" + Listing(subgroups);
  if (!commands.empty()) out += "\nCommands:\n" + Listing(commands);
  out += fmt::format("\nUse `isthmus {}{}<command> --help` for a command's arguments and examples.\n", path,
                     path.empty() ? "" : " ");
  return out;
}

std::string CommandTable::CommandHelp(const CommandSpec& spec, std::span<const OptionSpec> globals) const {
  std::string out = fmt::format("\nCommand\n    isthmus {} : {}\n", spec.path, spec.summary);
  std::vector<const OptionSpec*> own;
  for (const auto& o : spec.options) own.push_back(&o);
  // az lists required arguments first, then the rest alphabetically.
  std::stable_sort(own.begin(), own.end(), [](const OptionSpec* a, const OptionSpec* b) {
    if (a->required != b->required) return a->required;
    return a->names.front() < b->names.front();
  });
  out += OptionSection("Arguments", own);
  std::vector<const OptionSpec*> global;
  for (const auto& o : globals) global.push_back(&o);
  out += OptionSection("Global Arguments", global);
  if (!spec.examples.empty()) {
    out += "\nExamples\n";
    for (const auto& e : spec.examples) out += "    " + e + "\n";
  }
  return out;
}

std::vector<std::string> CommandTable::ChildWords(std::string_view path) const {
  std::vector<std::string> out;
  for (const auto& g : groups_) {
    if (auto w = ChildWord(path, g.path); !w.empty()) out.push_back(w);
  }
  for (const auto& c : commands_) {
    if (auto w = ChildWord(path, c.path); !w.empty()) out.push_back(w);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<OptionSpec> OptionsFor(const CommandSpec& spec) {
  std::vector<OptionSpec> all = spec.options;
  for (auto& g : GlobalOptions()) {
    bool clash = std::any_of(spec.options.begin(), spec.options.end(), [&](const OptionSpec& o) {
      return o.dest == g.dest || std::any_of(o.names.begin(), o.names.end(), [&](const std::string& n) {
               return std::find(g.names.begin(), g.names.end(), n) != g.names.end();
             });
    });
    if (!clash) all.push_back(std::move(g));
  }
  return all;
}

std::vector<OptionSpec> GlobalOptions() {
  return {
      {"debug",
       {"--debug"},
       "Increase logging verbosity to show all requests (never their bodies).",
       ArgKind::kFlag},
      {"help", {"--help", "-h"}, "Show this help message and exit.", ArgKind::kFlag},
      {"only_show_errors", {"--only-show-errors"}, "Only show errors, suppressing warnings.", ArgKind::kFlag},
      {"output",
       {"--output", "-o"},
       "Output format.",
       ArgKind::kValue,
       false,
       {"json", "jsonc", "none", "table", "tsv", "yaml", "yamlc"},
       "json"},
      {"query",
       {"--query"},
       "JMESPath query string. See http://jmespath.org/ for more information and examples."},
      {"subscription",
       {"--subscription"},
       "Name or ID of subscription. You can configure the default subscription using `isthmus account set -s "
       "NAME_OR_ID`."},
      {"verbose", {"--verbose"}, "Increase logging verbosity.", ArgKind::kFlag},
  };
}

CommandTable BuildCommandTable() {
  CommandTable t;
  t.AddGroup("",
             "Manage Isthmus VNets, VPN gateways, connections and test VMs, the way `az` manages Azure's.");
  RegisterAccountAndGroupCommands(t);
  RegisterVnetCommands(t);
  RegisterGatewayCommands(t);
  RegisterConnectionCommands(t);
  RegisterVmCommands(t);
  RegisterWatcherCommands(t);
  RegisterFabricCommands(t);
  RegisterAdCommands(t);
  RegisterDeploymentCommands(t);
  RegisterConfigCommands(t);
  RegisterCompletionCommands(t);
  return t;
}

}  // namespace isthmus::cli
