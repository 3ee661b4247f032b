// `fabric impairment set|show|list|clear` through RunCli against a fake transport: the path and body
// sent, the table's columns, and bad flags refused before any request.
#include <gtest/gtest.h>

#include "cli/errors.h"
#include "fake_transport.h"

namespace isthmus::cli {
namespace {

using testing::Harness;
using testing::kSub;

std::string ImpairmentsPath(const std::string& tail = "") {
  return std::string("/subscriptions/") + kSub + "/providers/Isthmus.Fabric/impairments" + tail;
}

Json Impairment(const std::string& a, const std::string& b, double rtt, double loss) {
  return {{"id", ImpairmentsPath("/" + a + "/" + b)},
          {"type", "Isthmus.Fabric/impairments"},
          {"name", a + "/" + b},
          {"properties",
           {{"regionA", a},
            {"regionB", b},
            {"roundTripMs", rtt},
            {"roundTripSource", "Microsoft P50"},
            {"jitterMs", 0},
            {"lossPercent", loss},
            {"reorderPercent", 0},
            {"duplicatePercent", 0}}}};
}

struct FabricCli : ::testing::Test {
  std::size_t FabricRequests() const {
    std::size_t n = 0;
    for (const auto& r : h.transport.requests) n += r.url.find("Isthmus.Fabric") != std::string::npos;
    return n;
  }
  Harness h;
};

TEST_F(FabricCli, SetSendsTheProfileGivenAndNothingElse) {
  const std::string put = "PUT " + ImpairmentsPath("/eastus/westus");
  h.transport.On(put, 200, Impairment("eastus", "westus", 64, 5));
  ASSERT_EQ(h.Run({"fabric", "impairment", "set", "--regions", "eastus", "westus", "--loss", "5", "--reorder",
                   "0.5", "--query", "properties.roundTripMs", "-o", "tsv"}),
            0)
      << h.err.str();
  EXPECT_EQ(h.out.str(), "64.0\n");
  auto sent = h.transport.Sent(put);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(Json::parse(sent[0].body),
            Json::parse(R"({"properties": {"lossPercent": 5.0, "reorderPercent": 0.5}})"));
  EXPECT_NE(sent[0].url.find("api-version=2024-01-01"), std::string::npos);

  h.transport.On(put, 200, Impairment("eastus", "westus", 150, 0));
  ASSERT_EQ(h.Run({"fabric", "impairment", "set", "--regions", "eastus", "westus", "--round-trip-ms", "150",
                   "--jitter-ms", "2", "--duplicate", "1"}),
            0)
      << h.err.str();
  sent = h.transport.Sent(put);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(
      Json::parse(sent[1].body),
      Json::parse(R"({"properties": {"roundTripMs": 150.0, "jitterMs": 2.0, "duplicatePercent": 1.0}})"));
}

TEST_F(FabricCli, BadFlagsAreRefusedBeforeAnyRequest) {
  const std::vector<std::vector<std::string>> bad = {
      {"fabric", "impairment", "set", "--regions", "eastus"},
      {"fabric", "impairment", "set", "--regions", "eastus", "westus", "japaneast"},
      {"fabric", "impairment", "set", "--regions", "eastus", "west/us"},
      {"fabric", "impairment", "set", "--regions", "eastus", "westus", "--loss", "abc"},
      {"fabric", "impairment", "set", "--regions", "eastus", "westus", "--loss", "nan"},
      {"fabric", "impairment", "set", "--regions", "eastus", "westus", "--round-trip-ms", "5ms"},
      {"fabric", "impairment", "set", "--loss", "1"},
      {"fabric", "impairment", "clear"},
  };
  for (const auto& args : bad) {
    h.err.str("");
    EXPECT_EQ(h.Run(args), kExitUsage) << ::testing::PrintToString(args);
    EXPECT_FALSE(h.err.str().empty());
  }
  EXPECT_EQ(FabricRequests(), 0u);
}

TEST_F(FabricCli, ServerErrorsAreShownAsTheyCame) {
  h.transport.On("PUT " + ImpairmentsPath("/eastus/eastus"), 400,
                 {{"error",
                   {{"code", "InvalidImpairment"},
                    {"message",
                     "There is no published round trip between eastus and eastus: give "
                     "properties.roundTripMs (--round-trip-ms)."}}}});
  EXPECT_EQ(h.Run({"fabric", "impairment", "set", "--regions", "eastus", "eastus"}), kExitError);
  EXPECT_NE(h.err.str().find("(InvalidImpairment)"), std::string::npos) << h.err.str();
  EXPECT_NE(h.err.str().find("--round-trip-ms"), std::string::npos) << h.err.str();
}

TEST_F(FabricCli, ListShowAndClear) {
  h.transport.On(
      "GET " + ImpairmentsPath(), 200,
      {{"value", {Impairment("eastus", "westus", 64, 0), Impairment("eastus", "japaneast", 156, 1)}}});
  ASSERT_EQ(h.Run({"fabric", "impairment", "list", "-o", "table"}), 0) << h.err.str();
  const std::string table = h.out.str();
  for (const char* column :
       {"RegionA", "RegionB", "RoundTripMs", "Source", "LossPercent", "DuplicatePercent"})
    EXPECT_NE(table.find(column), std::string::npos) << column << "\n" << table;
  EXPECT_NE(table.find("japaneast"), std::string::npos) << table;

  h.out.str("");
  ASSERT_EQ(h.Run({"fabric", "impairment", "list", "--query", "[].name", "-o", "tsv"}), 0) << h.err.str();
  EXPECT_EQ(h.out.str(), "eastus/westus\neastus/japaneast\n");

  h.out.str("");
  h.transport.On("GET " + ImpairmentsPath("/westus/eastus"), 200, Impairment("eastus", "westus", 64, 0));
  ASSERT_EQ(h.Run({"fabric", "impairment", "show", "--regions", "westus", "eastus", "--query",
                   "properties.regionA", "-o", "tsv"}),
            0)
      << h.err.str();
  EXPECT_EQ(h.out.str(), "eastus\n");

  h.out.str("");
  h.transport.On("DELETE " + ImpairmentsPath("/eastus/westus"), 200);
  ASSERT_EQ(h.Run({"fabric", "impairment", "clear", "--regions", "eastus", "westus"}), 0) << h.err.str();
  EXPECT_EQ(h.out.str(), "");
  EXPECT_EQ(h.transport.Sent("DELETE " + ImpairmentsPath("/eastus/westus")).size(), 1u);
}

}  // namespace
}  // namespace isthmus::cli
