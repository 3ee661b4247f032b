// Building blocks shared by the commands_*.cc files: az's standard options and the generic
// show/list/delete/update-by-GET-then-PUT flows for Microsoft.Network resources.
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

OptionSpec ResourceGroupOption(bool required = true, bool id_part = true);
OptionSpec NameOption(std::string help, bool required = true);
OptionSpec LocationOption();
OptionSpec TagsOption();
OptionSpec NoWaitOption();
OptionSpec IdsOption();
OptionSpec YesOption();
// An update command's options plus az's generic update arguments (--set/--add/--remove/--force-string),
// which UpdateTargets applies.
std::vector<OptionSpec> WithGenericUpdate(std::vector<OptionSpec> own);

// An integer argument, with argparse's error for anything else.
Result<std::optional<long long>> IntArg(const ParsedArgs& args, const std::string& dest,
                                        const std::string& flag);

// az's view of one resource (see AzView), with any sharedKey removed whatever the server sent.
Json Display(const Json& arm);
Json DisplayList(const Json& list_response);

// show: one target → its view; several (--ids) → a list.
Result<std::optional<Json>> ShowTargets(CommandContext& ctx, const std::string& type,
                                        const std::string& parent_dest = "",
                                        const std::string& child_type = "");
// list: group scope with -g, else subscription scope.
Result<std::optional<Json>> ListResources(CommandContext& ctx, const std::string& type);
Result<std::optional<Json>> DeleteTargets(CommandContext& ctx, const std::string& type,
                                          const std::string& parent_dest = "",
                                          const std::string& child_type = "");

// POST of an ARM action with a result (getikesas, troubleshoot, connectivityCheck): isthmusd answers at
// once (200 and the result); Azure may accept it (202) and give the result at its Location once the
// operation ends, which is waited for and read.
Result<Json> PostAction(CommandContext& ctx, const std::string& path, const std::string& api_version,
                        const Json* body);

// Removes server-maintained fields before a GET result is PUT back (provisioningState, resourceGuid,
// etag, status and counters), so an update sends only what the user owns.
Json WithoutReadOnly(const Json& resource);

// update: GET each target, let `modify` change the ARM body, PUT it back (waiting unless --no-wait),
// and return the view of the result.
Result<std::optional<Json>> UpdateTargets(CommandContext& ctx, const std::string& type,
                                          const std::function<Status(CommandContext&, Json&)>& modify,
                                          const std::string& parent_dest = "",
                                          const std::string& child_type = "");

}  // namespace isthmus::cli
