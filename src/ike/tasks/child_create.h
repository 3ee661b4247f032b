// CREATE_CHILD_SA for CHILD SAs (RFC 7296 §1.3.1, §1.3.3): a new CHILD SA, or the rekey of one, with
// or without PFS, and the simultaneous-rekey rule (§2.8.1).
//
//   HDR, SK { [N(REKEY_SA),] SA, Ni, [KEi,] TSi, TSr }  -->
//                                   <--  HDR, SK { SA, Nr, [KEr,] TSi, TSr }
//                                   <--  HDR, SK { N(NO_PROPOSAL_CHOSEN | TS_UNACCEPTABLE |
//                                   CHILD_SA_NOT_FOUND |
//                                                    INVALID_KE_PAYLOAD | TEMPORARY_FAILURE) }
//
// A rekey installs the new CHILD SA (inbound, then outbound) before the old one is deleted with an
// INFORMATIONAL exchange (make-before-break). When both ends rekey the same CHILD SA at once, the new
// SA created with the lowest of the four nonces is redundant and is deleted by the end that created
// it; the other end deletes the old SA. Neither end sends on the redundant SA once it knows (§2.8.2):
// its creator removes the outbound SA it had just installed before it sends the Delete (traffic goes
// back to the old SA, whose inbound the peer keeps until we answer its Delete for it, and moves to the
// surviving SA when that Delete arrives), and the other end never installs its pending outbound SA.
// Both keep the redundant SA's inbound SA until the Delete exchange is over.
#pragma once

#include <memory>
#include <optional>

#include "crypto/key_exchange.h"
#include "ike/tasks/task.h"

namespace isthmus::ike::tasks {

class ChildCreate : public Task {
 public:
  // `rekey_of`: the CHILD SA to replace (0: a new CHILD SA with the connection's selectors).
  explicit ChildCreate(std::uint64_t rekey_of = 0) : old_id_(rekey_of) {}
  TaskKind kind() const override { return old_id_ ? TaskKind::kChildRekey : TaskKind::kChildCreate; }
  wire::ExchangeType exchange() const override { return wire::ExchangeType::kCreateChildSa; }
  std::uint64_t child_id() const override { return old_id_; }
  Result<std::vector<wire::Payload>> Build(TaskContext& ctx) override;
  TaskResult Process(TaskContext& ctx, const wire::Message& response) override;
  void Abort(TaskContext& ctx) override;
  void NotePeerRekey(const wire::Bytes& min_nonce, std::uint64_t created) override;

 private:
  TaskResult Failed(TaskContext& ctx, std::string why);

  std::uint64_t old_id_;
  std::uint32_t inbound_spi_ = 0;
  std::vector<sa::Proposal> proposals_;
  crypto::KeGroup group_ = crypto::KeGroup::kNone;
  std::unique_ptr<crypto::KeyExchange> ke_;
  wire::Bytes ni_;
  int ke_retries_ = 0;
  std::optional<wire::Bytes> peer_min_nonce_;
  std::uint64_t peer_created_ = 0;  // the CHILD SA the peer's colliding rekey created (§2.8.1)
};

// §1.3.3: the rekey of one CHILD SA (N(REKEY_SA) names the SA it replaces).
class ChildRekey final : public ChildCreate {
 public:
  explicit ChildRekey(std::uint64_t child_id) : ChildCreate(child_id) {}
};

// Responder for a CREATE_CHILD_SA request that creates or rekeys a CHILD SA.
std::vector<wire::Payload> RespondCreateChild(TaskContext& ctx, const wire::Message& request);

}  // namespace isthmus::ike::tasks
