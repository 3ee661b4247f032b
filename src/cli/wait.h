// az's `wait` commands (azure-cli's WaitCommandOperation): poll a resource's GET until a condition
// holds — --created / --updated (provisioningState Succeeded), --deleted (404), --exists (any answer),
// --custom JMESPATH (truthy, as Python sees it, on what `show` prints) — every --interval seconds
// (default 30) for at most --timeout seconds (default 3600).
//
// Outcomes, as az's: the condition holds → nothing printed, exit 0; provisioningState Failed → "The
// operation failed", exit 1; a 404 while waiting for --updated alone, or any other error → that error,
// exit 1; no condition given → az's "incorrect usage" error. The timeout keeps az's behaviour too
// (azure-cli issue #34004): it prints `{}` and exits 0 — with, unlike az, a warning on stderr.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cli/args.h"
#include "cli/context.h"
#include "cli/json.h"

namespace isthmus::cli {

std::vector<OptionSpec> WaitConditionOptions();
// A wait command's resource options followed by the wait conditions.
std::vector<OptionSpec> WithWaitConditions(std::vector<OptionSpec> own);

// The resource paths to wait for, one after the other (several with --ids); called once the
// conditions are known to be valid, so a bad --custom costs no request.
using WaitPaths = std::function<Result<std::vector<std::string>>(CommandContext&)>;

// `view` turns a GET's body into what `show` prints (where --custom is evaluated).
Result<std::optional<Json>> WaitFor(CommandContext& ctx, const WaitPaths& paths,
                                    const std::string& api_version,
                                    const std::function<Json(const Json&)>& view);

// WaitFor a network/compute command's targets (-g/-n or --ids); `suffix` is appended to each path.
Result<std::optional<Json>> WaitForTargets(CommandContext& ctx, const std::string& type,
                                           const std::string& provider, const std::string& api_version,
                                           const std::string& suffix = "");

}  // namespace isthmus::cli
