#include "dataplane/esp/esp_cipher.h"

#include <cstring>

#include <fmt/format.h>

#include "crypto/transforms.h"

namespace isthmus::dataplane {
namespace {

void PutU32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

void PutU64(std::uint8_t* p, std::uint64_t v) {
  PutU32(p, static_cast<std::uint32_t>(v >> 32));
  PutU32(p + 4, static_cast<std::uint32_t>(v));
}

// AAD of RFC 4106 §5: SPI || seq (8 octets), or SPI || seq high || seq low with ESN (12 octets).
std::size_t BuildAad(std::uint8_t* aad, const std::uint8_t* spi, std::uint64_t seq, bool esn) {
  std::memcpy(aad, spi, 4);
  if (!esn) {
    PutU32(aad + 4, static_cast<std::uint32_t>(seq));
    return 8;
  }
  PutU64(aad + 4, seq);
  return 12;
}

}  // namespace

Result<std::unique_ptr<EspCipher>> EspCipher::Create(const EspTransform& t, crypto::ConstBytes enc_keymat,
                                                     crypto::ConstBytes integ_key, Rng& iv_rng) {
  auto info = crypto::FindEncr(t.encr, t.key_length_attr);
  if (!info) {
    return Fail(Error::Invalid("UnsupportedTransform",
                               fmt::format("ESP encryption {} with key length {} is not supported",
                                           static_cast<int>(t.encr), t.key_length_attr)));
  }
  std::unique_ptr<EspCipher> c(new EspCipher());
  c->esn_ = t.esn;
  c->iv_rng_ = &iv_rng;
  c->iv_size_ = info->iv_size;
  if (info->aead) {
    if (t.integ != crypto::IntegId::kNone) {
      return Fail(
          Error::Invalid("InvalidTransform", "an AEAD transform takes no separate integrity algorithm"));
    }
    auto a = crypto::Aead::Create(t.encr, t.key_length_attr, enc_keymat);
    if (!a) return Fail(a.error());
    c->aead_ = std::move(*a);
    c->icv_size_ = c->aead_->icv_size();
    c->block_ = 4;
  } else {
    auto cbc = crypto::Cipher::Create(t.encr, t.key_length_attr, enc_keymat);
    if (!cbc) return Fail(cbc.error());
    auto integ = crypto::Integrity::Create(t.integ, integ_key);
    if (!integ) return Fail(integ.error());
    c->cbc_ = std::move(*cbc);
    c->integ_ = std::move(*integ);
    c->icv_size_ = c->integ_->icv_size();
    c->block_ = info->block_size;
  }
  return c;
}

std::size_t EspCipher::TrailerSize(std::size_t len) const {
  std::size_t with_tail = len + 2;
  std::size_t pad = (block_ - with_tail % block_) % block_;
  return pad + 2 + icv_size_;
}

Drop EspCipher::Seal(std::uint32_t spi, std::uint64_t seq, std::uint8_t next_header, std::uint8_t* payload,
                     std::size_t len, std::span<std::uint8_t>* esp) {
  std::uint8_t* head = payload - header_size();
  std::size_t pad = TrailerSize(len) - 2 - icv_size_;
  std::uint8_t* tail = payload + len;
  for (std::size_t i = 0; i < pad; ++i) tail[i] = static_cast<std::uint8_t>(i + 1);  // RFC 4303 §2.4
  tail[pad] = static_cast<std::uint8_t>(pad);
  tail[pad + 1] = next_header;
  const std::size_t plain_len = len + pad + 2;
  PutU32(head, spi);
  PutU32(head + 4, static_cast<std::uint32_t>(seq));
  std::uint8_t* iv = head + kEspHeaderSize;
  if (aead_) {
    PutU64(iv, seq);  // unique per key: the sequence number never repeats within an SA
    std::uint8_t aad[12];
    std::size_t aad_len = BuildAad(aad, head, seq, esn_);
    if (!aead_->Seal(std::span<const std::uint8_t, 8>(iv, 8), {aad, aad_len}, {payload, plain_len},
                     {payload, plain_len + icv_size_})) {
      return Drop::kOversize;
    }
  } else {
    iv_rng_->Fill({iv, iv_size_});
    if (!cbc_->Encrypt({iv, iv_size_}, {payload, plain_len}, {payload, plain_len})) return Drop::kOversize;
    std::uint8_t high[4];
    PutU32(high, static_cast<std::uint32_t>(seq >> 32));
    const std::size_t covered = header_size() + plain_len;
    bool ok = esn_ ? integ_->Compute({crypto::ConstBytes(head, covered), crypto::ConstBytes(high, 4)},
                                     {payload + plain_len, icv_size_})
                   : integ_->Compute(crypto::ConstBytes(head, covered), {payload + plain_len, icv_size_});
    if (!ok) return Drop::kOversize;
  }
  *esp = {head, header_size() + plain_len + icv_size_};
  return Drop::kNone;
}

Drop EspCipher::Open(std::span<std::uint8_t> esp, std::uint64_t seq, std::span<std::uint8_t>* payload,
                     std::uint8_t* next_header) {
  const std::size_t hdr = header_size();
  if (esp.size() < hdr + 2 + icv_size_) return Drop::kTruncated;
  std::uint8_t* head = esp.data();
  std::uint8_t* body = head + hdr;
  const std::size_t cipher_len = esp.size() - hdr - icv_size_;
  if (cipher_len % block_ != 0) return Drop::kTruncated;
  if (aead_) {
    std::uint8_t aad[12];
    std::size_t aad_len = BuildAad(aad, head, seq, esn_);
    if (!aead_->Open(std::span<const std::uint8_t, 8>(head + kEspHeaderSize, 8), {aad, aad_len},
                     {body, cipher_len + icv_size_}, {body, cipher_len})) {
      return Drop::kBadIcv;
    }
  } else {
    std::uint8_t high[4];
    PutU32(high, static_cast<std::uint32_t>(seq >> 32));
    crypto::ConstBytes covered(head, hdr + cipher_len), icv(body + cipher_len, icv_size_);
    bool ok =
        esn_ ? integ_->Verify({covered, crypto::ConstBytes(high, 4)}, icv) : integ_->Verify(covered, icv);
    if (!ok) return Drop::kBadIcv;
    if (!cbc_->Decrypt({head + kEspHeaderSize, iv_size_}, {body, cipher_len}, {body, cipher_len})) {
      return Drop::kTruncated;
    }
  }
  const std::uint8_t pad = body[cipher_len - 2];
  *next_header = body[cipher_len - 1];
  if (static_cast<std::size_t>(pad) + 2 > cipher_len) return Drop::kBadPadding;
  const std::size_t len = cipher_len - 2 - pad;
  for (std::size_t i = 0; i < pad; ++i) {
    if (body[len + i] != static_cast<std::uint8_t>(i + 1)) return Drop::kBadPadding;
  }
  if (*next_header == kNextHeaderNone) return Drop::kDummyPacket;
  if (*next_header != kNextHeaderIpv4 && *next_header != kNextHeaderIpv6) return Drop::kBadNextHeader;
  *payload = {body, len};
  return Drop::kNone;
}

}  // namespace isthmus::dataplane
