// isthmusd: the management daemon — store, REST API, reconciler and the single-host fabric in one
// process. Gateways it starts outlive it (a crash or restart of isthmusd leaves tunnels up; the next
// start adopts them); `isthmusd --cleanup` or `isthmus fabric cleanup` removes what it made.
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/clock.h"
#include "base/log.h"
#include "fabric/fabric.h"
#include "mgmt/auth/authority.h"
#include "mgmt/auth/principals.h"
#include "mgmt/auth/tls_material.h"
#include "mgmt/auth/tokens.h"
#include "mgmt/reconcile/reconciler.h"
#include "mgmt/rest/router.h"
#include "mgmt/rest/server.h"
#include "mgmt/service/impairments.h"
#include "mgmt/service/resource_service.h"
#include "mgmt/store/sqlite_store.h"
#include "mgmt/template/deployer.h"
#include "platform/linux/netns.h"
#include "platform/linux/processes.h"

namespace {

// Reads the API token, creating it (random, mode 0600) on first start.
isthmus::Result<std::string> LoadOrCreateToken(const std::filesystem::path& path, isthmus::Rng& rng) {
  std::ifstream in(path);
  std::string token;
  if (in && std::getline(in, token) && !token.empty()) return token;
  std::uint8_t raw[32];
  rng.Fill(raw);
  for (auto b : raw) token += fmt::format("{:02x}", b);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::fchmod(fd, 0600) != 0) {
    if (fd >= 0) ::close(fd);
    return isthmus::Fail(isthmus::Error::Internal(fmt::format("cannot write token file {}", path.string())));
  }
  std::string line = token + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok)
    return isthmus::Fail(isthmus::Error::Internal(fmt::format("cannot write token file {}", path.string())));
  return token;
}

// The fabric's admin routes: a fresh render of the desired state, described by the fabric.
class SingleHostAdmin final : public isthmus::mgmt::FabricAdmin {
 public:
  SingleHostAdmin(isthmus::mgmt::ResourceService& service, isthmus::fabric::SingleHostFabric& fabric,
                  isthmus::mgmt::render::RenderOptions options)
      : service_(service), fabric_(fabric), options_(std::move(options)) {}
  isthmus::Result<isthmus::mgmt::Json> Status() override {
    auto snap = service_.TakeSnapshot();
    auto options = options_;
    options.impairments = isthmus::mgmt::Impairments(service_).All();
    auto plan = isthmus::mgmt::render::Render(snap.state, snap.subscriptions, options);
    return isthmus::mgmt::Json::parse(fabric_.Describe(plan).dump());
  }
  isthmus::Result<isthmus::mgmt::Json> Cleanup() override {
    if (auto s = fabric_.Cleanup(); !s) return isthmus::Fail(s.error());
    return Status();
  }
  isthmus::Result<isthmus::mgmt::Json> Resume() override {
    fabric_.Resume();
    service_.WakeWaiters();
    return Status();
  }
  isthmus::Result<isthmus::mgmt::Json> CheckConnectivity(
      const std::string& vm_key, const isthmus::mgmt::ConnectivityProbe& probe) override {
    auto r = fabric_.CheckConnectivity(vm_key, probe);
    if (!r) return isthmus::Fail(r.error());
    return isthmus::mgmt::Json::parse(r->dump());
  }

 private:
  isthmus::mgmt::ResourceService& service_;
  isthmus::fabric::SingleHostFabric& fabric_;
  isthmus::mgmt::render::RenderOptions options_;
};

// "https://name:port", with IPv6 literals in brackets.
std::string OriginOf(const std::string& name, int port) {
  in6_addr a6{};
  const bool v6 = ::inet_pton(AF_INET6, name.c_str(), &a6) == 1;
  return fmt::format("https://{}{}{}:{}", v6 ? "[" : "", name, v6 ? "]" : "", port);
}

// The names the server certificate covers: loopback, the listen address (unless a wildcard), this
// host's name and the --tls-name ones.
std::vector<std::string> ServerNames(const std::string& host, const std::vector<std::string>& extra) {
  std::vector<std::string> names = {"127.0.0.1", "localhost", "::1"};
  auto add = [&](const std::string& n) {
    if (!n.empty() && std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  };
  if (host != "0.0.0.0" && host != "::" && host != "[::]") add(host);
  char hostname[256] = {};
  if (::gethostname(hostname, sizeof hostname - 1) == 0) add(hostname);
  for (const auto& n : extra) add(n);
  return names;
}

// A sibling program (isthmus-gateway, isthmus-impair) next to this binary (installed), or in the build
// tree's sibling folder.
std::string DefaultSiblingBinary(const std::string& name) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return name;
  for (const auto& candidate : {self.parent_path() / name, self.parent_path().parent_path() / name / name}) {
    if (std::filesystem::exists(candidate, ec)) return candidate.string();
  }
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"isthmusd — the Isthmus management daemon: an ARM-shaped REST API over a durable store."};
  const char* env_dir = std::getenv("ISTHMUS_STATE_DIR");
  std::string state_dir = env_dir ? env_dir : "/var/lib/isthmus";
  std::string listen = "127.0.0.1:7480";
  std::string pool = "198.18.0.0/15";
  app.add_option("--state-dir", state_dir,
                 "Directory for the database and the API token (env ISTHMUS_STATE_DIR)")
      ->capture_default_str();
  app.add_option("--listen", listen, "Address and port of the REST API (loopback by default)")
      ->capture_default_str();
  app.add_option("--underlay-pool", pool, "Prefix that public IP addresses are allocated from")
      ->capture_default_str();
  const char* env_prefix = std::getenv("ISTHMUS_FABRIC_PREFIX");
  std::string fabric = "single-host";
  std::string prefix = env_prefix ? env_prefix : "isth-";
  std::string gateway_binary = DefaultSiblingBinary("isthmus-gateway");
  std::string impair_binary = DefaultSiblingBinary("isthmus-impair");
  bool cleanup = false;
  std::string tls_cert, tls_key;
  std::vector<std::string> tls_names;
  bool insecure_http = false;
  app.add_option("--fabric", fabric,
                 "What realizes resources: single-host (network namespaces and isthmus-gateway processes on "
                 "this machine; needs root) or none (store and API only)")
      ->check(CLI::IsMember({"single-host", "none"}))
      ->capture_default_str();
  app.add_option("--fabric-prefix", prefix,
                 "Prefix of every network namespace the fabric makes (env ISTHMUS_FABRIC_PREFIX); "
                 "at most 8 characters")
      ->capture_default_str();
  app.add_option("--gateway-binary", gateway_binary, "Path of isthmus-gateway")->capture_default_str();
  app.add_option(
         "--impair-binary", impair_binary,
         "Path of isthmus-impair (the emulated WAN between impaired regions: `isthmus fabric impairment`)")
      ->capture_default_str();
  app.add_flag(
      "--cleanup", cleanup,
      "Stop every gateway and delete every namespace the fabric made (with --fabric-prefix), then exit");
  app.add_option("--tls-cert", tls_cert,
                 "PEM certificate chain (leaf first) to serve instead of the one isthmusd makes with its own "
                 "CA in <state-dir>/tls; needs --tls-key");
  app.add_option("--tls-key", tls_key, "PEM private key of --tls-cert");
  app.add_option("--tls-name", tls_names,
                 "Another name or address the generated server certificate must cover (repeatable); "
                 "127.0.0.1, localhost, ::1, the listen address and this host's name always are");
  app.add_flag("--insecure-http", insecure_http,
               "Serve plain HTTP instead of HTTPS (tokens then cross the wire in clear; Microsoft's SDKs and "
               "az refuse to send them)");
  std::size_t page_size = 100;
  app.add_option("--page-size", page_size,
                 "Entries per page of a list answer; longer lists continue at their nextLink, as ARM's do")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.set_version_flag("--version", "isthmusd 0.1.0");
  CLI11_PARSE(app, argc, argv);

  isthmus::log::Init("isthmusd");
  if (prefix.empty() || prefix.size() > 8 ||
      prefix.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
    std::cerr << "isthmusd: --fabric-prefix must be 1-8 characters of a-z, 0-9 and '-': '" << prefix << "'\n";
    return 2;
  }
  auto pool_prefix = isthmus::net::Prefix::Parse(pool);
  if (!pool_prefix || pool_prefix->family() != isthmus::net::Family::kV4 || pool_prefix->length() > 30) {
    std::cerr << "isthmusd: --underlay-pool must be an IPv4 prefix of /30 or larger: "
              << (pool_prefix ? pool : pool_prefix.error().message) << "\n";
    return 2;
  }
  auto colon = listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    try {
      port = std::stoi(listen.substr(colon + 1));
    } catch (...) {
      port = -1;
    }
  }
  if (colon == std::string::npos || port < 0 || port > 65535) {
    std::cerr << "isthmusd: --listen must be ADDRESS:PORT, e.g. 127.0.0.1:7480\n";
    return 2;
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (tls_cert.empty() != tls_key.empty()) {
    std::cerr << "isthmusd: --tls-cert and --tls-key go together\n";
    return 2;
  }
  if (insecure_http && !tls_cert.empty()) {
    std::cerr << "isthmusd: --insecure-http serves no certificate: drop --tls-cert/--tls-key or it\n";
    return 2;
  }

  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) {
    std::cerr << "isthmusd: cannot create state directory " << state_dir << ": " << ec.message() << "\n";
    return 1;
  }
  ::chmod(state_dir.c_str(), 0700);

  // Signals are taken by one thread with sigwait, so stopping runs in normal context, not in a handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  if (cleanup) {
    isthmus::SteadyClock c;
    isthmus::platform::LinuxNetNs ns;
    isthmus::platform::LinuxProcesses procs;
    isthmus::platform::UnixControlChannel ctl;
    isthmus::fabric::SingleHostFabric f(
        ns, procs, ctl, c,
        {prefix, std::filesystem::path(state_dir) / "fabric", gateway_binary, impair_binary});
    auto s = f.Cleanup();
    if (!s) {
      std::cerr << "isthmusd: cleanup: " << s.error().message << "\n";
      return 1;
    }
    std::cout << "removed every namespace with prefix '" << prefix << "' and stopped its gateways\n";
    return 0;
  }

  isthmus::OsRng rng;
  auto token = LoadOrCreateToken(std::filesystem::path(state_dir) / "token", rng);
  if (!token) {
    std::cerr << "isthmusd: " << token.error().message << "\n";
    return 1;
  }
  auto store = isthmus::mgmt::SqliteStore::Open((std::filesystem::path(state_dir) / "isthmus.db").string());
  if (!store) {
    std::cerr << "isthmusd: " << store.error().message << "\n";
    return 1;
  }
  isthmus::mgmt::ResourceService service(std::move(*store), {*pool_prefix}, rng);
  if (auto s = service.Open(); !s) {
    std::cerr << "isthmusd: " << s.error().message << "\n";
    return 1;
  }
  isthmus::SteadyClock clock;
  isthmus::platform::LinuxNetNs netns;
  isthmus::platform::LinuxProcesses processes;
  isthmus::platform::UnixControlChannel control;
  const std::filesystem::path fabric_dir = std::filesystem::path(state_dir) / "fabric";
  isthmus::fabric::SingleHostFabric single_host(netns, processes, control, clock,
                                                {prefix, fabric_dir, gateway_binary, impair_binary});
  isthmus::mgmt::NoFabric no_fabric;
  isthmus::mgmt::HostRealizer& realizer =
      fabric == "none" ? static_cast<isthmus::mgmt::HostRealizer&>(no_fabric) : single_host;
  isthmus::mgmt::ReconcilerOptions ropts;
  ropts.render.prefix = prefix;
  ropts.render.runtime_dir = fabric_dir.string();
  ropts.render.underlay_pool = *pool_prefix;
  ropts.clock = &clock;
  ropts.impairments = [&service] { return isthmus::mgmt::Impairments(service).All(); };
  isthmus::mgmt::Reconciler reconciler(service, realizer, ropts);
  SingleHostAdmin admin(service, single_host, ropts.render);
  const bool live = fabric != "none";
  // Sign-in: the token-signing key and the service principals (rows of the same store).
  const std::filesystem::path state(state_dir);
  auto issuer = isthmus::mgmt::auth::TokenIssuer::LoadOrCreate(state / "signing.key");
  if (!issuer) {
    std::cerr << "isthmusd: " << issuer.error().message << "\n";
    return 1;
  }
  auto principals = isthmus::mgmt::auth::PrincipalDirectory::Load(
      service.ForeignRows(isthmus::mgmt::auth::PrincipalDirectory::kRowKind),
      [&service](const std::vector<isthmus::mgmt::RowChange>& rows) {
        return service.CommitForeignRows(rows);
      },
      rng, [] { return std::chrono::system_clock::now(); });
  if (!principals) {
    std::cerr << "isthmusd: " << principals.error().message << "\n";
    return 1;
  }
  const std::vector<std::string> names = ServerNames(host, tls_names);
  isthmus::mgmt::auth::AuthorityOptions aopts;
  auto default_sub = service.GetSubscription(service.DefaultSubscription());
  aopts.tenant_id = default_sub ? default_sub->value("tenantId", "") : "";
  for (const auto& n : names) aopts.origins.push_back(OriginOf(n, port));
  std::optional<isthmus::mgmt::auth::Authority> authority;
  std::optional<isthmus::mgmt::TlsFiles> tls;
  std::string ca_note;
  if (!insecure_http) {
    if (tls_cert.empty()) {
      auto material = isthmus::mgmt::auth::EnsureTlsMaterial(state / "tls", {names});
      if (!material) {
        std::cerr << "isthmusd: " << material.error().message << "\n";
        return 1;
      }
      if (material->issued) spdlog::info("issued a server certificate for {}", fmt::join(names, ", "));
      tls = isthmus::mgmt::TlsFiles{material->server_cert.string(), material->server_key.string()};
      ca_note = fmt::format("; clients trust {}", material->ca_cert.string());
    } else {
      tls = isthmus::mgmt::TlsFiles{tls_cert, tls_key};
    }
    authority.emplace(std::move(*issuer), **principals, aopts);
  }
  // Template deployments: stored with the resources; a running one resumes here.
  isthmus::mgmt::tmpl::Deployments deployments(service);
  if (auto s = deployments.Load(); !s) {
    std::cerr << "isthmusd: " << s.error().message << "\n";
    return 1;
  }
  isthmus::mgmt::RouterOptions router_options;
  router_options.deployments = &deployments;
  router_options.authority = authority ? &*authority : nullptr;
  router_options.scheme = insecure_http ? "http" : "https";
  router_options.page_size = page_size;
  isthmus::mgmt::Router router(service, *token, live ? &single_host : nullptr, live ? &admin : nullptr,
                               router_options);
  isthmus::mgmt::RestServer server(router, tls);
  if (!server.valid()) {
    std::cerr << "isthmusd: " << (server.error().empty() ? "cannot set up TLS" : server.error()) << "\n";
    return 1;
  }
  auto bound = server.Bind(host, port);
  if (!bound) {
    std::cerr << "isthmusd: " << bound.error().message << "\n";
    return 1;
  }
  if (port == 0 && authority) {  // the origins name the port clients dial: known only now
    std::vector<std::string> origins;
    for (const auto& n : names) origins.push_back(OriginOf(n, *bound));
    authority->SetOrigins(std::move(origins));
  }
  std::thread signal_waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {}: stopping", sig);
    server.Stop();
  });
  signal_waiter.detach();
  reconciler.Start();
  std::atomic<bool> stopping{false};
  std::thread deployer([&] {  // moves deployments on whenever the store changes
    std::uint64_t seen = service.generation();
    while (!stopping) {
      if (deployments.RunOnce()) continue;
      seen = service.WaitForChange(seen, std::chrono::milliseconds(250));
    }
  });
  spdlog::info("listening on {}://{}:{}{} (state in {}, subscription {}, fabric {}{})",
               insecure_http ? "http" : "https", host, *bound, ca_note, state_dir,
               service.DefaultSubscription(), fabric, fabric == "none" ? "" : " with prefix " + prefix);
  server.Serve();
  stopping = true;
  service.WakeWaiters();
  deployer.join();
  reconciler.Stop();
  spdlog::info("stopped");
  return 0;
}
