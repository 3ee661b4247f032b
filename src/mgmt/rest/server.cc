#include "mgmt/rest/server.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>

#include <fmt/format.h>
#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

namespace isthmus::mgmt {

namespace {

using Clock = std::chrono::steady_clock;

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  char buf[256] = {};
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return e != 0 ? buf : "unknown error";
}

void SocketAddress(socket_t fd, bool remote, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((remote ? ::getpeername(fd, sa, &len) : ::getsockname(fd, sa, &len)) != 0) return;
  std::array<char, NI_MAXHOST> host{};
  std::array<char, NI_MAXSERV> serv{};
  if (::getnameinfo(sa, len, host.data(), host.size(), serv.data(), serv.size(),
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host.data();
    port = std::atoi(serv.data());
  }
}

// Why the connection loop refused the request it was reading; the error handler turns it into a status.
enum class Refusal { kNone, kHeadTooLarge, kHeaderLineTooLong, kBodyTooLarge, kTimedOut };

// One accepted connection as httplib's parser sees it: reads and writes through TLS (or not) on a
// non-blocking socket, each bounded by the idle timeout and by its request's deadline, and counted
// against the head and body limits. httplib reads a request's head one byte at a time, so the end of the
// head (the first CRLFCRLF) is seen exactly.
class Connection final : public httplib::Stream {
 public:
  // `listener` is the server's listening socket: INVALID_SOCKET once Stop() was called, which ends every
  // wait within 200 ms.
  Connection(socket_t fd, SSL* ssl, const std::atomic<socket_t>& listener)
      : fd_(fd), ssl_(ssl), listener_(listener) {}

  bool Handshake() {
    const auto until = Clock::now() + RestServer::kHandshakeTimeout;
    while (true) {
      ERR_clear_error();
      const int r = SSL_accept(ssl_);
      if (r == 1) return true;
      const short events = WantedEvents(SSL_get_error(ssl_, r));
      if (events == 0 || !Wait(events, until)) return false;
    }
  }

  // Waits for the first byte of the next request (false: idle too long, closed, or the server stops).
  bool WaitForRequest() {
    return (ssl_ && SSL_pending(ssl_) > 0) || Wait(POLLIN, Clock::now() + RestServer::kIdleTimeout);
  }

  void BeginRequest() {
    head_bytes_ = body_bytes_ = line_bytes_ = 0;
    body_limit_ = RestServer::kMaxRequestBodyBytes;
    last4_ = 0;
    in_body_ = false;
    refusal = Refusal::kNone;
    close_after = false;
    deadline_ = Clock::now() + RestServer::kRequestHeadTimeout;
    write_deadline_.reset();
    written_ = 0;
  }

  std::size_t written() const { return written_; }
  // A body declared longer than httplib keeps is read only to be discarded (see kMaxDiscardedBodyBytes).
  void DiscardBody(std::size_t length) { body_limit_ = std::max(body_limit_, length); }

  Refusal refusal = Refusal::kNone;
  bool close_after = false;  // the response refuses what was not read: the connection cannot go on

  bool is_readable() const override { return (ssl_ && SSL_pending(ssl_) > 0) || Wait(POLLIN, ReadUntil()); }
  bool is_writable() const override { return Wait(POLLOUT, Clock::now() + RestServer::kIdleTimeout); }

  ssize_t read(char* ptr, size_t size) override {
    const std::size_t left =
        in_body_ ? body_limit_ - body_bytes_ : RestServer::kMaxRequestHeadBytes - head_bytes_;
    if (left == 0) {
      refusal = in_body_ ? Refusal::kBodyTooLarge : Refusal::kHeadTooLarge;
      return -1;
    }
    size = std::min(size, left);
    while (true) {
      ssize_t n;
      short events = POLLIN;
      if (ssl_) {
        ERR_clear_error();
        n = SSL_read(ssl_, ptr, static_cast<int>(std::min<size_t>(size, 1 << 30)));
        if (n > 0) return Account(ptr, n);
        const int e = SSL_get_error(ssl_, static_cast<int>(n));
        if (e == SSL_ERROR_ZERO_RETURN) return 0;
        events = WantedEvents(e);
        if (events == 0) return -1;
      } else {
        n = ::recv(fd_, ptr, size, 0);
        if (n >= 0) return Account(ptr, n);
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      }
      if (!Wait(events, ReadUntil())) {
        refusal = Refusal::kTimedOut;
        return -1;
      }
    }
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!write_deadline_) write_deadline_ = Clock::now() + RestServer::kResponseTimeout;
    while (true) {
      ssize_t n;
      short events = POLLOUT;
      if (ssl_) {
        ERR_clear_error();
        n = SSL_write(ssl_, ptr, static_cast<int>(std::min<size_t>(size, 1 << 30)));
        if (n > 0) return Wrote(n);
        events = WantedEvents(SSL_get_error(ssl_, static_cast<int>(n)));
        if (events == 0) return -1;
      } else {
        n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
        if (n >= 0) return Wrote(n);
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      }
      if (!Wait(events, std::min(*write_deadline_, Clock::now() + RestServer::kIdleTimeout))) return -1;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    SocketAddress(fd_, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    SocketAddress(fd_, false, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  static short WantedEvents(int ssl_error) {
    return ssl_error == SSL_ERROR_WANT_READ ? POLLIN : ssl_error == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
  }

  Clock::time_point ReadUntil() const { return std::min(deadline_, Clock::now() + RestServer::kIdleTimeout); }

  bool Wait(short events, Clock::time_point until) const {
    while (listener_ != INVALID_SOCKET) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{fd_, events, 0};
      const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 200)));
      if (r > 0) return true;  // readiness, or an error the next read or write reports
      if (r < 0 && errno != EINTR) return false;
    }
    return false;
  }

  ssize_t Wrote(ssize_t n) {
    written_ += static_cast<std::size_t>(n);
    return n;
  }

  // Counts what was read against the limits; the head ends at its first CRLFCRLF.
  ssize_t Account(const char* ptr, ssize_t n) {
    for (ssize_t i = 0; i < n; ++i) {
      if (in_body_) {
        body_bytes_ += static_cast<std::size_t>(n - i);
        break;
      }
      ++head_bytes_;
      const auto c = static_cast<unsigned char>(ptr[i]);
      line_bytes_ = c == '\n' ? 0 : line_bytes_ + 1;
      if (line_bytes_ > CPPHTTPLIB_HEADER_MAX_LENGTH) refusal = Refusal::kHeaderLineTooLong;
      last4_ = (last4_ << 8) | c;
      if (last4_ == 0x0D0A0D0A) {
        in_body_ = true;
        deadline_ = Clock::now() + RestServer::kRequestBodyTimeout;
      }
    }
    return n;
  }

  socket_t fd_;
  SSL* ssl_;
  const std::atomic<socket_t>& listener_;
  std::size_t head_bytes_ = 0, body_bytes_ = 0, line_bytes_ = 0, written_ = 0;
  std::size_t body_limit_ = RestServer::kMaxRequestBodyBytes;
  std::uint32_t last4_ = 0;
  bool in_body_ = false;
  Clock::time_point deadline_{};
  std::optional<Clock::time_point> write_deadline_;
};

// The connection the calling worker thread serves: httplib's pre-routing and error handlers run on it
// and read or set its refusal state (they have no other way to reach the connection).
thread_local Connection* t_connection = nullptr;

std::string ArmError(const std::string& code, const std::string& message) {
  return Json{{"error", {{"code", code}, {"message", message}}}}.dump();
}

// RFC 7230 §3.3.2-3.3.3: a request whose body framing is ambiguous is an error (one server reading
// two Content-Lengths, or Transfer-Encoding and Content-Length, differently from another is request
// smuggling). Bodies are not decompressed: 2 MiB of gzip is 2 GiB in memory. Answered before the body
// is read, so the connection closes after the answer.
std::optional<std::pair<int, std::string>> RefuseFraming(const httplib::Request& in) {
  const auto lengths = in.get_header_value_count("Content-Length");
  const auto codings = in.get_header_value_count("Transfer-Encoding");
  const auto refuse = [](int status, const char* code, const char* message) {
    return std::optional<std::pair<int, std::string>>({status, ArmError(code, message)});
  };
  if (lengths > 1)
    return refuse(400, "InvalidRequestFraming", "The request has more than one Content-Length.");
  const std::string length = in.get_header_value("Content-Length");
  if (lengths == 1 && (length.empty() || !std::all_of(length.begin(), length.end(),
                                                      [](unsigned char c) { return std::isdigit(c); }))) {
    return refuse(400, "InvalidRequestFraming", "The Content-Length is not a number.");
  }
  if (lengths == 1 && length.size() > 15)
    return refuse(413, "RequestEntityTooLarge", "The request body is too large.");
  if (codings > 0 && lengths > 0) {
    return refuse(400, "InvalidRequestFraming", "The request has both Transfer-Encoding and Content-Length.");
  }
  if (codings > 1 || (codings == 1 && !IEquals(in.get_header_value("Transfer-Encoding"), "chunked"))) {
    return refuse(400, "InvalidRequestFraming", "The only Transfer-Encoding accepted is 'chunked'.");
  }
  if (in.has_header("Content-Encoding") && !IEquals(in.get_header_value("Content-Encoding"), "identity")) {
    return refuse(415, "UnsupportedContentEncoding", "Request bodies must not be compressed.");
  }
  if (in.get_header_value_count("Host") > 1) {
    return refuse(400, "InvalidHostHeader", "The request has more than one Host header.");
  }
  return std::nullopt;
}

// The methods the router serves (HEAD goes to the GET handler); TRACE, CONNECT and the rest are 405.
bool Served(const std::string& method) {
  for (const char* m : {"GET", "HEAD", "PUT", "PATCH", "DELETE", "POST", "OPTIONS"}) {
    if (method == m) return true;
  }
  return false;
}

// The Content-Length (RefuseFraming checked that it is at most 15 digits), or 0.
std::size_t DeclaredLength(const httplib::Request& in) {
  return in.get_header_value_count("Content-Length") == 1 ? std::stoull(in.get_header_value("Content-Length"))
                                                          : 0;
}

std::pair<int, std::string> TooLarge() {
  return {413, ArmError("RequestEntityTooLarge",
                        fmt::format("The request body is larger than {} bytes.", Router::kMaxBodyBytes))};
}

// What is answered instead of the router, before a body is read (nullopt: the router's request).
std::optional<std::pair<int, std::string>> RefuseBeforeBody(const httplib::Request& in) {
  if (auto framing = RefuseFraming(in)) return framing;
  if (!Served(in.method)) {
    return std::pair{405,
                     ArmError("MethodNotAllowed", fmt::format("The method '{}' is not allowed.", in.method))};
  }
  if (DeclaredLength(in) > RestServer::kMaxDiscardedBodyBytes) return TooLarge();
  return std::nullopt;
}

// The body, if any, was not read: the connection cannot go on after the answer.
void Refuse(const std::pair<int, std::string>& refusal, httplib::Response& out) {
  out.status = refusal.first;
  out.set_content(refusal.second, "application/json; charset=utf-8");
  out.set_header("Connection", "close");
  if (t_connection) t_connection->close_after = true;
}

// ARM's error for what httplib or the connection loop refused before the router saw the request:
// sets `out`'s status and body. The connection closes after it (what follows cannot be trusted).
void DescribeRefusal(const httplib::Request& in, httplib::Response& out) {
  const Refusal refusal = t_connection ? t_connection->refusal : Refusal::kNone;
  std::string code, message;
  if (refusal == Refusal::kHeadTooLarge || (refusal == Refusal::kHeaderLineTooLong && out.status == 400)) {
    out.status = 431;
    code = "RequestHeaderFieldsTooLarge";
    message =
        refusal == Refusal::kHeadTooLarge
            ? fmt::format("The request line and headers are larger than {} bytes.",
                          RestServer::kMaxRequestHeadBytes)
            : fmt::format("A request header line is longer than {} bytes.", CPPHTTPLIB_HEADER_MAX_LENGTH);
  } else if (refusal == Refusal::kBodyTooLarge || out.status == 413) {
    out.status = 413;
    code = "RequestEntityTooLarge";
    message = fmt::format("The request body is too large (at most {} bytes; {} for a form-encoded body).",
                          Router::kMaxBodyBytes, CPPHTTPLIB_FORM_URL_ENCODED_PAYLOAD_MAX_LENGTH);
  } else if (refusal == Refusal::kTimedOut) {
    out.status = 408;
    code = "RequestTimeout";
    message = fmt::format(
        "The request did not arrive in time ({} s without a byte, {} s for the headers, {} s for the body).",
        RestServer::kIdleTimeout.count(), RestServer::kRequestHeadTimeout.count(),
        RestServer::kRequestBodyTimeout.count());
  } else if (out.status == 414) {
    code = "RequestUriTooLong";
    message = fmt::format("The request URI is longer than {} bytes.", CPPHTTPLIB_REQUEST_URI_MAX_LENGTH);
  } else if (out.status == 400 && !in.method.empty() && !Served(in.method) &&
             std::all_of(in.method.begin(), in.method.end(),
                         [](unsigned char c) { return std::isupper(c); })) {
    out.status = 405;
    code = "MethodNotAllowed";
    message = fmt::format("The method '{}' is not allowed.", in.method);
  } else if (out.status == 400) {
    code = "InvalidRequest";
    message = "The request is not valid HTTP/1.1 (its request line, headers or body framing).";
  } else {
    code = fmt::format("Http{}", out.status);
    message = fmt::format("The request failed with HTTP status {}.", out.status);
  }
  if (t_connection) t_connection->close_after = true;
  out.set_header("Connection", "close");
  out.set_content(ArmError(code, message), "application/json; charset=utf-8");
}

// Counts the open connections per client address.
class PeerTable {
 public:
  bool Admit(const std::string& peer) {
    std::lock_guard lock(mu_);
    std::size_t& n = open_[peer];
    if (n >= RestServer::kMaxConnectionsPerPeer) return false;
    ++n;
    return true;
  }
  void Release(const std::string& peer) {
    std::lock_guard lock(mu_);
    if (--open_[peer] == 0) open_.erase(peer);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::size_t> open_;
};

// httplib's server with its per-connection loop replaced (process_and_close_socket is httplib's virtual
// seam; its SSLServer overrides it the same way). httplib still accepts, parses, routes and writes.
class GuardedServer final : public httplib::Server {
 public:
  explicit GuardedServer(SSL_CTX* tls) : tls_(tls) {
    new_task_queue = [] { return new httplib::ThreadPool(RestServer::kWorkerThreads); };
  }
  ~GuardedServer() override {
    if (tls_) SSL_CTX_free(tls_);
  }

  // httplib listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, compiled into Debian's library): a
  // burst of connections overflowed it and the kernel dropped the next clients' SYNs (a 1 s retry).
  // listen() again on the bound socket sets a deeper queue.
  void WidenBacklog() { ::listen(svr_sock_, RestServer::kListenBacklog); }

 private:
  bool process_and_close_socket(socket_t sock) override {
    std::string peer;
    int port = 0;
    SocketAddress(sock, true, peer, port);
    bool ok = false;
    if (peers_.Admit(peer)) {
      ok = Serve(sock);
      peers_.Release(peer);
    } else {
      spdlog::warn("refused a connection from {}: {} are open already", peer,
                   RestServer::kMaxConnectionsPerPeer);
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
  }

  bool Serve(socket_t sock) {
    ::fcntl(sock, F_SETFL, ::fcntl(sock, F_GETFL) | O_NONBLOCK);
    SSL* ssl = tls_ ? SSL_new(tls_) : nullptr;
    if (tls_ && (!ssl || SSL_set_fd(ssl, sock) != 1)) {
      SSL_free(ssl);
      return false;
    }
    Connection conn(sock, ssl, svr_sock_);
    bool ok = !ssl || conn.Handshake();
    for (std::size_t served = 0; ok && served < RestServer::kMaxRequestsPerConnection; ++served) {
      if (!conn.WaitForRequest()) break;
      conn.BeginRequest();
      bool closed = false;
      t_connection = &conn;
      ok = process_request(conn, served + 1 == RestServer::kMaxRequestsPerConnection, closed, nullptr);
      // httplib gives up without an answer when the request line itself fails (too long, too slow).
      if (!ok && conn.refusal != Refusal::kNone && conn.written() == 0) WriteRefusal(conn);
      t_connection = nullptr;
      if (closed || conn.close_after) break;
    }
    if (ssl) {
      if (ok) SSL_shutdown(ssl);  // one try: a close_notify if the socket takes it
      SSL_free(ssl);
    }
    return ok;
  }

  // Only a timeout or an oversized head can end the request line (Account() and read() set nothing else
  // before the head is complete), hence the two reason phrases.
  static void WriteRefusal(Connection& conn) {
    httplib::Request in;
    httplib::Response out;
    out.status = 400;
    DescribeRefusal(in, out);
    const std::string head = fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n"
        "Connection: close\r\n\r\n",
        out.status, out.status == 408 ? "Request Timeout" : "Request Header Fields Too Large",
        out.body.size());
    for (const std::string* part : {&head, static_cast<const std::string*>(&out.body)}) {
      for (std::size_t at = 0; at < part->size();) {
        const ssize_t n = conn.write(part->data() + at, part->size() - at);
        if (n <= 0) return;
        at += static_cast<std::size_t>(n);
      }
    }
  }

  SSL_CTX* tls_;
  PeerTable peers_;
};

std::unique_ptr<httplib::Server> MakeServer(const std::optional<TlsFiles>& tls, std::string& error) {
  if (!tls) return std::make_unique<GuardedServer>(nullptr);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    error = fmt::format("cannot set up TLS: {}", OpenSslError());
    return std::make_unique<GuardedServer>(nullptr);
  }
  auto server = std::make_unique<GuardedServer>(ctx);
  // TLS 1.2 and 1.3 only (older versions are refused in the handshake); no compression, no
  // renegotiation (RFC 7457's attacks on both).
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx, tls->cert_chain.c_str()) != 1) {
    error = fmt::format("cannot load the TLS certificate {}: {}", tls->cert_chain, OpenSslError());
  } else if (SSL_CTX_use_PrivateKey_file(ctx, tls->key.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = fmt::format("cannot load the TLS key {}: {}", tls->key, OpenSslError());
  } else if (SSL_CTX_check_private_key(ctx) != 1) {
    error = fmt::format("the TLS key {} does not belong to the certificate {}", tls->key, tls->cert_chain);
  }
  return server;
}

// Header values carry request data (a location, a decoded path): control characters are
// percent-encoded, so nothing splits a header and httplib does not silently drop one (it drops values
// with CR or LF).
std::string HeaderValue(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (unsigned char c : v) {
    if ((c < 0x20 && c != '\t') || c == 0x7F) {
      out += fmt::format("%{:02X}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}
}  // namespace

RestServer::RestServer(const Router& router, std::optional<TlsFiles> tls)
    : router_(router), server_(MakeServer(tls, error_)) {
  // httplib's own limit sits above the router's so that oversized bodies get ARM's 413 error body.
  server_->set_payload_max_length(kMaxRequestBodyBytes);
  server_->set_keep_alive_timeout(kIdleTimeout.count());
  server_->set_keep_alive_max_count(kMaxRequestsPerConnection);
  auto handler = [this](const httplib::Request& in, httplib::Response& out) {
    HttpRequest req;
    req.method = in.method;
    req.path = in.path;
    // The query string only: httplib also adds the fields of a form-encoded body to `params`.
    if (auto q = in.target.find('?'); q != std::string::npos) {
      httplib::Params params;
      httplib::detail::parse_query_text(in.target.substr(q + 1), params);
      for (const auto& [k, v] : params) req.query.emplace(k, v);
    }
    for (const auto& [k, v] : in.headers) {
      std::string name = k;
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace(name, v);
    }
    req.body = in.body;
    HttpResponse r = router_.Handle(req);
    out.status = r.status;
    for (const auto& [k, v] : r.headers) {
      if (k != "Content-Type") out.set_header(k, HeaderValue(v));
    }
    auto type = r.headers.find("Content-Type");
    if (!r.body.empty()) {
      out.set_content(r.body, type != r.headers.end() ? type->second : "application/json; charset=utf-8");
    }
    // Never log bodies: they can carry shared keys.
    spdlog::debug("{} {} -> {}", in.method, HeaderValue(in.path), r.status);
  };
  // Every path, CR and LF included (a decoded %0D%0A; '.' does not match them): the router answers.
  for (const char* pattern : {R"([\s\S]*)"}) {
    server_->Get(pattern, handler);
    server_->Put(pattern, handler);
    server_->Patch(pattern, handler);
    server_->Delete(pattern, handler);
    server_->Post(pattern, handler);
    server_->Options(pattern, handler);
  }
  server_->set_pre_routing_handler([](const httplib::Request& in, httplib::Response& out) {
    if (auto refusal = RefuseBeforeBody(in)) {
      Refuse(*refusal, out);
      return httplib::Server::HandlerResponse::Handled;
    }
    // A declared body over the limit: httplib reads and drops it, then answers 413 (clients send the
    // whole body before they read the answer).
    if (t_connection && DeclaredLength(in) > kMaxRequestBodyBytes)
      t_connection->DiscardBody(DeclaredLength(in));
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // A client that asks before sending its body ("Expect: 100-continue", as curl does above 1 MiB) is
  // refused before it sends one that would be refused.
  server_->set_expect_100_continue_handler([](const httplib::Request& in, httplib::Response& out) {
    auto refusal = RefuseBeforeBody(in);
    if (!refusal && DeclaredLength(in) > kMaxRequestBodyBytes) refusal = TooLarge();
    if (!refusal) return 100;
    Refuse(*refusal, out);
    return out.status;
  });
  server_->set_error_handler([](const httplib::Request& in, httplib::Response& out) {
    // The router's answers (a HEAD's 404 too) carry its x-ms-request-id; the pre-routing refusals a body.
    if (out.body.empty() && !out.has_header("x-ms-request-id")) DescribeRefusal(in, out);
  });
  server_->set_exception_handler([](const httplib::Request& in, httplib::Response& out, std::exception_ptr) {
    // The exception's text may quote input (and input may hold a shared key): not logged, not answered.
    spdlog::error("{} request: an exception escaped the router", in.method);
    out.status = 500;
    out.set_content(ArmError("InternalServerError", "The server could not process the request."),
                    "application/json; charset=utf-8");
  });
}

RestServer::~RestServer() = default;

bool RestServer::valid() const {
  return error_.empty() && server_->is_valid();
}

Result<int> RestServer::Bind(const std::string& host, int port) {
  int bound = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound >= 0) static_cast<GuardedServer&>(*server_).WidenBacklog();
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
