// A task is one unit of IKE work (STYLE.md "IKE as tasks"): one exchange, built and processed for both
// roles. As requester a task builds the request's payloads and processes the response; as responder
// the same class's static Respond() turns a request into the response's payloads. The task manager
// (task_manager.h) owns message IDs, the window, retransmission and protection; tasks see payloads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "ike/engine/types.h"
#include "ike/sa/ike_sa.h"
#include "ike/wire/wire.h"
#include "ipsec/sa_installer.h"

namespace isthmus::ike::tasks {

class Task;

// What tasks may use of the engine: time, randomness, the installer, logging and the SA table.
// Implemented by the engine; tests can implement it too.
class TaskHost {
 public:
  virtual ~TaskHost() = default;
  virtual TimePoint now() const = 0;
  virtual Rng& rng() = 0;
  virtual ipsec::SaInstaller& installer() = 0;
  virtual const EngineConfig& engine_config() const = 0;
  // One line per state change: never a key.
  virtual void Log(const sa::IkeSa& sa, std::string what, std::string why) = 0;
  virtual std::uint64_t NewChildId() = 0;
  virtual std::uint64_t NewIkeSpi() = 0;  // unused by any local IKE SA, never 0
  virtual const ConnectionConfig* FindConnection(std::string_view name) const = 0;
  // The responder's choice of connection for an IKE_AUTH request: local/remote addresses and the
  // peer's ID must match; nullptr if none does.
  virtual const ConnectionConfig* FindConnectionForPeer(const Endpoint& local, const Endpoint& remote,
                                                        const wire::IdPayload& peer_id) const = 0;
  // IKE rekey: the engine takes the new SA into its table (with a fresh task manager).
  virtual sa::IkeSa& AdoptIkeSa(std::unique_ptr<sa::IkeSa> sa) = 0;
  virtual sa::IkeSa* FindIkeSa(std::uint64_t id) = 0;
  virtual void QueueTask(std::uint64_t ike_sa_id, std::unique_ptr<Task> task) = 0;
  // The active requester task of an IKE SA, if any (collision checks, §2.8.1).
  virtual Task* ActiveTask(std::uint64_t ike_sa_id) = 0;
  // Removes queued tasks for which `pred` is true (e.g. a rekey of a CHILD SA the peer rekeys).
  virtual void DropQueuedTasks(std::uint64_t ike_sa_id, const std::function<bool(const Task&)>& pred) = 0;
  virtual void IkeSaEstablished(sa::IkeSa& sa) = 0;
  // §2.4 INITIAL_CONTACT: the peer has no other IKE SA with us; drop ours with it (without Deletes).
  virtual void InitialContact(sa::IkeSa& sa) = 0;
  virtual void ChildSaInstalled(sa::IkeSa& sa, sa::ChildSa& child) = 0;
};

struct TaskContext {
  TaskHost& host;
  sa::IkeSa& sa;
  const ConnectionConfig& conn;
};

enum class TaskResult : std::uint8_t {
  kDone,    // exchange complete
  kRetry,   // send a new request for the same task (IKE_SA_INIT after COOKIE / INVALID_KE_PAYLOAD)
  kFailed,  // the task failed; what that means for the SA is the task's to set (sa.state)
};

enum class TaskKind : std::uint8_t {
  kIkeInit,
  kIkeAuth,
  kChildCreate,
  kChildRekey,
  kIkeRekey,
  kDelete,
  kDpd
};

class Task {
 public:
  virtual ~Task() = default;
  virtual TaskKind kind() const = 0;
  virtual wire::ExchangeType exchange() const = 0;
  // Requester: the request's payloads (inside SK except for IKE_SA_INIT). An error aborts the task.
  virtual Result<std::vector<wire::Payload>> Build(TaskContext& ctx) = 0;
  // Requester: the peer's response, decrypted and verified.
  virtual TaskResult Process(TaskContext& ctx, const wire::Message& response) = 0;
  // The exchange was given up or the SA is going away: release what Build reserved.
  virtual void Abort(TaskContext& /*ctx*/) {}
  // The CHILD SA this task is about, if any (for collision handling and dropping queued work).
  virtual std::uint64_t child_id() const { return 0; }
  // A retransmission schedule of its own (liveness checks), instead of the engine's RetransmitPolicy.
  virtual std::optional<RetransmitPolicy> retransmit_policy() const { return std::nullopt; }
  // §2.8.1 collisions: while this task rekeys something, we answered the peer's rekey of the same SA;
  // `min_nonce` is the lowest nonce of that exchange, `created` the SA it created (IKE SA id or CHILD id).
  virtual void NotePeerRekey(const wire::Bytes& /*min_nonce*/, std::uint64_t /*created*/) {}
};

// Helpers shared by the tasks.
wire::Payload Notify(wire::NotifyType type, wire::Bytes data = {});
std::vector<wire::Payload> ErrorResponse(wire::NotifyType type, wire::Bytes data = {});
wire::Bytes RandomBytes(Rng& rng, std::size_t n);
wire::Bytes Spi32(std::uint32_t spi);
wire::Bytes Spi64(std::uint64_t spi);
// Compares nonces as unsigned big-endian octet strings of possibly different length (§2.8.1 "lowest").
bool NonceLess(wire::ByteView a, wire::ByteView b);
const wire::Bytes& MinNonce(const wire::Bytes& a, const wire::Bytes& b);
// RFC 7296 §1.2/§2.7: adopt the group an INVALID_KE_PAYLOAD asks for, if we offered it, so the caller can
// retry with a new key share. Fails after `max_retries` retries or for a group we did not offer.
Result<crypto::KeGroup> AdoptRequestedGroup(const wire::NotifyPayload& n,
                                            std::vector<sa::Proposal>& proposals, crypto::KeGroup& group,
                                            int& retries, int max_retries);

}  // namespace isthmus::ike::tasks
