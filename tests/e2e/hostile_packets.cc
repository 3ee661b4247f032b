// hostile_packets: hostile traffic generators for tests/e2e/hostile_packets_test.sh (issue 12, "bad
// input"). Each mode is paced to a rate, bounded in time, and prints one JSON line of figures.
//
//   hostile_packets ike-flood --target IP:PORT --bind IP --rate N --seconds S --ports K [--answer-cookies]
//     IKE_SA_INIT requests (RFC 7296 §1.2: HDR, SAi1, KEi, Ni; a valid ECP-256 public value, a fresh
//     SPIi and nonce each) from K sockets bound to K source ports of --bind (a real address of the
//     namespace: "spoofed ports", never another address). Replies are counted: N(COOKIE) demands
//     (§2.6), full responses (SAr1, KEr, Nr: a half-open SA on the responder), others. With
//     --answer-cookies each COOKIE demand is answered once (§2.6: the same request with N(COOKIE)
//     first), as an attacker that sees its replies would do: then every full response is a half-open
//     SA the responder keeps, which is how a test sees its max_half_open limit.
//
//   hostile_packets esp-garbage --target IP:PORT --bind IP --rate N --seconds S --spi HEX
//                               [--replay-pcap FILE]
//     UDP-encapsulated ESP (RFC 3948: a datagram whose first four octets are not zero is ESP) mixed in
//     a fixed cycle of ten: four random (a random non-zero SPI, 8..1400 octets; every eighth of them
//     2..7 octets, shorter than an ESP header), three tampered (the real inbound SPI --spi with a fresh
//     sequence number and garbage of a real packet's shape; or a captured packet with a fresh sequence
//     number and one bit flipped), three replays of captured packets unchanged (ESP datagrams to the target's
//     port in a pcap file, e.g. `tcpdump -w`). Without captures, replays become tampered packets.
//
// Exit status: 0 after printing the figures, 1 when it cannot run (socket, pcap), 2 on bad arguments.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "crypto/key_exchange.h"
#include "ike/sa/proposal.h"
#include "ike/sa/proposal_selection.h"
#include "ike/wire/message.h"
#include "ike/wire/notify_payload.h"

namespace {

using namespace isthmus;
using SteadyTime = std::chrono::steady_clock::time_point;
using Bytes = std::vector<std::uint8_t>;

// Implementation choices.
constexpr std::size_t kMaxBurst = 256;                        // the most sent in one go when behind the rate
constexpr auto kReplyGrace = std::chrono::milliseconds(500);  // replies still counted after sending ends
constexpr int kSocketBuffer = 4 << 20;                        // SO_RCVBUFFORCE: replies are not lost here
constexpr std::size_t kNonceSize = 32;                        // RFC 7296 §2.10
constexpr const char* kIkeProposal = "aes256gcm16-prfsha256-ecp256";  // what gw_config configures

struct Options {
  std::string mode;
  sockaddr_in target{};
  in_addr bind{};
  double rate = 1000;
  double seconds = 1;
  std::size_t ports = 1;
  bool answer_cookies = false;
  std::optional<std::uint32_t> spi;
  std::string replay_pcap;
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "hostile_packets: %s\n"
               "usage: hostile_packets ike-flood --target IP:PORT --bind IP --rate N --seconds S --ports K"
               " [--answer-cookies]\n"
               "       hostile_packets esp-garbage --target IP:PORT --bind IP --rate N --seconds S --spi HEX"
               " [--replay-pcap FILE]\n",
               why.c_str());
  std::exit(2);
}

sockaddr_in ParseTarget(const std::string& s) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || inet_pton(AF_INET, s.substr(0, colon).c_str(), &a.sin_addr) != 1) {
    Usage("--target must be IPv4:PORT");
  }
  const unsigned long port = std::strtoul(s.c_str() + colon + 1, nullptr, 10);
  if (port == 0 || port > 65535) Usage("--target port out of range");
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  return a;
}

Options ParseOptions(int argc, char** argv) {
  if (argc < 2) Usage("no mode");
  Options o;
  o.mode = argv[1];
  if (o.mode != "ike-flood" && o.mode != "esp-garbage") Usage("unknown mode " + o.mode);
  bool have_target = false, have_bind = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--target") {
      o.target = ParseTarget(value());
      have_target = true;
    } else if (a == "--bind") {
      if (inet_pton(AF_INET, value().c_str(), &o.bind) != 1) Usage("--bind must be an IPv4 address");
      have_bind = true;
    } else if (a == "--rate") {
      o.rate = std::stod(value());
    } else if (a == "--seconds") {
      o.seconds = std::stod(value());
    } else if (a == "--ports") {
      o.ports = std::stoul(value());
    } else if (a == "--answer-cookies") {
      o.answer_cookies = true;
    } else if (a == "--spi") {
      o.spi = static_cast<std::uint32_t>(std::stoul(value(), nullptr, 16));
    } else if (a == "--replay-pcap") {
      o.replay_pcap = value();
    } else {
      Usage("unknown option " + a);
    }
  }
  if (!have_target || !have_bind) Usage("--target and --bind are required");
  if (!(o.rate > 0) || !(o.seconds > 0) || o.seconds > 60) Usage("--rate > 0, 0 < --seconds <= 60");
  if (o.ports == 0 || o.ports > 1024) Usage("--ports must be 1..1024");
  if (o.mode == "esp-garbage" && (!o.spi || *o.spi == 0)) Usage("esp-garbage needs --spi (non-zero hex)");
  return o;
}

// A non-blocking UDP socket on an ephemeral port of `addr`.
int BindUdp(in_addr addr) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kSocketBuffer, sizeof kSocketBuffer) != 0) {
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kSocketBuffer, sizeof kSocketBuffer);
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr = addr;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Keeps to `rate` per second from construction until `seconds` have passed.
class Pacer {
 public:
  Pacer(double rate, double seconds)
      : rate_(rate),
        start_(std::chrono::steady_clock::now()),
        end_(start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                          std::chrono::duration<double>(seconds))) {}
  bool Done(SteadyTime now) const { return now >= end_; }
  // How many to send now; a stall is made up in bursts of at most kMaxBurst.
  std::size_t Due(SteadyTime now) const {
    const double target = rate_ * std::chrono::duration<double>(std::min(now, end_) - start_).count();
    const double due = target - static_cast<double>(sent_);
    return due < 1 ? 0 : std::min<std::size_t>(kMaxBurst, static_cast<std::size_t>(due));
  }
  void Sent() { ++sent_; }
  double Elapsed(SteadyTime now) const { return std::chrono::duration<double>(now - start_).count(); }

 private:
  double rate_;
  SteadyTime start_, end_;
  std::uint64_t sent_ = 0;
};

bool SendTo(int fd, const sockaddr_in& to, const std::uint8_t* p, std::size_t n) {
  return ::sendto(fd, p, n, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) == static_cast<ssize_t>(n);
}

std::uint64_t SplitMix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// ------------------------------------------------------------------------------------- ike-flood

struct FloodFigures {
  std::uint64_t sent = 0, send_errors = 0, replies = 0, cookie_replies = 0, full_replies = 0;
  std::uint64_t other_replies = 0, stray = 0, cookie_answers = 0;
  std::map<std::string, std::uint64_t> other_types;  // notify name -> count
};

// The IKE_SA_INIT request of one attempt: the SPIi names it, and its nonce follows from the SPIi, so a
// COOKIE demand can be answered with the same request without remembering it (§2.6).
class InitRequests {
 public:
  static std::optional<InitRequests> Create() {
    auto proposals = ike::sa::ParseProposals(kIkeProposal, ike::wire::ProtocolId::kIke);
    if (!proposals) return std::nullopt;
    auto ke = crypto::KeyExchange::Create(ike::sa::PreferredKeGroup(*proposals));
    if (!ke) return std::nullopt;
    InitRequests r;
    // One key pair for all: the value is valid, and the responder's work (its own key pair and the
    // shared secret) is the same as for distinct ones.
    const auto pub = (*ke)->PublicValue();
    r.base_.header.exchange = ike::wire::ExchangeType::kIkeSaInit;
    r.base_.header.initiator = true;
    r.base_.payloads.push_back(ike::wire::Payload::Of(ike::sa::ToWireSa(*proposals, {})));
    r.base_.payloads.push_back(ike::wire::Payload::Of(
        ike::wire::KePayload{static_cast<std::uint16_t>((*ke)->group()), {pub.begin(), pub.end()}}));
    r.base_.payloads.push_back(ike::wire::Payload::Of(ike::wire::NoncePayload{Bytes(kNonceSize)}));
    auto bytes = ike::wire::SerializeMessage(r.base_);
    if (!bytes) return std::nullopt;
    r.plain_ = std::move(*bytes);  // the Nonce payload is last: its data is the final kNonceSize octets
    return r;
  }

  // The request without a cookie, built in place (no allocation per message).
  const Bytes& Plain(std::uint64_t spi_i) {
    for (int i = 0; i < 8; ++i) plain_[i] = static_cast<std::uint8_t>(spi_i >> (56 - 8 * i));
    Nonce(spi_i, plain_.data() + plain_.size() - kNonceSize);
    return plain_;
  }

  Bytes WithCookie(std::uint64_t spi_i, const Bytes& cookie) const {
    ike::wire::Message m = base_;
    m.header.initiator_spi = spi_i;
    Nonce(spi_i, std::get<ike::wire::NoncePayload>(m.payloads.back().body).data.data());
    m.payloads.insert(m.payloads.begin(), ike::wire::Payload::Of(ike::wire::NotifyPayload::Of(
                                              ike::wire::NotifyType::kCookie, cookie)));
    auto bytes = ike::wire::SerializeMessage(m);
    return bytes ? std::move(*bytes) : Bytes{};
  }

 private:
  static void Nonce(std::uint64_t spi_i, std::uint8_t* out) {
    for (std::size_t i = 0; i < kNonceSize; ++i) {
      out[i] = static_cast<std::uint8_t>(SplitMix(spi_i * 8 + i / 8) >> (8 * (i % 8)));
    }
  }
  ike::wire::Message base_;
  Bytes plain_;
};

class Flooder {
 public:
  Flooder(const Options& o, std::vector<int> fds, int epoll_fd, InitRequests requests, std::uint32_t run)
      : o_(o), fds_(std::move(fds)), epoll_(epoll_fd), requests_(std::move(requests)), run_(run) {}

  FloodFigures Run(double* send_seconds) {
    Pacer pacer(o_.rate, o_.seconds);
    auto now = std::chrono::steady_clock::now();
    while (!pacer.Done(now)) {
      for (std::size_t n = pacer.Due(now); n > 0; --n) {
        SendOne();
        pacer.Sent();
      }
      Poll(1);
      now = std::chrono::steady_clock::now();
    }
    *send_seconds = pacer.Elapsed(now);
    const auto until = now + kReplyGrace;
    while (std::chrono::steady_clock::now() < until) Poll(10);
    return f_;
  }

 private:
  void SendOne() {
    const std::uint64_t spi_i = (std::uint64_t{run_} << 32) | ++counter_;
    const Bytes& m = requests_.Plain(spi_i);
    if (SendTo(fds_[counter_ % fds_.size()], o_.target, m.data(), m.size())) {
      ++f_.sent;
    } else {
      ++f_.send_errors;
    }
  }

  void Poll(int timeout_ms) {
    epoll_event ev[64];
    const int n = ::epoll_wait(epoll_, ev, 64, timeout_ms);
    for (int i = 0; i < n; ++i) Drain(ev[i].data.fd);
  }

  void Drain(int fd) {
    std::uint8_t buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0) return;
      Classify(fd, {buf, static_cast<std::size_t>(n)});
    }
  }

  void Classify(int fd, ike::wire::ByteView d) {
    auto m = ike::wire::ParseMessage(d);
    if (!m || !m->header.response || m->header.exchange != ike::wire::ExchangeType::kIkeSaInit ||
        (m->header.initiator_spi >> 32) != run_) {
      ++f_.stray;
      return;
    }
    ++f_.replies;
    if (const auto* c = m->FindNotify(ike::wire::NotifyType::kCookie)) {
      ++f_.cookie_replies;
      if (o_.answer_cookies && answered_.insert(m->header.initiator_spi).second) {
        const Bytes again = requests_.WithCookie(m->header.initiator_spi, c->data);
        if (SendTo(fd, o_.target, again.data(), again.size())) ++f_.cookie_answers;
      }
    } else if (m->header.responder_spi != 0 && m->Find(ike::wire::PayloadType::kSa) != nullptr) {
      ++f_.full_replies;
    } else {
      ++f_.other_replies;
      const auto* e = m->FirstErrorNotify();
      ++f_.other_types[e ? ike::wire::NotifyName(e->type) : std::string("no error notify")];
    }
  }

  const Options& o_;
  std::vector<int> fds_;
  int epoll_;
  InitRequests requests_;
  std::uint32_t run_;  // the high half of every SPIi: replies to another run are strays
  std::uint32_t counter_ = 0;
  std::unordered_set<std::uint64_t> answered_;
  FloodFigures f_;
};

int IkeFlood(const Options& o) {
  auto requests = InitRequests::Create();
  if (!requests) {
    std::fputs("hostile_packets: cannot build an IKE_SA_INIT request\n", stderr);
    return 1;
  }
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<int> fds;
  for (std::size_t i = 0; i < o.ports; ++i) {
    const int fd = BindUdp(o.bind);
    epoll_event ev{EPOLLIN, {}};
    ev.data.fd = fd;
    if (fd < 0 || ep < 0 || ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
      std::fprintf(stderr, "hostile_packets: socket %zu: %s\n", i, std::strerror(errno));
      return 1;
    }
    fds.push_back(fd);
  }
  std::random_device rd;
  const std::uint32_t run = rd() | 1;  // never 0: SPIi must not be zero (RFC 7296 §3.1)
  Flooder flooder(o, fds, ep, std::move(*requests), run);
  double secs = 0;
  const FloodFigures f = flooder.Run(&secs);
  nlohmann::json j{{"mode", "ike-flood"},
                   {"ports", o.ports},
                   {"sent", f.sent},
                   {"send_errors", f.send_errors},
                   {"seconds", secs},
                   {"rate", secs > 0 ? static_cast<double>(f.sent) / secs : 0.0},
                   {"replies", f.replies},
                   {"cookie_replies", f.cookie_replies},
                   {"full_replies", f.full_replies},
                   {"other_replies", f.other_replies},
                   {"other_types", f.other_types},
                   {"stray", f.stray},
                   {"cookie_answers", f.cookie_answers}};
  std::puts(j.dump().c_str());
  for (int fd : fds) ::close(fd);
  ::close(ep);
  return 0;
}

// ----------------------------------------------------------------------------------- esp-garbage

std::uint32_t Load32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
void Store32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

// The UDP payloads of the IPv4 ESP-in-UDP datagrams to `port` in a classic pcap file (Ethernet link
// type, either byte order of the magic number; tcpdump's default).
std::optional<std::vector<Bytes>> ReadEspCaptures(const std::string& path, std::uint16_t port) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  const Bytes d((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (d.size() < 24) return std::nullopt;
  const std::uint32_t magic = Load32(d.data());
  const bool big = magic == 0xa1b2c3d4 || magic == 0xa1b23c4d;
  if (!big && magic != 0xd4c3b2a1 && magic != 0x4d3cb2a1) return std::nullopt;
  auto u32 = [&](std::size_t off) {
    const std::uint32_t v = Load32(d.data() + off);
    return big ? v : __builtin_bswap32(v);
  };
  std::vector<Bytes> out;
  for (std::size_t off = 24; off + 16 <= d.size();) {
    const std::size_t incl = u32(off + 8);
    if (off + 16 + incl > d.size()) break;
    const std::uint8_t* fr = d.data() + off + 16;
    off += 16 + incl;
    if (incl < 14 + 20 + 8 + 8 || fr[12] != 0x08 || fr[13] != 0x00) continue;  // IPv4 over Ethernet
    const std::uint8_t* ip = fr + 14;
    const std::size_t ihl = (ip[0] & 15u) * 4;
    if (ip[9] != IPPROTO_UDP || 14 + ihl + 8 + 8 > incl) continue;
    const std::uint8_t* udp = ip + ihl;
    if (((udp[2] << 8) | udp[3]) != port || Load32(udp + 8) == 0) continue;  // RFC 3948: SPI != 0 is ESP
    out.emplace_back(udp + 8, fr + incl);
  }
  return out;
}

struct GarbageFigures {
  std::uint64_t sent = 0, send_errors = 0, random = 0, short_ = 0, tampered = 0, replayed = 0;
};

class Garbage {
 public:
  Garbage(std::uint32_t spi, std::vector<Bytes> captured) : spi_(spi), captured_(std::move(captured)) {
    // Fresh sequence numbers for tampered packets: above everything captured, so the replay window
    // passes them and only the ICV can refuse them (RFC 4303 §3.4.3 checks the window first).
    std::uint32_t top = 0;
    for (const auto& c : captured_) top = std::max(top, Load32(c.data() + 4));
    next_seq_ = top + 1'000'000;
  }

  enum class Kind { kRandom, kShort, kTampered, kReplayed };

  // The n-th datagram of the cycle, into `out`.
  Kind Make(std::uint64_t n, Bytes& out) {
    const unsigned slot = static_cast<unsigned>(n % 10);
    if (slot < 4) return Random(out);
    if (slot < 7 || captured_.empty()) {
      Tampered(out);
      return Kind::kTampered;
    }
    out = captured_[replay_next_++ % captured_.size()];
    return Kind::kReplayed;
  }

 private:
  void Fill(std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(rng_());
  }

  Kind Random(Bytes& out) {
    const bool shorter = (++random_count_ % 8) == 0;
    out.resize(shorter ? 2 + rng_() % 6 : 8 + rng_() % 1393);
    Fill(out.data(), out.size());
    if (out[0] == 0) out[0] = 1;  // not the non-ESP marker (RFC 3948 §2.2): ESP with an unknown SPI
    if (!shorter && Load32(out.data()) == spi_) out[1] ^= 1;
    return shorter ? Kind::kShort : Kind::kRandom;
  }

  void Tampered(Bytes& out) {
    if (!captured_.empty() && (tamper_count_++ % 2) == 0) {
      out = captured_[rng_() % captured_.size()];
      const std::size_t bit = 64 + rng_() % ((out.size() - 8) * 8);  // past SPI and sequence number
      out[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    } else {
      // Shaped like a real packet of the SA (RFC 4303 §2.4: the ciphertext ends on a 4-octet boundary),
      // so only the ICV check can refuse it.
      out.resize(64 + 4 * (rng_() % 335));
      Fill(out.data(), out.size());
    }
    Store32(out.data(), spi_);
    Store32(out.data() + 4, next_seq_++);
  }

  std::uint32_t spi_;
  std::vector<Bytes> captured_;
  std::mt19937 rng_{std::random_device{}()};
  std::uint32_t next_seq_ = 0;
  std::uint64_t random_count_ = 0, tamper_count_ = 0, replay_next_ = 0;
};

int EspGarbage(const Options& o) {
  std::vector<Bytes> captured;
  if (!o.replay_pcap.empty()) {
    auto c = ReadEspCaptures(o.replay_pcap, ntohs(o.target.sin_port));
    if (!c) {
      std::fprintf(stderr, "hostile_packets: cannot read pcap %s\n", o.replay_pcap.c_str());
      return 1;
    }
    captured = std::move(*c);
  }
  // Only packets of the SA under attack: another SA's would test another window.
  const std::size_t in_pcap = captured.size();
  std::erase_if(captured, [&](const Bytes& b) { return Load32(b.data()) != *o.spi; });
  const int fd = BindUdp(o.bind);
  if (fd < 0) {
    std::fprintf(stderr, "hostile_packets: socket: %s\n", std::strerror(errno));
    return 1;
  }
  Garbage garbage(*o.spi, captured);
  GarbageFigures f;
  Bytes buf;
  buf.reserve(2048);
  Pacer pacer(o.rate, o.seconds);
  std::uint64_t n = 0;
  auto now = std::chrono::steady_clock::now();
  while (!pacer.Done(now)) {
    for (std::size_t due = pacer.Due(now); due > 0; --due, ++n) {
      const Garbage::Kind kind = garbage.Make(n, buf);
      pacer.Sent();
      if (!SendTo(fd, o.target, buf.data(), buf.size())) {
        ++f.send_errors;  // left out of the figures by kind: the receiver never saw it
        continue;
      }
      ++f.sent;
      switch (kind) {
        case Garbage::Kind::kRandom:
          ++f.random;
          break;
        case Garbage::Kind::kShort:
          ++f.short_;
          break;
        case Garbage::Kind::kTampered:
          ++f.tampered;
          break;
        case Garbage::Kind::kReplayed:
          ++f.replayed;
          break;
      }
    }
    ::usleep(200);
    now = std::chrono::steady_clock::now();
  }
  const double secs = pacer.Elapsed(now);
  nlohmann::json j{{"mode", "esp-garbage"},  {"spi", fmt::format("{:08x}", *o.spi)},
                   {"in_pcap", in_pcap},     {"captured", captured.size()},
                   {"sent", f.sent},         {"send_errors", f.send_errors},
                   {"seconds", secs},        {"rate", secs > 0 ? static_cast<double>(f.sent) / secs : 0.0},
                   {"random", f.random},     {"short", f.short_},
                   {"tampered", f.tampered}, {"replayed", f.replayed}};
  std::puts(j.dump().c_str());
  ::close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  return o.mode == "ike-flood" ? IkeFlood(o) : EspGarbage(o);
}
