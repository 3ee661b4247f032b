// NAT detection (RFC 7296 §2.23): N(NAT_DETECTION_SOURCE_IP) / N(NAT_DETECTION_DESTINATION_IP) carry
// SHA-1(SPIi | SPIr | IP address | port), with the SPIs from the IKE header (SPIr is zero in the
// IKE_SA_INIT request).
#pragma once

#include <cstdint>
#include <vector>

#include "base/clock.h"
#include "ike/engine/types.h"
#include "ike/wire/wire.h"

namespace isthmus::ike::tasks {

inline constexpr std::size_t kNatdHashSize = 20;  // SHA-1 output, RFC 7296 §2.23

wire::Bytes NatdHash(std::uint64_t spi_i, std::uint64_t spi_r, const Endpoint& ep);

// Both NAT-D notifies for a message from `local` to `remote`. With `force`, the source hash is random,
// so the peer believes we are behind a NAT and both ends move to UDP encapsulation (what strongSwan
// does for `encap = yes`; §2.23 permits forcing encapsulation).
std::vector<wire::Payload> NatdNotifies(std::uint64_t spi_i, std::uint64_t spi_r, const Endpoint& local,
                                        const Endpoint& remote, bool force, Rng& rng);

struct NatdResult {
  bool present = false;    // the peer sent NAT-D notifies at all
  bool nat_here = false;   // our address as the peer saw it differs from ours (DESTINATION_IP mismatch)
  bool nat_there = false;  // no SOURCE_IP hash matches the peer's address (the peer is behind a NAT)
};

// Checks the NAT-D notifies of a received IKE_SA_INIT message sent from `remote` to `local`.
NatdResult CheckNatd(const wire::Message& m, const Endpoint& local, const Endpoint& remote);

}  // namespace isthmus::ike::tasks
