// LinuxNetNs and NetlinkConfig against real network namespaces (root; skipped otherwise): the shared
// conformance checks, then what only a kernel can show — that iproute2 sees the namespaces, that links,
// addresses and routes are where NetConfig says (iproute2's output is the independent oracle), and that
// the host's own namespace never changes. Every namespace carries a per-run random prefix and is deleted
// in TearDown, pass or fail; nothing here touches the host's interfaces.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "net_config_conformance.h"
#include "platform/linux/netlink_config.h"

namespace isthmus::platform {
namespace {

using conformance::FindLink;
using conformance::HasRoute;
using conformance::Ia;
using conformance::Ip;
using conformance::Pfx;
using ::testing::HasSubstr;
using ::testing::Not;

bool Root() {
  return ::geteuid() == 0;
}

const std::string& RunPrefix() {
  static const std::string prefix = [] {
    std::random_device rd;
    return fmt::format("istnl{:06x}-", rd() & 0xffffffU);
  }();
  return prefix;
}

// Deletes every namespace of this run, stopping what runs inside first.
void DeleteRunNamespaces() {
  LinuxNetNs ns;
  auto names = ns.List();
  if (!names) return;
  for (const auto& n : *names) {
    if (!n.starts_with(RunPrefix())) continue;
    if (auto pids = ns.Pids(n)) {
      for (int pid : *pids) ::kill(pid, SIGKILL);
    }
    (void)ns.Delete(n);
  }
}

// A test that dies half-way still leaves nothing behind.
class CleanupEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    if (Root()) DeleteRunNamespaces();
  }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new CleanupEnvironment);

std::string Sh(const std::string& cmd) {
  std::string out;
  FILE* f = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!f) return out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  ::pclose(f);
  return out;
}

// The line `ip -o link` prints for `name` ("3: v0@if2: <…> mtu 1500 …"), "" when absent.
std::string IpLinkLine(const std::string& ns, const std::string& name) {
  std::istringstream lines(Sh(ns.empty() ? "ip -o link" : "ip -n " + ns + " -o link"));
  for (std::string line; std::getline(lines, line);) {
    const auto colon = line.find(": ");
    if (colon == std::string::npos) continue;
    const auto rest = line.substr(colon + 2);
    if (rest.starts_with(name + ":") || rest.starts_with(name + "@")) return line;
  }
  return {};
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct LinuxBackend {
  static bool Available() { return Root(); }
  NetNs& netns() { return ns; }
  std::string Name(std::string_view suffix) { return RunPrefix() + std::string(suffix); }
  void Cleanup() { DeleteRunNamespaces(); }
  LinuxNetNs ns;
};

}  // namespace

namespace conformance {
INSTANTIATE_TYPED_TEST_SUITE_P(Linux, NetConfigConformance, LinuxBackend);
}  // namespace conformance

namespace {

// `ip [-n NS] -o monitor link` running beside a test: every link event of one namespace.
class LinkMonitor {
 public:
  explicit LinkMonitor(const std::string& ns) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      if (ns.empty()) {
        ::execlp("ip", "ip", "-o", "monitor", "link", nullptr);
      } else {
        ::execlp("ip", "ip", "-n", ns.c_str(), "-o", "monitor", "link", nullptr);
      }
      ::_exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
    // ip subscribes right after it starts; there is nothing to wait on but time.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ~LinkMonitor() { (void)Stop(); }
  std::string Stop() {
    if (pid_ <= 0) return out_;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the last events arrive
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(fd_, buf, sizeof buf)) > 0) out_.append(buf, static_cast<std::size_t>(n));
    ::close(fd_);
    return out_;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string out_;
};

class LinuxNetNsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Root()) GTEST_SKIP() << "needs root (network namespaces)";
  }
  void TearDown() override {
    handles_.clear();
    DeleteRunNamespaces();
  }
  std::string Name(std::string_view s) { return RunPrefix() + std::string(s); }
  void Make(std::string_view suffix, NetConfig** out) {
    auto s = ns_.Create(Name(suffix));
    ASSERT_TRUE(s) << s.error().message;
    auto cfg = ns_.Open(Name(suffix));
    ASSERT_TRUE(cfg) << cfg.error().message;
    handles_.push_back(std::move(*cfg));
    *out = handles_.back().get();
  }

  LinuxNetNs ns_;
  std::vector<std::unique_ptr<NetConfig>> handles_;
};

TEST_F(LinuxNetNsTest, NamespacesAreIproute2Namespaces) {
  const std::string n = Name("ip");
  ASSERT_TRUE(ns_.Create(n));
  struct stat st {};
  EXPECT_EQ(::stat(("/run/netns/" + n).c_str(), &st), 0);
  EXPECT_THAT(Sh("ip netns list"), HasSubstr(n));
  EXPECT_THAT(IpLinkLine(n, "lo"), HasSubstr("UP"));
  EXPECT_EQ(Sh("ip netns exec " + n + " cat /proc/sys/net/ipv4/conf/lo/forwarding").size(), 2U);
  // /run/netns is a shared mount, as iproute2 makes it.
  std::istringstream mounts(ReadFile("/proc/self/mountinfo"));
  bool shared = false;
  for (std::string line; std::getline(mounts, line);) {
    std::istringstream f(line);
    std::string id, parent, devno, root, point;
    f >> id >> parent >> devno >> root >> point;
    if (point == "/run/netns" && line.find("shared:") != std::string::npos) shared = true;
  }
  EXPECT_TRUE(shared);
  ASSERT_TRUE(ns_.Delete(n));
  EXPECT_THAT(Sh("ip netns list"), Not(HasSubstr(n)));
  EXPECT_NE(::stat(("/run/netns/" + n).c_str(), &st), 0);
}

TEST_F(LinuxNetNsTest, LinksAddressesAndRoutesAreWhereTheyClaim) {
  NetConfig* a = nullptr;
  NetConfig* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(Make("a", &a));
  ASSERT_NO_FATAL_FAILURE(Make("b", &b));
  const std::string na = Name("a");
  const std::string nb = Name("b");
  ASSERT_TRUE(a->AddVeth("nlt0", nb, "nlt1"));
  ASSERT_TRUE(b->AddBridge("nltbr"));
  ASSERT_TRUE(b->SetMaster("nlt1", "nltbr"));
  ASSERT_TRUE(a->SetMtu("nlt0", 1400));
  ASSERT_TRUE(a->SetMac("nlt0", "02:00:5e:10:00:01"));
  ASSERT_TRUE(a->SetUp("nlt0", true));
  ASSERT_TRUE(b->SetUp("nlt1", true));
  ASSERT_TRUE(b->SetUp("nltbr", true));
  ASSERT_TRUE(a->AddAddress("nlt0", Ia("10.1.0.1/24")));
  ASSERT_TRUE(a->AddAddress("nlt0", Ia("2001:db8::1/64")));
  ASSERT_TRUE(a->ReplaceRoute({Pfx("10.2.0.0/16"), Ip("10.1.0.9"), ""}));
  ASSERT_TRUE(a->ReplaceRoute({Pfx("10.3.0.0/16"), std::nullopt, "nlt0"}));
  ASSERT_TRUE(a->ReplaceRoute({Pfx("2001:db8:2::/48"), Ip("2001:db8::9"), "nlt0"}));

  const std::string v0 = IpLinkLine(na, "nlt0");
  EXPECT_THAT(v0, HasSubstr("mtu 1400"));
  EXPECT_THAT(v0, HasSubstr("link/ether 02:00:5e:10:00:01"));
  EXPECT_THAT(v0, HasSubstr(",UP"));
  const std::string v1 = IpLinkLine(nb, "nlt1");
  EXPECT_THAT(v1, HasSubstr("master nltbr"));
  EXPECT_NE(IpLinkLine(nb, "nltbr"), "");
  EXPECT_EQ(IpLinkLine(na, "nlt1"), "");
  EXPECT_EQ(IpLinkLine(nb, "nlt0"), "");
  for (const char* name : {"nlt0", "nlt1", "nltbr"}) EXPECT_EQ(IpLinkLine("", name), "") << name;

  const std::string addrs = Sh("ip -n " + na + " -o addr show dev nlt0");
  EXPECT_THAT(addrs, HasSubstr("inet 10.1.0.1/24 brd 10.1.0.255"));
  EXPECT_THAT(addrs, HasSubstr("inet6 2001:db8::1/64"));
  const std::string routes = Sh("ip -n " + na + " route");
  EXPECT_THAT(routes, HasSubstr("10.2.0.0/16 via 10.1.0.9 dev nlt0"));
  EXPECT_THAT(routes, HasSubstr("10.3.0.0/16 dev nlt0 scope link"));
  EXPECT_THAT(Sh("ip -n " + na + " -6 route"), HasSubstr("2001:db8:2::/48 via 2001:db8::9 dev nlt0"));

  ASSERT_TRUE(a->DeleteRoute(Pfx("10.2.0.0/16")));
  EXPECT_THAT(Sh("ip -n " + na + " route"), Not(HasSubstr("10.2.0.0/16")));
  ASSERT_TRUE(a->DeleteAddress("nlt0", Ia("10.1.0.1/24")));
  EXPECT_THAT(Sh("ip -n " + na + " -o addr show dev nlt0"), Not(HasSubstr("10.1.0.1")));
}

TEST_F(LinuxNetNsTest, TheHostNamespaceNeverHoldsAVethEnd) {
  NetConfig* a = nullptr;
  NetConfig* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(Make("a", &a));
  ASSERT_NO_FATAL_FAILURE(Make("b", &b));
  LinkMonitor host("");
  LinkMonitor inside(Name("a"));  // the control: this one must see the veth come and go
  ASSERT_TRUE(a->AddVeth("nlt0", Name("b"), "nlt1"));
  ASSERT_TRUE(a->DeleteLink("nlt0"));
  const std::string seen_inside = inside.Stop();
  const std::string seen_host = host.Stop();
  EXPECT_THAT(seen_inside, HasSubstr("nlt0"));
  EXPECT_THAT(seen_host, Not(HasSubstr("nlt0")));
  EXPECT_THAT(seen_host, Not(HasSubstr("nlt1")));
}

TEST_F(LinuxNetNsTest, SysctlsAreIsolatedFromTheHost) {
  const std::string host_before = ReadFile("/proc/sys/net/ipv4/ip_forward");
  NetConfig* a = nullptr;
  NetConfig* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(Make("a", &a));
  ASSERT_NO_FATAL_FAILURE(Make("b", &b));
  const std::string flipped = host_before.starts_with("1") ? "0" : "1";
  ASSERT_TRUE(a->SetSysctl("ipv4/ip_forward", flipped));
  ASSERT_TRUE(b->SetSysctl("ipv4/ip_forward", host_before.substr(0, 1)));
  EXPECT_EQ(*a->GetSysctl("ipv4/ip_forward"), flipped);
  EXPECT_EQ(Sh("ip netns exec " + Name("a") + " cat /proc/sys/net/ipv4/ip_forward"), flipped + "\n");
  EXPECT_EQ(Sh("ip netns exec " + Name("b") + " cat /proc/sys/net/ipv4/ip_forward"), host_before);
  EXPECT_EQ(ReadFile("/proc/sys/net/ipv4/ip_forward"), host_before);
}

TEST_F(LinuxNetNsTest, TheHostNamespaceIsUnchangedByEverything) {
  auto snapshot = [] {
    // Without what changes by itself on a host with DHCP or router advertisements: lifetimes.
    static const std::regex kTimers(R"((valid_lft|preferred_lft|expires) \S+)");
    return std::regex_replace(Sh("ip -o link") + Sh("ip -o addr") + Sh("ip route") + Sh("ip -6 route"),
                              kTimers, "") +
           ReadFile("/proc/sys/net/ipv4/ip_forward") + ReadFile("/proc/sys/net/ipv6/conf/all/forwarding");
  };
  const std::string before = snapshot();
  {
    NetConfig* a = nullptr;
    NetConfig* b = nullptr;
    ASSERT_NO_FATAL_FAILURE(Make("a", &a));
    ASSERT_NO_FATAL_FAILURE(Make("b", &b));
    ASSERT_TRUE(a->AddVeth("v0", Name("b"), "v1"));
    ASSERT_TRUE(b->AddBridge("br0"));
    ASSERT_TRUE(b->SetMaster("v1", "br0"));
    ASSERT_TRUE(a->SetMtu("v0", 1400));
    ASSERT_TRUE(a->SetMac("v0", "02:00:5e:10:00:02"));
    for (auto [cfg, link] :
         {std::pair{a, "v0"}, std::pair{b, "v1"}, std::pair{b, "br0"}, std::pair{a, "lo"}}) {
      ASSERT_TRUE(cfg->SetUp(link, true));
    }
    ASSERT_TRUE(a->AddAddress("v0", Ia("10.1.0.1/24")));
    ASSERT_TRUE(b->AddAddress("br0", Ia("10.1.0.2/24")));
    ASSERT_TRUE(a->AddAddress("v0", Ia("2001:db8::1/64")));
    ASSERT_TRUE(a->ReplaceRoute({Pfx("0.0.0.0/0"), Ip("10.1.0.2"), ""}));
    ASSERT_TRUE(a->ReplaceRoute({Pfx("10.9.0.0/16"), std::nullopt, "v0"}));
    ASSERT_TRUE(a->ReplaceRoute({Pfx("::/0"), Ip("2001:db8::2"), "v0"}));
    ASSERT_TRUE(a->SetSysctl("ipv4/ip_forward", "1"));
    ASSERT_TRUE(a->SetSysctl("ipv6/conf/all/forwarding", "1"));
    ASSERT_TRUE(a->SetSysctl("ipv4/conf/all/rp_filter", "0"));
    ASSERT_TRUE(a->DeleteRoute(Pfx("10.9.0.0/16")));
    ASSERT_TRUE(b->DeleteLink("br0"));
    ASSERT_TRUE(a->DeleteLink("v0"));
    handles_.clear();
    ASSERT_TRUE(ns_.Delete(Name("a")));
    ASSERT_TRUE(ns_.Delete(Name("b")));
  }
  EXPECT_EQ(snapshot(), before);
}

TEST_F(LinuxNetNsTest, PidsListsTheProcessesInside) {
  const std::string n = Name("pids");
  ASSERT_TRUE(ns_.Create(n));
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::execlp("ip", "ip", "netns", "exec", n.c_str(), "sleep", "30", nullptr);
    ::_exit(127);
  }
  bool found = false;
  for (int i = 0; i < 250 && !found; ++i) {  // until `ip` has entered the namespace (at most 5 s)
    auto pids = ns_.Pids(n);
    ASSERT_TRUE(pids) << pids.error().message;
    found = std::find(pids->begin(), pids->end(), child) != pids->end();
    if (!found) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(found);
  auto self = ns_.Pids(n);
  EXPECT_THAT(*self, Not(::testing::Contains(::getpid())));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

TEST_F(LinuxNetNsTest, OpenCurrentNamespaceIsTheCallingThreads) {
  NetConfig* a = nullptr;
  ASSERT_NO_FATAL_FAILURE(Make("a", &a));
  Result<std::unique_ptr<NetConfig>> cur = Fail(Error::Internal("not run"));
  std::thread t([&] {
    UniqueFd fd(::open(("/run/netns/" + Name("a")).c_str(), O_RDONLY | O_CLOEXEC));
    if (fd && ::setns(fd.get(), CLONE_NEWNET) == 0) cur = LinuxNetNs::OpenCurrentNamespace();
  });
  t.join();
  ASSERT_TRUE(cur) << cur.error().message;
  EXPECT_EQ((*cur)->ns(), Name("a"));  // named after its /run/netns entry
  ASSERT_TRUE((*cur)->AddBridge("nltcur"));
  EXPECT_NE(IpLinkLine(Name("a"), "nltcur"), "");
  EXPECT_EQ(IpLinkLine("", "nltcur"), "");
  // From the test's own thread it is the host's: only looked at, never changed.
  auto host = LinuxNetNs::OpenCurrentNamespace();
  ASSERT_TRUE(host) << host.error().message;
  EXPECT_EQ((*host)->ns(), "current");
  EXPECT_TRUE(FindLink(**host, "lo"));
}

TEST_F(LinuxNetNsTest, AStaleNameIsHiddenAndTakenOver) {
  NetConfig* a = nullptr;
  ASSERT_NO_FATAL_FAILURE(Make("a", &a));  // makes sure /run/netns exists
  const std::string n = Name("stale");
  // What a crash between creating the file and binding the namespace leaves.
  UniqueFd f(::open(("/run/netns/" + n).c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0));
  ASSERT_TRUE(f);
  f = UniqueFd();
  EXPECT_THAT(*ns_.List(), Not(::testing::Contains(n)));
  auto open = ns_.Open(n);
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().kind, ErrorKind::kNotFound);
  EXPECT_THAT(open.error().message, HasSubstr("no network namespace is bound there"));
  ASSERT_TRUE(ns_.Create(n));
  EXPECT_TRUE(ns_.Open(n));
}

TEST_F(LinuxNetNsTest, AnOpenNetConfigKeepsItsNamespaceAlive) {
  NetConfig* a = nullptr;
  ASSERT_NO_FATAL_FAILURE(Make("a", &a));
  ASSERT_TRUE(ns_.Delete(Name("a")));
  // Unlike the fake (which fails NotFound here): the kernel frees the namespace with its last user.
  EXPECT_TRUE(a->AddBridge("br0"));
  EXPECT_TRUE(FindLink(*a, "br0"));
}

}  // namespace
}  // namespace isthmus::platform
