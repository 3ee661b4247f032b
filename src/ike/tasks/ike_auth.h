// IKE_AUTH with a pre-shared key (RFC 7296 §1.2, §2.15), carrying the first CHILD SA (§1.2, §2.9).
//
//   HDR, SK { IDi, N(INITIAL_CONTACT), IDr, AUTH, SA, TSi, TSr }  -->
//                                       <--  HDR, SK { IDr, AUTH, SA, TSi, TSr }
//                                       <--  HDR, SK { N(AUTHENTICATION_FAILED) }
//                                       <--  HDR, SK { IDr, AUTH, N(NO_PROPOSAL_CHOSEN | TS_UNACCEPTABLE) }
//
// A failed AUTH installs nothing on either side: the responder checks AUTH before it allocates or
// installs anything, and the initiator installs only after checking the responder's AUTH.
#pragma once

#include "ike/tasks/task.h"

namespace isthmus::ike::tasks {

class IkeAuth final : public Task {
 public:
  TaskKind kind() const override { return TaskKind::kIkeAuth; }
  wire::ExchangeType exchange() const override { return wire::ExchangeType::kIkeAuth; }
  Result<std::vector<wire::Payload>> Build(TaskContext& ctx) override;
  TaskResult Process(TaskContext& ctx, const wire::Message& response) override;
  void Abort(TaskContext& ctx) override;

 private:
  std::uint32_t inbound_spi_ = 0;
};

// Responder: the IKE_AUTH response's payloads. Sets ctx.sa.state to kEstablished, or kDead after
// AUTHENTICATION_FAILED (the engine sends the response, then removes the SA).
std::vector<wire::Payload> RespondIkeAuth(TaskHost& host, sa::IkeSa& sa, const wire::Message& request);

}  // namespace isthmus::ike::tasks
