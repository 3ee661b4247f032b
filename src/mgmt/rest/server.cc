#include "mgmt/rest/server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

namespace isthmus::mgmt {

RestServer::RestServer(const Router& router) : router_(router), server_(std::make_unique<httplib::Server>()) {
  // httplib's own limit sits above the router's so that oversized bodies get ARM's 413 error body.
  server_->set_payload_max_length(Router::kMaxBodyBytes * 2);
  auto handler = [this](const httplib::Request& in, httplib::Response& out) {
    HttpRequest req;
    req.method = in.method;
    req.path = in.path;
    for (const auto& [k, v] : in.params) req.query.emplace(k, v);
    for (const auto& [k, v] : in.headers) {
      std::string name = k;
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace(name, v);
    }
    req.body = in.body;
    HttpResponse r = router_.Handle(req);
    out.status = r.status;
    for (const auto& [k, v] : r.headers) {
      if (k != "Content-Type") out.set_header(k, v);
    }
    auto type = r.headers.find("Content-Type");
    if (!r.body.empty()) {
      out.set_content(r.body, type != r.headers.end() ? type->second : "application/json; charset=utf-8");
    }
    // Never log bodies: they can carry shared keys.
    spdlog::debug("{} {} -> {}", in.method, in.path, r.status);
  };
  for (const char* pattern : {R"(/.*)"}) {
    server_->Get(pattern, handler);
    server_->Put(pattern, handler);
    server_->Patch(pattern, handler);
    server_->Delete(pattern, handler);
    server_->Post(pattern, handler);
    server_->Options(pattern, handler);
  }
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 413) {
      res.set_content(
          R"({"error":{"code":"RequestEntityTooLarge","message":"The request body is too large."}})",
          "application/json");
    }
  });
}

RestServer::~RestServer() = default;

Result<int> RestServer::Bind(const std::string& host, int port) {
  int bound = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    return Fail({ErrorKind::kUnavailable,
                 "BindFailed",
                 fmt::format("cannot listen on {}:{} (in use, or not a local address?)", host, port),
                 {}});
  }
  return bound;
}

void RestServer::Serve() {
  server_->listen_after_bind();
}

void RestServer::Stop() {
  server_->stop();
}

}  // namespace isthmus::mgmt
