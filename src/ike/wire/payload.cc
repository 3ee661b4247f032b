#include "ike/wire/payload.h"

#include <fmt/format.h>

namespace isthmus::ike::wire {
namespace {

bool IsKnown(PayloadType t) {
  auto v = static_cast<unsigned>(t);
  return v >= static_cast<unsigned>(PayloadType::kSa) && v <= static_cast<unsigned>(PayloadType::kEap);
}

template <typename T>
WireResult<PayloadBody> Wrap(WireResult<T> r) {
  if (!r) return std::unexpected(r.error());
  return PayloadBody(std::move(*r));
}

WireResult<PayloadBody> ParseBody(PayloadType type, PayloadType sk_first_inner, ByteView body) {
  switch (type) {
    case PayloadType::kSa:
      return Wrap(SaPayload::Parse(body));
    case PayloadType::kKe:
      return Wrap(KePayload::Parse(body));
    case PayloadType::kIdi:
    case PayloadType::kIdr:
      return Wrap(IdPayload::Parse(body));
    case PayloadType::kCert:
      return Wrap(CertPayload::Parse(body));
    case PayloadType::kCertReq:
      return Wrap(CertReqPayload::Parse(body));
    case PayloadType::kAuth:
      return Wrap(AuthPayload::Parse(body));
    case PayloadType::kNonce:
      return Wrap(NoncePayload::Parse(body));
    case PayloadType::kNotify:
      return Wrap(NotifyPayload::Parse(body));
    case PayloadType::kDelete:
      return Wrap(DeletePayload::Parse(body));
    case PayloadType::kVendorId:
      return Wrap(VendorIdPayload::Parse(body));
    case PayloadType::kTsi:
    case PayloadType::kTsr:
      return Wrap(TsPayload::Parse(body));
    case PayloadType::kEncrypted:
      return Wrap(EncryptedPayload::Parse(sk_first_inner, body));
    case PayloadType::kConfig:
      return Wrap(ConfigPayload::Parse(body));
    case PayloadType::kEap:
      return Wrap(EapPayload::Parse(body));
    case PayloadType::kNone:
      break;
  }
  return Malformed("not a payload type");  // unreachable: callers pass known types only
}

}  // namespace

bool Payload::consistent() const {
  switch (type) {
    case PayloadType::kSa:
      return As<SaPayload>() != nullptr;
    case PayloadType::kKe:
      return As<KePayload>() != nullptr;
    case PayloadType::kIdi:
    case PayloadType::kIdr:
      return As<IdPayload>() != nullptr;
    case PayloadType::kCert:
      return As<CertPayload>() != nullptr;
    case PayloadType::kCertReq:
      return As<CertReqPayload>() != nullptr;
    case PayloadType::kAuth:
      return As<AuthPayload>() != nullptr;
    case PayloadType::kNonce:
      return As<NoncePayload>() != nullptr;
    case PayloadType::kNotify:
      return As<NotifyPayload>() != nullptr;
    case PayloadType::kDelete:
      return As<DeletePayload>() != nullptr;
    case PayloadType::kVendorId:
      return As<VendorIdPayload>() != nullptr;
    case PayloadType::kTsi:
    case PayloadType::kTsr:
      return As<TsPayload>() != nullptr;
    case PayloadType::kEncrypted:
      return As<EncryptedPayload>() != nullptr;
    case PayloadType::kConfig:
      return As<ConfigPayload>() != nullptr;
    case PayloadType::kEap:
      return As<EapPayload>() != nullptr;
    case PayloadType::kNone:
      break;
  }
  return false;
}

WireResult<PayloadChain> ParsePayloadChain(PayloadType first, ByteView bytes, std::size_t base, bool outer) {
  PayloadChain chain;
  ByteReader r(bytes);
  PayloadType type = first;
  std::size_t seen = 0;
  while (type != PayloadType::kNone) {
    std::size_t at = base + r.pos();
    if (++seen > kMaxPayloadsPerChain) {
      return Malformed(fmt::format("more than {} payloads", kMaxPayloadsPerChain), at, type);
    }
    if (r.remaining() < kGenericHeaderSize) {
      return Malformed(fmt::format("{} promised but only {} octets remain", PayloadName(type), r.remaining()),
                       at, type);
    }
    auto next = static_cast<PayloadType>(r.U8());
    bool critical = r.U8() & kCriticalBit;
    std::uint16_t length = r.U16();
    if (length < kGenericHeaderSize) {
      return Malformed(fmt::format("payload length {} is below 4", length), at + 2, type);
    }
    if (length - kGenericHeaderSize > r.remaining()) {
      return Malformed(fmt::format("payload length {} overruns the message ({} octets left)", length,
                                   r.remaining() + kGenericHeaderSize),
                       at + 2, type);
    }
    ByteView body = r.Take(length - kGenericHeaderSize);
    if (!IsKnown(type)) {
      if (critical) {
        return std::unexpected(WireError{
            NotifyType::kUnsupportedCriticalPayload, type, at,
            fmt::format("unknown payload type {} is marked critical", static_cast<unsigned>(type))});
      }
      chain.skipped.push_back(type);
      type = next;
      continue;
    }
    if (type == PayloadType::kEncrypted && !outer) {
      return Malformed("SK payload inside SK", at, type);
    }
    auto parsed = ParseBody(type, next, body);
    if (!parsed) {
      WireError e = parsed.error();
      e.payload = type;
      e.offset += at + kGenericHeaderSize;
      return std::unexpected(std::move(e));
    }
    chain.payloads.push_back(Payload{type, std::move(*parsed)});
    if (type == PayloadType::kEncrypted) {
      // §3.14: SK is the last payload; its Next Payload field belongs to the inner chain.
      auto& sk = std::get<EncryptedPayload>(chain.payloads.back().body);
      sk.body_offset = at + kGenericHeaderSize;
      if (!r.empty())
        return Malformed(fmt::format("{} octets follow the SK payload", r.remaining()), base + r.pos());
      return chain;
    }
    type = next;
  }
  if (!r.empty()) {
    return Malformed(fmt::format("{} octets of trailing data after the last payload", r.remaining()),
                     base + r.pos());
  }
  return chain;
}

WireResult<PayloadChain> ParseInnerPayloads(PayloadType first, ByteView chain) {
  return ParsePayloadChain(first, chain, 0, /*outer=*/false);
}

Result<SerializedChain> SerializePayloadChain(std::span<const Payload> payloads) {
  SerializedChain out;
  ByteWriter w;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const Payload& p = payloads[i];
    if (!p.consistent()) {
      return Fail(Error::Invalid(
          "IkePayloadMismatch",
          fmt::format("payload {} is typed {} but holds another body", i, PayloadName(p.type))));
    }
    bool last = i + 1 == payloads.size();
    PayloadType next = last ? PayloadType::kNone : payloads[i + 1].type;
    if (const auto* sk = p.As<EncryptedPayload>()) {
      if (!last) return Fail(Error::Invalid("IkePayloadOrder", "the SK payload must be the last payload"));
      next = sk->first_inner;
    }
    std::size_t start = w.size();
    w.U8(static_cast<std::uint8_t>(next));
    w.U8(0);
    w.U16(0);
    std::visit([&w](const auto& b) { b.AppendBody(w); }, p.body);
    w.PatchU16(start + 2, w.size() - start, "payload length");
    if (!w.ok()) {
      return Fail(
          Error::Invalid("IkePayloadTooLarge", fmt::format("{}: {}", PayloadName(p.type), w.error())));
    }
  }
  out.first = payloads.empty() ? PayloadType::kNone : payloads.front().type;
  out.bytes = std::move(w).Take();
  return out;
}

}  // namespace isthmus::ike::wire
