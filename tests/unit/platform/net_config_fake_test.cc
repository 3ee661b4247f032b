// FakeNetNs: the shared conformance checks (the same ones real namespaces pass in
// net_config_linux_test.cc), then what only the fake has: injected failures and call accounting.
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "net_config_conformance.h"
#include "platform/fake/fake_net_config.h"
#include "platform/iface/net_config_rules.h"

namespace isthmus::platform {
namespace {

using conformance::FindLink;
using conformance::Ia;
using conformance::Ip;
using conformance::Pfx;
using ::testing::ElementsAre;

struct FakeBackend {
  static bool Available() { return true; }
  NetNs& netns() { return ns; }
  std::string Name(std::string_view suffix) { return "t-" + std::string(suffix); }
  void Cleanup() {}
  FakeNetNs ns;
};

}  // namespace

namespace conformance {
INSTANTIATE_TYPED_TEST_SUITE_P(Fake, NetConfigConformance, FakeBackend);
}  // namespace conformance

namespace {

class FakeNetNsTest : public ::testing::Test {
 protected:
  std::unique_ptr<NetConfig> Make(const std::string& name) {
    EXPECT_TRUE(ns_.Create(name));
    auto cfg = ns_.Open(name);
    EXPECT_TRUE(cfg);
    return cfg ? std::move(*cfg) : nullptr;
  }
  FakeNetNs ns_;
};

TEST_F(FakeNetNsTest, NewNamespaceDefaults) {
  auto a = Make("a");
  EXPECT_EQ(*a->GetSysctl("ipv4/ip_forward"), "0");
  EXPECT_EQ(*a->GetSysctl("ipv4/conf/all/rp_filter"), "0");
  EXPECT_EQ(*a->GetSysctl("ipv6/conf/lo/disable_ipv6"), "0");
  EXPECT_EQ(FindLink(*a, "lo")->mac, "00:00:00:00:00:00");
}

TEST_F(FakeNetNsTest, MacsAreDistinctAndRepeatable) {
  auto a = Make("a");
  ASSERT_TRUE(a->AddVeth("v0", "a", "v1"));
  ASSERT_TRUE(a->AddBridge("br0"));
  // The peer is made first, as veth_newlink() does.
  EXPECT_EQ(FindLink(*a, "v1")->mac, "02:00:00:00:00:01");
  EXPECT_EQ(FindLink(*a, "v0")->mac, "02:00:00:00:00:02");
  EXPECT_EQ(FindLink(*a, "br0")->mac, "02:00:00:00:00:03");
}

TEST_F(FakeNetNsTest, FailNextFailsOnceAndChangesNothing) {
  auto a = Make("a");
  ASSERT_TRUE(ns_.Create("b"));
  ns_.FailNext("AddVeth", Error::Unavailable("NetConfigUnavailable", "injected"));
  auto first = a->AddVeth("v0", "b", "v1");
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().message, "injected");
  EXPECT_FALSE(FindLink(*a, "v0"));
  EXPECT_TRUE(a->AddVeth("v0", "b", "v1"));
}

TEST_F(FakeNetNsTest, FailNextCanTargetOneNamespaceAndQueues) {
  auto a = Make("a");
  auto b = Make("b");
  ns_.FailNext("AddBridge", Error::Internal("first"), "b");
  ns_.FailNext("AddBridge", Error::Internal("second"), "b");
  EXPECT_TRUE(a->AddBridge("br0"));  // other namespace: untouched
  EXPECT_EQ(b->AddBridge("br0").error().message, "first");
  EXPECT_EQ(b->AddBridge("br0").error().message, "second");
  EXPECT_TRUE(b->AddBridge("br0"));
}

TEST_F(FakeNetNsTest, FailNextCoversNetNsOperations) {
  ns_.FailNext("Create", Error::Internal("no"));
  EXPECT_FALSE(ns_.Create("a"));
  EXPECT_TRUE(ns_.List()->empty());
  ASSERT_TRUE(ns_.Create("a"));
  ns_.FailNext("Open", Error::Internal("no"), "a");
  EXPECT_FALSE(ns_.Open("a"));
  ns_.FailNext("Links", Error::Internal("no"));
  auto a = ns_.Open("a");
  ASSERT_TRUE(a);
  EXPECT_FALSE((*a)->Links());
  EXPECT_TRUE((*a)->Links());
}

TEST_F(FakeNetNsTest, CountsCallsAndJournalsChanges) {
  auto a = Make("a");
  ns_.ResetCounts();
  EXPECT_EQ(ns_.Calls(), 0U);
  ASSERT_TRUE(a->Links());
  ASSERT_TRUE(a->Routes());
  ASSERT_TRUE(a->GetSysctl("ipv4/ip_forward"));
  ASSERT_TRUE(ns_.List());
  EXPECT_EQ(ns_.Calls(), 4U);
  EXPECT_EQ(ns_.Calls("Links"), 1U);
  EXPECT_EQ(ns_.MutatingCalls(), 0U);  // looking is not changing

  ASSERT_TRUE(a->AddBridge("br0"));
  ASSERT_TRUE(a->SetUp("br0", true));
  ASSERT_TRUE(a->AddAddress("br0", Ia("10.1.0.1/24")));
  ASSERT_TRUE(a->ReplaceRoute({Pfx("10.2.0.0/16"), Ip("10.1.0.4"), "br0"}));
  EXPECT_FALSE(a->DeleteLink("nope"));  // failed calls count too
  EXPECT_EQ(ns_.MutatingCalls(), 5U);
  EXPECT_EQ(ns_.Calls("DeleteLink"), 1U);
  EXPECT_THAT(ns_.Journal(),
              ElementsAre("a: AddBridge br0", "a: SetUp br0 up", "a: AddAddress br0 10.1.0.1/24",
                          "a: ReplaceRoute 10.2.0.0/16 via 10.1.0.4 dev br0", "a: DeleteLink nope"));
  ns_.ResetCounts();
  EXPECT_EQ(ns_.MutatingCalls(), 0U);
  EXPECT_TRUE(ns_.Journal().empty());
}

TEST_F(FakeNetNsTest, HandleOfDeletedNamespaceFailsNotFound) {
  auto a = Make("a");
  ASSERT_TRUE(ns_.Delete("a"));
  auto links = a->Links();
  ASSERT_FALSE(links);
  EXPECT_EQ(links.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(links.error().message,
            "netns a: list links: No such file or directory (the namespace was deleted)");
  // A namespace re-created under the name is another one.
  ASSERT_TRUE(ns_.Create("a"));
  EXPECT_FALSE(a->AddBridge("br0"));
}

TEST_F(FakeNetNsTest, NetConfigMayOutliveTheFakeNetNs) {
  std::unique_ptr<NetConfig> a;
  {
    FakeNetNs ns;
    ASSERT_TRUE(ns.Create("a"));
    a = std::move(*ns.Open("a"));
  }
  EXPECT_TRUE(a->AddBridge("br0"));
}

TEST_F(FakeNetNsTest, PidsAndDeletingWithProcessesInside) {
  ASSERT_TRUE(ns_.Create("a"));
  ASSERT_TRUE(ns_.Create("b"));
  ns_.SetPids("a", {42, 7});
  EXPECT_THAT(*ns_.Pids("a"), ElementsAre(42, 7));
  EXPECT_TRUE(ns_.Pids("b")->empty());
  ASSERT_TRUE(ns_.Delete("b"));
  ASSERT_TRUE(ns_.Delete("a"));
  EXPECT_THAT(ns_.DeletedWithProcesses(), ElementsAre("a"));
}

TEST_F(FakeNetNsTest, VethInOneNamespaceAndDeletingBothEnds) {
  auto a = Make("a");
  ASSERT_TRUE(a->AddVeth("v0", "a", "v1"));
  ASSERT_TRUE(a->DeleteLink("v0"));
  EXPECT_EQ(a->Links()->size(), 1U);
}

TEST_F(FakeNetNsTest, DeletingNamespaceDeletesPeersAndReleasesBridgesAtOnce) {
  auto a = Make("a");
  auto b = Make("b");
  ASSERT_TRUE(a->AddVeth("v0", "b", "v1"));
  ASSERT_TRUE(b->AddBridge("br0"));
  ASSERT_TRUE(b->SetMtu("v1", 1400));
  ASSERT_TRUE(b->SetMaster("v1", "br0"));
  EXPECT_EQ(FindLink(*b, "br0")->mtu, 1400U);
  ASSERT_TRUE(ns_.Delete("a"));
  EXPECT_FALSE(FindLink(*b, "v1"));
  EXPECT_EQ(FindLink(*b, "br0")->mtu, 1500U);  // no ports left
}

TEST_F(FakeNetNsTest, WritingForwardingPropagatesLikeTheKernel) {
  auto a = Make("a");
  ASSERT_TRUE(a->AddBridge("br0"));
  ASSERT_TRUE(a->SetSysctl("ipv4/conf/all/forwarding", "1"));
  EXPECT_EQ(*a->GetSysctl("ipv4/ip_forward"), "1");
  EXPECT_EQ(*a->GetSysctl("ipv4/conf/default/forwarding"), "1");
  EXPECT_EQ(*a->GetSysctl("ipv4/conf/br0/forwarding"), "1");
  // A link made later starts from default.
  ASSERT_TRUE(a->AddBridge("br1"));
  EXPECT_EQ(*a->GetSysctl("ipv4/conf/br1/forwarding"), "1");
  ASSERT_TRUE(a->SetSysctl("ipv4/ip_forward", " 0\n"));  // proc_dointvec allows white space
  EXPECT_EQ(*a->GetSysctl("ipv4/conf/br1/forwarding"), "0");
}

TEST_F(FakeNetNsTest, ConcurrentUseIsSafe) {
  auto a = Make("a");
  std::thread t([&] {
    for (int i = 0; i < 200; ++i) (void)a->Links();
  });
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(a->AddBridge("br" + std::to_string(i)));
  }
  t.join();
  EXPECT_EQ(a->Links()->size(), 101U);
}

TEST(InterfaceAddressTest, ParseAndToString) {
  auto a = InterfaceAddress::Parse("10.1.0.1/24");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->address, Ip("10.1.0.1"));
  EXPECT_EQ(a->prefix_length, 24);
  EXPECT_EQ(a->ToString(), "10.1.0.1/24");
  EXPECT_EQ(a->Network(), Pfx("10.1.0.0/24"));
  EXPECT_EQ(InterfaceAddress::Parse("2001:db8::1/64")->ToString(), "2001:db8::1/64");
  for (const char* bad :
       {"10.1.0.1", "10.1.0.1/33", "10.1.0.1/", "10.1.0.1/024", "x/24", "::1/129", "10.1.0.1/-1"}) {
    auto r = InterfaceAddress::Parse(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_EQ(r.error().code, "InvalidInterfaceAddress");
  }
}

TEST(NetConfigRulesTest, Names) {
  EXPECT_TRUE(CheckLinkName("eth0"));
  EXPECT_TRUE(CheckLinkName("fifteen-chars-x"));
  for (const char* bad : {"", ".", "..", "sixteen-chars-xx", "a/b", "a:b", "a b", "a\tb"}) {
    EXPECT_FALSE(CheckLinkName(bad)) << bad;
  }
  EXPECT_TRUE(CheckNetnsName("ist-ab12-vnet"));
  for (const char* bad : {"", ".", "..", "a/b"}) EXPECT_FALSE(CheckNetnsName(bad)) << bad;
  EXPECT_TRUE(CheckSysctlPath("ipv4/conf/eth0.100/rp_filter"));
  for (const char* bad : {"", "/ipv4/ip_forward", "ipv4/", "ipv4//x", "ipv4/../x", "..", "./x"}) {
    EXPECT_FALSE(CheckSysctlPath(bad)) << bad;
  }
}

TEST(NetConfigRulesTest, Macs) {
  auto m = ParseMac("02:AB:cd:00:11:ff");
  ASSERT_TRUE(m);
  EXPECT_EQ(FormatMac(*m), "02:ab:cd:00:11:ff");
  EXPECT_TRUE(UsableMac(*m));
  EXPECT_FALSE(UsableMac(*ParseMac("01:00:5e:00:00:01")));
  EXPECT_FALSE(UsableMac(*ParseMac("00:00:00:00:00:00")));
  for (const char* bad :
       {"", "02:ab:cd:00:11", "02-ab-cd-00-11-ff", "02:ab:cd:00:11:fg", "002:ab:cd:00:11:f"}) {
    EXPECT_FALSE(ParseMac(bad)) << bad;
  }
}

TEST(NetConfigRulesTest, ErrorsNameNamespaceAndObject) {
  const Error e = NetConfigError("ist-ab12-vnet", "add address 10.1.0.1/24 to br0", EEXIST);
  EXPECT_EQ(e.message, "netns ist-ab12-vnet: add address 10.1.0.1/24 to br0: File exists");
  EXPECT_EQ(e.kind, ErrorKind::kConflict);
  EXPECT_EQ(e.target, "ist-ab12-vnet");
  EXPECT_EQ(NetConfigError("n", "x", ENODEV).kind, ErrorKind::kNotFound);
  EXPECT_EQ(NetConfigError("n", "x", EINVAL, "why").message, "netns n: x: Invalid argument (why)");
  EXPECT_EQ(NetConfigError("n", "x", ENOBUFS).kind, ErrorKind::kUnavailable);
  EXPECT_EQ(NetConfigError("n", "x", EIO).kind, ErrorKind::kInternal);
  // Without privileges the message says what to do, not only what the kernel said.
  const std::string perm = NetConfigError("n", "make /run/netns a shared mount", EPERM).message;
  EXPECT_NE(perm.find("Operation not permitted"), std::string::npos) << perm;
  EXPECT_NE(perm.find("needs root"), std::string::npos) << perm;
  EXPECT_EQ(NetConfigError("n", "x", ENODEV).message.find("needs root"), std::string::npos);
}

}  // namespace
}  // namespace isthmus::platform
