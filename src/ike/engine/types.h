// The engine's vocabulary: endpoints and datagrams, connection and engine configuration, and what the
// engine reports back (log lines, status snapshots). No I/O, no keys in anything that is printed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/secret.h"
#include "ike/sa/proposal.h"
#include "ike/wire/id_payload.h"
#include "net/prefix.h"

namespace isthmus::ike {

// A UDP endpoint. ike must not include platform/, so it has its own.
struct Endpoint {
  net::IpAddress address;
  std::uint16_t port = 500;
  std::string ToString() const;
  bool operator==(const Endpoint&) const = default;
};

// RFC 7296 §2 / §2.23 port numbers.
inline constexpr std::uint16_t kIkePort = 500;
inline constexpr std::uint16_t kNatTPort = 4500;
// RFC 3948 §2.2: on port 4500 an IKE message is preceded by four zero octets (the non-ESP marker).
inline constexpr std::size_t kNonEspMarkerSize = 4;

// One UDP datagram for the caller to send. When either port is 4500 `bytes` already starts with the
// non-ESP marker: the caller sends it as is.
struct Datagram {
  Endpoint from;
  Endpoint to;
  std::vector<std::uint8_t> bytes;
};

enum class ConnectionMode : std::uint8_t { kInitiator, kResponder, kBoth };

// RFC 7296 §2.1 retransmission. Defaults are strongSwan's (charon.retransmit_timeout/base/tries), so
// without liveness checks an Isthmus gateway gives up on a silent peer when strongSwan would: 4 + 7.2 +
// 13 + 23.3 + 42 + 75.6 s. With `dpd_timeout` that bound is the timeout itself (tasks::Dpd).
struct RetransmitPolicy {
  Duration timeout = std::chrono::seconds(4);
  double base = 1.8;
  int tries = 5;  // retransmissions after the first send
};

// Lifetimes: the hard limit ends the SA; a rekey starts at hard - margin - random(0, jitter), so the
// two ends of a connection rarely start the same rekey at once (RFC 7296 §2.8.1 handles it when they
// do). Zero hard lifetime: never rekey.
struct LifetimeConfig {
  Duration hard{};
  Duration margin{};
  Duration jitter{};
};

struct ConnectionConfig {
  std::string name;
  Endpoint local;   // our address and port (500)
  Endpoint remote;  // the peer's address and port (500)
  wire::IdPayload local_id;
  wire::IdPayload remote_id;
  SecretBytes psk;
  std::vector<net::Prefix> local_prefixes;   // our side's traffic selectors (TSi when we initiate)
  std::vector<net::Prefix> remote_prefixes;  // the peer's side
  std::vector<sa::Proposal> ike_proposals;
  std::vector<sa::Proposal> esp_proposals;
  ConnectionMode mode = ConnectionMode::kBoth;
  // Azure's DPD timeout: the peer is dead once this long passed without a packet from it (liveness
  // checks start after a third of it, tasks::DpdStartAfter). 0 = no liveness checks.
  Duration dpd_timeout{};
  LifetimeConfig ike_lifetime;
  LifetimeConfig child_lifetime;
  // strongSwan's `encap = yes`: fake the NAT-D source hash so both ends move to port 4500 and
  // encapsulate ESP in UDP (RFC 7296 §2.23 allows forcing it).
  bool force_encapsulation = false;
  // Delay before an initiator-mode connection retries after a failure or a dead peer.
  Duration reconnect_delay = std::chrono::seconds(5);

  bool initiates() const { return mode != ConnectionMode::kResponder; }
  bool responds() const { return mode != ConnectionMode::kInitiator; }
  // True if everything that affects a running IKE SA is the same (Reload leaves such ones alone).
  bool SameAs(const ConnectionConfig& o) const;
};

struct EngineConfig {
  RetransmitPolicy retransmit;
  // RFC 7296 §2.6: once this many half-open IKE SAs exist, IKE_SA_INIT requests without a valid
  // cookie are answered with N(COOKIE). 0 = always demand a cookie.
  std::size_t cookie_threshold = 64;
  // Implementation limit: half-open SAs beyond this are dropped outright.
  std::size_t max_half_open = 4096;
  // How long a half-open responder SA may wait for IKE_AUTH.
  Duration half_open_timeout = std::chrono::seconds(30);
  // RFC 3948 §2.3/§4: while our side is translated (or encapsulation is forced), a one-octet 0xFF
  // datagram goes to the peer's 4500 whenever nothing else was sent for this long (strongSwan's default).
  Duration nat_keepalive = std::chrono::seconds(20);
  std::size_t nonce_size = 32;  // RFC 7296 §2.10: at least half the PRF key size; 32 covers SHA2-512/2
};

enum class ConnectionState : std::uint8_t { kNotConnected, kConnecting, kConnected };
std::string_view ConnectionStateName(ConnectionState s);

// One line per state change (connection, peer, what, why). Never contains a key.
struct LogLine {
  TimePoint at{};
  std::string connection;
  std::string peer;
  std::string what;
  std::string why;
  std::string ToString() const;
};

// RFC 7296 §2.1 retransmissions of one connection, summed over its IKE SAs: the current one, those it
// replaced by rekeying and those that failed or were deleted (rekeys and reconnects do not reset them).
struct RetransmitCounts {
  std::uint64_t sent = 0;      // our requests sent again because their response did not come in time
  std::uint64_t answered = 0;  // the peer's retransmitted requests answered from the response cache
  RetransmitCounts& operator+=(const RetransmitCounts& o) {
    sent += o.sent;
    answered += o.answered;
    return *this;
  }
  bool operator==(const RetransmitCounts&) const = default;
};

// The responder's half-open IKE SAs (IKE_SA_INIT answered, IKE_AUTH not yet) and what the RFC 7296
// §2.6 defence did about them. The two counters run from the engine's start.
struct DosStatus {
  std::size_t half_open = 0;
  std::uint64_t cookies_sent = 0;  // IKE_SA_INIT requests answered with N(COOKIE) (cookie_threshold)
  std::uint64_t init_dropped = 0;  // IKE_SA_INIT requests dropped unanswered: max_half_open reached
};

struct ChildSaStatus {
  std::uint64_t id = 0;
  std::uint32_t inbound_spi = 0;
  std::uint32_t outbound_spi = 0;
  std::string algorithms;  // "ESP:AES_GCM_16_256/NO_EXT_SEQ"
  std::vector<net::Prefix> local_prefixes;
  std::vector<net::Prefix> remote_prefixes;
  TimePoint established_at{};
  std::string state;
};

struct ConnectionStatus {
  std::string name;
  ConnectionState state = ConnectionState::kNotConnected;
  std::uint64_t ike_spi_i = 0;
  std::uint64_t ike_spi_r = 0;
  bool initiator = false;      // we are the IKE SA's original initiator
  std::string ike_algorithms;  // "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256"
  Endpoint local;
  Endpoint remote;
  bool udp_encapsulated = false;
  TimePoint established_at{};
  // The configured hard lifetimes (what `list-ike-sas` reports as lifeTimeSeconds); zero = none.
  Duration ike_lifetime{};
  Duration child_lifetime{};
  std::uint32_t ike_rekeys = 0;
  std::uint32_t child_rekeys = 0;
  RetransmitCounts ike_retransmits;
  std::vector<ChildSaStatus> children;
  std::string last_error;
};

}  // namespace isthmus::ike
