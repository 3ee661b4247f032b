// A layer-3 TUN device. With `vnet_hdr`, every packet is preceded by a 10-byte virtio_net_hdr and the
// kernel hands over TCP super-segments of up to 64 KB (TSO/GSO offloads; notes/this-machine.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "base/result.h"

namespace isthmus::platform {

class TunDevice {
 public:
  virtual ~TunDevice() = default;
  virtual int fd() const = 0;
  virtual const std::string& name() const = 0;
  virtual bool vnet_hdr() const = 0;
  // One packet (with its virtio header when vnet_hdr()); returns its size, 0 when nothing is waiting.
  virtual Result<std::size_t> Read(std::span<std::uint8_t> buffer) = 0;
  virtual Status Write(std::span<const std::uint8_t> packet) = 0;
};

}  // namespace isthmus::platform
