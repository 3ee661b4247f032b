// isthmusd: the management daemon — store, REST API and reconciler in one process.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/clock.h"
#include "base/log.h"
#include "mgmt/reconcile/reconciler.h"
#include "mgmt/rest/router.h"
#include "mgmt/rest/server.h"
#include "mgmt/service/resource_service.h"
#include "mgmt/store/sqlite_store.h"

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
  if (!ok) return isthmus::Fail(isthmus::Error::Internal(fmt::format("cannot write token file {}", path.string())));
  return token;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"isthmusd — the Isthmus management daemon: an ARM-shaped REST API over a durable store."};
  const char* env_dir = std::getenv("ISTHMUS_STATE_DIR");
  std::string state_dir = env_dir ? env_dir : "/var/lib/isthmus";
  std::string listen = "127.0.0.1:7480";
  std::string pool = "198.18.0.0/15";
  app.add_option("--state-dir", state_dir, "Directory for the database and the API token (env ISTHMUS_STATE_DIR)")
      ->capture_default_str();
  app.add_option("--listen", listen, "Address and port of the REST API (loopback by default)")->capture_default_str();
  app.add_option("--underlay-pool", pool, "Prefix that public IP addresses are allocated from")->capture_default_str();
  app.set_version_flag("--version", "isthmusd 0.1.0");
  CLI11_PARSE(app, argc, argv);

  isthmus::log::Init("isthmusd");
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
  isthmus::mgmt::StoreOnlyRealizer realizer;
  isthmus::mgmt::Reconciler reconciler(service, realizer);
  isthmus::mgmt::Router router(service, *token);
  isthmus::mgmt::RestServer server(router);
  auto bound = server.Bind(host, port);
  if (!bound) {
    std::cerr << "isthmusd: " << bound.error().message << "\n";
    return 1;
  }
  std::thread signal_waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {}: stopping", sig);
    server.Stop();
  });
  signal_waiter.detach();
  reconciler.Start();
  spdlog::info("listening on http://{}:{} (state in {}, subscription {})", host, *bound, state_dir,
               service.DefaultSubscription());
  server.Serve();
  reconciler.Stop();
  spdlog::info("stopped");
  return 0;
}
