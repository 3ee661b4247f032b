// Events the data plane reports about installed SAs, and the queue that carries them from the data
// plane's threads to the control plane. The data plane pushes (rarely: at most a few events per SA
// lifetime, never per packet); the gateway drains the queue on its loop and feeds the IKE engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "ipsec/sa_spec.h"

namespace isthmus::ipsec {

enum class SaEventKind : std::uint8_t {
  kSoftExpire,  // a soft byte/packet (or backstop time) limit was crossed: rekey now
  kHardExpire,  // a hard limit was crossed: the data plane no longer uses the SA; delete and renegotiate
  kFirstUse,    // inbound only: the first packet that authenticated on this SA. For make-before-break
                // (DESIGN.md §4): once the new inbound SA carries traffic the old one may go.
  kIdle,        // inbound only: no authenticated packet for SaSpec::idle_report_seconds
};

// Which limit fired, for kSoftExpire / kHardExpire.
enum class ExpireCause : std::uint8_t { kNone, kBytes, kPackets, kSeconds };

struct SaEvent {
  SaEventKind kind = SaEventKind::kSoftExpire;
  std::uint32_t spi = 0;
  Direction direction = Direction::kInbound;
  ExpireCause cause = ExpireCause::kNone;
  TimePoint at{};           // data-plane clock when the event was detected
  std::uint64_t bytes = 0;  // counters at that moment (payload octets, as RFC 4301 lifetimes count)
  std::uint64_t packets = 0;
  TimePoint last_used{};          // last authenticated packet (inbound) or last sealed one (outbound);
                                  // for kIdle this is the "idle since" time. Epoch = never used.
  std::uint64_t child_sa_id = 0;  // copied from the SaSpec so the engine finds its CHILD SA directly
  bool operator==(const SaEvent&) const = default;
};

std::string_view SaEventKindName(SaEventKind k);

// A bounded multi-producer queue. Push never blocks for long (a mutex held for a deque push) and never
// throws on overflow: when full, the event is counted as dropped instead, because a lost event is
// recoverable (the engine's own lifetime timers and QueryUsage back it up) and an unbounded queue is
// not. Thread-safe.
class SaEventQueue {
 public:
  // Implementation choice: far more than the SAs of one gateway can expire between two drains.
  static constexpr std::size_t kDefaultCapacity = 4096;

  explicit SaEventQueue(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  // False (and counted in dropped()) when the queue is full.
  bool Push(const SaEvent& e);
  // Everything queued so far, oldest first.
  std::vector<SaEvent> Drain();
  std::size_t size() const;
  std::uint64_t dropped() const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::deque<SaEvent> events_;
  std::uint64_t dropped_ = 0;
};

}  // namespace isthmus::ipsec
