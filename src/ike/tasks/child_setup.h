// What every CHILD SA task shares: traffic selectors (RFC 7296 §2.9 narrowing), installing both
// directions of a new CHILD SA through the SaInstaller (inbound before outbound, §2.17 keys), removing
// one, and lifetime deadlines with jitter.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ike/sa/ike_sa.h"
#include "ike/tasks/task.h"
#include "ike/wire/wire.h"
#include "net/prefix.h"

namespace isthmus::ike::tasks {

wire::TsPayload ToTsPayload(const std::vector<net::Prefix>& prefixes);
// The prefixes covering a TS payload's address ranges (ports and protocol are not represented).
std::vector<net::Prefix> FromTsPayload(const wire::TsPayload& ts);

// §2.9: the responder narrows what the initiator proposed to what its policy allows: every
// intersection of a proposed prefix with a policy prefix. Empty means TS_UNACCEPTABLE.
std::vector<net::Prefix> NarrowSelectors(const std::vector<net::Prefix>& proposed,
                                         const std::vector<net::Prefix>& policy);
// The initiator checks that the responder's answer lies within what it proposed.
bool WithinSelectors(const std::vector<net::Prefix>& answer, const std::vector<net::Prefix>& proposed);

// hard - margin - random(0, jitter), or max() when there is no hard limit.
TimePoint SoftDeadline(TimePoint now, const LifetimeConfig& lifetime, Rng& rng);
TimePoint HardDeadline(TimePoint now, const LifetimeConfig& lifetime);

struct NewChild {
  sa::ChildSuite suite;
  std::uint32_t inbound_spi = 0;
  std::uint32_t outbound_spi = 0;
  std::vector<net::Prefix> local_ts;
  std::vector<net::Prefix> remote_ts;
  wire::ByteView ni;
  wire::ByteView nr;
  crypto::ConstBytes pfs_secret;  // empty without PFS
  bool we_initiated = false;      // we initiated the exchange that creates it (§2.17 key order)
  std::uint32_t rekeys = 0;
  // Responder of a rekey: the CHILD SA this one replaces. Its outbound SA is installed only when that
  // one is removed (normally by the initiator's Delete), so that we never send on an SA the initiator
  // cannot decrypt yet.
  std::uint64_t replaces = 0;
};

// Derives the keys (§2.17) and installs inbound, then outbound (make-before-break: nothing can arrive
// for an SA before the SA that decrypts it exists) — or, with `replaces`, inbound only, keeping the
// outbound SA pending (sa::ChildSa::pending_outbound). On failure nothing stays installed and the
// inbound SPI is released. The new ChildSa is appended to ctx.sa.children.
Result<sa::ChildSa*> InstallChild(TaskContext& ctx, const NewChild& c);

// Removes both directions (outbound first, so we stop sending before we stop receiving) and drops the
// ChildSa from ctx.sa.children. Unknown SAs in the installer count as already gone. A successor waiting
// for this one to go (pending_outbound) gets its outbound SA installed first, so traffic moves over
// without a gap.
void RemoveChild(TaskContext& ctx, std::uint64_t child_id, std::string_view why);

// A CHILD SA found redundant (rekey collision, §2.8.1): its outbound SA goes now (or, still pending,
// is never installed), so traffic moves to the other outbound SA the installer holds for the same
// selectors; its inbound SA stays until RemoveChild (the Delete exchange, §2.8.2).
void StopSending(TaskContext& ctx, sa::ChildSa& child);

// Removes every CHILD SA of the SA through the installer (dead peer, IKE SA deleted).
void RemoveAllChildren(TaskHost& host, sa::IkeSa& sa, std::string_view why);

}  // namespace isthmus::ike::tasks
