// isthmus-gateway: one VPN gateway — the IKEv2 engine and the ESP data plane over a TUN device, run
// from the standalone JSON configuration (src/gateway/config.h; docs/gateway.md).
//
//   isthmus-gateway --config FILE [--control-socket PATH] [--no-initiate]   run
//   isthmus-gateway --config FILE --check                   validate the configuration and exit
//   isthmus-gateway status --socket PATH [-o json|table]    query a running gateway
//   isthmus-gateway initiate|terminate NAME|--all --socket PATH
//   isthmus-gateway reload --socket PATH
//
// The composition root: the only place that picks concrete platform types. The TUN's MTU and routes
// are set over netlink (platform NetConfig) in the namespace the gateway runs in.
// SIGINT/SIGTERM: delete IKE SAs with the peers (bounded wait), then exit. SIGHUP: reload the file.
#include <linux/capability.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "base/log.h"
#include "control_socket.h"
#include "crypto/random.h"
#include "gateway/config.h"
#include "gateway/engine_config.h"
#include "gateway/runtime.h"
#include "gateway/status.h"
#include "platform/linux/capabilities.h"
#include "platform/linux/epoll_poller.h"
#include "platform/linux/netlink_config.h"
#include "platform/linux/tun.h"
#include "platform/linux/udp_socket.h"

#ifndef ISTHMUS_VERSION
#define ISTHMUS_VERSION "0.0.0"
#endif

namespace {

using namespace isthmus;

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_hup = 0;

constexpr const char* kUsage =
    "usage: isthmus-gateway --config FILE [--control-socket PATH] [--no-initiate] [--check]\n"
    "       isthmus-gateway status --socket PATH [-o json|table]\n"
    "       isthmus-gateway initiate NAME|--all --socket PATH\n"
    "       isthmus-gateway terminate NAME|--all --socket PATH\n"
    "       isthmus-gateway reload --socket PATH\n"
    "       isthmus-gateway --help | --version\n";

// Implementation choice: how long shutdown waits for peers to answer our deletes.
constexpr auto kShutdownBound = std::chrono::seconds(3);

Result<gateway::GatewayConfig> LoadConfig(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Fail(Error::NotFound("ConfigNotFound", "cannot read " + path));
  std::stringstream ss;
  ss << f.rdbuf();
  auto cfg = gateway::ParseGatewayConfig(ss.str());
  if (!cfg) return cfg;
  if (auto conns = gateway::ToEngineConnections(*cfg); !conns) return Fail(conns.error());
  return cfg;
}

int RunCommand(const std::string& socket, const std::string& line, const std::string& output) {
  if (socket.empty()) {
    std::fputs("--socket PATH is required\n", stderr);
    return 2;
  }
  auto reply = gateway_app::ControlRequest(socket, line);
  if (!reply) {
    std::fprintf(stderr, "isthmus-gateway: %s\n", reply.error().message.c_str());
    return 1;
  }
  auto j = nlohmann::json::parse(*reply, nullptr, false);
  if (j.is_discarded()) {
    std::fprintf(stderr, "isthmus-gateway: malformed reply\n");
    return 1;
  }
  const bool ok = j.value("ok", false);
  if (!ok) {
    std::fprintf(stderr, "isthmus-gateway: %s\n", j.value("error", std::string("failed")).c_str());
    return 1;
  }
  if (line == "status") {
    j.erase("ok");
    if (output == "table") {
      std::fputs(gateway::RenderStatusTable(j).c_str(), stdout);
    } else {
      std::puts(j.dump(2).c_str());
    }
  }
  return 0;
}

// The gateway's routes into its TUN, over netlink in the namespace the gateway runs in: one socket,
// one acknowledged request per route, so a change set of hundreds of routes costs no process.
class TunRoutes final : public gateway::RouteTable {
 public:
  TunRoutes(platform::NetConfig& net, std::string dev) : net_(net), dev_(std::move(dev)) {}
  // IPv6 stays off on the TUN until a route needs it: with IPv6 on, the kernel sends router
  // solicitations and MLD reports into the tunnel, which no SA could carry (they would count as drops).
  Status DisableIpv6() { return SetIpv6(false); }

  Status Apply(std::span<const net::Prefix> remove, std::span<const net::Prefix> replace) override {
    if (std::any_of(replace.begin(), replace.end(),
                    [](const net::Prefix& p) { return p.family() == net::Family::kV6; })) {
      if (auto r = SetIpv6(true); !r) return r;  // IPv6 routes need IPv6 on the device
    }
    if (!remove.empty()) {
      // Only our routes into the TUN: a prefix routed elsewhere (by hand, say) is not ours to delete.
      auto have = net_.Routes();
      if (!have) return Fail(have.error());
      for (const auto& r : *have) {
        if (r.device != dev_ || std::find(remove.begin(), remove.end(), r.destination) == remove.end()) {
          continue;
        }
        // Best effort, as RouteTable promises: one already gone is not an error.
        if (auto s = net_.DeleteRoute(r.destination); !s && s.error().kind != ErrorKind::kNotFound) {
          spdlog::warn("{}", s.error().message);
        }
      }
    }
    // Every route is tried; the first failure is reported (the runtime retries the whole set later).
    Status result;
    for (const auto& p : replace) {
      if (auto s = net_.ReplaceRoute({p, std::nullopt, dev_}); !s && result) result = s;
    }
    return result;
  }

 private:
  Status SetIpv6(bool on) {
    return net_.SetSysctl(fmt::format("ipv6/conf/{}/disable_ipv6", dev_), on ? "0" : "1");
  }
  platform::NetConfig& net_;
  std::string dev_;
};

int RunGateway(const std::string& config_path, std::string control_socket, bool initiate) {
  auto cfg = LoadConfig(config_path);
  if (!cfg) {
    spdlog::error("config {}: {}", config_path, gateway::DescribeError(cfg.error()));
    return 2;
  }
  if (control_socket.empty()) control_socket = cfg->control_socket;

  auto tun = platform::LinuxTun::Open(cfg->tunnel_interface, {.offloads = true});
  if (!tun) {
    spdlog::error("tun {}: {}", cfg->tunnel_interface, tun.error().message);
    return 1;
  }
  // The gateway runs inside its own namespace (the fabric's, or a host's on a real site): that one is
  // configured, and nothing else.
  auto net = platform::LinuxNetNs::OpenCurrentNamespace();
  if (!net) {
    spdlog::error("netlink: {}", net.error().message);
    return 1;
  }
  TunRoutes routes(**net, (*tun)->name());
  if (auto r = routes.DisableIpv6(); !r) spdlog::warn("{}", r.error().message);
  Status link = (*net)->SetMtu((*tun)->name(), cfg->tunnel_mtu);
  if (link) link = (*net)->SetUp((*tun)->name(), true);
  if (!link) {
    spdlog::error("cannot bring up {}: {}", (*tun)->name(), link.error().message);
    return 1;
  }
  auto ike_sock = platform::UdpSocket::Bind({cfg->local_address, cfg->ike_port});
  if (!ike_sock) {
    spdlog::error("bind {}:{}: {}", cfg->local_address.ToString(), cfg->ike_port, ike_sock.error().message);
    return 1;
  }
  platform::UdpOptions natt_opts;
  natt_opts.gro = true;
  auto natt_sock = platform::UdpSocket::Bind({cfg->local_address, cfg->natt_port}, natt_opts);
  if (!natt_sock) {
    spdlog::error("bind {}:{}: {}", cfg->local_address.ToString(), cfg->natt_port, natt_sock.error().message);
    return 1;
  }
  auto poller = platform::EpollPoller::Create();
  if (!poller) {
    spdlog::error("epoll: {}", poller.error().message);
    return 1;
  }

  // Set-up is done: from here the gateway needs only CAP_NET_ADMIN, for the routes into its TUN that a
  // reload changes (its sockets and TUN are open; its state files are its own). Before any thread.
  auto caps = platform::KeepOnlyCapabilities({CAP_NET_ADMIN});
  if (!caps) {
    spdlog::error("{}", caps.error().message);
    return 1;
  }
  spdlog::info("capabilities: {}", *caps ? "CAP_NET_ADMIN only" : "none");

  SteadyClock clock;
  crypto::CryptoRng rng;
  gateway::RuntimeDeps deps{clock,
                            rng,
                            **poller,
                            **ike_sock,
                            **natt_sock,
                            **tun,
                            routes,
                            [config_path] { return LoadConfig(config_path); },
                            [](const std::string& line) { spdlog::info("{}", line); }};
  const auto n_conns = cfg->connections.size();
  auto runtime = gateway::Runtime::Create(std::move(*cfg), deps);
  if (!runtime) {
    spdlog::error("{}", gateway::DescribeError(runtime.error()));
    return 2;
  }
  std::unique_ptr<gateway_app::ControlServer> control;
  if (!control_socket.empty()) {
    auto c = gateway_app::ControlServer::Listen(
        control_socket, **poller, [rt = runtime->get()](const std::string& l) { return rt->Control(l); });
    if (!c) {
      spdlog::error("{}", c.error().message);
      return 1;
    }
    control = std::move(*c);
  }

  struct sigaction sa {};
  sa.sa_handler = [](int sig) {
    if (sig == SIGHUP) {
      g_hup = 1;
    } else {
      g_stop = 1;
    }
  };
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  if (auto r = (*runtime)->Start(initiate); !r) {
    spdlog::error("start: {}", r.error().message);
    return 1;
  }
  spdlog::info("isthmus-gateway {} up: {} connection(s), tunnel {}, control socket {}", ISTHMUS_VERSION,
               n_conns, (*tun)->name(), control_socket.empty() ? "none" : control_socket);
  while (!g_stop) {
    // Signals interrupt epoll_wait (no SA_RESTART); the bound only caps a missed wakeup.
    (*runtime)->RunOnce(std::chrono::milliseconds(500));
    if (g_hup) {
      g_hup = 0;
      spdlog::info("SIGHUP: reloading {}", config_path);
      if (auto r = (*runtime)->Reload(); !r)
        spdlog::error("reload failed, keeping the running configuration: {}",
                      gateway::DescribeError(r.error()));
    }
  }
  spdlog::info("stopping: deleting IKE SAs");
  const std::size_t left = (*runtime)->Shutdown(kShutdownBound);
  spdlog::info("stopped ({} IKE SA(s) not confirmed deleted by the peer)", left);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string config, control_socket, socket, output = "json";
  std::vector<std::string> positional;
  bool check = false, all = false, no_initiate = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "%s needs a value\n%s", a.c_str(), kUsage);
        std::exit(2);
      }
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--version") {
      std::printf("isthmus-gateway %s\n", ISTHMUS_VERSION);
      return 0;
    } else if (a == "--config" || a == "-c") {
      config = value();
    } else if (a == "--control-socket") {
      control_socket = value();
    } else if (a == "--socket") {
      socket = value();
    } else if (a == "-o" || a == "--output") {
      output = value();
    } else if (a == "--check") {
      check = true;
    } else if (a == "--no-initiate") {
      no_initiate = true;
    } else if (a == "--all") {
      all = true;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "unknown option %s\n%s", a.c_str(), kUsage);
      return 2;
    } else {
      positional.push_back(a);
    }
  }
  if (!positional.empty()) {
    const std::string& cmd = positional[0];
    if (output != "json" && output != "table") {
      std::fputs("-o must be json or table\n", stderr);
      return 2;
    }
    if (cmd == "status" && positional.size() == 1) return RunCommand(socket, "status", output);
    if (cmd == "reload" && positional.size() == 1) return RunCommand(socket, "reload", output);
    if ((cmd == "initiate" || cmd == "terminate") && positional.size() == (all ? 1U : 2U)) {
      return RunCommand(socket, cmd + " " + (all ? std::string("--all") : positional[1]), output);
    }
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (config.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (check) {
    auto cfg = LoadConfig(config);
    if (!cfg) {
      std::fprintf(stderr, "%s: %s\n", config.c_str(), gateway::DescribeError(cfg.error()).c_str());
      return 1;
    }
    std::printf("%s: OK, %zu connection(s)\n", config.c_str(), cfg->connections.size());
    return 0;
  }
  isthmus::log::Init("isthmus-gateway");
  return RunGateway(config, control_socket, !no_initiate);
}
