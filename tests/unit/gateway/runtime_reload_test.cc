// gateway::Runtime::Reload: two runtimes over in-memory sockets on a manual clock (no root, no sleep).
// What the gateway adds to ike::Engine::Reload (tests/exchange/reload_test.cc): re-reading the file,
// refusing a bad one whole, keeping restart-only settings (local address, ports) out of the
// connections, and routes that follow the connections without touching the unchanged ones.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "gateway/config.h"
#include "gateway/engine_config.h"
#include "gateway/runtime.h"
#include "platform/fake/fake_socket.h"

namespace isthmus::gateway {
namespace {

using namespace std::chrono_literals;

// The fakes have no fds: every watched source is polled on each turn and reads what is waiting.
class PollAllPoller final : public platform::Poller {
 public:
  Status Watch(int, Callback on_readable) override {
    callbacks_.push_back(std::move(on_readable));
    return {};
  }
  void Unwatch(int) override {}
  Result<int> RunOnce(Duration) override {
    for (auto& cb : callbacks_) cb();
    return static_cast<int>(callbacks_.size());
  }
  void Wake() override {}

 private:
  std::vector<Callback> callbacks_;
};

class IdleTun final : public platform::TunDevice {
 public:
  int fd() const override { return -1; }
  const std::string& name() const override { return name_; }
  bool vnet_hdr() const override { return false; }
  Result<std::size_t> Read(std::span<std::uint8_t>) override { return std::size_t{0}; }
  Status Write(std::span<const std::uint8_t>) override { return {}; }

 private:
  std::string name_ = "isth-test";
};

class RecordingRoutes final : public RouteTable {
 public:
  Status Apply(std::span<const net::Prefix> remove, std::span<const net::Prefix> replace) override {
    for (const auto& p : remove) calls.push_back("-" + p.ToString());
    for (const auto& p : replace) calls.push_back("+" + p.ToString());
    return {};
  }
  std::vector<std::string> calls;  // "-PREFIX" removed, "+PREFIX" added, in order
};

// Connection NAME of gateway SIDE ("a" initiates, "b" responds); IDs SIDE.NAME; no DPD within a test.
std::string Conn(const std::string& side, const std::string& name, const std::string& local_net,
                 const std::string& remote_net, const std::string& psk = "a pre-shared key") {
  const bool a = side == "a";
  return fmt::format(R"({{ "name": "{}", "remote_address": "{}", "local_id": "{}.{}", "remote_id": "{}.{}",
      "shared_key": "{}", "local_prefixes": ["{}"], "remote_prefixes": ["{}"],
      "ike_proposals": ["aes256gcm16-prfsha256-ecp256"], "esp_proposals": ["aes256gcm16"],
      "mode": "{}", "dpd_timeout_s": 3600 }})",
                     name, a ? "198.18.0.2" : "198.18.0.1", side, name, a ? "b" : "a", name, psk, local_net,
                     remote_net, a ? "initiator" : "responder");
}

std::string File(const std::string& address, const std::vector<std::string>& connections) {
  std::string list;
  for (const auto& c : connections) list += (list.empty() ? "" : ",\n") + c;
  return fmt::format(R"({{ "local": {{"address": "{}", "id": "{}"}}, "connections": [{}] }})", address,
                     address, list);
}

struct Gateway {
  Gateway(platform::FakeNetwork& net, ManualClock& clock, std::uint64_t seed, const std::string& address,
          std::string text)
      : rng(seed),
        ike(net.Bind({*net::IpAddress::Parse(address), 500})),
        natt(net.Bind({*net::IpAddress::Parse(address), 4500})),
        file(std::move(text)) {
    auto load = [this]() -> Result<GatewayConfig> {
      auto cfg = ParseGatewayConfig(file);
      if (!cfg) return cfg;
      if (auto conns = ToEngineConnections(*cfg); !conns) return Fail(conns.error());
      return cfg;
    };
    auto cfg = load();
    if (!cfg) {
      ADD_FAILURE() << cfg.error().message;
      return;
    }
    auto log_line = [this](const std::string& l) { log.push_back(l); };
    RuntimeDeps deps{clock, rng, poller, *ike, *natt, tun, routes, load, log_line};
    auto rt = Runtime::Create(std::move(*cfg), deps);
    if (!rt || !(*rt)->Start()) {
      ADD_FAILURE() << "runtime did not start";
      return;
    }
    runtime = std::move(*rt);
  }
  ike::ConnectionStatus Status(std::string_view name) const {
    auto s = runtime->engine().SnapshotOf(name);
    return s ? *s : ike::ConnectionStatus{};
  }
  bool Up(std::string_view name) const {
    auto s = Status(name);
    return s.state == ike::ConnectionState::kConnected && s.children.size() == 1;
  }
  bool Logged(std::string_view text) const {
    for (const auto& l : log) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }

  SeededRng rng;
  std::unique_ptr<platform::FakeSocket> ike, natt;
  PollAllPoller poller;
  IdleTun tun;
  RecordingRoutes routes;
  std::string file;
  std::vector<std::string> log;
  std::unique_ptr<Runtime> runtime;
};

class RuntimeReload : public ::testing::Test {
 protected:
  void SetUp() override {
    clock.Set(TimePoint{} + 1h);
    b = std::make_unique<Gateway>(net, clock, 2, "198.18.0.2",
                                  File("198.18.0.2", {Conn("b", "one", "10.2.1.0/24", "10.1.1.0/24"),
                                                      Conn("b", "two", "10.2.2.0/24", "10.1.2.0/24"),
                                                      Conn("b", "three", "10.2.3.0/24", "10.1.3.0/24")}));
    a = std::make_unique<Gateway>(net, clock, 1, "198.18.0.1", AFile({}));
    ASSERT_TRUE(a->runtime && b->runtime);
    ASSERT_TRUE(RunUntil([&] { return a->Up("one") && a->Up("two") && b->Up("one") && b->Up("two"); }));
    clock.Advance(10s);
    Turn();
    one_a = a->Status("one");
    one_b = b->Status("one");
  }
  // A's file: one and two, plus `extra` connections.
  static std::string AFile(std::vector<std::string> extra, const std::string& two_remote = "10.2.2.0/24",
                           const std::string& address = "198.18.0.1") {
    std::vector<std::string> cs{Conn("a", "one", "10.1.1.0/24", "10.2.1.0/24"),
                                Conn("a", "two", "10.1.2.0/24", two_remote)};
    cs.insert(cs.end(), extra.begin(), extra.end());
    return File(address, cs);
  }
  void Turn() {
    a->runtime->RunOnce(0s);
    b->runtime->RunOnce(0s);
  }
  bool RunUntil(const std::function<bool()>& done, Duration limit = 10s) {
    for (const TimePoint end = clock.Now() + limit; clock.Now() < end; clock.Advance(10ms)) {
      Turn();
      if (done()) return true;
    }
    return false;
  }
  // Nothing about `one` changed on either gateway.
  void ExpectOneUntouched() {
    for (const auto& [before, after] :
         {std::pair{one_a, a->Status("one")}, std::pair{one_b, b->Status("one")}}) {
      EXPECT_EQ(after.state, ike::ConnectionState::kConnected);
      EXPECT_EQ(after.ike_spi_i, before.ike_spi_i);
      EXPECT_EQ(after.ike_spi_r, before.ike_spi_r);
      EXPECT_EQ(after.established_at, before.established_at);
      ASSERT_EQ(after.children.size(), 1u);
      EXPECT_EQ(after.children[0].inbound_spi, before.children[0].inbound_spi);
      EXPECT_EQ(after.children[0].outbound_spi, before.children[0].outbound_spi);
    }
  }

  platform::FakeNetwork net;
  ManualClock clock;
  std::unique_ptr<Gateway> a, b;
  ike::ConnectionStatus one_a, one_b;
};

TEST_F(RuntimeReload, ChangedAndAddedConnectionsOnlyMoveTheirOwnRoutes) {
  ASSERT_EQ(a->routes.calls, (std::vector<std::string>{"+10.2.1.0/24", "+10.2.2.0/24"}));
  a->file = AFile({Conn("a", "three", "10.1.3.0/24", "10.2.3.0/24")}, "10.2.2.0/25");
  a->routes.calls.clear();
  EXPECT_EQ(a->runtime->Control("reload"), "{\"ok\":true}\n");
  EXPECT_EQ(a->routes.calls, (std::vector<std::string>{"-10.2.2.0/24", "+10.2.2.0/25", "+10.2.3.0/24"}));
  ASSERT_TRUE(RunUntil([&] { return a->Up("two") && a->Up("three") && b->Up("two") && b->Up("three"); }));
  EXPECT_EQ(a->Status("two").children[0].remote_prefixes, std::vector{*net::Prefix::Parse("10.2.2.0/25")});
  ExpectOneUntouched();
}

TEST_F(RuntimeReload, IdenticalFileSendsNothing) {
  const auto sent = net.delivered();
  a->routes.calls.clear();
  EXPECT_EQ(a->runtime->Control("reload"), "{\"ok\":true}\n");
  EXPECT_EQ(b->runtime->Control("reload"), "{\"ok\":true}\n");
  EXPECT_EQ(net.delivered(), sent);
  EXPECT_TRUE(a->routes.calls.empty());
  EXPECT_TRUE(a->Up("two"));
  ExpectOneUntouched();
}

// local.address and the ports need a restart (the sockets stay bound); until then the connections
// keep the running ones, so such an edit alone changes no connection.
TEST_F(RuntimeReload, RestartOnlyChangesLeaveConnectionsAlone) {
  const auto sent = net.delivered();
  const auto two = a->Status("two");
  a->file = AFile({}, "10.2.2.0/24", "198.18.0.99");
  EXPECT_EQ(a->runtime->Control("reload"), "{\"ok\":true}\n");
  EXPECT_TRUE(a->Logged("need a restart"));
  EXPECT_EQ(net.delivered(), sent);
  RunUntil([] { return false; }, 2s);
  ExpectOneUntouched();
  EXPECT_EQ(a->Status("two").ike_spi_i, two.ike_spi_i);
}

// The IKE DoS limits are not tied to the sockets: a reload applies them, and says so.
TEST_F(RuntimeReload, IkeLimitsApplyOnReload) {
  const auto sent = net.delivered();
  ASSERT_EQ(a->runtime->engine().config().cookie_threshold, 64u);
  std::string text = AFile({});
  text.replace(0, 1, R"({ "ike": {"cookie_threshold": 0, "max_half_open": 10},)");
  a->file = text;
  EXPECT_EQ(a->runtime->Control("reload"), "{\"ok\":true}\n");
  EXPECT_EQ(a->runtime->engine().config().cookie_threshold, 0u);
  EXPECT_EQ(a->runtime->engine().config().max_half_open, 10u);
  EXPECT_TRUE(a->Logged("ike.cookie_threshold 0, ike.max_half_open 10"));
  EXPECT_EQ(net.delivered(), sent);  // the connections did not change
  ExpectOneUntouched();
}

TEST_F(RuntimeReload, BadFileIsRefusedWhole) {
  const auto sent = net.delivered();
  a->file = "{ \"local\": ";
  EXPECT_EQ(a->runtime->Control("reload"),
            "{\"error\":\"config: is not a JSON object (check for a syntax error)\",\"ok\":false}\n");
  // One bad connection refuses the whole file: two's valid change is not applied either.
  const auto two = a->Status("two");
  a->file = AFile({Conn("a", "three", "10.1.3.0/24", "10.2.3.0/33")}, "10.2.2.0/25");
  const std::string reply = a->runtime->Control("reload");
  EXPECT_NE(reply.find("\"ok\":false"), std::string::npos) << reply;
  EXPECT_NE(reply.find("connections[2].remote_prefixes[0]"), std::string::npos) << reply;
  EXPECT_EQ(net.delivered(), sent);
  EXPECT_FALSE(a->runtime->engine().SnapshotOf("three"));
  ExpectOneUntouched();
  EXPECT_TRUE(a->Up("two"));
  EXPECT_EQ(a->Status("two").ike_spi_i, two.ike_spi_i);
  // The same file, fixed, is taken.
  a->file = AFile({Conn("a", "three", "10.1.3.0/24", "10.2.3.0/24")}, "10.2.2.0/25");
  EXPECT_EQ(a->runtime->Control("reload"), "{\"ok\":true}\n");
  EXPECT_TRUE(RunUntil([&] { return a->Up("two") && a->Up("three"); }));
  EXPECT_NE(a->Status("two").ike_spi_i, two.ike_spi_i);
}

// `status DIGEST`: while nothing but time passes the gateway answers in a few bytes; once something
// happens (a connection terminated) it sends everything again, with a new digest.
TEST_F(RuntimeReload, StatusWithTheLastDigestAnswersUnchangedUntilSomethingHappens) {
  auto first = nlohmann::json::parse(a->runtime->Control("status"));
  ASSERT_TRUE(first.value("ok", false));
  ASSERT_TRUE(first.contains("digest") && first["digest"].is_string());
  const std::string digest = first["digest"];
  EXPECT_TRUE(first.contains("connections"));
  clock.Advance(5s);
  auto same = nlohmann::json::parse(a->runtime->Control("status " + digest));
  EXPECT_EQ(same, (nlohmann::json{{"ok", true}, {"unchanged", true}, {"digest", digest}}));
  auto stale = nlohmann::json::parse(a->runtime->Control("status 0000000000000000"));
  EXPECT_TRUE(stale.contains("connections")) << "a digest that does not match gets everything";
  EXPECT_EQ(stale["digest"], digest);
  EXPECT_EQ(a->runtime->Control("terminate one"), "{\"ok\":true}\n");
  auto changed = nlohmann::json::parse(a->runtime->Control("status " + digest));
  ASSERT_TRUE(changed.contains("connections"));
  EXPECT_NE(changed["digest"], digest);
}

// `status` carries the engine's counters: B (cookie_threshold 0 after a reload) demands one cookie of
// A's new connection; A's Delete to a B that stopped reading is retransmitted once in 5 s (4 s timeout).
TEST_F(RuntimeReload, StatusCarriesCookieDemandsAndRetransmissions) {
  auto of = [](const nlohmann::json& status, const std::string& name) {
    for (const auto& c : status["connections"]) {
      if (c["name"] == name) return c;
    }
    ADD_FAILURE() << "no connection " << name;
    return nlohmann::json{};
  };
  const nlohmann::json zero_ike{{"half_open", 0}, {"cookies_sent", 0}, {"init_dropped", 0}};
  const nlohmann::json no_retransmits{{"sent", 0}, {"answered", 0}};
  auto b_status = nlohmann::json::parse(b->runtime->Control("status"));
  EXPECT_EQ(b_status["ike"], zero_ike);
  EXPECT_EQ(of(b_status, "one")["ike_retransmits"], no_retransmits);

  std::string text = b->file;
  text.replace(0, 1, R"({ "ike": {"cookie_threshold": 0, "max_half_open": 10},)");
  b->file = text;
  ASSERT_EQ(b->runtime->Control("reload"), "{\"ok\":true}\n");
  a->file = AFile({Conn("a", "three", "10.1.3.0/24", "10.2.3.0/24")});
  ASSERT_EQ(a->runtime->Control("reload"), "{\"ok\":true}\n");
  ASSERT_TRUE(RunUntil([&] { return a->Up("three") && b->Up("three"); }));
  b_status = nlohmann::json::parse(b->runtime->Control("status"));
  EXPECT_EQ(b_status["ike"], (nlohmann::json{{"half_open", 0}, {"cookies_sent", 1}, {"init_dropped", 0}}));
  EXPECT_EQ(nlohmann::json::parse(a->runtime->Control("status"))["ike"], zero_ike);

  ASSERT_EQ(a->runtime->Control("terminate one"), "{\"ok\":true}\n");
  for (int i = 0; i < 500; ++i) {  // 5 s, B not reading
    clock.Advance(10ms);
    a->runtime->RunOnce(0s);
  }
  const auto a_status = nlohmann::json::parse(a->runtime->Control("status"));
  EXPECT_EQ(of(a_status, "one")["ike_retransmits"], (nlohmann::json{{"sent", 1}, {"answered", 0}}));
  EXPECT_EQ(of(a_status, "two")["ike_retransmits"], no_retransmits);
  // B answers (the Delete and its copy arrive together: the copy finds the SA gone), A's SA goes;
  // the count stays with the connection.
  ASSERT_EQ(a->runtime->engine().ike_sa_count(), 3u);
  ASSERT_TRUE(RunUntil([&] { return a->runtime->engine().ike_sa_count() == 2; }));
  EXPECT_EQ(of(nlohmann::json::parse(a->runtime->Control("status")), "one")["ike_retransmits"],
            (nlohmann::json{{"sent", 1}, {"answered", 0}}));
}

}  // namespace
}  // namespace isthmus::gateway
