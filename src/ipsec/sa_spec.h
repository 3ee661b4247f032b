// SaSpec: everything the data plane needs to run one ESP SA in one direction, as the IKE engine
// negotiated it. This is the payload of the only contract between IKE and the data plane
// (DESIGN.md §2, STYLE.md "Shape" 2); it carries no IKE types, so the data plane never includes ike/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/secret.h"
#include "crypto/transform_ids.h"
#include "net/prefix.h"

namespace isthmus::ipsec {

// Which way the SA carries traffic, seen from this gateway. An inbound SA's SPI was chosen by us
// (SaInstaller::AllocateSpi); an outbound SA's SPI was chosen by the peer (RFC 4303 §2.1).
enum class Direction : std::uint8_t { kInbound, kOutbound };

// IP protocol numbers (IANA "Assigned Internet Protocol Numbers"). Only ESP is in the wire profile
// (DESIGN.md §4); the field exists so an AH SA could never be mistaken for an ESP one.
enum class Protocol : std::uint8_t { kEsp = 50 };  // RFC 4303

// Only tunnel mode is in the wire profile (DESIGN.md §4); transport mode would need USE_TRANSPORT_MODE.
enum class Mode : std::uint8_t { kTunnel };

// RFC 3948 UDP encapsulation of ESP, chosen when NAT detection (RFC 7296 §2.23) finds a NAT.
struct UdpEncap {
  bool enabled = false;
  std::uint16_t local_port = 4500;   // RFC 3948 §2 / RFC 7296 §2.23: IKE and ESP share port 4500
  std::uint16_t remote_port = 4500;  // the peer's port as seen by us (may be NAT-mapped)
  bool operator==(const UdpEncap&) const = default;
};

// One traffic selector in prefix form. IKE's TS payload carries address *ranges* (RFC 7296 §3.13.1);
// the engine converts them to the covering prefixes, which is what routing and SA lookup use.
struct TrafficSelector {
  net::Prefix prefix;
  std::uint8_t ip_protocol = 0;  // 0 = any (RFC 7296 §3.13.1)
  std::uint16_t port_first = 0;  // inclusive; 0..65535 = any port
  std::uint16_t port_last = 65535;
  bool operator==(const TrafficSelector&) const = default;
};

// Local = the protected network behind this gateway; remote = behind the peer. For an inbound SA,
// packets go remote -> local; for an outbound SA local -> remote.
struct TrafficSelectors {
  std::vector<TrafficSelector> local;
  std::vector<TrafficSelector> remote;
  bool operator==(const TrafficSelectors&) const = default;
};

// The negotiated ESP transforms (RFC 7296 §3.3.3 "ESP": ENCR, optional INTEG, ESN).
struct SaTransform {
  crypto::EncrId encr = crypto::EncrId::kAesGcm16;
  std::uint16_t encr_key_bits = 256;               // Key Length attribute; 0 for ChaCha20-Poly1305
  crypto::IntegId integ = crypto::IntegId::kNone;  // kNone exactly when encr is an AEAD (RFC 4303 §3.2)
  bool esn = false;                                // 64-bit extended sequence numbers (RFC 4303 §2.2.1)
  bool operator==(const SaTransform&) const = default;
};

// Key material for one direction, exactly as prf+ delivered it (RFC 7296 §2.17).
struct SaKeys {
  SecretBytes encr;   // cipher key || salt (4-octet salt for AEADs, RFC 4106 §8.1 / RFC 7634 §2)
  SecretBytes integ;  // empty for AEADs
  bool operator==(const SaKeys&) const = default;
};

// One lifetime limit; 0 in a field means "no limit of this kind".
struct Lifetime {
  std::uint64_t seconds = 0;
  std::uint64_t bytes = 0;
  std::uint64_t packets = 0;
  bool operator==(const Lifetime&) const = default;
};

// Soft: the data plane reports kSoftExpire and the engine rekeys; hard: the data plane stops using
// the SA and reports kHardExpire. The data plane enforces bytes and packets; seconds are the engine's
// own timers (it has the clock and must rekey before the peer does), carried here so the data plane
// can enforce the hard time limit as a backstop if the control plane is stuck.
struct SaLifetimes {
  Lifetime soft;
  Lifetime hard;
  bool operator==(const SaLifetimes&) const = default;
};

struct SaSpec {
  Direction direction = Direction::kInbound;
  std::uint32_t spi = 0;
  Protocol protocol = Protocol::kEsp;
  Mode mode = Mode::kTunnel;
  // Outer (tunnel endpoint) addresses: ours and the peer's, same family.
  net::IpAddress local_address;
  net::IpAddress remote_address;
  UdpEncap encap;
  TrafficSelectors selectors;
  SaTransform transform;
  SaKeys keys;
  SaLifetimes lifetimes;
  // Inbound only: anti-replay window in packets (RFC 4303 §3.4.3, RFC 6479); 0 disables replay
  // protection (never by default). Ignored for outbound SAs.
  std::uint32_t replay_window = 1024;
  // Inbound only: report kIdle after this many seconds without an authenticated packet, so the engine
  // can retire the old SA of a make-before-break rekey. 0 = never report.
  std::uint32_t idle_report_seconds = 0;
  // For counters and logs: the connection's name (or resource ID) and the engine's CHILD SA id.
  std::string connection;
  std::uint64_t child_sa_id = 0;

  bool operator==(const SaSpec&) const = default;
};

// What UpdateSa may change on an installed SA without a rekey: the outer path (after a NAT-T switch
// to port 4500, RFC 7296 §2.23, or a peer address change). Fields left empty are unchanged.
struct SaPathUpdate {
  std::uint32_t spi = 0;
  Direction direction = Direction::kInbound;
  std::optional<net::IpAddress> local_address;
  std::optional<net::IpAddress> remote_address;
  std::optional<UdpEncap> encap;
  bool operator==(const SaPathUpdate&) const = default;
};

// Spec values.
inline constexpr std::uint32_t kMinSpi = 256;  // RFC 4303 §2.1: 1..255 reserved by IANA, 0 never sent
// Implementation limits (not from an RFC): RFC 6479 windows are bitmaps, so a bound keeps an inbound SA
// from asking for an absurd allocation; 32 is RFC 4303 §3.4.3's minimum when replay checking is on.
inline constexpr std::uint32_t kMinReplayWindow = 32;
inline constexpr std::uint32_t kMaxReplayWindow = 1u << 16;

// Checks the spec as a whole: SPI range, protocol/mode, outer addresses set and of one family, UDP
// ports, selectors present and well-formed, transform supported by crypto/transforms.h, key sizes
// exactly those of the transform (AEAD: no integrity transform or key), soft limits below hard ones,
// replay window bounds, a connection name. The error names the field; it never contains key bytes.
Status Validate(const SaSpec& spec);

// "inbound ESP SA 0xc0000001 10.0.0.1 <- 10.0.0.2 (udp 4500/4500) AES_GCM_16_256 esn conn=vnet1-vnet2"
// for logs. Never includes key material.
std::string Describe(const SaSpec& spec);
std::string_view DirectionName(Direction d);

}  // namespace isthmus::ipsec
