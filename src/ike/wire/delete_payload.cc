#include "ike/wire/delete_payload.h"

#include <fmt/format.h>

namespace isthmus::ike::wire {

WireResult<DeletePayload> DeletePayload::Parse(ByteView body) {
  if (body.size() < 4) return Malformed("truncated Delete payload");
  ByteReader r(body);
  DeletePayload d;
  d.protocol = static_cast<ProtocolId>(r.U8());
  std::uint8_t spi_size = r.U8();
  std::uint16_t count = r.U16();
  switch (d.protocol) {
    case ProtocolId::kIke:
      if (spi_size != 0 || count != 0) return Malformed("deleting the IKE SA takes no SPIs", 1);
      break;
    case ProtocolId::kAh:
    case ProtocolId::kEsp:
      if (spi_size != 4) return Malformed(fmt::format("SPI size {} for a Child SA, expected 4", spi_size), 1);
      break;
    default:
      return Malformed(fmt::format("cannot delete protocol {}", static_cast<unsigned>(d.protocol)), 0);
  }
  if (r.remaining() != std::size_t{spi_size} * count) {
    return Malformed(
        fmt::format("{} SPIs of {} octets do not fill {} octets", count, spi_size, r.remaining()), 4);
  }
  d.spis.reserve(count);
  for (std::uint16_t i = 0; i < count; ++i) d.spis.push_back(r.U32());
  return d;
}

void DeletePayload::AppendBody(ByteWriter& w) const {
  bool ike = protocol == ProtocolId::kIke;
  if (ike && !spis.empty()) w.Fail("Delete of the IKE SA with SPIs");
  w.U8(static_cast<std::uint8_t>(protocol));
  w.U8(ike ? 0 : 4);
  w.Count16(spis.size(), "Num of SPIs");
  for (auto s : spis) w.U32(s);
}

}  // namespace isthmus::ike::wire
