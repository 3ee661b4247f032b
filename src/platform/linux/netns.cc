#include "platform/linux/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <exception>
#include <thread>

#include <fmt/format.h>

#include "platform/iface/net_config_rules.h"
#include "platform/linux/netlink_config.h"

namespace isthmus::platform {
namespace {

// iproute2's directory for named namespaces (NETNS_RUN_DIR in its ip/ip_common.h).
constexpr const char* kRunDir = "/run/netns";

std::string PathOf(const std::string& name) {
  return fmt::format("{}/{}", kRunDir, name);
}

// A failure of the calling thread's last system call.
Error SysError(const std::string& ns, std::string_view what) {
  return NetConfigError(ns, what, errno);
}

// iproute2's `ip netns add` makes the directory a shared mount (bind-mounting it onto itself first when
// it is not a mount point), so that a namespace bound or unbound under it later is seen, and freed, in
// every mount namespace that was copied from this one (`ip netns exec` makes such copies).
Status PrepareRunDir(const std::string& ns) {
  if (::mkdir(kRunDir, 0755) != 0 && errno != EEXIST)
    return Fail(SysError(ns, fmt::format("create {}", kRunDir)));
  bool bound = false;
  while (::mount("", kRunDir, "none", MS_SHARED | MS_REC, nullptr) != 0) {
    // EINVAL: not a mount point yet.
    if (errno != EINVAL || bound) return Fail(SysError(ns, fmt::format("make {} a shared mount", kRunDir)));
    if (::mount(kRunDir, kRunDir, "none", MS_BIND | MS_REC, nullptr) != 0) {
      return Fail(SysError(ns, fmt::format("bind-mount {} onto itself", kRunDir)));
    }
    bound = true;
  }
  return {};
}

bool IsNetNamespace(int fd) {
  return ::ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET;
}

// Binds a new, empty network namespace at `path`. unshare() moves only the calling thread, which is a
// throwaway one: the namespace outlives it through the mount.
Status BindNewNamespace(const std::string& ns, const std::string& path) {
  Status result;
  try {
    std::thread t([&] {
      if (::unshare(CLONE_NEWNET) != 0) {
        result = Fail(SysError(ns, "unshare"));
        return;
      }
      // thread-self, not self: /proc/self/ns/net is the main thread's namespace.
      if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
        result = Fail(SysError(ns, fmt::format("bind-mount the new namespace at {}", path)));
      }
    });
    t.join();
  } catch (const std::exception& e) {
    return Fail(Error::Unavailable("NetConfigUnavailable",
                                   fmt::format("netns {}: start a thread: {}", ns, e.what())));
  }
  return result;
}

// /run/netns entries that are bound to a network namespace.
std::vector<std::string> BoundNames() {
  std::vector<std::string> names;
  DIR* dir = ::opendir(kRunDir);
  if (!dir) return names;
  // A bound name is an nsfs mount over its file: its device differs from the directory's, and an
  // entry left unbound by a crash has the directory's. One stat an entry, not an open and an ioctl:
  // an idle reconcile pass lists hundreds. (Only `ip netns` and Isthmus bind names here, and only
  // network namespaces.) Without the directory's stat, each entry is opened and asked.
  struct stat here {};
  const bool have_dir = ::fstat(::dirfd(dir), &here) == 0;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (have_dir && ::fstatat(::dirfd(dir), e->d_name, &st, 0) == 0) {
      if (st.st_dev != here.st_dev) names.push_back(name);
      continue;
    }
    UniqueFd fd(::open(PathOf(name).c_str(), O_RDONLY | O_CLOEXEC));
    if (fd && IsNetNamespace(fd.get())) names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

bool SameInode(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

namespace netns {

Result<UniqueFd> OpenNamed(const std::string& name) {
  if (auto s = CheckNetnsName(name); !s) return Fail(s.error());
  const std::string path = PathOf(name);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Fail(SysError(name, fmt::format("open {}", path)));
  if (!IsNetNamespace(fd.get())) {
    return Fail(
        NetConfigError(name, fmt::format("open {}", path), ENOENT, "no network namespace is bound there"));
  }
  return fd;
}

Status RunIn(int ns_fd, const std::string& ns, const std::function<Status()>& fn) {
  Status result;
  try {
    std::thread t([&] {
      if (::setns(ns_fd, CLONE_NEWNET) != 0) {
        result = Fail(SysError(ns, "enter the namespace"));
        return;
      }
      try {
        result = fn();
      } catch (const std::exception& e) {
        result = Fail(Error::Internal(fmt::format("netns {}: {}", ns, e.what())));
      }
    });
    t.join();
  } catch (const std::exception& e) {
    return Fail(Error::Unavailable("NetConfigUnavailable",
                                   fmt::format("netns {}: start a thread: {}", ns, e.what())));
  }
  return result;
}

}  // namespace netns

Result<std::vector<std::string>> LinuxNetNs::List() {
  return BoundNames();
}

Status LinuxNetNs::Create(const std::string& name) {
  if (auto s = CheckNetnsName(name); !s) return s;
  if (auto s = PrepareRunDir(name); !s) return s;
  const std::string path = PathOf(name);
  UniqueFd file(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0));
  if (!file) {
    if (errno != EEXIST) return Fail(SysError(name, fmt::format("create {}", path)));
    // A name left unbound by a crash between creating and binding it is taken over (List() never
    // showed it); a bound one is a conflict.
    UniqueFd existing(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!existing || IsNetNamespace(existing.get())) {
      return Fail(NetConfigError(name, fmt::format("create {}", path), EEXIST));
    }
  }
  file = UniqueFd();
  if (auto s = BindNewNamespace(name, path); !s) {
    ::unlink(path.c_str());
    return s;
  }
  // A namespace starts with `lo` down; everything that runs in one expects it up (iproute2's `ip netns
  // add` leaves that to the user, the NetNs contract does not).
  Status lo;
  {
    auto cfg = Open(name);
    lo = cfg ? (*cfg)->SetUp("lo", true) : Status(Fail(cfg.error()));
  }  // our handle is closed here, so that the delete below frees the namespace
  if (!lo) (void)Delete(name);
  return lo;
}

Status LinuxNetNs::Delete(const std::string& name) {
  if (auto s = CheckNetnsName(name); !s) return s;
  const std::string path = PathOf(name);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return Fail(SysError(name, fmt::format("delete {}", path)));
  // MNT_DETACH as iproute2 does: a process in another mount namespace holding the mount must not make
  // the delete fail. EINVAL: nothing is mounted there (a leftover name), which only needs the unlink.
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL) {
    return Fail(SysError(name, fmt::format("unmount {}", path)));
  }
  if (::unlink(path.c_str()) != 0) return Fail(SysError(name, fmt::format("remove {}", path)));
  return {};
}

Result<std::unique_ptr<NetConfig>> LinuxNetNs::Open(const std::string& name) {
  auto fd = netns::OpenNamed(name);
  if (!fd) return Fail(fd.error());
  auto cfg = NetlinkConfig::Open(name, std::move(*fd));
  if (!cfg) return Fail(cfg.error());
  return std::unique_ptr<NetConfig>(std::move(*cfg));
}

Result<std::vector<int>> LinuxNetNs::Pids(const std::string& name) {
  if (auto s = CheckNetnsName(name); !s) return Fail(s.error());
  const std::string path = PathOf(name);
  struct stat target {};
  if (::stat(path.c_str(), &target) != 0) return Fail(SysError(name, fmt::format("stat {}", path)));
  // As `ip netns pids` does: a process is in the namespace when its ns/net link is the same inode.
  std::vector<int> pids;
  DIR* proc = ::opendir("/proc");
  if (!proc) return Fail(SysError(name, "list /proc"));
  while (const dirent* e = ::readdir(proc)) {
    int pid = 0;
    const std::string_view d = e->d_name;
    auto [ptr, ec] = std::from_chars(d.data(), d.data() + d.size(), pid);
    if (ec != std::errc() || ptr != d.data() + d.size()) continue;
    struct stat st {};
    // A process that exits meanwhile simply fails the stat.
    if (::stat(fmt::format("/proc/{}/ns/net", pid).c_str(), &st) == 0 && SameInode(st, target))
      pids.push_back(pid);
  }
  ::closedir(proc);
  std::sort(pids.begin(), pids.end());
  return pids;
}

Result<std::unique_ptr<NetConfig>> LinuxNetNs::OpenCurrentNamespace() {
  UniqueFd fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!fd) return Fail(SysError("current", "open /proc/thread-self/ns/net"));
  struct stat self {};
  std::string label = "current";
  if (::fstat(fd.get(), &self) == 0) {
    for (const auto& name : BoundNames()) {
      struct stat st {};
      if (::stat(PathOf(name).c_str(), &st) == 0 && SameInode(st, self)) {
        label = name;
        break;
      }
    }
  }
  auto cfg = NetlinkConfig::Open(label, std::move(fd));
  if (!cfg) return Fail(cfg.error());
  return std::unique_ptr<NetConfig>(std::move(*cfg));
}

}  // namespace isthmus::platform
