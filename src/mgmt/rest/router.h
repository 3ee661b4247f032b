// The ARM-shaped REST API as a pure function of a request: no sockets here, so every route and error
// is unit-testable and fuzzable. rest/server.h binds it to HTTP.
#pragma once

#include <map>
#include <string>

#include "mgmt/service/resource_service.h"

namespace isthmus::mgmt {

struct HttpRequest {
  std::string method;  // upper case
  std::string path;    // without the query string
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::map<std::string, std::string> headers;
  std::string body;  // JSON text (or empty)
};

class Router {
 public:
  // `token` is the bearer token every request must present.
  Router(ResourceService& service, std::string token) : service_(service), token_(std::move(token)) {}

  HttpResponse Handle(const HttpRequest& req) const;

  static constexpr std::size_t kMaxBodyBytes = 1 << 20;

 private:
  HttpResponse Route(const HttpRequest& req) const;
  bool Authorized(const HttpRequest& req) const;

  ResourceService& service_;
  std::string token_;
};

// ARM error body and the HTTP status for an Error.
HttpResponse ErrorResponse(const Error& e);
int HttpStatusFor(ErrorKind kind);

}  // namespace isthmus::mgmt
