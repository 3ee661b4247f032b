#include "platform/linux/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace isthmus::platform {

namespace {

Error CapError(const char* what) {
  return Error::Internal(fmt::format("capabilities: {}: {}", what, std::strerror(errno)));
}

struct CapSets {
  std::uint64_t effective = 0, permitted = 0, inheritable = 0;
};

Result<CapSets> Get() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return Fail(CapError("capget"));
  auto join = [](std::uint32_t lo, std::uint32_t hi) { return lo | (std::uint64_t{hi} << 32); };
  return CapSets{join(data[0].effective, data[1].effective), join(data[0].permitted, data[1].permitted),
                 join(data[0].inheritable, data[1].inheritable)};
}

}  // namespace

Result<std::uint64_t> EffectiveCapabilities() {
  auto s = Get();
  if (!s) return Fail(s.error());
  return s->effective;
}

Result<std::uint64_t> KeepOnlyCapabilities(std::initializer_list<int> keep) {
  auto current = Get();
  if (!current) return Fail(current.error());
  std::uint64_t wanted = 0;
  for (int c : keep) wanted |= std::uint64_t{1} << c;
  const std::uint64_t kept = wanted & current->permitted;
  // The bounding set first (that needs CAP_SETPCAP, which is about to go): nothing else can come back
  // through an exec. Without CAP_SETPCAP (an unprivileged run) there is nothing to bound.
  if (current->effective & (std::uint64_t{1} << CAP_SETPCAP)) {
    for (int c = 0; c <= CAP_LAST_CAP; ++c) {
      if (kept & (std::uint64_t{1} << c)) continue;
      if (::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL)
        return Fail(CapError("PR_CAPBSET_DROP"));
    }
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Fail(CapError("PR_SET_NO_NEW_PRIVS"));
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  data[0].effective = data[0].permitted = static_cast<std::uint32_t>(kept);
  data[1].effective = data[1].permitted = static_cast<std::uint32_t>(kept >> 32);
  if (::syscall(SYS_capset, &header, data) != 0) return Fail(CapError("capset"));
  return kept;
}

}  // namespace isthmus::platform
