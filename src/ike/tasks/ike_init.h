// IKE_SA_INIT (RFC 7296 §1.2) for both roles, with cookies (§2.6), the INVALID_KE_PAYLOAD retry
// (§1.2, §2.7) and NAT detection (§2.23).
//
//   HDR, [N(COOKIE),] SA, KEi, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP)  -->
//                             <--  HDR, SA, KEr, Nr, N(NAT_DETECTION_SOURCE_IP),
//                             N(NAT_DETECTION_DESTINATION_IP)
//                             <--  HDR, N(COOKIE)  |  HDR, N(INVALID_KE_PAYLOAD)  |  HDR,
//                             N(NO_PROPOSAL_CHOSEN)
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "crypto/key_exchange.h"
#include "ike/tasks/task.h"

namespace isthmus::ike::tasks {

// Implementation limits: a responder asking again and again for cookies or other groups is broken or
// hostile; give up rather than loop.
inline constexpr int kMaxCookieRetries = 3;
inline constexpr int kMaxInvalidKeRetries = 3;

class IkeInit final : public Task {
 public:
  IkeInit() = default;
  TaskKind kind() const override { return TaskKind::kIkeInit; }
  wire::ExchangeType exchange() const override { return wire::ExchangeType::kIkeSaInit; }
  Result<std::vector<wire::Payload>> Build(TaskContext& ctx) override;
  TaskResult Process(TaskContext& ctx, const wire::Message& response) override;

 private:
  std::vector<sa::Proposal> proposals_;
  crypto::KeGroup group_ = crypto::KeGroup::kNone;
  std::unique_ptr<crypto::KeyExchange> ke_;
  std::optional<wire::Bytes> cookie_;
  int cookie_retries_ = 0;
  int ke_retries_ = 0;
};

// §2.6 stateless cookies: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>), with the
// hash as HMAC-SHA2-256 keyed by the secret. The secret comes from the injected Rng.
class CookieJar {
 public:
  explicit CookieJar(Rng& rng);
  wire::Bytes Make(wire::ByteView ni, const net::IpAddress& ip, std::uint64_t spi_i) const;
  bool Check(wire::ByteView cookie, wire::ByteView ni, const net::IpAddress& ip, std::uint64_t spi_i) const;

 private:
  std::uint8_t version_ = 1;
  SecretBytes secret_;
};

// The responder's answer to an IKE_SA_INIT request.
struct InitReply {
  std::unique_ptr<sa::IkeSa> sa;  // set when a half-open SA was created
  wire::Bytes response;           // the datagram to send (empty: drop silently)
};

// Builds the responder side. `sa` is pre-filled by the engine (id, spi_r, connection, endpoints,
// role); `raw` is the request as received (kept for AUTH).
InitReply RespondIkeInit(TaskHost& host, const ConnectionConfig& conn, std::unique_ptr<sa::IkeSa> sa,
                         const wire::Message& request, wire::ByteView raw);

// An unprotected IKE_SA_INIT response carrying one notify (COOKIE, INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN).
wire::Bytes InitNotifyResponse(const wire::Header& request, wire::NotifyType type, wire::Bytes data);

}  // namespace isthmus::ike::tasks
