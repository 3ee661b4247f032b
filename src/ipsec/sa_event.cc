#include "ipsec/sa_event.h"

namespace isthmus::ipsec {

std::string_view SaEventKindName(SaEventKind k) {
  switch (k) {
    case SaEventKind::kSoftExpire:
      return "soft-expire";
    case SaEventKind::kHardExpire:
      return "hard-expire";
    case SaEventKind::kFirstUse:
      return "first-use";
    case SaEventKind::kIdle:
      return "idle";
  }
  return "unknown";
}

bool SaEventQueue::Push(const SaEvent& e) {
  std::lock_guard lock(mu_);
  if (events_.size() >= capacity_) {
    ++dropped_;
    return false;
  }
  events_.push_back(e);
  return true;
}

std::vector<SaEvent> SaEventQueue::Drain() {
  std::lock_guard lock(mu_);
  std::vector<SaEvent> out(events_.begin(), events_.end());
  events_.clear();
  return out;
}

std::size_t SaEventQueue::size() const {
  std::lock_guard lock(mu_);
  return events_.size();
}

std::uint64_t SaEventQueue::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace isthmus::ipsec
