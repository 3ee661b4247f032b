// A responder engine fed arbitrary datagrams (issue 3: no crash, no leak, no hang).
//
// The first input byte picks a mode:
//   even: the rest is a list of datagrams (2-byte length + 1 byte port selector + bytes) sent to a
//         fresh responder from the configured peer's address;
//   odd:  an honest initiator talks to the responder, and every one of its messages is XORed with
//         fuzz bytes before delivery — this reaches the states behind IKE_SA_INIT and IKE_AUTH.
// Both run on a manual clock with seeded randomness, so every input is reproducible.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/clock.h"
#include "ike/engine/engine.h"
#include "ike/sa/proposal.h"
#include "ipsec/recording_sa_installer.h"

namespace {

using namespace isthmus;

constexpr int kMaxRounds = 64;  // bounds the work per input: no hangs

ike::ConnectionConfig Connection(bool initiator) {
  ike::ConnectionConfig c;
  c.name = initiator ? "to-r" : "to-i";
  auto a = *net::IpAddress::Parse("198.18.0.2");
  auto b = *net::IpAddress::Parse("198.18.0.3");
  c.local = {initiator ? a : b, ike::kIkePort};
  c.remote = {initiator ? b : a, ike::kIkePort};
  c.local_id = ike::wire::IdPayload::Address(c.local.address);
  c.remote_id = ike::wire::IdPayload::Address(c.remote.address);
  c.psk = SecretBytes(std::string_view("fuzz-psk-0123456789"));
  c.local_prefixes = {*net::Prefix::Parse(initiator ? "10.1.0.0/16" : "10.2.0.0/16")};
  c.remote_prefixes = {*net::Prefix::Parse(initiator ? "10.2.0.0/16" : "10.1.0.0/16")};
  c.ike_proposals = *ike::sa::ParseProposals("aes256gcm16-prfsha256-ecp256,aes256-sha256-modp2048",
                                             ike::wire::ProtocolId::kIke);
  c.esp_proposals = *ike::sa::ParseProposals("aes256gcm16,aes256-sha256", ike::wire::ProtocolId::kEsp);
  c.mode = initiator ? ike::ConnectionMode::kInitiator : ike::ConnectionMode::kResponder;
  c.dpd_timeout = std::chrono::seconds(30);
  c.force_encapsulation = true;
  return c;
}

struct Side {
  explicit Side(bool initiator, std::uint64_t seed)
      : rng(seed), engine(ike::EngineConfig{}, {Connection(initiator)}, clock, rng, installer) {}
  ManualClock clock;
  SeededRng rng;
  ipsec::RecordingSaInstaller installer;
  ike::Engine engine;
};

void RawDatagrams(std::span<const std::uint8_t> in) {
  Side r(false, 2);
  const ike::Endpoint peer{*net::IpAddress::Parse("198.18.0.2"), ike::kIkePort};
  const ike::Endpoint self{*net::IpAddress::Parse("198.18.0.3"), ike::kIkePort};
  for (int round = 0; round < kMaxRounds && in.size() >= 3; ++round) {
    std::size_t len = std::min<std::size_t>((in[0] << 8 | in[1]) % 2048, in.size() - 3);
    bool natt = in[2] & 1;
    auto bytes = in.subspan(3, len);
    in = in.subspan(3 + len);
    ike::Endpoint from = peer, to = self;
    if (natt) from.port = to.port = ike::kNatTPort;
    r.engine.Receive(r.clock.Now(), to, from, bytes);
    r.clock.Advance(std::chrono::milliseconds(100 * (len % 7)));
    r.engine.Tick(r.clock.Now());
    (void)r.engine.TakeOutbox();
    (void)r.engine.TakeLog();
  }
  (void)r.engine.Snapshot();
}

void MutatedExchange(std::span<const std::uint8_t> in) {
  Side i(true, 1), r(false, 2);
  (void)i.engine.Initiate("to-r");
  std::size_t pos = 0;
  for (int round = 0; round < kMaxRounds; ++round) {
    bool moved = false;
    for (auto& d : i.engine.TakeOutbox()) {
      // XOR the next fuzz bytes into the message, cycling through positions the input chooses.
      for (int k = 0; k < 4 && pos + 1 < in.size(); ++k, pos += 2) {
        if (!d.bytes.empty()) d.bytes[in[pos] % d.bytes.size()] ^= in[pos + 1];
      }
      r.engine.Receive(r.clock.Now(), d.to, d.from, d.bytes);
      moved = true;
    }
    for (auto& d : r.engine.TakeOutbox()) {
      i.engine.Receive(i.clock.Now(), d.to, d.from, d.bytes);
      moved = true;
    }
    if (!moved) {
      i.clock.Advance(std::chrono::seconds(5));
      r.clock.Advance(std::chrono::seconds(5));
      i.engine.Tick(i.clock.Now());
      r.engine.Tick(r.clock.Now());
    }
    (void)i.engine.TakeLog();
    (void)r.engine.TakeLog();
  }
  (void)r.engine.Snapshot();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::span<const std::uint8_t> in(data + 1, size - 1);
  if (data[0] & 1) {
    MutatedExchange(in);
  } else {
    RawDatagrams(in);
  }
  return 0;
}
