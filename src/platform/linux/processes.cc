#include "platform/linux/processes.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace isthmus::platform {
namespace {

std::string NetnsPath(const std::string& name) {
  return "/run/netns/" + name;
}

Error Sys(const std::string& what) {
  return Error::Internal(fmt::format("{}: {}", what, std::strerror(errno)));
}

std::vector<char*> Argv(const std::vector<std::string>& args) {
  std::vector<char*> v;
  for (const auto& a : args) v.push_back(const_cast<char*>(a.c_str()));
  v.push_back(nullptr);
  return v;
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

// In a child after fork: only async-signal-safe calls until exec.
[[noreturn]] void ExecIn(int ns_fd, int out_fd, int err_fd, char* const* argv) {
  if (::setns(ns_fd, CLONE_NEWNET) != 0) ::_exit(126);
  const int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) ::dup2(devnull, 0);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  ::close_range(3, ~0U, 0);
  ::execv(argv[0], argv);
  ::_exit(127);
}

}  // namespace

Result<int> LinuxProcesses::SpawnDaemon(const SpawnSpec& spec) {
  if (spec.argv.empty()) return Fail(Error::Invalid("InvalidSpawn", "no command"));
  const int ns_fd = ::open(NetnsPath(spec.netns).c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0) return Fail(Sys("open netns " + spec.netns));
  const int log_fd = ::open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) {
    ::close(ns_fd);
    return Fail(Sys("open " + spec.log_path));
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    ::close(ns_fd);
    ::close(log_fd);
    return Fail(Sys("pipe"));
  }
  auto argv = Argv(spec.argv);
  // Double fork: the intermediate child starts a session and exits, so the daemon is parented to init
  // at once (it outlives isthmusd, and isthmusd never has to reap it).
  const pid_t mid = ::fork();
  if (mid < 0) {
    ::close(ns_fd);
    ::close(log_fd);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return Fail(Sys("fork"));
  }
  if (mid == 0) {
    ::close(pipe_fds[0]);
    ::setsid();
    const pid_t daemon = ::fork();
    if (daemon == 0) {
      // Not the intermediate's signal mask: isthmusd blocks SIGTERM/SIGINT in its threads.
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGPIPE, SIG_DFL);
      ExecIn(ns_fd, log_fd, log_fd, argv.data());
    }
    const int pid = static_cast<int>(daemon);
    (void)!::write(pipe_fds[1], &pid, sizeof pid);
    ::_exit(daemon < 0 ? 1 : 0);
  }
  ::close(pipe_fds[1]);
  ::close(ns_fd);
  ::close(log_fd);
  int pid = -1;
  ssize_t n;
  do {
    n = ::read(pipe_fds[0], &pid, sizeof pid);
  } while (n < 0 && errno == EINTR);
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(mid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n != sizeof pid || pid <= 0) return Fail(Error::Internal("spawn " + spec.argv[0] + ": fork failed"));
  return pid;
}

bool LinuxProcesses::Alive(int pid, const std::string& needle) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  std::ifstream f(fmt::format("/proc/{}/cmdline", pid));
  std::stringstream ss;
  ss << f.rdbuf();
  std::string cmd = ss.str();
  for (char& c : cmd) {
    if (c == '\0') c = ' ';
  }
  // A zombie has an empty command line.
  return !cmd.empty() && cmd.find(needle) != std::string::npos;
}

bool LinuxProcesses::InNetns(int pid, const std::string& netns) {
  struct stat a {
  }, b{};
  if (::stat(fmt::format("/proc/{}/ns/net", pid).c_str(), &a) != 0) return false;
  if (::stat(NetnsPath(netns).c_str(), &b) != 0) return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

void LinuxProcesses::Signal(int pid, int signal) {
  if (pid > 0) ::kill(pid, signal);
}

Result<RunOutcome> LinuxProcesses::Run(const RunSpec& spec) {
  if (spec.argv.empty()) return Fail(Error::Invalid("InvalidRun", "no command"));
  const int ns_fd = ::open(NetnsPath(spec.netns).c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0) return Fail(Sys("open netns " + spec.netns));
  int out_p[2], err_p[2];
  if (::pipe2(out_p, O_CLOEXEC) != 0) {
    ::close(ns_fd);
    return Fail(Sys("pipe"));
  }
  if (::pipe2(err_p, O_CLOEXEC) != 0) {
    ::close(ns_fd);
    ::close(out_p[0]);
    ::close(out_p[1]);
    return Fail(Sys("pipe"));
  }
  auto argv = Argv(spec.argv);
  const pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {ns_fd, out_p[0], out_p[1], err_p[0], err_p[1]}) ::close(fd);
    return Fail(Sys("fork"));
  }
  if (pid == 0) {
    ::setpgid(0, 0);  // its own group, so a timeout kills what it started too
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ExecIn(ns_fd, out_p[1], err_p[1], argv.data());
  }
  ::setpgid(pid, pid);
  for (int fd : {ns_fd, out_p[1], err_p[1]}) ::close(fd);
  RunOutcome r;
  const auto deadline = std::chrono::steady_clock::now() + spec.timeout;
  pollfd fds[2] = {{out_p[0], POLLIN, 0}, {err_p[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    const int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      std::string& s = *sinks[i];
      const std::size_t room = spec.max_output > s.size() ? spec.max_output - s.size() : 0;
      s.append(buf, std::min(room, static_cast<std::size_t>(got)));
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::kill(-pid, SIGKILL);  // anything it left running in its group
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  return r;
}

Result<std::string> UnixRequest(const std::string& path, const std::string& line, Duration timeout) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof a.sun_path) {
    return Fail(Error::Invalid("InvalidControlSocket", "control socket path is empty or too long"));
  }
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(Sys("socket"));
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  timeval tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    return Fail(Error::NotFound("ControlSocketUnavailable", "cannot connect to " + path + ": " + err));
  }
  if (!WriteAll(fd, line + "\n")) {
    ::close(fd);
    return Fail(Error::Internal("control socket " + path + ": write failed"));
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
  if (out.empty())
    return Fail(Error::Unavailable("ControlSocketNoReply", "control socket " + path + ": no reply"));
  return out;
}

Result<std::string> UnixControlChannel::Request(const std::string& path, const std::string& line,
                                                Duration timeout) {
  return UnixRequest(path, line, timeout);
}

}  // namespace isthmus::platform
