#include "platform/fake/fake_socket.h"

#include <gtest/gtest.h>

namespace isthmus::platform {
namespace {

TEST(FakeNetwork, DeliversByEndpointAndCutsGsoBuffers) {
  FakeNetwork net;
  Endpoint ea{*net::IpAddress::Parse("198.18.0.2"), 4500}, eb{*net::IpAddress::Parse("198.18.0.3"), 4500};
  auto a = net.Bind(ea);
  auto b = net.Bind(eb);
  std::vector<std::uint8_t> buf(2500, 7);
  Datagram d{buf.data(), buf.size(), buf.size(), eb, 1000};
  ASSERT_TRUE(a->Send(std::span<const Datagram>(&d, 1)));
  EXPECT_EQ(b->pending(), 3u);
  std::vector<std::uint8_t> in(4000);
  Datagram r{in.data(), in.size(), 0, {}, 0};
  ASSERT_EQ(*b->Receive(std::span<Datagram>(&r, 1)), 1u);
  EXPECT_EQ(r.size, 1000u);
  EXPECT_EQ(r.peer, ea);
  Datagram lost{buf.data(), buf.size(), 10, {*net::IpAddress::Parse("198.18.0.9"), 1}, 0};
  ASSERT_TRUE(a->Send(std::span<const Datagram>(&lost, 1)));
  EXPECT_EQ(net.dropped(), 1u);
}

}  // namespace
}  // namespace isthmus::platform
