// KeepOnlyCapabilities in a forked child (capabilities are per process and cannot come back): what is
// kept, what the bounding set still allows, and that dropped ones cannot be raised again.
#include "platform/linux/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace isthmus::platform {
namespace {

// Runs `body` in a child; its exit code (0 = every check held) comes back.
template <typename F>
int InChild(F body) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST(Capabilities, OnlyTheKeptOnesRemainAndNoneComesBack) {
  auto before = EffectiveCapabilities();
  ASSERT_TRUE(before);
  const bool privileged = (*before >> CAP_NET_ADMIN) & 1;
  const int rc = InChild([privileged] {
    auto kept = KeepOnlyCapabilities({CAP_NET_ADMIN});
    if (!kept) return 1;
    const std::uint64_t want = privileged ? std::uint64_t{1} << CAP_NET_ADMIN : 0;
    if (*kept != want) return 2;
    auto now = EffectiveCapabilities();
    if (!now || *now != want) return 3;
    if (::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return 4;
    if (privileged && ::prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0) return 5;
    if (privileged && ::prctl(PR_CAPBSET_READ, CAP_NET_ADMIN, 0, 0, 0) != 1) return 6;
    // Raising a dropped capability is refused.
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    data[0].effective = data[0].permitted = (1u << CAP_SYS_ADMIN) | (1u << CAP_NET_ADMIN);
    if (::syscall(SYS_capset, &header, data) == 0) return 7;
    return 0;
  });
  EXPECT_EQ(rc, 0) << "check " << rc << " failed (privileged: " << privileged << ")";
}

}  // namespace
}  // namespace isthmus::platform
