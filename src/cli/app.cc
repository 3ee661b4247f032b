#include "cli/app.h"

#include <algorithm>
#include <ostream>

#include <fmt/format.h>

#include "cli/command_table.h"
#include "cli/completion.h"
#include "cli/config.h"
#include "cli/errors.h"
#include "cli/jmespath.h"
#include "cli/output.h"

namespace isthmus::cli {

namespace {

int Report(const Error& e, const std::string& command_path, std::ostream& err) {
  if (IsUsageError(e)) {
    err << "ERROR: " << e.message << "\n";
    if (!command_path.empty()) {
      err << fmt::format("Try 'isthmus {} --help' for more information.\n", command_path);
    }
    return kExitUsage;
  }
  if (e.code == kConnectionErrorCode || e.code == kClientErrorCode) {
    err << "ERROR: " << e.message << "\n";
    return kExitError;
  }
  if (e.code == jmespath::kQueryErrorCode) {
    // az's handle_exception: the message, then its QUERY_REFERENCE recommendation.
    err << "ERROR: " << e.message << "\n"
        << "To learn more about --query, please visit: "
           "'https://docs.microsoft.com/cli/azure/query-azure-cli'\n";
    return kExitError;
  }
  // az's format for errors the service returned.
  err << fmt::format("ERROR: ({}) {}\nCode: {}\nMessage: {}\n", e.code, e.message, e.code, e.message);
  return kExitError;
}

}  // namespace

int RunCli(const std::vector<std::string>& args, AppIo& io) {
  static const CommandTable table = BuildCommandTable();
  // The completion script's call-back: raw words, not a command line to parse.
  if (!args.empty() && args[0] == "__complete") {
    return Complete(table, std::vector<std::string>(args.begin() + 1, args.end()), io);
  }

  // Leading words select a group or a command ("network vnet subnet create").
  std::string path;
  const CommandSpec* command = nullptr;
  std::size_t i = 0;
  for (; i < args.size() && !args[i].starts_with("-"); ++i) {
    std::string candidate = path.empty() ? args[i] : path + " " + args[i];
    if ((command = table.FindCommand(candidate)) != nullptr) {
      ++i;
      break;
    }
    if (table.FindGroup(candidate) == nullptr) {
      io.err << fmt::format("ERROR: '{}' is misspelled or not recognized by the system.\n", args[i]);
      io.err << fmt::format("Try 'isthmus {}{}--help' to see the available commands.\n", path,
                            path.empty() ? "" : " ");
      return kExitUsage;
    }
    path = std::move(candidate);
  }
  const std::vector<std::string> rest(args.begin() + static_cast<long>(i), args.end());

  if (command == nullptr) {
    if (path.empty() && std::find(rest.begin(), rest.end(), "--version") != rest.end()) {
      io.out << VersionText(io.settings);
      return kExitOk;
    }
    // A group alone (or with -h) shows its subgroups and commands, as az does.
    auto globals = GlobalOptions();
    auto parsed = ParseArgs(globals, rest);
    if (!parsed) return Report(parsed.error(), path, io.err);
    io.out << table.GroupHelp(path);
    return kExitOk;
  }

  // The user's configuration: defaults for -g/-l, and core.no_color. A broken file is reported, as az
  // reports it, rather than silently ignored.
  auto config = Configuration::Load(io.settings);
  if (!config) return Report(config.error(), command->path, io.err);
  const std::vector<OptionSpec> options = OptionsFor(*command);
  auto parsed = ParseArgs(options, rest, config->Defaults());
  if (!parsed) return Report(parsed.error(), command->path, io.err);
  if (parsed->help_requested) {
    std::vector<OptionSpec> globals(options.begin() + static_cast<long>(command->options.size()),
                                    options.end());
    io.out << table.CommandHelp(*command, globals);
    return kExitOk;
  }
  const ParsedArgs& a = parsed->args;

  auto format = ParseOutputFormat(a.GetOr("output", "json"));
  if (!format) return Report(format.error(), command->path, io.err);
  // The query is checked before the command runs: a typo must not cost a half-finished create.
  std::optional<jmespath::Expression> query;
  if (auto q = a.Get("query")) {
    auto e = jmespath::Expression::Parse(*q);
    if (!e) return Report(jmespath::QueryParseError(*q, e.error()), command->path, io.err);
    query = std::move(*e);
  }

  CommandContext ctx(io, a);
  auto result = command->run(ctx);
  if (!result) return Report(result.error(), command->path, io.err);
  if (!*result) return kExitOk;

  Json value = std::move(**result);
  if (query) {
    auto q = query->Evaluate(value);
    if (!q) return Report(jmespath::QueryEvaluationError(q.error()), command->path, io.err);
    value = std::move(*q);
  } else if (*format == OutputFormat::kTable && command->table) {
    value = command->table(value);
  }
  if (value.is_null()) return kExitOk;  // az prints nothing for a null result
  const bool color = io.terminal && !config->GetBool("core", "no_color", false);
  io.out << Format(*format, value, query.has_value(), color);
  io.out.flush();
  return kExitOk;
}

}  // namespace isthmus::cli
