// The CLI's only seam to the network: one HTTP exchange. Production uses HttpTransport (cpp-httplib);
// tests use a fake that records requests and replays canned responses.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace isthmus::cli {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // GET, PUT, PATCH, POST, DELETE
  std::string url;     // absolute: "http://127.0.0.1:7480/subscriptions/...?api-version=..."
  Headers headers;
  std::string body;  // JSON or empty; may contain a shared key: never log it
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;

  // Case-insensitive header lookup; empty when absent.
  std::string Header(std::string_view name) const;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Fails only when no HTTP answer was obtained (connection refused, timeout); HTTP error statuses
  // are answers and come back as responses.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

}  // namespace isthmus::cli
