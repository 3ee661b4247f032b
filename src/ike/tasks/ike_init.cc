#include "ike/tasks/ike_init.h"

#include <fmt/format.h>

#include "crypto/prf.h"
#include "ike/sa/keymat.h"
#include "ike/sa/proposal_selection.h"
#include "ike/tasks/ike_auth.h"
#include "ike/tasks/natd.h"

namespace isthmus::ike::tasks {
namespace {

// After NAT-D: §2.23 says the initiator moves to port 4500 for IKE_AUTH when a NAT was detected (or
// encapsulation is forced); the responder follows wherever the next request comes from.
void ApplyNat(sa::IkeSa& sa, const NatdResult& r, bool force) {
  sa.nat_here = r.nat_here || force;
  sa.nat_there = r.nat_there;
}

Result<SecretBytes> DeriveAll(sa::IkeSa& sa, crypto::KeyExchange& ke, wire::ByteView peer_public) {
  auto shared = ke.ComputeShared(peer_public);
  if (!shared) return Fail(shared.error());
  auto keys = sa::DeriveIkeSaKeys(*sa.suite, shared->view(), sa.ni, sa.nr, sa.spi_i, sa.spi_r);
  if (!keys) return Fail(keys.error());
  auto prot = sa::SkProtector::Create(*sa.suite, *keys, sa.role);
  if (!prot) return Fail(prot.error());
  sa.keys = std::move(*keys);
  sa.protector = std::make_unique<sa::SkProtector>(std::move(*prot));
  return std::move(*shared);
}

}  // namespace

Result<std::vector<wire::Payload>> IkeInit::Build(TaskContext& ctx) {
  if (proposals_.empty()) {
    proposals_ = ctx.conn.ike_proposals;
    group_ = sa::PreferredKeGroup(proposals_);
  }
  if (!ke_) {
    auto ke = crypto::KeyExchange::Create(group_);
    if (!ke) return Fail(ke.error());
    ke_ = std::move(*ke);
  }
  if (ctx.sa.ni.empty()) ctx.sa.ni = RandomBytes(ctx.host.rng(), ctx.host.engine_config().nonce_size);
  std::vector<wire::Payload> p;
  // §2.6: the cookie goes first, everything else unchanged.
  if (cookie_) p.push_back(Notify(wire::NotifyType::kCookie, *cookie_));
  p.push_back(wire::Payload::Of(sa::ToWireSa(proposals_, {})));
  auto pub = ke_->PublicValue();
  p.push_back(
      wire::Payload::Of(wire::KePayload{static_cast<std::uint16_t>(group_), {pub.begin(), pub.end()}}));
  p.push_back(wire::Payload::Of(wire::NoncePayload{ctx.sa.ni}));
  for (auto& n : NatdNotifies(ctx.sa.spi_i, 0, ctx.sa.local, ctx.sa.remote, ctx.conn.force_encapsulation,
                              ctx.host.rng())) {
    p.push_back(std::move(n));
  }
  return p;
}

TaskResult IkeInit::Process(TaskContext& ctx, const wire::Message& m) {
  auto fail = [&](std::string why) {
    ctx.host.Log(ctx.sa, "IKE_SA_INIT failed", std::move(why));
    ctx.sa.state = sa::IkeSaState::kDead;
    return TaskResult::kFailed;
  };
  if (const auto* c = m.FindNotify(wire::NotifyType::kCookie)) {
    if (++cookie_retries_ > kMaxCookieRetries) return fail("responder keeps demanding cookies");
    cookie_ = c->data;
    ctx.host.Log(ctx.sa, "IKE_SA_INIT retried with cookie", "responder sent N(COOKIE) (RFC 7296 §2.6)");
    return TaskResult::kRetry;
  }
  if (const auto* n = m.FindNotify(wire::NotifyType::kInvalidKePayload)) {
    auto g = AdoptRequestedGroup(*n, proposals_, group_, ke_retries_, kMaxInvalidKeRetries);
    if (!g) return fail(g.error().message);
    ke_.reset();
    ctx.host.Log(ctx.sa, "IKE_SA_INIT retried with another group",
                 fmt::format("responder asked for {} (RFC 7296 §1.2)", sa::KeName(*g)));
    return TaskResult::kRetry;
  }
  if (const auto* e = m.FirstErrorNotify()) {
    ctx.sa.last_error = wire::NotifyName(e->type);
    return fail(fmt::format("peer answered {}", wire::NotifyName(e->type)));
  }
  const auto* sa_p = m.Find<wire::SaPayload>(wire::PayloadType::kSa);
  const auto* ke_p = m.Find<wire::KePayload>(wire::PayloadType::kKe);
  const auto* nr = m.Find<wire::NoncePayload>(wire::PayloadType::kNonce);
  if (!sa_p || !ke_p || !nr) return fail("response lacks SA, KE or Nonce");
  if (m.header.responder_spi == 0) return fail("responder SPI is zero");
  if (nr->data.size() < wire::kMinNonceSize || nr->data.size() > wire::kMaxNonceSize)
    return fail("bad Nr size");
  auto sel = sa::CheckIkeResponse(proposals_, *sa_p);
  if (!sel) return fail(sel.error().message);
  if (sel->suite.ke != group_ || ke_p->group != static_cast<std::uint16_t>(group_)) {
    return fail("responder chose a group other than our KE payload's");
  }
  ctx.sa.suite = sel->suite;
  ctx.sa.spi_r = m.header.responder_spi;
  ctx.sa.nr = nr->data;
  if (auto s = DeriveAll(ctx.sa, *ke_, ke_p->data); !s) return fail(s.error().message);
  ke_.reset();
  ApplyNat(ctx.sa, CheckNatd(m, ctx.sa.local, ctx.sa.remote), ctx.conn.force_encapsulation);
  if (ctx.sa.encap()) {
    ctx.sa.local.port = kNatTPort;
    ctx.sa.remote.port = kNatTPort;
  }
  ctx.host.Log(
      ctx.sa, "IKE_SA_INIT done",
      fmt::format("{}{}", ctx.sa.suite->Describe(), ctx.sa.encap() ? ", UDP-encapsulated (port 4500)" : ""));
  ctx.host.QueueTask(ctx.sa.id, std::make_unique<IkeAuth>());
  return TaskResult::kDone;
}

// --- Cookies ---------------------------------------------------------------------------------------

CookieJar::CookieJar(Rng& rng) : secret_(32) {
  rng.Fill(secret_.mutable_view());
}

wire::Bytes CookieJar::Make(wire::ByteView ni, const net::IpAddress& ip, std::uint64_t spi_i) const {
  wire::Bytes data(ni.begin(), ni.end());
  data.insert(data.end(), ip.bytes(), ip.bytes() + (ip.is_v4() ? 4 : 16));
  for (int s = 56; s >= 0; s -= 8) data.push_back(static_cast<std::uint8_t>(spi_i >> s));
  wire::Bytes out{version_};
  auto prf = crypto::Prf::Create(crypto::PrfId::kHmacSha2_256);
  if (!prf) return out;
  auto mac = (*prf)->Compute(secret_.view(), data);
  if (mac) out.insert(out.end(), mac->view().begin(), mac->view().end());
  return out;
}

bool CookieJar::Check(wire::ByteView cookie, wire::ByteView ni, const net::IpAddress& ip,
                      std::uint64_t spi_i) const {
  wire::Bytes expect = Make(ni, ip, spi_i);
  return SecretBytes(cookie) == SecretBytes(std::span<const std::uint8_t>(expect));
}

// --- Responder -------------------------------------------------------------------------------------

wire::Bytes InitNotifyResponse(const wire::Header& request, wire::NotifyType type, wire::Bytes data) {
  wire::Message m;
  m.header.initiator_spi = request.initiator_spi;
  m.header.responder_spi = 0;  // §2.6 / §1.2: no state kept, so no SPI
  m.header.exchange = wire::ExchangeType::kIkeSaInit;
  m.header.response = true;
  m.header.message_id = 0;
  m.payloads.push_back(Notify(type, std::move(data)));
  auto bytes = wire::SerializeMessage(m);
  return bytes ? std::move(*bytes) : wire::Bytes{};
}

InitReply RespondIkeInit(TaskHost& host, const ConnectionConfig& conn, std::unique_ptr<sa::IkeSa> sa,
                         const wire::Message& request, wire::ByteView raw) {
  InitReply reply;
  const auto* sa_p = request.Find<wire::SaPayload>(wire::PayloadType::kSa);
  const auto* ke_p = request.Find<wire::KePayload>(wire::PayloadType::kKe);
  const auto* ni = request.Find<wire::NoncePayload>(wire::PayloadType::kNonce);
  if (!sa_p || !ke_p || !ni) return reply;
  if (ni->data.size() < wire::kMinNonceSize || ni->data.size() > wire::kMaxNonceSize) {
    reply.response = InitNotifyResponse(request.header, wire::NotifyType::kInvalidSyntax, {});
    return reply;
  }
  sa::SelectOptions opt;
  opt.received_ke = static_cast<crypto::KeGroup>(ke_p->group);
  auto sel = sa::SelectIkeProposal(sa_p->proposals, conn.ike_proposals, opt);
  if (!sel) {
    host.Log(*sa, "IKE_SA_INIT refused", fmt::format("NO_PROPOSAL_CHOSEN: {}", sel.error().message));
    reply.response = InitNotifyResponse(request.header, wire::NotifyType::kNoProposalChosen, {});
    return reply;
  }
  if (auto want = sa::KeGroupToRequest(sel->suite.ke, ke_p->group)) {
    host.Log(*sa, "IKE_SA_INIT refused", fmt::format("INVALID_KE_PAYLOAD: want {}", sa::KeName(*want)));
    reply.response =
        InitNotifyResponse(request.header, wire::NotifyType::kInvalidKePayload,
                           wire::NotifyPayload::InvalidKe(static_cast<std::uint16_t>(*want)).data);
    return reply;
  }
  auto ke = crypto::KeyExchange::Create(sel->suite.ke);
  if (!ke) return reply;
  sa->suite = sel->suite;
  sa->spi_i = request.header.initiator_spi;
  sa->ni = ni->data;
  sa->nr = RandomBytes(host.rng(), host.engine_config().nonce_size);
  sa->init_request.assign(raw.begin(), raw.end());
  if (auto s = DeriveAll(*sa, **ke, ke_p->data); !s) {
    host.Log(*sa, "IKE_SA_INIT refused", s.error().message);
    reply.response = InitNotifyResponse(request.header, wire::NotifyType::kInvalidSyntax, {});
    return reply;
  }
  ApplyNat(*sa, CheckNatd(request, sa->local, sa->remote), conn.force_encapsulation);

  wire::Message m;
  m.header.initiator_spi = sa->spi_i;
  m.header.responder_spi = sa->spi_r;
  m.header.exchange = wire::ExchangeType::kIkeSaInit;
  m.header.response = true;
  m.header.message_id = 0;
  m.payloads.push_back(wire::Payload::Of(wire::SaPayload{{sel->suite.ToWire(sel->number, {})}}));
  auto pub = (*ke)->PublicValue();
  m.payloads.push_back(wire::Payload::Of(
      wire::KePayload{static_cast<std::uint16_t>(sel->suite.ke), {pub.begin(), pub.end()}}));
  m.payloads.push_back(wire::Payload::Of(wire::NoncePayload{sa->nr}));
  for (auto& n :
       NatdNotifies(sa->spi_i, sa->spi_r, sa->local, sa->remote, conn.force_encapsulation, host.rng())) {
    m.payloads.push_back(std::move(n));
  }
  auto bytes = wire::SerializeMessage(m);
  if (!bytes) return reply;
  sa->init_response = *bytes;
  host.Log(*sa, "IKE_SA_INIT answered",
           fmt::format("{}{}", sa->suite->Describe(), sa->encap() ? ", NAT detected or forced" : ""));
  reply.response = std::move(*bytes);
  reply.sa = std::move(sa);
  return reply;
}

}  // namespace isthmus::ike::tasks
