// isthmus-dp: a statically keyed ESP data plane, for end-to-end tests and benchmarks only. The product
// is isthmus-gateway, where the IKE engine installs the SAs; this runner installs one inbound and one
// outbound SA from flags through the same DataplaneSaInstaller, creates the TUN device, configures it
// over netlink (platform NetConfig, in the namespace it runs in) and runs one worker.
//
//   isthmus-dp --tun ist0 --local 198.18.0.2 --peer 198.18.0.3 --local-prefix 10.1.0.0/24
//              --remote-prefix 10.2.0.0/24 --spi-in 0x1001 --spi-out 0x2001 --seed test
//              [--transform aes256gcm] [--offloads on] [--mtu 1400] [--mss 1350] [--stats FILE]
//
// Keys: --key-in/--key-out (hex: cipher key || salt), --integ-in/--integ-out for CBC suites, or a
// --seed from which each SA's keys are derived as prf+(HMAC-SHA2-256, seed, "isthmus-dp" | SPI), so two
// runners given the same seed and mirrored SPIs agree. Keys are never printed.
// SIGUSR1 writes the stats file at once (it is also rewritten every second and at exit); SIGTERM/SIGINT
// stop.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/clock.h"
#include "crypto/prf.h"
#include "crypto/random.h"
#include "crypto/transforms.h"
#include "dataplane/path/worker.h"
#include "dataplane/sad/dataplane_sa_installer.h"
#include "platform/linux/epoll_poller.h"
#include "platform/linux/netlink_config.h"
#include "platform/linux/tun.h"
#include "platform/linux/udp_socket.h"

namespace {

using namespace isthmus;

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_dump = 0;

struct Flags {
  std::map<std::string, std::vector<std::string>> values;
  std::string Get(const std::string& k, const std::string& def = {}) const {
    auto it = values.find(k);
    return it == values.end() ? def : it->second.back();
  }
  const std::vector<std::string>& All(const std::string& k) const {
    static const std::vector<std::string> kEmpty;
    auto it = values.find(k);
    return it == values.end() ? kEmpty : it->second;
  }
};

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "isthmus-dp: %s\n", msg.c_str());
  std::exit(2);
}

struct Suite {
  crypto::EncrId encr;
  std::uint16_t bits;
  crypto::IntegId integ;
};

Suite ParseSuite(const std::string& s) {
  using crypto::EncrId;
  using crypto::IntegId;
  static const std::map<std::string, Suite> kSuites = {
      {"aes256gcm", {EncrId::kAesGcm16, 256, IntegId::kNone}},
      {"aes128gcm", {EncrId::kAesGcm16, 128, IntegId::kNone}},
      {"chacha20poly1305", {EncrId::kChaCha20Poly1305, 0, IntegId::kNone}},
      {"aes128cbc-sha256", {EncrId::kAesCbc, 128, IntegId::kHmacSha2_256_128}},
      {"aes256cbc-sha256", {EncrId::kAesCbc, 256, IntegId::kHmacSha2_256_128}},
      {"aes256cbc-sha384", {EncrId::kAesCbc, 256, IntegId::kHmacSha2_384_192}},
      {"aes256cbc-sha512", {EncrId::kAesCbc, 256, IntegId::kHmacSha2_512_256}},
  };
  auto it = kSuites.find(s);
  if (it == kSuites.end()) Die("unknown --transform " + s);
  return it->second;
}

SecretBytes FromHex(const std::string& hex) {
  if (hex.size() % 2 != 0) Die("hex key of odd length");
  std::vector<std::uint8_t> b;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    char* end = nullptr;
    const std::string byte = hex.substr(i, 2);
    const long v = std::strtol(byte.c_str(), &end, 16);
    if (end != byte.c_str() + 2) Die("bad hex key");
    b.push_back(static_cast<std::uint8_t>(v));
  }
  SecretBytes s(b);
  SecureWipe(b.data(), b.size());
  return s;
}

SecretBytes Derive(const std::string& seed, std::uint32_t spi, const char* label, std::size_t n) {
  auto prf = crypto::Prf::Create(crypto::PrfId::kHmacSha2_256);
  if (!prf) Die("prf");
  const std::string info = fmt::format("isthmus-dp {} {:08x}", label, spi);
  auto k = crypto::PrfPlus(**prf, {reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()},
                           {reinterpret_cast<const std::uint8_t*>(info.data()), info.size()}, n);
  if (!k) Die("key derivation failed");
  return std::move(*k);
}

std::uint32_t ParseSpi(const std::string& s) {
  if (s.empty()) Die("--spi-in and --spi-out are required");
  return static_cast<std::uint32_t>(std::strtoul(s.c_str(), nullptr, 0));
}

void Check(const Status& s) {
  if (!s) Die(s.error().message);
}

void WriteStats(const std::string& path, const dataplane::Worker& w,
                const dataplane::DataplaneSaInstaller& sad) {
  if (path.empty()) return;
  std::string out;
  auto line = [&](const std::string& k, std::uint64_t v) { out += fmt::format("{} {}\n", k, v); };
  const auto& s = w.stats();
  line("worker.tun_reads", s.tun_reads.Get());
  line("worker.tun_writes", s.tun_writes.Get());
  line("worker.udp_messages_in", s.udp_messages_in.Get());
  line("worker.udp_datagrams_in", s.udp_datagrams_in.Get());
  line("worker.udp_messages_out", s.udp_messages_out.Get());
  line("worker.udp_datagrams_out", s.udp_datagrams_out.Get());
  line("worker.super_segments_in", s.super_segments_in.Get());
  line("worker.keepalives", s.keepalives.Get());
  line("worker.ike_datagrams", s.ike_datagrams.Get());
  line("worker.too_big_sent", s.too_big_sent.Get());
  for (std::size_t i = 1; i < w.drops().size(); ++i) {
    line(fmt::format("drop.worker.{}", dataplane::DropName(static_cast<dataplane::Drop>(i))),
         w.drops()[i].Get());
  }
  auto snap = sad.publisher().Load();
  for (auto list : {snap->inbound(), snap->outbound()}) {
    for (const auto& e : list) {
      const auto& sa = *e.sa;
      const std::string p = fmt::format("sa.{}.0x{:08x}", sa.inbound() ? "in" : "out", sa.spi());
      line(p + ".packets", sa.traffic.packets.Get());
      line(p + ".bytes", sa.traffic.bytes.Get());
      for (std::size_t i = 1; i < sa.drops.size(); ++i) {
        line(fmt::format("{}.drop.{}", p, dataplane::DropName(static_cast<dataplane::Drop>(i))),
             sa.drops[i].Get());
      }
    }
  }
  for (const auto& c : sad.Connections()) {
    const std::string p = "conn." + c->name;
    line(p + ".in.packets", c->in.packets.Get());
    line(p + ".in.bytes", c->in.bytes.Get());
    line(p + ".out.packets", c->out.packets.Get());
    line(p + ".out.bytes", c->out.bytes.Get());
    for (std::size_t i = 1; i < c->drops.size(); ++i) {
      line(fmt::format("{}.drop.{}", p, dataplane::DropName(static_cast<dataplane::Drop>(i))),
           c->drops[i].Get());
    }
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << out;
  }
  std::rename(tmp.c_str(), path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k.rfind("--", 0) != 0 || i + 1 >= argc)
      Die("usage: isthmus-dp --flag value ... (see the source header)");
    f.values[k.substr(2)].push_back(argv[++i]);
  }
  const std::string tun_name = f.Get("tun", "ist0");
  auto local = net::IpAddress::Parse(f.Get("local"));
  auto peer = net::IpAddress::Parse(f.Get("peer"));
  if (!local || !peer) Die("--local and --peer addresses are required");
  const auto port = static_cast<std::uint16_t>(std::stoi(f.Get("port", "4500")));
  const auto peer_port = static_cast<std::uint16_t>(std::stoi(f.Get("peer-port", "4500")));
  const bool offloads = f.Get("offloads", "on") == "on";
  const int mtu = std::stoi(f.Get("mtu", "1400"));
  const Suite suite = ParseSuite(f.Get("transform", "aes256gcm"));
  const bool esn = f.Get("esn", "on") == "on";
  const std::uint32_t spi_in = ParseSpi(f.Get("spi-in")), spi_out = ParseSpi(f.Get("spi-out"));
  const std::string seed = f.Get("seed");
  const std::string stats_path = f.Get("stats");

  std::vector<ipsec::TrafficSelector> local_ts, remote_ts;
  for (const auto& s : f.All("local-prefix")) {
    auto p = net::Prefix::Parse(s);
    if (!p) Die("bad --local-prefix " + s);
    local_ts.push_back({*p});
  }
  for (const auto& s : f.All("remote-prefix")) {
    auto p = net::Prefix::Parse(s);
    if (!p) Die("bad --remote-prefix " + s);
    remote_ts.push_back({*p});
  }
  if (local_ts.empty() || remote_ts.empty()) Die("--local-prefix and --remote-prefix are required");

  auto enc_info = crypto::FindEncr(suite.encr, suite.bits);
  const std::size_t integ_size =
      suite.integ == crypto::IntegId::kNone ? 0 : crypto::FindInteg(suite.integ)->key_size;
  auto keys_for = [&](std::uint32_t spi, const char* dir) {
    ipsec::SaKeys k;
    const std::string enc_flag = f.Get(std::string("key-") + dir),
                      integ_flag = f.Get(std::string("integ-") + dir);
    if (!enc_flag.empty()) {
      k.encr = FromHex(enc_flag);
      if (integ_size) k.integ = FromHex(integ_flag);
    } else {
      if (seed.empty()) Die("give --seed or --key-in/--key-out");
      k.encr = Derive(seed, spi, "encr", enc_info->keymat_size);
      if (integ_size) k.integ = Derive(seed, spi, "integ", integ_size);
    }
    return k;
  };

  SteadyClock clock;
  crypto::CryptoRng rng;
  dataplane::DataplaneSaInstaller sad(clock, rng, rng);
  auto make_spec = [&](ipsec::Direction d, std::uint32_t spi) {
    ipsec::SaSpec s;
    s.direction = d;
    s.spi = spi;
    s.local_address = *local;
    s.remote_address = *peer;
    s.encap = {true, port, peer_port};
    s.selectors.local = local_ts;
    s.selectors.remote = remote_ts;
    s.transform = {suite.encr, suite.bits, suite.integ, esn};
    s.keys = keys_for(spi, d == ipsec::Direction::kInbound ? "in" : "out");
    s.replay_window = 4096;
    s.connection = "static";
    return s;
  };
  if (auto r = sad.ReserveSpi(spi_in); !r) Die(r.error().message);
  if (auto r = sad.AddSa(make_spec(ipsec::Direction::kInbound, spi_in)); !r) Die(r.error().message);
  if (auto r = sad.AddSa(make_spec(ipsec::Direction::kOutbound, spi_out)); !r) Die(r.error().message);

  auto tun = platform::LinuxTun::Open(tun_name, {offloads});
  if (!tun) Die(tun.error().message);
  // The runner is started inside the namespace it serves; that one is configured, over netlink.
  auto net = platform::LinuxNetNs::OpenCurrentNamespace();
  if (!net) Die(net.error().message);
  Check((*net)->SetMtu((*tun)->name(), static_cast<std::uint32_t>(mtu)));
  Check((*net)->SetUp((*tun)->name(), true));
  if (auto a = f.Get("tun-address"); !a.empty()) {
    // As `ip addr add`: a bare address is a host address.
    if (a.find('/') == std::string::npos) a += a.find(':') == std::string::npos ? "/32" : "/128";
    auto addr = platform::InterfaceAddress::Parse(a);
    if (!addr) Die("bad --tun-address: " + addr.error().message);
    Check((*net)->AddAddress((*tun)->name(), *addr));
  }
  for (const auto& ts : remote_ts) Check((*net)->ReplaceRoute({ts.prefix, std::nullopt, (*tun)->name()}));

  platform::UdpOptions uo;
  uo.gro = offloads;
  auto sock = platform::UdpSocket::Bind({*local, port}, uo);
  if (!sock) Die(sock.error().message);

  dataplane::WorkerOptions wo;
  wo.mss_clamp = static_cast<std::uint16_t>(std::stoi(f.Get("mss", "1350")));
  wo.tunnel_mtu = static_cast<std::uint32_t>(mtu);
  wo.coalesce = f.Get("coalesce", "on") == "on";
  if (auto a = f.Get("icmp-source"); !a.empty()) {
    auto ip = net::IpAddress::Parse(a);
    if (!ip) Die("bad --icmp-source");
    (ip->is_v4() ? wo.icmp_source_v4 : wo.icmp_source_v6) = *ip;
  }
  dataplane::Worker worker(**tun, **sock, sad.publisher(), clock, wo);

  auto poller = platform::EpollPoller::Create();
  if (!poller) Die(poller.error().message);
  (void)(*poller)->Watch((*tun)->fd(), [&] { worker.OnTunReadable(); });
  (void)(*poller)->Watch((*sock)->fd(), [&] { worker.OnUdpReadable(); });

  struct sigaction sa {};
  sa.sa_handler = [](int sig) {
    if (sig == SIGUSR1) {
      g_dump = 1;
    } else {
      g_stop = 1;
    }
  };
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);

  std::fprintf(stderr, "isthmus-dp: %s up, %s:%u <-> %s:%u, offloads %s\n", (*tun)->name().c_str(),
               local->ToString().c_str(), port, peer->ToString().c_str(), peer_port, offloads ? "on" : "off");
  auto next_tick = clock.Now();
  while (!g_stop) {
    (void)(*poller)->RunOnce(std::chrono::milliseconds(200));
    const auto now = clock.Now();
    if (g_dump || now >= next_tick) {
      g_dump = 0;
      worker.Tick();
      WriteStats(stats_path, worker, sad);
      next_tick = now + std::chrono::seconds(1);
    }
  }
  WriteStats(stats_path, worker, sad);
  return 0;
}
