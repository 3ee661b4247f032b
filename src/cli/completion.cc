#include "cli/completion.h"

#include <algorithm>
#include <sstream>

#include "cli/app.h"
#include "cli/config.h"
#include "cli/errors.h"

namespace isthmus::cli {

namespace {

// Where a value's names come from: the list command whose `[].name` they are.
std::string ListCommandFor(const std::string& dest, const std::string& command_path) {
  if (dest == "resource_group") return "group list";
  if (dest == "vnet_name") return "network vnet list";
  if (dest == "name" || dest == "connection_name") {
    if (command_path.starts_with("group ")) return "group list";
    if (command_path.starts_with("network vpn-connection shared-key")) return "network vpn-connection list";
    auto space = command_path.rfind(' ');
    return space == std::string::npos ? "" : command_path.substr(0, space) + " list";
  }
  return "";
}

// The value given for `dest` earlier on the line (e.g. -g), if any.
std::string ValueOnLine(std::span<const OptionSpec> options, const std::vector<std::string>& words,
                        const std::string& dest) {
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    for (const auto& o : options) {
      if (o.dest == dest && std::find(o.names.begin(), o.names.end(), words[i]) != o.names.end()) {
        return words[i + 1];
      }
    }
  }
  return "";
}

// Runs `isthmus LIST [-g RG] --query [].name -o tsv` in-process and returns the names.
std::vector<std::string> Names(const CommandTable& table, const std::string& list_path, const std::string& rg,
                               AppIo& io) {
  if (table.FindCommand(list_path) == nullptr) return {};
  std::vector<std::string> args;
  std::istringstream split(list_path);
  for (std::string w; split >> w;) args.push_back(w);
  if (!rg.empty() && list_path != "group list") args.insert(args.end(), {"-g", rg});
  args.insert(args.end(), {"--query", "[].name", "-o", "tsv", "--only-show-errors"});
  std::ostringstream out, err;
  AppIo quiet{out, err, io.in, io.transport, io.clock, io.sleeper, io.settings};
  if (RunCli(args, quiet) != kExitOk) return {};
  std::vector<std::string> names;
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) names.push_back(line);
  }
  return names;
}

const OptionSpec* OptionNamed(std::span<const OptionSpec> options, const std::string& word) {
  for (const auto& o : options) {
    if (!o.positional && std::find(o.names.begin(), o.names.end(), word) != o.names.end()) return &o;
  }
  return nullptr;
}

// The option whose value is being typed: the nearest option before the current word, if it takes a
// value and (a single value) has not received it yet.
const OptionSpec* ValueOptionBefore(std::span<const OptionSpec> options,
                                    const std::vector<std::string>& words, std::size_t first) {
  for (std::size_t i = words.size() - 1; i-- > first;) {
    if (!words[i].starts_with("-")) continue;
    const OptionSpec* o = OptionNamed(options, words[i]);
    if (o == nullptr || o->kind == ArgKind::kFlag) return nullptr;
    if (o->kind == ArgKind::kList) return o;
    if (o->kind == ArgKind::kValue && i + 2 == words.size()) return o;
    if (o->kind == ArgKind::kBool && i + 2 == words.size()) return o;
    return nullptr;
  }
  return nullptr;
}

}  // namespace

std::string BashCompletionScript() {
  return R"(# bash completion for isthmus; load it with: source <(isthmus completion bash)
_isthmus_complete() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local IFS=$'\n'
  local candidates
  candidates=$(command isthmus __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
  COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
}
complete -o default -o nosort -F _isthmus_complete isthmus
)";
}

int Complete(const CommandTable& table, const std::vector<std::string>& words_in, AppIo& io) {
  std::vector<std::string> words = words_in;
  if (words.empty()) words.push_back("");
  const std::string& cur = words.back();
  std::vector<std::string> out;

  std::string path;
  const CommandSpec* command = nullptr;
  std::size_t i = 0;
  for (; i + 1 < words.size() && !words[i].starts_with("-"); ++i) {
    std::string candidate = path.empty() ? words[i] : path + " " + words[i];
    if ((command = table.FindCommand(candidate)) != nullptr) {
      ++i;
      break;
    }
    if (table.FindGroup(candidate) == nullptr) return kExitOk;  // a word we do not know: nothing to offer
    path = std::move(candidate);
  }

  if (command == nullptr) {
    if (cur.starts_with("-")) {
      out = {"--help", "-h"};
      if (path.empty()) out.push_back("--version");
    } else {
      out = table.ChildWords(path);
    }
  } else {
    const std::vector<OptionSpec> options = OptionsFor(*command);
    const OptionSpec* value_of = cur.starts_with("-") ? nullptr : ValueOptionBefore(options, words, i);
    if (value_of != nullptr) {
      if (!value_of->choices.empty()) {
        out = value_of->choices;
      } else if (value_of->kind == ArgKind::kBool) {
        out = {"false", "true"};
      } else {
        std::string rg = ValueOnLine(options, words, "resource_group");
        if (rg.empty()) {
          if (auto config = Configuration::Load(io.settings)) {
            auto d = config->Defaults();
            if (auto it = d.find("group"); it != d.end()) rg = it->second;
          }
        }
        const std::string list = ListCommandFor(value_of->dest, command->path);
        if (!list.empty() && (list == "group list" || !rg.empty())) out = Names(table, list, rg, io);
      }
    } else {
      for (const auto& o : options) {
        if (o.positional) continue;
        bool used = std::any_of(words.begin(), words.end() - 1, [&](const std::string& w) {
          return std::find(o.names.begin(), o.names.end(), w) != o.names.end();
        });
        if (used && !o.append) continue;
        for (const auto& n : o.names) out.push_back(n);
      }
    }
  }
  for (const auto& c : out) {
    if (c.starts_with(cur)) io.out << c << "\n";
  }
  return kExitOk;
}

void RegisterCompletionCommands(CommandTable& t) {
  t.AddGroup("completion", "Print a shell completion script.");
  t.AddCommand(
      {"completion bash",
       "Print the bash completion script: commands, flags and resource names.",
       {},
       [](CommandContext& ctx) -> Result<std::optional<Json>> {
         ctx.io().out << BashCompletionScript();
         return std::optional<Json>{};
       },
       {"source <(isthmus completion bash)", "isthmus completion bash > /etc/bash_completion.d/isthmus"}});
}

}  // namespace isthmus::cli
