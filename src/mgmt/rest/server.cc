#include "mgmt/rest/server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

namespace isthmus::mgmt {

namespace {

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  char buf[256] = {};
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return e != 0 ? buf : "unknown error";
}

std::unique_ptr<httplib::Server> MakeServer(const std::optional<TlsFiles>& tls, std::string& error) {
  if (!tls) return std::make_unique<httplib::Server>();
  return std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
    // TLS 1.2 and 1.3 only (older versions are refused in the handshake); no compression, no
    // renegotiation (RFC 7457's attacks on both).
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(&ctx,
                        SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_use_certificate_chain_file(&ctx, tls->cert_chain.c_str()) != 1) {
      error = fmt::format("cannot load the TLS certificate {}: {}", tls->cert_chain, OpenSslError());
      return false;
    }
    if (SSL_CTX_use_PrivateKey_file(&ctx, tls->key.c_str(), SSL_FILETYPE_PEM) != 1) {
      error = fmt::format("cannot load the TLS key {}: {}", tls->key, OpenSslError());
      return false;
    }
    if (SSL_CTX_check_private_key(&ctx) != 1) {
      error = fmt::format("the TLS key {} does not belong to the certificate {}", tls->key, tls->cert_chain);
      return false;
    }
    return true;
  });
}

}  // namespace

RestServer::RestServer(const Router& router, std::optional<TlsFiles> tls)
    : router_(router), server_(MakeServer(tls, error_)) {
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

bool RestServer::valid() const {
  return error_.empty() && server_->is_valid();
}

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
