// The engine's time-driven half: retransmissions, liveness checks, rekeys, lifetimes, reconnects,
// removal of dead SAs, and the status snapshot.
#include <algorithm>
#include <map>
#include <string_view>

#include <fmt/format.h>

#include "ike/engine/engine.h"
#include "ike/tasks/child_create.h"
#include "ike/tasks/child_setup.h"
#include "ike/tasks/delete.h"
#include "ike/tasks/ike_rekey.h"

namespace isthmus::ike {

void Engine::Tick(TimePoint now) {
  Enter(now);
  std::vector<std::uint64_t> ids;
  for (const auto& [id, rec] : sas_) ids.push_back(id);
  for (std::uint64_t id : ids) {
    if (SaRecord* rec = Find(id)) TickSa(*rec);
  }
  for (auto& [name, rt] : connections_) {
    if (rt.wanted && now_ >= rt.reconnect_at) {
      rt.reconnect_at = TimePoint::max();
      LogConnection(*rt.config, "reconnecting", "reconnect delay passed");
      (void)StartConnection(rt);
    }
  }
  FinishInput();
}

TimePoint Engine::LastActivity(const sa::IkeSa& s) const {
  TimePoint last = s.last_inbound;
  for (const auto& c : s.children) {
    if (auto u = installer_.QueryUsage(c.inbound_spi, ipsec::Direction::kInbound); u && u->last_used > last) {
      last = u->last_used;
    }
  }
  return last;
}

void Engine::TickSa(SaRecord& rec) {
  sa::IkeSa& s = *rec.sa;
  if (s.state == sa::IkeSaState::kDead || !rec.conn) return;
  const ConnectionConfig& conn = *rec.conn;
  auto ctx = Ctx(rec);
  auto send = [this](const sa::IkeSa& x, const wire::Bytes& b) { SendOn(x, b); };
  auto dead = [&](std::string why) {
    s.last_error = std::move(why);
    Log(s, "IKE SA dead", s.last_error);
    s.state = sa::IkeSaState::kDead;
  };
  const auto dpd_s = std::chrono::duration_cast<std::chrono::seconds>(conn.dpd_timeout).count();
  if (now_ >= PeerDeadline(rec)) {  // before OnTimer: no retransmission at the deadline
    dead(fmt::format("no packet from the peer for dpd_timeout ({} s): dead peer (RFC 7296 §2.4)", dpd_s));
    return;
  }
  const bool checking = rec.tm->active() && rec.tm->active()->kind() == tasks::TaskKind::kDpd;
  if (rec.tm->OnTimer(ctx, send) == tasks::TaskManager::TimerResult::kGaveUp) {
    dead(checking ? fmt::format("no answer to the liveness check within dpd_timeout ({} s): dead peer "
                                "(RFC 7296 §2.4)",
                                dpd_s)
                  : "peer did not answer (retransmissions exhausted)");
    return;
  }
  switch (s.state) {
    case sa::IkeSaState::kConnecting:
      if (now_ >= s.expire_at && !rec.tm->active()) {
        s.last_error = "half-open IKE SA timed out";
        Log(s, "IKE SA dead", s.last_error);
        s.state = sa::IkeSaState::kDead;
        return;
      }
      Kick(rec);
      return;
    case sa::IkeSaState::kRekeyed:
    case sa::IkeSaState::kDeleting: {
      // Waits for the peer's (or our) Delete; never forever.
      const TimePoint limit = now_ + config_.half_open_timeout;
      if (s.expire_at > limit) s.expire_at = limit;
      if (now_ >= s.expire_at && !rec.tm->active()) {
        if (s.redundant) {
          // Its initiator should have deleted it (simultaneous initiation); we do.
          s.redundant = false;
          s.expire_at = limit;
          if (!rec.tm->HasTask(tasks::TaskKind::kDelete)) {
            rec.tm->Queue(
                std::make_unique<tasks::IkeDelete>("redundant: both ends initiated at once (the "
                                                   "peer did not delete it)"));
          }
        } else {
          s.state = sa::IkeSaState::kDead;
        }
      }
      Kick(rec);
      return;
    }
    case sa::IkeSaState::kEstablished:
      break;
    case sa::IkeSaState::kDead:
      return;
  }
  if (now_ >= s.expire_at) {
    s.expire_at = TimePoint::max();
    s.rekey_at = TimePoint::max();
    if (!rec.tm->HasTask(tasks::TaskKind::kDelete)) {
      rec.tm->Queue(std::make_unique<tasks::IkeDelete>("hard lifetime reached"));
    }
  } else if (now_ >= s.rekey_at) {
    s.rekey_at = TimePoint::max();
    if (!rec.tm->HasTask(tasks::TaskKind::kIkeRekey)) rec.tm->Queue(std::make_unique<tasks::IkeRekey>());
  }
  for (auto& c : s.children) {
    if (c.state != sa::ChildSaState::kInstalled) continue;
    if (now_ >= c.expire_at) {
      c.expire_at = TimePoint::max();
      c.rekey_at = TimePoint::max();
      if (!rec.tm->HasTask(tasks::TaskKind::kDelete, c.id)) {
        rec.tm->Queue(std::make_unique<tasks::ChildDelete>(c.id, "hard lifetime reached"));
      }
    } else if (now_ >= c.rekey_at) {
      c.rekey_at = TimePoint::max();
      if (!rec.tm->HasTask(tasks::TaskKind::kChildRekey, c.id)) {
        rec.tm->Queue(std::make_unique<tasks::ChildRekey>(c.id));
      }
    }
  }
  if (now_ >= s.next_keepalive) SendKeepalive(s);
  // §2.4 liveness: only when nothing else is in flight (any exchange proves liveness too).
  if (conn.dpd_timeout > Duration::zero() && rec.tm->idle() &&
      now_ - LastActivity(s) >= tasks::DpdStartAfter(conn.dpd_timeout)) {
    rec.tm->Queue(std::make_unique<tasks::Dpd>(tasks::DpdRetransmitPolicy(conn.dpd_timeout)));
  }
  Kick(rec);
}

TimePoint Engine::PeerDeadline(const SaRecord& rec) const {
  // Azure's semantics: dead once dpd_timeout passed without a packet from the peer. Only while a
  // request of ours waits for an answer: an idle SA first sends its liveness check.
  const Duration t = rec.conn ? rec.conn->dpd_timeout : Duration::zero();
  if (t <= Duration::zero() || rec.sa->state != sa::IkeSaState::kEstablished || !rec.tm->active()) {
    return TimePoint::max();
  }
  return LastActivity(*rec.sa) + t;
}

void Engine::SendKeepalive(sa::IkeSa& s) {
  // Skipped while ESP went out recently: that keeps the NAT mapping as well (RFC 3948 §4).
  TimePoint last_sent{};
  for (const auto& c : s.children) {
    if (auto u = installer_.QueryUsage(c.outbound_spi, ipsec::Direction::kOutbound);
        u && u->last_used > last_sent) {
      last_sent = u->last_used;
    }
  }
  if (now_ - last_sent >= config_.nat_keepalive) {
    outbox_.push_back(Datagram{s.local, s.remote, {0xff}});  // no non-ESP marker: RFC 3948 §2.3
    s.next_keepalive = now_ + config_.nat_keepalive;
  } else {
    s.next_keepalive = last_sent + config_.nat_keepalive;
  }
}

void Engine::Reap() {
  std::vector<std::uint64_t> dead;
  for (const auto& [id, rec] : sas_) {
    if (rec.sa->state == sa::IkeSaState::kDead) dead.push_back(id);
  }
  for (std::uint64_t id : dead) {
    SaRecord& rec = *Find(id);
    sa::IkeSa& s = *rec.sa;
    if (rec.conn) {
      auto ctx = Ctx(rec);
      rec.tm->AbortAll(ctx);
    }
    tasks::RemoveAllChildren(*this, s, s.last_error.empty() ? "IKE SA closed" : s.last_error);
    if (ConnectionRuntime* rt = Runtime(s.connection); rt && rt->ike_sa == id) {
      rt->ike_sa = 0;
      rt->last_error = s.last_error;
      if (rt->wanted && rt->config->initiates() && !s.deleted_by_peer) {
        rt->reconnect_at = now_ + (s.peer_answered_unknown ? Duration::zero() : rt->config->reconnect_delay);
      }
      Log(s, "connection down", s.last_error.empty() ? "IKE SA closed" : s.last_error);
    }
    if (ConnectionRuntime* rt = Runtime(s.connection)) rt->retired_retransmits += rec.tm->retransmit_counts();
    by_spi_.erase(s.local_spi());
    for (auto it = half_open_.begin(); it != half_open_.end();) {
      it = it->second == id ? half_open_.erase(it) : std::next(it);
    }
    sas_.erase(id);
  }
}

void Engine::OnSaEvents(TimePoint now, std::span<const ipsec::SaEvent> events) {
  Enter(now);
  for (const auto& e : events) {
    for (auto& [id, rec] : sas_) {
      sa::ChildSa* c = rec.sa->FindChild(e.child_sa_id);
      if (!c) continue;
      if (e.kind == ipsec::SaEventKind::kSoftExpire) c->rekey_at = std::min(c->rekey_at, now_);
      if (e.kind == ipsec::SaEventKind::kHardExpire) c->expire_at = std::min(c->expire_at, now_);
      break;
    }
  }
  Tick(now);
}

std::optional<TimePoint> Engine::NextWakeup() const {
  // Cached until the next input: the loop asks more than once per turn, and with hundreds of SAs the
  // walk is not free. Traffic can only move an idle deadline later, so a cached one is at worst early
  // (an extra Tick that finds nothing due).
  if (!wakeup_cache_) wakeup_cache_ = ComputeNextWakeup();
  return *wakeup_cache_;
}

std::optional<TimePoint> Engine::ComputeNextWakeup() const {
  TimePoint next = TimePoint::max();
  for (const auto& [id, rec] : sas_) {
    const sa::IkeSa& s = *rec.sa;
    next = std::min(next, rec.tm->next_timer());
    if (s.state == sa::IkeSaState::kDead) continue;
    if (rec.conn && rec.tm->startable()) next = std::min(next, now_);  // queued, nothing in flight: due now
    // Outside ESTABLISHED, expire_at only matters once the in-flight exchange is over (TickSa).
    if (s.state == sa::IkeSaState::kEstablished || !rec.tm->active()) next = std::min(next, s.expire_at);
    if (s.state != sa::IkeSaState::kEstablished) continue;
    next = std::min({next, s.rekey_at, s.next_keepalive});
    for (const auto& c : s.children) {
      if (c.state == sa::ChildSaState::kInstalled) next = std::min({next, c.rekey_at, c.expire_at});
    }
    // Idle: when the liveness check starts; waiting for an answer: when the peer counts as dead.
    if (rec.conn && rec.conn->dpd_timeout > Duration::zero() && rec.tm->idle()) {
      next = std::min(next, LastActivity(s) + tasks::DpdStartAfter(rec.conn->dpd_timeout));
    }
    next = std::min(next, PeerDeadline(rec));
  }
  for (const auto& [name, rt] : connections_) next = std::min(next, rt.reconnect_at);
  if (next == TimePoint::max()) return std::nullopt;
  return next;
}

ConnectionStatus Engine::StatusFor(const ConnectionRuntime& rt, const RetransmitCounts& live) const {
  ConnectionStatus st;
  st.name = rt.config->name;
  st.ike_rekeys = rt.ike_rekeys;
  st.child_rekeys = rt.child_rekeys;
  st.ike_retransmits = rt.retired_retransmits;
  st.ike_retransmits += live;
  st.last_error = rt.last_error;
  st.local = rt.config->local;
  st.remote = rt.config->remote;
  st.ike_lifetime = rt.config->ike_lifetime.hard;
  st.child_lifetime = rt.config->child_lifetime.hard;
  auto it = sas_.find(rt.ike_sa);
  if (it == sas_.end()) return st;
  const sa::IkeSa& s = *it->second.sa;
  st.state = s.state == sa::IkeSaState::kEstablished
                 ? ConnectionState::kConnected
                 : (s.state == sa::IkeSaState::kConnecting ? ConnectionState::kConnecting
                                                           : ConnectionState::kNotConnected);
  st.ike_spi_i = s.spi_i;
  st.ike_spi_r = s.spi_r;
  st.initiator = s.role == sa::IkeRole::kInitiator;
  st.ike_algorithms = s.suite ? s.suite->Describe() : "";
  st.local = s.local;
  st.remote = s.remote;
  st.udp_encapsulated = s.encap();
  st.established_at = s.established_at;
  if (!s.last_error.empty()) st.last_error = s.last_error;
  for (const auto& c : s.children) {
    ChildSaStatus cs;
    cs.id = c.id;
    cs.inbound_spi = c.inbound_spi;
    cs.outbound_spi = c.outbound_spi;
    cs.algorithms = c.suite.Describe();
    cs.local_prefixes = c.local_ts;
    cs.remote_prefixes = c.remote_ts;
    cs.established_at = c.established_at;
    cs.state = std::string(sa::ChildSaStateName(c.state));
    st.children.push_back(std::move(cs));
  }
  return st;
}

std::vector<ConnectionStatus> Engine::Snapshot() const {
  // One pass over the SAs, not one per connection.
  std::map<std::string_view, RetransmitCounts> live;
  for (const auto& [id, rec] : sas_) live[rec.sa->connection] += rec.tm->retransmit_counts();
  std::vector<ConnectionStatus> out;
  for (const auto& [name, rt] : connections_) {
    auto it = live.find(name);
    out.push_back(StatusFor(rt, it == live.end() ? RetransmitCounts{} : it->second));
  }
  return out;
}

std::optional<ConnectionStatus> Engine::SnapshotOf(std::string_view name) const {
  auto it = connections_.find(name);
  if (it == connections_.end()) return std::nullopt;
  RetransmitCounts live;
  for (const auto& [id, rec] : sas_) {
    if (rec.sa->connection == name) live += rec.tm->retransmit_counts();
  }
  return StatusFor(it->second, live);
}

}  // namespace isthmus::ike
