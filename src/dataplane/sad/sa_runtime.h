// The live state of one installed SA and of one connection, shared by every snapshot that contains them.
//
// Ownership (the rule every packet-path change must keep):
// - Immutable after construction: identity, selectors, lifetimes. Anyone may read them.
// - Worker-owned: the EspCipher (an OpenSSL context is not thread-safe), the replay window, the
//   outbound sequence counter and the event flags. Exactly one worker thread touches them: the data
//   plane runs one worker per gateway (measured: a second thread gains nothing on 2 cores,
//   notes/this-machine.md), so "the worker" is that thread. Scaling out keeps the rule by sharding SAs
//   between workers (outbound: the worker that owns the SA; inbound: SPI-steered receive queues), never
//   by sharing one SA's cipher or window between threads.
// - Single-writer atomics: counters and "last used". The owning worker writes them with relaxed
//   load+store (no locked instruction on the packet path); the control side reads them at any time
//   for QueryUsage and stats, seeing each value whole (never torn), perhaps a batch late.
// The control side creates the object (keys go into the cipher there and are not kept elsewhere) and
// hands it over by publishing a snapshot; the atomic publication orders construction before first use.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "dataplane/esp/drop_reason.h"
#include "dataplane/esp/esp_cipher.h"
#include "dataplane/replay/replay_window.h"
#include "ipsec/sa_event.h"
#include "ipsec/sa_spec.h"
#include "net/prefix.h"

namespace isthmus::dataplane {

// A counter with one writer (the owning worker) and any number of readers.
class SingleWriterCounter {
 public:
  void Add(std::uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::uint64_t Get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

struct TrafficCounters {
  SingleWriterCounter packets;
  SingleWriterCounter bytes;  // inner packet octets (what RFC 4301 lifetimes count)
};

using DropCounterArray = std::array<SingleWriterCounter, static_cast<std::size_t>(Drop::kCount)>;

inline void CountDrop(DropCounterArray& a, Drop d) {
  a[static_cast<std::size_t>(d)].Add(1);
}

// Per-connection aggregate (several SAs over a connection's lifetime: rekeys, several CHILD SAs).
struct ConnectionRuntime {
  explicit ConnectionRuntime(std::string n) : name(std::move(n)) {}
  const std::string name;
  TrafficCounters in;
  TrafficCounters out;
  DropCounterArray drops;
};

class SaRuntime {
 public:
  // `events` must outlive the object (it is the installer's queue).
  SaRuntime(const ipsec::SaSpec& spec, std::unique_ptr<EspCipher> cipher,
            std::shared_ptr<ConnectionRuntime> conn, ipsec::SaEventQueue* events, TimePoint now);

  // --- immutable ---
  std::uint32_t spi() const { return spi_; }
  ipsec::Direction direction() const { return direction_; }
  bool inbound() const { return direction_ == ipsec::Direction::kInbound; }
  bool replay_enabled() const { return replay_enabled_; }
  TimePoint installed_at() const { return installed_at_; }
  ConnectionRuntime& connection() const { return *conn_; }
  const std::vector<net::Prefix>& remote_prefixes() const { return remote_; }
  const std::vector<net::Prefix>& local_prefixes() const { return local_; }
  // Inbound policy check (RFC 4301 §5.2): inner source in the remote selectors, destination in the
  // local ones. `addr` points at 4 or 16 network-order octets.
  bool InnerAllowed(const std::uint8_t* src, const std::uint8_t* dst, bool v4) const;

  // --- worker-owned ---
  EspCipher& cipher() { return *cipher_; }
  ReplayWindow& replay() { return replay_; }
  // Outbound: the next sequence number, or 0 when the space is used up (RFC 4303 §3.3.3: never cycle).
  std::uint64_t NextSeq() {
    const std::uint64_t max = esn_ ? ~std::uint64_t{0} : 0xffffffffu;
    if (last_seq_ >= max) return 0;
    return ++last_seq_;
  }
  // Accounts one packet of `bytes` inner octets that was sealed or authenticated at `now`; reports
  // first use and soft/hard limits to the event queue (rare: a few times per SA lifetime).
  void Count(std::uint64_t bytes, TimePoint now) {
    traffic.packets.Add(1);
    traffic.bytes.Add(bytes);
    last_used_ns_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
    if (!first_use_reported_ || traffic.packets.Get() >= next_packets_ ||
        traffic.bytes.Get() >= next_bytes_) {
      OnThreshold(now);
    }
  }
  // Periodic (about once a second): idle reports and the hard time backstop.
  void Tick(TimePoint now);
  bool hard_expired() const { return hard_expired_.load(std::memory_order_relaxed); }

  // --- single-writer atomics, readable by anyone ---
  TrafficCounters traffic;
  DropCounterArray drops;
  TimePoint last_used() const { return TimePoint(Duration(last_used_ns_.load(std::memory_order_relaxed))); }

 private:
  void OnThreshold(TimePoint now);
  void Report(ipsec::SaEventKind kind, ipsec::ExpireCause cause, TimePoint now);
  void UpdateThresholds();

  const std::uint32_t spi_;
  const ipsec::Direction direction_;
  const bool esn_;
  const bool replay_enabled_;
  const std::uint64_t child_sa_id_;
  const ipsec::SaLifetimes lifetimes_;
  const std::uint32_t idle_report_seconds_;
  const TimePoint installed_at_;
  const std::vector<net::Prefix> local_;
  const std::vector<net::Prefix> remote_;
  // The IPv4 prefixes of local_/remote_ as host-order network and mask: InnerAllowed runs per packet.
  struct V4Net {
    std::uint32_t net, mask;
  };
  const std::vector<V4Net> local_v4_;
  const std::vector<V4Net> remote_v4_;
  const std::shared_ptr<ConnectionRuntime> conn_;
  ipsec::SaEventQueue* const events_;

  std::unique_ptr<EspCipher> cipher_;
  ReplayWindow replay_;
  std::uint64_t last_seq_ = 0;
  std::uint64_t next_packets_ = ~std::uint64_t{0};
  std::uint64_t next_bytes_ = ~std::uint64_t{0};
  bool first_use_reported_ = false;
  bool soft_reported_ = false;
  bool idle_reported_ = false;
  std::int64_t idle_reported_at_use_ = 0;
  std::atomic<bool> hard_expired_{false};
  std::atomic<std::int64_t> last_used_ns_{0};
};

}  // namespace isthmus::dataplane
