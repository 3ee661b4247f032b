// INFORMATIONAL exchanges (RFC 7296 §1.4): deleting CHILD SAs and the IKE SA, and liveness checks.
//
//   HDR, SK { D(ESP, SPI...) }  -->          <--  HDR, SK { D(ESP, SPI...) }   (the peer's matching SAs)
//   HDR, SK { D(IKE) }          -->          <--  HDR, SK { }
//   HDR, SK { }                 -->          <--  HDR, SK { }                  (DPD, §2.4)
#pragma once

#include <string>

#include "ike/tasks/task.h"

namespace isthmus::ike::tasks {

// Deletes the whole IKE SA (and with it every CHILD SA, §1.4.1).
class IkeDelete final : public Task {
 public:
  explicit IkeDelete(std::string why = "deleting") : why_(std::move(why)) {}
  TaskKind kind() const override { return TaskKind::kDelete; }
  wire::ExchangeType exchange() const override { return wire::ExchangeType::kInformational; }
  Result<std::vector<wire::Payload>> Build(TaskContext& ctx) override;
  TaskResult Process(TaskContext& ctx, const wire::Message& response) override;
  void Abort(TaskContext& ctx) override;

 private:
  std::string why_;
};

// Deletes one CHILD SA (both directions) after the peer confirmed.
class ChildDelete final : public Task {
 public:
  ChildDelete(std::uint64_t child_id, std::string why) : child_id_(child_id), why_(std::move(why)) {}
  TaskKind kind() const override { return TaskKind::kDelete; }
  wire::ExchangeType exchange() const override { return wire::ExchangeType::kInformational; }
  std::uint64_t child_id() const override { return child_id_; }
  Result<std::vector<wire::Payload>> Build(TaskContext& ctx) override;
  TaskResult Process(TaskContext& ctx, const wire::Message& response) override;
  void Abort(TaskContext& ctx) override;

 private:
  std::uint64_t child_id_;
  std::string why_;
};

// Liveness check (§2.4): an empty INFORMATIONAL request. No answer after the retransmissions means
// the peer is dead; the task manager's give-up handles that.
class Dpd final : public Task {
 public:
  TaskKind kind() const override { return TaskKind::kDpd; }
  wire::ExchangeType exchange() const override { return wire::ExchangeType::kInformational; }
  Result<std::vector<wire::Payload>> Build(TaskContext&) override { return std::vector<wire::Payload>{}; }
  TaskResult Process(TaskContext&, const wire::Message&) override { return TaskResult::kDone; }
};

// Responder for any INFORMATIONAL request: Delete payloads are acted on (the IKE SA is marked kDead
// after the response), everything else gets an empty response.
std::vector<wire::Payload> RespondInformational(TaskContext& ctx, const wire::Message& request);

}  // namespace isthmus::ike::tasks
