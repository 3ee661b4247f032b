// Rekeying the IKE SA with CREATE_CHILD_SA (RFC 7296 §1.3.2, §2.18), including simultaneous rekeys
// (§2.8.1).
//
//   HDR, SK { SA, Ni, KEi }  -->                (SA carries our new 8-octet SPI)
//                            <--  HDR, SK { SA, Nr, KEr }
//
// The new IKE SA's keys come from the old SK_d (§2.18); its original initiator is the end that
// started the rekey. CHILD SAs move to the new IKE SA; the rekey initiator then deletes the old one.
// When both ends rekey at once, the new IKE SA created with the lowest nonce is redundant: its creator
// (the initiator of that exchange) deletes it, and the CHILD SAs live on the other new SA.
#pragma once

#include <memory>
#include <optional>

#include "crypto/key_exchange.h"
#include "ike/tasks/task.h"

namespace isthmus::ike::tasks {

class IkeRekey final : public Task {
 public:
  TaskKind kind() const override { return TaskKind::kIkeRekey; }
  wire::ExchangeType exchange() const override { return wire::ExchangeType::kCreateChildSa; }
  Result<std::vector<wire::Payload>> Build(TaskContext& ctx) override;
  TaskResult Process(TaskContext& ctx, const wire::Message& response) override;
  void NotePeerRekey(const wire::Bytes& min_nonce, std::uint64_t created) override {
    peer_min_nonce_ = min_nonce;
    peer_created_ = created;
  }

 private:
  TaskResult Failed(TaskContext& ctx, std::string why);

  std::uint64_t new_spi_ = 0;
  std::vector<sa::Proposal> proposals_;
  crypto::KeGroup group_ = crypto::KeGroup::kNone;
  std::unique_ptr<crypto::KeyExchange> ke_;
  wire::Bytes ni_;
  int ke_retries_ = 0;
  std::optional<wire::Bytes> peer_min_nonce_;
  std::uint64_t peer_created_ = 0;
};

// Responder for a CREATE_CHILD_SA request whose SA payload proposes protocol IKE.
std::vector<wire::Payload> RespondIkeRekey(TaskContext& ctx, const wire::Message& request);

// True if a CREATE_CHILD_SA request rekeys the IKE SA (its proposals are for protocol IKE, §1.3.2).
bool IsIkeRekeyRequest(const wire::Message& request);

}  // namespace isthmus::ike::tasks
