// Linux UDP socket: recvmmsg/sendmmsg batches, optional UDP_GRO on receive and UDP_SEGMENT on send.
#pragma once

#include <memory>

#include "platform/iface/datagram_socket.h"

namespace isthmus::platform {

struct UdpOptions {
  bool gro = false;              // coalesce received datagrams (UDP_GRO)
  int receive_buffer = 4 << 20;  // SO_RCVBUF: absorbs bursts between event-loop turns
  int send_buffer = 4 << 20;
};

class UdpSocket final : public DatagramSocket {
 public:
  static Result<std::unique_ptr<UdpSocket>> Bind(const Endpoint& local, const UdpOptions& options = {});
  ~UdpSocket() override;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  int fd() const override { return fd_; }
  Endpoint local() const override { return local_; }
  Result<std::size_t> Receive(std::span<Datagram> batch) override;
  Result<std::size_t> Send(std::span<const Datagram> batch) override;

 private:
  UdpSocket(int fd, Endpoint local) : fd_(fd), local_(local) {}
  int fd_;
  Endpoint local_;
};

}  // namespace isthmus::platform
