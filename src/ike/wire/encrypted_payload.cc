#include "ike/wire/encrypted_payload.h"

#include <fmt/format.h>

namespace isthmus::ike::wire {

WireResult<EncryptedPayload> EncryptedPayload::Parse(PayloadType first_inner, ByteView body) {
  // At least the Pad Length octet must be there; IV and ICV sizes are the engine's to check.
  if (body.empty()) return Malformed("SK payload is empty");
  return EncryptedPayload{first_inner, Bytes(body.begin(), body.end()), 0};
}

SkPlaintextLayout ComputeSkPlaintextLayout(std::size_t payloads_len, std::size_t block_size) {
  if (block_size == 0) block_size = 1;
  SkPlaintextLayout l;
  l.payloads_len = payloads_len;
  std::size_t unpadded = payloads_len + 1;
  l.pad_len = (block_size - unpadded % block_size) % block_size;
  l.plaintext_len = unpadded + l.pad_len;
  return l;
}

Bytes PadSkPlaintext(ByteView payloads, std::size_t block_size) {
  SkPlaintextLayout l = ComputeSkPlaintextLayout(payloads.size(), block_size);
  Bytes out(payloads.begin(), payloads.end());
  out.resize(l.plaintext_len, 0);
  out.back() = static_cast<std::uint8_t>(l.pad_len);
  return out;
}

WireResult<ByteView> StripSkPadding(ByteView plaintext, std::size_t block_size) {
  if (plaintext.empty()) {
    return Malformed("decrypted SK content has no Pad Length", 0, PayloadType::kEncrypted);
  }
  if (block_size > 1 && plaintext.size() % block_size != 0) {
    return Malformed(fmt::format("decrypted SK content of {} octets is not a multiple of {}",
                                 plaintext.size(), block_size),
                     0, PayloadType::kEncrypted);
  }
  std::size_t pad = plaintext.back();
  if (pad + 1 > plaintext.size()) {
    return Malformed(fmt::format("Pad Length {} exceeds the {} decrypted octets", pad, plaintext.size()),
                     plaintext.size() - 1, PayloadType::kEncrypted);
  }
  return plaintext.first(plaintext.size() - pad - 1);
}

}  // namespace isthmus::ike::wire
