// Two IKE engines over a simulated wire on a manual clock (DESIGN.md §8): the wire can drop, reorder
// (random extra delay), duplicate and corrupt datagrams by seeded probability, or by explicit rule
// ("drop the 2nd message from A"). Everything is deterministic for a given seed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "ike/engine/engine.h"
#include "ipsec/recording_sa_installer.h"

namespace isthmus::ike::testing {

using namespace std::chrono_literals;

struct WireFaults {
  double drop = 0;
  double duplicate = 0;
  double corrupt = 0;
  double reorder = 0;  // probability of an extra delay of up to `reorder_delay`
  Duration reorder_delay = 300ms;
  Duration latency = 10ms;
};

// A datagram as the wire saw it: who sent it (0 = A, 1 = B) and its index among that side's sends.
struct WireEvent {
  int from_side = 0;
  int index = 0;  // 1-based per sender
  Datagram datagram;
};

class SimulatedWire {
 public:
  explicit SimulatedWire(std::uint64_t seed) : rng_(seed) {}
  WireFaults faults;
  // Explicit rule: return true to drop. Called for every datagram before the random faults.
  std::function<bool(const WireEvent&)> drop_rule;
  // A NAT in front of side A: when set, A's datagrams leave with this source port (as B sees them) and
  // datagrams to that port reach A's 4500. Changing it mid-run is a NAT mapping that changed.
  std::optional<std::uint16_t> nat_a_port;
  // Explicit rule: return true to cut the wire entirely (a vanished peer) for datagrams from a side.
  bool cut[2] = {false, false};

  void Send(TimePoint now, int from_side, Datagram d);
  // The next datagram due at or before `now`, if any.
  std::optional<WireEvent> Pop(TimePoint now);
  std::optional<TimePoint> NextDelivery() const;
  std::vector<WireEvent> sent;  // everything offered to the wire, in order
  int sent_by[2] = {0, 0};

 private:
  double Uniform();
  struct InFlight {
    TimePoint at;
    std::uint64_t seq;
    WireEvent ev;
  };
  SeededRng rng_;
  std::vector<InFlight> flight_;
  std::uint64_t seq_ = 0;
};

struct Side {
  Side(std::string n, std::uint64_t seed, std::uint32_t first_spi)
      : name(std::move(n)), rng(seed), installer(first_spi) {}
  std::string name;
  SeededRng rng;
  ipsec::RecordingSaInstaller installer;
  std::unique_ptr<Engine> engine;
  std::vector<LogLine> log;
};

// Connection settings both sides share; each side's config is derived from it.
struct Scenario {
  std::string ike = "aes256gcm16-prfsha256-ecp256";
  std::string esp = "aes256gcm16";
  std::string a_ike, b_ike, a_esp, b_esp;  // per-side overrides (empty: the shared value)
  std::string psk = "correct horse battery staple";
  std::string b_psk;  // override for B
  std::vector<std::string> a_local = {"10.1.0.0/16"};
  std::vector<std::string> a_remote = {"10.2.0.0/16"};
  std::vector<std::string> b_local = {"10.2.0.0/16"};
  std::vector<std::string> b_remote = {"10.1.0.0/16"};
  ConnectionMode a_mode = ConnectionMode::kInitiator;
  ConnectionMode b_mode = ConnectionMode::kResponder;
  Duration dpd = 0s;
  LifetimeConfig ike_life;
  LifetimeConfig child_life;
  std::optional<LifetimeConfig> b_ike_life;  // per-side overrides for B
  std::optional<LifetimeConfig> b_child_life;
  bool force_encap = false;
  Duration reconnect_delay = 5s;
  EngineConfig engine;  // shared engine config
  std::size_t b_cookie_threshold = 64;
};

inline constexpr char kAddrA[] = "198.18.0.1";
inline constexpr char kAddrB[] = "198.18.0.2";

ConnectionConfig MakeConnection(const Scenario& s, bool side_a);

class EnginePair {
 public:
  explicit EnginePair(Scenario s, std::uint64_t seed = 1);
  // Several connections per side (reload tests). Connections between the same two addresses need
  // distinct IDs: a responder picks the connection by the initiator's IDi.
  EnginePair(std::vector<ConnectionConfig> a_connections, std::vector<ConnectionConfig> b_connections,
             EngineConfig engine = {}, std::uint64_t seed = 1);

  Side a;
  Side b;
  ManualClock clock;
  SimulatedWire wire;
  Scenario scenario;

  // Called after every input an engine takes (Receive, Tick) and its outbox is on the wire: invariants
  // that must hold between any two events, not only at the end.
  std::function<void()> after_input;

  Side& side(int i) { return i == 0 ? a : b; }
  // Moves outboxes onto the wire, delivers what is due, ticks engines, advancing the clock to the next
  // event, until `done` holds or `limit` of simulated time passes. Returns whether `done` held.
  bool RunUntil(const std::function<bool()>& done, Duration limit);
  // Runs for `d` of simulated time.
  void RunFor(Duration d);
  bool Connected(const Side& s) const;
  ConnectionStatus StatusOf(const Side& s) const;
  std::string DumpLogs() const;

 private:
  void Step(TimePoint until, const std::function<bool()>& done);
  void Drain();
};

// Every installed outbound SA of one side has an installed inbound SA with the same SPI and keys on
// the other, and vice versa. Returns an explanation on mismatch, empty on success.
std::string CheckCrosswise(const ipsec::RecordingSaInstaller& x, const ipsec::RecordingSaInstaller& y);

}  // namespace isthmus::ike::testing
