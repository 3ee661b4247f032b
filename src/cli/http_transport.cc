#include "cli/http_transport.h"

#include <cctype>

#include <fmt/format.h>
#include <httplib.h>

#include "cli/errors.h"

namespace isthmus::cli {

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size() && same; ++i) {
      same =
          std::tolower(static_cast<unsigned char>(k[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return v;
  }
  return {};
}

Result<std::pair<std::string, std::string>> SplitUrl(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return Fail(ClientError(fmt::format("'{}' is not an https:// or http:// URL", url)));
  }
  std::string_view scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return Fail(ClientError(fmt::format("'{}': the endpoint must be an https:// (or http://) URL", url)));
  }
  auto path_start = url.find('/', scheme_end + 3);
  if (path_start == std::string_view::npos) return std::pair{std::string(url), std::string("/")};
  return std::pair{std::string(url.substr(0, path_start)), std::string(url.substr(path_start))};
}

namespace {

std::string Describe(httplib::Error e, const std::string& ca_file) {
  switch (e) {
    case httplib::Error::SSLServerVerification:
      return fmt::format(
          "its TLS certificate is not trusted ({}); set ISTHMUS_CA_BUNDLE to isthmusd's "
          "<state-dir>/tls/ca.pem, "
          "or ISTHMUS_STATE_DIR to its state directory",
          ca_file.empty() ? "checked against the system's certificate store" : "checked against " + ca_file);
    case httplib::Error::SSLConnection:
      return "the TLS handshake failed (if isthmusd runs with --insecure-http, use an http:// endpoint)";
    case httplib::Error::SSLLoadingCerts:
      return fmt::format("cannot load the CA certificates {}", ca_file.empty() ? "of the system" : ca_file);
    case httplib::Error::Connection:
      return "connection refused";
    case httplib::Error::ConnectionTimeout:
      return "connection timed out";
    case httplib::Error::Read:
      return "no answer (the read failed or timed out)";
    case httplib::Error::Write:
      return "the request could not be sent";
    default:
      return httplib::to_string(e);
  }
}

}  // namespace

Result<HttpResponse> HttpTransport::Send(const HttpRequest& request) {
  auto parts = SplitUrl(request.url);
  if (!parts) return Fail(parts.error());
  const auto& [origin, target] = *parts;
  httplib::Client client(origin);
  if (origin.starts_with("https://")) {
    client.enable_server_certificate_verification(true);
    if (!ca_file_.empty()) client.set_ca_cert_path(ca_file_.c_str());
  }
  client.set_connection_timeout(connect_timeout_);
  client.set_read_timeout(read_timeout_);
  client.set_write_timeout(read_timeout_);

  httplib::Request req;
  req.method = request.method;
  req.path = target;
  for (const auto& [k, v] : request.headers) req.headers.emplace(k, v);
  req.body = request.body;
  auto res = client.send(req);
  if (!res) {
    return Fail(Error{
        ErrorKind::kUnavailable,
        kConnectionErrorCode,
        res.error() == httplib::Error::SSLServerVerification || res.error() == httplib::Error::SSLLoadingCerts
            ? fmt::format("cannot talk to isthmusd at {}: {}", origin, Describe(res.error(), ca_file_))
            : fmt::format("cannot reach isthmusd at {}: {}; is it running?", origin,
                          Describe(res.error(), ca_file_)),
        {}});
  }
  HttpResponse out;
  out.status = res->status;
  for (const auto& [k, v] : res->headers) out.headers.emplace_back(k, v);
  out.body = res->body;
  return out;
}

}  // namespace isthmus::cli
