// SaInstaller: the one interface through which the IKE engine drives the ESP data plane (DESIGN.md §2,
// STYLE.md "Shape" 2). Production wires it to the data plane's SA tables; engine tests wire it to
// RecordingSaInstaller. The engine calls it from its own (single) thread; implementations need not be
// re-entrant but must not call back into the engine.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ipsec/sa_event.h"
#include "ipsec/sa_spec.h"

namespace isthmus::ipsec {

// Usage counters of one installed SA, for status output and for make-before-break decisions.
struct SaUsage {
  std::uint64_t bytes = 0;
  std::uint64_t packets = 0;
  TimePoint installed_at{};
  TimePoint last_used{};  // epoch = never
  bool operator==(const SaUsage&) const = default;
};

// Error codes implementations return (Error::code), so the engine can react without parsing text.
inline constexpr std::string_view kSpiExhausted = "SpiExhausted";        // AllocateSpi: no free SPI
inline constexpr std::string_view kSpiNotAllocated = "SpiNotAllocated";  // AddSa inbound: SPI not ours
inline constexpr std::string_view kSaExists = "SaExists";                // AddSa: (SPI, direction) installed
inline constexpr std::string_view kSaNotFound = "SaNotFound";            // Update/Delete/Query: unknown SA

class SaInstaller {
 public:
  virtual ~SaInstaller() = default;

  // Reserves a fresh inbound SPI (>= kMinSpi, unique among reserved and installed inbound SAs) for a
  // CHILD SA being negotiated. It stays reserved until AddSa installs it or ReleaseSpi frees it.
  virtual Result<std::uint32_t> AllocateSpi() = 0;
  // Frees a reserved SPI whose negotiation failed. Not for installed SAs (use DeleteSa).
  virtual Status ReleaseSpi(std::uint32_t spi) = 0;

  // Installs one direction of a CHILD SA. Validates the spec (Validate()); an inbound SPI must have
  // come from AllocateSpi. The engine installs inbound before outbound, so no reply can arrive before
  // the SA that decrypts it exists.
  virtual Status AddSa(const SaSpec& spec) = 0;
  // Changes the outer path of an installed SA (NAT-T switch, peer address change) in place, keeping
  // keys, sequence numbers and the replay window.
  virtual Status UpdateSa(const SaPathUpdate& update) = 0;
  // Removes an installed SA (an inbound SPI becomes free for reuse). Deleting an unknown SA fails with
  // kSaNotFound; the engine treats that as already gone.
  virtual Status DeleteSa(std::uint32_t spi, Direction direction) = 0;

  virtual Result<SaUsage> QueryUsage(std::uint32_t spi, Direction direction) = 0;
  // Events reported since the last call, oldest first (see SaEventQueue).
  virtual std::vector<SaEvent> DrainEvents() = 0;
};

}  // namespace isthmus::ipsec
