// ike_rate: complete IKE SA establishments per second (IKE_SA_INIT + IKE_AUTH + first CHILD SA),
// engine-to-engine in one process: two ike::Engines, N connections initiated at once, datagrams handed
// straight from one engine's outbox to the other (no sockets), SAs recorded by RecordingSaInstaller.
// Prints SA/s, CPU per SA, and the share of the key-exchange limit (one KE keypair + one shared secret
// per side per SA, measured here with the same crypto library). A program that prints figures, not a
// test (STYLE.md "Tests").
//
//   ike_rate [N=500] [ROUNDS=3]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/clock.h"
#include "crypto/key_exchange.h"
#include "crypto/random.h"
#include "ike/engine/engine.h"
#include "ike/sa/proposal.h"
#include "ipsec/recording_sa_installer.h"

namespace {

using namespace isthmus;

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::vector<ike::ConnectionConfig> Connections(int n, bool side_a, const std::string& ike_prop) {
  const auto b = *net::IpAddress::Parse("198.19.0.1");
  std::vector<ike::ConnectionConfig> out;
  for (int i = 0; i < n; ++i) {
    // One initiator address per connection: the engine binds a responder SA to a connection by
    // addresses at IKE_SA_INIT, before it sees IDi (like N gateways dialling one hub).
    const auto a = *net::IpAddress::Parse(fmt::format("198.18.{}.{}", i / 250, i % 250 + 1));
    ike::ConnectionConfig c;
    c.name = fmt::format("c{}", i);
    c.local = {side_a ? a : b, ike::kIkePort};
    c.remote = {side_a ? b : a, ike::kIkePort};
    // Distinct identities: one IKE SA per connection (INITIAL_CONTACT would otherwise replace them).
    c.local_id = ike::wire::IdPayload::Fqdn(fmt::format("{}{}.bench", side_a ? "a" : "b", i));
    c.remote_id = ike::wire::IdPayload::Fqdn(fmt::format("{}{}.bench", side_a ? "b" : "a", i));
    c.psk = SecretBytes(std::string_view("bench-psk-0123456789"));
    c.local_prefixes = {*net::Prefix::Parse(fmt::format("10.{}.{}.0/24", side_a ? 1 : 2, i % 256))};
    c.remote_prefixes = {*net::Prefix::Parse(fmt::format("10.{}.{}.0/24", side_a ? 2 : 1, i % 256))};
    c.ike_proposals = *ike::sa::ParseProposals(ike_prop, ike::wire::ProtocolId::kIke);
    c.esp_proposals = *ike::sa::ParseProposals("aes256gcm16", ike::wire::ProtocolId::kEsp);
    c.mode = side_a ? ike::ConnectionMode::kInitiator : ike::ConnectionMode::kResponder;
    c.force_encapsulation = true;
    out.push_back(std::move(c));
  }
  return out;
}

struct Result {
  int established = 0;
  double wall = 0, cpu = 0;
};

Result Run(int n, const std::string& ike_prop) {
  SteadyClock clock;
  crypto::CryptoRng rng;
  ipsec::RecordingSaInstaller ia, ib;
  ike::EngineConfig ec;
  ec.cookie_threshold =
      1u << 20;  // in-process burst: no cookie round trip (charon ran with DoS limits lifted too)
  ec.max_half_open = 1u << 20;
  ike::Engine a(ec, Connections(n, true, ike_prop), clock, rng, ia);
  ike::Engine b(ec, Connections(n, false, ike_prop), clock, rng, ib);
  const double c0 = CpuSeconds();
  const auto t0 = clock.Now();
  a.Start();
  auto connected = [&] {
    int k = 0;
    for (const auto& s : a.Snapshot())
      k += s.state == ike::ConnectionState::kConnected && !s.children.empty();
    return k;
  };
  for (int guard = 0; guard < 100000; ++guard) {
    auto oa = a.TakeOutbox();
    auto ob = b.TakeOutbox();
    if (oa.empty() && ob.empty()) break;
    for (auto& d : oa) b.Receive(clock.Now(), d.to, d.from, d.bytes);
    for (auto& d : ob) a.Receive(clock.Now(), d.to, d.from, d.bytes);
    for (auto* e : {&a, &b}) {
      for (const auto& l : e->TakeLog()) {
        if (std::getenv("IKE_RATE_LOG"))
          std::fprintf(stderr, "%s %s\n", e == &a ? "A" : "B", l.ToString().c_str());
      }
    }
  }
  Result r;
  r.wall = std::chrono::duration<double>(clock.Now() - t0).count();
  r.cpu = CpuSeconds() - c0;
  r.established = connected();
  return r;
}

// Key-exchange operations per second on one core: a keypair plus a shared secret, the work one side
// does per SA.
double KeOpsPerSecond(crypto::KeGroup g) {
  auto peer = crypto::KeyExchange::Create(g);
  const auto pub = (*peer)->PublicValue();
  const std::vector<std::uint8_t> peer_pub(pub.begin(), pub.end());
  const int iters = 2000;
  const double c0 = CpuSeconds();
  for (int i = 0; i < iters; ++i) {
    auto k = crypto::KeyExchange::Create(g);
    (void)(*k)->PublicValue();
    (void)(*k)->ComputeShared(peer_pub);
  }
  return iters / (CpuSeconds() - c0);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 500;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  std::printf(
      "ike_rate: %d connections initiated at once, engine-to-engine in one process (one core), %d rounds\n",
      n, rounds);
  std::printf("%-40s %10s %12s %14s %22s\n", "proposal", "SA/s", "CPU ms/SA", "KE-pairs/s",
              "share of KE limit");
  for (const auto& [prop, group] :
       {std::pair{std::string("aes256gcm16-prfsha256-ecp256"), crypto::KeGroup::kEcp256},
        std::pair{std::string("aes256gcm16-prfsha256-curve25519"), crypto::KeGroup::kCurve25519}}) {
    const double ke = KeOpsPerSecond(group);
    // Both ends run on this one thread: each SA costs two keypair+shared-secret operations here.
    const double limit = ke / 2;
    for (int i = 0; i < rounds; ++i) {
      auto r = Run(n, prop);
      if (r.established != n) std::printf("  (only %d of %d established)\n", r.established, n);
      const double rate = r.established / r.wall;
      std::printf("%-40s %10.0f %12.3f %14.0f %21.1f%%\n", prop.c_str(), rate,
                  1000 * r.cpu / std::max(1, r.established), ke, 100 * rate / limit);
    }
  }
  std::printf("gateway-to-gateway and strongSwan-to-strongSwan in the same run: bench/ike_rate_compare.sh\n");
  return 0;
}
