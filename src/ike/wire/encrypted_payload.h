// Encrypted and Authenticated payload SK (RFC 7296 §3.14): the envelope only. The engine owns keys and
// ciphers; the codec tells it where things are and parses what it decrypts.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ike/wire/bytes.h"
#include "ike/wire/error.h"
#include "ike/wire/types.h"

namespace isthmus::ike::wire {

//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                     Initialization Vector                     |
// |         (length is block size for the encryption algorithm)   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                    Encrypted IKE Payloads                     ~
// +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |               |             Padding (0-255 octets)            |
// +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
// |                                               |  Pad Length   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                    Integrity Checksum Data                    ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The Next Payload field of SK names the first payload inside it (0 for an empty SK, as in a
// liveness check); SK is always the last payload of a message.
struct EncryptedPayload {
  PayloadType first_inner = PayloadType::kNone;
  Bytes body;  // IV || ciphertext (incl. padding and Pad Length) || ICV, verbatim
  // Where `body` starts in the datagram (set by ParseMessage). The AEAD associated data is
  // datagram[0, body_offset) (RFC 5282 §5.1); integrity covers datagram[0, size - icv_len).
  std::size_t body_offset = 0;

  static WireResult<EncryptedPayload> Parse(PayloadType first_inner, ByteView body);
  void AppendBody(ByteWriter& w) const { w.Append(body); }
  // body_offset is where the payload sits, not what it says, so equality ignores it.
  bool operator==(const EncryptedPayload& o) const { return first_inner == o.first_inner && body == o.body; }
};

// Plaintext layout inside SK, §3.14: payloads || Padding || Pad Length, a multiple of the block size.
struct SkPlaintextLayout {
  std::size_t payloads_len = 0;
  std::size_t pad_len = 0;        // 0..255; the minimum that aligns, as §3.14 says senders SHOULD
  std::size_t plaintext_len = 0;  // payloads_len + pad_len + 1
};
// `block_size` is the cipher's (16 for AES-CBC; 1 for AES-GCM and ChaCha20-Poly1305, RFC 5282).
SkPlaintextLayout ComputeSkPlaintextLayout(std::size_t payloads_len, std::size_t block_size);

// Appends zero padding and the Pad Length octet to a serialized inner payload chain.
Bytes PadSkPlaintext(ByteView payloads, std::size_t block_size);

// The inverse after decryption: checks the Pad Length octet and alignment, returns the payload chain
// (a view into `plaintext`). A bad Pad Length after a good ICV is a peer bug: INVALID_SYNTAX.
WireResult<ByteView> StripSkPadding(ByteView plaintext, std::size_t block_size);

}  // namespace isthmus::ike::wire
