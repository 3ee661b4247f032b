// Test support for the REST end-to-end and durability tests: a real isthmusd process on loopback with
// a temporary state directory, and a small ARM client over cpp-httplib.
//
// The daemon is started with --listen 127.0.0.1:0 so the kernel picks a free port (no race with other
// tests); the port is read from isthmusd's "listening on https://HOST:PORT" log line, and the daemon counts
// as up once that port answers HTTP. Everything is torn down by destructors, so a failing test still
// kills its daemon and removes its directory.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

extern char** environ;

namespace isthmus::e2e {

using Json = nlohmann::json;
using namespace std::chrono_literals;

inline constexpr const char* kNetApi = "2023-09-01";
inline constexpr const char* kGroupApi = "2022-09-01";

// A fresh directory under the system temp dir, removed with everything in it on destruction.
// The CA file of the isthmusd started last (its <state-dir>/tls/ca.pem), which Arm clients trust.
inline std::string& TrustedCa() {
  // OpenSSL writes to sockets with write(2): a peer that closed first must not kill the test with
  // SIGPIPE (isthmusd and the CLI ignore it too).
  static const bool ignored = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)ignored;
  static std::string path;
  return path;
}

class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    std::random_device rd;
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto p =
          std::filesystem::temp_directory_path() / fmt::format("isthmus-{}-{}-{:08x}", tag, ::getpid(), rd());
      if (std::filesystem::create_directory(p)) {
        path_ = p;
        return;
      }
    }
    throw std::runtime_error("cannot create a temporary directory");
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Polls `done` every few milliseconds until it is true or `deadline` passes.
template <typename F>
bool PollUntil(F&& done, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(5ms);
  }
}

// One isthmusd process. Its stderr (the log) is appended to `log_path`, across restarts.
class Daemon {
 public:
  Daemon(std::filesystem::path state_dir, std::filesystem::path log_path,
         std::vector<std::string> extra_env = {})
      : state_dir_(std::move(state_dir)), log_path_(std::move(log_path)), extra_env_(std::move(extra_env)) {}
  ~Daemon() { Kill(); }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Spawns isthmusd and waits until its port answers HTTP.
  ::testing::AssertionResult Start(std::chrono::milliseconds deadline = 20s) {
    if (pid_ > 0) return ::testing::AssertionFailure() << "already running";
    std::error_code ec;
    std::size_t log_offset =
        std::filesystem::exists(log_path_) ? std::filesystem::file_size(log_path_, ec) : 0;

    // The management plane alone: these tests check the API and the store, not the fabric.
    std::vector<std::string> args = {ISTHMUSD_PATH,       "--fabric", "none",       "--state-dir",
                                     state_dir_.string(), "--listen", "127.0.0.1:0"};
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    for (const auto& e : extra_env_) env.push_back(e);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int s : {SIGTERM, SIGINT, SIGPIPE, SIGCHLD}) sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, ISTHMUSD_PATH, &fa, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0)
      return ::testing::AssertionFailure() << "posix_spawn " << ISTHMUSD_PATH << ": " << strerror(rc);
    pid_ = pid;

    static const std::regex kListening(R"(listening on https://127\.0\.0\.1:(\d+))");
    int port = 0;
    bool exited = false;
    bool found = PollUntil(
        [&] {
          if (Reap(false)) {
            exited = true;
            return true;
          }
          std::string log = ReadFile(log_path_);
          if (log.size() <= log_offset) return false;
          std::smatch m;
          std::string fresh = log.substr(log_offset);
          if (!std::regex_search(fresh, m, kListening)) return false;
          port = std::stoi(m[1].str());
          return true;
        },
        deadline);
    if (exited || !found) {
      Kill();
      return ::testing::AssertionFailure()
             << "isthmusd did not start (" << (exited ? "it exited" : "timeout") << "); log:\n"
             << ReadFile(log_path_).substr(log_offset);
    }
    port_ = port;
    TrustedCa() = (state_dir_ / "tls" / "ca.pem").string();
    // Up means: the port answers HTTPS (any status; without a token it is 401).
    bool answers = PollUntil(
        [&] {
          httplib::SSLClient c("127.0.0.1", port_);
          c.set_ca_cert_path(TrustedCa().c_str());
          c.enable_server_certificate_verification(true);
          c.set_connection_timeout(1, 0);
          auto r = c.Get("/subscriptions");
          return static_cast<bool>(r);
        },
        deadline);
    if (!answers) {
      Kill();
      return ::testing::AssertionFailure() << "isthmusd port " << port << " never answered";
    }
    return ::testing::AssertionSuccess();
  }

  // SIGTERM, then waits for a clean exit; returns the exit status (-1: had to be killed).
  int Terminate(std::chrono::milliseconds deadline = 10s) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    if (PollUntil([&] { return Reap(false); }, deadline)) return exit_status_;
    Kill();
    return -1;
  }

  // SIGKILL and reap. Safe to call when not running.
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    Reap(true);
  }

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string Log() const { return ReadFile(log_path_); }
  const std::filesystem::path& state_dir() const { return state_dir_; }

 private:
  // True once the process has exited (and is reaped).
  bool Reap(bool block) {
    if (pid_ <= 0) return true;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      exit_status_ =
          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
      pid_ = -1;
      return true;
    }
    return false;
  }

  std::filesystem::path state_dir_;
  std::filesystem::path log_path_;
  std::vector<std::string> extra_env_;
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_status_ = -1;
};

struct Reply {
  int status = 0;  // 0: no HTTP answer at all (connection refused/reset, timeout)
  std::string body;
  httplib::Headers headers;

  Json json() const {
    Json j = Json::parse(body, nullptr, false);
    return j;
  }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);  // httplib compares header names case-insensitively
    return it == headers.end() ? "" : it->second;
  }
  std::string error_code() const {
    Json j = json();
    if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return "";
    return j["error"].value("code", "");
  }
  std::string error_message() const {
    Json j = json();
    if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return "";
    return j["error"].value("message", "");
  }
};

inline std::ostream& operator<<(std::ostream& os, const Reply& r) {
  return os << "HTTP " << r.status << " " << r.body.substr(0, 600);
}

// An ARM client for one daemon over HTTPS, trusting the CA of the daemon started last (TrustedCa()):
// paths are relative to the server; `?api-version=` is appended unless the path already has a query.
class Arm {
 public:
  Arm(int port, std::string token) : port_(port), token_(std::move(token)), client_("127.0.0.1", port) {
    client_.set_ca_cert_path(TrustedCa().c_str());
    client_.enable_server_certificate_verification(true);
    client_.set_connection_timeout(2, 0);
    client_.set_read_timeout(10, 0);
    client_.set_write_timeout(10, 0);
  }

  Reply Send(const std::string& method, const std::string& path, const std::string& body = "",
             const httplib::Headers& extra = {}, const char* api_version = kNetApi) {
    httplib::Request req;
    req.method = method;
    // The default picks the family's version by path, as clients do: network (and compute) resources
    // under /providers/, resources' for groups and subscriptions.
    if (api_version == kNetApi && path.find("/providers/") == std::string::npos) api_version = "2022-09-01";
    req.path = path.find('?') == std::string::npos && api_version
                   ? fmt::format("{}?api-version={}", path, api_version)
                   : path;
    req.headers = extra;
    if (!token_.empty() && !extra.contains("Authorization"))
      req.headers.emplace("Authorization", "Bearer " + token_);
    if (!body.empty()) {
      req.body = body;
      req.headers.emplace("Content-Type", "application/json");
    }
    Reply out;
    auto res = client_.send(req);
    if (!res) return out;
    out.status = res->status;
    out.body = res->body;
    out.headers = res->headers;
    return out;
  }
  Reply Get(const std::string& path, const httplib::Headers& h = {}) { return Send("GET", path, "", h); }
  Reply Put(const std::string& path, const Json& body, const httplib::Headers& h = {}) {
    return Send("PUT", path, body.dump(), h);
  }
  Reply Patch(const std::string& path, const Json& body, const httplib::Headers& h = {}) {
    return Send("PATCH", path, body.dump(), h);
  }
  Reply Post(const std::string& path, const Json& body) { return Send("POST", path, body.dump()); }
  Reply Delete(const std::string& path, const httplib::Headers& h = {}) {
    return Send("DELETE", path, "", h);
  }

  // Follows an Azure-AsyncOperation URL (absolute, on this daemon) until the operation leaves
  // InProgress; returns the final operation document (or null on timeout).
  Json WaitOperation(const std::string& url, std::chrono::milliseconds deadline = 15s) {
    std::string prefix = fmt::format("https://127.0.0.1:{}", port_);
    EXPECT_TRUE(url.starts_with(prefix + "/subscriptions/")) << url;
    if (!url.starts_with(prefix)) return nullptr;
    std::string path = url.substr(prefix.size());
    Json last;
    bool done = PollUntil(
        [&] {
          Reply r = Send("GET", path);
          if (r.status != 200) return false;
          last = r.json();
          return last.value("status", "") != "InProgress";
        },
        deadline);
    return done ? last : Json();
  }

  int port() const { return port_; }

 private:
  int port_;
  std::string token_;
  httplib::SSLClient client_;
};

// ---- Resource paths and bodies (the shapes docs/rest-api.md documents) --------------------------------

inline std::string GroupPath(const std::string& sub, const std::string& rg) {
  return fmt::format("/subscriptions/{}/resourceGroups/{}", sub, rg);
}
inline std::string NetPath(const std::string& sub, const std::string& rg, const std::string& type,
                           const std::string& name) {
  return fmt::format("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/{}/{}", sub, rg, type,
                     name);
}

inline Json GroupBody(const std::string& location = "westus2") {
  return {{"location", location}};
}

inline Json VnetBody(const std::vector<std::string>& space,
                     const std::vector<std::pair<std::string, std::string>>& subnets,
                     const std::string& location = "westus2") {
  Json s = Json::array();
  for (const auto& [name, prefix] : subnets)
    s.push_back({{"name", name}, {"properties", {{"addressPrefix", prefix}}}});
  return {{"location", location},
          {"properties", {{"addressSpace", {{"addressPrefixes", space}}}, {"subnets", s}}}};
}

inline Json PublicIpBody() {
  return {{"location", "westus2"},
          {"sku", {{"name", "Basic"}, {"tier", "Regional"}}},
          {"properties", {{"publicIPAllocationMethod", "Dynamic"}, {"publicIPAddressVersion", "IPv4"}}}};
}

inline Json GatewayBody(const std::string& subnet_id, const std::string& pip_id) {
  return {{"location", "westus2"},
          {"properties",
           {{"gatewayType", "Vpn"},
            {"vpnType", "RouteBased"},
            {"sku", {{"name", "VpnGw1"}, {"tier", "VpnGw1"}}},
            {"activeActive", false},
            {"enableBgp", false},
            {"ipConfigurations",
             {{{"name", "vnetGatewayConfig0"},
               {"properties",
                {{"privateIPAllocationMethod", "Dynamic"},
                 {"subnet", {{"id", subnet_id}}},
                 {"publicIPAddress", {{"id", pip_id}}}}}}}}}}};
}

inline Json ConnectionBody(const std::string& gw1, const std::string& gw2,
                           const std::optional<std::string>& key) {
  Json p = {{"connectionType", "Vnet2Vnet"},
            {"virtualNetworkGateway1", {{"id", gw1}}},
            {"virtualNetworkGateway2", {{"id", gw2}}},
            {"connectionProtocol", "IKEv2"}};
  if (key) p["sharedKey"] = *key;
  return {{"location", "westus2"}, {"properties", p}};
}

// A complete VNet-to-VNet deployment in one group: two VNets with a GatewaySubnet each, two public IPs,
// two gateways (provisioned) and a connection (provisioned) with `shared_key`.
struct VnetToVnet {
  std::string sub, rg;
  std::string vnet1, vnet2, pip1, pip2, gw1, gw2, conn;  // resource paths
};

inline ::testing::AssertionResult ExpectStatus(const Reply& r, int status) {
  if (r.status == status) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected HTTP " << status << ", got " << r;
}

// PUTs an async resource and waits for its operation to succeed.
inline ::testing::AssertionResult PutAndWait(Arm& arm, const std::string& path, const Json& body) {
  Reply r = arm.Put(path, body);
  if (r.status != 201 && r.status != 200) return ::testing::AssertionFailure() << "PUT " << path << ": " << r;
  std::string url = r.header("Azure-AsyncOperation");
  if (url.empty()) return ::testing::AssertionFailure() << "PUT " << path << " has no Azure-AsyncOperation";
  Json op = arm.WaitOperation(url);
  if (op.value("status", "") != "Succeeded")
    return ::testing::AssertionFailure() << "operation: " << op.dump();
  return ::testing::AssertionSuccess();
}

inline VnetToVnet BuildVnetToVnet(Arm& arm, const std::string& sub, const std::string& rg,
                                  const std::string& shared_key) {
  VnetToVnet t;
  t.sub = sub;
  t.rg = rg;
  t.vnet1 = NetPath(sub, rg, "virtualNetworks", "VNet1");
  t.vnet2 = NetPath(sub, rg, "virtualNetworks", "VNet4");
  t.pip1 = NetPath(sub, rg, "publicIPAddresses", "VNet1GWpip");
  t.pip2 = NetPath(sub, rg, "publicIPAddresses", "VNet4GWpip");
  t.gw1 = NetPath(sub, rg, "virtualNetworkGateways", "VNet1GW");
  t.gw2 = NetPath(sub, rg, "virtualNetworkGateways", "VNet4GW");
  t.conn = NetPath(sub, rg, "connections", "VNet1toVNet4");
  EXPECT_TRUE(ExpectStatus(arm.Send("PUT", GroupPath(sub, rg), GroupBody().dump(), {}, kGroupApi), 201));
  EXPECT_TRUE(ExpectStatus(arm.Put(t.vnet1, VnetBody({"10.1.0.0/16"}, {{"FrontEnd", "10.1.0.0/24"},
                                                                       {"GatewaySubnet", "10.1.255.0/27"}})),
                           201));
  EXPECT_TRUE(ExpectStatus(
      arm.Put(t.vnet2, VnetBody({"10.41.0.0/16"},
                                {{"FrontEnd", "10.41.0.0/24"}, {"GatewaySubnet", "10.41.255.0/27"}})),
      201));
  EXPECT_TRUE(ExpectStatus(arm.Put(t.pip1, PublicIpBody()), 201));
  EXPECT_TRUE(ExpectStatus(arm.Put(t.pip2, PublicIpBody()), 201));
  EXPECT_TRUE(PutAndWait(arm, t.gw1, GatewayBody(t.vnet1 + "/subnets/GatewaySubnet", t.pip1)));
  EXPECT_TRUE(PutAndWait(arm, t.gw2, GatewayBody(t.vnet2 + "/subnets/GatewaySubnet", t.pip2)));
  EXPECT_TRUE(PutAndWait(arm, t.conn, ConnectionBody(t.gw1, t.gw2, shared_key)));
  return t;
}

// Starts a daemon in a temporary directory and reads its token and default subscription.
class DaemonFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = std::make_unique<TempDir>("rest");
    daemon_ = std::make_unique<Daemon>(tmp_->path() / "state", tmp_->path() / "isthmusd.log",
                                       std::vector<std::string>{"ISTHMUS_LOG=debug"});
    ASSERT_TRUE(daemon_->Start());
    ASSERT_TRUE(Connect());
  }
  void TearDown() override {
    arm_.reset();
    if (daemon_) daemon_->Kill();
    daemon_.reset();
    tmp_.reset();
  }

  // (Re)reads the token and subscription after a (re)start.
  ::testing::AssertionResult Connect() {
    std::string token = ReadFile(daemon_->state_dir() / "token");
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    if (token.empty()) return ::testing::AssertionFailure() << "empty token file";
    token_ = token;
    arm_ = std::make_unique<Arm>(daemon_->port(), token_);
    Reply subs = arm_->Get("/subscriptions");
    if (subs.status != 200) return ::testing::AssertionFailure() << "GET /subscriptions: " << subs;
    Json v = subs.json()["value"];
    if (!v.is_array() || v.size() != 1) return ::testing::AssertionFailure() << subs.body;
    sub_ = v[0].value("subscriptionId", "");
    return ::testing::AssertionSuccess();
  }

  std::unique_ptr<TempDir> tmp_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Arm> arm_;
  std::string token_;
  std::string sub_;
};

}  // namespace isthmus::e2e
