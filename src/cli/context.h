// What a command handler sees: its parsed arguments, a lazily created ArmClient, the subscription in
// effect, and helpers for the patterns every az command shares (location defaults, --ids, --no-wait,
// long-running operations).
#pragma once

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "cli/args.h"
#include "cli/arm_client.h"
#include "cli/json.h"
#include "cli/resource_id.h"
#include "cli/settings.h"
#include "cli/transport.h"

namespace isthmus::cli {

// Everything the CLI touches outside itself, injected so tests run it whole with fakes.
struct AppIo {
  std::ostream& out;
  std::ostream& err;
  std::istream& in;
  Transport& transport;
  const Clock& clock;
  Sleeper& sleeper;
  Settings settings;
  // stdout and stderr are both terminals: only then do jsonc and yamlc colour (az's rule).
  bool terminal = false;
};

class CommandContext {
 public:
  CommandContext(AppIo& io, const ParsedArgs& args) : io_(io), args_(args) {}

  const ParsedArgs& args() const { return args_; }
  AppIo& io() { return io_; }

  // Created on first use, so `--help` and usage errors need neither a token nor a daemon.
  Result<ArmClient*> Client();

  // --subscription (name or id), else the one saved by `account set`, else the server's default.
  Result<std::string> Subscription();

  // -l/--location if given, else the resource group's location (az's default for new resources).
  Result<std::string> Location(const std::string& resource_group);

  // The resources a show/update/delete command acts on: from --ids, or one from -g/-n (plus the parent
  // name option `parent_dest`, e.g. "vnet_name", for child resources). `type` is the ARM type.
  Result<std::vector<ResourceId>> Targets(const std::string& type, const std::string& parent_dest = "",
                                          const std::string& child_type = "",
                                          const std::string& provider = "Microsoft.Network");

  // PUT/POST/DELETE that may be long-running. With --no-wait an accepted operation returns nullopt.
  // Otherwise waits, then GETs `result_path` (when non-empty) and returns it; a synchronous answer
  // returns the response body.
  Result<std::optional<Json>> LongRunning(const std::string& method, const std::string& path,
                                          const std::string& api_version, const Json* body,
                                          const std::string& result_path);

  bool NoWait() const { return args_.Flag("no_wait"); }

 private:
  AppIo& io_;
  const ParsedArgs& args_;
  std::unique_ptr<ArmClient> client_;
  std::optional<std::string> subscription_;
};

// "k1=v1 k2" → {"k1":"v1","k2":""}; a single "" → {} (az's way to clear tags).
Json ParseTags(const std::vector<std::string>& items);

// The resource path for a target from Targets().
std::string PathOf(const ResourceId& id);

}  // namespace isthmus::cli
