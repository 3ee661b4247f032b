// Linux TUN device (IFF_TUN | IFF_NO_PI [| IFF_VNET_HDR]) with optional TSO/checksum offloads.
#pragma once

#include <memory>
#include <string>

#include "platform/iface/tun_device.h"

namespace isthmus::platform {

struct TunOptions {
  // IFF_VNET_HDR + TUNSETOFFLOAD(CSUM|TSO4|TSO6|TSO_ECN): the kernel passes 64 KB TCP super-segments.
  // Only enable it when the reader segments them (notes/this-machine.md).
  bool offloads = false;
};

class LinuxTun final : public TunDevice {
 public:
  static Result<std::unique_ptr<LinuxTun>> Open(const std::string& name, const TunOptions& options = {});
  ~LinuxTun() override;
  LinuxTun(const LinuxTun&) = delete;
  LinuxTun& operator=(const LinuxTun&) = delete;

  int fd() const override { return fd_; }
  const std::string& name() const override { return name_; }
  bool vnet_hdr() const override { return vnet_hdr_; }
  Result<std::size_t> Read(std::span<std::uint8_t> buffer) override;
  Status Write(std::span<const std::uint8_t> packet) override;

 private:
  LinuxTun(int fd, std::string name, bool vnet) : fd_(fd), name_(std::move(name)), vnet_hdr_(vnet) {}
  int fd_;
  std::string name_;
  bool vnet_hdr_;
};

}  // namespace isthmus::platform
