#include "ike/wire/id_payload.h"

#include <algorithm>

#include <fmt/format.h>

namespace isthmus::ike::wire {
namespace {

IdPayload WithData(IdType t, ByteView d) {
  return IdPayload{t, {}, Bytes(d.begin(), d.end())};
}

ByteView AsBytes(std::string_view s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

}  // namespace

IdPayload IdPayload::Fqdn(std::string_view name) {
  return WithData(IdType::kFqdn, AsBytes(name));
}
IdPayload IdPayload::Rfc822(std::string_view email) {
  return WithData(IdType::kRfc822Addr, AsBytes(email));
}
IdPayload IdPayload::KeyId(ByteView key_id) {
  return WithData(IdType::kKeyId, key_id);
}
IdPayload IdPayload::Address(const net::IpAddress& a) {
  return WithData(a.is_v4() ? IdType::kIpv4Addr : IdType::kIpv6Addr, ByteView(a.bytes(), a.is_v4() ? 4 : 16));
}

std::optional<net::IpAddress> IdPayload::AsAddress() const {
  if (type == IdType::kIpv4Addr && data.size() == 4)
    return net::IpAddress::FromBytes(net::Family::kV4, data.data());
  if (type == IdType::kIpv6Addr && data.size() == 16)
    return net::IpAddress::FromBytes(net::Family::kV6, data.data());
  return std::nullopt;
}

std::optional<std::string> IdPayload::AsText() const {
  if (type != IdType::kFqdn && type != IdType::kRfc822Addr) return std::nullopt;
  return std::string(data.begin(), data.end());
}

Bytes IdPayload::Body() const {
  ByteWriter w;
  AppendBody(w);
  return std::move(w).Take();
}

WireResult<IdPayload> IdPayload::Parse(ByteView body) {
  if (body.size() < 4) return Malformed("truncated identification payload");
  ByteReader r(body);
  IdPayload id;
  id.type = static_cast<IdType>(r.U8());
  for (auto& b : id.reserved) b = r.U8();
  ByteView d = r.Rest();
  if (d.empty()) return Malformed("identification data is empty", 4);
  switch (id.type) {
    case IdType::kIpv4Addr:
      if (d.size() != 4) return Malformed(fmt::format("ID_IPV4_ADDR of {} octets", d.size()), 4);
      break;
    case IdType::kIpv6Addr:
      if (d.size() != 16) return Malformed(fmt::format("ID_IPV6_ADDR of {} octets", d.size()), 4);
      break;
    case IdType::kFqdn:
    case IdType::kRfc822Addr:
      if (std::any_of(d.begin(), d.end(), [](std::uint8_t c) { return c == 0 || c == '\r' || c == '\n'; })) {
        return Malformed("ID_FQDN/ID_RFC822_ADDR contains a terminator", 4);
      }
      break;
    default:
      break;
  }
  id.data.assign(d.begin(), d.end());
  return id;
}

void IdPayload::AppendBody(ByteWriter& w) const {
  w.U8(static_cast<std::uint8_t>(type));
  for (auto b : reserved) w.U8(b);
  w.Append(data);
}

}  // namespace isthmus::ike::wire
