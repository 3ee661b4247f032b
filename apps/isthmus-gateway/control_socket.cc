#include "control_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace isthmus::gateway_app {

namespace {

// Implementation limits: a request is one short line; a client gets this long to send it (the loop
// serves one client at a time, so a stuck client must not hold the gateway).
constexpr std::size_t kMaxRequest = 4096;
constexpr int kClientTimeoutMs = 1000;

Result<sockaddr_un> Address(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof a.sun_path) {
    return Fail(Error::Invalid("InvalidControlSocket", "control socket path is empty or too long"));
  }
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return a;
}

void SetTimeouts(int fd) {
  timeval tv{kClientTimeoutMs / 1000, (kClientTimeoutMs % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool WriteAll(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<ControlServer>> ControlServer::Listen(const std::string& path,
                                                             platform::Poller& poller, Handler handler) {
  auto addr = Address(path);
  if (!addr) return Fail(addr.error());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(Error::Internal(std::string("control socket: ") + std::strerror(errno)));
  ::unlink(path.c_str());
  const mode_t old = ::umask(0077);
  const int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
  ::umask(old);
  if (rc != 0 || ::listen(fd, 16) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    return Fail(Error::Internal("control socket " + path + ": " + err));
  }
  std::unique_ptr<ControlServer> s(new ControlServer(fd, path, poller, std::move(handler)));
  if (auto r = poller.Watch(fd, [p = s.get()] { p->OnReadable(); }); !r) return Fail(r.error());
  return s;
}

ControlServer::~ControlServer() {
  poller_.Unwatch(fd_);
  ::close(fd_);
  ::unlink(path_.c_str());
}

void ControlServer::OnReadable() {
  for (;;) {
    const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    SetTimeouts(c);
    std::string line;
    char buf[512];
    while (line.size() < kMaxRequest && line.find('\n') == std::string::npos) {
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    if (auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
    if (!line.empty()) (void)WriteAll(c, handler_(line));
    ::close(c);
  }
}

Result<std::string> ControlRequest(const std::string& path, const std::string& line) {
  auto addr = Address(path);
  if (!addr) return Fail(addr.error());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(Error::Internal(std::strerror(errno)));
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    return Fail(Error::NotFound("ControlSocketUnavailable", "cannot connect to " + path + ": " + err));
  }
  if (!WriteAll(fd, line + "\n")) {
    ::close(fd);
    return Fail(Error::Internal("control socket: write failed"));
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (out.empty()) return Fail(Error::Internal("control socket: empty reply"));
  return out;
}

}  // namespace isthmus::gateway_app
