#include "platform/linux/epoll_poller.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace isthmus::platform {
namespace {

Error Errno(const char* what) {
  return {ErrorKind::kUnavailable, "PollerError", fmt::format("{}: {}", what, std::strerror(errno)), {}};
}

}  // namespace

Result<std::unique_ptr<EpollPoller>> EpollPoller::Create() {
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return Fail(Errno("epoll_create1"));
  int wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake < 0) {
    ::close(ep);
    return Fail(Errno("eventfd"));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, wake, &ev);
  return std::unique_ptr<EpollPoller>(new EpollPoller(ep, wake));
}

EpollPoller::~EpollPoller() {
  ::close(wakefd_);
  ::close(epfd_);
}

Status EpollPoller::Watch(int fd, Callback on_readable) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) return Fail(Errno("epoll_ctl(ADD)"));
  callbacks_[fd] = std::make_shared<Callback>(std::move(on_readable));
  return {};
}

void EpollPoller::Unwatch(int fd) {
  ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  callbacks_.erase(fd);
}

Result<int> EpollPoller::RunOnce(Duration timeout) {
  std::array<epoll_event, 32> events;
  int ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count());
  if (timeout.count() > 0 && ms == 0) ms = 1;  // never spin on sub-millisecond timeouts
  int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), ms);
  if (n < 0) {
    if (errno == EINTR) return 0;
    return Fail(Errno("epoll_wait"));
  }
  int ran = 0;
  for (int i = 0; i < n; ++i) {
    int fd = events[i].data.fd;
    if (fd == wakefd_) {
      std::uint64_t v;
      while (::read(wakefd_, &v, sizeof v) > 0) {
      }
      continue;
    }
    auto it = callbacks_.find(fd);
    if (it == callbacks_.end()) continue;
    auto cb = it->second;  // keeps the callback alive if it unwatches itself
    (*cb)();
    ++ran;
  }
  return ran;
}

void EpollPoller::Wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] auto r = ::write(wakefd_, &one, sizeof one);
}

}  // namespace isthmus::platform
