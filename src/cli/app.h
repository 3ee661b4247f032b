// One `isthmus ...` invocation, start to finish: find the command, parse its arguments, run it, apply
// --query and --output, and turn failures into az's messages and exit codes.
#pragma once

#include <string>
#include <vector>

#include "cli/context.h"

namespace isthmus::cli {

inline constexpr char kCliVersion[] = "0.1.0";

// `args` excludes the program name. Returns the process exit code: 0 ok, 1 error, 2 usage error.
int RunCli(const std::vector<std::string>& args, AppIo& io);

}  // namespace isthmus::cli
