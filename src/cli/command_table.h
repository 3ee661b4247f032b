// The command tree (`group create`, `network vnet subnet list`, ...) and az-style help for it.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cli/args.h"
#include "cli/json.h"

namespace isthmus::cli {

class CommandContext;

// Returns what to print (before --query/--output), or nullopt to print nothing (--no-wait, delete).
using Handler = std::function<Result<std::optional<Json>>(CommandContext&)>;

struct CommandSpec {
  std::string path;  // "network vnet create"
  std::string summary;
  std::vector<OptionSpec> options;
  Handler run;
  std::vector<std::string> examples;  // command lines, shown under "Examples" in --help
  // az's table_transformer: reshapes the result for `-o table` when no --query is given (as in az, a
  // query's own shape wins). Null = the result's scalar fields.
  std::function<Json(const Json&)> table = nullptr;
};

struct GroupSpec {
  std::string path;  // "network vnet"; "" is the root
  std::string summary;
};

class CommandTable {
 public:
  void AddGroup(std::string path, std::string summary);
  void AddCommand(CommandSpec spec);

  const GroupSpec* FindGroup(std::string_view path) const;
  const CommandSpec* FindCommand(std::string_view path) const;

  // The next words after `path` ("" = the root): its subgroups' and commands' last words, sorted.
  std::vector<std::string> ChildWords(std::string_view path) const;

  std::string GroupHelp(std::string_view path) const;
  std::string CommandHelp(const CommandSpec& spec, std::span<const OptionSpec> globals) const;

 private:
  std::vector<GroupSpec> groups_;
  std::vector<CommandSpec> commands_;
};

// Options every command accepts (-o, --query, --subscription, --debug, ...).
std::vector<OptionSpec> GlobalOptions();
// A command's own options, then the global ones it does not redefine (e.g. `account set --subscription`).
std::vector<OptionSpec> OptionsFor(const CommandSpec& spec);

// The full table: every command group registers itself (commands_*.cc).
CommandTable BuildCommandTable();
void RegisterAccountAndGroupCommands(CommandTable& t);
void RegisterVnetCommands(CommandTable& t);
void RegisterGatewayCommands(CommandTable& t);
void RegisterConnectionCommands(CommandTable& t);
void RegisterVmCommands(CommandTable& t);
void RegisterWatcherCommands(CommandTable& t);
void RegisterFabricCommands(CommandTable& t);
void RegisterAdCommands(CommandTable& t);
void RegisterDeploymentCommands(CommandTable& t);
void RegisterConfigCommands(CommandTable& t);
void RegisterCompletionCommands(CommandTable& t);

// `isthmus --version`: az --version's layout (the CLI, its core, its libraries, where it looks).
struct Settings;
std::string VersionText(const Settings& settings);

}  // namespace isthmus::cli
