#include "mgmt/reconcile/reconciler.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace isthmus::mgmt {
namespace {

// Creation goes outside-in, deletion inside-out, so nothing refers to what is not there.
int CreateOrder(Kind k) {
  switch (k) {
    case Kind::kResourceGroup: return 0;
    case Kind::kVirtualNetwork: return 1;
    case Kind::kPublicIpAddress: return 1;
    case Kind::kLocalNetworkGateway: return 1;
    case Kind::kVirtualNetworkGateway: return 2;
    case Kind::kConnection: return 3;
    default: return 4;
  }
}

// How often to re-observe connection status when nothing else happens.
constexpr auto kObservePeriod = std::chrono::seconds(2);

}  // namespace

int Reconciler::RunOnce() {
  int progressed = 0;
  auto pending = service_.Pending();
  std::stable_sort(pending.begin(), pending.end(), [](const Resource& a, const Resource& b) {
    return CreateOrder(a.id.kind) < CreateOrder(b.id.kind);
  });
  // Updates, outside-in.
  for (const auto& r : pending) {
    if (r.doc["properties"].value("provisioningState", "") != kUpdating) continue;
    std::string etag = r.doc.value("etag", "");
    if (auto s = realizer_.Apply(r); !s) {
      (void)service_.MarkFailed(r.id.Key(), etag, s.error());
    } else if (auto m = service_.MarkSucceeded(r.id.Key(), etag); !m) {
      spdlog::error("reconciler: cannot record {}: {}", r.id.ToString(), m.error().message);
      continue;
    }
    ++progressed;
  }
  // Deletions, inside-out; a group goes last, once it is empty.
  std::reverse(pending.begin(), pending.end());
  for (const auto& r : pending) {
    if (r.doc["properties"].value("provisioningState", "") != kDeleting) continue;
    if (r.id.kind == Kind::kResourceGroup) {
      bool empty = true;
      for (const auto& other : service_.Pending()) {
        if (other.id.kind != Kind::kResourceGroup && IEquals(other.id.resource_group, r.id.resource_group) &&
            IEquals(other.id.subscription, r.id.subscription)) {
          empty = false;
        }
      }
      if (!empty) continue;
    }
    if (auto s = realizer_.Remove(r); !s) {
      spdlog::warn("reconciler: removing {} failed, will retry: {}", r.id.ToString(), s.error().message);
      continue;
    }
    if (auto s = service_.FinishDelete(r.id.Key()); !s) {
      spdlog::error("reconciler: cannot record deletion of {}: {}", r.id.ToString(), s.error().message);
      continue;
    }
    ++progressed;
  }
  // Observed status of realized connections.
  for (const auto& c : service_.Realized(Kind::kConnection)) {
    if (auto obs = realizer_.Observe(c)) (void)service_.Observe(c.id.Key(), *obs);
  }
  return progressed;
}

void Reconciler::Start() {
  stop_ = false;
  thread_ = std::thread([this] {
    std::uint64_t seen = 0;
    while (!stop_) {
      seen = service_.generation();
      while (RunOnce() > 0 && !stop_) {
      }
      service_.WaitForChange(seen, kObservePeriod);
    }
  });
}

void Reconciler::Stop() {
  stop_ = true;
  // Only a running loop needs waking (a reconciler driven by RunOnce() alone has none).
  if (thread_.joinable()) {
    service_.WakeWaiters();
    thread_.join();
  }
}

}  // namespace isthmus::mgmt
