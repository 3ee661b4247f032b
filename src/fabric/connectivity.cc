#include "fabric/connectivity.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

namespace isthmus::fabric {
namespace {

using mgmt::render::HostPlan;
using nlohmann::json;

// Implementation choices: a probe waits at most 1 s (Azure's probes time out after a few seconds; a
// fabric on one host answers in well under one), 0.2 s between probes.
constexpr int kProbeTimeoutS = 1;

json Hop(const std::string& type, const std::string& id, const std::string& address,
         const std::string& resource) {
  return {{"type", type},
          {"id", id},
          {"address", address},
          {"resourceId", resource},
          {"nextHopIds", json::array()},
          {"issues", json::array()}};
}

}  // namespace

std::vector<std::string> ProbeCommand(const ConnectivityProbe& p) {
  if (p.protocol == "Icmp") {
    return {"/bin/ping", "-n",  "-c", std::to_string(p.probes),
            "-i",        "0.2", "-W", std::to_string(kProbeTimeoutS),
            p.address};
  }
  // One line per probe: "ok START END" (bash's $EPOCHREALTIME, no subprocess in the timed part) or "fail".
  const std::string script = fmt::format(
      "for i in $(seq {n}); do "
      "timeout {t} /bin/bash -c 's=$EPOCHREALTIME; exec 3<>/dev/tcp/{a}/{p} || exit 1; e=$EPOCHREALTIME; "
      "echo \"ok $s $e\"' "
      "2>/dev/null || echo fail; sleep 0.2; done",
      fmt::arg("n", p.probes), fmt::arg("t", kProbeTimeoutS), fmt::arg("a", p.address),
      fmt::arg("p", p.port));
  return {"/bin/bash", "-c", script};
}

json ProbeFigures(const ConnectivityProbe& p, const std::string& output) {
  std::vector<double> rtts;
  int sent = p.probes;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (p.protocol == "Icmp") {
      // "64 bytes from 10.41.0.4: icmp_seq=1 ttl=62 time=0.412 ms"
      auto t = line.find(" time=");
      if (t != std::string::npos && line.find("bytes from") != std::string::npos) {
        rtts.push_back(std::atof(line.c_str() + t + 6));
      }
    } else if (line.rfind("ok ", 0) == 0) {
      double s = 0, e = 0;
      if (std::sscanf(line.c_str() + 3, "%lf %lf", &s, &e) == 2) rtts.push_back((e - s) * 1000.0);
    }
  }
  json out;
  out["probesSent"] = sent;
  out["probesFailed"] = sent - static_cast<int>(rtts.size());
  out["connectionStatus"] = rtts.empty() ? "Unreachable" : "Reachable";
  if (!rtts.empty()) {
    double sum = 0;
    for (double r : rtts) sum += r;
    // Azure reports whole milliseconds.
    out["avgLatencyInMs"] = static_cast<long>(std::lround(sum / static_cast<double>(rtts.size())));
    out["minLatencyInMs"] = static_cast<long>(std::lround(*std::min_element(rtts.begin(), rtts.end())));
    out["maxLatencyInMs"] = static_cast<long>(std::lround(*std::max_element(rtts.begin(), rtts.end())));
  }
  return out;
}

json PlanHops(const HostPlan& plan, const std::string& vm_key, const std::string& address) {
  json hops = json::array();
  auto dest = net::IpAddress::Parse(address);
  const mgmt::render::VmPlan* vm = nullptr;
  for (const auto& m : plan.vms) {
    if (m.key == vm_key) vm = &m;
  }
  if (!vm) return hops;
  hops.push_back(Hop("Source", "source", vm->nic.address.ToString(), vm->key));
  const mgmt::render::VnetPlan* vnet = nullptr;
  for (const auto& v : plan.vnets) {
    if (v.ns == vm->nic.peer_ns) vnet = &v;
  }
  if (vnet && dest) {
    hops.push_back(Hop("VirtualNetwork", "router", vm->default_gateway.ToString(), vnet->key));
    for (const auto& g : plan.gateways) {
      if (g.lan.peer_ns != vnet->ns) continue;
      for (const auto& c : g.config.connections) {
        if (std::none_of(c.remote_prefixes.begin(), c.remote_prefixes.end(),
                         [&](const net::Prefix& p) { return p.Contains(*dest); })) {
          continue;
        }
        hops.push_back(Hop("VnetGateway", "local-gateway", g.lan.address.ToString(), g.key));
        std::string remote_key;
        for (const auto& other : plan.gateways) {
          if (other.config.local_address == c.remote_address) remote_key = other.key;
        }
        hops.push_back(Hop(remote_key.empty() ? "Internet" : "VnetGateway", "remote-gateway",
                           c.remote_address.ToString(), remote_key));
        break;
      }
    }
  }
  std::string dest_key;
  for (const auto& m : plan.vms) {
    if (dest && m.nic.address == *dest) dest_key = m.key;
  }
  hops.push_back(Hop(dest_key.empty() ? "Destination" : "VirtualMachine", "destination", address, dest_key));
  for (std::size_t i = 0; i + 1 < hops.size(); ++i) hops[i]["nextHopIds"] = json::array({hops[i + 1]["id"]});
  return hops;
}

Result<json> CheckConnectivity(platform::Processes& processes, const HostPlan& plan,
                               const std::string& vm_key, const ConnectivityProbe& probe) {
  const mgmt::render::VmPlan* vm = nullptr;
  for (const auto& m : plan.vms) {
    if (m.key == vm_key) vm = &m;
  }
  if (!vm) return Fail(Error::Conflict("VMNotRealized", "The source VM is not running on this host."));
  if (!net::IpAddress::Parse(probe.address)) {
    return Fail(
        Error::Invalid("InvalidDestination", fmt::format("'{}' is not an IP address.", probe.address)));
  }
  const bool tcp = probe.protocol == "Tcp";
  if ((!tcp && probe.protocol != "Icmp") || (tcp && (probe.port < 1 || probe.port > 65535)) ||
      probe.probes < 1 || probe.probes > 100) {
    return Fail(
        Error::Invalid("InvalidProbe", "The probe needs protocol Tcp with a port 1..65535, or Icmp."));
  }
  auto r = processes.Run({ProbeCommand(probe), vm->ns,
                          std::chrono::seconds(probe.probes * (kProbeTimeoutS + 1) + 5), 64 * 1024});
  if (!r) return Fail(r.error());
  json out = ProbeFigures(probe, r->out);
  out["hops"] = PlanHops(plan, vm_key, probe.address);
  return out;
}

}  // namespace isthmus::fabric
