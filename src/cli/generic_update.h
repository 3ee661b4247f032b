// az's generic update arguments, which every `update` command takes (azure-cli's
// GenericUpdateCommandOperation): --set PATH=VALUE ..., --add LIST_PATH VALUE|KEY=VALUE ...,
// --remove PATH [INDEX], --force-string. They are applied in the order typed, after the command's own
// flags, to the resource as GET returned it, before it is PUT back.
//
// Paths are az's: dotted names as az prints the resource (`properties` flattened: `addressSpace`,
// `subnets[0].addressPrefix`), list indexes `[n]` (negative too) and `[key=value]` filters. Values are
// JSON when they parse (`--set tags.n=10` sets a number) unless --force-string. Errors are az's
// (`Couldn't find 'x' in 'a.b'. Available options: [...]`, `index 5 doesn't exist on subnets`), and an
// error leaves the resource unsent.
#pragma once

#include <vector>

#include "base/result.h"
#include "cli/args.h"
#include "cli/json.h"

namespace isthmus::cli {

std::vector<OptionSpec> GenericUpdateOptions();

// `resource` is an ARM body (with `properties`), changed in place; on error it may be half-changed and
// must not be sent.
Status ApplyGenericUpdates(const ParsedArgs& args, Json& resource);

}  // namespace isthmus::cli
