#include "ike/tasks/delete.h"

#include <fmt/format.h>

#include "ike/tasks/child_setup.h"

namespace isthmus::ike::tasks {

Result<std::vector<wire::Payload>> IkeDelete::Build(TaskContext& ctx) {
  ctx.sa.state = sa::IkeSaState::kDeleting;
  ctx.host.Log(ctx.sa, "IKE SA deleting", why_);
  std::vector<wire::Payload> p;
  p.push_back(wire::Payload::Of(wire::DeletePayload::IkeSa()));
  return p;
}

TaskResult IkeDelete::Process(TaskContext& ctx, const wire::Message&) {
  ctx.sa.state = sa::IkeSaState::kDead;
  ctx.host.Log(ctx.sa, "IKE SA deleted", why_);
  return TaskResult::kDone;
}

void IkeDelete::Abort(TaskContext& ctx) {
  ctx.sa.state = sa::IkeSaState::kDead;
}

Result<std::vector<wire::Payload>> ChildDelete::Build(TaskContext& ctx) {
  sa::ChildSa* c = ctx.sa.FindChild(child_id_);
  if (!c) return Fail(Error::NotFound("ChildSaGone", "CHILD SA already deleted"));
  c->state = sa::ChildSaState::kDeleting;
  std::vector<wire::Payload> p;
  p.push_back(wire::Payload::Of(wire::DeletePayload::ChildSas(wire::ProtocolId::kEsp, {c->inbound_spi})));
  return p;
}

TaskResult ChildDelete::Process(TaskContext& ctx, const wire::Message&) {
  RemoveChild(ctx, child_id_, why_);
  return TaskResult::kDone;
}

void ChildDelete::Abort(TaskContext& ctx) {
  RemoveChild(ctx, child_id_, why_ + " (no answer)");
}

std::vector<wire::Payload> RespondInformational(TaskContext& ctx, const wire::Message& req) {
  std::vector<wire::Payload> out;
  std::vector<std::uint32_t> ours;
  for (const wire::Payload* p : req.Contents()) {
    const auto* d = p->As<wire::DeletePayload>();
    if (!d) continue;
    if (d->protocol == wire::ProtocolId::kIke) {
      // §1.4.1: the IKE SA and all its CHILD SAs go; the response is empty.
      ctx.host.Log(ctx.sa, "IKE SA deleted", "peer sent D(IKE)");
      ctx.sa.state = sa::IkeSaState::kDead;
      ctx.sa.deleted_by_peer = true;
      return {};
    }
    if (d->protocol != wire::ProtocolId::kEsp) continue;
    for (std::uint32_t spi : d->spis) {
      sa::ChildSa* c = ctx.sa.FindChildByOutbound(spi);
      if (!c) continue;  // §1.4.1: unknown SPIs are ignored
      // §1.4.1: for a CHILD SA we are deleting ourselves, the response carries no Delete for it.
      if (c->state != sa::ChildSaState::kDeleting) ours.push_back(c->inbound_spi);
      RemoveChild(ctx, c->id, "peer sent D(ESP)");
    }
  }
  if (!ours.empty())
    out.push_back(wire::Payload::Of(wire::DeletePayload::ChildSas(wire::ProtocolId::kEsp, ours)));
  return out;
}

}  // namespace isthmus::ike::tasks
