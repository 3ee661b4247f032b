// Binds the Router to HTTPS (or, when asked, plain HTTP) with cpp-httplib and OpenSSL. Listens on
// loopback by default.
//
// httplib (Debian's 0.11.4, a shared library) parses HTTP; the connections themselves are served by this
// file's own loop (rest/server.cc), because httplib bounds only the wait for each single read: a client
// sending one header byte every few seconds held a worker forever, a request head or a chunked body
// could grow without bound, and a fixed pool of 8 workers was all a client needed to take.
#pragma once

#include <chrono>
#include <cstddef>
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
  // Connection handling: implementation choices, documented in docs/rest-api.md ("Limits and hostile
  // input"). One connection holds one worker while it is open.
  static constexpr std::size_t kWorkerThreads = 64;  // connections served at once (httplib's default: 8)
  // Connections open at once from one client address; more are closed at once, unanswered. Half the
  // workers, so one address cannot take them all.
  static constexpr std::size_t kMaxConnectionsPerPeer = kWorkerThreads / 2;
  static constexpr std::chrono::seconds kHandshakeTimeout{5};  // TCP accepted to TLS established
  // No byte for this long in a request or a response ends the connection; it is also how long an idle
  // keep-alive connection is kept (httplib's defaults, 5 s both).
  static constexpr std::chrono::seconds kIdleTimeout{5};
  static constexpr std::chrono::seconds kRequestHeadTimeout{
      10};  // request line + headers, from its first byte
  static constexpr std::chrono::seconds kRequestBodyTimeout{60};  // the body, from the end of the headers
  static constexpr std::chrono::seconds kResponseTimeout{60};     // writing one response
  static constexpr std::size_t kMaxRequestHeadBytes = 32 * 1024;  // request line + headers (431 above)
  // On the wire, chunk framing included (413 above); the router refuses bodies above 1 MiB itself.
  static constexpr std::size_t kMaxRequestBodyBytes = 2 * Router::kMaxBodyBytes;
  // A body whose Content-Length is above kMaxRequestBodyBytes is read and discarded (never stored in
  // memory) so that the client, which sends it whole before reading, gets its 413; above this size it is
  // refused unread and the connection closed.
  static constexpr std::size_t kMaxDiscardedBodyBytes = 32 * Router::kMaxBodyBytes;
  static constexpr std::size_t kMaxRequestsPerConnection = 5;  // httplib's keep-alive default
  static constexpr int kListenBacklog = 1024;                  // connections the kernel queues (httplib: 5)

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
  std::string error_;
  std::unique_ptr<httplib::Server> server_;
};

}  // namespace isthmus::mgmt
