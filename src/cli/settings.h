// Where the CLI finds isthmusd, its token, and the user's selected subscription
// (docs/rest-api.md "Connecting"; docs/cli.md "Configuration").
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "base/result.h"

namespace isthmus::cli {

struct Settings {
  std::string endpoint = "https://127.0.0.1:7480";  // ISTHMUS_ENDPOINT
  std::string ca_bundle;                       // ISTHMUS_CA_BUNDLE; else <state_dir>/tls/ca.pem if it exists
  std::optional<std::string> token;            // ISTHMUS_TOKEN; else <state_dir>/token
  std::string state_dir = "/var/lib/isthmus";  // ISTHMUS_STATE_DIR
  std::string config_dir;                      // ISTHMUS_CONFIG_DIR; else $HOME/.isthmus
  std::chrono::seconds wait_timeout{1800};     // ISTHMUS_WAIT_TIMEOUT (seconds), for --no-wait-less LROs
  std::string working_dir;                     // where local configuration files are looked for
  // Every ISTHMUS_* environment variable, for ISTHMUS_<SECTION>_<OPTION> configuration overrides.
  std::map<std::string, std::string> config_env;

  // `getenv` is injected so tests need not touch the process environment.
  static Settings FromEnvironment(const std::function<const char*(const char*)>& getenv);
  // The ISTHMUS_* entries of a `NAME=value` environment block (environ).
  static std::map<std::string, std::string> IsthmusVariables(char** environment);
};

// The bearer token: ISTHMUS_TOKEN, else the first line of <state_dir>/token. The error names the file
// and the reason (missing, permission denied) and how to fix it.
Result<std::string> LoadToken(const Settings& s);

// The subscription chosen with `account set`, from <config_dir>/config.json; nullopt if none.
Result<std::optional<std::string>> LoadSelectedSubscription(const Settings& s);
Status SaveSelectedSubscription(const Settings& s, const std::string& subscription_id);

}  // namespace isthmus::cli
