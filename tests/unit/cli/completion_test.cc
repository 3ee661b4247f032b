// `isthmus completion bash` and the `__complete` call-back it makes, through RunCli.
#include <gtest/gtest.h>

#include "cli/errors.h"
#include "fake_transport.h"

namespace isthmus::cli {
namespace {

using testing::GroupUrlPath;

struct CompletionCli : ::testing::Test {
  std::vector<std::string> Candidates(std::vector<std::string> words) {
    words.insert(words.begin(), "__complete");
    EXPECT_EQ(h.Run(words), 0) << h.err.str();
    std::vector<std::string> out;
    std::istringstream lines(h.out.str());
    for (std::string l; std::getline(lines, l);) out.push_back(l);
    return out;
  }
  testing::Harness h;
};

TEST_F(CompletionCli, ScriptRegistersAFunctionThatCallsBack) {
  ASSERT_EQ(h.Run({"completion", "bash"}), 0) << h.err.str();
  EXPECT_NE(h.out.str().find("complete -o default -o nosort -F _isthmus_complete isthmus"),
            std::string::npos);
  EXPECT_NE(h.out.str().find("isthmus __complete \"${COMP_WORDS[@]:1:COMP_CWORD}\""), std::string::npos);
  EXPECT_TRUE(h.transport.requests.empty());
}

TEST_F(CompletionCli, CommandWords) {
  auto top = Candidates({""});
  for (const char* w : {"network", "group", "configure", "config", "version", "completion", "vm"}) {
    EXPECT_NE(std::find(top.begin(), top.end(), w), top.end()) << w;
  }
  EXPECT_EQ(Candidates({"network", "vnet-g"}), std::vector<std::string>{"vnet-gateway"});
  auto vnet = Candidates({"network", "vnet", ""});
  for (const char* w : {"create", "delete", "list", "show", "subnet", "update", "wait"}) {
    EXPECT_NE(std::find(vnet.begin(), vnet.end(), w), vnet.end()) << w;
  }
  EXPECT_TRUE(Candidates({"network", "nosuch", ""}).empty());
}

TEST_F(CompletionCli, FlagsOfTheCommandAndGlobalsNotYetUsed) {
  auto flags = Candidates({"network", "vnet", "update", "-g", "RG1", "--"});
  for (const char* f : {"--name", "--set", "--add", "--remove", "--force-string", "--query", "--output"}) {
    EXPECT_NE(std::find(flags.begin(), flags.end(), f), flags.end()) << f;
  }
  EXPECT_EQ(std::find(flags.begin(), flags.end(), "--resource-group"), flags.end());  // already given (-g)
  EXPECT_EQ(Candidates({"network", "vnet-gateway", "wait", "--cr"}), std::vector<std::string>{"--created"});
}

TEST_F(CompletionCli, ChoicesAndResourceNames) {
  EXPECT_EQ(Candidates({"network", "vnet", "list", "-o", "y"}), (std::vector<std::string>{"yaml", "yamlc"}));
  h.transport.On(std::string("GET /subscriptions/") + testing::kSub + "/resourcegroups", 200,
                 {{"value", Json::array({{{"name", "RG1"}}, {{"name", "RG2"}}})}});
  auto groups = Candidates({"network", "vnet", "show", "-g", ""});
  EXPECT_EQ(groups, (std::vector<std::string>{"RG1", "RG2"})) << h.err.str();
  h.transport.On(
      "GET " + GroupUrlPath("RG1") + "/providers/Microsoft.Network/virtualNetworks", 200,
      {{"value", Json::array({{{"name", "VNet1"}, {"id", "x"}}, {{"name", "Other"}, {"id", "y"}}})}});
  EXPECT_EQ(Candidates({"network", "vnet", "show", "-g", "RG1", "-n", "V"}),
            std::vector<std::string>{"VNet1"});
  EXPECT_EQ(Candidates({"network", "vnet", "subnet", "list", "-g", "RG1", "--vnet-name", ""}),
            (std::vector<std::string>{"VNet1", "Other"}));
  // No daemon: no names, and no error either.
  h.transport.refuse = true;
  EXPECT_TRUE(Candidates({"network", "vnet", "show", "-g", "RG1", "-n", ""}).empty());
}

}  // namespace
}  // namespace isthmus::cli
