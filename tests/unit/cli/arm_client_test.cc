#include "cli/arm_client.h"

#include <sstream>

#include <gtest/gtest.h>

#include "fake_transport.h"

namespace isthmus::cli {
namespace {

using testing::FakeSleeper;
using testing::FakeTransport;
using testing::kEndpoint;

struct ClientFixture : ::testing::Test {
  ArmClient Client(Duration timeout = std::chrono::seconds(60)) {
    return ArmClient(transport, clock, sleeper, ArmClientOptions{kEndpoint, "tok", timeout, nullptr});
  }
  FakeTransport transport;
  ManualClock clock;
  FakeSleeper sleeper{clock};
};

const std::string kOp =
    std::string(kEndpoint) + "/subscriptions/s/providers/Microsoft.Network/locations/w/operations/1";

TEST_F(ClientFixture, AddsTokenApiVersionAndJsonBody) {
  transport.On("PUT /subscriptions/s/resourceGroups/g", 201, {{"name", "g"}});
  auto c = Client();
  Json body = {{"location", "westus2"}};
  auto r = c.Send("PUT", "/subscriptions/s/resourceGroups/g", kResourcesApiVersion, &body);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(transport.requests.size(), 1u);
  const auto& req = transport.requests[0];
  EXPECT_EQ(req.url, std::string(kEndpoint) + "/subscriptions/s/resourceGroups/g?api-version=2022-09-01");
  EXPECT_EQ(Json::parse(req.body), Json(body));
  bool auth = false, type = false;
  for (const auto& [k, v] : req.headers) {
    auth |= k == "Authorization" && v == "Bearer tok";
    type |= k == "Content-Type" && v == "application/json";
  }
  EXPECT_TRUE(auth);
  EXPECT_TRUE(type);
}

TEST_F(ClientFixture, ServerWarningsArePrintedLikeAz) {
  transport.On("PUT /x", 201, {{"name", "gw"}},
               {{"Warning", "299 - \"GatewaySubnet 10.0.255.0/28 is smaller than the recommended /27\""}});
  std::ostringstream warnings;
  ArmClient c(transport, clock, sleeper,
              ArmClientOptions{kEndpoint, "tok", std::chrono::seconds(60), nullptr, &warnings});
  Json body = Json::object();
  ASSERT_TRUE(c.Send("PUT", "/x", "", &body));
  EXPECT_EQ(warnings.str(), "WARNING: GatewaySubnet 10.0.255.0/28 is smaller than the recommended /27\n");
}

TEST_F(ClientFixture, ListsFollowNextLinkIntoOneValue) {
  const std::string next =
      std::string(kEndpoint) + "/subscriptions/s/resourcegroups?api-version=2022-09-01&%24skiptoken=Zw";
  transport.On("GET /subscriptions/s/resourcegroups", 200,
               {{"value", {{{"name", "a"}}, {{"name", "b"}}}}, {"nextLink", next}});
  transport.On("GET /subscriptions/s/resourcegroups", 200, {{"value", {{{"name", "c"}}}}});
  auto c = Client();
  auto r = c.Get("/subscriptions/s/resourcegroups", kResourcesApiVersion);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(*r, Json({{"value", {{{"name", "a"}}, {{"name", "b"}}, {{"name", "c"}}}}}));
  ASSERT_EQ(transport.requests.size(), 2u);
  EXPECT_EQ(transport.requests[1].url, next);  // as written: its api-version is not added twice
}

TEST_F(ClientFixture, NextLinkToAnotherServerIsNotFollowed) {
  transport.On("GET /subscriptions/s/resourcegroups", 200,
               {{"value", Json::array()}, {"nextLink", "https://elsewhere.test/steal?api-version=1"}});
  auto c = Client();
  auto r = c.Get("/subscriptions/s/resourcegroups", kResourcesApiVersion);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("another server"), std::string::npos) << r.error().message;
  EXPECT_EQ(transport.requests.size(), 1u);  // the token never went there
}

TEST_F(ClientFixture, ArmErrorBodyBecomesCodeAndMessage) {
  transport.On(
      "GET /subscriptions/s/resourceGroups/nope", 404,
      {{"error",
        {{"code", "ResourceGroupNotFound"}, {"message", "Resource group 'nope' could not be found."}}}});
  auto c = Client();
  auto r = c.Get("/subscriptions/s/resourceGroups/nope", kResourcesApiVersion);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(r.error().code, "ResourceGroupNotFound");
  EXPECT_EQ(r.error().message, "Resource group 'nope' could not be found.");
}

TEST_F(ClientFixture, NonJsonErrorStillNamesTheStatus) {
  transport.On("GET /x", 500, nullptr);
  auto c = Client();
  auto r = c.Get("/x", "");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("500"), std::string::npos);
}

TEST_F(ClientFixture, WaitHonoursRetryAfterUntilSucceeded) {
  transport.On("GET /subscriptions/s/providers/Microsoft.Network/locations/w/operations/1", 200,
               {{"status", "InProgress"}}, {{"Retry-After", "3"}});
  transport.On("GET /subscriptions/s/providers/Microsoft.Network/locations/w/operations/1", 200,
               {{"status", "Succeeded"}});
  auto c = Client();
  ArmResponse accepted;
  accepted.status = 201;
  accepted.async_url = kOp;
  accepted.retry_after = std::chrono::seconds(2);
  ASSERT_TRUE(c.Wait(accepted).has_value());
  // First wait from the PUT's Retry-After, second from the poll's; the third poll has none → default 1 s.
  ASSERT_EQ(sleeper.sleeps.size(), 2u);
  EXPECT_EQ(sleeper.sleeps[0], std::chrono::seconds(2));
  EXPECT_EQ(sleeper.sleeps[1], std::chrono::seconds(3));
}

TEST_F(ClientFixture, WaitReportsFailedOperationError) {
  transport.On("GET /subscriptions/s/providers/Microsoft.Network/locations/w/operations/1", 200,
               {{"status", "Failed"},
                {"error", {{"code", "GatewaySubnetRequired"}, {"message", "no GatewaySubnet"}}}});
  auto c = Client();
  ArmResponse accepted;
  accepted.status = 202;
  accepted.async_url = kOp;
  auto s = c.Wait(accepted);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, "GatewaySubnetRequired");
}

TEST_F(ClientFixture, WaitGivesUpAtTheTimeout) {
  transport.On("GET /subscriptions/s/providers/Microsoft.Network/locations/w/operations/1", 200,
               {{"status", "InProgress"}}, {{"Retry-After", "5"}});
  auto c = Client(std::chrono::seconds(20));
  ArmResponse accepted;
  accepted.status = 201;
  accepted.async_url = kOp;
  accepted.retry_after = std::chrono::seconds(5);
  auto s = c.Wait(accepted);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, "OperationTimedOut");
  EXPECT_LE(clock.Now().time_since_epoch(), std::chrono::seconds(20));
  EXPECT_EQ(sleeper.sleeps.size(), 4u);
}

TEST_F(ClientFixture, WaitFollowsLocationUntilNot202) {
  transport.On("GET /loc", 202, nullptr);
  transport.On("GET /loc", 200, nullptr);
  auto c = Client();
  ArmResponse accepted;
  accepted.status = 202;
  accepted.location = std::string(kEndpoint) + "/loc";
  ASSERT_TRUE(c.Wait(accepted).has_value());
  EXPECT_EQ(transport.requests.size(), 2u);
}

TEST_F(ClientFixture, ZeroRetryAfterIsNotABusyLoop) {
  transport.On("GET /subscriptions/s/providers/Microsoft.Network/locations/w/operations/1", 200,
               {{"status", "Succeeded"}});
  auto c = Client();
  ArmResponse accepted;
  accepted.status = 201;
  accepted.async_url = kOp;
  accepted.retry_after = std::chrono::seconds(0);
  ASSERT_TRUE(c.Wait(accepted).has_value());
  ASSERT_EQ(sleeper.sleeps.size(), 1u);
  EXPECT_GE(sleeper.sleeps[0], std::chrono::milliseconds(100));
}

}  // namespace
}  // namespace isthmus::cli
