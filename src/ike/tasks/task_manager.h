// The task manager of one IKE SA (RFC 7296 §2.1-§2.3): message IDs, a window of one in each direction,
// retransmission with exponential backoff and give-up, and the cached response for retransmitted
// requests. It encodes (and protects) what tasks build; it decodes nothing (the engine does).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "ike/engine/types.h"
#include "ike/tasks/task.h"

namespace isthmus::ike::tasks {

// Delivers one encoded IKE message (without non-ESP marker) on the SA's current path.
using SendFn = std::function<void(const sa::IkeSa& sa, const wire::Bytes& message)>;

// Serializes and protects (SK) a message of an established IKE SA.
Result<wire::Bytes> SealMessage(TaskContext& ctx, const wire::Header& header,
                                std::span<const wire::Payload> payloads);

class TaskManager {
 public:
  explicit TaskManager(RetransmitPolicy policy) : policy_(policy) {}

  void Queue(std::unique_ptr<Task> task) { queue_.push_back(std::move(task)); }
  Task* active() const { return active_.get(); }
  bool idle() const { return !active_ && queue_.empty(); }
  // A task waits while nothing is in flight: the next Kick starts it.
  bool startable() const { return !active_ && !queue_.empty(); }
  bool HasTask(TaskKind kind, std::uint64_t child_id = 0) const;
  void DropQueued(TaskContext& ctx, const std::function<bool(const Task&)>& pred);

  // --- Requester (window of one, §2.3) --------------------------------------------------------------
  // Starts the next queued task when none is in flight.
  void Kick(TaskContext& ctx, const SendFn& send);
  // The message ID the in-flight request carries.
  std::uint32_t active_message_id() const { return active_id_; }
  // A response (decrypted and verified) to the in-flight request.
  void OnResponse(TaskContext& ctx, const wire::Message& response, const SendFn& send);
  enum class TimerResult : std::uint8_t { kNothing, kRetransmitted, kGaveUp };
  // §2.1: retransmit after timeout * base^n; after `tries` retransmissions and one more timeout, give
  // up (the caller declares the peer dead).
  TimerResult OnTimer(TaskContext& ctx, const SendFn& send);
  TimePoint next_timer() const { return active_ ? retransmit_at_ : TimePoint::max(); }
  // Brings the in-flight request's next retransmission forward to `at` at the latest (a hint that the
  // peer may have lost the SA, RFC 7296 §2.21.4). Counts like any retransmission.
  void RetransmitBy(TimePoint at);
  // Aborts the active and all queued tasks (the SA goes away).
  void AbortAll(TaskContext& ctx);

  // --- Responder (§2.2) ----------------------------------------------------------------------------
  enum class RequestCheck : std::uint8_t { kNew, kRetransmit, kDrop };
  // A request with the ID of the last answered one is a retransmission only if it is byte-identical
  // to that request (as strongSwan checks): anything else with that ID is dropped, so a forged or
  // truncated copy cannot make us reflect the cached response.
  RequestCheck CheckRequest(std::uint32_t message_id, wire::ByteView request) const;
  void CacheResponse(std::uint32_t message_id, wire::ByteView request, wire::Bytes response);
  // The cached response, to send again for a request CheckRequest found to be a retransmission
  // (counted in retransmit_counts().answered).
  const wire::Bytes& AnswerRetransmit() {
    ++counts_.answered;
    return cached_;
  }

  // Retransmissions over this IKE SA's life, both directions.
  const RetransmitCounts& retransmit_counts() const { return counts_; }

 private:
  bool Send(TaskContext& ctx, const SendFn& send);
  RetransmitPolicy PolicyOfActive() const;  // the active task's own schedule, else policy_
  void Finish(TaskContext& ctx, const SendFn& send);

  RetransmitPolicy policy_;
  std::deque<std::unique_ptr<Task>> queue_;
  std::unique_ptr<Task> active_;
  std::uint32_t next_id_ = 0;  // next request's message ID
  std::uint32_t active_id_ = 0;
  wire::Bytes request_;  // the in-flight request as sent, for retransmission
  int retransmits_ = 0;  // of the in-flight request
  RetransmitCounts counts_;
  TimePoint retransmit_at_ = TimePoint::max();

  std::uint32_t expected_request_ = 0;
  std::optional<std::uint32_t> cached_id_;
  wire::Bytes cached_;
  wire::Bytes cached_request_;
};

}  // namespace isthmus::ike::tasks
