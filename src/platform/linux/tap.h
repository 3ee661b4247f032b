// Linux TAP device (IFF_TAP | IFF_NO_PI): whole Ethernet frames, one per read or write, optionally in
// another network namespace and optionally persistent.
//
// Persistence is what lets a TAP stand where a veth stood: a persistent device keeps its addresses,
// routes, MTU and bridge port while no process holds it (it only loses carrier, so routes over it are
// "linkdown"), and the process that carries its frames attaches again after a restart.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/result.h"
#include "platform/linux/netns.h"

namespace isthmus::platform {

struct TapOptions {
  // The namespace the device lives in, as a path to its nsfs file (/run/netns/NAME, /proc/PID/ns/net);
  // empty: the caller's. The device is opened from a short-lived thread switched into it
  // (netns::RunIn), so no thread of the caller changes namespace; the descriptor works from anywhere
  // and keeps that namespace alive while it is open.
  std::string netns;
  // TUNSETPERSIST on: the device outlives this descriptor (and the process) until made non-persistent
  // or its namespace is deleted.
  bool persist = false;
};

class LinuxTap {
 public:
  // Attaches to the TAP `name` when the namespace has one, else creates it. A device of that name that
  // is not a TAP, or a TAP another process holds, is an error that says so.
  static Result<std::unique_ptr<LinuxTap>> Open(const std::string& name, const TapOptions& options = {});
  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }
  const std::string& netns() const { return netns_; }
  bool adopted() const { return adopted_; }  // the device existed before Open
  // One frame; returns its size, 0 when nothing is waiting (the descriptor is non-blocking).
  Result<std::size_t> Read(std::span<std::uint8_t> buffer);
  Status Write(std::span<const std::uint8_t> frame);
  // Off: the device goes away with the last descriptor (as one Open created without persist does).
  Status SetPersistent(bool on);

 private:
  std::string Label() const { return netns_.empty() ? "current" : netns_; }  // for errors
  LinuxTap(UniqueFd fd, std::string name, std::string netns, bool adopted)
      : fd_(std::move(fd)), name_(std::move(name)), netns_(std::move(netns)), adopted_(adopted) {}
  UniqueFd fd_;
  std::string name_;
  std::string netns_;
  bool adopted_;
};

}  // namespace isthmus::platform
