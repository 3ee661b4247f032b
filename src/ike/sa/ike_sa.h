// IKE SA and CHILD SA state held by the engine: explicit lifecycle enums, negotiated suites, keys and
// the few exchange artefacts later exchanges need (IKE_SA_INIT messages for AUTH, nonces for CHILD
// keys). Plain data: the tasks (ike/tasks) change it, the engine owns it. Timers elsewhere refer to
// these by id, never by pointer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/secret.h"
#include "ike/engine/types.h"
#include "ike/sa/keymat.h"
#include "ike/sa/proposal.h"
#include "ike/sa/sk_protector.h"
#include "ipsec/sa_spec.h"

namespace isthmus::ike::sa {

enum class IkeSaState : std::uint8_t {
  kConnecting,   // IKE_SA_INIT / IKE_AUTH under way
  kEstablished,  // authenticated; carries CHILD SAs
  kRekeyed,      // replaced by a new IKE SA (§2.18); waits for its Delete
  kDeleting,     // our Delete is in flight
  kDead,         // removed at the next opportunity
};
std::string_view IkeSaStateName(IkeSaState s);

enum class ChildSaState : std::uint8_t {
  kInstalled,  // both directions installed
  kRekeying,   // our CREATE_CHILD_SA with N(REKEY_SA) for it is in flight
  kRekeyed,    // replaced; waits for the Delete exchange
  kDeleting,   // our Delete is in flight
};
std::string_view ChildSaStateName(ChildSaState s);

struct ChildSa {
  std::uint64_t id = 0;  // engine-unique, also SaSpec::child_sa_id
  ChildSaState state = ChildSaState::kInstalled;
  std::uint32_t inbound_spi = 0;   // ours (allocated by the installer)
  std::uint32_t outbound_spi = 0;  // the peer's
  ChildSuite suite;
  std::vector<net::Prefix> local_ts;
  std::vector<net::Prefix> remote_ts;
  TimePoint established_at{};
  TimePoint rekey_at = TimePoint::max();
  TimePoint expire_at = TimePoint::max();
  std::uint32_t rekeys = 0;  // how many rekeys led to this SA (carried over from its predecessor)
  // As the responder of a rekey we install the new inbound SA at once but keep sending on the old one
  // until the initiator deletes it (it installs its new inbound SA only when our response arrives):
  // the outbound SA waits here, with its keys, until the CHILD SA `replaces` is removed.
  std::optional<ipsec::SaSpec> pending_outbound;
  std::uint64_t replaces = 0;
  // Redundant after a rekey collision (§2.8.1): no outbound SA is installed for it (removed at once by
  // the end deleting it, never installed by the other), while its inbound SA stays until the Delete
  // exchange is over, so nothing already sent on it is lost (§2.8.2).
  bool outbound_stopped = false;
  // An outbound SA of ours is in the installer (not pending, not stopped).
  bool sends() const { return !pending_outbound && !outbound_stopped; }
};

struct IkeSa {
  std::uint64_t id = 0;  // engine-unique
  std::string connection;
  IkeSaState state = IkeSaState::kConnecting;
  IkeRole role = IkeRole::kInitiator;  // original initiator of this IKE SA (the I flag)
  std::uint64_t spi_i = 0;
  std::uint64_t spi_r = 0;
  std::uint64_t local_spi() const { return role == IkeRole::kInitiator ? spi_i : spi_r; }

  Endpoint local;
  Endpoint remote;
  bool nat_here = false;   // our address is translated (§2.23: we send keepalives)
  bool nat_there = false;  // the peer's is
  bool encap() const { return nat_here || nat_there; }
  TimePoint next_keepalive = TimePoint::max();  // when nat_here: the next NAT-keepalive is due

  std::optional<IkeSuite> suite;
  std::optional<IkeSaKeys> keys;
  std::unique_ptr<SkProtector> protector;

  // IKE_SA_INIT artefacts, for AUTH (§2.15) and the first CHILD SA's keys (§2.17).
  wire::Bytes init_request;
  wire::Bytes init_response;
  wire::Bytes ni;
  wire::Bytes nr;

  std::vector<ChildSa> children;

  TimePoint created_at{};
  TimePoint established_at{};
  TimePoint last_inbound{};            // last authenticated message from the peer (DPD)
  TimePoint next_hint{};               // INVALID_IKE_SPI hints before this are ignored (rate limit, §2.21.4)
  bool peer_answered_unknown = false;  // such a hint came: should the SA die, the peer is there again
  TimePoint rekey_at = TimePoint::max();
  TimePoint expire_at = TimePoint::max();
  std::uint32_t rekeys = 0;
  bool peer_authenticated = false;
  bool deleted_by_peer = false;  // D(IKE) or INITIAL_CONTACT from the peer: no reconnect
  // The redundant one of two IKE SAs both ends initiated at once, which its initiator (the peer)
  // deletes: kRekeyed until then; at expire_at we delete it ourselves.
  bool redundant = false;
  std::string last_error;  // the last failure, for status output (an RFC notify name or a reason)

  ChildSa* FindChild(std::uint64_t child_id);
  ChildSa* FindChildByInbound(std::uint32_t spi);
  ChildSa* FindChildByOutbound(std::uint32_t spi);
  std::string Describe() const;  // "#3 to-b 198.18.0.2[500] spis 1234...:abcd..." (no keys)
};

}  // namespace isthmus::ike::sa
