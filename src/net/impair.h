// WAN impairment of Ethernet frames (delay, jitter, loss, reordering, duplication), the logic of a
// userspace netem: this kernel has no tc netem (notes/this-machine.md). Pure: frames and `now` in,
// frames and deadlines out; the caller owns the devices, the clock and the timer.
//
// What happens to one frame (Submit), in this order, with the profile of the longest rule prefix that
// holds the frame's IPv4 destination (else the default profile):
//   1. Not IPv4 (ARP, IPv6, LLDP, runts): forwarded at once, never impaired, counted apart.
//   2. Loss: dropped with probability `loss`.
//   3. Duplication: with probability `duplicate` a second copy is made. Each copy then goes through 4
//      and 5 on its own (as netem re-enqueues its clone), so the copy may be reordered or jittered
//      differently from the original.
//   4. Reordering, as netem does it with its default gap of 1: with probability `reorder` the copy is
//      sent at once, ahead of every frame still delayed (it neither waits for nor holds back the
//      others; a reordered duplicate leaves with the next PopDue). Only with a delay, as in netem.
//      Otherwise:
//   5. Delay: released at now + delay + jitter, jitter uniform in [-jitter, +jitter] (netem's default
//      distribution), then clamped to be no earlier than the release of the previous delayed frame of
//      the same rule, so jitter alone never reorders (unlike netem, whose jitter does). A frame whose
//      release is already due, with nothing of its rule waiting, is forwarded at once without a copy.
// Every frame that waits is copied into a buffer the stage keeps (buffers are recycled: no allocation
// per frame once the pool has grown); the queue is bounded in frames and bytes, and a copy that does
// not fit is dropped and counted. Counters obey: submitted + duplicated = passed + dropped_loss +
// dropped_queue + queued.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "net/prefix.h"

namespace isthmus::net {

struct ImpairProfile {
  Duration delay{};    // one way
  Duration jitter{};   // at most `delay`
  double loss = 0;     // probabilities, 0..1
  double reorder = 0;  // needs a delay: with none, nothing waits to be overtaken (netem refuses it too)
  double duplicate = 0;
};

// Implementation choices, not spec values: a frame held longer than this is no WAN any more (and a
// larger value is most likely a unit mistake); the default queue bounds cover 1 Gbit/s at 100 ms one
// way (12.5 MB in flight); the largest bound keeps buffer indices well inside 32 bits.
inline constexpr Duration kMaxImpairDelay = std::chrono::seconds(60);
inline constexpr std::size_t kDefaultQueuePackets = 16384;
inline constexpr std::size_t kDefaultQueueBytes = 32u << 20;
inline constexpr std::size_t kMaxQueuePackets = 1u << 24;

struct ImpairRule {
  Prefix destination;  // IPv4
  ImpairProfile profile;
};

struct ImpairConfig {
  ImpairProfile default_profile;
  std::vector<ImpairRule> rules;
  std::size_t queue_packets = kDefaultQueuePackets;
  std::size_t queue_bytes = kDefaultQueueBytes;
};

// Errors name the field (target "delay", "rules[2].loss", ...).
Status ValidateProfile(const ImpairProfile& profile);
Status ValidateConfig(const ImpairConfig& config);

struct ImpairCounters {
  std::uint64_t submitted = 0;
  std::uint64_t passed = 0;  // frames handed out (at once or later), duplicates included
  std::uint64_t dropped_loss = 0;
  std::uint64_t dropped_queue = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  std::uint64_t bytes = 0;  // of the frames passed
};

enum class ImpairVerdict {
  kForwardNow,  // send the submitted frame now, as it is (a duplicate may still be queued)
  kQueued,      // the stage holds it (and perhaps a duplicate) until its release
  kDropped,     // lost, or the queue was full
};

class ImpairmentStage {
 public:
  // `rng` must outlive the stage; a SeededRng makes every decision reproducible.
  static Result<ImpairmentStage> Create(ImpairConfig config, Rng& rng);

  // Validates first and changes nothing on error. Frames already queued stay queued with their release
  // times and are reclassified under the new rules, so a rule's order still holds across the change
  // (a shorter delay makes new frames wait behind the old ones). Counters of a rule whose prefix is
  // still there carry over; smaller queue bounds drop nothing queued, only what arrives over them.
  Status Reconfigure(ImpairConfig config);

  ImpairVerdict Submit(std::span<const std::uint8_t> frame, TimePoint now);

  // The next frame whose release is <= now, earliest first (ties in arrival order). The bytes stay
  // valid until the next call of any non-const member.
  std::optional<std::span<const std::uint8_t>> PopDue(TimePoint now);
  template <typename Sink>
  std::size_t Due(TimePoint now, Sink&& sink) {
    std::size_t n = 0;
    while (auto frame = PopDue(now)) {
      sink(*frame);
      ++n;
    }
    return n;
  }
  // When the earliest queued frame is due; nullopt when nothing is queued.
  std::optional<TimePoint> NextDeadline() const;

  struct RuleStatus {
    std::optional<Prefix> destination;  // nullopt: the default profile
    ImpairProfile profile;
    ImpairCounters counters;
    std::size_t queued = 0;
  };
  // The default profile first, then the rules, longest prefix first.
  std::vector<RuleStatus> Rules() const;
  const ImpairCounters& total() const { return total_; }        // every frame, IPv4 or not
  const ImpairCounters& non_ipv4() const { return non_ipv4_; }  // passed through unimpaired
  std::size_t queued_packets() const { return heap_.size(); }
  std::size_t queued_bytes() const { return queued_bytes_; }
  const ImpairConfig& config() const { return config_; }

 private:
  struct Lane {  // the state of one rule (lane 0: the default profile)
    std::optional<Prefix> destination;
    ImpairProfile profile;
    ImpairCounters counters;
    std::uint32_t network = 0, mask = 0;  // of `destination`, host order, for the per-frame match
    TimePoint last_release{};             // of the latest delayed (not reordered) frame
    std::size_t queued = 0;
  };
  struct Waiting {
    TimePoint release;
    std::uint64_t seq;  // arrival order, for ties
    std::uint32_t lane;
    std::uint32_t buffer;
  };
  static constexpr std::uint32_t kNoBuffer = 0xffffffff;
  static constexpr std::uint32_t kNotIpv4 = 0xffffffff;

  explicit ImpairmentStage(Rng& rng) : rng_(&rng) {}
  static std::vector<Lane> LanesFor(const ImpairConfig& config);
  static bool Later(const Waiting& a, const Waiting& b);            // the heap's order: earliest on top
  std::uint32_t LaneOf(std::span<const std::uint8_t> frame) const;  // kNotIpv4, or a lane
  double Uniform();
  bool Chance(double p);
  Duration Jittered(const ImpairProfile& p);
  // Copies `frame` into the queue; false (and counted) when over the bounds.
  bool Enqueue(std::span<const std::uint8_t> frame, std::uint32_t lane, TimePoint release);
  void Passed(Lane& lane, std::size_t bytes);
  void Count(Lane& lane, std::uint64_t ImpairCounters::*counter);
  void RecycleReleased();

  Rng* rng_;
  ImpairConfig config_;
  std::vector<Lane> lanes_;
  std::vector<Waiting> heap_;  // a min-heap on (release, seq)
  std::vector<std::vector<std::uint8_t>> buffers_;
  std::vector<std::uint32_t> free_buffers_;
  std::uint32_t released_ = kNoBuffer;  // the buffer PopDue last handed out
  std::size_t queued_bytes_ = 0;
  std::uint64_t next_seq_ = 0;
  ImpairCounters total_;
  ImpairCounters non_ipv4_;
};

}  // namespace isthmus::net
