#include "test_messages.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace isthmus::ike::wire::testing {

Bytes Hex(std::string_view hex) {
  Bytes out;
  int hi = -1;
  for (char c : hex) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
    if (v < 0 || v > 15) throw std::invalid_argument("bad hex in test data");
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  if (hi >= 0) throw std::invalid_argument("odd hex length in test data");
  return out;
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes Repeat(std::uint8_t b, std::size_t n) {
  return Bytes(n, b);
}

Bytes InitRequestBytes() {
  return Concat({
      // IKE header (§3.1)
      Hex("01 02 03 04 05 06 07 08"  // IKE SA Initiator's SPI
          "00 00 00 00 00 00 00 00"  // IKE SA Responder's SPI
          "21 20 22 08"              // Next Payload SA(33), version 2.0, IKE_SA_INIT(34), flags I
          "00 00 00 00"              // Message ID 0
          "00 00 00 e8"),            // Length 232
      // SA (§3.3), 40 octets
      Hex("22 00 00 28"                // Next Payload KE(34), payload length 40
          "00 00 00 24 01 01 00 03"    // last proposal, length 36, #1, IKE, SPI size 0, 3 transforms
          "03 00 00 0c 01 00 00 14"    // more, length 12, ENCR, ENCR_AES_GCM_16 (20)
          "80 0e 01 00"                //   Key Length (TV) = 256
          "03 00 00 08 02 00 00 05"    // more, length 8, PRF, PRF_HMAC_SHA2_256 (5)
          "00 00 00 08 04 00 00 13"),  // last, length 8, KE, group 19 (ECP-256)
      // KE (§3.4), 72 octets
      Hex("28 00 00 48 00 13 00 00"), Repeat(0x4b, 64),  // Next Nonce(40), length 72, group 19
      // Nonce (§3.9), 36 octets
      Hex("29 00 00 24"), Repeat(0x6e, 32),  // Next N(41), length 36
      // N(NAT_DETECTION_SOURCE_IP) (§3.10), 28 octets
      Hex("29 00 00 1c 00 00 40 04"), Repeat(0x53, 20),  // Next N, length 28, no SPI, type 16388
      // N(NAT_DETECTION_DESTINATION_IP), 28 octets
      Hex("00 00 00 1c 00 00 40 05"), Repeat(0x44, 20),  // last, length 28, no SPI, type 16389
  });
}

Message InitRequestMessage() {
  Message m;
  m.header.initiator_spi = 0x0102030405060708ULL;
  m.header.exchange = ExchangeType::kIkeSaInit;
  m.header.initiator = true;
  m.header.next_payload = PayloadType::kSa;
  m.header.length = kInitLength;
  Proposal p;
  p.number = 1;
  p.protocol = ProtocolId::kIke;
  p.transforms = {Transform::Of(TransformType::kEncr, encr::kAesGcm16, 256),
                  Transform::Of(TransformType::kPrf, prf::kHmacSha2_256),
                  Transform::Of(TransformType::kKe, ke_group::kEcp256)};
  m.payloads = {
      Payload::Of(SaPayload{{p}}),
      Payload::Of(KePayload{ke_group::kEcp256, Repeat(0x4b, 64)}),
      Payload::Of(NoncePayload{Repeat(0x6e, 32)}),
      Payload::Of(NotifyPayload::Of(NotifyType::kNatDetectionSourceIp, Repeat(0x53, 20))),
      Payload::Of(NotifyPayload::Of(NotifyType::kNatDetectionDestinationIp, Repeat(0x44, 20))),
  };
  return m;
}

SaPayload EspProposal(std::uint32_t spi) {
  Proposal p;
  p.protocol = ProtocolId::kEsp;
  p.spi = {static_cast<std::uint8_t>(spi >> 24), static_cast<std::uint8_t>(spi >> 16),
           static_cast<std::uint8_t>(spi >> 8), static_cast<std::uint8_t>(spi)};
  p.transforms = {Transform::Of(TransformType::kEncr, encr::kAesGcm16, 256),
                  Transform::Of(TransformType::kEsn, esn::kNo)};
  return SaPayload{{p}};
}

TsPayload Ts(std::string_view prefix) {
  return TsPayload{{TrafficSelector::FromPrefix(*net::Prefix::Parse(prefix))}};
}

std::vector<Payload> AuthRequestContents() {
  return {
      Payload::Idi(IdPayload::Fqdn("vnet1gw.example")),
      Payload::Of(AuthPayload{AuthMethod::kSharedKeyMic, Repeat(0xa5, 32)}),
      Payload::Of(EspProposal(0xc0ffee01)),
      Payload::Tsi(Ts("10.1.0.0/16")),
      Payload::Tsr(Ts("10.4.0.0/16")),
      Payload::Of(NotifyPayload::Of(NotifyType::kInitialContact)),
  };
}

namespace {
constexpr std::size_t kIvLen = 8;
constexpr std::size_t kIcvLen = 16;
constexpr std::size_t kBlock = 1;
}  // namespace

Bytes ProtectedBytes(ExchangeType exchange, bool response, const std::vector<Payload>& inner,
                     std::size_t iv_len, std::size_t icv_len) {
  Header h;
  h.initiator_spi = 0x0102030405060708ULL;
  h.responder_spi = 0x1112131415161718ULL;
  h.exchange = exchange;
  h.initiator = !response;
  h.response = response;
  h.message_id = exchange == ExchangeType::kIkeSaInit ? 0 : 1;
  auto chain = SerializePayloadChain(inner);
  if (!chain) throw std::runtime_error(chain.error().message);
  Bytes plain = PadSkPlaintext(chain->bytes, kBlock);
  auto frame = BuildSkFrame(h, {}, chain->first, iv_len, plain.size(), icv_len);
  if (!frame) throw std::runtime_error(frame.error().message);
  std::fill(frame->iv().begin(), frame->iv().end(), 0x11);
  std::copy(plain.begin(), plain.end(), frame->ciphertext().begin());
  std::fill(frame->icv().begin(), frame->icv().end(), 0x22);
  return frame->bytes;
}

Message Protected(ExchangeType exchange, bool response, std::vector<Payload> inner) {
  Bytes wire = ProtectedBytes(exchange, response, inner);
  auto m = ParseMessage(wire);
  if (!m) throw std::runtime_error(m.error().ToString());
  const EncryptedPayload* sk = m->encrypted();
  ByteView body(sk->body);
  auto chain = StripSkPadding(body.subspan(kIvLen, body.size() - kIvLen - kIcvLen), kBlock);
  if (!chain) throw std::runtime_error(chain.error().ToString());
  auto parsed = ParseInnerPayloads(sk->first_inner, *chain);
  if (!parsed) throw std::runtime_error(parsed.error().ToString());
  m->inner = std::move(parsed->payloads);
  return *m;
}

}  // namespace isthmus::ike::wire::testing
