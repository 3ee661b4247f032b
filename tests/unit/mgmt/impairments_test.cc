// Region-pair impairments (service/impairments.cc) through the Router: PUT/GET/list/DELETE under
// Isthmus.Fabric, Microsoft's round trip when none is given, every bad input refused with the property
// named and nothing stored, rows that survive a restart, and a change that counts as a change of the
// desired state (the reconciler renders again).
#include "mgmt/service/impairments.h"

#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mgmt/rest/router.h"
#include "mgmt/store/sqlite_store.h"

namespace isthmus::mgmt {
namespace {

constexpr const char* kToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

class ImpairmentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::filesystem::temp_directory_path() / fmt::format("isthmus-impair-{}.db", ::getpid());
    std::filesystem::remove(db_);
    Open();
  }
  void TearDown() override {
    router_.reset();
    svc_.reset();
    for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(db_.string() + ext);
  }
  void Open() {
    router_.reset();
    svc_.reset();
    auto store = SqliteStore::Open(db_.string());
    ASSERT_TRUE(store) << store.error().message;
    svc_ = std::make_unique<ResourceService>(std::move(*store),
                                             ServiceOptions{*net::Prefix::Parse("198.18.0.0/15")}, rng_);
    ASSERT_TRUE(svc_->Open());
    sub_ = svc_->DefaultSubscription();
    router_ = std::make_unique<Router>(*svc_, kToken);
  }
  HttpResponse Call(const std::string& method, const std::string& tail, const std::string& body = "") {
    HttpRequest req;
    req.method = method;
    req.path = fmt::format("/subscriptions/{}/providers/Isthmus.Fabric/impairments{}", sub_, tail);
    req.query["api-version"] = "2024-01-01";
    req.headers["authorization"] = fmt::format("Bearer {}", kToken);
    req.body = body;
    return router_->Handle(req);
  }
  static Json J(const HttpResponse& r) { return Json::parse(r.body, nullptr, false); }
  static std::string Code(const HttpResponse& r) {
    Json j = J(r);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
  }

  std::filesystem::path db_;
  SeededRng rng_{5};
  std::unique_ptr<ResourceService> svc_;
  std::unique_ptr<Router> router_;
  std::string sub_;
};

TEST_F(ImpairmentsTest, APairTakesMicrosoftsRoundTripUnlessOneIsGiven) {
  auto r = Call("PUT", "/East US/westus", R"({"properties": {"lossPercent": 1, "jitterMs": 2}})");
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = J(r);
  EXPECT_EQ(j["id"],
            fmt::format("/subscriptions/{}/providers/Isthmus.Fabric/impairments/eastus/westus", sub_));
  EXPECT_EQ(j["type"], "Isthmus.Fabric/impairments");
  EXPECT_EQ(j["properties"]["regionA"], "eastus");
  EXPECT_EQ(j["properties"]["roundTripMs"], 64.0);  // Microsoft's P50, eastus-westus
  EXPECT_EQ(j["properties"]["roundTripSource"], "Microsoft P50");
  EXPECT_EQ(j["properties"]["lossPercent"], 1.0);
  EXPECT_EQ(j["properties"]["jitterMs"], 2.0);

  // Either order names the same pair; a declared round trip replaces the published one.
  r = Call("PUT", "/westus/eastus", R"({"properties": {"roundTripMs": 100}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(J(r)["properties"]["roundTripSource"], "declared");
  EXPECT_EQ(J(r)["properties"]["lossPercent"], 0.0);  // a PUT replaces the whole profile
  ASSERT_EQ(Call("PUT", "/westeurope/northeurope", "{}").status, 200);
  r = Call("GET", "");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(J(r)["value"].size(), 2u);
  EXPECT_EQ(J(r)["value"][0]["name"], "eastus/westus");
  EXPECT_EQ(J(r)["value"][0]["properties"]["roundTripMs"], 100.0);
  EXPECT_EQ(J(r)["value"][1]["properties"]["roundTripMs"], 17.0);

  // A region with itself, or one Microsoft's table lacks, needs a round trip.
  r = Call("PUT", "/eastus/eastus", "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(J(r)["error"]["message"].get<std::string>().find("roundTripMs"), std::string::npos);
  EXPECT_EQ(Call("PUT", "/eastus/eastus", R"({"properties": {"roundTripMs": 2}})").status, 200);
  EXPECT_EQ(Call("PUT", "/eastus/moon", "{}").status, 400);
}

TEST_F(ImpairmentsTest, BadInputIsRefusedWithThePropertyNamedAndNothingStored) {
  const std::pair<const char*, const char*> bad[] = {
      {"/eastus/westus", R"({"properties": {"lossPercent": 101}})"},
      {"/eastus/westus", R"({"properties": {"lossPercent": -1}})"},
      {"/eastus/westus", R"({"properties": {"lossPercent": "5"}})"},
      {"/eastus/westus", R"({"properties": {"roundTripMs": 1e9}})"},
      {"/eastus/westus", R"({"properties": {"jitterMs": true}})"},
      {"/eastus/westus", R"({"properties": {"los": 5}})"},
      {"/eastus/westus", R"({"propertiez": {}})"},
      {"/eastus/westus", R"({"properties": []})"},
      {"/eastus/westus", R"([1, 2])"},
      {"/eastus/westus", R"({"properties": {"regionA": "japaneast", "regionB": "westus"}})"},
      {"/eastus/westus", "{not json"},
      {"/east..us/westus", "{}"},
      {"/eastus/west%0Aus", "{}"},
  };
  for (const auto& [path, body] : bad) {
    auto r = Call("PUT", path, body);
    EXPECT_EQ(r.status, 400) << path << " " << body << " -> " << r.body;
    EXPECT_FALSE(Code(r).empty()) << r.body;
  }
  auto r = Call("PUT", "/eastus/westus", R"({"properties": {"duplicatePercent": 200}})");
  EXPECT_EQ(J(r)["error"]["target"], "properties.duplicatePercent");
  EXPECT_EQ(J(r)["error"]["message"], "properties.duplicatePercent must be within 0..100 percent, got 200.");
  EXPECT_TRUE(J(Call("GET", ""))["value"].empty());
  EXPECT_TRUE(svc_->ForeignRows(kImpairmentRowKind).empty());
  EXPECT_EQ(Call("POST", "/eastus/westus", "{}").status, 405);
  EXPECT_EQ(Call("GET", "/eastus").status, 404);
  EXPECT_EQ(Call("GET", "/eastus/westus/x").status, 404);
}

TEST_F(ImpairmentsTest, ImpairmentsSurviveARestartAndAChangeIsAChangeOfTheDesiredState) {
  const auto before = svc_->generation();
  ASSERT_EQ(Call("PUT", "/eastus/japaneast", R"({"properties": {"reorderPercent": 5}})").status, 200);
  EXPECT_GT(svc_->generation(), before);
  ASSERT_EQ(Impairments(*svc_).All().size(), 1u);
  Open();  // isthmusd restarted
  auto all = Impairments(*svc_).All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].region_a, "eastus");
  EXPECT_EQ(all[0].region_b, "japaneast");
  EXPECT_FALSE(all[0].round_trip);  // still "Microsoft's", not a copy of today's figure
  EXPECT_DOUBLE_EQ(all[0].reorder, 0.05);
  auto r = Call("GET", "/japaneast/eastus");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(J(r)["properties"]["roundTripMs"], 156.0);

  const auto g = svc_->generation();
  EXPECT_EQ(Call("DELETE", "/JapanEast/eastus").status, 200);
  EXPECT_GT(svc_->generation(), g);
  EXPECT_EQ(Call("DELETE", "/JapanEast/eastus").status, 204);  // ARM: nothing was there
  EXPECT_EQ(Call("GET", "/japaneast/eastus").status, 404);
  EXPECT_EQ(Code(Call("GET", "/japaneast/eastus")), "ImpairmentNotFound");
  Open();
  EXPECT_TRUE(Impairments(*svc_).All().empty());
}

}  // namespace
}  // namespace isthmus::mgmt
