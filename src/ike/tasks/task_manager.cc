#include "ike/tasks/task_manager.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace isthmus::ike::tasks {
namespace {

Duration Backoff(const RetransmitPolicy& p, int n) {
  const double factor = std::pow(p.base, n);
  return Duration(static_cast<Duration::rep>(static_cast<double>(p.timeout.count()) * factor));
}

}  // namespace

bool TaskManager::HasTask(TaskKind kind, std::uint64_t child_id) const {
  auto match = [&](const Task& t) { return t.kind() == kind && (child_id == 0 || t.child_id() == child_id); };
  if (active_ && match(*active_)) return true;
  for (const auto& t : queue_) {
    if (match(*t)) return true;
  }
  return false;
}

void TaskManager::DropQueued(TaskContext& ctx, const std::function<bool(const Task&)>& pred) {
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (pred(**it)) {
      (*it)->Abort(ctx);
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
}

bool TaskManager::Send(TaskContext& ctx, const SendFn& send) {
  auto payloads = active_->Build(ctx);
  if (!payloads) {
    ctx.host.Log(ctx.sa, "exchange not started", payloads.error().message);
    active_->Abort(ctx);
    return false;
  }
  wire::Header h;
  h.initiator_spi = ctx.sa.spi_i;
  h.responder_spi = ctx.sa.spi_r;
  h.exchange = active_->exchange();
  h.initiator = ctx.sa.role == sa::IkeRole::kInitiator;
  h.response = false;
  h.message_id = next_id_;
  Result<wire::Bytes> bytes;
  if (h.exchange == wire::ExchangeType::kIkeSaInit) {
    wire::Message m;
    m.header = h;
    m.payloads = std::move(*payloads);
    bytes = wire::SerializeMessage(m);
    if (bytes) ctx.sa.init_request = *bytes;
  } else {
    bytes = SealMessage(ctx, h, *payloads);
  }
  if (!bytes) {
    ctx.host.Log(ctx.sa, "exchange not started", bytes.error().message);
    active_->Abort(ctx);
    return false;
  }
  active_id_ = next_id_;
  request_ = std::move(*bytes);
  retransmits_ = 0;
  retransmit_at_ = ctx.host.now() + Backoff(PolicyOfActive(), 0);
  send(ctx.sa, request_);
  return true;
}

void TaskManager::Kick(TaskContext& ctx, const SendFn& send) {
  while (!active_ && !queue_.empty()) {
    if (ctx.sa.state == sa::IkeSaState::kDead) return;
    active_ = std::move(queue_.front());
    queue_.pop_front();
    if (!Send(ctx, send)) active_.reset();
  }
}

void TaskManager::Finish(TaskContext& ctx, const SendFn& send) {
  active_.reset();
  retransmit_at_ = TimePoint::max();
  ++next_id_;
  Kick(ctx, send);
}

void TaskManager::OnResponse(TaskContext& ctx, const wire::Message& response, const SendFn& send) {
  if (!active_ || response.header.message_id != active_id_) return;
  TaskResult r = active_->Process(ctx, response);
  if (r == TaskResult::kRetry) {
    // IKE_SA_INIT retries start over with message ID 0 (§2.6, §1.2); other exchanges take the next ID.
    if (active_->exchange() != wire::ExchangeType::kIkeSaInit) ++next_id_;
    if (!Send(ctx, send)) Finish(ctx, send);
    return;
  }
  Finish(ctx, send);
}

TaskManager::TimerResult TaskManager::OnTimer(TaskContext& ctx, const SendFn& send) {
  if (!active_ || ctx.host.now() < retransmit_at_) return TimerResult::kNothing;
  const RetransmitPolicy policy = PolicyOfActive();
  if (retransmits_ >= policy.tries) {
    ctx.host.Log(ctx.sa, "exchange given up",
                 fmt::format("no response to message {} after {} retransmissions (RFC 7296 §2.1)", active_id_,
                             retransmits_));
    active_->Abort(ctx);
    active_.reset();
    retransmit_at_ = TimePoint::max();
    return TimerResult::kGaveUp;
  }
  ++retransmits_;
  ++counts_.sent;
  retransmit_at_ = ctx.host.now() + Backoff(policy, retransmits_);
  send(ctx.sa, request_);
  return TimerResult::kRetransmitted;
}

RetransmitPolicy TaskManager::PolicyOfActive() const {
  return active_ ? active_->retransmit_policy().value_or(policy_) : policy_;
}

void TaskManager::RetransmitBy(TimePoint at) {
  if (active_) retransmit_at_ = std::min(retransmit_at_, at);
}

void TaskManager::AbortAll(TaskContext& ctx) {
  if (active_) active_->Abort(ctx);
  active_.reset();
  for (auto& t : queue_) t->Abort(ctx);
  queue_.clear();
  retransmit_at_ = TimePoint::max();
}

TaskManager::RequestCheck TaskManager::CheckRequest(std::uint32_t message_id, wire::ByteView request) const {
  if (cached_id_ && message_id == *cached_id_) {
    const bool same = request.size() == cached_request_.size() &&
                      std::equal(request.begin(), request.end(), cached_request_.begin());
    return same ? RequestCheck::kRetransmit : RequestCheck::kDrop;
  }
  if (message_id == expected_request_) return RequestCheck::kNew;
  return RequestCheck::kDrop;  // old or from the future: §2.3 window of one
}

void TaskManager::CacheResponse(std::uint32_t message_id, wire::ByteView request, wire::Bytes response) {
  cached_id_ = message_id;
  cached_request_.assign(request.begin(), request.end());
  cached_ = std::move(response);
  expected_request_ = message_id + 1;
}

Result<wire::Bytes> SealMessage(TaskContext& ctx, const wire::Header& header,
                                std::span<const wire::Payload> payloads) {
  if (!ctx.sa.protector) return Fail(Error::Internal("no SK keys"));
  auto chain = wire::SerializePayloadChain(payloads);
  if (!chain) return Fail(chain.error());
  auto sizes = ctx.sa.protector->SizesFor(chain->bytes.size());
  auto frame = wire::BuildSkFrame(header, {}, chain->first, sizes.iv, sizes.ciphertext, sizes.icv);
  if (!frame) return Fail(frame.error());
  if (auto s = ctx.sa.protector->SealFrame(*frame, chain->bytes, ctx.host.rng()); !s) return Fail(s.error());
  return std::move(frame->bytes);
}

}  // namespace isthmus::ike::tasks
