// ike::Engine: the sans-IO IKEv2 engine (DESIGN.md §2, STYLE.md "Protocol cores do no I/O").
//
// Inputs:   Receive (a UDP datagram), Initiate / Terminate / Reload (operator), Tick (time),
//           OnSaEvents (the data plane's expiry events, drained from the SaInstaller by the caller).
// Outputs:  TakeOutbox (datagrams to send), NextWakeup (when to call Tick), TakeLog (one line per state
//           change), Status (a snapshot per connection; never keys). CHILD SAs go to the injected
//           ipsec::SaInstaller, and only there.
//
// Port 4500 (RFC 3948 §2.2): the engine handles the non-ESP marker itself. Receive takes the datagram
// exactly as it arrived (on port 4500 starting with the four zero octets; anything else there is ESP
// and is ignored), and outgoing datagrams on port 4500 already carry the marker.
//
// Single-threaded; every call takes or reads `now` from the injected Clock, nothing sleeps.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "ike/engine/types.h"
#include "ike/sa/ike_sa.h"
#include "ike/tasks/ike_init.h"
#include "ike/tasks/task.h"
#include "ike/tasks/task_manager.h"
#include "ipsec/sa_event.h"
#include "ipsec/sa_installer.h"

namespace isthmus::ike {

// Implementation limit: an IKE message larger than this is dropped unread (no fragmentation support;
// a PSK IKE_AUTH is well under 2 KB).
inline constexpr std::size_t kMaxIkeMessageSize = 65535;

class Engine final : private tasks::TaskHost {
 public:
  Engine(EngineConfig config, std::vector<ConnectionConfig> connections, Clock& clock, Rng& rng,
         ipsec::SaInstaller& installer);
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // A datagram arrived on `local` from `remote`.
  void Receive(TimePoint now, const Endpoint& local, const Endpoint& remote,
               std::span<const std::uint8_t> bytes);
  // Brings a connection up (no-op if it is up or coming up). Fails for an unknown name or a
  // responder-only connection.
  isthmus::Status Initiate(std::string_view name);
  // Initiates every connection whose mode is initiator or both.
  void Start();
  // Deletes the connection's IKE SA (and CHILD SAs) with the peer and stops reconnecting.
  isthmus::Status Terminate(std::string_view name);
  // New configuration: unchanged connections (ConnectionConfig::SameAs) are left untouched (no message,
  // no SaInstaller call); changed and removed ones are terminated (D(IKE), CHILD SAs uninstalled); new
  // and changed ones that initiate (initiator or both) are initiated at once. The peer takes the D(IKE)
  // as final, so a changed connection that only responds here stays down until the peer initiates it.
  // tests/exchange/reload_test.cc.
  void Reload(std::vector<ConnectionConfig> connections);
  // New DoS limits (EngineConfig::cookie_threshold, max_half_open) for the next IKE_SA_INIT requests;
  // SAs already half open stay until they complete or time out.
  void SetDosLimits(std::size_t cookie_threshold, std::size_t max_half_open);
  // Timers: retransmissions, DPD, rekeys, lifetimes, reconnects.
  void Tick(TimePoint now);
  // Expiry events from the data plane (SaInstaller::DrainEvents).
  void OnSaEvents(TimePoint now, std::span<const ipsec::SaEvent> events);

  std::vector<Datagram> TakeOutbox();
  std::optional<TimePoint> NextWakeup() const;
  std::vector<LogLine> TakeLog();
  std::vector<ConnectionStatus> Snapshot() const;
  std::optional<ConnectionStatus> SnapshotOf(std::string_view name) const;
  // Half-open SAs now, and COOKIE demands and IKE_SA_INIT drops since the start (RFC 7296 §2.6).
  DosStatus dos_status() const { return {half_open_.size(), cookies_sent_, init_dropped_}; }

  // For tests and diagnostics.
  std::size_t ike_sa_count() const { return sas_.size(); }
  std::size_t half_open_count() const { return half_open_.size(); }
  const EngineConfig& config() const { return config_; }

 private:
  struct SaRecord {
    std::unique_ptr<sa::IkeSa> sa;
    std::unique_ptr<tasks::TaskManager> tm;
    std::shared_ptr<const ConnectionConfig> conn;
  };
  struct ConnectionRuntime {
    std::shared_ptr<const ConnectionConfig> config;
    std::uint64_t ike_sa = 0;  // current IKE SA id, 0 if none
    bool wanted = false;       // initiated and not terminated: reconnect after failures
    TimePoint reconnect_at = TimePoint::max();
    std::uint32_t ike_rekeys = 0;
    std::uint32_t child_rekeys = 0;
    // Of the connection's IKE SAs already removed; the live ones' are added in the snapshot. A
    // responder's SA counts for the connection IKE_AUTH bound it to (or, never authenticated, the one
    // IKE_SA_INIT picked).
    RetransmitCounts retired_retransmits;
    std::string last_error;
  };

  // TaskHost.
  TimePoint now() const override { return now_; }
  Rng& rng() override { return rng_; }
  ipsec::SaInstaller& installer() override { return installer_; }
  const EngineConfig& engine_config() const override { return config_; }
  void Log(const sa::IkeSa& sa, std::string what, std::string why) override;
  std::uint64_t NewChildId() override { return ++last_child_id_; }
  std::uint64_t NewIkeSpi() override;
  const ConnectionConfig* FindConnection(std::string_view name) const override;
  const ConnectionConfig* FindConnectionForPeer(const Endpoint& local, const Endpoint& remote,
                                                const wire::IdPayload& peer_id) const override;
  sa::IkeSa& AdoptIkeSa(std::unique_ptr<sa::IkeSa> sa) override;
  sa::IkeSa* FindIkeSa(std::uint64_t id) override;
  void QueueTask(std::uint64_t ike_sa_id, std::unique_ptr<tasks::Task> task) override;
  tasks::Task* ActiveTask(std::uint64_t ike_sa_id) override;
  void DropQueuedTasks(std::uint64_t ike_sa_id, const std::function<bool(const tasks::Task&)>& pred) override;
  void IkeSaEstablished(sa::IkeSa& sa) override;
  void InitialContact(sa::IkeSa& sa) override;
  void ChildSaInstalled(sa::IkeSa& sa, sa::ChildSa& child) override;

  // Receive paths.
  void HandleInitRequest(const Endpoint& local, const Endpoint& remote, wire::ByteView msg);
  void HandleMessage(SaRecord& rec, const Endpoint& local, const Endpoint& remote, wire::ByteView msg,
                     const wire::Header& header);
  void HandleRequest(SaRecord& rec, wire::Message& m, wire::ByteView msg);
  void SendResponse(SaRecord& rec, const wire::Header& request, wire::ByteView request_bytes,
                    std::vector<wire::Payload> payloads);
  // RFC 7296 §2.21.4, both ends: a request for an IKE SA we do not know is answered with an unprotected
  // N(INVALID_IKE_SPI); such an answer to one of our requests is only a hint.
  void AnswerUnknownSpi(const Endpoint& local, const Endpoint& remote, const wire::Header& request,
                        std::size_t request_size);
  void OnInvalidSpiHint(SaRecord& rec, const Endpoint& remote);

  // Timers (engine_timers.cc).
  void TickSa(SaRecord& rec);
  TimePoint LastActivity(const sa::IkeSa& sa) const;
  // When the SA counts as dead for the peer's silence (dpd_timeout), max() if it cannot now.
  TimePoint PeerDeadline(const SaRecord& rec) const;
  void Reap();
  // Starts the tasks queued during this input (QueueTask), then removes dead SAs: the end of every input.
  void KickQueued();
  void FinishInput() {
    ResolveDuplicates();
    KickQueued();
    Reap();
  }
  // Both ends initiated at once (engine.cc): of two crossing IKE SAs of a connection, keeps the same
  // one as the peer does and deletes (or waits for the peer to delete) the other.
  void ResolveDuplicates();
  void DropDuplicate(SaRecord& redundant, const SaRecord& kept);

  SaRecord* Find(std::uint64_t id);
  tasks::TaskContext Ctx(SaRecord& rec) { return tasks::TaskContext{*this, *rec.sa, *rec.conn}; }
  void Kick(SaRecord& rec);
  void SendOn(const sa::IkeSa& sa, const wire::Bytes& message);
  void SendRaw(const Endpoint& from, const Endpoint& to, wire::ByteView message);
  ConnectionRuntime* Runtime(std::string_view name);
  isthmus::Status StartConnection(ConnectionRuntime& rt);
  void LogConnection(const ConnectionConfig& c, std::string what, std::string why);
  void TerminateConnection(ConnectionRuntime& rt, std::string_view why);
  // `live`: the retransmissions of the connection's IKE SAs still in the table.
  ConnectionStatus StatusFor(const ConnectionRuntime& rt, const RetransmitCounts& live) const;

  EngineConfig config_;
  Clock& clock_;
  Rng& rng_;
  ipsec::SaInstaller& installer_;
  TimePoint now_{};
  // NextWakeup's answer until the next input (Enter).
  mutable std::optional<std::optional<TimePoint>> wakeup_cache_;
  void Enter(TimePoint now) {
    now_ = now;
    wakeup_cache_.reset();
  }
  std::optional<TimePoint> ComputeNextWakeup() const;
  void SendKeepalive(sa::IkeSa& s);
  void MoveChildren(const sa::IkeSa& s);  // UpdateSa for every CHILD SA after the peer's endpoint moved
  tasks::CookieJar cookies_;
  std::map<std::string, ConnectionRuntime, std::less<>> connections_;
  std::map<std::uint64_t, SaRecord> sas_;                                     // by IKE SA id
  std::map<std::uint64_t, std::uint64_t> by_spi_;                             // our SPI -> IKE SA id
  std::map<std::pair<std::uint64_t, std::string>, std::uint64_t> half_open_;  // (SPIi, peer) -> id
  std::set<std::uint64_t> to_kick_;     // QueueTask since the last input
  std::set<std::uint64_t> to_resolve_;  // IKE SAs established (IKE_AUTH) in this input
  std::uint64_t last_sa_id_ = 0;
  std::uint64_t last_child_id_ = 0;
  std::uint64_t cookies_sent_ = 0;
  std::uint64_t init_dropped_ = 0;
  TimePoint invalid_spi_window_{};  // AnswerUnknownSpi's rate limit: this second's start and count
  std::uint32_t invalid_spi_in_window_ = 0;
  std::vector<Datagram> outbox_;
  std::vector<LogLine> log_;
};

}  // namespace isthmus::ike
