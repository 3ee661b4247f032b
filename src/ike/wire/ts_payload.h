// Traffic Selector payloads TSi and TSr (RFC 7296 §3.13).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ike/wire/bytes.h"
#include "ike/wire/error.h"
#include "ike/wire/types.h"
#include "net/prefix.h"

namespace isthmus::ike::wire {

// Traffic Selector (§3.13.1):
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   TS Type     |IP Protocol ID*|       Selector Length         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           Start Port*         |           End Port*           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// ~                         Starting Address*                     ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// ~                         Ending Address*                       ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// (* fields depend on TS Type; the layout above is that of TS_IPV4_ADDR_RANGE (length 16) and
//  TS_IPV6_ADDR_RANGE (length 40).)
struct TrafficSelector {
  TsType type = TsType::kIpv4AddrRange;
  std::uint8_t ip_protocol = 0;  // 0: any protocol
  std::uint16_t start_port = 0;
  std::uint16_t end_port = 65535;  // start 65535, end 0 means OPAQUE ports (§3.13.1)
  net::IpAddress start;            // same family as `type`
  net::IpAddress end;
  // For a TS Type this codec does not know: every octet after Selector Length, verbatim. Such a
  // selector is carried, never interpreted; the other fields are then meaningless.
  Bytes opaque;

  // All addresses of `p`, one protocol (0 = any) and a port range (all ports by default).
  static TrafficSelector FromPrefix(const net::Prefix& p, std::uint8_t ip_protocol = 0,
                                    std::uint16_t start_port = 0, std::uint16_t end_port = 65535);
  // An arbitrary address range; both ends must be of one family (checked by Verify-time users).
  static TrafficSelector FromRange(const net::IpAddress& start, const net::IpAddress& end,
                                   std::uint8_t ip_protocol = 0, std::uint16_t start_port = 0,
                                   std::uint16_t end_port = 65535);

  bool is_address_range() const { return type == TsType::kIpv4AddrRange || type == TsType::kIpv6AddrRange; }
  bool all_ports() const { return start_port == 0 && end_port == 65535; }
  // The range as one prefix, when it is exactly one (10.0.0.0-10.0.255.255 → 10.0.0.0/16).
  std::optional<net::Prefix> ToPrefix() const;
  // The smallest list of prefixes covering exactly the range (empty when start > end or the type is
  // not an address range). Ports and protocol are not represented.
  std::vector<net::Prefix> ToPrefixes() const;

  bool operator==(const TrafficSelector&) const = default;
};

// TSi / TSr body (§3.13):
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Number of TSs |                 RESERVED                      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// ~                       <Traffic Selectors>                     ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Parse refuses zero selectors, a count that differs from what follows, a Selector Length other than
// 16 (IPv4) or 40 (IPv6) for the address-range types, and any selector shorter than its 4-octet head.
struct TsPayload {
  std::vector<TrafficSelector> selectors;

  static WireResult<TsPayload> Parse(ByteView body);
  void AppendBody(ByteWriter& w) const;
  bool operator==(const TsPayload&) const = default;
};

}  // namespace isthmus::ike::wire
