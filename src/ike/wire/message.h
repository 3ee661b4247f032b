// A whole IKEv2 message: header plus payload chain (RFC 7296 §3), parsing and serialization.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "base/result.h"
#include "ike/wire/bytes.h"
#include "ike/wire/error.h"
#include "ike/wire/header.h"
#include "ike/wire/payload.h"

namespace isthmus::ike::wire {

struct Message {
  Header header;
  // The payloads in wire order; SK, when present, is last.
  std::vector<Payload> payloads;
  // Unknown non-critical payload types that were skipped (outer chain, then inner).
  std::vector<PayloadType> skipped;
  // SK's decrypted content. ParseMessage leaves it empty; the engine sets it from ParseInnerPayloads()
  // after checking the ICV, and only then calls Verify().
  std::optional<std::vector<Payload>> inner;

  const EncryptedPayload* encrypted() const;
  // What the exchange carries: the clear payloads except SK, then the inner ones (if decrypted).
  std::vector<const Payload*> Contents() const;
  // First payload of `type` among Contents(), or nullptr.
  const Payload* Find(PayloadType type) const;
  template <typename T>
  const T* Find(PayloadType type) const {
    const Payload* p = Find(type);
    return p ? p->As<T>() : nullptr;
  }
  std::vector<const NotifyPayload*> Notifies() const;
  const NotifyPayload* FindNotify(NotifyType type) const;
  // The first error notify (type < 16384), if any.
  const NotifyPayload* FirstErrorNotify() const;

  bool operator==(const Message&) const = default;
};

// Parses one standalone datagram (for port 4500, after the engine removed the non-ESP marker).
// Rejects: a short header, a major version other than 2, a Length field that differs from the
// datagram size, and every structural payload error (see payload files). Per-exchange rules are not
// checked here: that is Verify().
WireResult<Message> ParseMessage(ByteView datagram);

// Serializes header and payloads (not `inner`: that goes into SK through BuildSkFrame), computing
// Next Payload fields and Length. Fails only on caller bugs.
Result<Bytes> SerializeMessage(const Message& m);

// An outgoing protected message with room for the engine's cryptography:
//   bytes = IKE header | clear payloads | SK header | IV | ciphertext | ICV
// with every length already final, so the engine can compute the AEAD associated data
// (bytes[0, iv_offset)) or the integrity checksum (bytes[0, icv_offset)) directly.
struct SkFrame {
  Bytes bytes;
  std::size_t iv_offset = 0;
  std::size_t ciphertext_offset = 0;
  std::size_t icv_offset = 0;

  std::span<std::uint8_t> iv() { return std::span(bytes).subspan(iv_offset, ciphertext_offset - iv_offset); }
  std::span<std::uint8_t> ciphertext() {
    return std::span(bytes).subspan(ciphertext_offset, icv_offset - ciphertext_offset);
  }
  std::span<std::uint8_t> icv() { return std::span(bytes).subspan(icv_offset); }
  std::span<const std::uint8_t> associated_data() const { return std::span(bytes).first(iv_offset); }
};

// `ciphertext_len` is the padded plaintext length (PadSkPlaintext) plus any cipher expansion (none for
// the transforms in DESIGN.md §4). `clear` are payloads sent outside SK (rare; e.g. none in IKE_AUTH).
Result<SkFrame> BuildSkFrame(const Header& header, std::span<const Payload> clear, PayloadType first_inner,
                             std::size_t iv_len, std::size_t ciphertext_len, std::size_t icv_len);

}  // namespace isthmus::ike::wire
