// INFORMATIONAL exchanges (RFC 7296 §1.4): deleting CHILD SAs and the IKE SA, and liveness checks.
//
//   HDR, SK { D(ESP, SPI...) }  -->          <--  HDR, SK { D(ESP, SPI...) }   (the peer's matching SAs)
//   HDR, SK { D(IKE) }          -->          <--  HDR, SK { }
//   HDR, SK { }                 -->          <--  HDR, SK { }                  (DPD, §2.4)
#pragma once

#include <optional>
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

// Liveness checks (§2.4) with Azure's dead-peer semantics: the peer is dead once `dpd_timeout` has
// passed without a packet from it (IKE or ESP). Implementation choices, so that a check has time to
// be answered within that: it starts after a third of the timeout of inbound silence and is sent
// again every sixth, four sends in all, and gives up a sixth after the last one — at the deadline
// when it started on time. The engine also declares the SA dead at the deadline while any other
// request of ours is unanswered (one that kept the check from starting). Should the peer's ESP keep
// coming but no IKE answer, the check still gives up after its four sends (2/3 of the timeout).
inline constexpr int kDpdStartDivisor = 3;
inline constexpr int kDpdRetransmitDivisor = 6;
inline constexpr int kDpdRetransmits = 3;
// The inbound silence after which a liveness check starts.
inline Duration DpdStartAfter(Duration dpd_timeout) {
  return dpd_timeout / kDpdStartDivisor;
}
// A liveness check's schedule: every dpd_timeout/6, without backoff.
inline RetransmitPolicy DpdRetransmitPolicy(Duration dpd_timeout) {
  return RetransmitPolicy{dpd_timeout / kDpdRetransmitDivisor, 1.0, kDpdRetransmits};
}

// Liveness check (§2.4): an empty INFORMATIONAL request. No answer in time means the peer is dead (the
// engine's deadline, or the task manager's give-up).
class Dpd final : public Task {
 public:
  explicit Dpd(std::optional<RetransmitPolicy> policy = std::nullopt) : policy_(policy) {}
  TaskKind kind() const override { return TaskKind::kDpd; }
  wire::ExchangeType exchange() const override { return wire::ExchangeType::kInformational; }
  Result<std::vector<wire::Payload>> Build(TaskContext&) override { return std::vector<wire::Payload>{}; }
  TaskResult Process(TaskContext&, const wire::Message&) override { return TaskResult::kDone; }
  std::optional<RetransmitPolicy> retransmit_policy() const override { return policy_; }

 private:
  std::optional<RetransmitPolicy> policy_;
};

// Responder for any INFORMATIONAL request: Delete payloads are acted on (the IKE SA is marked kDead
// after the response), everything else gets an empty response.
std::vector<wire::Payload> RespondInformational(TaskContext& ctx, const wire::Message& request);

}  // namespace isthmus::ike::tasks
