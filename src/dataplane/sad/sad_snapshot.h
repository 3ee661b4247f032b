// The SA database as an immutable snapshot (DESIGN.md §2, STYLE.md "Shape" 5).
//
// The control side (DataplaneSaInstaller) builds a whole new SadSnapshot for every change and publishes
// it with SadPublisher; workers pick up the current one once per batch and never take a lock per
// packet. A snapshot never changes after publication; the SaRuntime objects it points at carry the
// per-SA mutable state and survive from one snapshot to the next (sa_runtime.h says who may touch what).
//
// Lookups:
// - inbound: SPI -> SA, binary search over a sorted array;
// - outbound: longest-prefix match of the inner destination over the remote selectors of all outbound
//   SAs -> the SA. When several outbound SAs claim the same prefix (a make-before-break rekey: the new
//   SA of a connection is installed before the old one is deleted) the most recently installed wins, so
//   traffic moves to the new SA the moment it exists and the old inbound SA keeps decrypting stragglers.
//   Tables per prefix length, longest first, each sorted for binary search: the cost is one search per
//   distinct prefix length in use, allocation-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dataplane/sad/sa_runtime.h"
#include "platform/iface/endpoint.h"

namespace isthmus::dataplane {

// The outer path of one SA: changed by UpdateSa without touching keys or counters.
struct SaPath {
  platform::Endpoint local;   // our UDP endpoint (port 4500)
  platform::Endpoint remote;  // where outbound datagrams go
};

struct SadEntry {
  std::shared_ptr<SaRuntime> sa;
  SaPath path;
};

class SadSnapshot {
 public:
  // Inputs, in install order (older first); the builder sorts and indexes them.
  static std::shared_ptr<const SadSnapshot> Build(std::vector<SadEntry> inbound,
                                                  std::vector<SadEntry> outbound, std::uint64_t version);

  const SadEntry* FindInbound(std::uint32_t spi) const;
  // `dst` is 4 (v4) or 16 (v6) network-order octets.
  const SadEntry* FindOutbound(const std::uint8_t* dst, bool v4) const;

  std::span<const SadEntry> inbound() const { return inbound_; }
  std::span<const SadEntry> outbound() const { return outbound_; }
  std::uint64_t version() const { return version_; }

 private:
  struct Key {
    std::uint64_t hi = 0, lo = 0;
    auto operator<=>(const Key&) const = default;
  };
  struct Route {
    Key key;
    std::uint32_t outbound_index;
  };
  struct LengthTable {
    int length;
    Key mask;
    std::vector<Route> routes;  // sorted by key, one per key
  };
  static Key KeyOf(const std::uint8_t* addr, bool v4);
  static Key MaskOf(int length, bool v4);
  const SadEntry* Lpm(const std::vector<LengthTable>& tables, const std::uint8_t* dst, bool v4) const;

  std::vector<SadEntry> inbound_;   // sorted by SPI
  std::vector<SadEntry> outbound_;  // install order
  std::vector<LengthTable> v4_;     // longest prefix first
  std::vector<LengthTable> v6_;
  std::uint64_t version_ = 0;
};

// Publishes snapshots to workers. Workers call Acquire() once per batch: one relaxed-cost atomic load of
// the version when nothing changed; only after a publication do they take the shared_ptr (which keeps
// the snapshot, and the SAs it holds, alive for as long as the worker still uses it).
class SadPublisher {
 public:
  SadPublisher();
  void Publish(std::shared_ptr<const SadSnapshot> s);
  std::shared_ptr<const SadSnapshot> Load() const { return current_.load(std::memory_order_acquire); }
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }

  // A worker's cached view: refreshed only when the version moved.
  class Reader {
   public:
    explicit Reader(const SadPublisher& p) : pub_(p) {}
    const SadSnapshot& Acquire() {
      const std::uint64_t v = pub_.version();
      if (!cached_ || v != seen_) {
        cached_ = pub_.Load();
        seen_ = v;
      }
      return *cached_;
    }

   private:
    const SadPublisher& pub_;
    std::shared_ptr<const SadSnapshot> cached_;
    std::uint64_t seen_ = 0;
  };

 private:
  std::atomic<std::shared_ptr<const SadSnapshot>> current_;
  std::atomic<std::uint64_t> version_{0};
};

}  // namespace isthmus::dataplane
