// DataplaneSaInstaller: the production SaInstaller (ipsec/sa_installer.h) the gateway hands to the IKE
// engine. It keeps the control side's view of every installed SA and, after each change, builds a new
// SadSnapshot and publishes it to the workers (sad_snapshot.h).
//
// - AllocateSpi: random (the SPI is visible on the wire; a counter would leak how many SAs we made),
//   never 0..255 (RFC 4303 §2.1), unique among reserved and installed inbound SPIs.
// - AddSa: validates the spec, keys an EspCipher (the keys go into the cipher's OpenSSL context and are
//   not kept here), publishes. A new inbound SA is usable by the next batch; a new outbound SA takes over
//   its remote prefixes from older ones of the same prefixes (make-before-break), which keep working
//   until DeleteSa.
// - UpdateSa: a new snapshot with the new outer path and the same SaRuntime (keys, sequence numbers and
//   replay window carry over).
// - Events (first use, soft/hard expiry by bytes or packets, idle, hard time backstop) are pushed by the
//   worker into this object's queue and drained by the control side.
//
// Called from the control thread (the IKE engine's loop). A mutex guards the control-side state so that
// stats readers on another thread are safe; workers never take it.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "dataplane/sad/sad_snapshot.h"
#include "ipsec/sa_installer.h"

namespace isthmus::dataplane {

class DataplaneSaInstaller final : public ipsec::SaInstaller {
 public:
  // `spi_rng` picks SPIs, `iv_rng` supplies CBC IVs to the workers (must be thread-safe, e.g.
  // crypto::CryptoRng); `clock` stamps installs. All must outlive this object and its workers.
  DataplaneSaInstaller(const Clock& clock, Rng& spi_rng, Rng& iv_rng);

  Result<std::uint32_t> AllocateSpi() override;
  Status ReleaseSpi(std::uint32_t spi) override;
  Status AddSa(const ipsec::SaSpec& spec) override;
  Status UpdateSa(const ipsec::SaPathUpdate& update) override;
  Status DeleteSa(std::uint32_t spi, ipsec::Direction direction) override;
  Result<ipsec::SaUsage> QueryUsage(std::uint32_t spi, ipsec::Direction direction) override;
  std::vector<ipsec::SaEvent> DrainEvents() override;

  // For statically keyed setups (the isthmus-dp runner): reserves a chosen inbound SPI as if
  // AllocateSpi had returned it. Fails if it is reserved, installed or below kMinSpi.
  Status ReserveSpi(std::uint32_t spi);

  // Deferred publishing, for a caller that makes many changes per turn of its loop (hundreds of SAs
  // negotiated at once would otherwise cost a snapshot each): changes accumulate until Flush(), which
  // must come before anything that lets a peer use them (the gateway flushes before sending the engine's
  // outbox). Off by default: every change is published at once.
  void DeferPublishing(bool defer);
  void Flush();

  const SadPublisher& publisher() const { return publisher_; }
  ipsec::SaEventQueue& events() { return events_; }
  // Every connection seen so far (counters survive their SAs), for stats.
  std::vector<std::shared_ptr<ConnectionRuntime>> Connections() const;

 private:
  using Key = std::pair<std::uint32_t, ipsec::Direction>;
  struct Installed {
    SadEntry entry;
    std::uint64_t order;  // install sequence: later wins a shared prefix
  };
  void ChangedLocked();  // publishes now, or marks dirty when deferring
  void PublishLocked();

  const Clock& clock_;
  Rng& spi_rng_;
  Rng& iv_rng_;
  mutable std::mutex mu_;
  std::set<std::uint32_t> reserved_;
  std::map<Key, Installed> installed_;
  std::map<std::string, std::shared_ptr<ConnectionRuntime>> connections_;
  std::uint64_t next_order_ = 1;
  std::uint64_t version_ = 0;
  bool defer_ = false;
  bool dirty_ = false;
  ipsec::SaEventQueue events_;
  SadPublisher publisher_;
};

}  // namespace isthmus::dataplane
