// The event loop's readiness source: file descriptors and one-shot timers. Timers carry an opaque id
// (an SA identifier, say), never a pointer (STYLE.md "Shape" 3).
#pragma once

#include <cstdint>
#include <functional>

#include "base/clock.h"
#include "base/result.h"

namespace isthmus::platform {

class Poller {
 public:
  using Callback = std::function<void()>;
  virtual ~Poller() = default;
  virtual Status Watch(int fd, Callback on_readable) = 0;
  virtual void Unwatch(int fd) = 0;
  // Runs callbacks for what is ready, waiting at most `timeout`; returns how many ran.
  virtual Result<int> RunOnce(Duration timeout) = 0;
  // Wakes RunOnce from another thread (or a signal handler's thread).
  virtual void Wake() = 0;
};

}  // namespace isthmus::platform
