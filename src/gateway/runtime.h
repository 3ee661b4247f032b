// gateway::Runtime: one isthmus-gateway's event loop. It owns the IKE engine, the data plane's SA
// installer and its worker, and joins them to the platform objects the app opens (UDP 500, UDP 4500,
// the TUN device, a poller) — all through platform/iface, so this file makes no syscall itself.
//
//   UDP 500  ──────────────────────────────► Engine::Receive
//   UDP 4500 ──► Worker ─ ESP ─► TUN
//                      └ non-ESP marker ───► (queued) Engine::Receive
//   TUN ─────► Worker ─► ESP on 4500
//   Engine outbox ─► the socket of the datagram's source port; NextWakeup ─► poll timeout;
//   DataplaneSaInstaller::DrainEvents ─► Engine::OnSaEvents
//
// Threads: one. The worker and the engine run on the same loop, so the engine's installer calls and
// the worker's snapshot reads never race (the installer publishes immutable snapshots anyway); IKE
// datagrams the worker finds are queued and handed to the engine after the worker's batch.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "dataplane/path/worker.h"
#include "dataplane/sad/dataplane_sa_installer.h"
#include "gateway/config.h"
#include "gateway/status.h"
#include "ike/engine/engine.h"
#include "platform/iface/datagram_socket.h"
#include "platform/iface/poller.h"
#include "platform/iface/tun_device.h"

namespace isthmus::gateway {

// Routes for remote prefixes through the TUN (the app implements it; a fake in tests).
// One call per change set, so an implementation can apply hundreds of routes in one go.
class RouteTable {
 public:
  virtual ~RouteTable() = default;
  // Removes `remove` (best effort: a route already gone is not an error) and adds or replaces `replace`.
  virtual Status Apply(std::span<const net::Prefix> remove, std::span<const net::Prefix> replace) = 0;
};

struct RuntimeDeps {
  Clock& clock;
  Rng& rng;  // thread-safe CSPRNG in production (crypto::CryptoRng)
  platform::Poller& poller;
  platform::DatagramSocket& ike_socket;   // UDP 500
  platform::DatagramSocket& natt_socket;  // UDP 4500 (IKE with the non-ESP marker, and ESP)
  platform::TunDevice& tun;
  RouteTable& routes;
  // Re-reads the configuration for reload (SIGHUP or the control socket).
  std::function<Result<GatewayConfig>()> load_config;
  // One line per state change; never a key.
  std::function<void(const std::string&)> log;
};

class Runtime {
 public:
  static Result<std::unique_ptr<Runtime>> Create(GatewayConfig config, RuntimeDeps deps);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Installs routes, watches the sockets and the TUN and, unless told not to, initiates initiator-mode
  // connections (otherwise they wait for `initiate` on the control socket).
  Status Start(bool initiate = true);
  // One turn of the loop: waits for I/O at most until the next timer or `max_wait`.
  void RunOnce(Duration max_wait);
  // Deletes every IKE SA with its peer and waits (running the loop) until the peers answered or
  // `bound` passed. Returns how many IKE SAs were still there at the end.
  std::size_t Shutdown(Duration bound);
  // Re-reads the config; unchanged connections are left untouched (ike::Engine::Reload).
  Status Reload();

  // The control protocol: one request line in, one JSON line out (control_protocol in docs/gateway.md).
  std::string Control(std::string_view line);
  nlohmann::json StatusJson() const;
  DataplaneView ReadDataplane() const;
  const ike::Engine& engine() const { return *engine_; }

 private:
  Runtime(GatewayConfig config, RuntimeDeps deps);
  void OnIkeSocket();
  void AfterIo();
  void FlushOutbox();
  Status SyncRoutes(const GatewayConfig& next);

  GatewayConfig config_;
  RuntimeDeps deps_;
  dataplane::DataplaneSaInstaller installer_;
  std::unique_ptr<ike::Engine> engine_;
  std::unique_ptr<dataplane::Worker> worker_;
  std::set<net::Prefix> routed_;
  std::vector<std::pair<std::vector<std::uint8_t>, platform::Endpoint>> ike_from_worker_;
  std::vector<std::uint8_t> rx_buf_;
  TimePoint next_worker_tick_{};
};

}  // namespace isthmus::gateway
