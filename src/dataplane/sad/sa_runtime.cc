#include "dataplane/sad/sa_runtime.h"

#include <algorithm>
#include <cstring>

namespace isthmus::dataplane {
namespace {

std::vector<net::Prefix> PrefixesOf(const std::vector<ipsec::TrafficSelector>& ts) {
  std::vector<net::Prefix> out;
  for (const auto& t : ts) out.push_back(t.prefix);
  return out;
}

template <typename V4Net>
std::vector<V4Net> V4NetsOf(const std::vector<net::Prefix>& ps) {
  std::vector<V4Net> out;
  for (const auto& p : ps) {
    if (p.family() != net::Family::kV4) continue;
    const std::uint8_t* b = p.address().bytes();
    const std::uint32_t mask = p.length() == 0 ? 0 : ~std::uint32_t{0} << (32 - p.length());
    const std::uint32_t a =
        std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 | b[3];
    out.push_back({a & mask, mask});
  }
  return out;
}

template <typename V4Net>
bool AnyContainsV4(const std::vector<V4Net>& nets, const std::uint8_t* b) {
  const std::uint32_t a =
      std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 | b[3];
  for (const V4Net& n : nets) {
    if ((a & n.mask) == n.net) return true;
  }
  return false;
}

bool AnyContains(const std::vector<net::Prefix>& ps, const std::uint8_t* addr, bool v4) {
  const net::IpAddress a = net::IpAddress::FromBytes(v4 ? net::Family::kV4 : net::Family::kV6, addr);
  return std::any_of(ps.begin(), ps.end(), [&](const net::Prefix& p) { return p.Contains(a); });
}

std::uint64_t LimitOrMax(std::uint64_t v) {
  return v == 0 ? ~std::uint64_t{0} : v;
}

}  // namespace

SaRuntime::SaRuntime(const ipsec::SaSpec& spec, std::unique_ptr<EspCipher> cipher,
                     std::shared_ptr<ConnectionRuntime> conn, ipsec::SaEventQueue* events, TimePoint now)
    : spi_(spec.spi),
      direction_(spec.direction),
      esn_(spec.transform.esn),
      replay_enabled_(spec.replay_window != 0),
      child_sa_id_(spec.child_sa_id),
      lifetimes_(spec.lifetimes),
      idle_report_seconds_(spec.idle_report_seconds),
      installed_at_(now),
      local_(PrefixesOf(spec.selectors.local)),
      remote_(PrefixesOf(spec.selectors.remote)),
      local_v4_(V4NetsOf<V4Net>(local_)),
      remote_v4_(V4NetsOf<V4Net>(remote_)),
      conn_(std::move(conn)),
      events_(events),
      cipher_(std::move(cipher)),
      replay_(std::max<std::uint32_t>(spec.replay_window, 64), spec.transform.esn) {
  last_used_ns_.store(0, std::memory_order_relaxed);
  UpdateThresholds();
}

bool SaRuntime::InnerAllowed(const std::uint8_t* src, const std::uint8_t* dst, bool v4) const {
  if (v4) return AnyContainsV4(remote_v4_, src) && AnyContainsV4(local_v4_, dst);
  return AnyContains(remote_, src, v4) && AnyContains(local_, dst, v4);
}

void SaRuntime::UpdateThresholds() {
  const ipsec::Lifetime& l = soft_reported_ ? lifetimes_.hard : lifetimes_.soft;
  next_packets_ = LimitOrMax(l.packets);
  next_bytes_ = LimitOrMax(l.bytes);
  if (!soft_reported_) {  // a hard limit below an unset soft one still fires
    next_packets_ = std::min(next_packets_, LimitOrMax(lifetimes_.hard.packets));
    next_bytes_ = std::min(next_bytes_, LimitOrMax(lifetimes_.hard.bytes));
  }
}

void SaRuntime::Report(ipsec::SaEventKind kind, ipsec::ExpireCause cause, TimePoint now) {
  if (events_ == nullptr) return;
  ipsec::SaEvent e;
  e.kind = kind;
  e.spi = spi_;
  e.direction = direction_;
  e.cause = cause;
  e.at = now;
  e.bytes = traffic.bytes.Get();
  e.packets = traffic.packets.Get();
  e.last_used = last_used();
  e.child_sa_id = child_sa_id_;
  events_->Push(e);
}

void SaRuntime::OnThreshold(TimePoint now) {
  if (!first_use_reported_) {
    first_use_reported_ = true;
    if (inbound()) Report(ipsec::SaEventKind::kFirstUse, ipsec::ExpireCause::kNone, now);
  }
  const std::uint64_t p = traffic.packets.Get(), b = traffic.bytes.Get();
  if (p < next_packets_ && b < next_bytes_) return;
  const auto cause = p >= next_packets_ ? ipsec::ExpireCause::kPackets : ipsec::ExpireCause::kBytes;
  const ipsec::Lifetime& hard = lifetimes_.hard;
  const bool hard_hit = (hard.packets != 0 && p >= hard.packets) || (hard.bytes != 0 && b >= hard.bytes);
  if (!soft_reported_) {
    soft_reported_ = true;
    Report(ipsec::SaEventKind::kSoftExpire, cause, now);
  }
  if (hard_hit && !hard_expired()) {
    hard_expired_.store(true, std::memory_order_relaxed);
    Report(ipsec::SaEventKind::kHardExpire, cause, now);
    next_packets_ = next_bytes_ = ~std::uint64_t{0};
    return;
  }
  UpdateThresholds();
}

void SaRuntime::Tick(TimePoint now) {
  if (lifetimes_.hard.seconds != 0 && !hard_expired() &&
      now - installed_at_ >= std::chrono::seconds(lifetimes_.hard.seconds)) {
    hard_expired_.store(true, std::memory_order_relaxed);
    Report(ipsec::SaEventKind::kHardExpire, ipsec::ExpireCause::kSeconds, now);
  }
  if (idle_reported_ && last_used_ns_.load(std::memory_order_relaxed) != idle_reported_at_use_) {
    idle_reported_ = false;  // traffic resumed: the next idle period is reported again
  }
  if (inbound() && idle_report_seconds_ != 0 && !idle_reported_) {
    const TimePoint since = last_used_ns_.load(std::memory_order_relaxed) == 0 ? installed_at_ : last_used();
    if (now - since >= std::chrono::seconds(idle_report_seconds_)) {
      idle_reported_ = true;
      idle_reported_at_use_ = last_used_ns_.load(std::memory_order_relaxed);
      Report(ipsec::SaEventKind::kIdle, ipsec::ExpireCause::kNone, now);
    }
  }
}

}  // namespace isthmus::dataplane
