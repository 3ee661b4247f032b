#include "net/impair.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

namespace isthmus::net {
namespace {

// IEEE 802.3 / 802.1Q EtherType values (IANA "IEEE 802 Numbers").
constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint16_t kEtherTypeVlan = 0x8100;  // 802.1Q C-tag
constexpr std::uint16_t kEtherTypeQinQ = 0x88a8;  // 802.1ad S-tag
constexpr std::size_t kEtherTypeOffset = 12;      // after destination and source MAC
constexpr std::size_t kVlanTagSize = 4;
constexpr std::size_t kIpv4MinHeader = 20;          // RFC 791 §3.1
constexpr std::size_t kIpv4DestinationOffset = 16;  // RFC 791 §3.1

// Implementation choice: a pooled buffer starts with room for a full 1500-byte-MTU frame with tags,
// so frames of ordinary sizes reuse it without growing.
constexpr std::size_t kBufferReserve = 1536;

std::uint16_t Be16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

std::uint32_t Be32(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) |
         b[at + 3];
}

// The IPv4 destination of an Ethernet frame (through up to two VLAN tags), if it carries IPv4.
std::optional<std::uint32_t> Ipv4Destination(std::span<const std::uint8_t> frame) {
  std::size_t at = kEtherTypeOffset;
  if (frame.size() < at + 2) return std::nullopt;
  std::uint16_t type = Be16(frame, at);
  for (int tags = 0; tags < 2 && (type == kEtherTypeVlan || type == kEtherTypeQinQ); ++tags) {
    at += kVlanTagSize;
    if (frame.size() < at + 2) return std::nullopt;
    type = Be16(frame, at);
  }
  const std::size_t ip = at + 2;
  if (type != kEtherTypeIpv4 || frame.size() < ip + kIpv4MinHeader || (frame[ip] >> 4) != 4)
    return std::nullopt;
  return Be32(frame, ip + kIpv4DestinationOffset);
}

double Ms(Duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

Error Invalid(const std::string& field, std::string message) {
  return Error::Invalid("InvalidImpairment", fmt::format("{} {}", field, message), field);
}

Status CheckFraction(const std::string& field, double p) {
  // Written so that NaN fails too.
  if (!(p >= 0.0 && p <= 1.0))
    return Fail(Invalid(field, fmt::format("must be a fraction in [0, 1], got {}", p)));
  return {};
}

// `where` prefixes field names: "" for a bare profile, "rules[2]." inside a configuration.
Status CheckProfile(const ImpairProfile& p, const std::string& where) {
  if (p.delay < Duration::zero()) return Fail(Invalid(where + "delay", "must not be negative"));
  if (p.delay > kMaxImpairDelay) {
    return Fail(Invalid(where + "delay",
                        fmt::format("must be at most {} ms, got {} ms", Ms(kMaxImpairDelay), Ms(p.delay))));
  }
  if (p.jitter < Duration::zero()) return Fail(Invalid(where + "jitter", "must not be negative"));
  if (p.jitter > p.delay) {
    return Fail(Invalid(where + "jitter",
                        fmt::format("({} ms) must not exceed the delay ({} ms)", Ms(p.jitter), Ms(p.delay))));
  }
  for (auto [name, value] : {std::pair{"loss", p.loss}, {"reorder", p.reorder}, {"duplicate", p.duplicate}}) {
    if (auto s = CheckFraction(where + name, value); !s) return s;
  }
  if (p.reorder > 0 && p.delay == Duration::zero()) {
    return Fail(Invalid(where + "reorder", "needs a delay: with none, no frame waits to be overtaken"));
  }
  return {};
}

}  // namespace

Status ValidateProfile(const ImpairProfile& profile) {
  return CheckProfile(profile, "");
}

Status ValidateConfig(const ImpairConfig& config) {
  if (auto s = CheckProfile(config.default_profile, "default."); !s) return s;
  for (std::size_t i = 0; i < config.rules.size(); ++i) {
    const std::string where = fmt::format("rules[{}].", i);
    const ImpairRule& r = config.rules[i];
    if (!r.destination.address().is_v4()) {
      return Fail(Invalid(where + "destination",
                          fmt::format("must be an IPv4 prefix, got {}", r.destination.ToString())));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (config.rules[j].destination == r.destination) {
        return Fail(Invalid(where + "destination", fmt::format("{} is already the destination of rules[{}]",
                                                               r.destination.ToString(), j)));
      }
    }
    if (auto s = CheckProfile(r.profile, where); !s) return s;
  }
  if (config.queue_packets == 0 || config.queue_packets > kMaxQueuePackets) {
    return Fail(Invalid("queue_packets",
                        fmt::format("must be 1..{}, got {}", kMaxQueuePackets, config.queue_packets)));
  }
  if (config.queue_bytes == 0) return Fail(Invalid("queue_bytes", "must be at least 1"));
  return {};
}

Result<ImpairmentStage> ImpairmentStage::Create(ImpairConfig config, Rng& rng) {
  if (auto s = ValidateConfig(config); !s) return Fail(s.error());
  ImpairmentStage stage(rng);
  stage.lanes_ = LanesFor(config);
  stage.config_ = std::move(config);
  return stage;
}

std::vector<ImpairmentStage::Lane> ImpairmentStage::LanesFor(const ImpairConfig& config) {
  std::vector<Lane> lanes(1);
  lanes[0].profile = config.default_profile;
  std::vector<const ImpairRule*> rules;
  for (const auto& r : config.rules) rules.push_back(&r);
  // Longest prefix first, so the first match is the longest.
  std::stable_sort(rules.begin(), rules.end(), [](const ImpairRule* a, const ImpairRule* b) {
    return a->destination.length() > b->destination.length();
  });
  for (const ImpairRule* r : rules) {
    Lane lane;
    lane.destination = r->destination;
    lane.profile = r->profile;
    const int len = r->destination.length();
    lane.mask = len == 0 ? 0 : ~std::uint32_t{0} << (32 - len);
    lane.network = r->destination.address().v4() & lane.mask;
    lanes.push_back(std::move(lane));
  }
  return lanes;
}

Status ImpairmentStage::Reconfigure(ImpairConfig config) {
  if (auto s = ValidateConfig(config); !s) return s;
  RecycleReleased();
  std::vector<Lane> lanes = LanesFor(config);
  for (Lane& now : lanes) {
    for (const Lane& before : lanes_) {
      if (before.destination == now.destination) {
        now.counters = before.counters;
        now.last_release = before.last_release;
      }
    }
  }
  lanes_ = std::move(lanes);
  config_ = std::move(config);
  for (Waiting& w : heap_) {
    const std::uint32_t lane = LaneOf(buffers_[w.buffer]);
    w.lane = lane == kNotIpv4 ? 0 : lane;  // only IPv4 frames wait; the guard is for the type's sake
    Lane& l = lanes_[w.lane];
    ++l.queued;
    l.last_release = std::max(l.last_release, w.release);
  }
  return {};
}

std::uint32_t ImpairmentStage::LaneOf(std::span<const std::uint8_t> frame) const {
  const auto dst = Ipv4Destination(frame);
  if (!dst) return kNotIpv4;
  for (std::uint32_t i = 1; i < lanes_.size(); ++i) {
    if ((*dst & lanes_[i].mask) == lanes_[i].network) return i;
  }
  return 0;
}

double ImpairmentStage::Uniform() {
  return static_cast<double>(rng_->NextU64() >> 11) * 0x1.0p-53;  // 53 random bits in [0, 1)
}

bool ImpairmentStage::Chance(double p) {
  return p > 0 && Uniform() < p;
}

Duration ImpairmentStage::Jittered(const ImpairProfile& p) {
  if (p.jitter == Duration::zero()) return p.delay;
  const double offset = (2 * Uniform() - 1) * static_cast<double>(p.jitter.count());
  return std::max(Duration::zero(), p.delay + Duration(std::llround(offset)));
}

void ImpairmentStage::Count(Lane& lane, std::uint64_t ImpairCounters::*counter) {
  ++(lane.counters.*counter);
  ++(total_.*counter);
}

void ImpairmentStage::Passed(Lane& lane, std::size_t bytes) {
  Count(lane, &ImpairCounters::passed);
  lane.counters.bytes += bytes;
  total_.bytes += bytes;
}

ImpairVerdict ImpairmentStage::Submit(std::span<const std::uint8_t> frame, TimePoint now) {
  RecycleReleased();
  ++total_.submitted;
  const std::uint32_t index = LaneOf(frame);
  if (index == kNotIpv4) {
    ++non_ipv4_.submitted;
    ++non_ipv4_.passed;
    non_ipv4_.bytes += frame.size();
    ++total_.passed;
    total_.bytes += frame.size();
    return ImpairVerdict::kForwardNow;
  }
  Lane& lane = lanes_[index];
  const ImpairProfile& p = lane.profile;
  ++lane.counters.submitted;
  if (Chance(p.loss)) {
    Count(lane, &ImpairCounters::dropped_loss);
    return ImpairVerdict::kDropped;
  }
  int copies = 1;
  if (Chance(p.duplicate)) {
    Count(lane, &ImpairCounters::duplicated);
    copies = 2;
  }
  ImpairVerdict verdict = ImpairVerdict::kDropped;
  auto queued = [&] {
    if (verdict == ImpairVerdict::kDropped) verdict = ImpairVerdict::kQueued;
  };
  for (int copy = 0; copy < copies; ++copy) {
    const bool original = copy == 0;
    if (Chance(p.reorder)) {
      // Sent at once, past whatever waits; it does not move the rule's release clamp.
      Count(lane, &ImpairCounters::reordered);
      if (original) {
        Passed(lane, frame.size());
        verdict = ImpairVerdict::kForwardNow;
      } else if (Enqueue(frame, index, now)) {
        queued();
      }
      continue;
    }
    const TimePoint release = now + Jittered(p);
    if (original && release <= now && lane.queued == 0) {
      Passed(lane, frame.size());
      verdict = ImpairVerdict::kForwardNow;
      continue;
    }
    const TimePoint clamped = std::max(release, lane.last_release);
    if (Enqueue(frame, index, clamped)) {
      lane.last_release = clamped;
      queued();
    }
  }
  return verdict;
}

bool ImpairmentStage::Enqueue(std::span<const std::uint8_t> frame, std::uint32_t lane, TimePoint release) {
  if (heap_.size() + 1 > config_.queue_packets || queued_bytes_ + frame.size() > config_.queue_bytes) {
    Count(lanes_[lane], &ImpairCounters::dropped_queue);
    return false;
  }
  std::uint32_t buffer;
  if (!free_buffers_.empty()) {
    buffer = free_buffers_.back();
    free_buffers_.pop_back();
  } else {
    buffer = static_cast<std::uint32_t>(buffers_.size());
    buffers_.emplace_back().reserve(std::max(kBufferReserve, frame.size()));
  }
  buffers_[buffer].assign(frame.begin(), frame.end());
  heap_.push_back({release, next_seq_++, lane, buffer});
  std::push_heap(heap_.begin(), heap_.end(), Later);
  ++lanes_[lane].queued;
  queued_bytes_ += frame.size();
  return true;
}

bool ImpairmentStage::Later(const Waiting& a, const Waiting& b) {
  return a.release != b.release ? a.release > b.release : a.seq > b.seq;
}

void ImpairmentStage::RecycleReleased() {
  if (released_ == kNoBuffer) return;
  free_buffers_.push_back(released_);
  released_ = kNoBuffer;
}

std::optional<std::span<const std::uint8_t>> ImpairmentStage::PopDue(TimePoint now) {
  RecycleReleased();
  if (heap_.empty() || heap_.front().release > now) return std::nullopt;
  std::pop_heap(heap_.begin(), heap_.end(), Later);
  const Waiting w = heap_.back();
  heap_.pop_back();
  const std::vector<std::uint8_t>& bytes = buffers_[w.buffer];
  Lane& lane = lanes_[w.lane];
  --lane.queued;
  queued_bytes_ -= bytes.size();
  Passed(lane, bytes.size());
  released_ = w.buffer;
  return std::span<const std::uint8_t>(bytes);
}

std::optional<TimePoint> ImpairmentStage::NextDeadline() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().release;
}

std::vector<ImpairmentStage::RuleStatus> ImpairmentStage::Rules() const {
  std::vector<RuleStatus> out;
  out.reserve(lanes_.size());
  for (const Lane& l : lanes_) out.push_back({l.destination, l.profile, l.counters, l.queued});
  return out;
}

}  // namespace isthmus::net
