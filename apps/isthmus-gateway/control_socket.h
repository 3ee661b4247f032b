// The control socket's transport: a unix stream socket, one request line per connection, one reply
// line back (the protocol itself is gateway::Runtime::Control). Server side runs in the gateway's
// event loop; the client side is what `isthmus-gateway status --socket PATH` uses.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "platform/iface/poller.h"

namespace isthmus::gateway_app {

class ControlServer {
 public:
  using Handler = std::function<std::string(const std::string& line)>;
  // Binds `path` (replacing a stale socket file), mode 0600, and watches it on `poller`.
  static Result<std::unique_ptr<ControlServer>> Listen(const std::string& path, platform::Poller& poller,
                                                       Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

 private:
  ControlServer(int fd, std::string path, platform::Poller& poller, Handler handler)
      : fd_(fd), path_(std::move(path)), poller_(poller), handler_(std::move(handler)) {}
  void OnReadable();
  int fd_;
  std::string path_;
  platform::Poller& poller_;
  Handler handler_;
};

// Sends one request line and returns the reply (up to EOF), or an error.
Result<std::string> ControlRequest(const std::string& path, const std::string& line);

}  // namespace isthmus::gateway_app
