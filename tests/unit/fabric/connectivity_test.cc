#include "fabric/connectivity.h"

#include <gtest/gtest.h>

namespace isthmus::fabric {
namespace {

TEST(Connectivity, IcmpFiguresFromPingOutput) {
  ConnectivityProbe p{"Icmp", "10.41.0.4", 0, 3};
  const std::string out =
      "PING 10.41.0.4 (10.41.0.4) 56(84) bytes of data.\n"
      "64 bytes from 10.41.0.4: icmp_seq=1 ttl=62 time=0.412 ms\n"
      "64 bytes from 10.41.0.4: icmp_seq=3 ttl=62 time=2.6 ms\n";
  auto j = ProbeFigures(p, out);
  EXPECT_EQ(j["connectionStatus"], "Reachable");
  EXPECT_EQ(j["probesSent"], 3);
  EXPECT_EQ(j["probesFailed"], 1);
  EXPECT_EQ(j["minLatencyInMs"], 0);
  EXPECT_EQ(j["maxLatencyInMs"], 3);
  EXPECT_EQ(j["avgLatencyInMs"], 2);
}

TEST(Connectivity, TcpFiguresFromTimedConnects) {
  ConnectivityProbe p{"Tcp", "10.41.0.4", 22, 2};
  auto j = ProbeFigures(p, "ok 100.000100 100.064100\nfail\n");
  EXPECT_EQ(j["connectionStatus"], "Reachable");
  EXPECT_EQ(j["probesFailed"], 1);
  EXPECT_EQ(j["avgLatencyInMs"], 64);
  auto none = ProbeFigures(p, "fail\nfail\n");
  EXPECT_EQ(none["connectionStatus"], "Unreachable");
  EXPECT_FALSE(none.contains("avgLatencyInMs"));
}

TEST(Connectivity, TcpProbeIsOneShellCommand) {
  auto cmd = ProbeCommand({"Tcp", "10.1.0.4", 80, 4});
  ASSERT_EQ(cmd.size(), 3u);
  EXPECT_EQ(cmd[0], "/bin/bash");
  EXPECT_NE(cmd[2].find("/dev/tcp/10.1.0.4/80"), std::string::npos);
  EXPECT_NE(cmd[2].find("seq 4"), std::string::npos);
}

}  // namespace
}  // namespace isthmus::fabric
