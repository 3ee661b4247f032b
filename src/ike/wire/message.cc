#include "ike/wire/message.h"

#include <limits>

#include <fmt/format.h>

namespace isthmus::ike::wire {

const EncryptedPayload* Message::encrypted() const {
  return payloads.empty() ? nullptr : payloads.back().As<EncryptedPayload>();
}

std::vector<const Payload*> Message::Contents() const {
  std::vector<const Payload*> out;
  for (const auto& p : payloads) {
    if (p.type != PayloadType::kEncrypted) out.push_back(&p);
  }
  if (inner) {
    for (const auto& p : *inner) out.push_back(&p);
  }
  return out;
}

const Payload* Message::Find(PayloadType type) const {
  for (const Payload* p : Contents()) {
    if (p->type == type) return p;
  }
  return nullptr;
}

std::vector<const NotifyPayload*> Message::Notifies() const {
  std::vector<const NotifyPayload*> out;
  for (const Payload* p : Contents()) {
    if (const auto* n = p->As<NotifyPayload>()) out.push_back(n);
  }
  return out;
}

const NotifyPayload* Message::FindNotify(NotifyType type) const {
  for (const auto* n : Notifies()) {
    if (n->type == type) return n;
  }
  return nullptr;
}

const NotifyPayload* Message::FirstErrorNotify() const {
  for (const auto* n : Notifies()) {
    if (n->is_error()) return n;
  }
  return nullptr;
}

WireResult<Message> ParseMessage(ByteView datagram) {
  auto header = ParseHeader(datagram);
  if (!header) return std::unexpected(header.error());
  if (header->length != datagram.size()) {
    // Not answerable: we cannot tell which part is the message (§3.1 Length: "Length of the total
    // message (header + payloads) in octets").
    return std::unexpected(WireError{
        NotifyType::kNone, PayloadType::kNone, 24,
        fmt::format("Length field {} differs from the {} octets received", header->length, datagram.size())});
  }
  auto chain =
      ParsePayloadChain(header->next_payload, datagram.subspan(kHeaderSize), kHeaderSize, /*outer=*/true);
  if (!chain) return std::unexpected(chain.error());
  Message m;
  m.header = *header;
  m.payloads = std::move(chain->payloads);
  m.skipped = std::move(chain->skipped);
  return m;
}

namespace {

Result<Bytes> Assemble(Header h, const SerializedChain& chain, std::size_t extra) {
  std::size_t total = kHeaderSize + chain.bytes.size() + extra;
  if (total > std::numeric_limits<std::uint32_t>::max()) {
    return Fail(Error::Invalid("IkeMessageTooLarge", "message exceeds 2^32-1 octets"));
  }
  h.next_payload = chain.first;
  h.length = static_cast<std::uint32_t>(total);
  ByteWriter w;
  AppendHeader(w, h);
  w.Append(chain.bytes);
  return std::move(w).Take();
}

}  // namespace

Result<Bytes> SerializeMessage(const Message& m) {
  auto chain = SerializePayloadChain(m.payloads);
  if (!chain) return Fail(chain.error());
  return Assemble(m.header, *chain, 0);
}

Result<SkFrame> BuildSkFrame(const Header& header, std::span<const Payload> clear, PayloadType first_inner,
                             std::size_t iv_len, std::size_t ciphertext_len, std::size_t icv_len) {
  for (const auto& p : clear) {
    if (p.type == PayloadType::kEncrypted) {
      return Fail(Error::Invalid("IkePayloadOrder", "clear payloads of an SK frame cannot include SK"));
    }
  }
  std::size_t sk_len = kGenericHeaderSize + iv_len + ciphertext_len + icv_len;
  if (sk_len > 0xFFFF) return Fail(Error::Invalid("IkePayloadTooLarge", "SK payload exceeds 65535 octets"));
  // A placeholder SK at the end makes the chain serializer write every Next Payload and length.
  std::vector<Payload> with_sk(clear.begin(), clear.end());
  with_sk.push_back(
      Payload::Of(EncryptedPayload{first_inner, Bytes(iv_len + ciphertext_len + icv_len, 0), 0}));
  auto full = SerializePayloadChain(with_sk);
  if (!full) return Fail(full.error());
  auto bytes = Assemble(header, *full, 0);
  if (!bytes) return Fail(bytes.error());
  SkFrame f;
  f.iv_offset = bytes->size() - (iv_len + ciphertext_len + icv_len);
  f.ciphertext_offset = f.iv_offset + iv_len;
  f.icv_offset = f.ciphertext_offset + ciphertext_len;
  f.bytes = std::move(*bytes);
  return f;
}

}  // namespace isthmus::ike::wire
