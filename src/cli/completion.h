// `isthmus completion bash`: a bash completion script, and the hidden `isthmus __complete WORD...`
// it calls back, which answers from the command table itself — command words, flags (a command's and
// the global ones), enum choices, and resource names from the daemon (`-g` → group names, `-n` → names
// from the command group's `list` in the -g given or configured, `--vnet-name` → VNet names).
#pragma once

#include <string>
#include <vector>

#include "cli/command_table.h"
#include "cli/context.h"

namespace isthmus::cli {

// The script `completion bash` prints; `source <(isthmus completion bash)` in ~/.bashrc.
std::string BashCompletionScript();

// Prints the candidates for the last of `words` (the words after `isthmus`, the last one being
// completed, possibly empty), one per line. Failures to reach the daemon give no names, never an error.
int Complete(const CommandTable& table, const std::vector<std::string>& words, AppIo& io);

void RegisterCompletionCommands(CommandTable& t);

}  // namespace isthmus::cli
