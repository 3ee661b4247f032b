// Transport over HTTPS (or plain HTTP, when isthmusd serves it) with cpp-httplib and OpenSSL. The server's
// certificate is verified (chain and name) against a CA file — isthmusd's own CA by default — or, without
// one, the system's store.
#pragma once

#include <chrono>
#include <string>

#include "cli/transport.h"

namespace isthmus::cli {

class HttpTransport final : public Transport {
 public:
  // `read_timeout` bounds one request, not a long-running operation (polling makes many requests).
  // `ca_file`: PEM certificates to trust for https:// (empty: the system store).
  explicit HttpTransport(std::string ca_file = {},
                         std::chrono::seconds connect_timeout = std::chrono::seconds(5),
                         std::chrono::seconds read_timeout = std::chrono::seconds(120))
      : ca_file_(std::move(ca_file)), connect_timeout_(connect_timeout), read_timeout_(read_timeout) {}

  Result<HttpResponse> Send(const HttpRequest& request) override;

 private:
  std::string ca_file_;
  std::chrono::seconds connect_timeout_;
  std::chrono::seconds read_timeout_;
};

// Splits "https://host:port/path?q" into origin ("https://host:port") and target ("/path?q"); http:// too.
Result<std::pair<std::string, std::string>> SplitUrl(std::string_view url);

}  // namespace isthmus::cli
