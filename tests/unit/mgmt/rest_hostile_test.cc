// Hostile input at the router (rest/router.cc, no sockets): malformed, truncated, oversized and deeply
// nested bodies, wrong types in every field of a VNet, gateway and connection body, unknown properties,
// odd names, methods and missing api-versions. Each must get its 4xx in ARM's error shape, and leave the
// store as it was: the service's generation does not move and a GET finds nothing new. The socket-level
// half (slow clients, framing, header limits) is tests/e2e/rest_hostile_test.cc.
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "router_fixture.h"

// fuzz/rest_fuzz.cc, linked into this binary (tests/unit/mgmt/CMakeLists.txt).
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace isthmus::mgmt {
namespace {

class RestHostileTest : public RouterFixture {
 protected:
  // A 4xx in ARM's shape ({"error":{"code","message"}}), with nothing changed in the store.
  ::testing::AssertionResult Refused(const HttpResponse& r, std::uint64_t generation) {
    Json j = J(r);
    if (r.status < 400 || r.status >= 500)
      return ::testing::AssertionFailure() << "HTTP " << r.status << " " << r.body;
    if (!j.is_object() || !j.contains("error") || !j["error"].is_object() ||
        !j["error"]["code"].is_string() || j["error"]["code"].get<std::string>().empty() ||
        !j["error"]["message"].is_string()) {
      return ::testing::AssertionFailure() << "not ARM's error shape: " << r.body;
    }
    if (Generation() != generation) return ::testing::AssertionFailure() << "the store changed: " << r.body;
    return ::testing::AssertionSuccess();
  }

  // Each node of `body` replaced in turn by each value of another type, PUT to `path(n)`: never a 5xx,
  // every refusal in ARM's shape with nothing stored, never the shared key in an answer. What is
  // accepted (a null for an optional property, say) is deleted again, so that every case starts from the
  // same state.
  void WrongTypes(const Json& body, const std::function<std::string(int)>& path) {
    std::vector<Json::json_pointer> nodes;
    Pointers(body, Json::json_pointer(), nodes);
    const std::vector<Json> wrong = {12345, -1, 1e300, nullptr, Json::array(), Json::object(), true, "x"};
    int n = 0;
    for (const auto& node : nodes) {
      for (const Json& w : wrong) {
        Json b = body;
        b[node] = w;
        const std::string where = path(++n);
        const std::uint64_t generation = Generation();
        HttpResponse r = Call("PUT", where, b.dump());
        EXPECT_EQ(r.body.find(kKey), std::string::npos) << node.to_string();
        if (r.status >= 200 && r.status < 300) {
          Settle();  // a gateway or connection is deleted once provisioned
          EXPECT_LT(Call("DELETE", where).status, 300) << node.to_string() << " = " << w.dump();
          Settle();
          continue;
        }
        EXPECT_TRUE(Refused(r, generation)) << node.to_string() << " = " << w.dump();
        EXPECT_EQ(Call("GET", where).status, 404) << node.to_string() << " = " << w.dump();
      }
    }
  }

  // Every node of `doc` (objects' members and arrays' elements, recursively), as a JSON pointer.
  static void Pointers(const Json& doc, const Json::json_pointer& at, std::vector<Json::json_pointer>& out) {
    if (!at.empty()) out.push_back(at);
    if (doc.is_object()) {
      for (const auto& [k, v] : doc.items()) Pointers(v, at / k, out);
    } else if (doc.is_array()) {
      for (std::size_t i = 0; i < doc.size(); ++i) Pointers(doc[i], at / i, out);
    }
  }
};

std::string Nested(std::size_t depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}

TEST_F(RestHostileTest, MalformedAndTruncatedJsonIs400AndStoresNothing) {
  ASSERT_EQ(Put(Rg(), {{"location", "westus2"}}).status, 201);
  const std::string vnet = VnetBody(1).dump();
  const std::vector<std::string> bodies = {
      "{",
      R"({"location": "westus2",,})",
      vnet.substr(0, vnet.size() / 2),  // truncated
      vnet.substr(0, vnet.size() - 1),
      vnet + "garbage",
      vnet + vnet,
      "\xff\xfe{}",  // not UTF-8
      R"({"location": "west)"
      "\xc3\x28"
      R"("})",                      // invalid UTF-8 inside a string
      R"({"location": "\ud800"})",  // a lone surrogate
      R"({"location": NaN})",
      "{'location': 'westus2'}",
      std::string("{\"location\":\"westus2\"}\0", 23),
      std::string(1, '\0'),
      "]]]]]]]]",
      "}",
  };
  const std::string path = Net("virtualNetworks", "v");
  for (const auto& body : bodies) {
    const std::uint64_t generation = Generation();
    HttpResponse r = Call("PUT", path, body);
    EXPECT_TRUE(Refused(r, generation)) << body;
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(Code(r), "InvalidRequestContent") << body;
  }
  // JSON that is not an object.
  for (const char* body : {"[1,2]", "\"text\"", "null", "42", "true"}) {
    const std::uint64_t generation = Generation();
    HttpResponse r = Call("PUT", path, body);
    EXPECT_TRUE(Refused(r, generation)) << body;
    EXPECT_EQ(Code(r), "InvalidRequestFormat") << body;
  }
  EXPECT_EQ(Call("GET", path).status, 404);
  EXPECT_EQ(J(Call("GET", Rg() + "/providers/Microsoft.Network/virtualNetworks"))["value"].size(), 0u);
}

TEST_F(RestHostileTest, BodiesOverOneMebibyteAre413OnEveryRoute) {
  Topology();
  const std::string huge(Router::kMaxBodyBytes + 1, ' ');
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"PUT", Net("virtualNetworks", "big")},
           {"PATCH", Net("virtualNetworks", "VNet1")},
           {"PUT", Net("connections", "conn") + "/sharedkey"},
           {"POST", Net("connections", "conn") + "/sharedkey/reset"},
           {"PUT", Rg() + "/providers/Microsoft.Resources/deployments/d"}}) {
    const std::uint64_t generation = Generation();
    HttpResponse r = Call(method, path, huge);
    EXPECT_TRUE(Refused(r, generation)) << path;
    EXPECT_EQ(r.status, 413) << path;
    EXPECT_EQ(Code(r), "RequestEntityTooLarge") << path;
  }
  EXPECT_EQ(J(Call("GET", Net("connections", "conn") + "/sharedkey"))["value"], kKey);
}

TEST_F(RestHostileTest, DeepNestingIsRefusedBeforeParsing) {
  ASSERT_EQ(Put(Rg(), {{"location", "westus2"}}).status, 201);
  const std::string head =
      R"({"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["10.9.0.0/16"]},)";
  // 100,000 levels overflowed the stack when the planner copied the document (isthmusd died of it).
  for (const std::string& junk : {Nested(100000), Nested(100000, '{', '}'), Nested(Router::kMaxJsonDepth),
                                  std::string(Router::kMaxBodyBytes - 200, '[')}) {
    const std::string body = head + R"("junk":)" + junk + "}}";
    const std::uint64_t generation = Generation();
    HttpResponse r = Call("PUT", Net("virtualNetworks", "deep"), body);
    EXPECT_TRUE(Refused(r, generation));
    EXPECT_EQ(Code(r), "InvalidRequestContent");
    EXPECT_NE(J(r)["error"].value("message", "").find("64 levels"), std::string::npos) << r.body;
  }
  // The limit counts the document's own levels (here 2 + junk): 62 more levels parse.
  HttpResponse ok = Call("PUT", Net("virtualNetworks", "deep"), head + R"("junk":)" + Nested(62) + "}}");
  EXPECT_EQ(ok.status, 201) << ok.body;
  // Brackets inside strings (and comments, which deployment bodies may carry) are not nesting.
  HttpResponse quoted = Call("PUT", Net("virtualNetworks", "quoted"),
                             Json{{"location", "westus2"},
                                  {"tags", {{"a", std::string(200, '[') + "\\\"[["}}},
                                  {"properties", {{"addressSpace", {{"addressPrefixes", {"10.8.0.0/16"}}}}}}}
                                 .dump());
  EXPECT_EQ(quoted.status, 201) << quoted.body;
  HttpResponse commented =
      Call("PUT", Rg() + "/providers/Microsoft.Resources/deployments/c",
           "/* " + std::string(100, '[') + " */ " + R"({"properties": {"mode": "Incremental",
                                  "template": {"resources": []}}})");
  EXPECT_EQ(commented.body.find("levels deep"), std::string::npos) << commented.body;
  // Every route checks, deployments' lenient reader and actions included.
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"PUT", Rg() + "/providers/Microsoft.Resources/deployments/d"},
           {"POST", Rg() + "/providers/Microsoft.Resources/deployments/d/validate"},
           {"PATCH", Net("virtualNetworks", "deep")},
           {"PUT", Rg()}}) {
    const std::uint64_t generation = Generation();
    HttpResponse r = Call(method, path, R"({"properties":{"template":)" + Nested(100000) + "}}");
    EXPECT_TRUE(Refused(r, generation)) << path;
    EXPECT_EQ(Code(r), "InvalidRequestContent") << path;
  }
  EXPECT_EQ(Call("GET", Rg() + "/providers/Microsoft.Resources/deployments/d").status, 404);
}

TEST_F(RestHostileTest, WrongTypesInEveryVnetField) {
  ASSERT_EQ(Put(Rg(), {{"location", "westus2"}}).status, 201);
  Json body = VnetBody(5);
  body["tags"] = {{"env", "test"}};
  body["properties"]["dhcpOptions"] = {{"dnsServers", {"10.5.0.4"}}};
  body["properties"]["enableDdosProtection"] = false;
  WrongTypes(body, [&](int n) { return Net("virtualNetworks", fmt::format("v{}", n)); });
}

TEST_F(RestHostileTest, WrongTypesInEveryGatewayField) {
  Topology();
  ASSERT_EQ(Put(Net("virtualNetworks", "VNet3"), VnetBody(3)).status, 201);
  // ipConfigurations[0].name as a number answered 500 (an uncaught nlohmann type_error in
  // model/gateway_rules.cc); the router now answers 400 for it.
  WrongTypes(GatewayBody(3, 3), [&](int n) { return Net("virtualNetworkGateways", fmt::format("g{}", n)); });
  Json named = GatewayBody(3, 3);
  named["properties"]["ipConfigurations"][0]["name"] = 12345;
  const std::uint64_t generation = Generation();
  HttpResponse r = Put(Net("virtualNetworkGateways", "named"), named);
  EXPECT_TRUE(Refused(r, generation));
  EXPECT_EQ(r.status, 400);
}

TEST_F(RestHostileTest, WrongTypesInEveryConnectionField) {
  Topology();
  WrongTypes(ConnectionBody("gw1", "gw2", kKey),
             [&](int n) { return Net("connections", fmt::format("c{}", n)); });
  // The shared key's own routes.
  for (const char* body : {R"({"value": 5})", R"({"value": null})", R"({"value": ["k"]})", R"(["k"])",
                           R"("k")", R"({})", R"({"keyLength": 32})"}) {
    const std::uint64_t generation = Generation();
    EXPECT_TRUE(Refused(Call("PUT", Net("connections", "conn") + "/sharedkey", body), generation)) << body;
  }
  for (const char* body : {R"({"keyLength": "32"})", R"({"keyLength": 1e300})", R"({"keyLength": -5})",
                           R"({"keyLength": 9223372036854775807})", R"({"keyLength": 0})", R"({})"}) {
    const std::uint64_t generation = Generation();
    EXPECT_TRUE(Refused(Call("POST", Net("connections", "conn") + "/sharedkey/reset", body), generation))
        << body;
  }
  EXPECT_EQ(J(Call("GET", Net("connections", "conn") + "/sharedkey"))["value"], kKey);
}

TEST_F(RestHostileTest, UnknownPropertiesAreNotStored) {
  ASSERT_EQ(Put(Rg(), {{"location", "westus2"}}).status, 201);
  Json body = VnetBody(6);
  body["unknownTop"] = {{"x", 1}};
  body["properties"]["unknownInner"] = Json::parse(Nested(40));
  body["id"] = "/subscriptions/other/resourceGroups/x/providers/Microsoft.Network/virtualNetworks/evil";
  body["name"] = "evil";
  body["type"] = "Microsoft.Compute/virtualMachines";
  ASSERT_EQ(Put(Net("virtualNetworks", "v6"), body).status, 201);
  Json got = J(Call("GET", Net("virtualNetworks", "v6")));
  EXPECT_EQ(got["name"], "v6");
  EXPECT_EQ(got["id"], Net("virtualNetworks", "v6"));
  EXPECT_EQ(got["type"], "Microsoft.Network/virtualNetworks");
  EXPECT_FALSE(got.contains("unknownTop"));
  EXPECT_FALSE(got["properties"].contains("unknownInner"));
  EXPECT_EQ(Call("GET", Net("virtualNetworks", "evil")).status, 404);
}

TEST_F(RestHostileTest, OddNamesAre4xxWithValidJsonAndNothingStored) {
  ASSERT_EQ(Put(Rg(), {{"location", "westus2"}}).status, 201);
  const std::string body = VnetBody(7).dump();
  // The router sees the path httplib decoded: %2F is a '/', %00 a NUL, %FF a byte that is not UTF-8.
  const std::vector<std::string> names = {"..",
                                          ".",
                                          "a..",
                                          "../../x",
                                          "a/b",
                                          "a/../b",
                                          std::string("a\0b", 3),
                                          std::string(1, '\0'),
                                          "caf\xc3\xa9",
                                          "\xe2\x80\xae",
                                          "\xf0\x9f\x98\x80",
                                          "\xff\xfe",
                                          "a b",
                                          "a\r\nLocation: evil",
                                          "a\nb",
                                          "a%2Fb",
                                          "a%",
                                          "a;b",
                                          "a?b",
                                          "a#b",
                                          "a'b",
                                          "a\"b",
                                          "a<b>",
                                          "a\\b",
                                          "-x",
                                          "_x",
                                          "x.",
                                          std::string(81, 'n'),
                                          std::string(1000, 'n')};
  for (const auto& name : names) {
    const std::uint64_t generation = Generation();
    const std::string path = Rg() + "/providers/Microsoft.Network/virtualNetworks/" + name;
    HttpResponse r = Call("PUT", path, body);
    EXPECT_TRUE(Refused(r, generation)) << name;
    EXPECT_FALSE(J(r).is_discarded()) << name;  // a %FF answered 500 (dump() threw on invalid UTF-8)
    for (const auto& [k, v] : r.headers) {
      EXPECT_EQ(v.find_first_of("\r\n"), std::string::npos) << k << " for " << name;
    }
  }
  // The same bytes in the group's name and the subscription's.
  for (const std::string& bad : std::vector<std::string>{"\xff", "..", "a\r\nb", std::string(1000, 'g')}) {
    const std::uint64_t generation = Generation();
    EXPECT_TRUE(
        Refused(Call("PUT", Sub() + "/resourceGroups/" + bad, R"({"location":"westus2"})"), generation));
    EXPECT_TRUE(
        Refused(Call("PUT", "/subscriptions/" + bad + "/resourceGroups/rg", R"({"location":"westus2"})"),
                generation));
  }
  // 80 characters is Azure's limit, and fine.
  EXPECT_EQ(Call("PUT", Net("virtualNetworks", std::string(80, 'n')), body).status, 201);
  EXPECT_EQ(J(Call("GET", Rg() + "/providers/Microsoft.Network/virtualNetworks"))["value"].size(), 1u);
}

TEST_F(RestHostileTest, MethodsAndApiVersions) {
  ASSERT_EQ(Put(Rg(), {{"location", "westus2"}}).status, 201);
  const std::string path = Net("virtualNetworks", "v");
  const std::string body = VnetBody(8).dump();
  for (const char* method : {"TRACE", "CONNECT", "PRI", "FOO", "put", ""}) {
    const std::uint64_t generation = Generation();
    HttpResponse r = Call(method, path, body);
    EXPECT_TRUE(Refused(r, generation)) << method;
    EXPECT_EQ(r.status, 405) << method;
  }
  for (const char* api : {"", "2023-09-01\r\nX: y", "\xff", "9999-99-99", "2023-09-01 "}) {
    const std::uint64_t generation = Generation();
    HttpResponse r = Call("PUT", path, body, {}, api);
    EXPECT_TRUE(Refused(r, generation)) << api;
    EXPECT_FALSE(J(r).is_discarded());
  }
  const std::uint64_t generation = Generation();
  HttpResponse none = Call("PUT", path, body, {}, nullptr, false);
  EXPECT_TRUE(Refused(none, generation));
  EXPECT_EQ(Code(none), "MissingApiVersionParameter");
  EXPECT_EQ(Call("GET", path).status, 404);
}

TEST_F(RestHostileTest, HostileHeadersAreNotEchoedRaw) {
  ASSERT_EQ(Put(Rg(), {{"location", "westus2"}}).status, 201);
  // A long client request id is echoed (ARM does), a bearer token never.
  const std::string id(4000, 'i');
  HttpResponse r = Call("GET", Rg(), "", {{"x-ms-client-request-id", id}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["x-ms-request-id"], id);
  HttpResponse denied = Call("GET", Rg(), "", {{"authorization", "Bearer not-the-token\r\nX-Evil: 1"}});
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.body.find("not-the-token"), std::string::npos);
  for (const auto& [k, v] : denied.headers) EXPECT_EQ(v.find("not-the-token"), std::string::npos) << k;
}

// The REST fuzz target's invariants (no 5xx, ARM's error shape, nothing changed by a refusal, no key in a
// plain answer, whatever was accepted reconciles) on each of its seeds: a broken one traps.
TEST(RestFuzzCorpus, EverySeedKeepsTheFuzzTargetsInvariants) {
  std::size_t seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(ISTHMUS_REST_FUZZ_CORPUS)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    const std::string input = bytes.str();
    SCOPED_TRACE(entry.path().filename().string());
    EXPECT_EQ(LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size()), 0);
    ++seeds;
  }
  EXPECT_GE(seeds, 24u);
}

}  // namespace
}  // namespace isthmus::mgmt
