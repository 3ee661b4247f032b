#include "gateway/status.h"

#include <fmt/format.h>

namespace isthmus::gateway {

namespace {

using nlohmann::json;

json Figures(const TrafficFigures& t) {
  return json{{"packets", t.packets}, {"bytes", t.bytes}};
}

json Prefixes(const std::vector<net::Prefix>& ps) {
  json a = json::array();
  for (const auto& p : ps) a.push_back(p.ToString());
  return a;
}

std::string IsoUtc(std::chrono::system_clock::time_point t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  const std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void AddAge(json& j, TimePoint at, TimePoint now, std::chrono::system_clock::time_point wall_now) {
  if (at == TimePoint{}) return;
  const auto age = now - at;
  j["established_s"] = std::chrono::duration_cast<std::chrono::seconds>(age).count();
  j["established_at"] =
      IsoUtc(wall_now - std::chrono::duration_cast<std::chrono::system_clock::duration>(age));
}

void AddLifetime(json& j, Duration lifetime) {
  if (lifetime > Duration::zero()) {
    j["lifetime_s"] = std::chrono::duration_cast<std::chrono::seconds>(lifetime).count();
  }
}

std::string HumanBytes(std::uint64_t b) {
  if (b >= 10ull * 1024 * 1024 * 1024) return fmt::format("{}G", b >> 30);
  if (b >= 10ull * 1024 * 1024) return fmt::format("{}M", b >> 20);
  if (b >= 10ull * 1024) return fmt::format("{}K", b >> 10);
  return fmt::format("{}B", b);
}

std::uint64_t U(const json& j, const char* a, const char* b) {
  if (!j.contains(a) || !j[a].contains(b)) return 0;
  return j[a][b].get<std::uint64_t>();
}

}  // namespace

std::string HexSpi(std::uint64_t spi, int width) {
  return fmt::format("{:0{}x}", spi, width);
}

json StatusJson(const std::vector<ike::ConnectionStatus>& connections, const DataplaneView& dp, TimePoint now,
                std::chrono::system_clock::time_point wall_now, bool ages) {
  json conns = json::array();
  for (const auto& c : connections) {
    json j;
    j["name"] = c.name;
    j["state"] = std::string(ike::ConnectionStateName(c.state));
    j["local"] = c.local.ToString();
    j["remote"] = c.remote.ToString();
    if (c.state != ike::ConnectionState::kNotConnected || c.ike_spi_i != 0) {
      json ike{{"spi_i", HexSpi(c.ike_spi_i, 16)},
               {"spi_r", HexSpi(c.ike_spi_r, 16)},
               {"initiator", c.initiator},
               {"algorithms", c.ike_algorithms},
               {"udp_encapsulated", c.udp_encapsulated}};
      if (ages) AddAge(ike, c.established_at, now, wall_now);
      AddLifetime(ike, c.ike_lifetime);
      j["ike_sa"] = std::move(ike);
    }
    j["ike_rekeys"] = c.ike_rekeys;
    j["child_rekeys"] = c.child_rekeys;
    // Per connection, not per SA: rekeys and reconnects do not reset them.
    j["ike_retransmits"] = json{{"sent", c.ike_retransmits.sent}, {"answered", c.ike_retransmits.answered}};
    if (!c.last_error.empty()) j["last_error"] = c.last_error;
    json children = json::array();
    for (const auto& ch : c.children) {
      json k{{"id", ch.id},
             {"state", ch.state},
             {"inbound_spi", HexSpi(ch.inbound_spi, 8)},
             {"outbound_spi", HexSpi(ch.outbound_spi, 8)},
             {"algorithms", ch.algorithms},
             {"local_prefixes", Prefixes(ch.local_prefixes)},
             {"remote_prefixes", Prefixes(ch.remote_prefixes)}};
      if (ages) AddAge(k, ch.established_at, now, wall_now);
      AddLifetime(k, c.child_lifetime);
      if (auto it = dp.inbound.find(ch.inbound_spi); it != dp.inbound.end()) k["in"] = Figures(it->second);
      if (auto it = dp.outbound.find(ch.outbound_spi); it != dp.outbound.end())
        k["out"] = Figures(it->second);
      children.push_back(std::move(k));
    }
    j["children"] = std::move(children);
    // Connection totals survive their SAs (rekeys do not reset them).
    if (auto it = dp.connections.find(c.name); it != dp.connections.end()) {
      j["in"] = Figures(it->second.in);
      j["out"] = Figures(it->second.out);
      j["drops"] = it->second.drops;
    } else {
      j["in"] = Figures({});
      j["out"] = Figures({});
      j["drops"] = json::object();
    }
    conns.push_back(std::move(j));
  }
  return json{{"connections", std::move(conns)}, {"drops", dp.worker_drops}};
}

json StatusJson(const std::vector<ike::ConnectionStatus>& connections, const ike::DosStatus& dos,
                const DataplaneView& dp, TimePoint now, std::chrono::system_clock::time_point wall_now,
                bool ages) {
  json j = StatusJson(connections, dp, now, wall_now, ages);
  j["ike"] = json{
      {"half_open", dos.half_open}, {"cookies_sent", dos.cookies_sent}, {"init_dropped", dos.init_dropped}};
  return j;
}

std::string StatusDigest(const json& status_without_ages) {
  // FNV-1a (64 bits): a change detector between two honest parties, not a MAC.
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : status_without_ages.dump()) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  return HexSpi(h, 16);
}

std::string RenderStatusTable(const json& status) {
  std::string out =
      fmt::format("{:<16} {:<13} {:<22} {:<36} {:>7} {:>8} {:>18} {:>18}\n", "NAME", "STATE", "PEER",
                  "IKE SA (SPIi_SPIr)", "UP(s)", "REKEYS", "IN pkts/bytes", "OUT pkts/bytes");
  if (!status.contains("connections")) return out;
  for (const auto& c : status["connections"]) {
    std::string spis = "-", up = "-";
    if (c.contains("ike_sa")) {
      const auto& i = c["ike_sa"];
      spis = i["spi_i"].get<std::string>() + "_" + i["spi_r"].get<std::string>();
      if (i.contains("established_s")) up = std::to_string(i["established_s"].get<std::int64_t>());
    }
    out += fmt::format(
        "{:<16} {:<13} {:<22} {:<36} {:>7} {:>8} {:>18} {:>18}\n", c["name"].get<std::string>(),
        c["state"].get<std::string>(), c["remote"].get<std::string>(), spis, up,
        fmt::format("{}/{}", c["ike_rekeys"].get<std::uint32_t>(), c["child_rekeys"].get<std::uint32_t>()),
        fmt::format("{}/{}", U(c, "in", "packets"), HumanBytes(U(c, "in", "bytes"))),
        fmt::format("{}/{}", U(c, "out", "packets"), HumanBytes(U(c, "out", "bytes"))));
    if (c.contains("ike_sa"))
      out += fmt::format("  IKE   {}\n", c["ike_sa"]["algorithms"].get<std::string>());
    for (const auto& k : c["children"]) {
      out += fmt::format("  CHILD {} in {} out {} {} {} === {} in {}/{} out {}/{}\n",
                         k["state"].get<std::string>(), k["inbound_spi"].get<std::string>(),
                         k["outbound_spi"].get<std::string>(), k["algorithms"].get<std::string>(),
                         k["local_prefixes"].dump(), k["remote_prefixes"].dump(), U(k, "in", "packets"),
                         HumanBytes(U(k, "in", "bytes")), U(k, "out", "packets"),
                         HumanBytes(U(k, "out", "bytes")));
    }
    if (c.contains("drops") && !c["drops"].empty()) out += "  DROPS " + c["drops"].dump() + "\n";
    if (const auto sent = U(c, "ike_retransmits", "sent"), answered = U(c, "ike_retransmits", "answered");
        sent != 0 || answered != 0) {
      out += fmt::format("  IKE RETRANSMITS sent {} answered {}\n", sent, answered);
    }
    if (c.contains("last_error")) out += "  LAST ERROR " + c["last_error"].get<std::string>() + "\n";
  }
  if (status.contains("drops") && !status["drops"].empty())
    out += "gateway drops " + status["drops"].dump() + "\n";
  if (const auto half_open = U(status, "ike", "half_open"), cookies = U(status, "ike", "cookies_sent"),
      dropped = U(status, "ike", "init_dropped");
      half_open != 0 || cookies != 0 || dropped != 0) {
    out += fmt::format("gateway IKE half-open {}, cookies sent {}, IKE_SA_INIT dropped {}\n", half_open,
                       cookies, dropped);
  }
  return out;
}

}  // namespace isthmus::gateway
