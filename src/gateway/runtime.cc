#include "gateway/runtime.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "gateway/engine_config.h"

namespace isthmus::gateway {

namespace {

// Implementation choices.
constexpr std::size_t kIkeBatch = 8;  // datagrams per recvmmsg on UDP 500
constexpr std::size_t kIkeSlot = ike::kMaxIkeMessageSize;
constexpr Duration kWorkerTick = std::chrono::seconds(1);  // worker.h: "about once a second"

ike::Endpoint ToIke(const platform::Endpoint& e) {
  return {e.address, e.port};
}
platform::Endpoint ToPlatform(const ike::Endpoint& e) {
  return {e.address, e.port};
}

}  // namespace

Runtime::Runtime(GatewayConfig config, RuntimeDeps deps)
    : config_(std::move(config)), deps_(std::move(deps)), installer_(deps_.clock, deps_.rng, deps_.rng) {}

Runtime::~Runtime() = default;

Result<std::unique_ptr<Runtime>> Runtime::Create(GatewayConfig config, RuntimeDeps deps) {
  auto conns = ToEngineConnections(config);
  if (!conns) return Fail(conns.error());
  std::unique_ptr<Runtime> rt(new Runtime(std::move(config), std::move(deps)));
  ike::EngineConfig ec;
  ec.cookie_threshold = rt->config_.cookie_threshold;
  ec.max_half_open = rt->config_.max_half_open;
  rt->installer_.DeferPublishing(true);  // flushed once per turn of the loop (AfterIo)
  rt->engine_ =
      std::make_unique<ike::Engine>(ec, std::move(*conns), rt->deps_.clock, rt->deps_.rng, rt->installer_);
  dataplane::WorkerOptions wo;
  wo.mss_clamp = static_cast<std::uint16_t>(rt->config_.mss_clamp);
  wo.tunnel_mtu = rt->config_.tunnel_mtu;
  wo.coalesce = rt->deps_.tun.vnet_hdr();
  Runtime* self = rt.get();
  rt->worker_ = std::make_unique<dataplane::Worker>(
      rt->deps_.tun, rt->deps_.natt_socket, rt->installer_.publisher(), rt->deps_.clock, wo,
      [self](std::span<const std::uint8_t> ike, const platform::Endpoint& from) {
        // Marker removed by the worker; the engine wants the datagram as it arrived (engine.h).
        std::vector<std::uint8_t> d(ike::kNonEspMarkerSize + ike.size(), 0);
        std::copy(ike.begin(), ike.end(), d.begin() + ike::kNonEspMarkerSize);
        self->ike_from_worker_.emplace_back(std::move(d), from);
      });
  rt->rx_buf_.resize(kIkeBatch * kIkeSlot);
  return rt;
}

Status Runtime::SyncRoutes(const GatewayConfig& next) {
  std::set<net::Prefix> wanted;
  for (const auto& c : next.connections) wanted.insert(c.remote_prefixes.begin(), c.remote_prefixes.end());
  std::vector<net::Prefix> remove, add;
  for (const auto& p : routed_) {
    if (!wanted.contains(p)) remove.push_back(p);
  }
  for (const auto& p : wanted) {
    if (!routed_.contains(p)) add.push_back(p);
  }
  if (remove.empty() && add.empty()) return {};
  if (auto r = deps_.routes.Apply(remove, add); !r) return r;
  routed_ = std::move(wanted);
  return {};
}

Status Runtime::Start(bool initiate) {
  if (auto r = SyncRoutes(config_); !r) return r;
  if (auto r = deps_.poller.Watch(deps_.ike_socket.fd(), [this] { OnIkeSocket(); }); !r) return r;
  if (auto r = deps_.poller.Watch(deps_.natt_socket.fd(), [this] { worker_->OnUdpReadable(); }); !r) return r;
  if (auto r = deps_.poller.Watch(deps_.tun.fd(), [this] { worker_->OnTunReadable(); }); !r) return r;
  next_worker_tick_ = deps_.clock.Now() + kWorkerTick;
  if (initiate) engine_->Start();
  AfterIo();
  return {};
}

void Runtime::OnIkeSocket() {
  std::vector<platform::Datagram> batch(kIkeBatch);
  for (std::size_t i = 0; i < kIkeBatch; ++i) {
    batch[i].data = rx_buf_.data() + i * kIkeSlot;
    batch[i].capacity = kIkeSlot;
  }
  auto n = deps_.ike_socket.Receive(batch);
  if (!n) return;
  const TimePoint now = deps_.clock.Now();
  const ike::Endpoint local{config_.local_address, config_.ike_port};
  for (std::size_t i = 0; i < *n; ++i) {
    engine_->Receive(now, local, ToIke(batch[i].peer), {batch[i].data, batch[i].size});
  }
}

void Runtime::AfterIo() {
  if (!ike_from_worker_.empty()) {
    auto queued = std::move(ike_from_worker_);
    ike_from_worker_.clear();
    const ike::Endpoint local{config_.local_address, config_.natt_port};
    for (auto& [bytes, from] : queued) engine_->Receive(deps_.clock.Now(), local, ToIke(from), bytes);
  }
  TimePoint now = deps_.clock.Now();
  if (auto w = engine_->NextWakeup(); w && *w <= now) engine_->Tick(now);
  if (auto events = installer_.DrainEvents(); !events.empty()) engine_->OnSaEvents(now, events);
  installer_.Flush();  // the SAs the engine installed this turn, before the messages that let peers use them
  FlushOutbox();
}

void Runtime::FlushOutbox() {
  for (auto& d : engine_->TakeOutbox()) {
    platform::Datagram out;
    out.data = d.bytes.data();
    out.capacity = d.bytes.size();
    out.size = d.bytes.size();
    out.peer = ToPlatform(d.to);
    auto& sock = d.from.port == config_.natt_port ? deps_.natt_socket : deps_.ike_socket;
    if (auto r = sock.Send({&out, 1}); !r || *r != 1) {
      deps_.log(
          fmt::format("send to {} failed: {}", d.to.ToString(), r ? "not accepted" : r.error().message));
    }
  }
  for (const auto& l : engine_->TakeLog()) deps_.log(l.ToString());
}

void Runtime::RunOnce(Duration max_wait) {
  TimePoint now = deps_.clock.Now();
  TimePoint until = std::min(now + max_wait, next_worker_tick_);
  if (auto w = engine_->NextWakeup()) until = std::min(until, *w);
  const Duration wait = std::max(Duration::zero(), until - now);
  (void)deps_.poller.RunOnce(wait);
  now = deps_.clock.Now();
  if (now >= next_worker_tick_) {
    worker_->Tick();
    next_worker_tick_ = now + kWorkerTick;
  }
  AfterIo();
}

std::size_t Runtime::Shutdown(Duration bound) {
  for (const auto& c : config_.connections) (void)engine_->Terminate(c.name);
  AfterIo();
  const TimePoint end = deps_.clock.Now() + bound;
  while (engine_->ike_sa_count() > 0 && deps_.clock.Now() < end) {
    RunOnce(std::min<Duration>(std::chrono::milliseconds(50), end - deps_.clock.Now()));
  }
  return engine_->ike_sa_count();
}

Status Runtime::Reload() {
  if (!deps_.load_config)
    return Fail(Error::Invalid("NoConfigFile", "no configuration source to reload from"));
  auto next = deps_.load_config();
  if (!next) return Fail(next.error());
  if (next->local_address != config_.local_address || next->ike_port != config_.ike_port ||
      next->natt_port != config_.natt_port || next->tunnel_interface != config_.tunnel_interface) {
    deps_.log(
        "reload: local address, port and tunnel changes need a restart; applying connection changes only");
  }
  // The sockets stay bound where they are until a restart, so the connections keep the running address
  // and ports: taken from the file, they would make every connection differ (ConnectionConfig::SameAs
  // compares endpoints) and a restart-only edit would tear down every tunnel.
  next->local_address = config_.local_address;
  next->ike_port = config_.ike_port;
  next->natt_port = config_.natt_port;
  auto conns = ToEngineConnections(*next);
  if (!conns) return Fail(conns.error());
  engine_->Reload(std::move(*conns));
  if (next->cookie_threshold != config_.cookie_threshold || next->max_half_open != config_.max_half_open) {
    engine_->SetDosLimits(next->cookie_threshold, next->max_half_open);
    config_.cookie_threshold = next->cookie_threshold;
    config_.max_half_open = next->max_half_open;
    deps_.log(fmt::format("reload: ike.cookie_threshold {}, ike.max_half_open {}", config_.cookie_threshold,
                          config_.max_half_open));
  }
  if (auto r = SyncRoutes(*next); !r) deps_.log("reload: route update failed: " + r.error().message);
  config_.connections = std::move(next->connections);
  AfterIo();
  deps_.log(fmt::format("reload: {} connection(s) configured", config_.connections.size()));
  return {};
}

DataplaneView Runtime::ReadDataplane() const {
  DataplaneView v;
  auto drops = [](const dataplane::DropCounterArray& a) {
    std::map<std::string, std::uint64_t> m;
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (auto n = a[i].Get()) m[dataplane::DropName(static_cast<dataplane::Drop>(i))] = n;
    }
    return m;
  };
  for (const auto& c : installer_.Connections()) {
    auto& out = v.connections[c->name];
    out.in = {c->in.packets.Get(), c->in.bytes.Get()};
    out.out = {c->out.packets.Get(), c->out.bytes.Get()};
    out.drops = drops(c->drops);
  }
  auto snap = installer_.publisher().Load();
  if (snap) {
    for (const auto& e : snap->inbound())
      v.inbound[e.sa->spi()] = {e.sa->traffic.packets.Get(), e.sa->traffic.bytes.Get()};
    for (const auto& e : snap->outbound()) {
      v.outbound[e.sa->spi()] = {e.sa->traffic.packets.Get(), e.sa->traffic.bytes.Get()};
    }
  }
  v.worker_drops = drops(worker_->drops());
  return v;
}

nlohmann::json Runtime::StatusJson() const {
  return gateway::StatusJson(engine_->Snapshot(), engine_->dos_status(), ReadDataplane(), deps_.clock.Now(),
                             std::chrono::system_clock::now());
}

std::string Runtime::Control(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' '))
    line.remove_suffix(1);
  const auto sp = line.find(' ');
  const std::string_view cmd = line.substr(0, sp);
  const std::string_view arg = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
  nlohmann::json reply;
  auto fail = [&](const std::string& msg) { reply = {{"ok", false}, {"error", msg}}; };
  if (cmd == "status") {
    // `status DIGEST`: the digest of what the caller last got; unchanged since, it gets only that.
    const auto connections = engine_->Snapshot();
    const ike::DosStatus dos = engine_->dos_status();
    const DataplaneView dp = ReadDataplane();
    const TimePoint now = deps_.clock.Now();
    const auto wall = std::chrono::system_clock::now();
    const std::string digest =
        StatusDigest(gateway::StatusJson(connections, dos, dp, now, wall, /*ages=*/false));
    if (!arg.empty() && arg == digest) {
      reply = {{"ok", true}, {"unchanged", true}, {"digest", digest}};
    } else {
      reply = gateway::StatusJson(connections, dos, dp, now, wall);
      reply["ok"] = true;
      reply["digest"] = digest;
    }
  } else if (cmd == "reload") {
    if (auto r = Reload(); r) {
      reply = {{"ok", true}};
    } else {
      fail(DescribeError(r.error()));
    }
  } else if (cmd == "initiate" || cmd == "terminate") {
    if (arg.empty()) {
      fail(fmt::format("usage: {} NAME|--all", cmd));
    } else {
      const auto one = [&](std::string_view name) {
        return cmd == "initiate" ? engine_->Initiate(name) : engine_->Terminate(name);
      };
      Status r;
      if (arg == "--all") {
        for (const auto& c : config_.connections) {
          if (auto each = one(c.name); !each && r) r = each;
        }
      } else {
        r = one(arg);
      }
      AfterIo();
      if (r) {
        reply = {{"ok", true}};
      } else {
        fail(r.error().message);
      }
    }
  } else {
    fail("unknown command; try status, reload, initiate NAME|--all, terminate NAME|--all");
  }
  return reply.dump() + "\n";
}

}  // namespace isthmus::gateway
