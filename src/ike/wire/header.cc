#include "ike/wire/header.h"

#include <fmt/format.h>

namespace isthmus::ike::wire {

WireResult<Header> ParseHeader(ByteView datagram) {
  if (datagram.size() < kHeaderSize) {
    return std::unexpected(
        WireError{NotifyType::kNone, PayloadType::kNone, datagram.size(),
                  fmt::format("{} octets is shorter than the IKE header", datagram.size())});
  }
  ByteReader r(datagram);
  Header h;
  h.initiator_spi = r.U64();
  h.responder_spi = r.U64();
  h.next_payload = static_cast<PayloadType>(r.U8());
  std::uint8_t version = r.U8();
  h.major_version = version >> 4;
  h.minor_version = version & 0x0F;
  h.exchange = static_cast<ExchangeType>(r.U8());
  std::uint8_t flags = r.U8();
  h.initiator = flags & kFlagInitiator;
  h.version = flags & kFlagVersion;
  h.response = flags & kFlagResponse;
  h.message_id = r.U32();
  h.length = r.U32();
  if (h.major_version > kMajorVersion) {
    // §2.5: answer with the highest version we speak, so the peer can fall back.
    return std::unexpected(WireError{NotifyType::kInvalidMajorVersion, PayloadType::kNone, 17,
                                     fmt::format("major version {} is higher than 2", h.major_version)});
  }
  if (h.major_version < kMajorVersion) {
    return std::unexpected(WireError{NotifyType::kNone, PayloadType::kNone, 17,
                                     fmt::format("major version {} is not IKEv2", h.major_version)});
  }
  return h;
}

void AppendHeader(ByteWriter& w, const Header& h) {
  w.U64(h.initiator_spi);
  w.U64(h.responder_spi);
  w.U8(static_cast<std::uint8_t>(h.next_payload));
  w.U8(static_cast<std::uint8_t>((h.major_version << 4) | (h.minor_version & 0x0F)));
  w.U8(static_cast<std::uint8_t>(h.exchange));
  w.U8(h.flags());
  w.U32(h.message_id);
  w.U32(h.length);
}

}  // namespace isthmus::ike::wire
