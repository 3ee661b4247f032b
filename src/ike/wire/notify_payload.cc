#include "ike/wire/notify_payload.h"

#include <fmt/format.h>

namespace isthmus::ike::wire {
namespace {

// Notification Data shapes fixed by the RFCs; types not listed take any data.
struct NotifyShape {
  NotifyType type;
  std::size_t min_data;
  std::size_t max_data;
  bool child_spi;  // must carry a 4-octet AH/ESP SPI
};

constexpr NotifyShape kNotifyShapes[] = {
    {NotifyType::kInvalidKePayload, 2, 2, false},             // §3.10.1: the accepted group
    {NotifyType::kNatDetectionSourceIp, 20, 20, false},       // §2.23: SHA-1 digest
    {NotifyType::kNatDetectionDestinationIp, 20, 20, false},  // §2.23
    {NotifyType::kCookie, 1, 64, false},                      // §2.6: 1..64 octets
    {NotifyType::kSetWindowSize, 4, 4, false},                // §3.10.1: 4-octet window size
    {NotifyType::kSignatureHashAlgorithms, 2, 65535, false},  // RFC 7427 §4: 2-octet ids
    {NotifyType::kRekeySa, 0, 0, true},                       // §3.10.1: SPI of the SA being rekeyed
    {NotifyType::kChildSaNotFound, 0, 0, true},               // §2.25
    {NotifyType::kInitialContact, 0, 0, false},
    {NotifyType::kUseTransportMode, 0, 0, false},
    {NotifyType::kEspTfcPaddingNotSupported, 0, 0, false},
    {NotifyType::kNonFirstFragmentsAlso, 0, 0, false},
    {NotifyType::kIkev2FragmentationSupported, 0, 0, false},  // RFC 7383 §2.3
};

}  // namespace

NotifyPayload NotifyPayload::Of(NotifyType type, Bytes data) {
  return NotifyPayload{ProtocolId::kNone, {}, type, std::move(data)};
}

NotifyPayload NotifyPayload::InvalidKe(std::uint16_t group) {
  return Of(NotifyType::kInvalidKePayload,
            Bytes{static_cast<std::uint8_t>(group >> 8), static_cast<std::uint8_t>(group)});
}

NotifyPayload NotifyPayload::AboutChildSa(NotifyType type, ProtocolId protocol, std::uint32_t spi) {
  ByteWriter w;
  w.U32(spi);
  return NotifyPayload{protocol, std::move(w).Take(), type, {}};
}

NotifyPayload NotifyPayload::SignatureHashAlgorithms(const std::vector<std::uint16_t>& algorithms) {
  ByteWriter w;
  for (auto a : algorithms) w.U16(a);
  return Of(NotifyType::kSignatureHashAlgorithms, std::move(w).Take());
}

std::optional<std::uint16_t> NotifyPayload::invalid_ke_group() const {
  if (type != NotifyType::kInvalidKePayload || data.size() != 2) return std::nullopt;
  return static_cast<std::uint16_t>((data[0] << 8) | data[1]);
}

std::optional<std::uint32_t> NotifyPayload::spi32() const {
  if (spi.size() != 4) return std::nullopt;
  ByteReader r(spi);
  return r.U32();
}

std::vector<std::uint16_t> NotifyPayload::signature_hash_algorithms() const {
  std::vector<std::uint16_t> out;
  if (type != NotifyType::kSignatureHashAlgorithms) return out;
  ByteReader r(data);
  while (r.remaining() >= 2) out.push_back(r.U16());
  return out;
}

WireResult<NotifyPayload> NotifyPayload::Parse(ByteView body) {
  if (body.size() < 4) return Malformed("truncated Notify payload");
  ByteReader r(body);
  NotifyPayload n;
  n.protocol = static_cast<ProtocolId>(r.U8());
  std::uint8_t spi_size = r.U8();
  n.type = static_cast<NotifyType>(r.U16());
  if (n.type == NotifyType::kNone) return Malformed("notify type 0 is reserved", 2);
  if (spi_size > r.remaining())
    return Malformed(fmt::format("SPI size {} overruns the payload", spi_size), 1);
  ByteView spi = r.Take(spi_size);
  n.spi.assign(spi.begin(), spi.end());
  if (n.spi.empty()) n.protocol = ProtocolId::kNone;
  ByteView data = r.Rest();
  n.data.assign(data.begin(), data.end());
  for (const auto& shape : kNotifyShapes) {
    if (shape.type != n.type) continue;
    if (n.data.size() < shape.min_data || n.data.size() > shape.max_data) {
      return Malformed(fmt::format("{} carries {} octets of data, expected {}..{}", NotifyName(n.type),
                                   n.data.size(), shape.min_data, shape.max_data),
                       4 + spi_size);
    }
    if (n.type == NotifyType::kSignatureHashAlgorithms && n.data.size() % 2 != 0) {
      return Malformed("SIGNATURE_HASH_ALGORITHMS data is not a list of 2-octet ids", 4 + spi_size);
    }
    if (shape.child_spi &&
        (n.spi.size() != 4 || (n.protocol != ProtocolId::kAh && n.protocol != ProtocolId::kEsp))) {
      return Malformed(fmt::format("{} must name a 4-octet AH or ESP SPI", NotifyName(n.type)), 0);
    }
    if (!shape.child_spi && !n.spi.empty()) {
      return Malformed(fmt::format("{} must carry no SPI (§3.10)", NotifyName(n.type)), 1);
    }
  }
  return n;
}

void NotifyPayload::AppendBody(ByteWriter& w) const {
  w.U8(spi.empty() ? 0 : static_cast<std::uint8_t>(protocol));
  w.Count8(spi.size(), "notify SPI size");
  w.U16(static_cast<std::uint16_t>(type));
  w.Append(spi);
  w.Append(data);
}

}  // namespace isthmus::ike::wire
