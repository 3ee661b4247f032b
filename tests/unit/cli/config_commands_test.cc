// `configure`, `config get|set|unset`, `version`, configured defaults for -g/-l, and output colouring,
// through RunCli with a fake transport and a private configuration directory.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cli/errors.h"
#include "fake_transport.h"

namespace isthmus::cli {
namespace {

namespace fs = std::filesystem;
using testing::GroupUrlPath;
using testing::NetPath;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

struct ConfigCli : ::testing::Test {
  void SetUp() override {
    root = fs::temp_directory_path() / ("isthmus-config-test-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root);
    fs::create_directories(root / "work" / "sub");
    h.settings.config_dir = (root / "home" / ".isthmus").string();
    h.settings.working_dir = (root / "work" / "sub").string();
  }
  void TearDown() override { fs::remove_all(root); }
  fs::path ConfigFile() const { return fs::path(h.settings.config_dir) / "config"; }
  Json Vnet(const std::string& rg, const std::string& name) {
    return {{"id", NetPath(rg, "virtualNetworks", name)},
            {"name", name},
            {"type", "Microsoft.Network/virtualNetworks"},
            {"location", "eastus"},
            {"properties", {{"provisioningState", "Succeeded"}}}};
  }

  fs::path root;
  testing::Harness h;
};

TEST_F(ConfigCli, ConfigureDefaultsWritesAzsIniAndListsThem) {
  ASSERT_EQ(h.Run({"configure", "--defaults", "group=RG1", "location=eastus"}), 0) << h.err.str();
  EXPECT_EQ(h.out.str(), "");
  EXPECT_EQ(ReadFile(ConfigFile()), "[defaults]\ngroup = RG1\nlocation = eastus\n\n");
  ASSERT_EQ(h.Run({"configure", "--list-defaults"}), 0) << h.err.str();
  EXPECT_EQ(h.OutJson(), Json::parse(fmt::format(R"([{{"name":"group","source":"{0}","value":"RG1"}},
                                                    {{"name":"location","source":"{0}","value":"eastus"}}])",
                                                 ConfigFile().string())));
  // Clearing one (name=) leaves it out of the list, as az does.
  ASSERT_EQ(h.Run({"configure", "--defaults", "location="}), 0);
  ASSERT_EQ(h.Run({"configure", "-l", "--query", "[].name", "-o", "tsv"}), 0);
  EXPECT_EQ(h.out.str(), "group\n");
}

TEST_F(ConfigCli, BadDefaultsPairChangesNothing) {
  ASSERT_EQ(h.Run({"configure", "--defaults", "group=RG1"}), 0);
  EXPECT_EQ(h.Run({"configure", "--defaults", "location=eastus", "group"}), kExitError);
  EXPECT_EQ(h.err.str(), "ERROR: usage error: --defaults STRING=STRING STRING=STRING ...\n");
  EXPECT_EQ(ReadFile(ConfigFile()), "[defaults]\ngroup = RG1\n\n");
}

TEST_F(ConfigCli, DefaultGroupAndLocationFillLeftOutFlagsAndExplicitFlagsWin) {
  ASSERT_EQ(h.Run({"configure", "--defaults", "group=RG1", "location=eastus"}), 0);
  const std::string path = NetPath("RG1", "virtualNetworks", "V");
  h.transport.On("PUT " + path, 201, Vnet("RG1", "V"));
  ASSERT_EQ(h.Run({"network", "vnet", "create", "-n", "V"}), 0) << h.err.str();
  auto sent = h.transport.Sent("PUT " + path);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(Json::parse(sent[0].body)["location"], "eastus");
  EXPECT_TRUE(h.transport.Sent("GET " + GroupUrlPath("RG1")).empty());  // the configured location is used

  const std::string other = NetPath("RG2", "virtualNetworks", "V");
  h.transport.On("PUT " + other, 201, Vnet("RG2", "V"));
  ASSERT_EQ(h.Run({"network", "vnet", "create", "-g", "RG2", "-n", "V", "-l", "westus"}), 0) << h.err.str();
  auto sent2 = h.transport.Sent("PUT " + other);
  ASSERT_EQ(sent2.size(), 1u);
  EXPECT_EQ(Json::parse(sent2[0].body)["location"], "westus");
  EXPECT_EQ(h.transport.Sent("PUT " + path).size(), 1u);  // nothing more went to the default group

  // `list` without -g is scoped to the default group, as in az.
  h.transport.On("GET " + GroupUrlPath("RG1") + "/providers/Microsoft.Network/virtualNetworks", 200,
                 {{"value", Json::array({Vnet("RG1", "V")})}});
  ASSERT_EQ(h.Run({"network", "vnet", "list", "--query", "[].resourceGroup", "-o", "tsv"}), 0) << h.err.str();
  EXPECT_EQ(h.out.str(), "RG1\n");
  // group commands take the default group as their --name.
  h.transport.On("GET " + GroupUrlPath("RG1"), 200, {{"name", "RG1"}, {"location", "eastus"}});
  ASSERT_EQ(h.Run({"group", "show", "--query", "name", "-o", "tsv"}), 0) << h.err.str();
  EXPECT_EQ(h.out.str(), "RG1\n");
}

TEST_F(ConfigCli, WithoutDefaultsGroupIsStillRequired) {
  EXPECT_EQ(h.Run({"network", "vnet", "create", "-n", "V"}), kExitUsage);
  EXPECT_NE(h.err.str().find("the following arguments are required: --resource-group/-g"), std::string::npos);
  EXPECT_TRUE(h.transport.requests.empty());
}

TEST_F(ConfigCli, EnvironmentOverridesTheFile) {
  ASSERT_EQ(h.Run({"configure", "--defaults", "group=RG1"}), 0);
  h.settings.config_env["ISTHMUS_DEFAULTS_GROUP"] = "RG2";
  ASSERT_EQ(h.Run({"config", "get", "defaults.group"}), 0) << h.err.str();
  EXPECT_EQ(h.OutJson(), Json::parse(R"({"name":"group","source":"ISTHMUS_DEFAULTS_GROUP","value":"RG2"})"));
  const std::string path = NetPath("RG2", "virtualNetworks", "V");
  h.transport.On("GET " + path, 200, Vnet("RG2", "V"));
  ASSERT_EQ(h.Run({"network", "vnet", "show", "-n", "V", "--query", "resourceGroup", "-o", "tsv"}), 0)
      << h.err.str();
  EXPECT_EQ(h.out.str(), "RG2\n");
}

TEST_F(ConfigCli, ConfigSetGetUnset) {
  ASSERT_EQ(h.Run({"config", "set", "defaults.group=RG1", "core.no_color=true"}), 0) << h.err.str();
  EXPECT_EQ(ReadFile(ConfigFile()), "[defaults]\ngroup = RG1\n\n[core]\nno_color = true\n\n");
  ASSERT_EQ(h.Run({"config", "get"}), 0) << h.err.str();
  const std::string src = ConfigFile().string();
  EXPECT_EQ(
      SortedKeys(h.OutJson()),
      SortedKeys(Json::parse(fmt::format(R"({{"defaults":[{{"name":"group","source":"{0}","value":"RG1"}}],
                                                   "core":[{{"name":"no_color","source":"{0}","value":"true"}}]}})",
                                         src))));
  ASSERT_EQ(h.Run({"config", "get", "core"}), 0);
  EXPECT_EQ(h.OutJson().size(), 1u);
  ASSERT_EQ(h.Run({"config", "unset", "defaults.group"}), 0) << h.err.str();
  EXPECT_EQ(h.Run({"config", "get", "defaults.group"}), kExitError);
  EXPECT_EQ(h.err.str(), "ERROR: Configuration 'defaults.group' is not set.\n");
  // Malformed keys are az's usage errors, and nothing is written.
  const std::string before = ReadFile(ConfigFile());
  EXPECT_EQ(h.Run({"config", "set", "core.x=1", "nosection=1"}), kExitError);
  EXPECT_EQ(h.err.str(), "ERROR: usage error: [section].[name]=[value] ...\n");
  EXPECT_EQ(h.Run({"config", "unset", "nosection"}), kExitError);
  EXPECT_EQ(h.err.str(), "ERROR: usage error: [section].[name]\n");
  EXPECT_EQ(ReadFile(ConfigFile()), before);
  EXPECT_EQ(h.Run({"config", "set"}), kExitUsage);
  EXPECT_NE(h.err.str().find("the following arguments are required: key_value"), std::string::npos);
}

TEST_F(ConfigCli, LocalScopeIsReadOnlyWithUseLocalConfig) {
  ASSERT_EQ(h.Run({"configure", "--defaults", "group=GLOBAL"}), 0);
  ASSERT_EQ(h.Run({"configure", "--defaults", "group=LOCAL", "--scope", "local"}), 0) << h.err.str();
  const fs::path local = root / "work" / "sub" / ".isthmus" / "config";
  EXPECT_EQ(ReadFile(local), "[defaults]\ngroup = LOCAL\n\n");
  ASSERT_EQ(h.Run({"configure", "-l", "--scope", "local", "--query", "[0].value", "-o", "tsv"}), 0);
  EXPECT_EQ(h.out.str(), "LOCAL\n");
  ASSERT_EQ(h.Run({"configure", "-l", "--query", "[0].value", "-o", "tsv"}), 0);
  EXPECT_EQ(h.out.str(), "GLOBAL\n");  // commands see the local file only with core.use_local_config
  ASSERT_EQ(h.Run({"config", "set", "core.use_local_config=true"}), 0);
  // A file in a parent directory counts too; the nearest wins.
  h.settings.working_dir = (root / "work" / "sub" / "deeper").string();
  fs::create_directories(h.settings.working_dir);
  ASSERT_EQ(h.Run({"config", "get", "defaults.group", "--query", "value", "-o", "tsv"}), 0) << h.err.str();
  EXPECT_EQ(h.out.str(), "LOCAL\n");
}

TEST_F(ConfigCli, MalformedConfigFileIsReportedWithItsName) {
  fs::create_directories(ConfigFile().parent_path());
  std::ofstream(ConfigFile()) << "group = RG1\n";
  EXPECT_EQ(h.Run({"network", "vnet", "list"}), kExitError);
  EXPECT_NE(h.err.str().find(ConfigFile().string() + " line 1"), std::string::npos) << h.err.str();
  EXPECT_TRUE(h.transport.requests.empty());
}

TEST_F(ConfigCli, VersionInAzsShapes) {
  ASSERT_EQ(h.Run({"version"}), 0) << h.err.str();
  EXPECT_EQ(h.OutJson(),
            Json::parse(R"({"extensions":{},"isthmus-cli":"0.1.0","isthmus-cli-core":"0.1.0"})"));
  ASSERT_EQ(h.Run({"--version"}), 0);
  const std::string text = h.out.str();
  EXPECT_TRUE(text.starts_with(
      "isthmus-cli                        0.1.0\n\ncore                               0.1.0\n"))
      << text;
  EXPECT_NE(text.find("\nDependencies:\n"), std::string::npos);
  EXPECT_NE(text.find("\nyaml-cpp "), std::string::npos);
  EXPECT_TRUE(h.transport.requests.empty());
}

TEST_F(ConfigCli, ColourOnlyOnATerminalAndNotWithNoColor) {
  ASSERT_EQ(h.Run({"version", "-o", "jsonc"}), 0);
  EXPECT_EQ(h.out.str().find('\x1b'), std::string::npos);
  ASSERT_EQ(h.Run({"version", "-o", "yamlc"}), 0);
  EXPECT_EQ(h.out.str(), "extensions: {}\nisthmus-cli: 0.1.0\nisthmus-cli-core: 0.1.0\n");
  h.terminal = true;
  ASSERT_EQ(h.Run({"version", "-o", "jsonc"}), 0);
  EXPECT_NE(h.out.str().find('\x1b'), std::string::npos);
  ASSERT_EQ(h.Run({"version", "-o", "yamlc"}), 0);
  EXPECT_NE(h.out.str().find('\x1b'), std::string::npos);
  ASSERT_EQ(h.Run({"version", "-o", "yaml"}), 0);
  EXPECT_EQ(h.out.str().find('\x1b'), std::string::npos);
  ASSERT_EQ(h.Run({"config", "set", "core.no_color=yes"}), 0);
  ASSERT_EQ(h.Run({"version", "-o", "jsonc"}), 0);
  EXPECT_EQ(h.out.str().find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace isthmus::cli
