// Binds the Router to HTTP with cpp-httplib. Listens on loopback by default.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "mgmt/rest/router.h"

namespace httplib {
class Server;
}

namespace isthmus::mgmt {

class RestServer {
 public:
  explicit RestServer(const Router& router);
  ~RestServer();
  // Binds host:port (port 0 picks a free one); returns the bound port.
  Result<int> Bind(const std::string& host, int port);
  void Serve();  // blocks until Stop()
  void Stop();

 private:
  const Router& router_;
  std::unique_ptr<httplib::Server> server_;
};

}  // namespace isthmus::mgmt
