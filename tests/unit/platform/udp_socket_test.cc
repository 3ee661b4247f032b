// Real UDP sockets on loopback (no root needed): batching, peer addresses, GSO send and GRO receive.
#include "platform/linux/udp_socket.h"

#include <array>
#include <vector>

#include <gtest/gtest.h>

#include "platform/linux/epoll_poller.h"

namespace isthmus::platform {
namespace {

Endpoint Loopback(std::uint16_t port = 0) {
  return {*net::IpAddress::Parse("127.0.0.1"), port};
}

// Receives until `want` datagrams (counting GRO segments) arrived or the poller times out.
std::size_t ReceiveAll(UdpSocket& s, std::size_t want, std::vector<std::vector<std::uint8_t>>& out) {
  auto poller = EpollPoller::Create();
  std::size_t got = 0;
  bool readable = false;
  EXPECT_TRUE((*poller)->Watch(s.fd(), [&] { readable = true; }));
  for (int round = 0; round < 50 && got < want; ++round) {
    readable = false;
    (void)(*poller)->RunOnce(std::chrono::milliseconds(100));
    if (!readable) continue;
    std::vector<std::vector<std::uint8_t>> bufs(8, std::vector<std::uint8_t>(65536));
    std::array<Datagram, 8> batch;
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i] = {bufs[i].data(), bufs[i].size(), 0, {}, 0};
    auto n = s.Receive(batch);
    EXPECT_TRUE(n);
    for (std::size_t i = 0; i < *n; ++i) {
      std::size_t seg = batch[i].segment_size ? batch[i].segment_size : batch[i].size;
      for (std::size_t off = 0; off < batch[i].size; off += seg) {
        out.emplace_back(bufs[i].begin() + off, bufs[i].begin() + std::min(batch[i].size, off + seg));
        ++got;
      }
    }
  }
  return got;
}

TEST(UdpSocket, BatchedSendAndReceiveOnLoopback) {
  auto a = UdpSocket::Bind(Loopback());
  auto b = UdpSocket::Bind(Loopback());
  ASSERT_TRUE(a && b);
  EXPECT_NE((*b)->local().port, 0);
  std::vector<std::vector<std::uint8_t>> payloads;
  std::vector<Datagram> batch;
  for (int i = 0; i < 10; ++i) {
    payloads.push_back(std::vector<std::uint8_t>(100 + i, static_cast<std::uint8_t>(i)));
  }
  for (auto& p : payloads) batch.push_back({p.data(), p.size(), p.size(), (*b)->local(), 0});
  auto sent = (*a)->Send(batch);
  ASSERT_TRUE(sent);
  EXPECT_EQ(*sent, 10u);
  std::vector<std::vector<std::uint8_t>> got;
  ASSERT_EQ(ReceiveAll(**b, 10, got), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(got[i], payloads[i]);
}

TEST(UdpSocket, GsoSendCutsIntoDatagramsAndGroReceiveCoalesces) {
  auto a = UdpSocket::Bind(Loopback());
  auto b = UdpSocket::Bind(Loopback(), {.gro = true});
  ASSERT_TRUE(a && b);
  std::vector<std::uint8_t> big(1000 * 7 + 300);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i / 1000);
  Datagram d{big.data(), big.size(), big.size(), (*b)->local(), 1000};
  auto sent = (*a)->Send(std::span<const Datagram>(&d, 1));
  ASSERT_TRUE(sent) << sent.error().message;
  std::vector<std::vector<std::uint8_t>> got;
  ASSERT_EQ(ReceiveAll(**b, 8, got), 8u);
  for (int i = 0; i < 7; ++i) {
    ASSERT_EQ(got[i].size(), 1000u);
    EXPECT_EQ(got[i][0], i);
  }
  EXPECT_EQ(got[7].size(), 300u);
}

TEST(UdpSocket, BindErrorsAreClear) {
  auto a = UdpSocket::Bind(Loopback());
  ASSERT_TRUE(a);
  auto bad = UdpSocket::Bind({*net::IpAddress::Parse("192.0.2.1"), 0});  // not a local address
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("192.0.2.1"), std::string::npos);
}

}  // namespace
}  // namespace isthmus::platform
