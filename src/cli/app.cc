#include "cli/app.h"

#include <algorithm>
#include <ostream>

#include <fmt/format.h>

#include "cli/command_table.h"
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
  // az's format for errors the service returned.
  err << fmt::format("ERROR: ({}) {}\nCode: {}\nMessage: {}\n", e.code, e.message, e.code, e.message);
  return kExitError;
}

// Global options minus those a command redefines (e.g. `account set --subscription`).
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

}  // namespace

int RunCli(const std::vector<std::string>& args, AppIo& io) {
  static const CommandTable table = BuildCommandTable();

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
      io.out << "isthmus " << kCliVersion << "\n";
      return kExitOk;
    }
    // A group alone (or with -h) shows its subgroups and commands, as az does.
    auto globals = GlobalOptions();
    auto parsed = ParseArgs(globals, rest);
    if (!parsed) return Report(parsed.error(), path, io.err);
    io.out << table.GroupHelp(path);
    return kExitOk;
  }

  const std::vector<OptionSpec> options = OptionsFor(*command);
  auto parsed = ParseArgs(options, rest);
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
    if (!e) {
      return Report(UsageError(fmt::format("argument --query: invalid jmespath_type value: '{}': {}", *q,
                                           e.error().message)),
                    command->path, io.err);
    }
    query = std::move(*e);
  }

  CommandContext ctx(io, a);
  auto result = command->run(ctx);
  if (!result) return Report(result.error(), command->path, io.err);
  if (!*result) return kExitOk;

  Json value = std::move(**result);
  if (query) {
    auto q = query->Evaluate(value);
    if (!q) return Report(UsageError("argument --query: " + q.error().message), command->path, io.err);
    value = std::move(*q);
  } else if (*format == OutputFormat::kTable && command->table) {
    value = command->table(value);
  }
  if (value.is_null()) return kExitOk;  // az prints nothing for a null result
  io.out << Format(*format, value, query.has_value());
  io.out.flush();
  return kExitOk;
}

}  // namespace isthmus::cli
