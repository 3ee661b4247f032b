#include "ike/tasks/ike_auth.h"

#include <fmt/format.h>

#include "ike/sa/proposal_selection.h"
#include "ike/tasks/child_setup.h"
#include "ike/tasks/delete.h"
#include "ike/tasks/psk_auth.h"

namespace isthmus::ike::tasks {
namespace {

bool SameId(const wire::IdPayload& a, const wire::IdPayload& b) {
  return a.type == b.type && a.data == b.data;
}

}  // namespace

Result<std::vector<wire::Payload>> IkeAuth::Build(TaskContext& ctx) {
  auto spi = ctx.host.installer().AllocateSpi();
  if (!spi) return Fail(spi.error());
  inbound_spi_ = *spi;
  auto auth = PskAuthData(ctx.sa, true, ctx.conn.local_id, ctx.conn.psk);
  if (!auth) return Fail(auth.error());
  std::vector<wire::Payload> p;
  p.push_back(wire::Payload::Idi(ctx.conn.local_id));
  p.push_back(Notify(wire::NotifyType::kInitialContact));
  p.push_back(wire::Payload::Idr(ctx.conn.remote_id));
  p.push_back(wire::Payload::Of(
      wire::AuthPayload{wire::AuthMethod::kSharedKeyMic, {auth->view().begin(), auth->view().end()}}));
  p.push_back(wire::Payload::Of(sa::ToWireSa(ctx.conn.esp_proposals, Spi32(inbound_spi_), false)));
  p.push_back(wire::Payload::Tsi(ToTsPayload(ctx.conn.local_prefixes)));
  p.push_back(wire::Payload::Tsr(ToTsPayload(ctx.conn.remote_prefixes)));
  return p;
}

void IkeAuth::Abort(TaskContext& ctx) {
  if (inbound_spi_ != 0) (void)ctx.host.installer().ReleaseSpi(inbound_spi_);
  inbound_spi_ = 0;
}

TaskResult IkeAuth::Process(TaskContext& ctx, const wire::Message& m) {
  auto fail = [&](std::string error, std::string why) {
    Abort(ctx);
    ctx.sa.last_error = std::move(error);
    ctx.host.Log(ctx.sa, "IKE_AUTH failed", std::move(why));
    ctx.sa.state = sa::IkeSaState::kDead;
    return TaskResult::kFailed;
  };
  if (m.FindNotify(wire::NotifyType::kAuthenticationFailed)) {
    return fail("AUTHENTICATION_FAILED", "peer answered AUTHENTICATION_FAILED (RFC 7296 §2.15)");
  }
  const auto* idr = m.Find<wire::IdPayload>(wire::PayloadType::kIdr);
  const auto* auth = m.Find<wire::AuthPayload>(wire::PayloadType::kAuth);
  if (!idr || !auth) {
    const auto* e = m.FirstErrorNotify();
    std::string name = e ? wire::NotifyName(e->type) : "no IDr/AUTH";
    return fail(name, fmt::format("peer answered {}", name));
  }
  if (!SameId(*idr, ctx.conn.remote_id))
    return fail("AUTHENTICATION_FAILED", "responder ID is not the configured one");
  if (!VerifyPskAuth(ctx.sa, false, *idr, ctx.conn.psk, *auth)) {
    return fail("AUTHENTICATION_FAILED", "responder AUTH does not verify (wrong pre-shared key?)");
  }
  ctx.sa.peer_authenticated = true;
  ctx.sa.state = sa::IkeSaState::kEstablished;
  ctx.host.IkeSaEstablished(ctx.sa);

  const auto* sa_p = m.Find<wire::SaPayload>(wire::PayloadType::kSa);
  const auto* tsi = m.Find<wire::TsPayload>(wire::PayloadType::kTsi);
  const auto* tsr = m.Find<wire::TsPayload>(wire::PayloadType::kTsr);
  auto child_failed = [&](std::string error, std::string why) {
    Abort(ctx);
    ctx.sa.last_error = error;
    ctx.host.Log(ctx.sa, "CHILD SA not established", why);
    // A connection without its CHILD SA carries no traffic: close the IKE SA too.
    ctx.host.QueueTask(ctx.sa.id, std::make_unique<IkeDelete>());
    return TaskResult::kDone;
  };
  if (!sa_p || !tsi || !tsr) {
    const auto* e = m.FirstErrorNotify();
    std::string name = e ? wire::NotifyName(e->type) : "no CHILD SA";
    return child_failed(name, fmt::format("peer answered {}", name));
  }
  auto sel = sa::CheckChildResponse(ctx.conn.esp_proposals, *sa_p, true);
  if (!sel) return child_failed("NO_PROPOSAL_CHOSEN", sel.error().message);
  auto local_ts = FromTsPayload(*tsi);
  auto remote_ts = FromTsPayload(*tsr);
  if (!WithinSelectors(local_ts, ctx.conn.local_prefixes) ||
      !WithinSelectors(remote_ts, ctx.conn.remote_prefixes)) {
    return child_failed("TS_UNACCEPTABLE", "responder's traffic selectors are not within ours");
  }
  NewChild c;
  c.suite = sel->suite;
  c.inbound_spi = inbound_spi_;
  c.outbound_spi = sel->peer_spi_value();
  c.local_ts = std::move(local_ts);
  c.remote_ts = std::move(remote_ts);
  c.ni = ctx.sa.ni;
  c.nr = ctx.sa.nr;
  c.we_initiated = true;
  auto installed = InstallChild(ctx, c);
  inbound_spi_ = 0;  // installed or released by InstallChild
  if (!installed) return child_failed("INSTALL_FAILED", installed.error().message);
  return TaskResult::kDone;
}

std::vector<wire::Payload> RespondIkeAuth(TaskHost& host, sa::IkeSa& sa, const wire::Message& req) {
  auto auth_failed = [&](std::string why) {
    sa.last_error = "AUTHENTICATION_FAILED";
    host.Log(sa, "IKE_AUTH refused", std::move(why));
    sa.state = sa::IkeSaState::kDead;
    return ErrorResponse(wire::NotifyType::kAuthenticationFailed);
  };
  if (sa.state != sa::IkeSaState::kConnecting) return ErrorResponse(wire::NotifyType::kInvalidSyntax);
  const auto* idi = req.Find<wire::IdPayload>(wire::PayloadType::kIdi);
  const auto* auth = req.Find<wire::AuthPayload>(wire::PayloadType::kAuth);
  if (!idi || !auth) return auth_failed("no IDi or AUTH");
  const ConnectionConfig* conn = host.FindConnectionForPeer(sa.local, sa.remote, *idi);
  if (!conn) return auth_failed("no connection for this peer ID");
  if (conn->name != sa.connection && sa.suite) {
    // IKE_SA_INIT was answered for another connection to this address: the suite agreed there must
    // also be one this connection accepts.
    const wire::Proposal agreed = sa.suite->ToWire(1, {});
    if (!sa::SelectIkeProposal({&agreed, 1}, conn->ike_proposals)) {
      return auth_failed(
          fmt::format("connection {} does not accept the IKE proposal {}", conn->name, sa.suite->Describe()));
    }
  }
  if (!VerifyPskAuth(sa, true, *idi, conn->psk, *auth)) {
    return auth_failed("initiator AUTH does not verify (wrong pre-shared key?)");
  }
  auto my_auth = PskAuthData(sa, false, conn->local_id, conn->psk);
  if (!my_auth) return auth_failed(my_auth.error().message);
  sa.connection = conn->name;
  sa.peer_authenticated = true;
  sa.state = sa::IkeSaState::kEstablished;
  TaskContext ctx{host, sa, *conn};
  if (req.FindNotify(wire::NotifyType::kInitialContact)) host.InitialContact(sa);
  host.IkeSaEstablished(sa);

  std::vector<wire::Payload> out;
  out.push_back(wire::Payload::Idr(conn->local_id));
  out.push_back(wire::Payload::Of(
      wire::AuthPayload{wire::AuthMethod::kSharedKeyMic, {my_auth->view().begin(), my_auth->view().end()}}));

  const auto* sa_p = req.Find<wire::SaPayload>(wire::PayloadType::kSa);
  const auto* tsi = req.Find<wire::TsPayload>(wire::PayloadType::kTsi);
  const auto* tsr = req.Find<wire::TsPayload>(wire::PayloadType::kTsr);
  if (!sa_p || !tsi || !tsr) return out;  // childless (RFC 6023)
  auto refuse_child = [&](wire::NotifyType type, std::string why) {
    sa.last_error = wire::NotifyName(type);
    host.Log(sa, "CHILD SA refused", fmt::format("{}: {}", wire::NotifyName(type), why));
    out.push_back(Notify(type));
    return out;
  };
  sa::SelectOptions opt;
  opt.ignore_ke = true;
  auto sel = sa::SelectChildProposal(sa_p->proposals, conn->esp_proposals, opt);
  if (!sel) return refuse_child(wire::NotifyType::kNoProposalChosen, sel.error().message);
  // TSi is the initiator's side (remote for us), TSr ours (§2.9).
  auto remote_ts = NarrowSelectors(FromTsPayload(*tsi), conn->remote_prefixes);
  auto local_ts = NarrowSelectors(FromTsPayload(*tsr), conn->local_prefixes);
  if (remote_ts.empty() || local_ts.empty()) {
    return refuse_child(wire::NotifyType::kTsUnacceptable, "no intersection with our policy (RFC 7296 §2.9)");
  }
  auto spi = host.installer().AllocateSpi();
  if (!spi) return refuse_child(wire::NotifyType::kNoAdditionalSas, spi.error().message);
  NewChild c;
  c.suite = sel->suite;
  c.inbound_spi = *spi;
  c.outbound_spi = sel->peer_spi_value();
  c.local_ts = local_ts;
  c.remote_ts = remote_ts;
  c.ni = sa.ni;
  c.nr = sa.nr;
  c.we_initiated = false;
  auto installed = InstallChild(ctx, c);
  if (!installed) return refuse_child(wire::NotifyType::kNoAdditionalSas, installed.error().message);
  out.push_back(wire::Payload::Of(wire::SaPayload{{sel->suite.ToWire(sel->number, Spi32(*spi))}}));
  out.push_back(wire::Payload::Tsi(ToTsPayload(remote_ts)));
  out.push_back(wire::Payload::Tsr(ToTsPayload(local_ts)));
  return out;
}

}  // namespace isthmus::ike::tasks
