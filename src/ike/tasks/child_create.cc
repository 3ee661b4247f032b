#include "ike/tasks/child_create.h"

#include <fmt/format.h>

#include "ike/sa/proposal_selection.h"
#include "ike/tasks/child_setup.h"
#include "ike/tasks/delete.h"

namespace isthmus::ike::tasks {
namespace {

// Implementation choice: after a refused rekey, try again this much later (the hard lifetime still
// bounds the SA).
constexpr auto kRekeyRetryDelay = std::chrono::seconds(30);
constexpr int kMaxInvalidKeRetries = 2;

}  // namespace

Result<std::vector<wire::Payload>> ChildCreate::Build(TaskContext& ctx) {
  std::vector<wire::Payload> p;
  const sa::ChildSa* old = nullptr;
  if (old_id_ != 0) {
    sa::ChildSa* c = ctx.sa.FindChild(old_id_);
    if (!c || (c->state != sa::ChildSaState::kInstalled && c->state != sa::ChildSaState::kRekeying)) {
      return Fail(Error::NotFound("ChildSaGone", "the CHILD SA to rekey is gone or already replaced"));
    }
    c->state = sa::ChildSaState::kRekeying;
    old = c;
    p.push_back(wire::Payload::Of(wire::NotifyPayload::AboutChildSa(wire::NotifyType::kRekeySa,
                                                                    wire::ProtocolId::kEsp, c->inbound_spi)));
  }
  if (proposals_.empty()) {
    proposals_ = ctx.conn.esp_proposals;
    group_ = sa::PreferredKeGroup(proposals_);
  }
  if (inbound_spi_ == 0) {
    auto spi = ctx.host.installer().AllocateSpi();
    if (!spi) return Fail(spi.error());
    inbound_spi_ = *spi;
  }
  if (group_ != crypto::KeGroup::kNone && !ke_) {
    auto ke = crypto::KeyExchange::Create(group_);
    if (!ke) return Fail(ke.error());
    ke_ = std::move(*ke);
  }
  ni_ = RandomBytes(ctx.host.rng(), ctx.host.engine_config().nonce_size);
  p.push_back(wire::Payload::Of(sa::ToWireSa(proposals_, Spi32(inbound_spi_), true)));
  p.push_back(wire::Payload::Of(wire::NoncePayload{ni_}));
  if (ke_) {
    auto pub = ke_->PublicValue();
    p.push_back(
        wire::Payload::Of(wire::KePayload{static_cast<std::uint16_t>(group_), {pub.begin(), pub.end()}}));
  }
  p.push_back(wire::Payload::Tsi(ToTsPayload(old ? old->local_ts : ctx.conn.local_prefixes)));
  p.push_back(wire::Payload::Tsr(ToTsPayload(old ? old->remote_ts : ctx.conn.remote_prefixes)));
  return p;
}

void ChildCreate::Abort(TaskContext& ctx) {
  if (inbound_spi_ != 0) (void)ctx.host.installer().ReleaseSpi(inbound_spi_);
  inbound_spi_ = 0;
  if (sa::ChildSa* c = ctx.sa.FindChild(old_id_); c && c->state == sa::ChildSaState::kRekeying) {
    c->state = sa::ChildSaState::kInstalled;
  }
}

void ChildCreate::NotePeerRekey(const wire::Bytes& min_nonce, std::uint64_t created) {
  peer_min_nonce_ = min_nonce;
  peer_created_ = created;
}

TaskResult ChildCreate::Failed(TaskContext& ctx, std::string why) {
  Abort(ctx);
  ctx.host.Log(ctx.sa, old_id_ ? "CHILD SA rekey failed" : "CHILD SA creation failed", std::move(why));
  if (sa::ChildSa* c = ctx.sa.FindChild(old_id_); c && c->state == sa::ChildSaState::kInstalled) {
    c->rekey_at = std::min(c->expire_at, ctx.host.now() + kRekeyRetryDelay);
  }
  return TaskResult::kFailed;
}

TaskResult ChildCreate::Process(TaskContext& ctx, const wire::Message& m) {
  if (const auto* n = m.FindNotify(wire::NotifyType::kInvalidKePayload)) {
    auto g = AdoptRequestedGroup(*n, proposals_, group_, ke_retries_, kMaxInvalidKeRetries);
    if (!g) return Failed(ctx, g.error().message);
    ke_.reset();
    return TaskResult::kRetry;
  }
  if (const auto* e = m.FirstErrorNotify()) {
    if (e->type == wire::NotifyType::kChildSaNotFound) {
      // The peer deleted the SA meanwhile (e.g. it won a rekey collision): nothing to retry.
      Abort(ctx);
      ctx.host.Log(ctx.sa, "CHILD SA rekey abandoned", "peer answered CHILD_SA_NOT_FOUND");
      return TaskResult::kFailed;
    }
    ctx.sa.last_error = wire::NotifyName(e->type);
    return Failed(ctx, fmt::format("peer answered {}", wire::NotifyName(e->type)));
  }
  const auto* sa_p = m.Find<wire::SaPayload>(wire::PayloadType::kSa);
  const auto* nr = m.Find<wire::NoncePayload>(wire::PayloadType::kNonce);
  const auto* ker = m.Find<wire::KePayload>(wire::PayloadType::kKe);
  const auto* tsi = m.Find<wire::TsPayload>(wire::PayloadType::kTsi);
  const auto* tsr = m.Find<wire::TsPayload>(wire::PayloadType::kTsr);
  if (!sa_p || !nr || !tsi || !tsr) return Failed(ctx, "response lacks SA, Nr or TS");
  if (nr->data.size() < wire::kMinNonceSize || nr->data.size() > wire::kMaxNonceSize)
    return Failed(ctx, "bad Nr");
  auto sel = sa::CheckChildResponse(proposals_, *sa_p);
  if (!sel) return Failed(ctx, sel.error().message);
  SecretBytes pfs;
  if (sel->suite.ke != crypto::KeGroup::kNone) {
    if (!ke_ || !ker || ker->group != static_cast<std::uint16_t>(sel->suite.ke) ||
        ke_->group() != sel->suite.ke) {
      return Failed(ctx, "PFS group mismatch");
    }
    auto shared = ke_->ComputeShared(ker->data);
    if (!shared) return Failed(ctx, shared.error().message);
    pfs = std::move(*shared);
  }
  const sa::ChildSa* old = ctx.sa.FindChild(old_id_);
  const auto& want_local = old ? old->local_ts : ctx.conn.local_prefixes;
  const auto& want_remote = old ? old->remote_ts : ctx.conn.remote_prefixes;
  NewChild c;
  c.suite = sel->suite;
  c.inbound_spi = inbound_spi_;
  c.outbound_spi = sel->peer_spi_value();
  c.local_ts = FromTsPayload(*tsi);
  c.remote_ts = FromTsPayload(*tsr);
  if (!WithinSelectors(c.local_ts, ctx.conn.local_prefixes) ||
      !WithinSelectors(c.remote_ts, ctx.conn.remote_prefixes)) {
    return Failed(ctx, "responder's traffic selectors are not within ours");
  }
  (void)want_local;
  (void)want_remote;
  c.ni = ni_;
  c.nr = nr->data;
  c.pfs_secret = pfs.view();
  c.we_initiated = true;
  c.rekeys = old ? old->rekeys + 1 : 0;
  auto installed = InstallChild(ctx, c);
  inbound_spi_ = 0;
  if (!installed) return Failed(ctx, installed.error().message);
  const std::uint64_t new_id = (*installed)->id;
  ctx.host.Log(ctx.sa, old_id_ ? "CHILD SA rekeyed" : "CHILD SA created",
               fmt::format("in {:08x}, out {:08x}, {}{}", c.inbound_spi, c.outbound_spi, c.suite.Describe(),
                           pfs.empty() ? "" : " (PFS)"));
  if (old_id_ == 0) return TaskResult::kDone;
  if (peer_min_nonce_) {
    const wire::Bytes& mine = MinNonce(ni_, nr->data);
    if (NonceLess(mine, *peer_min_nonce_)) {
      // §2.8.1: our new SA holds the lowest nonce; we created it, we delete it. The peer deletes the old
      // one. We stop sending on ours before the Delete goes out: the peer removes both directions as
      // soon as it reads the Delete (§2.8.2).
      if (sa::ChildSa* o = ctx.sa.FindChild(old_id_)) o->state = sa::ChildSaState::kRekeyed;
      if (sa::ChildSa* n = ctx.sa.FindChild(new_id)) {
        n->state = sa::ChildSaState::kRekeyed;
        StopSending(ctx, *n);
      }
      ctx.host.QueueTask(ctx.sa.id,
                         std::make_unique<ChildDelete>(new_id, "redundant after rekey collision (§2.8.1)"));
      return TaskResult::kDone;
    }
    // The peer's new SA is the redundant one; it deletes it. We never start sending on it.
    if (sa::ChildSa* theirs = ctx.sa.FindChild(peer_created_)) {
      theirs->state = sa::ChildSaState::kRekeyed;
      StopSending(ctx, *theirs);
    }
  }
  if (sa::ChildSa* o = ctx.sa.FindChild(old_id_)) {
    o->state = sa::ChildSaState::kRekeyed;
    ctx.host.QueueTask(ctx.sa.id, std::make_unique<ChildDelete>(old_id_, "rekeyed"));
  }
  return TaskResult::kDone;
}

std::vector<wire::Payload> RespondCreateChild(TaskContext& ctx, const wire::Message& req) {
  auto refuse = [&](wire::NotifyType type, std::string why, wire::Bytes data = {}) {
    ctx.host.Log(ctx.sa, "CREATE_CHILD_SA refused", fmt::format("{}: {}", wire::NotifyName(type), why));
    return ErrorResponse(type, std::move(data));
  };
  if (ctx.sa.state != sa::IkeSaState::kEstablished) {
    return refuse(wire::NotifyType::kTemporaryFailure,
                  "IKE SA is not established or is being rekeyed (§2.25)");
  }
  sa::ChildSa* old = nullptr;
  if (const auto* rk = req.FindNotify(wire::NotifyType::kRekeySa)) {
    auto spi = rk->spi32();
    old = spi ? ctx.sa.FindChildByOutbound(*spi) : nullptr;
    if (!old || old->state == sa::ChildSaState::kDeleting) {
      wire::Payload n = Notify(wire::NotifyType::kChildSaNotFound);
      std::get<wire::NotifyPayload>(n.body).protocol = wire::ProtocolId::kEsp;
      std::get<wire::NotifyPayload>(n.body).spi = Spi32(spi.value_or(0));
      ctx.host.Log(ctx.sa, "CREATE_CHILD_SA refused", "CHILD_SA_NOT_FOUND");
      return {n};
    }
  }
  const auto* sa_p = req.Find<wire::SaPayload>(wire::PayloadType::kSa);
  const auto* ni = req.Find<wire::NoncePayload>(wire::PayloadType::kNonce);
  const auto* kei = req.Find<wire::KePayload>(wire::PayloadType::kKe);
  const auto* tsi = req.Find<wire::TsPayload>(wire::PayloadType::kTsi);
  const auto* tsr = req.Find<wire::TsPayload>(wire::PayloadType::kTsr);
  if (!sa_p || !ni || !tsi || !tsr) return refuse(wire::NotifyType::kInvalidSyntax, "missing SA, Ni or TS");
  if (ni->data.size() < wire::kMinNonceSize || ni->data.size() > wire::kMaxNonceSize) {
    return refuse(wire::NotifyType::kInvalidSyntax, "bad Ni size");
  }
  sa::SelectOptions opt;
  if (kei) opt.received_ke = static_cast<crypto::KeGroup>(kei->group);
  auto sel = sa::SelectChildProposal(sa_p->proposals, ctx.conn.esp_proposals, opt);
  if (!sel) return refuse(wire::NotifyType::kNoProposalChosen, sel.error().message);
  std::unique_ptr<crypto::KeyExchange> ke;
  SecretBytes pfs;
  if (sel->suite.ke != crypto::KeGroup::kNone) {
    if (!kei || kei->group != static_cast<std::uint16_t>(sel->suite.ke)) {
      return refuse(wire::NotifyType::kInvalidKePayload, "PFS group differs",
                    wire::NotifyPayload::InvalidKe(static_cast<std::uint16_t>(sel->suite.ke)).data);
    }
    auto k = crypto::KeyExchange::Create(sel->suite.ke);
    if (!k) return refuse(wire::NotifyType::kNoProposalChosen, k.error().message);
    auto shared = (*k)->ComputeShared(kei->data);
    if (!shared) return refuse(wire::NotifyType::kInvalidSyntax, shared.error().message);
    ke = std::move(*k);
    pfs = std::move(*shared);
  }
  auto remote_ts = NarrowSelectors(FromTsPayload(*tsi), ctx.conn.remote_prefixes);
  auto local_ts = NarrowSelectors(FromTsPayload(*tsr), ctx.conn.local_prefixes);
  if (remote_ts.empty() || local_ts.empty()) {
    return refuse(wire::NotifyType::kTsUnacceptable, "no intersection with our policy (§2.9)");
  }
  auto spi = ctx.host.installer().AllocateSpi();
  if (!spi) return refuse(wire::NotifyType::kNoAdditionalSas, spi.error().message);
  wire::Bytes nr = RandomBytes(ctx.host.rng(), ctx.host.engine_config().nonce_size);
  const std::uint64_t old_id = old ? old->id : 0;
  NewChild c;
  c.suite = sel->suite;
  c.inbound_spi = *spi;
  c.outbound_spi = sel->peer_spi_value();
  c.local_ts = local_ts;
  c.remote_ts = remote_ts;
  c.ni = ni->data;
  c.nr = nr;
  c.pfs_secret = pfs.view();
  c.we_initiated = false;
  c.rekeys = old ? old->rekeys + 1 : 0;
  c.replaces = old_id;                    // keep sending on the old SA until the initiator deletes it
  auto installed = InstallChild(ctx, c);  // may reallocate children: `old` is stale from here on
  if (!installed) return refuse(wire::NotifyType::kNoAdditionalSas, installed.error().message);
  const std::uint64_t new_id = (*installed)->id;
  ctx.host.Log(ctx.sa, old_id ? "CHILD SA rekeyed by peer" : "CHILD SA created by peer",
               fmt::format("in {:08x}, out {:08x}, {}{}", c.inbound_spi, c.outbound_spi, c.suite.Describe(),
                           pfs.empty() ? "" : " (PFS)"));
  if (old_id) {
    sa::ChildSa* o = ctx.sa.FindChild(old_id);
    // §2.8.1: if we are rekeying the same SA, our task decides who deletes what once its answer is in.
    Task* active = ctx.host.ActiveTask(ctx.sa.id);
    if (active && active->kind() == TaskKind::kChildRekey && active->child_id() == old_id) {
      active->NotePeerRekey(MinNonce(ni->data, nr), new_id);
    } else if (o) {
      o->state = sa::ChildSaState::kRekeyed;  // the peer deletes it next
    }
    ctx.host.DropQueuedTasks(ctx.sa.id, [&](const Task& t) {
      return t.kind() == TaskKind::kChildRekey && t.child_id() == old_id;
    });
  }
  std::vector<wire::Payload> out;
  out.push_back(wire::Payload::Of(wire::SaPayload{{sel->suite.ToWire(sel->number, Spi32(*spi))}}));
  out.push_back(wire::Payload::Of(wire::NoncePayload{nr}));
  if (ke) {
    auto pub = ke->PublicValue();
    out.push_back(wire::Payload::Of(
        wire::KePayload{static_cast<std::uint16_t>(sel->suite.ke), {pub.begin(), pub.end()}}));
  }
  out.push_back(wire::Payload::Tsi(ToTsPayload(remote_ts)));
  out.push_back(wire::Payload::Tsr(ToTsPayload(local_ts)));
  return out;
}

}  // namespace isthmus::ike::tasks
