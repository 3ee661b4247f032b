// The user's configuration, kept as az keeps ~/.azure/config: an INI file `<config dir>/config`
// (~/.isthmus/config), read and written as Python's configparser does, where `isthmus configure
// --defaults` and `isthmus config set` write. As in az (knack's CLIConfig):
//   - an environment variable ISTHMUS_<SECTION>_<OPTION> (e.g. ISTHMUS_DEFAULTS_GROUP) overrides the
//     files;
//   - with `[core] use_local_config = true`, or for `--scope local`/`--local`, files named
//     `<cwd or a parent>/.isthmus/config` come first, nearest first (the directory's name is the config
//     directory's own, so ISTHMUS_CONFIG_DIR=/x/cfg looks for `cfg/config` above the working directory).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "cli/settings.h"

namespace isthmus::cli {

// One INI file. Option names are case-insensitive (stored lower-case), section names are not;
// comments are dropped when the file is written, as configparser drops them.
class IniFile {
 public:
  // A missing file is an empty one; an unreadable or malformed one is an error naming the file.
  static Result<IniFile> Load(std::string path);

  const std::string& path() const { return path_; }
  std::vector<std::string> Sections() const;
  std::optional<std::string> Get(const std::string& section, const std::string& option) const;
  std::vector<std::pair<std::string, std::string>> Items(const std::string& section) const;
  void Set(const std::string& section, const std::string& option, const std::string& value);
  bool Remove(const std::string& section, const std::string& option);
  // Creates the directory (mode 0700, as az's) and replaces the file atomically.
  Status Save() const;

  std::string Render() const;

 private:
  std::string path_;
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> sections_;
};

struct ConfigEntry {
  std::string name;
  std::string value;
  std::string source;  // the file, or the environment variable's name
};

class Configuration {
 public:
  // `local` forces the local files into the chain (--scope local, --local), as az's ScopedConfig.
  static Result<Configuration> Load(const Settings& s, bool local = false);

  std::optional<ConfigEntry> Get(const std::string& section, const std::string& option) const;
  // Environment entries first, then each file's in chain order; a name appears once.
  std::vector<ConfigEntry> Items(const std::string& section) const;
  std::vector<std::string> Sections() const;
  bool GetBool(const std::string& section, const std::string& option, bool fallback) const;

  // Writes to the working directory's local file when the chain is local, else to the global file.
  Status Set(const std::string& section, const std::string& option, const std::string& value);
  // Removes the option from the first file of the chain that has it.
  Status Unset(const std::string& section, const std::string& option);

  // `[defaults]` with non-empty values: what fills -g (group) and -l (location) when they are left out.
  std::map<std::string, std::string> Defaults() const;

 private:
  std::vector<IniFile> ActiveFiles() const;

  std::map<std::string, std::string> env_;  // Settings::config_env
  std::string global_dir_;
  std::string working_dir_;
  std::vector<IniFile> files_;  // local files nearest first, the global file last
  bool use_local_ = false;
};

}  // namespace isthmus::cli
