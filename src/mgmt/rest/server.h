// Binds the Router to HTTPS (or, when asked, plain HTTP) with cpp-httplib and OpenSSL. Listens on
// loopback by default.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "mgmt/rest/router.h"

namespace httplib {
class Server;
}

namespace isthmus::mgmt {

// The server's certificate chain (leaf first) and key, PEM files. TLS 1.2 and 1.3 only.
struct TlsFiles {
  std::string cert_chain;
  std::string key;
};

class RestServer {
 public:
  // Without `tls`, plain HTTP (isthmusd's --insecure-http).
  explicit RestServer(const Router& router, std::optional<TlsFiles> tls = std::nullopt);
  // False when TLS was asked for and the certificate or key could not be loaded (`error()` says why).
  bool valid() const;
  const std::string& error() const { return error_; }
  ~RestServer();
  // Binds host:port (port 0 picks a free one); returns the bound port.
  Result<int> Bind(const std::string& host, int port);
  void Serve();  // blocks until Stop()
  void Stop();

 private:
  const Router& router_;
  std::unique_ptr<httplib::Server> server_;
  std::string error_;
};

}  // namespace isthmus::mgmt
