// Named network namespaces as iproute2 keeps them: /run/netns/NAME is a bind mount of a namespace, so
// `ip netns list`, `ip netns exec NAME …` and `ip -n NAME …` see what Isthmus makes, and Isthmus adopts
// what exists after a restart.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "platform/iface/net_config.h"

namespace isthmus::platform {

// An owned file descriptor (closed on destruction; -1 when empty).
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

class LinuxNetNs final : public NetNs {
 public:
  Result<std::vector<std::string>> List() override;
  Status Create(const std::string& name) override;
  Status Delete(const std::string& name) override;
  // The NetConfig keeps the namespace alive while it lives (it holds a socket and a descriptor there),
  // as a process inside would: a namespace deleted meanwhile is freed when the NetConfig goes.
  Result<std::unique_ptr<NetConfig>> Open(const std::string& name) override;
  Result<std::vector<int>> Pids(const std::string& name) override;

  // The namespace the calling thread runs in, named after its /run/netns entry if it has one, else
  // "current". The one exception to "only named namespaces": for a gateway process that was started
  // inside its own namespace and configures its own TUN and routes. Never for isthmusd, whose
  // namespace is the host's.
  static Result<std::unique_ptr<NetConfig>> OpenCurrentNamespace();
};

// Building blocks for platform/linux only.
namespace netns {

// Opens /run/netns/NAME and checks that a network namespace is bound there; NotFound when the name
// is absent or is a file left without its mount (a crash between creating and binding it).
Result<UniqueFd> OpenNamed(const std::string& name);

// Runs `fn` on a short-lived thread switched into the namespace `ns_fd` (named `ns` in errors). The
// calling thread never changes namespace: per-namespace state that the kernel picks from the opening
// thread (netlink sockets, /proc/sys/net) is reached this way.
Status RunIn(int ns_fd, const std::string& ns, const std::function<Status()>& fn);

}  // namespace netns
}  // namespace isthmus::platform
