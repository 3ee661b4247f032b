#include "ike/wire/ts_payload.h"

#include <fmt/format.h>

namespace isthmus::ike::wire {
namespace {

constexpr std::size_t kV4SelectorLength = 16;  // §3.13.1
constexpr std::size_t kV6SelectorLength = 40;

std::size_t AddressLength(TsType t) {
  return t == TsType::kIpv4AddrRange ? 4 : 16;
}
net::Family FamilyOf(TsType t) {
  return t == TsType::kIpv4AddrRange ? net::Family::kV4 : net::Family::kV6;
}

}  // namespace

TrafficSelector TrafficSelector::FromPrefix(const net::Prefix& p, std::uint8_t ip_protocol,
                                            std::uint16_t start_port, std::uint16_t end_port) {
  return FromRange(p.address(), p.Last(), ip_protocol, start_port, end_port);
}

TrafficSelector TrafficSelector::FromRange(const net::IpAddress& start, const net::IpAddress& end,
                                           std::uint8_t ip_protocol, std::uint16_t start_port,
                                           std::uint16_t end_port) {
  TrafficSelector ts;
  ts.type = start.is_v4() ? TsType::kIpv4AddrRange : TsType::kIpv6AddrRange;
  ts.ip_protocol = ip_protocol;
  ts.start_port = start_port;
  ts.end_port = end_port;
  ts.start = start;
  ts.end = end;
  return ts;
}

std::optional<net::Prefix> TrafficSelector::ToPrefix() const {
  auto prefixes = ToPrefixes();
  if (prefixes.size() != 1) return std::nullopt;
  return prefixes[0];
}

std::vector<net::Prefix> TrafficSelector::ToPrefixes() const {
  std::vector<net::Prefix> out;
  if (!is_address_range() || start.family() != FamilyOf(type) || end.family() != start.family() ||
      start > end) {
    return out;
  }
  // Greedy: from the current address take the largest aligned block that stays inside the range.
  // At most 2 * address bits blocks result, so the loop is bounded.
  net::IpAddress cur = start;
  while (true) {
    int len = cur.bits();
    while (len > 0) {
      net::Prefix wider = net::Prefix::Of(cur, len - 1);
      if (wider.address() != cur || wider.Last() > end) break;
      --len;
    }
    net::Prefix block = net::Prefix::Of(cur, len);
    out.push_back(block);
    net::IpAddress last = block.Last();
    if (last >= end) break;
    cur = last.Plus(1);
  }
  return out;
}

WireResult<TsPayload> TsPayload::Parse(ByteView body) {
  if (body.size() < 4) return Malformed("truncated traffic selector payload");
  ByteReader r(body);
  std::uint8_t count = r.U8();
  r.Skip(3);  // RESERVED
  if (count == 0) return Malformed("traffic selector payload with zero selectors", 0);
  TsPayload ts;
  while (!r.empty()) {
    std::size_t at = r.pos();
    if (r.remaining() < 4) return Malformed("truncated traffic selector", at);
    TrafficSelector s;
    s.type = static_cast<TsType>(r.U8());
    s.ip_protocol = r.U8();
    std::uint16_t len = r.U16();
    if (len < 4) return Malformed(fmt::format("selector length {} is below 4", len), at + 2);
    if (len - 4u > r.remaining())
      return Malformed(fmt::format("selector length {} overruns the payload", len), at + 2);
    ByteReader sr(r.Take(len - 4u));
    if (s.is_address_range()) {
      std::size_t want = s.type == TsType::kIpv4AddrRange ? kV4SelectorLength : kV6SelectorLength;
      if (len != want) {
        return Malformed(fmt::format("selector length {} for TS type {}, expected {}", len,
                                     static_cast<unsigned>(s.type), want),
                         at + 2);
      }
      s.start_port = sr.U16();
      s.end_port = sr.U16();
      std::size_t alen = AddressLength(s.type);
      s.start = net::IpAddress::FromBytes(FamilyOf(s.type), sr.Take(alen).data());
      s.end = net::IpAddress::FromBytes(FamilyOf(s.type), sr.Take(alen).data());
    } else {
      ByteView rest = sr.Rest();
      s.opaque.assign(rest.begin(), rest.end());
      s.start_port = 0;
      s.end_port = 0;
    }
    ts.selectors.push_back(std::move(s));
  }
  if (ts.selectors.size() != count) {
    return Malformed(fmt::format("Number of TSs says {} but {} follow", count, ts.selectors.size()), 0);
  }
  return ts;
}

void TsPayload::AppendBody(ByteWriter& w) const {
  if (selectors.empty()) w.Fail("traffic selector payload with no selector");
  w.Count8(selectors.size(), "Number of TSs");
  w.Zeros(3);
  for (const auto& s : selectors) {
    w.U8(static_cast<std::uint8_t>(s.type));
    w.U8(s.ip_protocol);
    if (!s.is_address_range()) {
      w.Count16(4 + s.opaque.size(), "selector length");
      w.Append(s.opaque);
      continue;
    }
    std::size_t alen = AddressLength(s.type);
    if (s.start.family() != FamilyOf(s.type) || s.end.family() != FamilyOf(s.type)) {
      w.Fail("selector address family");
    }
    w.U16(static_cast<std::uint16_t>(8 + 2 * alen));
    w.U16(s.start_port);
    w.U16(s.end_port);
    w.Append(ByteView(s.start.bytes(), alen));
    w.Append(ByteView(s.end.bytes(), alen));
  }
}

}  // namespace isthmus::ike::wire
