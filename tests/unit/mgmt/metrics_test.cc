// RenderMetrics: the exact sample lines Prometheus will ingest, and Debian's promtool as a real,
// independent reader of the exposition format (it rejects what Prometheus would and lints names).
#include "mgmt/metrics/metrics.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace isthmus::mgmt {
namespace {

// What isthmus-gateway reports for an established connection (src/gateway/status.cc's shape).
Json ConnectedGatewayStatus() {
  return Json::parse(R"({
    "name": "VNet1ToVNet4", "state": "Connected", "local": "198.18.0.1:500", "remote": "198.18.0.2:4500",
    "ike_sa": {"spi_i": "0123456789abcdef", "spi_r": "fedcba9876543210", "initiator": true,
               "algorithms": "AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256", "udp_encapsulated": true,
               "established_s": 12, "established_at": "2026-01-01T00:00:00Z"},
    "ike_rekeys": 3, "child_rekeys": 7, "ike_retransmits": {"sent": 4, "answered": 2},
    "children": [{"id": 1, "state": "INSTALLED", "inbound_spi": "c1a20001", "outbound_spi": "c1a20002",
                  "in": {"packets": 10, "bytes": 1000}, "out": {"packets": 9, "bytes": 900}},
                 {"id": 2, "state": "REKEYED", "inbound_spi": "c1a20003", "outbound_spi": "c1a20004"}],
    "in": {"packets": 10, "bytes": 1000}, "out": {"packets": 9, "bytes": 900},
    "drops": {"bad_icv": 2, "replayed": 1, "oversize": 4}
  })");
}

ConnectionMetrics Connected() {
  ConnectionMetrics c{
      .name = "VNet1ToVNet4", .resource_group = "TestRG1", .gateway = "VNet1GW", .observed = {}};
  c.observed.status = "Connected";
  c.observed.ingress_bytes = 1000;
  c.observed.egress_bytes = 900;
  c.observed.ingress_packets = 10;
  c.observed.egress_packets = 9;
  c.observed.gateway_status = ConnectedGatewayStatus();
  return c;
}

// A connection whose peer refused authentication: the gateway has no IKE SA and no children left.
ConnectionMetrics NotConnected() {
  ConnectionMetrics c{
      .name = "VNet4ToVNet1", .resource_group = "TestRG4", .gateway = "VNet4GW", .observed = {}};
  c.observed.status = "NotConnected";
  c.observed.reason = "AUTHENTICATION_FAILED";
  c.observed.gateway_status = Json::parse(R"({"name": "VNet4ToVNet1", "state": "NotConnected",
    "ike_rekeys": 0, "child_rekeys": 0, "last_error": "AUTHENTICATION_FAILED", "children": [],
    "in": {"packets": 0, "bytes": 0}, "out": {"packets": 0, "bytes": 0}, "drops": {}})");
  return c;
}

MetricsInput Sample() {
  MetricsInput in{
      .connections = {Connected(), NotConnected()},
      .gateways = {{.name = "VNet1GW", .resource_group = "TestRG1", .running = true, .restarts = 0},
                   {.name = "VNet4GW", .resource_group = "TestRG4", .running = false, .restarts = 2}},
      .resources_by_type = {{"Microsoft.Network/connections", 2}, {"Microsoft.Network/virtualNetworks", 2}},
      .last_reconcile_seconds = 0.25,
      .reconcile_passes = 42};
  return in;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream s(text);
  for (std::string line; std::getline(s, line);) out.push_back(line);
  return out;
}

bool HasLine(const std::string& text, const std::string& line) {
  for (const auto& l : Lines(text)) {
    if (l == line) return true;
  }
  return false;
}

// Sample lines (not comments) whose metric name is exactly `name`.
std::vector<std::string> Samples(const std::string& text, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& l : Lines(text)) {
    if (l.starts_with(name + "{") || l.starts_with(name + " ")) out.push_back(l);
  }
  return out;
}

constexpr const char* kC1 = R"(connection="VNet1ToVNet4",gateway="VNet1GW",resource_group="TestRG1")";
constexpr const char* kC4 = R"(connection="VNet4ToVNet1",gateway="VNet4GW",resource_group="TestRG4")";

#define EXPECT_LINE(text, line) \
  EXPECT_TRUE(HasLine(text, line)) << "missing line: " << (line) << "\nin:\n" << (text)

TEST(MetricsTest, ConnectedConnectionSamples) {
  const std::string out = RenderMetrics(Sample());
  EXPECT_LINE(out, fmt::format("isthmus_connection_up{{{}}} 1", kC1));
  EXPECT_LINE(out, fmt::format("isthmus_connection_status{{{},status=\"Connected\"}} 1", kC1));
  EXPECT_LINE(out, fmt::format("isthmus_connection_status{{{},status=\"Connecting\"}} 0", kC1));
  EXPECT_LINE(out, fmt::format("isthmus_connection_status{{{},status=\"NotConnected\"}} 0", kC1));
  EXPECT_LINE(out, fmt::format("isthmus_connection_status{{{},status=\"Unknown\"}} 0", kC1));
  EXPECT_LINE(out, fmt::format("isthmus_connection_ingress_bytes_total{{{}}} 1000", kC1));
  EXPECT_LINE(out, fmt::format("isthmus_connection_egress_bytes_total{{{}}} 900", kC1));
  EXPECT_LINE(out, fmt::format("isthmus_connection_ingress_packets_total{{{}}} 10", kC1));
  EXPECT_LINE(out, fmt::format("isthmus_connection_egress_packets_total{{{}}} 9", kC1));
  EXPECT_LINE(out, fmt::format("isthmus_connection_ike_sas{{{}}} 1", kC1));
  EXPECT_LINE(out,
              fmt::format("isthmus_connection_child_sas{{{}}} 2", kC1));  // the rekeyed one is still there
  EXPECT_LINE(out, fmt::format("isthmus_connection_ike_rekeys_total{{{}}} 3", kC1));
  EXPECT_LINE(out, fmt::format("isthmus_connection_child_rekeys_total{{{}}} 7", kC1));
  EXPECT_LINE(out, fmt::format("isthmus_connection_ike_retransmits_total{{{}}} 4", kC1));
  EXPECT_LINE(out, fmt::format("isthmus_connection_ike_retransmits_answered_total{{{}}} 2", kC1));
}

TEST(MetricsTest, NotConnectedConnectionSamples) {
  const std::string out = RenderMetrics(Sample());
  EXPECT_LINE(out, fmt::format("isthmus_connection_up{{{}}} 0", kC4));
  EXPECT_LINE(out, fmt::format("isthmus_connection_status{{{},status=\"NotConnected\"}} 1", kC4));
  EXPECT_LINE(out, fmt::format("isthmus_connection_status{{{},status=\"Connected\"}} 0", kC4));
  EXPECT_LINE(out, fmt::format("isthmus_connection_status{{{},status=\"Connecting\"}} 0", kC4));
  EXPECT_LINE(out, fmt::format("isthmus_connection_status{{{},status=\"Unknown\"}} 0", kC4));
  EXPECT_LINE(out, fmt::format("isthmus_connection_ingress_bytes_total{{{}}} 0", kC4));
  EXPECT_LINE(out, fmt::format("isthmus_connection_egress_packets_total{{{}}} 0", kC4));
  EXPECT_LINE(out, fmt::format("isthmus_connection_ike_sas{{{}}} 0", kC4));
  EXPECT_LINE(out, fmt::format("isthmus_connection_child_sas{{{}}} 0", kC4));
  EXPECT_LINE(out, fmt::format("isthmus_connection_ike_rekeys_total{{{}}} 0", kC4));
  // No drops happened: the gateway lists none, so there is no drop series for it.
  for (const auto& l : Samples(out, "isthmus_connection_packet_drops_total")) {
    EXPECT_EQ(l.find("VNet4ToVNet1"), std::string::npos) << l;
  }
}

TEST(MetricsTest, StatusIsOneHotPerConnection) {
  const std::string out = RenderMetrics(Sample());
  const auto status = Samples(out, "isthmus_connection_status");
  ASSERT_EQ(status.size(), 8u);  // 2 connections x 4 statuses
  int ones = 0;
  for (const auto& l : status) ones += l.ends_with(" 1") ? 1 : 0;
  EXPECT_EQ(ones, 2);
}

TEST(MetricsTest, UnobservedConnectionIsUnknownWithZeroes) {
  MetricsInput in = Sample();
  in.connections = {{.name = "New", .resource_group = "rg", .gateway = "gw", .observed = {}}};
  const std::string out = RenderMetrics(in);
  constexpr const char* kNew = R"(connection="New",gateway="gw",resource_group="rg")";
  EXPECT_LINE(out, fmt::format("isthmus_connection_status{{{},status=\"Unknown\"}} 1", kNew));
  EXPECT_LINE(out, fmt::format("isthmus_connection_up{{{}}} 0", kNew));
  EXPECT_LINE(out, fmt::format("isthmus_connection_ike_sas{{{}}} 0", kNew));
  EXPECT_LINE(out, fmt::format("isthmus_connection_child_sas{{{}}} 0", kNew));
  EXPECT_LINE(out, fmt::format("isthmus_connection_ike_rekeys_total{{{}}} 0", kNew));
}

TEST(MetricsTest, DropsByReason) {
  const std::string out = RenderMetrics(Sample());
  constexpr const char* kL =
      R"(connection="VNet1ToVNet4",gateway="VNet1GW",reason="{}",resource_group="TestRG1")";
  EXPECT_LINE(out, fmt::format("isthmus_connection_packet_drops_total{{{}}} 2", fmt::format(kL, "bad_icv")));
  EXPECT_LINE(out, fmt::format("isthmus_connection_packet_drops_total{{{}}} 1", fmt::format(kL, "replayed")));
  EXPECT_LINE(out, fmt::format("isthmus_connection_packet_drops_total{{{}}} 4", fmt::format(kL, "oversize")));
  EXPECT_EQ(Samples(out, "isthmus_connection_packet_drops_total").size(), 3u);
}

TEST(MetricsTest, EscapesQuoteBackslashAndNewlineInLabelValues) {
  MetricsInput in;
  ConnectionMetrics c = Connected();
  c.name = R"(a"b\c)";
  c.resource_group = "line1\nline2";
  in.connections = {c};
  const std::string out = RenderMetrics(in);
  EXPECT_LINE(
      out,
      R"(isthmus_connection_up{connection="a\"b\\c",gateway="VNet1GW",resource_group="line1\nline2"} 1)");
}

TEST(MetricsTest, GatewaysAndManagement) {
  const std::string out = RenderMetrics(Sample());
  EXPECT_LINE(out, R"(isthmus_gateway_up{gateway="VNet1GW",resource_group="TestRG1"} 1)");
  EXPECT_LINE(out, R"(isthmus_gateway_up{gateway="VNet4GW",resource_group="TestRG4"} 0)");
  EXPECT_LINE(out, R"(isthmus_gateway_restarts_total{gateway="VNet1GW",resource_group="TestRG1"} 0)");
  EXPECT_LINE(out, R"(isthmus_gateway_restarts_total{gateway="VNet4GW",resource_group="TestRG4"} 2)");
  EXPECT_LINE(out, R"(isthmus_resources{type="Microsoft.Network/connections"} 2)");
  EXPECT_LINE(out, R"(isthmus_resources{type="Microsoft.Network/virtualNetworks"} 2)");
  EXPECT_LINE(out, "isthmus_reconcile_last_pass_seconds 0.25");
  EXPECT_LINE(out, "isthmus_reconcile_passes_total 42");
}

TEST(MetricsTest, EveryFamilyHasHelpNamingAzureAndTheRightType) {
  const std::string out = RenderMetrics(Sample());
  const std::array<std::pair<const char*, const char*>, 18> families = {{
      {"isthmus_connection_up", "gauge"},
      {"isthmus_connection_status", "gauge"},
      {"isthmus_connection_ingress_bytes_total", "counter"},
      {"isthmus_connection_egress_bytes_total", "counter"},
      {"isthmus_connection_ingress_packets_total", "counter"},
      {"isthmus_connection_egress_packets_total", "counter"},
      {"isthmus_connection_packet_drops_total", "counter"},
      {"isthmus_connection_ike_sas", "gauge"},
      {"isthmus_connection_child_sas", "gauge"},
      {"isthmus_connection_ike_rekeys_total", "counter"},
      {"isthmus_connection_child_rekeys_total", "counter"},
      {"isthmus_connection_ike_retransmits_total", "counter"},
      {"isthmus_connection_ike_retransmits_answered_total", "counter"},
      {"isthmus_gateway_up", "gauge"},
      {"isthmus_gateway_restarts_total", "counter"},
      {"isthmus_resources", "gauge"},
      {"isthmus_reconcile_last_pass_seconds", "gauge"},
      {"isthmus_reconcile_passes_total", "counter"},
  }};
  for (const auto& [name, type] : families) {
    EXPECT_LINE(out, fmt::format("# TYPE {} {}", name, type));
    bool help = false;
    for (const auto& l : Lines(out)) {
      if (l.starts_with(fmt::format("# HELP {} ", name))) help = l.find("Azure") != std::string::npos;
    }
    EXPECT_TRUE(help) << name << ": HELP missing or does not name its Azure counterpart";
  }
  // Nothing else is exported (a new family must be added here and to docs/metrics.md).
  int types = 0;
  for (const auto& l : Lines(out)) types += l.starts_with("# TYPE ") ? 1 : 0;
  EXPECT_EQ(types, static_cast<int>(families.size()));
}

TEST(MetricsTest, BytesStayExactWellBeyond32Bits) {
  MetricsInput in;
  ConnectionMetrics c = Connected();
  c.observed.ingress_bytes = 1'234'567'890'123ull;  // 1.2 TB: what a long-lived tunnel reaches
  in.connections = {c};
  EXPECT_LINE(RenderMetrics(in),
              fmt::format("isthmus_connection_ingress_bytes_total{{{}}} 1234567890123", kC1));
}

TEST(MetricsTest, MalformedGatewayStatusReadsAsZeroes) {
  MetricsInput in;
  ConnectionMetrics c = Connected();
  c.observed.gateway_status = Json::parse(R"({"ike_sa": "yes", "children": {"1": {}}, "ike_rekeys": "many",
                                              "child_rekeys": -4, "ike_retransmits": [3], "drops": {"bad_icv": "x", "replayed": 1.5}})");
  in.connections = {c};
  const std::string out = RenderMetrics(in);
  EXPECT_LINE(out, fmt::format("isthmus_connection_ike_sas{{{}}} 0", kC1));
  EXPECT_LINE(out, fmt::format("isthmus_connection_child_sas{{{}}} 0", kC1));
  EXPECT_LINE(out, fmt::format("isthmus_connection_ike_rekeys_total{{{}}} 0", kC1));
  EXPECT_LINE(out, fmt::format("isthmus_connection_child_rekeys_total{{{}}} 0", kC1));
  EXPECT_LINE(out, fmt::format("isthmus_connection_ike_retransmits_total{{{}}} 0", kC1));
  for (const auto& l : Samples(out, "isthmus_connection_packet_drops_total"))
    EXPECT_TRUE(l.ends_with(" 0")) << l;
}

// ---- promtool, the real component ----------------------------------------------------------------

struct ShellResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

ShellResult Shell(const std::string& command) {
  ShellResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;) r.output.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// promtool lints as well as parses: a counter without _total, a missing HELP, a non-counter named
// *_total, camelCase, ... each prints a line. The exposition must pass with no output at all.
void ExpectPromtoolClean(const std::string& text) {
  const ShellResult which = Shell("command -v promtool");
  ASSERT_EQ(which.exit_code, 0)
      << "promtool not found: apt-get install prometheus (scripts/deps.sh installs it)";

  std::string path = ::testing::TempDir() + "isthmus_metrics_XXXXXX";
  const int fd = ::mkstemp(path.data());
  ASSERT_GE(fd, 0) << "mkstemp " << path;
  ::close(fd);
  { std::ofstream(path, std::ios::binary) << text; }
  const ShellResult check = Shell("promtool check metrics < '" + path + "'");
  ::unlink(path.c_str());
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_EQ(check.output, "") << "promtool complained about:\n" << text;
}

TEST(MetricsTest, PromtoolAcceptsSample) {
  ExpectPromtoolClean(RenderMetrics(Sample()));
}

TEST(MetricsTest, PromtoolAcceptsEscapedLabelsAndEmptyInput) {
  MetricsInput in = Sample();
  in.connections[0].name = R"(a"b\c)";
  in.connections[1].resource_group = "line1\nline2";
  ExpectPromtoolClean(RenderMetrics(in));
  ExpectPromtoolClean(RenderMetrics(MetricsInput{}));
}

// The control: promtool does complain about what the rule forbids, so an empty output above means
// something (and not, say, that stdin never reached it).
TEST(MetricsTest, PromtoolComplainsAboutACounterWithoutTotal) {
  const ShellResult which = Shell("command -v promtool");
  ASSERT_EQ(which.exit_code, 0)
      << "promtool not found: apt-get install prometheus (scripts/deps.sh installs it)";
  const ShellResult check = Shell(
      "printf '# HELP bad_bytes x\\n# TYPE bad_bytes counter\\nbad_bytes 1\\n' | promtool check metrics");
  EXPECT_NE(check.output.find("_total"), std::string::npos) << check.output;
}

}  // namespace
}  // namespace isthmus::mgmt
