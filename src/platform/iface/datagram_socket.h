// A bound UDP socket with batched I/O. The gateway binds one on 500 (IKE) and one on 4500 (IKE with the
// non-ESP marker, and ESP in UDP, RFC 3948); the data plane reads and writes the 4500 one in batches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/result.h"
#include "platform/iface/endpoint.h"

namespace isthmus::platform {

// One datagram in a batch. For receive, `data` is the buffer and `size` is set to what arrived;
// `segment_size` is set when UDP_GRO coalesced several equal datagrams into one buffer (0 = one).
// For send, `segment_size` > 0 asks for UDP_SEGMENT (GSO): the buffer is cut into datagrams of that size.
struct Datagram {
  std::uint8_t* data = nullptr;
  std::size_t capacity = 0;
  std::size_t size = 0;
  Endpoint peer;
  std::uint16_t segment_size = 0;
};

class DatagramSocket {
 public:
  virtual ~DatagramSocket() = default;
  virtual int fd() const = 0;  // for the poller; -1 for fakes
  virtual Endpoint local() const = 0;
  // Receives up to batch.size() datagrams without blocking; returns how many (0 = nothing waiting).
  virtual Result<std::size_t> Receive(std::span<Datagram> batch) = 0;
  // Sends the datagrams; returns how many were accepted by the kernel.
  virtual Result<std::size_t> Send(std::span<const Datagram> batch) = 0;
};

}  // namespace isthmus::platform
