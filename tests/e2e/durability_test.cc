// Durability of isthmusd's store (DESIGN.md §7: "writes are transactional; nothing half-applied survives
// a crash"; store.h: a commit returns only once it survives kill -9).
//
//   (a) clean restart:  build a VNet-to-VNet deployment ─ SIGTERM ─ start on the same state dir ─ compare
//   (b) crash:          N clients write ─ kill -9 at a random point ─ PRAGMA integrity_check ─ restart ─
//                       every acknowledged write is there (or the one write the client had in flight)
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <sqlite3.h>

#include "rest_daemon.h"

namespace isthmus::e2e {
namespace {

using Durability = DaemonFixture;

// ---- (a) a clean restart keeps everything: resources, etags, operations, subscription, token ----------

TEST_F(Durability, RestartKeepsEverythingWithTheSameEtags) {
  const std::string key = "Durable-Key-0123456789";
  VnetToVnet t = BuildVnetToVnet(*arm_, sub_, "rg", key);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(arm_->Patch(t.vnet1, {{"tags", {{"tier", "gold"}}}}).status, 200);
  Reply reset = arm_->Post(t.gw1 + "/reset", Json::object());
  ASSERT_EQ(reset.status, 202);
  const std::string op_url = reset.header("Azure-AsyncOperation");
  Json op_before = arm_->WaitOperation(op_url);
  ASSERT_EQ(op_before.value("status", ""), "Succeeded");

  const std::vector<std::string> paths = {
      "/subscriptions",
      "/subscriptions/" + sub_,
      GroupPath(sub_, "rg"),
      t.vnet1,
      t.vnet2,
      t.vnet1 + "/subnets",
      t.vnet1 + "/subnets/GatewaySubnet",
      t.pip1,
      t.pip2,
      t.gw1,
      t.gw2,
      t.conn,
      t.conn + "/sharedkey",
      "/subscriptions/" + sub_ + "/providers/Microsoft.Network/virtualNetworks",
      "/subscriptions/" + sub_ + "/resourceGroups/rg/providers/Microsoft.Network/connections",
  };
  std::map<std::string, Json> before;
  for (const auto& p : paths) {
    Reply r = arm_->Get(p);
    ASSERT_EQ(r.status, 200) << p << ": " << r;
    before[p] = r.json();
  }
  EXPECT_EQ(before[t.conn + "/sharedkey"]["value"], key);
  const std::string token_before = token_;
  const std::string sub_before = sub_;
  const int old_port = daemon_->port();

  ASSERT_EQ(daemon_->Terminate(), 0) << "isthmusd must exit cleanly on SIGTERM; log:\n" << daemon_->Log();
  EXPECT_NE(daemon_->Log().find("stopped"), std::string::npos);
  EXPECT_EQ(Arm(old_port, token_).Get("/subscriptions").status, 0) << "the old process is gone";
  ASSERT_TRUE(daemon_->Start());
  ASSERT_TRUE(Connect());
  EXPECT_EQ(token_, token_before) << "the token is kept across restarts";
  EXPECT_EQ(sub_, sub_before) << "the default subscription is kept across restarts";

  for (const auto& p : paths) {
    Reply r = arm_->Get(p);
    ASSERT_EQ(r.status, 200) << p << ": " << r;
    EXPECT_EQ(r.json(), before[p]) << p;
  }
  EXPECT_EQ(arm_->Get(t.gw1).json()["etag"], before[t.gw1]["etag"]);
  // Operations survive too (the URL names the new port, the operation ID is the same).
  std::string op_path = op_url.substr(op_url.find("/subscriptions/"));
  Reply op_after = arm_->Get(op_path);
  ASSERT_EQ(op_after.status, 200) << op_after;
  EXPECT_EQ(op_after.json(), op_before);
  // And the restarted daemon works: the deployment can be torn down.
  Reply del = arm_->Delete(GroupPath(sub_, "rg"));
  ASSERT_EQ(del.status, 202) << del;
  EXPECT_EQ(arm_->WaitOperation(del.header("Azure-AsyncOperation")).value("status", ""), "Succeeded");
}

// ---- (b) kill -9 under concurrent writes ------------------------------------------------------------

// What one client knows about one resource it owns: its last acknowledged version and the version of a
// write whose answer never came (it may or may not have been committed).
struct Tracked {
  std::optional<int> acked;  // the version number carried by the acknowledged write
  std::string acked_etag;
  std::optional<int> in_flight;
};

// Returns "" when `observed` (nullopt: absent) is what the client's history allows.
std::string CheckVersion(const std::string& what, const Tracked& t, std::optional<int> observed,
                         const std::string& observed_etag) {
  if (!observed) {
    return t.acked ? fmt::format("{}: acknowledged version {} is lost", what, *t.acked) : "";
  }
  if (t.acked && *observed == *t.acked) {
    return observed_etag == t.acked_etag ? ""
                                         : fmt::format("{}: version {} has etag {}, acknowledged as {}", what,
                                                       *observed, observed_etag, t.acked_etag);
  }
  if (t.in_flight && *observed == *t.in_flight) return "";
  return fmt::format("{}: found version {}; acknowledged {}, in flight {}", what, *observed,
                     t.acked ? std::to_string(*t.acked) : "none",
                     t.in_flight ? std::to_string(*t.in_flight) : "none");
}

// IPv4 CIDR arithmetic, independent of the code under test.
struct V4Prefix {
  std::uint32_t addr = 0;
  int len = -1;
};
std::optional<V4Prefix> ParseV4(const std::string& s) {
  unsigned a, b, c, d, len;
  char tail;
  if (std::sscanf(s.c_str(), "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &len, &tail) != 5) return std::nullopt;
  if (a > 255 || b > 255 || c > 255 || d > 255 || len > 32) return std::nullopt;
  return V4Prefix{(a << 24) | (b << 16) | (c << 8) | d, static_cast<int>(len)};
}
std::uint32_t Mask(int len) {
  return len == 0 ? 0 : ~std::uint32_t{0} << (32 - len);
}
bool Contains(const V4Prefix& outer, const V4Prefix& inner) {
  return inner.len >= outer.len && (inner.addr & Mask(outer.len)) == outer.addr;
}
bool Overlap(const V4Prefix& x, const V4Prefix& y) {
  return Contains(x, y) || Contains(y, x);
}

// Opens the database the killed daemon left (SQLite recovers the WAL on open), checks its integrity and
// that every stored VNet is whole: parseable, its subnets inside its space and disjoint.
std::vector<std::string> CheckDatabase(const std::filesystem::path& db_path) {
  std::vector<std::string> problems;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    problems.push_back(fmt::format("cannot open {}: {}", db_path.string(), db ? sqlite3_errmsg(db) : "?"));
    sqlite3_close(db);
    return problems;
  }
  auto query = [&](const char* sql, auto&& row) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
      problems.push_back(fmt::format("{}: {}", sql, sqlite3_errmsg(db)));
      return;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) row(st);
    if (rc != SQLITE_DONE) problems.push_back(fmt::format("{}: {}", sql, sqlite3_errmsg(db)));
    sqlite3_finalize(st);
  };
  auto text = [](sqlite3_stmt* st, int i) {
    const unsigned char* t = sqlite3_column_text(st, i);
    return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  };
  std::vector<std::string> integrity;
  query("PRAGMA integrity_check", [&](sqlite3_stmt* st) { integrity.push_back(text(st, 0)); });
  if (integrity != std::vector<std::string>{"ok"}) {
    problems.push_back("PRAGMA integrity_check: " + fmt::format("{}", fmt::join(integrity, "; ")));
  }
  int rows = 0;
  query("SELECT key, kind, body FROM rows", [&](sqlite3_stmt* st) {
    ++rows;
    std::string key = text(st, 0), kind = text(st, 1);
    Json doc = Json::parse(text(st, 2), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      problems.push_back(fmt::format("row {} is not a JSON object", key));
      return;
    }
    if (kind != "resource" || doc.value("type", "") != "Microsoft.Network/virtualNetworks") return;
    std::vector<V4Prefix> space;
    for (const auto& p : doc["properties"]["addressSpace"]["addressPrefixes"]) {
      auto x = ParseV4(p.get<std::string>());
      if (!x)
        problems.push_back(fmt::format("{}: bad address prefix {}", key, p.dump()));
      else
        space.push_back(*x);
    }
    if (space.empty()) problems.push_back(fmt::format("{}: empty address space", key));
    std::vector<std::pair<std::string, V4Prefix>> seen;
    for (const auto& s : doc["properties"].value("subnets", Json::array())) {
      std::string name = s.value("name", "");
      std::string id = s.value("id", "");
      if (id != doc.value("id", "") + "/subnets/" + name) {
        problems.push_back(fmt::format("{}: subnet {} has id {}", key, name, id));
      }
      auto x = ParseV4(s["properties"].value("addressPrefix", ""));
      if (!x) {
        problems.push_back(fmt::format("{}: subnet {} has no valid prefix", key, name));
        continue;
      }
      if (std::none_of(space.begin(), space.end(), [&](const V4Prefix& o) { return Contains(o, *x); })) {
        problems.push_back(fmt::format("{}: subnet {} is outside the address space", key, name));
      }
      for (const auto& [other, op] : seen) {
        if (Overlap(op, *x))
          problems.push_back(fmt::format("{}: subnets {} and {} overlap", key, name, other));
      }
      seen.emplace_back(name, *x);
    }
  });
  if (rows == 0) problems.push_back("the database has no rows");
  sqlite3_close(db);
  return problems;
}

// One writer. It owns VNet "v<t>" (PUT/PATCH, its tag "seq" is the version) and, per round, VNet
// "n<t>r<round>" whose subnets s0..s7 it re-PUTs (the third octet of the prefix is the version).
struct ClientModel {
  int index = 0;
  int next_seq = 1;
  Tracked vnet;                                                   // v<t>
  std::map<std::string, Tracked> round_vnets;                     // n<t>r<r> → version 0 when it exists
  std::map<std::string, std::map<std::string, Tracked>> subnets;  // n-vnet path → subnet name → version
  std::vector<std::string> unexpected;  // answers that were neither 2xx nor a lost connection
};

class KillNine : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = std::make_unique<TempDir>("durability");
    daemon_ = std::make_unique<Daemon>(tmp_->path() / "state", tmp_->path() / "isthmusd.log");
  }
  void TearDown() override {
    daemon_->Kill();
    daemon_.reset();
    tmp_.reset();
  }

  std::string Token() {
    std::string t = ReadFile(daemon_->state_dir() / "token");
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return t;
  }

  std::string sub_;
  std::unique_ptr<TempDir> tmp_;
  std::unique_ptr<Daemon> daemon_;
};

constexpr int kClients = 4;
constexpr int kRounds = 5;
constexpr int kSubnetNames = 8;
constexpr int kMaxSubnetVersion = 250;  // third octet of 10.(100+t).<version>.0/24

// Runs one client until the daemon goes away (or `stop`). Records, per resource, what was acknowledged.
void RunClient(ClientModel& m, int port, const std::string& token, const std::string& sub, int round,
               std::uint64_t seed, std::atomic<int>& acked_total, const std::atomic<bool>& stop) {
  Arm arm(port, token);
  std::mt19937_64 rng(seed);
  const int t = m.index;
  const std::string v = NetPath(sub, "dur", "virtualNetworks", fmt::format("v{}", t));
  const std::string n = NetPath(sub, "dur", "virtualNetworks", fmt::format("n{}r{}", t, round));
  const std::string space = fmt::format("10.{}.0.0/16", 100 + t);
  int subnet_version = 0;

  // Sends one write; returns false when the client must stop (daemon gone or a surprise answer).
  auto write = [&](Tracked& tr, int version, const char* method, const std::string& path, const Json& body,
                   auto&& etag_of) {
    Reply r = arm.Send(method, path, body.dump());
    if (r.status == 0) {
      tr.in_flight = version;
      return false;
    }
    if (r.status != 200 && r.status != 201) {
      m.unexpected.push_back(fmt::format("{} {}: {}", method, path, r.body.substr(0, 300)));
      return false;
    }
    tr.acked = version;
    tr.acked_etag = etag_of(r.json());
    tr.in_flight.reset();
    ++acked_total;
    return true;
  };
  auto own_etag = [](const Json& j) { return j.value("etag", ""); };

  Tracked& nv = m.round_vnets[n];
  if (!write(nv, 0, "PUT", n, VnetBody({space}, {}), own_etag)) return;
  auto& subnets = m.subnets[n];
  while (!stop) {
    int op = static_cast<int>(rng() % 10);
    if (op < 4 || !m.vnet.acked) {
      int seq = m.next_seq++;
      Json body = VnetBody({fmt::format("10.{}.0.0/16", t)}, {});
      body["tags"] = {{"client", std::to_string(t)}, {"seq", std::to_string(seq)}};
      if (!write(m.vnet, seq, "PUT", v, body, own_etag)) return;
    } else if (op < 7 || subnet_version + 1 >= kMaxSubnetVersion) {
      int seq = m.next_seq++;
      Json body = {{"tags", {{"client", std::to_string(t)}, {"seq", std::to_string(seq)}}}};
      if (!write(m.vnet, seq, "PATCH", v, body, own_etag)) return;
    } else {
      int version = ++subnet_version;
      std::string name = fmt::format("s{}", rng() % kSubnetNames);
      Json body = {{"properties", {{"addressPrefix", fmt::format("10.{}.{}.0/24", 100 + t, version)}}}};
      if (!write(subnets[name], version, "PUT", n + "/subnets/" + name, body, own_etag)) return;
    }
  }
}

// Checks every client's history against the restarted daemon, then takes what is there as the new
// baseline (a later crash must keep it).
void VerifyAndRebase(Arm& arm, const std::string& sub, std::vector<ClientModel>& models,
                     std::vector<std::string>& problems) {
  for (auto& m : models) {
    const std::string vpath = NetPath(sub, "dur", "virtualNetworks", fmt::format("v{}", m.index));
    {
      Reply r = arm.Get(vpath);
      std::optional<int> seen;
      std::string etag;
      if (r.status == 200) {
        Json j = r.json();
        seen = std::stoi(j["tags"].value("seq", "-1"));
        etag = j.value("etag", "");
      } else if (r.status != 404) {
        problems.push_back(fmt::format("GET {}: {}", vpath, r.body));
      }
      if (auto p = CheckVersion(vpath, m.vnet, seen, etag); !p.empty()) problems.push_back(p);
      m.vnet = {seen, etag, std::nullopt};
    }
    for (auto& [npath, tr] : m.round_vnets) {
      Reply r = arm.Get(npath);
      std::optional<int> seen;
      if (r.status == 200) seen = 0;
      if (auto p = CheckVersion(npath, {tr.acked, "", tr.in_flight}, seen, ""); !p.empty())
        problems.push_back(p);
      tr = {seen, "", std::nullopt};
      auto& mine = m.subnets[npath];
      std::set<std::string> present;
      if (r.status == 200) {
        const Json doc = r.json();  // kept alive for the loop (a temporary's member would dangle)
        for (const auto& s : doc["properties"]["subnets"]) {
          std::string name = s.value("name", "");
          present.insert(name);
          auto prefix = ParseV4(s["properties"].value("addressPrefix", ""));
          int version = prefix ? static_cast<int>((prefix->addr >> 8) & 0xff) : -1;
          if (!mine.contains(name)) {
            problems.push_back(fmt::format("{}: subnet {} was never written", npath, name));
            continue;
          }
          Tracked& st = mine[name];
          if (auto p = CheckVersion(npath + "/subnets/" + name, st, version, s.value("etag", ""));
              !p.empty()) {
            problems.push_back(p);
          }
          st = {version, s.value("etag", ""), std::nullopt};
        }
      }
      for (auto& [name, st] : mine) {
        if (present.contains(name)) continue;
        if (auto p = CheckVersion(npath + "/subnets/" + name, st, std::nullopt, ""); !p.empty())
          problems.push_back(p);
        st = {};
      }
    }
  }
}

TEST_F(KillNine, AcknowledgedWritesSurviveKillDashNine) {
  std::uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("ISTHMUS_DURABILITY_SEED")) seed = std::stoull(s);
  SCOPED_TRACE(fmt::format("ISTHMUS_DURABILITY_SEED={}", seed));
  std::mt19937_64 rng(seed);
  const auto started = std::chrono::steady_clock::now();

  ASSERT_TRUE(daemon_->Start());
  const std::string token = Token();
  {
    Arm arm(daemon_->port(), token);
    sub_ = arm.Get("/subscriptions").json()["value"][0].value("subscriptionId", "");
    ASSERT_FALSE(sub_.empty());
    ASSERT_EQ(arm.Send("PUT", GroupPath(sub_, "dur"), GroupBody().dump(), {}, kGroupApi).status, 201);
  }
  std::vector<ClientModel> models(kClients);
  for (int t = 0; t < kClients; ++t) models[t].index = t;
  int total_acked = 0;

  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(fmt::format("round {}", round));
    std::atomic<int> acked{0};
    std::atomic<bool> stop{false};
    const int target = 20 + static_cast<int>(rng() % 300);
    std::vector<std::thread> clients;
    for (int t = 0; t < kClients; ++t) {
      clients.emplace_back(RunClient, std::ref(models[t]), daemon_->port(), token, sub_, round, rng(),
                           std::ref(acked), std::cref(stop));
    }
    // The crash comes after a random number of acknowledged writes, while the clients keep writing.
    bool reached = PollUntil([&] { return acked.load() >= target; }, 30s);
    daemon_->Kill();
    stop = true;
    for (auto& c : clients) c.join();
    EXPECT_TRUE(reached) << "only " << acked.load() << " writes were acknowledged before the deadline";
    total_acked += acked.load();
    for (const auto& m : models) {
      for (const auto& u : m.unexpected) ADD_FAILURE() << "unexpected answer: " << u;
    }

    for (const auto& p : CheckDatabase(daemon_->state_dir() / "isthmus.db")) ADD_FAILURE() << p;

    ASSERT_TRUE(daemon_->Start());
    EXPECT_EQ(Token(), token);
    Arm arm(daemon_->port(), token);
    EXPECT_EQ(arm.Get("/subscriptions").json()["value"][0].value("subscriptionId", ""), sub_);
    int in_flight = 0;
    for (const auto& m : models) {
      in_flight += m.vnet.in_flight.has_value();
      for (const auto& [n, tr] : m.round_vnets) in_flight += tr.in_flight.has_value();
      for (const auto& [n, subs] : m.subnets) {
        for (const auto& [name, tr] : subs) in_flight += tr.in_flight.has_value();
      }
    }
    fmt::print("round {}: killed after {} acknowledged writes (target {}), {} writes in flight\n", round,
               acked.load(), target, in_flight);
    std::vector<std::string> problems;
    VerifyAndRebase(arm, sub_, models, problems);
    for (const auto& p : problems) ADD_FAILURE() << p;
    if (HasFailure()) break;
  }
  daemon_->Kill();
  for (const auto& p : CheckDatabase(daemon_->state_dir() / "isthmus.db")) ADD_FAILURE() << p;
  RecordProperty("acknowledged_writes", total_acked);
  EXPECT_GT(total_acked, kRounds * 20);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 60s);
}

}  // namespace
}  // namespace isthmus::e2e
