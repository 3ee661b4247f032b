// End-to-end tests of isthmusd's ARM-shaped REST API (docs/rest-api.md): a real daemon on loopback with a
// temporary state directory, spoken to over HTTP. Every route of rest/router.cc and every error status
// (400, 401, 404, 405, 409, 412, 413) is exercised here.
//
//   test ──HTTP──► isthmusd (127.0.0.1:<free port>) ──► <tmp>/state/{token,isthmus.db}
//                  stderr ──► <tmp>/isthmusd.log (checked for secrets)
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "rest_daemon.h"

namespace isthmus::e2e {
namespace {

using RestApi = DaemonFixture;

bool InPool(const std::string& address) {  // 198.18.0.0/15
  unsigned a = 0, b = 0, c = 0, d = 0;
  char tail = 0;
  if (std::sscanf(address.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4) return false;
  return a == 198 && (b == 18 || b == 19) && c < 256 && d < 256;
}

// ---- Authentication ------------------------------------------------------------------------------------

TEST_F(RestApi, TokenFileIsPrivateAndEveryRequestNeedsIt) {
  struct stat st {};
  ASSERT_EQ(::stat((daemon_->state_dir() / "token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(daemon_->state_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u) << "state dir must not be readable by others";
  EXPECT_TRUE(std::filesystem::exists(daemon_->state_dir() / "isthmus.db"));
  EXPECT_EQ(token_.size(), 64u);

  Arm anonymous(daemon_->port(), "");
  const std::string rg = GroupPath(sub_, "rg1");
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/subscriptions"}, {"GET", "/subscriptions/" + sub_}, {"PUT", rg}, {"DELETE", rg}}) {
    Reply r = anonymous.Send(method, path, method == "PUT" ? GroupBody().dump() : "");
    EXPECT_EQ(r.status, 401) << method << " " << path << ": " << r;
    EXPECT_EQ(r.error_code(), "AuthenticationFailed");
    EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer");
  }
  // Even a request that would be a 404 or a 400 is a 401 first.
  EXPECT_EQ(anonymous.Get("/nowhere").status, 401);
  EXPECT_EQ(anonymous.Send("GET", "/subscriptions", "", {}, nullptr).status, 401);

  std::string wrong = token_;
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  for (const std::string& auth :
       std::vector<std::string>{"Bearer " + wrong, "Bearer " + token_.substr(1), "Bearer " + token_ + "0",
                                "Basic " + token_, "Token " + token_, token_, "Bearer", "Bearer "}) {
    Reply r = arm_->Get("/subscriptions", {{"Authorization", auth}});
    EXPECT_EQ(r.status, 401) << "Authorization: " << auth;
    EXPECT_EQ(r.error_code(), "AuthenticationFailed");
  }
  // The scheme is case-insensitive (RFC 7235); the token is not.
  EXPECT_EQ(arm_->Get("/subscriptions", {{"Authorization", "bearer " + token_}}).status, 200);
  // Nothing was created by the refused PUT.
  EXPECT_EQ(arm_->Send("GET", rg, "", {}, kGroupApi).status, 404);
}

// ---- Subscriptions and api-version --------------------------------------------------------------------

TEST_F(RestApi, SubscriptionsAreListedAndFound) {
  Reply list = arm_->Get("/subscriptions");
  ASSERT_EQ(list.status, 200) << list;
  Json s = list.json()["value"][0];
  EXPECT_EQ(s["id"], "/subscriptions/" + sub_);
  EXPECT_EQ(s["state"], "Enabled");
  EXPECT_EQ(s["isDefault"], true);
  EXPECT_EQ(s["displayName"], "Isthmus");

  Reply one = arm_->Get("/subscriptions/" + sub_);
  ASSERT_EQ(one.status, 200) << one;
  EXPECT_EQ(one.json(), s);
  std::string upper = sub_;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  EXPECT_EQ(arm_->Get("/subscriptions/" + upper).status, 200) << "subscription IDs are case-insensitive";

  Reply missing = arm_->Get("/subscriptions/00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.error_code(), "SubscriptionNotFound");
  Reply put_in_missing =
      arm_->Put(NetPath("00000000-0000-0000-0000-000000000000", "rg", "virtualNetworks", "v"),
                VnetBody({"10.0.0.0/16"}, {}));
  EXPECT_EQ(put_in_missing.status, 404);
  EXPECT_EQ(put_in_missing.error_code(), "SubscriptionNotFound");
}

TEST_F(RestApi, ApiVersionIsRequiredAndChecked) {
  Reply missing = arm_->Send("GET", "/subscriptions", "", {}, nullptr);
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.error_code(), "MissingApiVersionParameter");
  Reply empty = arm_->Get("/subscriptions?api-version=");
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(empty.error_code(), "MissingApiVersionParameter");
  Reply other_param = arm_->Get("/subscriptions?apiversion=2023-09-01");
  EXPECT_EQ(other_param.error_code(), "MissingApiVersionParameter");
  Reply unknown = arm_->Send("GET", "/subscriptions", "", {}, "2099-01-01");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.error_code(), "InvalidApiVersionParameter");
  EXPECT_NE(unknown.error_message().find("2099-01-01"), std::string::npos) << unknown;
  // Nothing is written by a request refused for its api-version.
  Reply put = arm_->Send("PUT", GroupPath(sub_, "rg1"), GroupBody().dump(), {}, "1999-01-01");
  EXPECT_EQ(put.status, 400);
  EXPECT_EQ(arm_->Send("GET", GroupPath(sub_, "rg1"), "", {}, kGroupApi).status, 404);
  // Each family takes its own versions: the subscription API's and Microsoft.Resources' on
  // /subscriptions (az login sends 2019-11-01), Microsoft.Network's under its provider.
  for (const char* v : {"2019-11-01", "2021-04-01", "2022-09-01", "2022-12-01", "2025-04-01"}) {
    EXPECT_EQ(arm_->Send("GET", "/subscriptions", "", {}, v).status, 200) << v;
  }
  const std::string vnets = "/subscriptions/" + sub_ + "/providers/Microsoft.Network/virtualNetworks";
  for (const char* v : {"2018-11-01", "2022-07-01", "2025-05-01"}) {
    EXPECT_EQ(arm_->Send("GET", vnets, "", {}, v).status, 200) << v;
  }
  EXPECT_EQ(arm_->Send("GET", "/subscriptions", "", {}, "2018-11-01").error_code(),
            "InvalidApiVersionParameter");
}

// ---- Resource groups -------------------------------------------------------------------------------------

TEST_F(RestApi, ResourceGroupLifecycle) {
  const std::string rg = GroupPath(sub_, "Demo-RG");
  Reply created = arm_->Send("PUT", rg, Json{{"location", "West US 2"}, {"tags", {{"env", "test"}}}}.dump(),
                             {}, kGroupApi);
  ASSERT_EQ(created.status, 201) << created;
  Json g = created.json();
  EXPECT_EQ(g["id"], rg);
  EXPECT_EQ(g["name"], "Demo-RG");
  EXPECT_EQ(g["type"], "Microsoft.Resources/resourceGroups");
  EXPECT_EQ(g["location"], "westus2");
  EXPECT_EQ(g["tags"]["env"], "test");
  EXPECT_EQ(g["properties"]["provisioningState"], "Succeeded");

  Reply again = arm_->Send("PUT", rg, GroupBody().dump(), {}, kGroupApi);
  EXPECT_EQ(again.status, 200) << again;
  EXPECT_EQ(again.json()["tags"], Json::object()) << "PUT replaces the tags";
  Reply moved = arm_->Send("PUT", rg, GroupBody("eastus").dump(), {}, kGroupApi);
  EXPECT_EQ(moved.status, 400);
  EXPECT_EQ(moved.error_code(), "InvalidResourceGroupLocation");
  Reply bad_name = arm_->Send("PUT", GroupPath(sub_, "bad!name"), GroupBody().dump(), {}, kGroupApi);
  EXPECT_EQ(bad_name.status, 400);
  EXPECT_EQ(bad_name.error_code(), "InvalidResourceGroupName");
  Reply no_location = arm_->Send("PUT", GroupPath(sub_, "rg2"), "{}", {}, kGroupApi);
  EXPECT_EQ(no_location.status, 400);
  EXPECT_EQ(no_location.error_code(), "LocationRequired");

  Reply patched = arm_->Patch(rg, {{"tags", {{"owner", "net"}}}});
  ASSERT_EQ(patched.status, 200) << patched;
  EXPECT_EQ(patched.json()["tags"], (Json{{"owner", "net"}}));
  EXPECT_EQ(arm_->Send("GET", rg, "", {}, kGroupApi).json()["tags"], (Json{{"owner", "net"}}));
  Reply patch_missing = arm_->Patch(GroupPath(sub_, "nope"), {{"tags", Json::object()}});
  EXPECT_EQ(patch_missing.status, 404);
  EXPECT_EQ(patch_missing.error_code(), "ResourceGroupNotFound");

  EXPECT_EQ(arm_->Send("HEAD", rg).status, 204);
  EXPECT_EQ(arm_->Send("HEAD", GroupPath(sub_, "nope")).status, 404);

  ASSERT_EQ(arm_->Send("PUT", GroupPath(sub_, "Second"), GroupBody().dump(), {}, kGroupApi).status, 201);
  Reply list = arm_->Send("GET", "/subscriptions/" + sub_ + "/resourcegroups", "", {}, kGroupApi);
  ASSERT_EQ(list.status, 200) << list;
  std::set<std::string> names;
  const Json groups = list.json();
  for (const auto& x : groups["value"]) names.insert(x["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"Demo-RG", "Second"}));

  Reply deleted = arm_->Delete(rg);
  ASSERT_EQ(deleted.status, 202) << deleted;
  ASSERT_FALSE(deleted.header("Azure-AsyncOperation").empty());
  std::string results = deleted.header("Azure-AsyncOperation");
  results.replace(results.find("/operations/"), 12, "/operationResults/");
  EXPECT_EQ(deleted.header("Location"), results);
  EXPECT_EQ(arm_->WaitOperation(deleted.header("Azure-AsyncOperation")).value("status", ""), "Succeeded");
  EXPECT_EQ(arm_->Send("GET", results.substr(results.find("/subscriptions/")), "", {}, "").status, 204)
      << "a finished delete's Location";
  Reply gone = arm_->Send("GET", rg, "", {}, kGroupApi);
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.error_code(), "ResourceGroupNotFound");
  EXPECT_EQ(arm_->Delete(rg).status, 204) << "deleting what is not there";
}

// ---- Paths are case-insensitive; names keep their first casing -----------------------------------------

TEST_F(RestApi, PathsAndNamesAreCaseInsensitive) {
  ASSERT_EQ(arm_->Send("PUT", "/subscriptions/" + sub_ + "/resourcegroups/MyGroup", GroupBody().dump(), {},
                       kGroupApi)
                .status,
            201);
  Reply g = arm_->Send("GET", "/SUBSCRIPTIONS/" + sub_ + "/RESOURCEGROUPS/mygroup", "", {}, kGroupApi);
  ASSERT_EQ(g.status, 200) << g;
  EXPECT_EQ(g.json()["name"], "MyGroup");
  EXPECT_EQ(g.json()["id"], GroupPath(sub_, "MyGroup"));

  const std::string lower = "/subscriptions/" + sub_ +
                            "/resourcegroups/mygroup/providers/microsoft.network/"
                            "virtualnetworks/vnet1";
  const std::string mixed = "/Subscriptions/" + sub_ +
                            "/ResourceGroups/MYGROUP/Providers/Microsoft.Network/"
                            "VirtualNetworks/VNet1";
  Reply created = arm_->Put(mixed, VnetBody({"10.1.0.0/16"}, {{"Default", "10.1.0.0/24"}}));
  ASSERT_EQ(created.status, 201) << created;
  Reply replaced = arm_->Put(lower, VnetBody({"10.1.0.0/16"}, {{"default", "10.1.0.0/24"}}));
  EXPECT_EQ(replaced.status, 200) << "same resource under another casing: " << replaced;
  Reply got = arm_->Get(lower);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json()["name"], "VNet1");
  std::string id = got.json()["id"];
  std::string want = NetPath(sub_, "MyGroup", "virtualNetworks", "VNet1");
  EXPECT_TRUE(std::equal(id.begin(), id.end(), want.begin(), want.end(),
                         [](unsigned char a, unsigned char b) { return std::tolower(a) == std::tolower(b); }))
      << id;
  EXPECT_TRUE(id.ends_with("/virtualNetworks/VNet1")) << id;
  EXPECT_EQ(got.json()["type"], "Microsoft.Network/virtualNetworks");
  EXPECT_EQ(arm_->Get(lower + "/SUBNETS/DEFAULT").status, 200);
  Reply list = arm_->Get("/subscriptions/" + sub_ +
                         "/resourceGroups/MYGROUP/providers/MICROSOFT.NETWORK/virtualNetworks");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json()["value"].size(), 1u);
}

// ---- Virtual networks: PUT 201/200, ETags, PATCH tags, lists at two scopes, subnets --------------------

TEST_F(RestApi, VirtualNetworkCrudEtagsAndLists) {
  ASSERT_EQ(arm_->Send("PUT", GroupPath(sub_, "rg1"), GroupBody().dump(), {}, kGroupApi).status, 201);
  ASSERT_EQ(arm_->Send("PUT", GroupPath(sub_, "rg2"), GroupBody().dump(), {}, kGroupApi).status, 201);
  const std::string v1 = NetPath(sub_, "rg1", "virtualNetworks", "vnet1");
  const std::string v2 = NetPath(sub_, "rg2", "virtualNetworks", "vnet2");
  std::vector<std::string> etags;

  Reply c = arm_->Put(v1, VnetBody({"10.1.0.0/16"}, {{"frontend", "10.1.1.0/24"}}));
  ASSERT_EQ(c.status, 201) << c;
  Json doc = c.json();
  EXPECT_EQ(doc["properties"]["provisioningState"], "Succeeded");
  EXPECT_FALSE(doc["properties"].value("resourceGuid", "").empty());
  EXPECT_TRUE(doc.value("etag", "").starts_with("W/\"")) << doc.dump();
  EXPECT_EQ(doc["properties"]["addressSpace"]["addressPrefixes"], (Json{"10.1.0.0/16"}));
  EXPECT_EQ(doc["properties"]["subnets"][0]["name"], "frontend");
  EXPECT_EQ(doc["properties"]["subnets"][0]["properties"]["addressPrefix"], "10.1.1.0/24");
  etags.push_back(doc["etag"]);
  const std::string guid = doc["properties"]["resourceGuid"];

  Reply r = arm_->Put(v1, VnetBody({"10.1.0.0/16", "10.100.0.0/16"}, {{"frontend", "10.1.1.0/24"}}));
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.json()["properties"]["resourceGuid"], guid) << "the resource keeps its identity";
  etags.push_back(r.json()["etag"]);

  Reply p = arm_->Patch(v1, {{"tags", {{"env", "prod"}}}});
  ASSERT_EQ(p.status, 200) << p;
  EXPECT_EQ(p.json()["tags"], (Json{{"env", "prod"}}));
  EXPECT_EQ(p.json()["properties"]["addressSpace"]["addressPrefixes"].size(), 2u)
      << "PATCH changes only tags";
  etags.push_back(p.json()["etag"]);
  Reply bad_patch = arm_->Patch(v1, {{"tags", {{"a", "b"}}}, {"location", "eastus"}});
  EXPECT_EQ(bad_patch.status, 400);
  EXPECT_EQ(bad_patch.error_code(), "InvalidRequestFormat");
  Reply bad_tags = arm_->Patch(v1, {{"tags", {{"a", 1}}}});
  EXPECT_EQ(bad_tags.status, 400);
  Reply patch_missing =
      arm_->Patch(NetPath(sub_, "rg1", "virtualNetworks", "nope"), {{"tags", Json::object()}});
  EXPECT_EQ(patch_missing.status, 404);
  EXPECT_EQ(patch_missing.error_code(), "ResourceNotFound");

  // Subnets are child resources.
  Reply s = arm_->Put(v1 + "/subnets/backend", {{"properties", {{"addressPrefix", "10.1.2.0/24"}}}});
  ASSERT_EQ(s.status, 201) << s;
  EXPECT_EQ(s.json()["name"], "backend");
  EXPECT_EQ(s.json()["id"], v1 + "/subnets/backend");
  EXPECT_EQ(s.json()["type"], "Microsoft.Network/virtualNetworks/subnets");
  const std::string subnet_etag = s.json()["etag"];
  Reply s2 = arm_->Put(v1 + "/subnets/backend",
                       {{"properties", {{"addressPrefixes", {"10.1.2.0/24", "10.1.3.0/24"}}}}});
  ASSERT_EQ(s2.status, 200) << s2;
  EXPECT_NE(s2.json()["etag"], subnet_etag);
  EXPECT_EQ(s2.json()["properties"]["addressPrefixes"], (Json{"10.1.2.0/24", "10.1.3.0/24"}));
  etags.push_back(arm_->Get(v1).json()["etag"]);
  Reply sg = arm_->Get(v1 + "/subnets/backend");
  ASSERT_EQ(sg.status, 200);
  EXPECT_EQ(sg.json(), s2.json());
  Reply sl = arm_->Get(v1 + "/subnets");
  ASSERT_EQ(sl.status, 200);
  ASSERT_EQ(sl.json()["value"].size(), 2u);
  EXPECT_EQ(sl.json()["value"], arm_->Get(v1).json()["properties"]["subnets"]) << "list = the VNet's subnets";
  Reply no_subnet = arm_->Get(v1 + "/subnets/nope");
  EXPECT_EQ(no_subnet.status, 404);
  EXPECT_EQ(no_subnet.error_code(), "ResourceNotFound");
  Reply subnet_of_missing_vnet = arm_->Put(NetPath(sub_, "rg1", "virtualNetworks", "nope") + "/subnets/a",
                                           {{"properties", {{"addressPrefix", "10.9.0.0/24"}}}});
  EXPECT_EQ(subnet_of_missing_vnet.status, 404);
  EXPECT_EQ(arm_->Get(NetPath(sub_, "rg1", "virtualNetworks", "nope") + "/subnets").status, 404);
  Reply patch_subnet = arm_->Patch(v1 + "/subnets/backend", {{"tags", Json::object()}});
  EXPECT_EQ(patch_subnet.status, 400);
  Reply sd = arm_->Delete(v1 + "/subnets/backend");
  EXPECT_EQ(sd.status, 200) << sd;
  EXPECT_EQ(arm_->Delete(v1 + "/subnets/backend").status, 204);
  EXPECT_EQ(arm_->Get(v1 + "/subnets/backend").status, 404);
  etags.push_back(arm_->Get(v1).json()["etag"]);

  // Every write gave a new ETag.
  EXPECT_EQ(std::set<std::string>(etags.begin(), etags.end()).size(), etags.size());

  ASSERT_EQ(arm_->Put(v2, VnetBody({"10.2.0.0/16"}, {})).status, 201);
  ASSERT_EQ(arm_->Put(NetPath(sub_, "rg1", "publicIPAddresses", "pip"), PublicIpBody()).status, 201);
  auto names = [](const Reply& rep) {
    std::set<std::string> n;
    const Json listed = rep.json();
    for (const auto& x : listed["value"]) n.insert(x["name"].get<std::string>());
    return n;
  };
  Reply in_rg1 =
      arm_->Get("/subscriptions/" + sub_ + "/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks");
  ASSERT_EQ(in_rg1.status, 200) << in_rg1;
  EXPECT_EQ(names(in_rg1), (std::set<std::string>{"vnet1"}));
  Reply in_sub = arm_->Get("/subscriptions/" + sub_ + "/providers/Microsoft.Network/virtualNetworks");
  ASSERT_EQ(in_sub.status, 200) << in_sub;
  EXPECT_EQ(names(in_sub), (std::set<std::string>{"vnet1", "vnet2"}));
  Reply pips = arm_->Get("/subscriptions/" + sub_ + "/providers/Microsoft.Network/publicIPAddresses");
  EXPECT_EQ(names(pips), (std::set<std::string>{"pip"}));
  Reply list_missing_group = arm_->Get("/subscriptions/" + sub_ +
                                       "/resourceGroups/nope/providers/Microsoft.Network/virtualNetworks");
  EXPECT_EQ(list_missing_group.status, 404);
  EXPECT_EQ(list_missing_group.error_code(), "ResourceGroupNotFound");

  // GET of unknown things.
  Reply missing = arm_->Get(NetPath(sub_, "rg1", "virtualNetworks", "nope"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.error_code(), "ResourceNotFound");
  Reply missing_group = arm_->Get(NetPath(sub_, "nope", "virtualNetworks", "vnet1"));
  EXPECT_EQ(missing_group.status, 404);
  EXPECT_EQ(missing_group.error_code(), "ResourceGroupNotFound");
  Reply put_missing_group =
      arm_->Put(NetPath(sub_, "nope", "virtualNetworks", "v"), VnetBody({"10.0.0.0/16"}, {}));
  EXPECT_EQ(put_missing_group.status, 404);
  EXPECT_EQ(put_missing_group.error_code(), "ResourceGroupNotFound");

  // Plain resources delete synchronously: 200, then 204.
  EXPECT_EQ(arm_->Delete(v2).status, 200);
  EXPECT_EQ(arm_->Get(v2).status, 404);
  EXPECT_EQ(arm_->Delete(v2).status, 204);
}

// ---- 400: bad bodies and broken rules; nothing is stored -------------------------------------------------

TEST_F(RestApi, ValidationErrorsAre400AndStoreNothing) {
  ASSERT_EQ(arm_->Send("PUT", GroupPath(sub_, "rg"), GroupBody().dump(), {}, kGroupApi).status, 201);
  const std::string v = NetPath(sub_, "rg", "virtualNetworks", "v");
  struct Case {
    std::string name, body, code, message_part;
  };
  const std::vector<Case> cases = {
      {"bad JSON", R"({"location": "westus2", "properties": )", "InvalidRequestContent", ""},
      {"not an object", R"(["westus2"])", "InvalidRequestFormat", ""},
      {"no location", VnetBody({"10.0.0.0/16"}, {}).dump().replace(2, 8, "xocation"), "LocationRequired", ""},
      {"host bits set", VnetBody({"10.1.2.3/16"}, {}).dump(), "InvalidAddressPrefixFormat", "host bits"},
      {"not a prefix", VnetBody({"10.1.0.0/33"}, {}).dump(), "InvalidAddressPrefixFormat", ""},
      {"subnet outside VNet", VnetBody({"10.1.0.0/16"}, {{"a", "10.2.0.0/24"}}).dump(),
       "NetcfgSubnetRangeOutsideVnet", "10.2.0.0/24"},
      {"overlapping subnets",
       VnetBody({"10.1.0.0/16"}, {{"a", "10.1.0.0/24"}, {"b", "10.1.0.128/25"}}).dump(),
       "NetcfgSubnetRangesOverlap", ""},
      {"overlapping space", VnetBody({"10.1.0.0/16", "10.1.128.0/17"}, {}).dump(),
       "VnetAddressPrefixesOverlap", ""},
      {"subnet too small", VnetBody({"10.1.0.0/16"}, {{"a", "10.1.0.0/30"}}).dump(),
       "InvalidSubnetPrefixLength", ""},
      {"duplicate subnet", VnetBody({"10.1.0.0/16"}, {{"a", "10.1.0.0/24"}, {"A", "10.1.1.0/24"}}).dump(),
       "DuplicateResourceName", ""},
      {"empty space", VnetBody({}, {}).dump(), "MissingRequiredProperty", ""},
      {"wrong type",
       R"({"location":"westus2","properties":{"addressSpace":{"addressPrefixes":"10.0.0.0/8"}}})",
       "InvalidRequestFormat", ""},
  };
  for (const auto& c : cases) {
    Reply r = arm_->Send("PUT", v, c.body);
    EXPECT_EQ(r.status, 400) << c.name << ": " << r;
    EXPECT_EQ(r.error_code(), c.code) << c.name << ": " << r;
    if (!c.message_part.empty()) {
      EXPECT_NE(r.error_message().find(c.message_part), std::string::npos) << c.name << ": " << r;
    }
    EXPECT_EQ(r.json()["error"]["details"], Json::array()) << c.name;
    EXPECT_EQ(arm_->Get(v).status, 404) << c.name << ": nothing may be stored";
  }
  Reply bad_name = arm_->Put(NetPath(sub_, "rg", "virtualNetworks", "-bad"), VnetBody({"10.0.0.0/16"}, {}));
  EXPECT_EQ(bad_name.status, 400);
  EXPECT_EQ(bad_name.error_code(), "InvalidResourceName");

  // A failed replace leaves the previous version (and its ETag) in place.
  Reply ok = arm_->Put(v, VnetBody({"10.1.0.0/16"}, {{"a", "10.1.0.0/24"}}));
  ASSERT_EQ(ok.status, 201);
  Reply broken = arm_->Put(v, VnetBody({"10.1.0.0/16"}, {{"a", "10.1.0.0/24"}, {"b", "10.3.0.0/24"}}));
  EXPECT_EQ(broken.status, 400);
  EXPECT_EQ(arm_->Get(v).json(), ok.json());
  Reply subnet_outside = arm_->Put(v + "/subnets/b", {{"properties", {{"addressPrefix", "10.3.0.0/24"}}}});
  EXPECT_EQ(subnet_outside.status, 400);
  EXPECT_EQ(subnet_outside.error_code(), "NetcfgSubnetRangeOutsideVnet");
  EXPECT_EQ(arm_->Get(v).json(), ok.json());

  Reply pip_bad = arm_->Put(NetPath(sub_, "rg", "publicIPAddresses", "p"),
                            {{"location", "westus2"},
                             {"sku", {{"name", "Standard"}}},
                             {"properties", {{"publicIPAllocationMethod", "Dynamic"}}}});
  EXPECT_EQ(pip_bad.status, 400);
  EXPECT_EQ(pip_bad.error_code(), "StandardSkuPublicIPAddressesMustBeStatic");
  Reply lgw_bad = arm_->Put(NetPath(sub_, "rg", "localNetworkGateways", "l"),
                            {{"location", "westus2"}, {"properties", {{"gatewayIpAddress", "not-an-ip"}}}});
  EXPECT_EQ(lgw_bad.status, 400);
  EXPECT_EQ(lgw_bad.error_code(), "InvalidGatewayIpAddress");
}

// ---- 412: optimistic concurrency ------------------------------------------------------------------------

TEST_F(RestApi, EtagPreconditions) {
  ASSERT_EQ(arm_->Send("PUT", GroupPath(sub_, "rg"), GroupBody().dump(), {}, kGroupApi).status, 201);
  const std::string v = NetPath(sub_, "rg", "virtualNetworks", "v");
  const Json body = VnetBody({"10.1.0.0/16"}, {});
  Reply created = arm_->Put(v, body, {{"If-None-Match", "*"}});
  ASSERT_EQ(created.status, 201) << created;
  const std::string etag1 = created.json()["etag"];

  Reply exists = arm_->Put(v, body, {{"If-None-Match", "*"}});
  EXPECT_EQ(exists.status, 412);
  EXPECT_EQ(exists.error_code(), "PreconditionFailed");

  Reply updated = arm_->Put(v, body, {{"If-Match", etag1}});
  ASSERT_EQ(updated.status, 200) << updated;
  const std::string etag2 = updated.json()["etag"];
  EXPECT_NE(etag1, etag2);

  Reply stale = arm_->Put(v, body, {{"If-Match", etag1}});
  EXPECT_EQ(stale.status, 412);
  EXPECT_EQ(stale.error_code(), "PreconditionFailed");
  EXPECT_NE(stale.error_message().find(etag2), std::string::npos) << stale;
  EXPECT_EQ(arm_->Patch(v, {{"tags", Json::object()}}, {{"If-Match", etag1}}).status, 412);
  EXPECT_EQ(arm_->Delete(v, {{"If-Match", etag1}}).status, 412);
  EXPECT_EQ(arm_->Get(v).json()["etag"], etag2) << "refused writes change nothing";

  Reply if_match_missing =
      arm_->Put(NetPath(sub_, "rg", "virtualNetworks", "w"), body, {{"If-Match", etag2}});
  EXPECT_EQ(if_match_missing.status, 412);
  EXPECT_EQ(arm_->Put(NetPath(sub_, "rg", "virtualNetworks", "w"), body, {{"If-Match", "*"}}).status, 412);
  EXPECT_EQ(arm_->Put(v, body, {{"If-Match", "*"}}).status, 200);

  Reply subnet = arm_->Put(v + "/subnets/a", {{"properties", {{"addressPrefix", "10.1.0.0/24"}}}});
  ASSERT_EQ(subnet.status, 201);
  EXPECT_EQ(arm_->Put(v + "/subnets/a", {{"properties", {{"addressPrefix", "10.1.0.0/24"}}}},
                      {{"If-None-Match", "*"}})
                .status,
            412);
  EXPECT_EQ(arm_->Put(v + "/subnets/a", {{"properties", {{"addressPrefix", "10.1.0.0/24"}}}},
                      {{"If-Match", subnet.json()["etag"].get<std::string>()}})
                .status,
            200);

  std::string current = arm_->Get(v).json()["etag"];
  EXPECT_EQ(arm_->Delete(v, {{"If-Match", current}}).status, 200);
}

// ---- 413 ------------------------------------------------------------------------------------------------

TEST_F(RestApi, BodiesOverOneMebibyteAre413) {
  ASSERT_EQ(arm_->Send("PUT", GroupPath(sub_, "rg"), GroupBody().dump(), {}, kGroupApi).status, 201);
  const std::string v = NetPath(sub_, "rg", "virtualNetworks", "v");
  Json body = VnetBody({"10.1.0.0/16"}, {});
  body["tags"] = {{"pad", std::string(1 << 20, 'x')}};
  Reply r = arm_->Put(v, body);
  EXPECT_EQ(r.status, 413) << r;
  EXPECT_EQ(r.error_code(), "RequestEntityTooLarge");
  // Far above the limit, the HTTP layer refuses it before the router does; still 413.
  Reply huge = arm_->Send("PUT", v, std::string(3 << 20, ' '));
  EXPECT_EQ(huge.status, 413) << huge;
  EXPECT_EQ(arm_->Get(v).status, 404);
  // The daemon is still fine afterwards.
  EXPECT_EQ(arm_->Put(v, VnetBody({"10.1.0.0/16"}, {})).status, 201);
}

// ---- 404 and 405: the routing table ---------------------------------------------------------------------

TEST_F(RestApi, UnknownRoutesAre404AndWrongMethodsAre405) {
  ASSERT_EQ(arm_->Send("PUT", GroupPath(sub_, "rg"), GroupBody().dump(), {}, kGroupApi).status, 201);
  const std::string base = "/subscriptions/" + sub_;
  const std::string v = NetPath(sub_, "rg", "virtualNetworks", "v");
  ASSERT_EQ(arm_->Put(v, VnetBody({"10.1.0.0/16"}, {{"a", "10.1.0.0/24"}})).status, 201);
  ASSERT_EQ(arm_->Put(NetPath(sub_, "rg", "publicIPAddresses", "p"), PublicIpBody()).status, 201);

  struct Case {
    std::string method, path;
    int status;
    std::string code;
    std::string body = "{}";
  };
  const std::vector<Case> cases = {
      {"GET", "/", 404, "NotFound"},
      {"GET", "/healthz", 404, "NotFound"},
      {"GET", base + "/locations/westus", 404, "NotFound"},
      {"GET", base + "/providers/Microsoft.Storage", 404, "InvalidResourceNamespace"},
      {"GET", base + "/providers/Microsoft.Storage/storageAccounts", 404, "NotFound"},
      {"GET", base + "/providers/Microsoft.Compute/disks", 404, "NotFound"},
      {"GET", base + "/providers/Microsoft.Network/routeTables", 404, "NotFound"},
      {"GET", base + "/providers/Microsoft.Network/virtualNetworks/extra", 404, "NotFound"},
      {"GET", base + "/providers/Microsoft.Network/locations/westus2/operations/" + std::string(36, '0'), 404,
       "OperationNotFound"},
      {"GET", base + "/resourceGroups/rg/providers", 404, "NotFound"},
      {"GET", base + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa", 404, "NotFound"},
      {"GET", base + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm", 404,
       "ResourceNotFound"},
      {"GET", base + "/resourceGroups/rg/providers/Microsoft.Compute/disks/d", 404, "InvalidResourceType"},
      {"GET", base + "/resourceGroups/rg/providers/Microsoft.Network/routeTables/t", 404,
       "InvalidResourceType"},
      {"GET", base + "/resourceGroups/rg/providers/Microsoft.Network", 404, "InvalidResourceType"},
      {"GET", v + "/peerings", 404, "NotFound"},
      {"GET", v + "/subnets/a/extra", 404, "NotFound"},
      {"GET", NetPath(sub_, "rg", "publicIPAddresses", "p") + "/reset", 404, "NotFound"},
      {"GET", NetPath(sub_, "rg", "connections", "c") + "/unknown", 404, "NotFound"},
      {"GET", NetPath(sub_, "rg", "connections", "c") + "/sharedkey", 404, "ResourceNotFound"},
      {"POST", NetPath(sub_, "rg", "virtualNetworkGateways", "g") + "/reset", 404, "ResourceNotFound"},
      {"POST", NetPath(sub_, "rg", "connections", "c") + "/sharedkey/reset", 404, "ResourceNotFound",
       R"({"keyLength":32})"},
      {"PUT", NetPath(sub_, "rg", "connections", "c") + "/sharedkey", 404, "ResourceNotFound",
       R"({"value":"k"})"},
      {"GET", NetPath(sub_, "rg", "localNetworkGateways", "l"), 404, "ResourceNotFound"},
      // 405: a known path, a method it does not take.
      {"PUT", "/subscriptions", 405, "MethodNotAllowed"},
      {"DELETE", base, 405, "MethodNotAllowed"},
      {"POST", base + "/resourceGroups", 405, "MethodNotAllowed"},
      {"POST", GroupPath(sub_, "rg"), 405, "MethodNotAllowed"},
      {"POST", v, 405, "MethodNotAllowed"},
      {"OPTIONS", v, 405, "MethodNotAllowed"},
      {"PUT", base + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks", 405,
       "MethodNotAllowed"},
      {"DELETE", base + "/providers/Microsoft.Network/virtualNetworks", 405, "MethodNotAllowed"},
      {"PUT", v + "/subnets", 405, "MethodNotAllowed"},
      {"POST", v + "/subnets/a", 405, "MethodNotAllowed"},
      {"DELETE", base + "/providers/Microsoft.Network/locations/westus2/operations/x", 405,
       "MethodNotAllowed"},
      {"GET", NetPath(sub_, "rg", "virtualNetworkGateways", "g") + "/reset", 405, "MethodNotAllowed"},
      {"POST", NetPath(sub_, "rg", "connections", "c") + "/sharedkey", 405, "MethodNotAllowed"},
      {"GET", NetPath(sub_, "rg", "connections", "c") + "/sharedkey/reset", 405, "MethodNotAllowed"},
  };
  for (const auto& c : cases) {
    Reply r = arm_->Send(c.method, c.path, c.method == "GET" || c.method == "DELETE" ? "" : c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.path << ": " << r;
    EXPECT_EQ(r.error_code(), c.code) << c.method << " " << c.path << ": " << r;
  }
  // A route that does not exist is 404 even without api-version (routing comes first for non-ARM paths).
  EXPECT_EQ(arm_->Send("GET", "/healthz", "", {}, nullptr).status, 404);
  // /metrics is served without api-version (Prometheus sends none), in Prometheus' text format.
  Reply metrics = arm_->Send("GET", "/metrics", "", {}, nullptr);
  EXPECT_EQ(metrics.status, 200) << metrics;
  EXPECT_NE(metrics.header("content-type").find("text/plain"), std::string::npos)
      << metrics.header("content-type");
  // The request ID is echoed.
  Reply echoed = arm_->Get(base, {{"x-ms-client-request-id", "abc-123"}});
  EXPECT_EQ(echoed.header("x-ms-request-id"), "abc-123");
}

// ---- A full VNet-to-VNet deployment: the async pattern, public IPs, shared keys, 409s, cascades -------

class RestVnetToVnet : public DaemonFixture {
 protected:
  const std::string kKey = "Isthmus-SharedKey-7f3a9c";
};

TEST_F(RestVnetToVnet, GatewaysAndConnectionsFollowTheAsyncPattern) {
  ASSERT_EQ(arm_->Send("PUT", GroupPath(sub_, "rg"), GroupBody().dump(), {}, kGroupApi).status, 201);
  const std::string v1 = NetPath(sub_, "rg", "virtualNetworks", "VNet1");
  const std::string pip = NetPath(sub_, "rg", "publicIPAddresses", "VNet1GWpip");
  const std::string gw = NetPath(sub_, "rg", "virtualNetworkGateways", "VNet1GW");
  ASSERT_EQ(arm_->Put(v1, VnetBody({"10.1.0.0/16"}, {{"GatewaySubnet", "10.1.255.0/27"}})).status, 201);
  Reply p = arm_->Put(pip, PublicIpBody());
  ASSERT_EQ(p.status, 201);
  EXPECT_FALSE(p.json()["properties"].contains("ipAddress")) << "a Dynamic address comes with its gateway";

  Reply r = arm_->Put(gw, GatewayBody(v1 + "/subnets/GatewaySubnet", pip));
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(r.json()["properties"]["provisioningState"], "Updating");
  EXPECT_EQ(r.header("Retry-After"), "1");
  const std::string url = r.header("Azure-AsyncOperation");
  ASSERT_FALSE(url.empty());
  std::string results = url;
  results.replace(results.find("/operations/"), 12, "/operationResults/");
  EXPECT_EQ(r.header("Location"), results);
  EXPECT_TRUE(
      url.starts_with(fmt::format("https://127.0.0.1:{}/subscriptions/{}/providers/Microsoft.Network/"
                                  "locations/westus2/operations/",
                                  daemon_->port(), sub_)))
      << url;
  EXPECT_NE(url.find("api-version=2023-09-01"), std::string::npos) << url;
  Json op = arm_->WaitOperation(url);
  EXPECT_EQ(op.value("status", ""), "Succeeded") << op.dump();
  EXPECT_FALSE(op.value("startTime", "").empty());
  EXPECT_FALSE(op.value("endTime", "").empty());
  EXPECT_EQ(op.value("name", ""), url.substr(url.rfind('/') + 1, url.find('?') - url.rfind('/') - 1));
  Reply g = arm_->Get(gw);
  ASSERT_EQ(g.status, 200);
  EXPECT_EQ(g.json()["properties"]["provisioningState"], "Succeeded");
  EXPECT_EQ(g.json()["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"],
            v1 + "/subnets/GatewaySubnet");

  // The public IP now has an address from the underlay pool.
  Reply pip_now = arm_->Get(pip);
  std::string address = pip_now.json()["properties"].value("ipAddress", "");
  EXPECT_TRUE(InPool(address)) << pip_now;
  EXPECT_NE(address, "198.18.0.0");
  EXPECT_NE(pip_now.json()["etag"], p.json()["etag"]);
  EXPECT_TRUE(pip_now.json()["properties"]["ipConfiguration"]["id"].get<std::string>().starts_with(gw + "/"));

  // Gateway reset: 202 + operation.
  Reply reset = arm_->Post(gw + "/reset", Json::object());
  ASSERT_EQ(reset.status, 202) << reset;
  EXPECT_TRUE(reset.body.empty());
  ASSERT_FALSE(reset.header("Azure-AsyncOperation").empty());
  EXPECT_EQ(arm_->WaitOperation(reset.header("Azure-AsyncOperation")).value("status", ""), "Succeeded");
  EXPECT_EQ(arm_->Get(gw).json()["properties"]["provisioningState"], "Succeeded");

  // DELETE of a gateway: 202, then gone, and its Dynamic address is returned to the pool.
  Reply d = arm_->Delete(gw);
  ASSERT_EQ(d.status, 202) << d;
  ASSERT_FALSE(d.header("Azure-AsyncOperation").empty());
  EXPECT_EQ(arm_->WaitOperation(d.header("Azure-AsyncOperation")).value("status", ""), "Succeeded");
  EXPECT_EQ(arm_->Get(gw).status, 404);
  EXPECT_FALSE(arm_->Get(pip).json()["properties"].contains("ipAddress"));
  EXPECT_EQ(arm_->Delete(gw).status, 204);
  // With the gateway gone, the GatewaySubnet and the public IP are free again.
  EXPECT_EQ(arm_->Delete(v1 + "/subnets/GatewaySubnet").status, 200);
  EXPECT_EQ(arm_->Delete(pip).status, 200);
}

TEST_F(RestVnetToVnet, SharedKeyIsNeverShownByPlainReadsOrLogs) {
  VnetToVnet t = BuildVnetToVnet(*arm_, sub_, "rg", kKey);
  ASSERT_FALSE(HasFailure());
  std::vector<std::string> keys = {kKey};

  auto assert_hidden = [&](const std::string& where) {
    for (const std::string& path : std::vector<std::string>{
             t.conn, "/subscriptions/" + sub_ + "/resourceGroups/rg/providers/Microsoft.Network/connections",
             "/subscriptions/" + sub_ + "/providers/Microsoft.Network/connections"}) {
      Reply r = arm_->Get(path);
      ASSERT_EQ(r.status, 200) << path;
      EXPECT_EQ(r.body.find("sharedKey"), std::string::npos) << where << " " << path << ": " << r;
      for (const auto& k : keys) EXPECT_EQ(r.body.find(k), std::string::npos) << where << " " << path;
    }
  };
  Reply c = arm_->Get(t.conn);
  ASSERT_EQ(c.status, 200);
  EXPECT_EQ(c.json()["properties"]["provisioningState"], "Succeeded");
  EXPECT_EQ(c.json()["properties"]["connectionType"], "Vnet2Vnet");
  EXPECT_EQ(c.json()["properties"]["connectionStatus"], "Unknown");
  EXPECT_EQ(c.json()["properties"]["virtualNetworkGateway1"]["id"], t.gw1);
  assert_hidden("after create");

  Reply k = arm_->Get(t.conn + "/sharedkey");
  ASSERT_EQ(k.status, 200) << k;
  EXPECT_EQ(k.json(), (Json{{"value", kKey}}));

  // PUT sharedkey: 200 with the value, the connection goes through an operation, the key changes.
  const std::string new_key = "An0ther-Key_with.symbols!";
  keys.push_back(new_key);
  Reply set = arm_->Put(t.conn + "/sharedkey", {{"value", new_key}});
  ASSERT_EQ(set.status, 200) << set;
  EXPECT_EQ(set.json(), (Json{{"value", new_key}}));
  ASSERT_FALSE(set.header("Azure-AsyncOperation").empty());
  EXPECT_EQ(arm_->WaitOperation(set.header("Azure-AsyncOperation")).value("status", ""), "Succeeded");
  EXPECT_EQ(arm_->Get(t.conn + "/sharedkey").json()["value"], new_key);
  assert_hidden("after sharedkey PUT");

  // A PUT of the connection without sharedKey keeps the stored key.
  Reply replaced = arm_->Put(t.conn, ConnectionBody(t.gw1, t.gw2, std::nullopt));
  ASSERT_EQ(replaced.status, 200) << replaced;
  EXPECT_EQ(replaced.body.find(new_key), std::string::npos);
  ASSERT_EQ(arm_->WaitOperation(replaced.header("Azure-AsyncOperation")).value("status", ""), "Succeeded");
  EXPECT_EQ(arm_->Get(t.conn + "/sharedkey").json()["value"], new_key);

  // Reset: a new random alphanumeric key of the asked length.
  for (int length : {64, 1, 128}) {
    Reply reset = arm_->Post(t.conn + "/sharedkey/reset", {{"keyLength", length}});
    ASSERT_EQ(reset.status, 200) << reset;
    EXPECT_EQ(reset.json(), (Json{{"keyLength", length}}));
    ASSERT_EQ(arm_->WaitOperation(reset.header("Azure-AsyncOperation")).value("status", ""), "Succeeded");
    std::string key = arm_->Get(t.conn + "/sharedkey").json()["value"];
    EXPECT_EQ(key.size(), static_cast<std::size_t>(length));
    EXPECT_TRUE(std::all_of(key.begin(), key.end(), [](unsigned char ch) { return std::isalnum(ch); }))
        << key;
    if (length > 1) {
      EXPECT_NE(key, keys.back());
      keys.push_back(key);
    }
    assert_hidden(fmt::format("after reset to {}", length));
  }

  // Bad keys and bad reset bodies are 400 and change nothing.
  const std::string current = arm_->Get(t.conn + "/sharedkey").json()["value"];
  for (const Json& body :
       {Json{{"value", "has space"}}, Json{{"value", ""}}, Json{{"value", std::string(129, 'k')}},
        Json{{"value", 12}}, Json{{"nope", "x"}}, Json::array()}) {
    Reply r = arm_->Put(t.conn + "/sharedkey", body);
    EXPECT_EQ(r.status, 400) << body.dump() << ": " << r;
  }
  EXPECT_EQ(arm_->Put(t.conn + "/sharedkey", {{"value", "tab\tkey"}}).error_code(), "InvalidSharedKey");
  for (const Json& body : {Json{{"keyLength", 0}}, Json{{"keyLength", 129}}, Json{{"keyLength", -5}},
                           Json{{"keyLength", "32"}}, Json::object()}) {
    Reply r = arm_->Post(t.conn + "/sharedkey/reset", body);
    EXPECT_EQ(r.status, 400) << body.dump() << ": " << r;
  }
  EXPECT_EQ(arm_->Send("POST", t.conn + "/sharedkey/reset", "{not json").error_code(),
            "InvalidRequestContent");
  Reply bad_conn_key = arm_->Put(t.conn, ConnectionBody(t.gw1, t.gw2, "two words"));
  EXPECT_EQ(bad_conn_key.status, 400);
  EXPECT_EQ(bad_conn_key.error_code(), "InvalidSharedKey");
  EXPECT_EQ(arm_->Get(t.conn + "/sharedkey").json()["value"], current);

  // A connection created without a key gets a generated one, and a Warning says so.
  const std::string conn2 = NetPath(sub_, "rg", "connections", "VNet4toVNet1");
  Reply gen = arm_->Put(conn2, ConnectionBody(t.gw2, t.gw1, std::nullopt));
  ASSERT_EQ(gen.status, 201) << gen;
  EXPECT_FALSE(gen.header("Warning").empty());
  ASSERT_EQ(arm_->WaitOperation(gen.header("Azure-AsyncOperation")).value("status", ""), "Succeeded");
  std::string generated = arm_->Get(conn2 + "/sharedkey").json()["value"];
  EXPECT_EQ(generated.size(), 32u);
  EXPECT_EQ(arm_->Get(conn2).body.find(generated), std::string::npos);
  keys.push_back(generated);

  // The daemon's log (at debug level) never contains any key.
  std::string log = daemon_->Log();
  EXPECT_NE(log.find("listening on"), std::string::npos);
  for (const auto& key : keys) {
    if (key.size() >= 8) {
      EXPECT_EQ(log.find(key), std::string::npos) << "log leaks key " << key;
    }
  }
}

TEST_F(RestVnetToVnet, InUseResourcesAre409AndGroupDeleteCascades) {
  VnetToVnet t = BuildVnetToVnet(*arm_, sub_, "rg", kKey);
  ASSERT_FALSE(HasFailure());

  // Both public IPs have distinct addresses from the pool.
  std::string a1 = arm_->Get(t.pip1).json()["properties"].value("ipAddress", "");
  std::string a2 = arm_->Get(t.pip2).json()["properties"].value("ipAddress", "");
  EXPECT_TRUE(InPool(a1)) << a1;
  EXPECT_TRUE(InPool(a2)) << a2;
  EXPECT_NE(a1, a2);

  struct Conflict {
    std::string what;
    Reply reply;
    std::string code;
  };
  const std::string pip3 = NetPath(sub_, "rg", "publicIPAddresses", "third");
  ASSERT_EQ(arm_->Put(pip3, PublicIpBody()).status, 201);
  std::vector<Conflict> conflicts = {
      {"delete VNet with gateway", arm_->Delete(t.vnet1), "InUseVirtualNetworkCannotBeDeleted"},
      {"delete gateway with connection", arm_->Delete(t.gw1), "InUseVirtualNetworkGatewayCannotBeDeleted"},
      {"delete subnet in use", arm_->Delete(t.vnet1 + "/subnets/GatewaySubnet"),
       "InUseSubnetCannotBeDeleted"},
      {"delete public IP in use", arm_->Delete(t.pip1), "PublicIPAddressInUse"},
      {"second gateway in a VNet",
       arm_->Put(NetPath(sub_, "rg", "virtualNetworkGateways", "Another"),
                 GatewayBody(t.vnet1 + "/subnets/GatewaySubnet", pip3)),
       "VnetAlreadyHasVpnGateway"},
      {"public IP of another gateway",
       arm_->Put(NetPath(sub_, "rg", "virtualNetworkGateways", "Another"),
                 GatewayBody(t.vnet1 + "/subnets/GatewaySubnet", t.pip2)),
       "PublicIPAddressInUse"},
      {"remove GatewaySubnet by VNet PUT",
       arm_->Put(t.vnet1, VnetBody({"10.1.0.0/16"}, {{"FrontEnd", "10.1.0.0/24"}})),
       "InUseSubnetCannotBeDeleted"},
      {"grow a VNet into its peer's space",
       arm_->Put(t.vnet1, VnetBody({"10.1.0.0/16", "10.41.128.0/17"},
                                   {{"FrontEnd", "10.1.0.0/24"}, {"GatewaySubnet", "10.1.255.0/27"}})),
       "VnetAddressSpacesOverlap"},
  };
  for (const auto& c : conflicts) {
    EXPECT_EQ(c.reply.status, 409) << c.what << ": " << c.reply;
    EXPECT_EQ(c.reply.error_code(), c.code) << c.what << ": " << c.reply;
  }
  EXPECT_EQ(arm_->Get(NetPath(sub_, "rg", "virtualNetworkGateways", "Another")).status, 404);
  EXPECT_EQ(arm_->Get(t.vnet1).status, 200);
  EXPECT_EQ(arm_->Get(t.gw1).json()["properties"]["provisioningState"], "Succeeded");

  // Deleting the connection: 202, then gone; then the gateway can go.
  Reply dc = arm_->Delete(t.conn);
  ASSERT_EQ(dc.status, 202) << dc;
  ASSERT_EQ(arm_->WaitOperation(dc.header("Azure-AsyncOperation")).value("status", ""), "Succeeded");
  EXPECT_EQ(arm_->Get(t.conn).status, 404);
  EXPECT_EQ(arm_->Get(t.conn + "/sharedkey").status, 404);
  Reply dg = arm_->Delete(t.gw2);
  ASSERT_EQ(dg.status, 202) << dg;
  ASSERT_EQ(arm_->WaitOperation(dg.header("Azure-AsyncOperation")).value("status", ""), "Succeeded");
  EXPECT_EQ(arm_->Get(t.gw2).status, 404);
  EXPECT_FALSE(arm_->Get(t.pip2).json()["properties"].contains("ipAddress")) << "released with its gateway";

  // Another group refers to nothing here, so the whole group goes, in dependency order.
  ASSERT_EQ(arm_->Send("PUT", GroupPath(sub_, "keep"), GroupBody().dump(), {}, kGroupApi).status, 201);
  const std::string kept = NetPath(sub_, "keep", "virtualNetworks", "kept");
  ASSERT_EQ(arm_->Put(kept, VnetBody({"10.9.0.0/16"}, {})).status, 201);
  Reply del = arm_->Delete(GroupPath(sub_, "rg"));
  ASSERT_EQ(del.status, 202) << del;
  Json op = arm_->WaitOperation(del.header("Azure-AsyncOperation"));
  EXPECT_EQ(op.value("status", ""), "Succeeded") << op.dump();
  for (const auto& path : {t.vnet1, t.vnet2, t.pip1, t.pip2, pip3, t.gw1}) {
    Reply r = arm_->Get(path);
    EXPECT_EQ(r.status, 404) << path << ": " << r;
    EXPECT_EQ(r.error_code(), "ResourceGroupNotFound");
  }
  for (const char* type : {"virtualNetworks", "publicIPAddresses", "virtualNetworkGateways", "connections"}) {
    Reply l = arm_->Get(fmt::format("/subscriptions/{}/providers/Microsoft.Network/{}", sub_, type));
    ASSERT_EQ(l.status, 200);
    const Json doc = l.json();
    for (const auto& x : doc["value"]) {
      EXPECT_NE(x["id"].get<std::string>().find("/resourceGroups/keep/"), std::string::npos) << x.dump();
    }
  }
  EXPECT_EQ(arm_->Get(kept).status, 200) << "other groups are untouched";
}

TEST_F(RestVnetToVnet, ConnectionAndGatewayRulesAre400) {
  VnetToVnet t = BuildVnetToVnet(*arm_, sub_, "rg", kKey);
  ASSERT_FALSE(HasFailure());
  // A third VNet whose space overlaps VNet1's, with its own gateway.
  const std::string v3 = NetPath(sub_, "rg", "virtualNetworks", "Overlapping");
  const std::string pip3 = NetPath(sub_, "rg", "publicIPAddresses", "pip3");
  const std::string gw3 = NetPath(sub_, "rg", "virtualNetworkGateways", "gw3");
  ASSERT_EQ(arm_->Put(v3, VnetBody({"10.1.128.0/17"},
                                   {{"Workload", "10.1.128.0/24"}, {"GatewaySubnet", "10.1.254.0/27"}}))
                .status,
            201);
  ASSERT_EQ(arm_->Put(pip3, PublicIpBody()).status, 201);

  Reply wrong_subnet = arm_->Put(gw3, GatewayBody(v3 + "/subnets/Workload", pip3));
  EXPECT_EQ(wrong_subnet.status, 400) << wrong_subnet;
  EXPECT_EQ(wrong_subnet.error_code(), "GatewaySubnetRequired");
  EXPECT_NE(wrong_subnet.error_message().find("Workload"), std::string::npos);
  EXPECT_EQ(arm_->Get(gw3).status, 404);
  EXPECT_FALSE(arm_->Get(pip3).json()["properties"].contains("ipConfiguration")) << "nothing half-applied";
  Reply missing_subnet = arm_->Put(gw3, GatewayBody(v3 + "/subnets/Nope", pip3));
  EXPECT_EQ(missing_subnet.status, 400);
  EXPECT_EQ(missing_subnet.error_code(), "InvalidResourceReference");
  ASSERT_TRUE(PutAndWait(*arm_, gw3, GatewayBody(v3 + "/subnets/GatewaySubnet", pip3)));

  // Overlapping VNets cannot be connected; the message names both prefixes.
  const std::string bad = NetPath(sub_, "rg", "connections", "overlap");
  Reply overlap = arm_->Put(bad, ConnectionBody(t.gw1, gw3, kKey));
  EXPECT_EQ(overlap.status, 400) << overlap;
  EXPECT_EQ(overlap.error_code(), "VnetAddressSpacesOverlap");
  EXPECT_NE(overlap.error_message().find("10.1.0.0/16"), std::string::npos) << overlap;
  EXPECT_NE(overlap.error_message().find("10.1.128.0/17"), std::string::npos) << overlap;
  EXPECT_NE(overlap.error_message().find("VNet1"), std::string::npos) << overlap;
  EXPECT_NE(overlap.error_message().find("Overlapping"), std::string::npos) << overlap;
  EXPECT_EQ(arm_->Get(bad).status, 404);

  // Bad shared key, partial IPsec policy, self-connection, dangling reference.
  Json bad_key = ConnectionBody(t.gw2, gw3, std::string(129, 'x'));
  EXPECT_EQ(arm_->Put(bad, bad_key).error_code(), "InvalidSharedKey");
  Json partial = ConnectionBody(t.gw2, gw3, kKey);
  partial["properties"]["ipsecPolicies"] = {{{"saLifeTimeSeconds", 3600},
                                             {"saDataSizeKilobytes", 102400000},
                                             {"ipsecEncryption", "AES256"},
                                             {"ipsecIntegrity", "SHA256"}}};
  Reply pr = arm_->Put(bad, partial);
  EXPECT_EQ(pr.status, 400) << pr;
  EXPECT_EQ(pr.error_code(), "IpsecPolicyIncomplete");
  for (const char* field : {"ikeEncryption", "ikeIntegrity", "dhGroup", "pfsGroup"}) {
    EXPECT_NE(pr.error_message().find(field), std::string::npos) << field << ": " << pr;
  }
  EXPECT_EQ(arm_->Put(bad, ConnectionBody(t.gw2, t.gw2, kKey)).error_code(), "ConnectionToSelfNotAllowed");
  EXPECT_EQ(
      arm_->Put(bad, ConnectionBody(t.gw2, NetPath(sub_, "rg", "virtualNetworkGateways", "ghost"), kKey))
          .error_code(),
      "InvalidResourceReference");
  Json ipsec_without_local = ConnectionBody(t.gw2, gw3, kKey);
  ipsec_without_local["properties"]["connectionType"] = "IPsec";
  EXPECT_EQ(arm_->Put(bad, ipsec_without_local).error_code(), "InvalidConnectionEnds");
  EXPECT_EQ(arm_->Get(bad).status, 404);

  // A complete policy is accepted (gateways 2 and 3 do not overlap).
  Json full = partial;
  auto& pol = full["properties"]["ipsecPolicies"][0];
  pol["ikeEncryption"] = "AES256";
  pol["ikeIntegrity"] = "SHA384";
  pol["dhGroup"] = "DHGroup14";
  pol["pfsGroup"] = "PFS2048";
  ASSERT_TRUE(PutAndWait(*arm_, bad, full));
  EXPECT_EQ(arm_->Get(bad).json()["properties"]["ipsecPolicies"][0]["dhGroup"], "DHGroup14");

  // A local network gateway + IPsec connection.
  const std::string lgw = NetPath(sub_, "rg", "localNetworkGateways", "onprem");
  Reply l = arm_->Put(lgw, {{"location", "westus2"},
                            {"properties",
                             {{"gatewayIpAddress", "203.0.113.10"},
                              {"localNetworkAddressSpace", {{"addressPrefixes", {"192.168.0.0/16"}}}}}}});
  ASSERT_EQ(l.status, 201) << l;
  EXPECT_EQ(arm_->Put(lgw, l.json()).status, 200);
  Json s2s = {{"location", "westus2"},
              {"properties",
               {{"connectionType", "IPsec"},
                {"virtualNetworkGateway1", {{"id", t.gw1}}},
                {"localNetworkGateway2", {{"id", lgw}}},
                {"sharedKey", kKey}}}};
  ASSERT_TRUE(PutAndWait(*arm_, NetPath(sub_, "rg", "connections", "s2s"), s2s));
  Reply lgw_in_use = arm_->Delete(lgw);
  EXPECT_EQ(lgw_in_use.status, 409);
  EXPECT_EQ(lgw_in_use.error_code(), "InUseLocalNetworkGatewayCannotBeDeleted");
  Reply lgw_list = arm_->Get("/subscriptions/" + sub_ +
                             "/resourceGroups/rg/providers/Microsoft.Network/localNetworkGateways");
  ASSERT_EQ(lgw_list.status, 200);
  EXPECT_EQ(lgw_list.json()["value"].size(), 1u);
}

}  // namespace
}  // namespace isthmus::e2e
