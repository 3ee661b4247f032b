#include "ike/tasks/ike_rekey.h"

#include <fmt/format.h>

#include "ike/sa/keymat.h"
#include "ike/sa/proposal_selection.h"
#include "ike/tasks/child_setup.h"
#include "ike/tasks/delete.h"

namespace isthmus::ike::tasks {
namespace {

constexpr auto kRekeyRetryDelay = std::chrono::seconds(30);  // implementation choice
constexpr int kMaxInvalidKeRetries = 2;

std::optional<std::uint64_t> Spi64Of(const wire::Bytes& b) {
  if (b.size() != 8) return std::nullopt;
  std::uint64_t v = 0;
  for (auto x : b) v = (v << 8) | x;
  return v == 0 ? std::nullopt : std::optional(v);
}

// The new IKE SA: same connection and path, fresh keys, CHILD SAs not yet moved.
Result<std::unique_ptr<sa::IkeSa>> MakeSuccessor(TaskContext& ctx, const sa::IkeSuite& suite,
                                                 sa::IkeRole role, std::uint64_t spi_i, std::uint64_t spi_r,
                                                 crypto::ConstBytes shared, wire::ByteView ni,
                                                 wire::ByteView nr) {
  const sa::IkeSa& old = ctx.sa;
  auto keys = sa::DeriveRekeyedIkeSaKeys(old.suite->prf, old.keys->sk_d, suite, shared, ni, nr, spi_i, spi_r);
  if (!keys) return Fail(keys.error());
  auto prot = sa::SkProtector::Create(suite, *keys, role);
  if (!prot) return Fail(prot.error());
  auto n = std::make_unique<sa::IkeSa>();
  n->connection = old.connection;
  n->state = sa::IkeSaState::kEstablished;
  n->role = role;
  n->spi_i = spi_i;
  n->spi_r = spi_r;
  n->local = old.local;
  n->remote = old.remote;
  n->nat_here = old.nat_here;
  n->nat_there = old.nat_there;
  n->suite = suite;
  n->keys = std::move(*keys);
  n->protector = std::make_unique<sa::SkProtector>(std::move(*prot));
  n->ni.assign(ni.begin(), ni.end());
  n->nr.assign(nr.begin(), nr.end());
  const TimePoint now = ctx.host.now();
  n->created_at = now;
  n->established_at = old.established_at;
  n->last_inbound = now;
  n->rekey_at = SoftDeadline(now, ctx.conn.ike_lifetime, ctx.host.rng());
  n->expire_at = HardDeadline(now, ctx.conn.ike_lifetime);
  n->rekeys = old.rekeys + 1;
  n->peer_authenticated = true;
  return n;
}

void MoveChildren(sa::IkeSa& from, sa::IkeSa& to) {
  for (auto& c : from.children) to.children.push_back(std::move(c));
  from.children.clear();
}

}  // namespace

bool IsIkeRekeyRequest(const wire::Message& req) {
  const auto* sa_p = req.Find<wire::SaPayload>(wire::PayloadType::kSa);
  return sa_p && !sa_p->proposals.empty() && sa_p->proposals.front().protocol == wire::ProtocolId::kIke;
}

Result<std::vector<wire::Payload>> IkeRekey::Build(TaskContext& ctx) {
  if (ctx.sa.state != sa::IkeSaState::kEstablished) {
    return Fail(Error::Conflict("IkeSaNotEstablished", "IKE SA is not established"));
  }
  if (proposals_.empty()) {
    // Keep the current group first: the peer accepted it once, so no INVALID_KE_PAYLOAD round trip.
    proposals_ = sa::PromoteKeGroup(ctx.conn.ike_proposals, ctx.sa.suite->ke);
    group_ = sa::PreferredKeGroup(proposals_);
  }
  if (new_spi_ == 0) new_spi_ = ctx.host.NewIkeSpi();
  if (!ke_) {
    auto ke = crypto::KeyExchange::Create(group_);
    if (!ke) return Fail(ke.error());
    ke_ = std::move(*ke);
  }
  ni_ = RandomBytes(ctx.host.rng(), ctx.host.engine_config().nonce_size);
  std::vector<wire::Payload> p;
  p.push_back(wire::Payload::Of(sa::ToWireSa(proposals_, Spi64(new_spi_))));
  p.push_back(wire::Payload::Of(wire::NoncePayload{ni_}));
  auto pub = ke_->PublicValue();
  p.push_back(
      wire::Payload::Of(wire::KePayload{static_cast<std::uint16_t>(group_), {pub.begin(), pub.end()}}));
  return p;
}

TaskResult IkeRekey::Failed(TaskContext& ctx, std::string why) {
  ctx.host.Log(ctx.sa, "IKE SA rekey failed", std::move(why));
  if (ctx.sa.state == sa::IkeSaState::kEstablished) {
    ctx.sa.rekey_at = std::min(ctx.sa.expire_at, ctx.host.now() + kRekeyRetryDelay);
  }
  return TaskResult::kFailed;
}

TaskResult IkeRekey::Process(TaskContext& ctx, const wire::Message& m) {
  if (const auto* n = m.FindNotify(wire::NotifyType::kInvalidKePayload)) {
    auto g = AdoptRequestedGroup(*n, proposals_, group_, ke_retries_, kMaxInvalidKeRetries);
    if (!g) return Failed(ctx, g.error().message);
    ke_.reset();
    return TaskResult::kRetry;
  }
  if (const auto* e = m.FirstErrorNotify())
    return Failed(ctx, fmt::format("peer answered {}", wire::NotifyName(e->type)));
  const auto* sa_p = m.Find<wire::SaPayload>(wire::PayloadType::kSa);
  const auto* nr = m.Find<wire::NoncePayload>(wire::PayloadType::kNonce);
  const auto* ker = m.Find<wire::KePayload>(wire::PayloadType::kKe);
  if (!sa_p || !nr || !ker) return Failed(ctx, "response lacks SA, Nr or KEr");
  if (nr->data.size() < wire::kMinNonceSize || nr->data.size() > wire::kMaxNonceSize)
    return Failed(ctx, "bad Nr");
  auto sel = sa::CheckIkeResponse(proposals_, *sa_p);
  if (!sel) return Failed(ctx, sel.error().message);
  auto spi_r = Spi64Of(sel->peer_spi);
  if (!spi_r) return Failed(ctx, "responder's new IKE SPI is not 8 non-zero octets");
  if (ker->group != static_cast<std::uint16_t>(sel->suite.ke) || sel->suite.ke != group_) {
    return Failed(ctx, "KE group mismatch");
  }
  auto shared = ke_->ComputeShared(ker->data);
  if (!shared) return Failed(ctx, shared.error().message);
  auto next = MakeSuccessor(ctx, sel->suite, sa::IkeRole::kInitiator, new_spi_, *spi_r, shared->view(), ni_,
                            nr->data);
  if (!next) return Failed(ctx, next.error().message);
  sa::IkeSa& fresh = ctx.host.AdoptIkeSa(std::move(*next));
  ctx.host.Log(fresh, "IKE SA rekeyed", fmt::format("{} replaces #{}", fresh.suite->Describe(), ctx.sa.id));
  if (peer_min_nonce_ && NonceLess(MinNonce(ni_, nr->data), *peer_min_nonce_)) {
    // §2.8.1: ours holds the lowest nonce, so ours is redundant: we delete it. The CHILD SAs already
    // live on the SA the peer created; the peer deletes the old one.
    ctx.sa.state = sa::IkeSaState::kRekeyed;
    ctx.host.QueueTask(fresh.id, std::make_unique<IkeDelete>("redundant after rekey collision (§2.8.1)"));
    return TaskResult::kDone;
  }
  if (peer_min_nonce_) {
    if (sa::IkeSa* theirs = ctx.host.FindIkeSa(peer_created_)) MoveChildren(*theirs, fresh);
  }
  MoveChildren(ctx.sa, fresh);
  ctx.sa.state = sa::IkeSaState::kRekeyed;
  ctx.host.QueueTask(ctx.sa.id, std::make_unique<IkeDelete>("rekeyed"));
  ctx.host.IkeSaEstablished(fresh);
  return TaskResult::kDone;
}

std::vector<wire::Payload> RespondIkeRekey(TaskContext& ctx, const wire::Message& req) {
  auto refuse = [&](wire::NotifyType type, std::string why, wire::Bytes data = {}) {
    ctx.host.Log(ctx.sa, "IKE SA rekey refused", fmt::format("{}: {}", wire::NotifyName(type), why));
    return ErrorResponse(type, std::move(data));
  };
  if (ctx.sa.state != sa::IkeSaState::kEstablished) {
    return refuse(wire::NotifyType::kTemporaryFailure, "IKE SA is not established (§2.25)");
  }
  const auto* sa_p = req.Find<wire::SaPayload>(wire::PayloadType::kSa);
  const auto* ni = req.Find<wire::NoncePayload>(wire::PayloadType::kNonce);
  const auto* kei = req.Find<wire::KePayload>(wire::PayloadType::kKe);
  if (!sa_p || !ni || !kei) return refuse(wire::NotifyType::kInvalidSyntax, "missing SA, Ni or KEi");
  if (ni->data.size() < wire::kMinNonceSize || ni->data.size() > wire::kMaxNonceSize) {
    return refuse(wire::NotifyType::kInvalidSyntax, "bad Ni size");
  }
  sa::SelectOptions opt;
  opt.received_ke = static_cast<crypto::KeGroup>(kei->group);
  auto sel = sa::SelectIkeProposal(sa_p->proposals, ctx.conn.ike_proposals, opt);
  if (!sel) return refuse(wire::NotifyType::kNoProposalChosen, sel.error().message);
  if (auto want = sa::KeGroupToRequest(sel->suite.ke, kei->group)) {
    return refuse(wire::NotifyType::kInvalidKePayload, "KE group differs",
                  wire::NotifyPayload::InvalidKe(static_cast<std::uint16_t>(*want)).data);
  }
  auto spi_i = Spi64Of(sel->peer_spi);
  if (!spi_i) return refuse(wire::NotifyType::kInvalidSyntax, "new IKE SPI is not 8 non-zero octets");
  auto ke = crypto::KeyExchange::Create(sel->suite.ke);
  if (!ke) return refuse(wire::NotifyType::kNoProposalChosen, ke.error().message);
  auto shared = (*ke)->ComputeShared(kei->data);
  if (!shared) return refuse(wire::NotifyType::kInvalidSyntax, shared.error().message);
  const std::uint64_t spi_r = ctx.host.NewIkeSpi();
  wire::Bytes nr = RandomBytes(ctx.host.rng(), ctx.host.engine_config().nonce_size);
  auto next =
      MakeSuccessor(ctx, sel->suite, sa::IkeRole::kResponder, *spi_i, spi_r, shared->view(), ni->data, nr);
  if (!next) return refuse(wire::NotifyType::kNoProposalChosen, next.error().message);
  sa::IkeSa& fresh = ctx.host.AdoptIkeSa(std::move(*next));
  MoveChildren(ctx.sa, fresh);
  ctx.host.Log(fresh, "IKE SA rekeyed by peer",
               fmt::format("{} replaces #{}", fresh.suite->Describe(), ctx.sa.id));
  Task* active = ctx.host.ActiveTask(ctx.sa.id);
  if (active && active->kind() == TaskKind::kIkeRekey) {
    active->NotePeerRekey(MinNonce(ni->data, nr), fresh.id);  // §2.8.1: decided when our answer arrives
  } else {
    ctx.sa.state = sa::IkeSaState::kRekeyed;  // the peer deletes it next
  }
  ctx.host.DropQueuedTasks(ctx.sa.id, [](const Task& t) { return t.kind() == TaskKind::kIkeRekey; });
  ctx.host.IkeSaEstablished(fresh);
  std::vector<wire::Payload> out;
  out.push_back(wire::Payload::Of(wire::SaPayload{{sel->suite.ToWire(sel->number, Spi64(spi_r))}}));
  out.push_back(wire::Payload::Of(wire::NoncePayload{nr}));
  auto pub = (*ke)->PublicValue();
  out.push_back(wire::Payload::Of(
      wire::KePayload{static_cast<std::uint16_t>(sel->suite.ke), {pub.begin(), pub.end()}}));
  return out;
}

}  // namespace isthmus::ike::tasks
