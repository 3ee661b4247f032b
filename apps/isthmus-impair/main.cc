// isthmus-impair: an emulated WAN link. An inline layer-2 forwarder between two TAP devices that
// carries every Ethernet frame from one to the other through a net::ImpairmentStage per direction
// (delay, jitter, loss, reordering, duplication per IPv4 destination prefix): the userspace stand-in for
// tc netem, which this kernel lacks (notes/this-machine.md).
//
//   isthmus-impair --a NAME [--a-netns PATH] --b NAME [--b-netns PATH] [--config FILE] [--status FILE]
//   isthmus-impair --create-persistent --a NAME [--a-netns PATH] --b NAME [--b-netns PATH]
//   isthmus-impair --config FILE --check
//
// Frames read from a pass the config's "a_to_b" stage and are written to b; frames from b pass "b_to_a"
// and go to a. --a-netns/--b-netns name the namespace of each device (an nsfs path: /run/netns/NAME);
// each TAP is attached if it exists, created otherwise. The run never changes a device's persistence:
// a device it created goes away when it exits, a persistent one stays (and loses carrier) until the
// next run attaches to it again. --create-persistent creates (or adopts) both as persistent devices and
// exits, for a caller that configures the links (addresses, bridge port, MTU) before the forwarder
// runs and keeps them across its restarts.
//
// SIGHUP re-reads --config (a bad file is reported and the running configuration kept); the status
// file (JSON, replaced atomically) is rewritten every second, on SIGUSR1 and at exit; SIGTERM/SIGINT
// exit cleanly. One thread, epoll, a timerfd at the earliest release: no polling.
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "base/clock.h"
#include "base/log.h"
#include "config.h"
#include "net/impair.h"
#include "platform/linux/epoll_poller.h"
#include "platform/linux/netns.h"
#include "platform/linux/tap.h"

namespace {

using namespace isthmus;
using impair_app::ImpairPlan;
using Json = nlohmann::json;

constexpr const char* kUsage =
    "usage: isthmus-impair --a NAME [--a-netns PATH] --b NAME [--b-netns PATH] [--config FILE] "
    "[--status FILE]\n"
    "       isthmus-impair --create-persistent --a NAME [--a-netns PATH] --b NAME [--b-netns PATH]\n"
    "       isthmus-impair --config FILE --check\n";

// Implementation choices (why, not spec values):
// Frames read per readiness of one device: bounded so that a busy direction cannot starve the other
// direction or the release timer for long (64 frames take tens of microseconds).
constexpr std::size_t kReadBatch = 64;
// A TAP without offloads hands over at most one MTU-sized frame; 64 KiB covers any MTU Linux allows.
constexpr std::size_t kFrameBuffer = 65536 + 64;
// Frames due this close to now leave with the ones due now: one timer wake-up serves a burst instead
// of one wake-up per frame, at a cost far below the millisecond delays emulated.
constexpr Duration kReleaseSlack = std::chrono::microseconds(100);
constexpr auto kStatusInterval = std::chrono::seconds(1);
// b_to_a's generator is seeded with seed ^ this, so the two directions draw different streams.
constexpr std::uint64_t kSecondStreamMix = 0x6a09e667f3bcc908ULL;

struct Options {
  std::string a, a_netns, b, b_netns, config, status;
  bool create_persistent = false, check = false;
};

// One direction of the link: frames from `from` through `stage` into `to`.
struct Direction {
  Direction(const char* n, platform::LinuxTap& f, platform::LinuxTap& t, std::uint64_t seed)
      : name(n), from(f), to(t), rng(seed) {}
  const char* name;
  platform::LinuxTap& from;
  platform::LinuxTap& to;
  SeededRng rng;  // the stage holds a reference: a Direction never moves
  std::optional<net::ImpairmentStage> stage;
  std::uint64_t read_errors = 0, write_errors = 0;
  std::string last_error;
};

class Link {
 public:
  static Result<std::unique_ptr<Link>> Create(platform::LinuxTap& a, platform::LinuxTap& b,
                                              const ImpairPlan& plan, std::uint64_t seed) {
    std::unique_ptr<Link> link(new Link(a, b, seed));
    for (auto [d, config] : {std::pair{&link->ab_, &plan.a_to_b}, {&link->ba_, &plan.b_to_a}}) {
      auto stage = net::ImpairmentStage::Create(*config, d->rng);
      if (!stage) return Fail(stage.error());
      d->stage.emplace(std::move(*stage));
    }
    return link;
  }

  Direction& a_to_b() { return ab_; }
  Direction& b_to_a() { return ba_; }
  std::uint64_t seed() const { return seed_; }

  // Both directions or neither: each configuration is validated before either is applied.
  Status Apply(const ImpairPlan& plan) {
    for (const auto* c : {&plan.a_to_b, &plan.b_to_a}) {
      if (auto s = net::ValidateConfig(*c); !s) return s;
    }
    (void)ab_.stage->Reconfigure(plan.a_to_b);
    (void)ba_.stage->Reconfigure(plan.b_to_a);
    if (plan.seed && *plan.seed != seed_) {
      seed_ = *plan.seed;
      ab_.rng = SeededRng(seed_);
      ba_.rng = SeededRng(seed_ ^ kSecondStreamMix);
    }
    return {};
  }

  void OnReadable(Direction& d, TimePoint now) {
    for (std::size_t i = 0; i < kReadBatch; ++i) {
      auto n = d.from.Read(buffer_);
      if (!n) {
        ++d.read_errors;
        Note(d, n.error().message);
        return;
      }
      if (*n == 0) return;
      const std::span<const std::uint8_t> frame(buffer_.data(), *n);
      if (d.stage->Submit(frame, now) == net::ImpairVerdict::kForwardNow) Send(d, frame);
    }
  }

  void Release(TimePoint now) {
    for (Direction* d : {&ab_, &ba_}) {
      d->stage->Due(now + kReleaseSlack, [&](std::span<const std::uint8_t> frame) { Send(*d, frame); });
    }
  }

  std::optional<TimePoint> NextDeadline() const {
    auto a = ab_.stage->NextDeadline(), b = ba_.stage->NextDeadline();
    if (!a || !b) return a ? a : b;
    return std::min(*a, *b);
  }

 private:
  Link(platform::LinuxTap& a, platform::LinuxTap& b, std::uint64_t seed)
      : ab_("a_to_b", a, b, seed),
        ba_("b_to_a", b, a, seed ^ kSecondStreamMix),
        seed_(seed),
        buffer_(kFrameBuffer) {}

  void Send(Direction& d, std::span<const std::uint8_t> frame) {
    if (auto s = d.to.Write(frame); !s) {
      ++d.write_errors;
      Note(d, s.error().message);
    }
  }
  // Logged when it changes, so a device that stays down does not flood the log.
  static void Note(Direction& d, const std::string& error) {
    if (error != d.last_error) spdlog::warn("{}: {}", d.name, error);
    d.last_error = error;
  }

  Direction ab_, ba_;
  std::uint64_t seed_;
  std::vector<std::uint8_t> buffer_;  // one frame at a time: a frame that waits is copied by its stage
};

Json CountersJson(const net::ImpairCounters& c) {
  return {{"submitted", c.submitted},
          {"passed", c.passed},
          {"droppedLoss", c.dropped_loss},
          {"droppedQueue", c.dropped_queue},
          {"duplicated", c.duplicated},
          {"reordered", c.reordered},
          {"bytes", c.bytes}};
}

Json ProfileJson(const net::ImpairProfile& p) {
  auto ms = [](Duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  return {{"delayMs", ms(p.delay)},
          {"jitterMs", ms(p.jitter)},
          {"lossPercent", p.loss * 100},
          {"reorderPercent", p.reorder * 100},
          {"duplicatePercent", p.duplicate * 100}};
}

Json DirectionJson(const Direction& d) {
  const net::ImpairmentStage& s = *d.stage;
  Json rules = Json::array();
  for (const auto& r : s.Rules()) {
    rules.push_back({{"prefix", r.destination ? r.destination->ToString() : "default"},
                     {"profile", ProfileJson(r.profile)},
                     {"counters", CountersJson(r.counters)},
                     {"queued", r.queued}});
  }
  return {{"from", d.from.name()},
          {"to", d.to.name()},
          {"total", CountersJson(s.total())},
          {"nonIpv4", CountersJson(s.non_ipv4())},
          {"queuedPackets", s.queued_packets()},
          {"queuedBytes", s.queued_bytes()},
          {"readErrors", d.read_errors},
          {"writeErrors", d.write_errors},
          {"lastError", d.last_error},
          {"rules", rules}};
}

struct Reloads {
  std::uint64_t ok = 0, failed = 0;
  std::string last_error;
};

Json StatusJson(Link& link, const Options& o, const Reloads& r) {
  auto leg = [](const platform::LinuxTap& t) {
    return Json{{"name", t.name()}, {"netns", t.netns()}, {"adopted", t.adopted()}};
  };
  return {{"pid", ::getpid()},
          {"time", std::time(nullptr)},
          {"a", leg(link.a_to_b().from)},
          {"b", leg(link.b_to_a().from)},
          {"config",
           {{"path", o.config}, {"loads", r.ok}, {"failedLoads", r.failed}, {"lastError", r.last_error}}},
          {"seed", link.seed()},
          {"a_to_b", DirectionJson(link.a_to_b())},
          {"b_to_a", DirectionJson(link.b_to_a())}};
}

// Replaced, never rewritten in place: a reader sees the old file or the new one.
void WriteStatus(const std::string& path, const Json& status) {
  if (path.empty()) return;
  const std::string tmp = path + ".tmp";
  bool ok;
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << status.dump(2) << "\n";
    ok = static_cast<bool>(f.flush());
  }
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0)
    spdlog::warn("cannot write the status file {}", path);
}

// Arms `timer` (a CLOCK_MONOTONIC timerfd, the steady clock's) for `next`, or disarms it; only when
// the earliest release changed.
void ArmTimer(int timer, std::optional<TimePoint> next, std::optional<TimePoint>& armed) {
  if (next == armed) return;
  itimerspec its{};
  if (next) {
    const auto ns = std::max<std::int64_t>(next->time_since_epoch().count(), 1);  // 0 would disarm
    its.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    its.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  }
  if (::timerfd_settime(timer, TFD_TIMER_ABSTIME, &its, nullptr) != 0)
    spdlog::error("timerfd_settime failed");
  armed = next;
}

Result<std::unique_ptr<platform::LinuxTap>> OpenLeg(const std::string& name, const std::string& netns,
                                                    bool persist) {
  auto tap = platform::LinuxTap::Open(name, {.netns = netns, .persist = persist});
  if (tap) {
    spdlog::info("{} tap {}{}{}", (*tap)->adopted() ? "attached to" : "created", name,
                 netns.empty() ? "" : " in ", netns);
  }
  return tap;
}

Result<ImpairPlan> InitialPlan(const std::string& path) {
  if (path.empty()) return ImpairPlan{};
  return impair_app::LoadImpairPlan(path);
}

int Check(const std::string& path) {
  auto plan = impair_app::LoadImpairPlan(path);
  if (!plan) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), plan.error().message.c_str());
    return 1;
  }
  std::printf("%s: OK, a_to_b %zu rule(s), b_to_a %zu rule(s)\n", path.c_str(), plan->a_to_b.rules.size(),
              plan->b_to_a.rules.size());
  return 0;
}

int Run(const Options& o) {
  // Before any thread (opening in a namespace starts one): the signals are read from a signalfd.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGHUP, SIGUSR1, SIGTERM, SIGINT}) sigaddset(&signals, s);
  ::sigprocmask(SIG_BLOCK, &signals, nullptr);

  if (o.create_persistent) {
    for (auto [name, netns] : {std::pair{&o.a, &o.a_netns}, {&o.b, &o.b_netns}}) {
      auto tap = OpenLeg(*name, *netns, /*persist=*/true);
      if (!tap) {
        spdlog::error("{}", tap.error().message);
        return 1;
      }
    }
    spdlog::info("{} and {} are persistent", o.a, o.b);
    return 0;
  }

  auto plan = InitialPlan(o.config);
  if (!plan) {
    spdlog::error("{}", plan.error().message);
    return 2;
  }
  auto a = OpenLeg(o.a, o.a_netns, false);
  auto b = a ? OpenLeg(o.b, o.b_netns, false) : Result<std::unique_ptr<platform::LinuxTap>>(Fail(a.error()));
  if (!b) {
    spdlog::error("{}", b.error().message);
    return 1;
  }
  std::uint64_t seed = plan->seed.value_or(0);
  if (!plan->seed) OsRng().Fill({reinterpret_cast<std::uint8_t*>(&seed), sizeof seed});
  auto link = Link::Create(**a, **b, *plan, seed);
  if (!link) {
    spdlog::error("{}", link.error().message);
    return 2;
  }
  auto poller = platform::EpollPoller::Create();
  if (!poller) {
    spdlog::error("{}", poller.error().message);
    return 1;
  }
  platform::UniqueFd timer(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  platform::UniqueFd sigfd(::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!timer || !sigfd) {
    spdlog::error("timerfd/signalfd: {}", std::strerror(errno));
    return 1;
  }

  SteadyClock clock;
  bool stop = false, reload = false, dump = false;
  Link& l = **link;
  Status watched = (*poller)->Watch((*a)->fd(), [&] { l.OnReadable(l.a_to_b(), clock.Now()); });
  if (watched) watched = (*poller)->Watch((*b)->fd(), [&] { l.OnReadable(l.b_to_a(), clock.Now()); });
  if (watched) {
    watched = (*poller)->Watch(timer.get(), [&] {
      std::uint64_t expirations;
      [[maybe_unused]] auto n = ::read(timer.get(), &expirations, sizeof expirations);
    });
  }
  if (watched) {
    watched = (*poller)->Watch(sigfd.get(), [&] {
      signalfd_siginfo si;
      while (::read(sigfd.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        const int s = static_cast<int>(si.ssi_signo);
        (s == SIGHUP ? reload : s == SIGUSR1 ? dump : stop) = true;
      }
    });
  }
  if (!watched) {
    spdlog::error("{}", watched.error().message);
    return 1;
  }

  Reloads reloads;
  reloads.ok = o.config.empty() ? 0 : 1;
  spdlog::info("forwarding {} <-> {} (a_to_b {} rule(s), b_to_a {} rule(s), seed {})", o.a, o.b,
               plan->a_to_b.rules.size(), plan->b_to_a.rules.size(), seed);
  std::optional<TimePoint> armed;
  TimePoint next_status = clock.Now();
  while (!stop) {
    TimePoint now = clock.Now();
    l.Release(now);
    ArmTimer(timer.get(), l.NextDeadline(), armed);
    if (reload) {
      reload = false;
      auto next = impair_app::LoadImpairPlan(o.config);
      Status applied = next ? l.Apply(*next) : Status(Fail(next.error()));
      if (applied) {
        ++reloads.ok;
        reloads.last_error.clear();
        spdlog::info("SIGHUP: reloaded {}", o.config);
      } else {
        ++reloads.failed;
        reloads.last_error = applied.error().message;
        spdlog::error("SIGHUP: {} — keeping the running configuration", applied.error().message);
      }
      dump = true;
    }
    if (dump || now >= next_status) {
      dump = false;
      WriteStatus(o.status, StatusJson(l, o, reloads));
      next_status = now + kStatusInterval;
    }
    if (auto r = (*poller)->RunOnce(next_status - now); !r) {
      spdlog::error("{}", r.error().message);
      return 1;
    }
  }
  WriteStatus(o.status, StatusJson(l, o, reloads));
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  const std::map<std::string, std::string*> values = {{"--a", &o.a},           {"--a-netns", &o.a_netns},
                                                      {"--b", &o.b},           {"--b-netns", &o.b_netns},
                                                      {"--config", &o.config}, {"--status", &o.status}};
  const std::map<std::string, bool*> switches = {{"--create-persistent", &o.create_persistent},
                                                 {"--check", &o.check}};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (auto v = values.find(arg); v != values.end() && i + 1 < argc) {
      *v->second = argv[++i];
    } else if (auto sw = switches.find(arg); sw != switches.end()) {
      *sw->second = true;
    } else {
      std::fprintf(stderr, "%s %s\n%s", v != values.end() ? "a value is missing after" : "unknown argument",
                   arg.c_str(), kUsage);
      return 2;
    }
  }
  if (o.check && !o.config.empty()) return Check(o.config);
  if (o.check || o.a.empty() || o.b.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  isthmus::log::Init("isthmus-impair");
  return Run(o);
}
