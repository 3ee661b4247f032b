#include "platform/linux/udp_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

namespace isthmus::platform {
namespace {

// Implementation choice: the largest batch one syscall moves; matches the data plane's batch size.
constexpr std::size_t kMaxBatch = 64;

Error Errno(const char* what) {
  return {ErrorKind::kUnavailable, "SocketError", fmt::format("{}: {}", what, std::strerror(errno)), {}};
}

socklen_t ToSockaddr(const Endpoint& e, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (e.address.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(e.port);
    std::memcpy(&sin->sin_addr, e.address.bytes(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(e.port);
  std::memcpy(&sin6->sin6_addr, e.address.bytes(), 16);
  return sizeof(sockaddr_in6);
}

Endpoint FromSockaddr(const sockaddr_storage& ss) {
  Endpoint e;
  if (ss.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    e.address =
        net::IpAddress::FromBytes(net::Family::kV4, reinterpret_cast<const std::uint8_t*>(&sin->sin_addr));
    e.port = ntohs(sin->sin_port);
  } else {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    e.address =
        net::IpAddress::FromBytes(net::Family::kV6, reinterpret_cast<const std::uint8_t*>(&sin6->sin6_addr));
    e.port = ntohs(sin6->sin6_port);
  }
  return e;
}

}  // namespace

Result<std::unique_ptr<UdpSocket>> UdpSocket::Bind(const Endpoint& local, const UdpOptions& options) {
  int family = local.address.is_v4() ? AF_INET : AF_INET6;
  int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(Errno("socket"));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &options.receive_buffer, sizeof options.receive_buffer);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &options.send_buffer, sizeof options.send_buffer);
  if (options.gro && ::setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) != 0) {
    Error e = Errno("setsockopt(UDP_GRO)");
    ::close(fd);
    return Fail(std::move(e));
  }
  sockaddr_storage ss;
  socklen_t len = ToSockaddr(local, ss);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    Error e = Errno(fmt::format("bind {}", local.ToString()).c_str());
    ::close(fd);
    return Fail(std::move(e));
  }
  len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return std::unique_ptr<UdpSocket>(new UdpSocket(fd, FromSockaddr(ss)));
}

UdpSocket::~UdpSocket() {
  ::close(fd_);
}

Result<std::size_t> UdpSocket::Receive(std::span<Datagram> batch) {
  std::size_t n = std::min(batch.size(), kMaxBatch);
  std::array<mmsghdr, kMaxBatch> msgs{};
  std::array<iovec, kMaxBatch> iov{};
  std::array<sockaddr_storage, kMaxBatch> addrs{};
  alignas(cmsghdr) std::array<std::array<char, CMSG_SPACE(sizeof(int))>, kMaxBatch> control{};
  for (std::size_t i = 0; i < n; ++i) {
    iov[i] = {batch[i].data, batch[i].capacity};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &addrs[i];
    msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
    msgs[i].msg_hdr.msg_control = control[i].data();
    msgs[i].msg_hdr.msg_controllen = control[i].size();
  }
  int got = ::recvmmsg(fd_, msgs.data(), static_cast<unsigned>(n), MSG_DONTWAIT, nullptr);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::size_t{0};
    return Fail(Errno("recvmmsg"));
  }
  for (int i = 0; i < got; ++i) {
    batch[i].size = msgs[i].msg_len;
    batch[i].peer = FromSockaddr(addrs[i]);
    batch[i].segment_size = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int seg = 0;
        std::memcpy(&seg, CMSG_DATA(c), sizeof seg);
        batch[i].segment_size = static_cast<std::uint16_t>(seg);
      }
    }
  }
  return static_cast<std::size_t>(got);
}

Result<std::size_t> UdpSocket::Send(std::span<const Datagram> batch) {
  std::size_t n = std::min(batch.size(), kMaxBatch);
  std::array<mmsghdr, kMaxBatch> msgs{};
  std::array<iovec, kMaxBatch> iov{};
  std::array<sockaddr_storage, kMaxBatch> addrs{};
  alignas(cmsghdr) std::array<std::array<char, CMSG_SPACE(sizeof(std::uint16_t))>, kMaxBatch> control{};
  for (std::size_t i = 0; i < n; ++i) {
    iov[i] = {batch[i].data, batch[i].size};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &addrs[i];
    msgs[i].msg_hdr.msg_namelen = ToSockaddr(batch[i].peer, addrs[i]);
    if (batch[i].segment_size > 0) {
      msgs[i].msg_hdr.msg_control = control[i].data();
      msgs[i].msg_hdr.msg_controllen = control[i].size();
      cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
      std::uint16_t seg = batch[i].segment_size;
      std::memcpy(CMSG_DATA(c), &seg, sizeof seg);
    }
  }
  int sent = ::sendmmsg(fd_, msgs.data(), static_cast<unsigned>(n), MSG_DONTWAIT);
  if (sent < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::size_t{0};
    return Fail(Errno("sendmmsg"));
  }
  return static_cast<std::size_t>(sent);
}

}  // namespace isthmus::platform
