// Poller over epoll, with an eventfd to wake it from other threads.
#pragma once

#include <map>
#include <memory>

#include "platform/iface/poller.h"

namespace isthmus::platform {

class EpollPoller final : public Poller {
 public:
  static Result<std::unique_ptr<EpollPoller>> Create();
  ~EpollPoller() override;
  EpollPoller(const EpollPoller&) = delete;
  EpollPoller& operator=(const EpollPoller&) = delete;

  Status Watch(int fd, Callback on_readable) override;
  void Unwatch(int fd) override;
  Result<int> RunOnce(Duration timeout) override;
  void Wake() override;

 private:
  EpollPoller(int epfd, int wakefd) : epfd_(epfd), wakefd_(wakefd) {}
  int epfd_;
  int wakefd_;
  std::map<int, std::shared_ptr<Callback>> callbacks_;
};

}  // namespace isthmus::platform
