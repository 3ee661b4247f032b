// One direction of one ESP SA: the transform and its keys, sealing and opening packets in place.
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |               Security Parameters Index (SPI)                 |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                      Sequence Number                          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                IV (8 octets AEAD, 16 octets CBC)              |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                 Payload (the inner IP packet) ...             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Padding (1, 2, 3, ...)    |  Pad Length   | Next Header   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Integrity Check Value (16 octets AEAD, 16/24/32 HMAC) |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                      RFC 4303 §2, RFC 4106 §3, RFC 7634 §2, RFC 3602 §3, RFC 4868 §2
//
// AEAD: nonce = salt || IV, IV = the 64-bit sequence number (unique per key, RFC 4106 §3.1); AAD =
// SPI || [seq high] || seq low (RFC 4106 §5). CBC+HMAC: random IV; the ICV covers SPI..trailer with the
// high sequence bits appended but not sent (RFC 4303 §2.2.1).
//
// No allocation, no exceptions, no locks. Not thread-safe: one object per SA direction per worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/clock.h"
#include "base/result.h"
#include "crypto/aead.h"
#include "crypto/cipher.h"
#include "crypto/integrity.h"
#include "dataplane/esp/drop_reason.h"

namespace isthmus::dataplane {

// RFC 4303 §2.6 / IANA protocol numbers.
inline constexpr std::uint8_t kNextHeaderIpv4 = 4;
inline constexpr std::uint8_t kNextHeaderIpv6 = 41;
inline constexpr std::uint8_t kNextHeaderNone = 59;
inline constexpr std::size_t kEspHeaderSize = 8;  // SPI + sequence number

struct EspTransform {
  crypto::EncrId encr = crypto::EncrId::kAesGcm16;
  std::uint16_t key_length_attr = 256;
  crypto::IntegId integ = crypto::IntegId::kNone;  // kNone for AEADs
  bool esn = true;
};

class EspCipher {
 public:
  // `enc_keymat` is the encryption key (plus 4-octet salt for AEADs); `integ_key` empty for AEADs.
  // `iv_rng` supplies CBC IVs (unpredictable, RFC 3602 §2); it must outlive the object.
  static Result<std::unique_ptr<EspCipher>> Create(const EspTransform& t, crypto::ConstBytes enc_keymat,
                                                   crypto::ConstBytes integ_key, Rng& iv_rng);

  std::size_t iv_size() const { return iv_size_; }
  std::size_t icv_size() const { return icv_size_; }
  std::size_t header_size() const { return kEspHeaderSize + iv_size_; }  // room needed before the payload
  // Room needed after a payload of `len` octets: padding + pad length + next header + ICV.
  std::size_t TrailerSize(std::size_t len) const;
  bool esn() const { return esn_; }

  // Seals the payload at `payload` (of `len` octets) in place. The header_size() octets before it and
  // TrailerSize(len) octets after it must belong to the same buffer. On success `*esp` is the whole
  // ESP packet (starting header_size() before `payload`).
  Drop Seal(std::uint32_t spi, std::uint64_t seq, std::uint8_t next_header, std::uint8_t* payload,
            std::size_t len, std::span<std::uint8_t>* esp);

  // Verifies and decrypts `esp` (a whole ESP packet, SPI first) in place, for the full 64-bit `seq`
  // the caller reconstructed. On success `*payload` is the inner packet and `*next_header` its type.
  Drop Open(std::span<std::uint8_t> esp, std::uint64_t seq, std::span<std::uint8_t>* payload,
            std::uint8_t* next_header);

 private:
  EspCipher() = default;
  std::unique_ptr<crypto::Aead> aead_;
  std::unique_ptr<crypto::Cipher> cbc_;
  std::unique_ptr<crypto::Integrity> integ_;
  Rng* iv_rng_ = nullptr;
  std::size_t iv_size_ = 0;
  std::size_t icv_size_ = 0;
  std::size_t block_ = 4;  // ESP aligns the trailer to 4 octets at least (RFC 4303 §2.4)
  bool esn_ = true;
};

}  // namespace isthmus::dataplane
