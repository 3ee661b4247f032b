// Transport over plain HTTP with cpp-httplib. isthmusd listens on loopback; TLS is not offered by the
// daemon, so `https://` endpoints are refused with a clear message rather than half-supported.
#pragma once

#include <chrono>

#include "cli/transport.h"

namespace isthmus::cli {

class HttpTransport final : public Transport {
 public:
  // `read_timeout` bounds one request, not a long-running operation (polling makes many requests).
  explicit HttpTransport(std::chrono::seconds connect_timeout = std::chrono::seconds(5),
                         std::chrono::seconds read_timeout = std::chrono::seconds(120))
      : connect_timeout_(connect_timeout), read_timeout_(read_timeout) {}

  Result<HttpResponse> Send(const HttpRequest& request) override;

 private:
  std::chrono::seconds connect_timeout_;
  std::chrono::seconds read_timeout_;
};

// Splits "http://host:port/path?q" into origin ("http://host:port") and target ("/path?q").
Result<std::pair<std::string, std::string>> SplitUrl(std::string_view url);

}  // namespace isthmus::cli
