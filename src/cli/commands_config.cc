// `configure`, `config get|set|unset` and `version`: the CLI's own state, no daemon involved.
#include <string>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/command_table.h"
#include "cli/config.h"
#include "cli/context.h"
#include "cli/errors.h"

namespace isthmus::cli {

namespace {

// az's _normalize_config_value: '' or "" typed on a shell that kept the quotes means empty.
std::string NormalizedValue(const std::string& v) {
  return v == "''" || v == "\"\"" ? "" : v;
}

Json EntryJson(const ConfigEntry& e) {
  return {{"name", e.name}, {"source", e.source}, {"value", e.value}};
}

Json EntriesJson(const std::vector<ConfigEntry>& entries, bool skip_empty) {
  Json out = Json::array();
  for (const auto& e : entries) {
    if (!skip_empty || !e.value.empty()) out.push_back(EntryJson(e));
  }
  return out;
}

bool LocalScope(CommandContext& ctx) {
  return ctx.args().GetOr("scope", "global") == "local" || ctx.args().Flag("local");
}

Result<std::optional<Json>> Configure(CommandContext& ctx) {
  const auto& a = ctx.args();
  auto config = Configuration::Load(ctx.io().settings, LocalScope(ctx));
  if (!config) return Fail(config.error());
  if (a.Has("defaults")) {
    // Everything is checked before anything is written: a bad pair leaves the file as it was.
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& d : a.GetList("defaults")) {
      auto eq = d.find('=');
      if (eq == std::string::npos)
        return Fail(ClientError("usage error: --defaults STRING=STRING STRING=STRING ..."));
      pairs.emplace_back(d.substr(0, eq), NormalizedValue(d.substr(eq + 1)));
    }
    for (const auto& [name, value] : pairs) {
      if (auto s = config->Set("defaults", name, value); !s) return Fail(s.error());
    }
    return std::optional<Json>{};
  }
  if (a.Flag("list_defaults")) return std::optional<Json>(EntriesJson(config->Items("defaults"), true));
  return Fail(UsageError(
      "isthmus configure is not interactive: give --defaults NAME=VALUE ... or --list-defaults (see "
      "`isthmus configure --help`)"));
}

// "section.name" → {section, name}; a key without a dot is a usage error, in az's words.
Result<std::pair<std::string, std::string>> SplitKey(const std::string& key, const char* usage) {
  auto dot = key.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == key.size()) return Fail(ClientError(usage));
  return std::pair{key.substr(0, dot), key.substr(dot + 1)};
}

Result<std::optional<Json>> ConfigSet(CommandContext& ctx) {
  auto config = Configuration::Load(ctx.io().settings, LocalScope(ctx));
  if (!config) return Fail(config.error());
  struct Change {
    std::string section, name, value;
  };
  std::vector<Change> changes;
  for (const auto& kv : ctx.args().GetList("key_value")) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) return Fail(ClientError("usage error: [section].[name]=[value] ..."));
    auto key = SplitKey(kv.substr(0, eq), "usage error: [section].[name]=[value] ...");
    if (!key) return Fail(key.error());
    changes.push_back({key->first, key->second, NormalizedValue(kv.substr(eq + 1))});
  }
  for (const auto& c : changes) {
    if (auto s = config->Set(c.section, c.name, c.value); !s) return Fail(s.error());
  }
  return std::optional<Json>{};
}

Result<std::optional<Json>> ConfigGet(CommandContext& ctx) {
  auto config = Configuration::Load(ctx.io().settings, LocalScope(ctx));
  if (!config) return Fail(config.error());
  auto key = ctx.args().Get("key");
  if (!key) {
    Json all = Json::object();
    for (const auto& s : config->Sections()) all[s] = EntriesJson(config->Items(s), false);
    return std::optional<Json>(all);
  }
  auto dot = key->find('.');
  if (dot == std::string::npos) return std::optional<Json>(EntriesJson(config->Items(*key), false));
  const std::string section = key->substr(0, dot), name = key->substr(dot + 1);
  for (const auto& e : config->Items(section)) {
    if (e.name == name) return std::optional<Json>(EntryJson(e));
  }
  return Fail(ClientError(fmt::format("Configuration '{}' is not set.", *key)));
}

Result<std::optional<Json>> ConfigUnset(CommandContext& ctx) {
  auto config = Configuration::Load(ctx.io().settings, LocalScope(ctx));
  if (!config) return Fail(config.error());
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& k : ctx.args().GetList("key")) {
    auto key = SplitKey(k, "usage error: [section].[name]");
    if (!key) return Fail(key.error());
    keys.push_back(*key);
  }
  for (const auto& [section, name] : keys) {
    if (auto s = config->Unset(section, name); !s) return Fail(s.error());
  }
  return std::optional<Json>{};
}

Result<std::optional<Json>> Version(CommandContext&) {
  // az version's shape: the CLI, its core, and installed extensions (there are none).
  return std::optional<Json>(
      Json{{"isthmus-cli", kCliVersion}, {"isthmus-cli-core", kCliVersion}, {"extensions", Json::object()}});
}

OptionSpec LocalOption(std::string help) {
  return {"local", {"--local"}, std::move(help), ArgKind::kFlag};
}

}  // namespace

std::string VersionText(const Settings& settings) {
  // az --version's layout: name padded to 33 columns, then the version right-aligned in 6.
  auto row = [](const std::string& name, const std::string& version) {
    return fmt::format("{:<33} {:>6}\n", name, version);
  };
  std::string out = row("isthmus-cli", kCliVersion) + "\n" + row("core", kCliVersion) + "\n";
  out += "Dependencies:\n";
  out += row("fmt", fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100));
  out += row("nlohmann-json", ISTHMUS_NLOHMANN_JSON_VERSION);
  out += row("cpp-httplib", ISTHMUS_HTTPLIB_VERSION);
  out += row("yaml-cpp", ISTHMUS_YAML_CPP_VERSION);
  out += fmt::format("\nConfiguration directory '{}'\n", settings.config_dir);
  out += fmt::format("Endpoint '{}'\n", settings.endpoint);
  return out;
}

void RegisterConfigCommands(CommandTable& t) {
  t.AddCommand(
      {"configure",
       "Manage the CLI's configuration: defaults for -g/--resource-group and -l/--location.",
       {{"defaults",
         {"--defaults", "-d"},
         "Space-separated 'name=value' pairs for common argument defaults (group, location). Use 'name=' to "
         "clear one.",
         ArgKind::kList},
        {"list_defaults", {"--list-defaults", "-l"}, "List the defaults in effect.", ArgKind::kBool},
        {"scope",
         {"--scope"},
         "Scope of defaults: 'local' is the working directory's .isthmus/config, for commands run from there "
         "(with core.use_local_config).",
         ArgKind::kValue,
         false,
         {"global", "local"},
         "global"}},
       Configure,
       {"isthmus configure --defaults group=TestRG1 location=eastus", "isthmus configure --list-defaults",
        "isthmus configure --defaults group= (clears the default group)"}});

  t.AddGroup("config", "Manage the CLI's configuration file (~/.isthmus/config).");
  {
    OptionSpec kv{"key_value",
                  {"KEY=VALUE"},
                  "Space-separated configurations: <section>.<key>=<value>.",
                  ArgKind::kList,
                  true};
    kv.positional = true;
    t.AddCommand({"config set",
                  "Set configurations.",
                  {kv, LocalOption("Set as a local configuration in the working directory.")},
                  ConfigSet,
                  {"isthmus config set defaults.group=TestRG1", "isthmus config set core.no_color=true"}});
  }
  {
    OptionSpec key{
        "key", {"KEY"}, "The configuration to get: <section> or <section>.<key>; all if left out."};
    key.positional = true;
    t.AddCommand(
        {"config get",
         "Get configurations.",
         {key, LocalOption("Include local configuration (the working directory's).")},
         ConfigGet,
         {"isthmus config get defaults.group", "isthmus config get defaults", "isthmus config get"}});
  }
  {
    OptionSpec key{"key", {"KEY"}, "The configurations to unset: <section>.<key> ...", ArgKind::kList, true};
    key.positional = true;
    t.AddCommand({"config unset",
                  "Unset configurations.",
                  {key, LocalOption("Unset the local configuration (the working directory's).")},
                  ConfigUnset,
                  {"isthmus config unset defaults.group"}});
  }
  t.AddCommand({"version", "Show the versions of the CLI and its core.", {}, Version, {"isthmus version"}});
}

}  // namespace isthmus::cli
