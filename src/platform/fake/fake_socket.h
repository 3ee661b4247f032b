// In-memory UDP: sockets on one FakeNetwork deliver to each other's queues by endpoint. For tests of
// code above the platform (gateway, data plane) without root or real sockets.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "platform/iface/datagram_socket.h"

namespace isthmus::platform {

class FakeNetwork;

class FakeSocket final : public DatagramSocket {
 public:
  FakeSocket(FakeNetwork& net, Endpoint local) : net_(net), local_(local) {}
  ~FakeSocket() override;
  int fd() const override { return -1; }
  Endpoint local() const override { return local_; }
  Result<std::size_t> Receive(std::span<Datagram> batch) override;
  Result<std::size_t> Send(std::span<const Datagram> batch) override;
  std::size_t pending() const { return queue_.size(); }

 private:
  friend class FakeNetwork;
  struct Packet {
    Endpoint from;
    std::vector<std::uint8_t> bytes;
  };
  FakeNetwork& net_;
  Endpoint local_;
  std::deque<Packet> queue_;
};

class FakeNetwork {
 public:
  std::unique_ptr<FakeSocket> Bind(const Endpoint& local);
  std::size_t delivered() const { return delivered_; }
  std::size_t dropped() const { return dropped_; }  // sent to an endpoint nobody bound

 private:
  friend class FakeSocket;
  void Deliver(const Endpoint& from, const Endpoint& to, std::span<const std::uint8_t> bytes);
  void Forget(FakeSocket* s);
  std::map<std::string, FakeSocket*> bound_;
  std::size_t delivered_ = 0;
  std::size_t dropped_ = 0;
};

}  // namespace isthmus::platform
