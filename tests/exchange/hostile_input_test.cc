// Malformed, truncated, oversized, unknown-SPI, corrupted and replayed IKE messages fed to an
// established responder: dropped or answered as RFC 7296 §2.21 says; existing SAs untouched.
#include <gtest/gtest.h>

#include "simulated_wire.h"

namespace isthmus::ike::testing {
namespace {

TEST(Exchange, HostileInputLeavesEstablishedSaUntouched) {
  EnginePair p(Scenario{});
  p.a.engine->Start();
  ASSERT_TRUE(p.RunUntil([&] { return p.Connected(p.a) && p.Connected(p.b); }, 10s));
  const auto before = p.StatusOf(p.b);
  const auto installed = p.b.installer.installed_count();
  const auto calls = p.b.installer.calls().size();
  const Datagram auth_request = p.wire.sent[2].datagram;  // A's IKE_AUTH request
  const Endpoint to = auth_request.to;
  const Endpoint from = auth_request.from;
  SeededRng rng(99);
  auto feed = [&](std::vector<std::uint8_t> bytes) {
    p.b.engine->Receive(p.clock.Now(), to, from, bytes);
    return p.b.engine->TakeOutbox();
  };
  // Truncated at every length: nothing is answered.
  for (std::size_t n = 0; n < auth_request.bytes.size(); n += 7) {
    EXPECT_TRUE(feed({auth_request.bytes.begin(), auth_request.bytes.begin() + static_cast<long>(n)}).empty())
        << n;
  }
  // Corrupted SK (ICV fails): dropped silently, every single bit position sampled.
  for (int i = 0; i < 200; ++i) {
    auto b = auth_request.bytes;
    std::size_t at = 28 + rng.NextU64() % (b.size() - 28);
    b[at] ^= static_cast<std::uint8_t>(1u << (rng.NextU64() % 8));
    auto out = feed(b);
    // A flipped byte in the header can turn it into anything; a reply may only be the cached one.
    for (const auto& d : out) EXPECT_EQ(wire::ParseMessage(d.bytes)->header.message_id, 1u);
  }
  // Unknown SPI (§2.21.4): from a configured peer's address, an unprotected N(INVALID_IKE_SPI) with the
  // SPIs and Message ID copied, at most 5 a second; from any other address, nothing.
  {
    auto b = auth_request.bytes;
    b[8] ^= 0xff;
    auto out = feed(b);
    ASSERT_EQ(out.size(), 1u);
    auto m = wire::ParseMessage(out[0].bytes);
    ASSERT_TRUE(m);
    const auto req = wire::ParseHeader(b);
    EXPECT_EQ(m->header.initiator_spi, req->initiator_spi);
    EXPECT_EQ(m->header.responder_spi, req->responder_spi);
    EXPECT_EQ(m->header.message_id, req->message_id);
    EXPECT_EQ(m->header.exchange, req->exchange);
    EXPECT_TRUE(m->header.response);
    EXPECT_FALSE(m->header.initiator);
    EXPECT_EQ(m->encrypted(), nullptr);
    ASSERT_EQ(m->payloads.size(), 1u);
    EXPECT_NE(m->FindNotify(wire::NotifyType::kInvalidIkeSpi), nullptr);
    EXPECT_EQ(out[0].to, from);
    std::size_t answered = 1;
    for (int i = 0; i < 20; ++i) answered += feed(b).size();
    EXPECT_EQ(answered, 5u);  // the same second
    p.clock.Advance(1s);
    EXPECT_EQ(feed(b).size(), 1u);
    Endpoint stranger = from;
    stranger.address = *net::IpAddress::Parse("203.0.113.9");
    p.clock.Advance(1s);
    p.b.engine->Receive(p.clock.Now(), to, stranger, b);
    EXPECT_TRUE(p.b.engine->TakeOutbox().empty());
  }
  // Oversized: dropped unread.
  EXPECT_TRUE(feed(std::vector<std::uint8_t>(70000, 0)).empty());
  // Random garbage.
  for (int i = 0; i < 200; ++i) {
    std::vector<std::uint8_t> g(rng.NextU64() % 400);
    rng.Fill(g);
    EXPECT_TRUE(feed(g).empty());
  }
  // Replayed IKE_AUTH request: the cached response again (§2.1), byte for byte; nothing re-processed.
  {
    auto out = feed(auth_request.bytes);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].bytes, p.wire.sent[3].datagram.bytes);
  }
  // Replayed IKE_SA_INIT request: indistinguishable from a new initiator (§2.6 is the defence), so it
  // gets a half-open SA of its own, which times out; the established SA is not affected.
  EXPECT_EQ(feed(p.wire.sent[0].datagram.bytes).size(), 1u);
  EXPECT_EQ(p.b.engine->ike_sa_count(), 2u);
  p.clock.Advance(31s);
  p.b.engine->Tick(p.clock.Now());
  EXPECT_EQ(p.b.engine->ike_sa_count(), 1u);
  (void)p.b.engine->TakeOutbox();

  const auto after = p.StatusOf(p.b);
  EXPECT_EQ(after.state, ConnectionState::kConnected);
  EXPECT_EQ(after.ike_spi_i, before.ike_spi_i);
  EXPECT_EQ(after.children.size(), 1u);
  EXPECT_EQ(p.b.installer.installed_count(), installed);
  EXPECT_EQ(p.b.installer.calls().size(), calls);
  // And the SA still works: a DPD-style exchange from A is answered.
  ASSERT_TRUE(p.a.engine->Terminate("to-b"));
  ASSERT_TRUE(p.RunUntil([&] { return p.b.installer.installed_count() == 0; }, 10s));
}

}  // namespace
}  // namespace isthmus::ike::testing
