// The checks every NetNs/NetConfig implementation must pass, written once and run against the fake
// (net_config_fake_test.cc, no root) and against real namespaces (net_config_linux_test.cc, root): the
// fake is only worth what these checks pin down, so a kernel behaviour the reconciler depends on belongs
// here, with the kernel's exact error wording.
//
// A backend type B provides: static bool Available(); NetNs& netns(); std::string Name(std::string_view
// suffix) (a namespace name private to this run); void Cleanup() (deletes every namespace of the run).
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "platform/iface/net_config.h"

namespace isthmus::platform::conformance {

inline InterfaceAddress Ia(std::string_view s) {
  return *InterfaceAddress::Parse(s);
}
inline net::Prefix Pfx(std::string_view s) {
  return *net::Prefix::Parse(s);
}
inline net::IpAddress Ip(std::string_view s) {
  return *net::IpAddress::Parse(s);
}

inline std::optional<LinkInfo> FindLink(NetConfig& cfg, std::string_view name) {
  auto links = cfg.Links();
  if (!links) return std::nullopt;
  for (const auto& l : *links) {
    if (l.name == name) return l;
  }
  return std::nullopt;
}

inline std::vector<RouteInfo> RoutesOf(NetConfig& cfg) {
  auto r = cfg.Routes();
  return r ? *r : std::vector<RouteInfo>{};
}

inline bool HasRoute(NetConfig& cfg, const RouteInfo& want) {
  const auto routes = RoutesOf(cfg);
  return std::find(routes.begin(), routes.end(), want) != routes.end();
}

// A kernel frees a deleted namespace, and with it the far ends of its veths, from a work queue
// (cleanup_net) a moment later; the fake does it at once, so this returns without sleeping there.
inline bool LinkGoneSoon(NetConfig& cfg, std::string_view name) {
  constexpr auto kStep = std::chrono::milliseconds(20);
  constexpr int kSteps = 250;  // 5 s: generous for a loaded 2-core machine
  for (int i = 0; i < kSteps; ++i) {
    if (!FindLink(cfg, name)) return true;
    std::this_thread::sleep_for(kStep);
  }
  return false;
}

template <typename B>
class NetConfigConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!B::Available()) GTEST_SKIP() << "needs root (network namespaces)";
  }
  void TearDown() override {
    handles_.clear();  // an open NetConfig keeps a real namespace alive
    backend_.Cleanup();
  }

  NetNs& netns() { return backend_.netns(); }
  std::string Name(std::string_view suffix) { return backend_.Name(suffix); }

  // Creates namespace Name(suffix) and opens it.
  void Make(std::string_view suffix, NetConfig** out) {
    const std::string name = Name(suffix);
    auto created = netns().Create(name);
    ASSERT_TRUE(created) << created.error().message;
    auto cfg = netns().Open(name);
    ASSERT_TRUE(cfg) << cfg.error().message;
    handles_.push_back(std::move(*cfg));
    *out = handles_.back().get();
  }

  // Two namespaces a and b joined by veth a:v0 — b:v1, both ends up, 10.1.0.1/24 on v0.
  void MakePair(NetConfig** a, NetConfig** b) {
    ASSERT_NO_FATAL_FAILURE(Make("a", a));
    ASSERT_NO_FATAL_FAILURE(Make("b", b));
    auto s = (*a)->AddVeth("v0", Name("b"), "v1");
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE((*a)->SetUp("v0", true));
    ASSERT_TRUE((*b)->SetUp("v1", true));
    ASSERT_TRUE((*a)->AddAddress("v0", Ia("10.1.0.1/24")));
  }

  B backend_;
  std::vector<std::unique_ptr<NetConfig>> handles_;
};

TYPED_TEST_SUITE_P(NetConfigConformance);

TYPED_TEST_P(NetConfigConformance, NamespaceLifecycle) {
  const std::string n = this->Name("life");
  ASSERT_TRUE(this->netns().Create(n));
  auto list = this->netns().List();
  ASSERT_TRUE(list);
  EXPECT_THAT(*list, ::testing::Contains(n));
  EXPECT_TRUE(std::is_sorted(list->begin(), list->end()));

  auto again = this->netns().Create(n);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(again.error().message, "netns " + n + ": create /run/netns/" + n + ": File exists");

  auto pids = this->netns().Pids(n);
  ASSERT_TRUE(pids) << pids.error().message;
  EXPECT_TRUE(pids->empty());

  ASSERT_TRUE(this->netns().Delete(n));
  list = this->netns().List();
  ASSERT_TRUE(list);
  EXPECT_THAT(*list, ::testing::Not(::testing::Contains(n)));

  auto gone = this->netns().Delete(n);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(gone.error().message, "netns " + n + ": delete /run/netns/" + n + ": No such file or directory");
  auto open = this->netns().Open(n);
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(this->netns().Pids(n).error().kind, ErrorKind::kNotFound);
}

TYPED_TEST_P(NetConfigConformance, InvalidNamesAreRefused) {
  EXPECT_EQ(this->netns().Create("a/b").error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(this->netns().Create("..").error().kind, ErrorKind::kInvalidArgument);
  NetConfig* a = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->Make("a", &a));
  EXPECT_EQ(a->AddBridge("sixteen-chars-xx").error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(a->AddBridge("a:b").error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(a->AddVeth("v0", this->Name("a"), "has space").error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(a->SetSysctl("../../kernel/hostname", "x").error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(a->GetSysctl("/ipv4/ip_forward").error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(a->SetMac("lo", "not-a-mac").error().kind, ErrorKind::kInvalidArgument);
}

TYPED_TEST_P(NetConfigConformance, NewNamespaceHasLoopbackUp) {
  NetConfig* a = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->Make("a", &a));
  EXPECT_EQ(a->ns(), this->Name("a"));
  auto links = a->Links();
  ASSERT_TRUE(links) << links.error().message;
  ASSERT_EQ(links->size(), 1U);
  const LinkInfo& lo = links->front();
  EXPECT_EQ(lo.name, "lo");
  EXPECT_EQ(lo.kind, "loopback");
  EXPECT_TRUE(lo.up);
  EXPECT_EQ(lo.mtu, 65536U);
  EXPECT_EQ(lo.master, "");
  EXPECT_THAT(lo.addresses, ::testing::UnorderedElementsAre(Ia("127.0.0.1/8"), Ia("::1/128")));
  EXPECT_TRUE(RoutesOf(*a).empty());  // only the kernel's own routes exist
}

TYPED_TEST_P(NetConfigConformance, VethEndsLiveInTheirNamespaces) {
  NetConfig* a = nullptr;
  NetConfig* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->Make("a", &a));
  ASSERT_NO_FATAL_FAILURE(this->Make("b", &b));
  auto s = a->AddVeth("v0", this->Name("b"), "v1");
  ASSERT_TRUE(s) << s.error().message;
  auto v0 = FindLink(*a, "v0");
  auto v1 = FindLink(*b, "v1");
  ASSERT_TRUE(v0);
  ASSERT_TRUE(v1);
  EXPECT_FALSE(FindLink(*a, "v1"));
  EXPECT_FALSE(FindLink(*b, "v0"));
  for (const auto& l : {*v0, *v1}) {
    EXPECT_EQ(l.kind, "veth");
    EXPECT_FALSE(l.up);  // both ends are left down
    EXPECT_EQ(l.mtu, 1500U);
    EXPECT_EQ(l.mac.size(), 17U);
    EXPECT_TRUE(l.addresses.empty());
  }
  EXPECT_NE(v0->mac, v1->mac);
}

TYPED_TEST_P(NetConfigConformance, VethNameTakenOnEitherSideIsConflict) {
  NetConfig* a = nullptr;
  NetConfig* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->Make("a", &a));
  ASSERT_NO_FATAL_FAILURE(this->Make("b", &b));
  const std::string nb = this->Name("b");
  ASSERT_TRUE(a->AddVeth("v0", nb, "v1"));
  auto here = a->AddVeth("v0", nb, "v2");
  ASSERT_FALSE(here);
  EXPECT_EQ(here.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(here.error().message,
            "netns " + a->ns() + ": add veth v0 with peer v2 in netns " + nb + ": File exists");
  auto there = a->AddVeth("v5", nb, "v1");
  ASSERT_FALSE(there);
  EXPECT_EQ(there.error().kind, ErrorKind::kConflict);
  EXPECT_FALSE(FindLink(*a, "v5"));
  EXPECT_FALSE(FindLink(*b, "v2"));

  const std::string missing = this->Name("missing");
  auto no_ns = a->AddVeth("v6", missing, "v7");
  ASSERT_FALSE(no_ns);
  EXPECT_EQ(no_ns.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(no_ns.error().message, "netns " + a->ns() + ": add veth v6 with peer v7 in netns " + missing +
                                       ": No such file or directory (no network namespace named " + missing +
                                       ")");
  EXPECT_FALSE(FindLink(*a, "v6"));
}

TYPED_TEST_P(NetConfigConformance, DeletingOneVethEndDeletesBoth) {
  NetConfig* a = nullptr;
  NetConfig* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->MakePair(&a, &b));
  ASSERT_TRUE(b->DeleteLink("v1"));
  EXPECT_FALSE(FindLink(*b, "v1"));
  EXPECT_FALSE(FindLink(*a, "v0"));
  auto again = b->DeleteLink("v1");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(again.error().message, "netns " + b->ns() + ": delete link v1: No such device");
  auto lo = a->DeleteLink("lo");
  ASSERT_FALSE(lo);
  EXPECT_EQ(lo.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(lo.error().message, "netns " + a->ns() + ": delete link lo: Operation not supported");
}

TYPED_TEST_P(NetConfigConformance, DeletingNamespaceDeletesVethPeers) {
  NetConfig* a = nullptr;
  NetConfig* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->MakePair(&a, &b));
  // Our own handle on a would keep it alive (so would a process inside).
  this->handles_.erase(this->handles_.begin());
  ASSERT_TRUE(this->netns().Delete(this->Name("a")));
  EXPECT_TRUE(LinkGoneSoon(*b, "v1"));
}

TYPED_TEST_P(NetConfigConformance, BridgeFollowsItsPortsUntilSet) {
  NetConfig* a = nullptr;
  NetConfig* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->MakePair(&a, &b));
  ASSERT_TRUE(b->AddBridge("br0"));
  auto dup = b->AddBridge("br0");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(dup.error().message, "netns " + b->ns() + ": add bridge br0: File exists");
  auto br = FindLink(*b, "br0");
  ASSERT_TRUE(br);
  EXPECT_EQ(br->kind, "bridge");
  EXPECT_FALSE(br->up);
  EXPECT_EQ(br->mtu, 1500U);

  ASSERT_TRUE(b->SetMtu("v1", 1400));
  auto s = b->SetMaster("v1", "br0");
  ASSERT_TRUE(s) << s.error().message;
  const auto v1 = FindLink(*b, "v1");
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->master, "br0");
  br = FindLink(*b, "br0");
  EXPECT_EQ(br->mtu, 1400U);               // the lowest port MTU
  EXPECT_EQ(br->mac, v1->mac);             // the lowest port MAC
  ASSERT_TRUE(b->SetMaster("v1", "br0"));  // already there: nothing to do

  ASSERT_TRUE(b->SetMaster("v1", ""));
  EXPECT_EQ(FindLink(*b, "v1")->master, "");
  br = FindLink(*b, "br0");
  EXPECT_EQ(br->mtu, 1500U);
  EXPECT_EQ(br->mac, "00:00:00:00:00:00");

  // Set by hand, the bridge keeps its own.
  ASSERT_TRUE(b->SetMtu("br0", 1300));
  ASSERT_TRUE(b->SetMac("br0", "02:11:22:33:44:55"));
  ASSERT_TRUE(b->SetMaster("v1", "br0"));
  br = FindLink(*b, "br0");
  EXPECT_EQ(br->mtu, 1300U);
  EXPECT_EQ(br->mac, "02:11:22:33:44:55");
}

TYPED_TEST_P(NetConfigConformance, DeletingBridgeReleasesPorts) {
  NetConfig* a = nullptr;
  NetConfig* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->MakePair(&a, &b));
  ASSERT_TRUE(b->AddBridge("br0"));
  ASSERT_TRUE(b->SetMaster("v1", "br0"));
  ASSERT_TRUE(b->DeleteLink("br0"));
  auto v1 = FindLink(*b, "v1");
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->master, "");
  EXPECT_TRUE(FindLink(*a, "v0"));
}

// The impairer's devices: a TAP nobody holds stays, can be a bridge port and goes with DeleteLink.
TYPED_TEST_P(NetConfigConformance, PersistentTapIsAPortUntilDeleted) {
  NetConfig* a = nullptr;
  NetConfig* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->MakePair(&a, &b));
  ASSERT_TRUE(b->AddBridge("br0"));
  auto s = b->AddTap("t0");
  ASSERT_TRUE(s) << s.error().message;
  for (const char* taken : {"t0", "v1", "br0"}) {
    auto dup = b->AddTap(taken);
    ASSERT_FALSE(dup) << taken;
    EXPECT_EQ(dup.error().kind, ErrorKind::kConflict);
    EXPECT_EQ(dup.error().message, "netns " + b->ns() + ": add tap " + taken + ": File exists");
  }
  EXPECT_EQ(b->AddTap("sixteen-chars-xx").error().kind, ErrorKind::kInvalidArgument);
  auto t0 = FindLink(*b, "t0");
  ASSERT_TRUE(t0);
  EXPECT_EQ(t0->kind, "tun");
  EXPECT_FALSE(t0->up);
  EXPECT_EQ(t0->mtu, 1500U);
  EXPECT_FALSE(FindLink(*a, "t0"));  // made in b only
  ASSERT_TRUE(b->SetMaster("t0", "br0"));
  ASSERT_TRUE(b->SetUp("t0", true));
  t0 = FindLink(*b, "t0");
  EXPECT_EQ(t0->master, "br0");
  EXPECT_TRUE(t0->up);
  ASSERT_TRUE(b->DeleteLink("t0"));
  EXPECT_FALSE(FindLink(*b, "t0"));
  EXPECT_EQ(b->DeleteLink("t0").error().kind, ErrorKind::kNotFound);
}

TYPED_TEST_P(NetConfigConformance, SetMasterRefusesWhatIsNoBridge) {
  NetConfig* a = nullptr;
  NetConfig* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->MakePair(&a, &b));
  ASSERT_TRUE(b->AddBridge("br0"));
  ASSERT_TRUE(b->AddBridge("br1"));
  auto veth = b->SetMaster("lo", "v1");
  ASSERT_FALSE(veth);
  EXPECT_EQ(veth.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(veth.error().message, "netns " + b->ns() + ": attach lo to bridge v1: Operation not supported");
  auto nested = b->SetMaster("br1", "br0");
  ASSERT_FALSE(nested);
  EXPECT_EQ(nested.error().kind, ErrorKind::kInvalidArgument);
  auto missing = b->SetMaster("v1", "br9");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(missing.error().message, "netns " + b->ns() + ": attach v1 to bridge br9: No such device");
  EXPECT_EQ(FindLink(*b, "v1")->master, "");
}

TYPED_TEST_P(NetConfigConformance, MtuMacAndUp) {
  NetConfig* a = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->Make("a", &a));
  ASSERT_TRUE(a->AddVeth("v0", this->Name("a"), "v1"));  // both ends here
  ASSERT_TRUE(a->SetMtu("v0", 1400));
  ASSERT_TRUE(a->SetMac("v0", "02:AA:bb:cc:dd:01"));
  ASSERT_TRUE(a->SetUp("v0", true));
  auto v0 = FindLink(*a, "v0");
  ASSERT_TRUE(v0);
  EXPECT_EQ(v0->mtu, 1400U);
  EXPECT_EQ(v0->mac, "02:aa:bb:cc:dd:01");
  EXPECT_TRUE(v0->up);
  EXPECT_FALSE(FindLink(*a, "v1")->up);

  auto small = a->SetMtu("v0", 60);
  ASSERT_FALSE(small);
  EXPECT_EQ(small.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(small.error().message,
            "netns " + a->ns() + ": set mtu 60 on v0: Invalid argument (mtu less than device minimum)");
  EXPECT_EQ(a->SetMtu("v0", 70000).error().kind, ErrorKind::kInvalidArgument);
  auto group = a->SetMac("v0", "01:00:5e:00:00:01");
  ASSERT_FALSE(group);
  EXPECT_EQ(group.error().kind, ErrorKind::kInvalidArgument);
  auto absent = a->SetUp("v9", true);
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(absent.error().message, "netns " + a->ns() + ": set v9 up: No such device");
  EXPECT_EQ(FindLink(*a, "v0")->mtu, 1400U);

  ASSERT_TRUE(a->SetUp("v0", false));
  EXPECT_FALSE(FindLink(*a, "v0")->up);
}

TYPED_TEST_P(NetConfigConformance, AddressesAreIdempotentAndKeyedLikeTheKernel) {
  NetConfig* a = nullptr;
  NetConfig* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->MakePair(&a, &b));
  EXPECT_TRUE(a->AddAddress("v0", Ia("10.1.0.1/24")));  // already there: success
  EXPECT_TRUE(a->AddAddress("v0", Ia("10.1.0.1/16")));  // IPv4: another length is another address
  EXPECT_TRUE(a->AddAddress("v0", Ia("2001:db8::1/64")));
  EXPECT_TRUE(a->AddAddress("v0", Ia("2001:db8::1/64")));
  auto v6 = a->AddAddress("v0", Ia("2001:db8::1/48"));  // IPv6: one address, one length
  ASSERT_FALSE(v6);
  EXPECT_EQ(v6.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(v6.error().message,
            "netns " + a->ns() +
                ": add address 2001:db8::1/48 to v0: File exists (ipv6: address already assigned)");
  EXPECT_THAT(FindLink(*a, "v0")->addresses,
              ::testing::UnorderedElementsAre(Ia("10.1.0.1/24"), Ia("10.1.0.1/16"), Ia("2001:db8::1/64")));
  auto no_link = a->AddAddress("v9", Ia("10.9.0.1/24"));
  ASSERT_FALSE(no_link);
  EXPECT_EQ(no_link.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(no_link.error().message, "netns " + a->ns() + ": add address 10.9.0.1/24 to v9: No such device");

  ASSERT_TRUE(a->DeleteAddress("v0", Ia("10.1.0.1/16")));
  ASSERT_TRUE(a->DeleteAddress("v0", Ia("2001:db8::1/64")));
  EXPECT_THAT(FindLink(*a, "v0")->addresses, ::testing::ElementsAre(Ia("10.1.0.1/24")));
  auto absent = a->DeleteAddress("v0", Ia("10.9.0.1/24"));
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(
      absent.error().message,
      "netns " + a->ns() +
          ": delete address 10.9.0.1/24 from v0: Cannot assign requested address (ipv4: Address not found)");
  EXPECT_EQ(a->DeleteAddress("v0", Ia("2001:db8::9/64")).error().kind, ErrorKind::kNotFound);
}

TYPED_TEST_P(NetConfigConformance, RoutesReplaceDeviceAndGateway) {
  NetConfig* a = nullptr;
  NetConfig* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->MakePair(&a, &b));
  ASSERT_TRUE(a->AddAddress("v0", Ia("2001:db8::1/64")));
  // The connected 10.1.0.0/24 and the IPv6 kernel routes (2001:db8::/64, fe80::/64, ff00::/8) are
  // the kernel's own: never listed.
  EXPECT_TRUE(RoutesOf(*a).empty());

  const RouteInfo via{Pfx("10.2.0.0/16"), Ip("10.1.0.9"), ""};
  auto s = a->ReplaceRoute(via);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_TRUE(HasRoute(*a, {Pfx("10.2.0.0/16"), Ip("10.1.0.9"), "v0"}));  // the device is resolved
  ASSERT_TRUE(a->ReplaceRoute(via));                                      // replacing with the same is fine

  ASSERT_TRUE(a->ReplaceRoute({Pfx("10.3.0.0/16"), std::nullopt, "v0"}));
  ASSERT_TRUE(a->ReplaceRoute({Pfx("0.0.0.0/0"), Ip("10.1.0.254"), "v0"}));
  ASSERT_TRUE(a->ReplaceRoute({Pfx("2001:db8:2::/48"), Ip("2001:db8::9"), ""}));
  ASSERT_TRUE(a->ReplaceRoute({Pfx("2001:db8:3::/48"), std::nullopt, "v0"}));
  ASSERT_TRUE(a->ReplaceRoute({Pfx("2001:db8:4::/48"), Ip("fe80::1"), "v0"}));
  // A gateway inside a device route is on-link too.
  ASSERT_TRUE(a->ReplaceRoute({Pfx("10.4.0.0/16"), Ip("10.3.0.1"), ""}));
  EXPECT_THAT(RoutesOf(*a),
              ::testing::UnorderedElementsAre(RouteInfo{Pfx("10.2.0.0/16"), Ip("10.1.0.9"), "v0"},
                                              RouteInfo{Pfx("10.3.0.0/16"), std::nullopt, "v0"},
                                              RouteInfo{Pfx("10.4.0.0/16"), Ip("10.3.0.1"), "v0"},
                                              RouteInfo{Pfx("0.0.0.0/0"), Ip("10.1.0.254"), "v0"},
                                              RouteInfo{Pfx("2001:db8:2::/48"), Ip("2001:db8::9"), "v0"},
                                              RouteInfo{Pfx("2001:db8:3::/48"), std::nullopt, "v0"},
                                              RouteInfo{Pfx("2001:db8:4::/48"), Ip("fe80::1"), "v0"}));

  // Replace turns a gateway route into a device route, in place.
  ASSERT_TRUE(a->ReplaceRoute({Pfx("10.2.0.0/16"), std::nullopt, "v0"}));
  EXPECT_TRUE(HasRoute(*a, {Pfx("10.2.0.0/16"), std::nullopt, "v0"}));
  EXPECT_FALSE(HasRoute(*a, {Pfx("10.2.0.0/16"), Ip("10.1.0.9"), "v0"}));

  ASSERT_TRUE(a->DeleteRoute(Pfx("10.2.0.0/16")));
  ASSERT_TRUE(a->DeleteRoute(Pfx("2001:db8:2::/48")));
  EXPECT_EQ(RoutesOf(*a).size(), 5U);
  auto absent = a->DeleteRoute(Pfx("10.2.0.0/16"));
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(absent.error().message,
            "netns " + a->ns() + ": delete route 10.2.0.0/16: No such process (no such route)");
  EXPECT_EQ(a->DeleteRoute(Pfx("2001:db8:9::/48")).error().kind, ErrorKind::kNotFound);
}

TYPED_TEST_P(NetConfigConformance, RouteNeedsAnUpDeviceAndAnOnLinkGateway) {
  NetConfig* a = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->Make("a", &a));
  ASSERT_TRUE(a->AddVeth("v0", this->Name("a"), "v1"));
  ASSERT_TRUE(a->AddAddress("v0", Ia("10.1.0.1/24")));
  const std::string ns = a->ns();
  auto down = a->ReplaceRoute({Pfx("10.9.0.0/16"), std::nullopt, "v0"});
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(
      down.error().message,
      "netns " + ns + ": replace route 10.9.0.0/16 dev v0: Network is down (Device for nexthop is not up)");
  auto down6 = a->ReplaceRoute({Pfx("2001:db8:9::/48"), std::nullopt, "v0"});
  ASSERT_FALSE(down6);
  EXPECT_EQ(
      down6.error().message,
      "netns " + ns + ": replace route 2001:db8:9::/48 dev v0: Network is down (Nexthop device is not up)");
  // The connected route of a link that is down does not count.
  auto via_down = a->ReplaceRoute({Pfx("10.8.0.0/16"), Ip("10.1.0.9"), ""});
  ASSERT_FALSE(via_down);
  EXPECT_EQ(via_down.error().kind, ErrorKind::kConflict);

  ASSERT_TRUE(a->SetUp("v0", true));
  ASSERT_TRUE(a->AddAddress("v0", Ia("2001:db8::1/64")));
  auto off_link = a->ReplaceRoute({Pfx("10.8.0.0/16"), Ip("10.7.0.9"), "v0"});
  ASSERT_FALSE(off_link);
  EXPECT_EQ(off_link.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(off_link.error().message,
            "netns " + ns +
                ": replace route 10.8.0.0/16 via 10.7.0.9 dev v0: Network is unreachable "
                "(Nexthop has invalid gateway)");
  auto off_link6 = a->ReplaceRoute({Pfx("2001:db8:8::/48"), Ip("2001:db8:7::9"), ""});
  ASSERT_FALSE(off_link6);
  EXPECT_EQ(off_link6.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(off_link6.error().message,
            "netns " + ns + ": replace route 2001:db8:8::/48 via 2001:db8:7::9: No route to host");
  // Only through another gateway is not on-link either.
  ASSERT_TRUE(a->ReplaceRoute({Pfx("10.8.0.0/16"), Ip("10.1.0.9"), ""}));
  EXPECT_EQ(a->ReplaceRoute({Pfx("10.7.0.0/16"), Ip("10.8.0.1"), ""}).error().kind, ErrorKind::kConflict);
  auto ll = a->ReplaceRoute({Pfx("2001:db8:5::/48"), Ip("fe80::1"), ""});
  ASSERT_FALSE(ll);
  EXPECT_EQ(ll.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(
      ll.error().message,
      "netns " + ns +
          ": replace route 2001:db8:5::/48 via fe80::1: Invalid argument (Egress device not specified)");
  EXPECT_EQ(a->ReplaceRoute({Pfx("10.6.0.0/16"), Ip("2001:db8::9"), ""}).error().kind,
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(a->ReplaceRoute({Pfx("10.6.0.0/16"), std::nullopt, ""}).error().kind,
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(a->ReplaceRoute({Pfx("10.6.0.0/16"), std::nullopt, "v9"}).error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(RoutesOf(*a).size(), 1U);
}

TYPED_TEST_P(NetConfigConformance, LinkDownFlushesItsRoutesAndIpv6Addresses) {
  NetConfig* a = nullptr;
  NetConfig* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->MakePair(&a, &b));
  ASSERT_TRUE(a->AddAddress("v0", Ia("2001:db8::1/64")));
  ASSERT_TRUE(a->ReplaceRoute({Pfx("10.2.0.0/16"), Ip("10.1.0.9"), ""}));
  ASSERT_TRUE(a->ReplaceRoute({Pfx("2001:db8:2::/48"), std::nullopt, "v0"}));
  ASSERT_TRUE(a->SetUp("v0", false));
  EXPECT_TRUE(RoutesOf(*a).empty());
  EXPECT_THAT(FindLink(*a, "v0")->addresses, ::testing::ElementsAre(Ia("10.1.0.1/24")));
}

TYPED_TEST_P(NetConfigConformance, DeleteLinkRemovesItsRoutesAddressesAndSysctls) {
  NetConfig* a = nullptr;
  NetConfig* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->MakePair(&a, &b));
  ASSERT_TRUE(a->ReplaceRoute({Pfx("10.2.0.0/16"), Ip("10.1.0.9"), ""}));
  ASSERT_TRUE(a->GetSysctl("ipv4/conf/v0/rp_filter"));
  ASSERT_TRUE(a->DeleteLink("v0"));
  EXPECT_TRUE(RoutesOf(*a).empty());
  EXPECT_FALSE(FindLink(*a, "v0"));
  EXPECT_EQ(a->GetSysctl("ipv4/conf/v0/rp_filter").error().kind, ErrorKind::kNotFound);
  // A new link of that name starts afresh.
  ASSERT_TRUE(a->AddVeth("v0", this->Name("b"), "v1"));
  EXPECT_TRUE(FindLink(*a, "v0")->addresses.empty());
}

TYPED_TEST_P(NetConfigConformance, SysctlsArePerNamespace) {
  NetConfig* a = nullptr;
  NetConfig* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->MakePair(&a, &b));
  // (A new namespace copies its IPv4 settings from the host's, so no default is asserted here.)
  auto set = b->SetSysctl("ipv4/ip_forward", "0");
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_TRUE(a->SetSysctl("ipv4/ip_forward", "1"));
  EXPECT_EQ(*a->GetSysctl("ipv4/ip_forward"), "1");
  EXPECT_EQ(*a->GetSysctl("ipv4/conf/all/forwarding"), "1");
  EXPECT_EQ(*a->GetSysctl("ipv4/conf/v0/forwarding"), "1");
  EXPECT_EQ(*b->GetSysctl("ipv4/ip_forward"), "0");
  EXPECT_EQ(*b->GetSysctl("ipv4/conf/v1/forwarding"), "0");
  const std::string lo_rp = *a->GetSysctl("ipv4/conf/lo/rp_filter");
  ASSERT_TRUE(a->SetSysctl("ipv4/conf/v0/rp_filter", "2"));
  EXPECT_EQ(*a->GetSysctl("ipv4/conf/v0/rp_filter"), "2");
  EXPECT_EQ(*a->GetSysctl("ipv4/conf/lo/rp_filter"), lo_rp);
  ASSERT_TRUE(a->SetSysctl("ipv6/conf/all/forwarding", "1"));
  EXPECT_EQ(*a->GetSysctl("ipv6/conf/v0/forwarding"), "1");

  auto bad = a->SetSysctl("ipv4/ip_forward", "yes");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(bad.error().message,
            "netns " + a->ns() + ": set sysctl net/ipv4/ip_forward to yes: Invalid argument");
  auto unknown = a->SetSysctl("ipv4/no_such_knob", "1");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(unknown.error().message,
            "netns " + a->ns() + ": set sysctl net/ipv4/no_such_knob to 1: No such file or directory");
  EXPECT_EQ(a->GetSysctl("ipv4/conf/v9/forwarding").error().kind, ErrorKind::kNotFound);
}

TYPED_TEST_P(NetConfigConformance, DisabledIpv6RefusesAddresses) {
  NetConfig* a = nullptr;
  NetConfig* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(this->MakePair(&a, &b));
  ASSERT_TRUE(a->AddAddress("v0", Ia("2001:db8::1/64")));
  ASSERT_TRUE(a->SetSysctl("ipv6/conf/v0/disable_ipv6", "1"));
  EXPECT_THAT(FindLink(*a, "v0")->addresses, ::testing::ElementsAre(Ia("10.1.0.1/24")));
  auto refused = a->AddAddress("v0", Ia("2001:db8::1/64"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(refused.error().message,
            "netns " + a->ns() +
                ": add address 2001:db8::1/64 to v0: Permission denied (ipv6: IPv6 is "
                "disabled on this device)");
  ASSERT_TRUE(a->SetSysctl("ipv6/conf/v0/disable_ipv6", "0"));
  EXPECT_TRUE(a->AddAddress("v0", Ia("2001:db8::1/64")));
}

REGISTER_TYPED_TEST_SUITE_P(NetConfigConformance, NamespaceLifecycle, InvalidNamesAreRefused,
                            NewNamespaceHasLoopbackUp, VethEndsLiveInTheirNamespaces,
                            VethNameTakenOnEitherSideIsConflict, DeletingOneVethEndDeletesBoth,
                            DeletingNamespaceDeletesVethPeers, BridgeFollowsItsPortsUntilSet,
                            DeletingBridgeReleasesPorts, PersistentTapIsAPortUntilDeleted,
                            SetMasterRefusesWhatIsNoBridge, MtuMacAndUp,
                            AddressesAreIdempotentAndKeyedLikeTheKernel, RoutesReplaceDeviceAndGateway,
                            RouteNeedsAnUpDeviceAndAnOnLinkGateway, LinkDownFlushesItsRoutesAndIpv6Addresses,
                            DeleteLinkRemovesItsRoutesAddressesAndSysctls, SysctlsArePerNamespace,
                            DisabledIpv6RefusesAddresses);

}  // namespace isthmus::platform::conformance
