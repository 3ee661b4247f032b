#include "ike/engine/engine.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ike/sa/proposal_selection.h"
#include "ike/tasks/child_create.h"
#include "ike/tasks/child_setup.h"
#include "ike/tasks/delete.h"
#include "ike/tasks/ike_auth.h"
#include "ike/tasks/ike_rekey.h"

namespace isthmus::ike {
namespace {

bool SameId(const wire::IdPayload& a, const wire::IdPayload& b) {
  return a.type == b.type && a.data == b.data;
}

}  // namespace

Engine::Engine(EngineConfig config, std::vector<ConnectionConfig> connections, Clock& clock, Rng& rng,
               ipsec::SaInstaller& installer)
    : config_(config), clock_(clock), rng_(rng), installer_(installer), now_(clock.Now()), cookies_(rng) {
  for (auto& c : connections) {
    ConnectionRuntime rt;
    std::string name = c.name;
    rt.config = std::make_shared<const ConnectionConfig>(std::move(c));
    connections_.emplace(std::move(name), std::move(rt));
  }
}

Engine::~Engine() = default;

// --- TaskHost ---------------------------------------------------------------------------------------

void Engine::Log(const sa::IkeSa& sa, std::string what, std::string why) {
  LogLine l{now_, sa.connection, sa.remote.ToString(), std::move(what), std::move(why)};
  spdlog::debug("ike #{} {}", sa.id, l.ToString());
  log_.push_back(std::move(l));
}

void Engine::LogConnection(const ConnectionConfig& c, std::string what, std::string why) {
  LogLine l{now_, c.name, c.remote.ToString(), std::move(what), std::move(why)};
  spdlog::debug("ike {}", l.ToString());
  log_.push_back(std::move(l));
}

std::uint64_t Engine::NewIkeSpi() {
  for (;;) {
    std::uint64_t spi = rng_.NextU64();
    if (spi != 0 && !by_spi_.contains(spi)) return spi;
  }
}

const ConnectionConfig* Engine::FindConnection(std::string_view name) const {
  auto it = connections_.find(name);
  return it == connections_.end() ? nullptr : it->second.config.get();
}

const ConnectionConfig* Engine::FindConnectionForPeer(const Endpoint& local, const Endpoint& remote,
                                                      const wire::IdPayload& peer_id) const {
  for (const auto& [name, rt] : connections_) {
    const auto& c = *rt.config;
    if (!c.responds() && !c.initiates()) continue;
    if (c.local.address == local.address && c.remote.address == remote.address &&
        SameId(c.remote_id, peer_id)) {
      return &c;
    }
  }
  return nullptr;
}

sa::IkeSa& Engine::AdoptIkeSa(std::unique_ptr<sa::IkeSa> s) {
  s->id = ++last_sa_id_;
  const std::uint64_t id = s->id;
  by_spi_[s->local_spi()] = id;
  auto conn_it = connections_.find(s->connection);
  SaRecord rec;
  rec.conn = conn_it != connections_.end() ? conn_it->second.config : nullptr;
  rec.tm = std::make_unique<tasks::TaskManager>(config_.retransmit);
  rec.sa = std::move(s);
  auto [it, _] = sas_.emplace(id, std::move(rec));
  // A rekeyed IKE SA starts its message IDs at zero in both directions (§2.18).
  return *it->second.sa;
}

sa::IkeSa* Engine::FindIkeSa(std::uint64_t id) {
  SaRecord* r = Find(id);
  return r ? r->sa.get() : nullptr;
}

Engine::SaRecord* Engine::Find(std::uint64_t id) {
  auto it = sas_.find(id);
  return it == sas_.end() ? nullptr : &it->second;
}

void Engine::QueueTask(std::uint64_t ike_sa_id, std::unique_ptr<tasks::Task> task) {
  SaRecord* r = Find(ike_sa_id);
  if (!r) return;
  r->tm->Queue(std::move(task));
  // Started before this input returns (KickQueued), not at the next unrelated timer: a task queued
  // from inside another exchange (the Delete of a redundant IKE SA after a rekey collision, §2.8.1)
  // is due now.
  to_kick_.insert(ike_sa_id);
}

void Engine::KickQueued() {
  while (!to_kick_.empty()) {
    const std::uint64_t id = *to_kick_.begin();
    to_kick_.erase(to_kick_.begin());
    if (SaRecord* r = Find(id); r && r->sa->state != sa::IkeSaState::kDead) Kick(*r);
  }
}

tasks::Task* Engine::ActiveTask(std::uint64_t ike_sa_id) {
  SaRecord* r = Find(ike_sa_id);
  return r ? r->tm->active() : nullptr;
}

void Engine::DropQueuedTasks(std::uint64_t ike_sa_id, const std::function<bool(const tasks::Task&)>& pred) {
  if (SaRecord* r = Find(ike_sa_id)) {
    auto ctx = Ctx(*r);
    r->tm->DropQueued(ctx, pred);
  }
}

void Engine::IkeSaEstablished(sa::IkeSa& s) {
  for (auto it = half_open_.begin(); it != half_open_.end();) {
    it = it->second == s.id ? half_open_.erase(it) : std::next(it);
  }
  if (s.established_at == TimePoint{}) s.established_at = now_;
  s.last_inbound = now_;
  if (s.nat_here && s.remote.port == kNatTPort) s.next_keepalive = now_ + config_.nat_keepalive;
  ConnectionRuntime* rt = Runtime(s.connection);
  if (SaRecord* r = Find(s.id); r && rt) r->conn = rt->config;  // the responder learns it in IKE_AUTH
  if (s.rekeys == 0) {
    Log(s, "IKE SA established",
        fmt::format("{}, {} {:016x}:{:016x}", s.suite ? s.suite->Describe() : "",
                    s.role == sa::IkeRole::kInitiator ? "initiator" : "responder", s.spi_i, s.spi_r));
    if (rt) {
      s.rekey_at = tasks::SoftDeadline(now_, rt->config->ike_lifetime, rng_);
      s.expire_at = tasks::HardDeadline(now_, rt->config->ike_lifetime);
    }
    to_resolve_.insert(s.id);  // a crossing initiation? Once this exchange is over (FinishInput)
  }
  if (rt) {
    rt->ike_sa = s.id;
    rt->reconnect_at = TimePoint::max();
    rt->last_error.clear();
    rt->ike_rekeys = std::max(rt->ike_rekeys, s.rekeys);
  }
}

void Engine::InitialContact(sa::IkeSa& s) {
  for (auto& [id, rec] : sas_) {
    // Only authenticated SAs of the same connection: a half-open SA's connection is a guess made in
    // IKE_SA_INIT (several connections may share the peer's address) until its IKE_AUTH names it.
    if (id == s.id || rec.sa->connection != s.connection || rec.sa->state == sa::IkeSaState::kDead ||
        !rec.sa->peer_authenticated) {
      continue;
    }
    // Ours, come up while this one was being set up: not a leftover the peer forgot but the other
    // half of a simultaneous initiation, which ResolveDuplicates settles the same way on both ends.
    if (rec.sa->role == sa::IkeRole::kInitiator && rec.sa->rekeys == 0 &&
        rec.sa->established_at >= s.created_at) {
      continue;
    }
    Log(*rec.sa, "IKE SA replaced", "peer sent INITIAL_CONTACT (RFC 7296 §2.4)");
    rec.sa->state = sa::IkeSaState::kDead;
    rec.sa->deleted_by_peer = true;
  }
}

namespace {

// Two IKE SAs of one connection, one initiated by each end, each set up (IKE_SA_INIT to IKE_AUTH)
// while the other was: both ends initiated at once. Rekeyed SAs never count (§2.8.1 handles those).
bool Crossed(const sa::IkeSa& x, const sa::IkeSa& y) {
  return x.role != y.role && x.rekeys == 0 && y.rekeys == 0 && x.created_at <= y.established_at &&
         y.created_at <= x.established_at;
}

// §2.8.1's rule for colliding rekeys, for colliding initiations: the SA whose IKE_SA_INIT carried the
// lowest of the four nonces is redundant. Both ends hold the same nonces, so both pick the same one
// without another message (equal nonces, which do not happen, fall back to the initiator SPIs).
bool RedundantOf(const sa::IkeSa& x, const sa::IkeSa& y) {
  const wire::Bytes& mx = tasks::MinNonce(x.ni, x.nr);
  const wire::Bytes& my = tasks::MinNonce(y.ni, y.nr);
  if (tasks::NonceLess(mx, my)) return true;
  if (tasks::NonceLess(my, mx)) return false;
  return x.spi_i < y.spi_i;
}

// Implementation choice: how long the end that did not initiate the redundant SA waits for its
// initiator's Delete before sending one itself (a peer that does not resolve duplicates this way).
constexpr auto kRedundantGrace = std::chrono::seconds(5);

}  // namespace

void Engine::ResolveDuplicates() {
  while (!to_resolve_.empty()) {
    const std::uint64_t id = *to_resolve_.begin();
    to_resolve_.erase(to_resolve_.begin());
    SaRecord* rec = Find(id);
    if (!rec || rec->sa->state != sa::IkeSaState::kEstablished) continue;
    for (auto& [other_id, other] : sas_) {
      const sa::IkeSa& o = *other.sa;
      if (other_id == id || o.connection != rec->sa->connection || o.state != sa::IkeSaState::kEstablished ||
          !o.peer_authenticated || !Crossed(*rec->sa, o)) {
        continue;
      }
      if (RedundantOf(*rec->sa, o)) {
        DropDuplicate(*rec, other);
        break;
      }
      DropDuplicate(other, *rec);
    }
  }
}

void Engine::DropDuplicate(SaRecord& redundant, const SaRecord& kept) {
  sa::IkeSa& r = *redundant.sa;
  const sa::IkeSa& k = *kept.sa;
  Log(r, "IKE SA redundant",
      fmt::format("both ends initiated at once; {:016x}:{:016x} stays (the lowest nonce loses, as for "
                  "colliding rekeys, RFC 7296 §2.8.1)",
                  k.spi_i, k.spi_r));
  if (ConnectionRuntime* rt = Runtime(r.connection)) rt->ike_sa = k.id;
  // Traffic moves to the kept SA's CHILD SAs at once; the redundant ones keep receiving until the
  // Delete is through (what the peer sent on them meanwhile still arrives).
  auto ctx = Ctx(redundant);
  for (auto& c : r.children) tasks::StopSending(ctx, c);
  r.state = sa::IkeSaState::kRekeyed;
  if (r.role == sa::IkeRole::kInitiator) {
    redundant.tm->Queue(std::make_unique<tasks::IkeDelete>("redundant: both ends initiated at once"));
    to_kick_.insert(r.id);
  } else {
    r.redundant = true;
    r.expire_at = now_ + kRedundantGrace;
  }
}

void Engine::ChildSaInstalled(sa::IkeSa& s, sa::ChildSa& child) {
  if (ConnectionRuntime* rt = Runtime(s.connection); rt && child.rekeys > 0) ++rt->child_rekeys;
  Log(s, "CHILD SA installed",
      fmt::format("in {:08x} out {:08x} {}", child.inbound_spi, child.outbound_spi, child.suite.Describe()));
}

void Engine::MoveChildren(const sa::IkeSa& s) {
  for (const auto& c : s.children) {
    ipsec::SaPathUpdate u;
    u.local_address = s.local.address;
    u.remote_address = s.remote.address;
    u.encap = ipsec::UdpEncap{s.encap(), s.local.port, s.remote.port};
    for (auto [spi, dir] : {std::pair{c.inbound_spi, ipsec::Direction::kInbound},
                            {c.outbound_spi, ipsec::Direction::kOutbound}}) {
      u.spi = spi;
      u.direction = dir;
      // A pending outbound SA (rekey responder) is not installed yet: it takes the IKE SA's path when it is.
      if (dir == ipsec::Direction::kOutbound && !c.sends()) continue;
      (void)installer_.UpdateSa(u);
    }
  }
}

// --- Sending ----------------------------------------------------------------------------------------

void Engine::SendRaw(const Endpoint& from, const Endpoint& to, wire::ByteView message) {
  Datagram d{from, to, {}};
  if (from.port == kNatTPort || to.port == kNatTPort) d.bytes.assign(kNonEspMarkerSize, 0);  // RFC 3948 §2.2
  d.bytes.insert(d.bytes.end(), message.begin(), message.end());
  outbox_.push_back(std::move(d));
}

void Engine::SendOn(const sa::IkeSa& s, const wire::Bytes& message) {
  SendRaw(s.local, s.remote, message);
}

void Engine::Kick(SaRecord& rec) {
  if (!rec.conn) return;
  auto ctx = Ctx(rec);
  rec.tm->Kick(ctx, [this](const sa::IkeSa& s, const wire::Bytes& m) { SendOn(s, m); });
}

// --- Receiving --------------------------------------------------------------------------------------

void Engine::Receive(TimePoint now, const Endpoint& local, const Endpoint& remote,
                     std::span<const std::uint8_t> bytes) {
  Enter(now);
  wire::ByteView msg = bytes;
  if (local.port == kNatTPort || remote.port == kNatTPort) {
    // RFC 3948 §2.2: IKE on port 4500 follows four zero octets; anything else is ESP, not ours.
    if (msg.size() < kNonEspMarkerSize || msg[0] || msg[1] || msg[2] || msg[3]) return;
    msg = msg.subspan(kNonEspMarkerSize);
  }
  if (msg.size() > kMaxIkeMessageSize) return;
  auto header = wire::ParseHeader(msg);
  if (!header) return;  // not IKEv2: drop silently
  if (header->exchange == wire::ExchangeType::kIkeSaInit && !header->response) {
    HandleInitRequest(local, remote, msg);
  } else {
    // The I flag says who sent it: from the original initiator, it is addressed to our responder SPI.
    const std::uint64_t ours = header->initiator ? header->responder_spi : header->initiator_spi;
    auto it = by_spi_.find(ours);
    if (it != by_spi_.end()) {
      if (SaRecord* rec = Find(it->second)) HandleMessage(*rec, local, remote, msg, *header);
    } else if (!header->response) {
      AnswerUnknownSpi(local, remote, *header, msg.size());
    }
  }
  FinishInput();
}

void Engine::HandleInitRequest(const Endpoint& local, const Endpoint& remote, wire::ByteView msg) {
  auto m = wire::ParseMessage(msg);
  if (!m || !wire::VerifyEnvelope(*m) || !wire::Verify(*m)) return;  // unauthenticated garbage: drop
  if (m->header.message_id != 0 || m->header.responder_spi != 0 || !m->header.initiator) return;
  auto key = std::make_pair(m->header.initiator_spi, remote.ToString());
  if (auto it = half_open_.find(key); it != half_open_.end()) {
    // §2.1: a retransmitted IKE_SA_INIT request gets the same response again.
    if (SaRecord* rec = Find(it->second);
        rec && rec->tm->CheckRequest(0, msg) == tasks::TaskManager::RequestCheck::kRetransmit) {
      SendRaw(local, remote, rec->tm->AnswerRetransmit());
    }
    return;
  }
  // Several connections may share the peer's address; IKE_AUTH binds the SA to the one named by IDi
  // (FindConnectionForPeer). Here, before the peer has said who it is, take the first of them whose
  // proposals accept the offer, else the first (which then answers NO_PROPOSAL_CHOSEN).
  const ConnectionRuntime* chosen = nullptr;
  const auto* offer = m->Find<wire::SaPayload>(wire::PayloadType::kSa);
  for (const auto& [name, rt] : connections_) {
    const auto& c = *rt.config;
    if (!c.responds() || c.local.address != local.address || c.remote.address != remote.address) continue;
    if (!chosen) chosen = &rt;
    if (offer && sa::SelectIkeProposal(offer->proposals, c.ike_proposals, {})) {
      chosen = &rt;
      break;
    }
  }
  if (!chosen) return;
  if (half_open_.size() >= config_.max_half_open) {
    ++init_dropped_;
    return;
  }
  const auto* ni = m->Find<wire::NoncePayload>(wire::PayloadType::kNonce);
  if (half_open_.size() >= config_.cookie_threshold) {
    // §2.6: under load, demand proof that the initiator receives at its address before keeping state.
    const auto& ps = m->payloads;
    const auto* first = ps.empty() ? nullptr : ps.front().As<wire::NotifyPayload>();
    const bool valid = first && first->type == wire::NotifyType::kCookie &&
                       cookies_.Check(first->data, ni->data, remote.address, m->header.initiator_spi);
    if (!valid) {
      ++cookies_sent_;
      SendRaw(local, remote,
              tasks::InitNotifyResponse(m->header, wire::NotifyType::kCookie,
                                        cookies_.Make(ni->data, remote.address, m->header.initiator_spi)));
      return;
    }
  }
  auto fresh = std::make_unique<sa::IkeSa>();
  fresh->connection = chosen->config->name;
  fresh->role = sa::IkeRole::kResponder;
  fresh->spi_r = NewIkeSpi();
  fresh->local = local;
  fresh->remote = remote;
  fresh->created_at = now_;
  fresh->expire_at = now_ + config_.half_open_timeout;
  tasks::InitReply reply = tasks::RespondIkeInit(*this, *chosen->config, std::move(fresh), *m, msg);
  if (reply.sa) {
    sa::IkeSa& s = AdoptIkeSa(std::move(reply.sa));
    half_open_[key] = s.id;
    Find(s.id)->tm->CacheResponse(0, msg, reply.response);
  }
  if (!reply.response.empty()) SendRaw(local, remote, reply.response);
}

void Engine::AnswerUnknownSpi(const Endpoint& local, const Endpoint& remote, const wire::Header& request,
                              std::size_t request_size) {
  // §2.21.4: we restarted (or deleted the SA) and the peer still uses it. Only requests of the exchanges
  // an IKE SA carries, only from the address of a configured peer, never larger than the request, and
  // at most kInvalidSpiPerSecond in all: no amplifier, and no reflector towards arbitrary addresses.
  constexpr std::uint32_t kInvalidSpiPerSecond = 5;  // implementation choice
  using wire::ExchangeType;
  if (request.initiator_spi == 0 ||
      (request.exchange != ExchangeType::kIkeAuth && request.exchange != ExchangeType::kCreateChildSa &&
       request.exchange != ExchangeType::kInformational)) {
    return;
  }
  const bool configured = std::any_of(connections_.begin(), connections_.end(), [&](const auto& kv) {
    return kv.second.config->local.address == local.address &&
           kv.second.config->remote.address == remote.address;
  });
  if (!configured) return;
  // The same SPIs and Message ID, the R flag, the I flag of the role we would have had; unprotected.
  wire::Message m;
  m.header = request;
  m.header.response = true;
  m.header.initiator = !request.initiator;
  m.header.version = false;
  m.payloads.push_back(tasks::Notify(wire::NotifyType::kInvalidIkeSpi));
  auto bytes = wire::SerializeMessage(m);
  if (!bytes || bytes->size() > request_size) return;  // never more than came in
  if (now_ - invalid_spi_window_ >= std::chrono::seconds(1)) {
    invalid_spi_window_ = now_;
    invalid_spi_in_window_ = 0;
  }
  if (invalid_spi_in_window_ >= kInvalidSpiPerSecond) return;
  ++invalid_spi_in_window_;
  spdlog::debug("ike {}: {} request for unknown IKE SA {:016x}:{:016x}, answered INVALID_IKE_SPI",
                remote.ToString(), wire::ExchangeName(request.exchange), request.initiator_spi,
                request.responder_spi);
  SendRaw(local, remote, *bytes);
}

void Engine::OnInvalidSpiHint(SaRecord& rec, const Endpoint& remote) {
  // §2.21.4: unauthenticated, so it changes no state of the SA: it only makes the request it answered
  // (our liveness check, or whatever kept one from starting) go out again sooner, at most once a
  // second, and, should the SA then die, the connection is initiated again without the reconnect
  // delay (something answers at the peer's address).
  constexpr auto kHintInterval = std::chrono::seconds(1);  // implementation choice
  sa::IkeSa& s = *rec.sa;
  if (s.state != sa::IkeSaState::kEstablished || remote != s.remote || now_ < s.next_hint) return;
  s.next_hint = now_ + kHintInterval;
  s.peer_answered_unknown = true;
  const Duration dpd = rec.conn->dpd_timeout;
  const Duration every =
      dpd > Duration::zero() ? tasks::DpdRetransmitPolicy(dpd).timeout : config_.retransmit.timeout;
  Log(s, "peer may have lost the IKE SA",
      "it answered INVALID_IKE_SPI (unauthenticated hint, RFC 7296 §2.21.4): liveness check sooner");
  rec.tm->RetransmitBy(now_ + std::min(every, config_.retransmit.timeout));
}

void Engine::HandleMessage(SaRecord& rec, const Endpoint& local, const Endpoint& remote, wire::ByteView msg,
                           const wire::Header& header) {
  sa::IkeSa& s = *rec.sa;
  if (s.state == sa::IkeSaState::kDead || !rec.conn) return;
  const bool init = header.exchange == wire::ExchangeType::kIkeSaInit;
  // Both SPIs must match, except the responder SPI of the IKE_SA_INIT response we are waiting for.
  if (header.initiator_spi != s.spi_i) return;
  if (!(init && header.response && s.spi_r == 0) && header.responder_spi != s.spi_r) return;
  // The I flag must say the peer's role (§3.1).
  if (header.initiator != (s.role == sa::IkeRole::kResponder)) return;

  if (header.response) {
    if (!rec.tm->active() || header.message_id != rec.tm->active_message_id() ||
        header.exchange != rec.tm->active()->exchange()) {
      return;  // not the answer we wait for: a late duplicate or forged
    }
  } else {
    switch (rec.tm->CheckRequest(header.message_id, msg)) {
      case tasks::TaskManager::RequestCheck::kRetransmit:
        if (init) return;  // IKE_SA_INIT retransmissions come through HandleInitRequest
        SendRaw(local, remote, rec.tm->AnswerRetransmit());
        return;
      case tasks::TaskManager::RequestCheck::kDrop:
        return;
      case tasks::TaskManager::RequestCheck::kNew:
        break;
    }
    if (init) return;
  }

  auto m = wire::ParseMessage(msg);
  if (!m) return;
  if (header.response && !init && !m->encrypted()) {
    // Unprotected, so never the answer itself; N(INVALID_IKE_SPI) alone is a hint (§2.21.4).
    if (m->payloads.size() == 1 && m->FindNotify(wire::NotifyType::kInvalidIkeSpi))
      OnInvalidSpiHint(rec, remote);
    return;
  }
  if (!wire::VerifyEnvelope(*m)) return;
  bool authenticated = false;
  std::optional<wire::WireError> inner_error;
  if (init) {
    if (s.state != sa::IkeSaState::kConnecting) return;
    s.init_response.assign(msg.begin(), msg.end());
  } else {
    if (!s.protector) return;
    const wire::EncryptedPayload* sk = m->encrypted();
    if (!sk) return;
    auto plain = s.protector->OpenMessage(msg, *sk);
    if (!plain) {
      if (plain.error().code != sa::kSkBadPadding) return;  // ICV failure or truncation: drop silently
      inner_error =
          wire::WireError{wire::NotifyType::kInvalidSyntax, wire::PayloadType::kEncrypted, 0, "bad padding"};
    } else {
      auto chain = wire::ParseInnerPayloads(sk->first_inner, *plain);
      if (!chain) {
        inner_error = chain.error();
      } else {
        m->inner = std::move(chain->payloads);
      }
    }
    authenticated = true;
  }
  if (!inner_error) {
    if (auto v = wire::Verify(*m); !v) inner_error = v.error();
  }
  if (authenticated) {
    s.last_inbound = now_;
    // §2.23: follow the peer to wherever its authenticated messages come from (NAT mappings change),
    // and move the CHILD SAs' ESP path with it.
    if (s.local != local || s.remote != remote) {
      const bool move_children = s.state == sa::IkeSaState::kEstablished && !s.children.empty();
      if (move_children) {
        Log(s, "peer moved",
            fmt::format("{} -> {} (NAT mapping changed?)", s.remote.ToString(), remote.ToString()));
      }
      s.local = local;
      s.remote = remote;
      if (move_children) MoveChildren(s);
    }
  }
  if (inner_error) {
    if (!header.response && authenticated && inner_error->notify != wire::NotifyType::kNone) {
      // §2.21.2 / §3.10.1: within a protected exchange a malformed request is answered with the notify
      // (INVALID_SYNTAX, UNSUPPORTED_CRITICAL_PAYLOAD); the SA itself is untouched.
      Log(s, "request refused", inner_error->ToString());
      wire::Bytes data;
      if (inner_error->notify == wire::NotifyType::kUnsupportedCriticalPayload) {
        data.push_back(static_cast<std::uint8_t>(inner_error->payload));
      }
      SendResponse(rec, header, msg, tasks::ErrorResponse(inner_error->notify, std::move(data)));
    }
    return;
  }
  if (header.response) {
    auto ctx = Ctx(rec);
    rec.tm->OnResponse(ctx, *m, [this](const sa::IkeSa& x, const wire::Bytes& b) { SendOn(x, b); });
    return;
  }
  HandleRequest(rec, *m, msg);
}

void Engine::HandleRequest(SaRecord& rec, wire::Message& m, wire::ByteView msg) {
  sa::IkeSa& s = *rec.sa;
  auto ctx = Ctx(rec);
  std::vector<wire::Payload> out;
  switch (m.header.exchange) {
    case wire::ExchangeType::kIkeAuth:
      if (s.role != sa::IkeRole::kResponder || m.header.message_id != 1) return;
      out = tasks::RespondIkeAuth(*this, s, m);
      break;
    case wire::ExchangeType::kCreateChildSa:
      if (s.state == sa::IkeSaState::kConnecting) return;
      out = tasks::IsIkeRekeyRequest(m) ? tasks::RespondIkeRekey(ctx, m) : tasks::RespondCreateChild(ctx, m);
      break;
    case wire::ExchangeType::kInformational:
      if (s.state == sa::IkeSaState::kConnecting) return;
      out = tasks::RespondInformational(ctx, m);
      break;
    default:
      return;
  }
  SendResponse(rec, m.header, msg, std::move(out));
  if (s.state != sa::IkeSaState::kDead) Kick(rec);
}

void Engine::SendResponse(SaRecord& rec, const wire::Header& request, wire::ByteView request_bytes,
                          std::vector<wire::Payload> payloads) {
  wire::Header h;
  h.initiator_spi = rec.sa->spi_i;
  h.responder_spi = rec.sa->spi_r;
  h.exchange = request.exchange;
  h.initiator = rec.sa->role == sa::IkeRole::kInitiator;
  h.response = true;
  h.message_id = request.message_id;
  auto ctx = Ctx(rec);
  auto bytes = tasks::SealMessage(ctx, h, payloads);
  if (!bytes) {
    Log(*rec.sa, "response not sent", bytes.error().message);
    return;
  }
  rec.tm->CacheResponse(request.message_id, request_bytes, *bytes);
  SendOn(*rec.sa, *bytes);
}

// --- Operator inputs --------------------------------------------------------------------------------

Engine::ConnectionRuntime* Engine::Runtime(std::string_view name) {
  auto it = connections_.find(name);
  return it == connections_.end() ? nullptr : &it->second;
}

Status Engine::StartConnection(ConnectionRuntime& rt) {
  const ConnectionConfig& c = *rt.config;
  if (!c.initiates())
    return Fail(Error::Invalid("ResponderOnly", fmt::format("connection {} only responds", c.name)));
  rt.wanted = true;
  rt.reconnect_at = TimePoint::max();
  // An SA whose Delete is in flight (a terminate just before this initiate) does not count: the
  // connection starts over at once rather than after the Delete's retransmissions.
  if (rt.ike_sa != 0) {
    const SaRecord* cur = Find(rt.ike_sa);
    if (cur && cur->sa->state != sa::IkeSaState::kDeleting && cur->sa->state != sa::IkeSaState::kDead)
      return {};
  }
  for (const auto& [id, rec] : sas_) {
    if (rec.sa->connection == c.name && rec.sa->state == sa::IkeSaState::kConnecting) return {};
  }
  auto fresh = std::make_unique<sa::IkeSa>();
  fresh->connection = c.name;
  fresh->role = sa::IkeRole::kInitiator;
  fresh->spi_i = NewIkeSpi();
  fresh->local = c.local;
  fresh->remote = c.remote;
  fresh->created_at = now_;
  fresh->expire_at = now_ + config_.half_open_timeout;
  sa::IkeSa& s = AdoptIkeSa(std::move(fresh));
  rt.ike_sa = s.id;
  Log(s, "initiating", "IKE_SA_INIT");
  SaRecord& rec = *Find(s.id);
  rec.tm->Queue(std::make_unique<tasks::IkeInit>());
  Kick(rec);
  return {};
}

Status Engine::Initiate(std::string_view name) {
  Enter(clock_.Now());
  ConnectionRuntime* rt = Runtime(name);
  if (!rt) return Fail(Error::NotFound("ConnectionNotFound", fmt::format("no connection {}", name)));
  auto s = StartConnection(*rt);
  FinishInput();
  return s;
}

void Engine::Start() {
  Enter(clock_.Now());
  for (auto& [name, rt] : connections_) {
    if (rt.config->initiates()) (void)StartConnection(rt);
  }
  FinishInput();
}

void Engine::TerminateConnection(ConnectionRuntime& rt, std::string_view why) {
  rt.wanted = false;
  rt.reconnect_at = TimePoint::max();
  for (auto& [id, rec] : sas_) {
    sa::IkeSa& s = *rec.sa;
    if (s.connection != rt.config->name) continue;
    if (s.state == sa::IkeSaState::kEstablished || s.state == sa::IkeSaState::kRekeyed) {
      auto ctx = Ctx(rec);
      rec.tm->AbortAll(ctx);
      rec.tm->Queue(std::make_unique<tasks::IkeDelete>(std::string(why)));
      Kick(rec);
    } else if (s.state == sa::IkeSaState::kConnecting) {
      s.state = sa::IkeSaState::kDead;
      s.last_error = std::string(why);
    }
  }
}

Status Engine::Terminate(std::string_view name) {
  Enter(clock_.Now());
  ConnectionRuntime* rt = Runtime(name);
  if (!rt) return Fail(Error::NotFound("ConnectionNotFound", fmt::format("no connection {}", name)));
  TerminateConnection(*rt, "terminated by operator");
  FinishInput();
  return {};
}

void Engine::SetDosLimits(std::size_t cookie_threshold, std::size_t max_half_open) {
  config_.cookie_threshold = cookie_threshold;
  config_.max_half_open = max_half_open;
}

void Engine::Reload(std::vector<ConnectionConfig> configs) {
  Enter(clock_.Now());
  std::set<std::string> seen;
  std::vector<std::string> to_start;
  for (auto& c : configs) {
    seen.insert(c.name);
    ConnectionRuntime* rt = Runtime(c.name);
    if (rt && rt->config->SameAs(c)) continue;  // untouched
    if (rt) TerminateConnection(*rt, "configuration changed");
    if (c.initiates()) to_start.push_back(c.name);
    auto cfg = std::make_shared<const ConnectionConfig>(std::move(c));
    if (rt) {
      rt->config = cfg;
      rt->ike_sa = 0;
    } else {
      ConnectionRuntime fresh;
      fresh.config = cfg;
      connections_.emplace(cfg->name, std::move(fresh));
    }
  }
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (seen.contains(it->first)) {
      ++it;
      continue;
    }
    TerminateConnection(it->second, "connection removed");
    it = connections_.erase(it);  // SA records keep their own reference to the old config
  }
  for (const auto& name : to_start) (void)StartConnection(*Runtime(name));
  FinishInput();
}

std::vector<Datagram> Engine::TakeOutbox() {
  return std::exchange(outbox_, {});
}
std::vector<LogLine> Engine::TakeLog() {
  return std::exchange(log_, {});
}

}  // namespace isthmus::ike
