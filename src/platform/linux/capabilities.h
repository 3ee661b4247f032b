// Giving up privilege once set-up is done: a process keeps only the capabilities it still needs (the
// rest leave its effective, permitted, inheritable and bounding sets) and can gain none back
// (no_new_privs). Capabilities are per thread on Linux: call this before starting any thread.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "base/result.h"

namespace isthmus::platform {

// `keep` holds capability numbers (<linux/capability.h>, e.g. 12 for CAP_NET_ADMIN); any of them the
// process does not hold is simply not kept. Returns the effective set that remains, as a bit mask.
Result<std::uint64_t> KeepOnlyCapabilities(std::initializer_list<int> keep);

// The calling thread's effective capability set, as a bit mask (bit n = capability n).
Result<std::uint64_t> EffectiveCapabilities();

}  // namespace isthmus::platform
