// RecordingSaInstaller: an in-memory SaInstaller that records every state-changing call and keeps the
// resulting SA table, with the same rules a real data plane enforces (spec validation, SPI ownership,
// no duplicates). Engine tests run against it until the data plane exists, and keep using it after:
// "which SAs did the engine install, with which keys" is the question most engine tests ask.
// Deterministic: SPIs are handed out sequentially. Not thread-safe (engine tests are single-threaded).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "ipsec/sa_installer.h"

namespace isthmus::ipsec {

class RecordingSaInstaller final : public SaInstaller {
 public:
  enum class CallKind : std::uint8_t { kAllocateSpi, kReleaseSpi, kAddSa, kUpdateSa, kDeleteSa };

  struct Call {
    CallKind kind = CallKind::kAllocateSpi;
    std::uint32_t spi = 0;  // the SPI allocated/released/added/updated/deleted (0 if allocation failed)
    Direction direction = Direction::kInbound;
    std::optional<SaSpec> spec;          // kAddSa: the spec as passed (including keys)
    std::optional<SaPathUpdate> update;  // kUpdateSa
    Status result;                       // what the call returned
  };

  // Looks like the SPIs a Linux kernel hands out (high bit set) and is easy to spot in test output.
  static constexpr std::uint32_t kDefaultFirstSpi = 0xc0000001;

  // SPIs come from [first_spi, last_spi] in order, wrapping, skipping those in use. A narrow range
  // lets tests exhaust it.
  explicit RecordingSaInstaller(std::uint32_t first_spi = kDefaultFirstSpi,
                                std::uint32_t last_spi = 0xffffffff);

  Result<std::uint32_t> AllocateSpi() override;
  Status ReleaseSpi(std::uint32_t spi) override;
  Status AddSa(const SaSpec& spec) override;
  Status UpdateSa(const SaPathUpdate& update) override;
  Status DeleteSa(std::uint32_t spi, Direction direction) override;
  Result<SaUsage> QueryUsage(std::uint32_t spi, Direction direction) override;  // not recorded
  std::vector<SaEvent> DrainEvents() override;                                  // not recorded

  // What happened, in order.
  const std::vector<Call>& calls() const { return calls_; }
  std::vector<Call> CallsOf(CallKind kind) const;
  void ClearCalls() { calls_.clear(); }

  // The table after all calls so far.
  const SaSpec* Find(std::uint32_t spi, Direction direction) const;
  std::size_t installed_count() const { return installed_.size(); }
  std::vector<SaSpec> Installed(Direction direction) const;
  bool IsReserved(std::uint32_t spi) const { return reserved_.contains(spi); }

  // Test hooks standing in for the data plane.
  void PushEvent(const SaEvent& e) { events_.push_back(e); }
  // Sets what QueryUsage returns for an installed SA (fails silently for an unknown one: tests assert
  // on QueryUsage's answer instead).
  void SetUsage(std::uint32_t spi, Direction direction, const SaUsage& usage);
  // The next call of `kind` fails with `error` (and is recorded with it) without changing the table.
  void FailNext(CallKind kind, Error error) { fail_next_[kind] = std::move(error); }

 private:
  using Key = std::pair<std::uint32_t, Direction>;
  struct Entry {
    SaSpec spec;
    SaUsage usage;
  };

  std::optional<Error> TakeInjectedFailure(CallKind kind);
  bool InboundSpiInUse(std::uint32_t spi) const;
  Status Record(Call call);

  std::uint32_t first_spi_;
  std::uint32_t last_spi_;
  std::uint32_t next_spi_;
  std::set<std::uint32_t> reserved_;
  std::map<Key, Entry> installed_;
  std::vector<SaEvent> events_;
  std::vector<Call> calls_;
  std::map<CallKind, Error> fail_next_;
};

}  // namespace isthmus::ipsec
