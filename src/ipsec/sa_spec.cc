#include "ipsec/sa_spec.h"

#include <fmt/format.h>

#include "crypto/transforms.h"

namespace isthmus::ipsec {
namespace {

Error Bad(std::string message, std::string target) {
  return Error::Invalid("InvalidSaSpec", std::move(message), std::move(target));
}

bool IsUnspecified(const net::IpAddress& a) {
  const int octets = a.is_v4() ? 4 : 16;
  for (int i = 0; i < octets; ++i) {
    if (a.bytes()[i] != 0) return false;
  }
  return true;
}

Status ValidateSelectors(const std::vector<TrafficSelector>& list, const char* side) {
  if (list.empty())
    return Fail(Bad(fmt::format("no {} traffic selectors", side), fmt::format("selectors.{}", side)));
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& ts = list[i];
    if (ts.port_first > ts.port_last) {
      return Fail(Bad(fmt::format("{} traffic selector {} has port range {}-{} (first > last)", side, i,
                                  ts.port_first, ts.port_last),
                      fmt::format("selectors.{}[{}]", side, i)));
    }
  }
  return {};
}

// Soft limits exist so the engine can rekey before the hard limit cuts traffic: a soft limit at or
// above its hard limit would never fire first.
Status ValidateLifetimePair(std::uint64_t soft, std::uint64_t hard, const char* what) {
  if (soft != 0 && hard != 0 && soft >= hard) {
    return Fail(Bad(fmt::format("soft {} lifetime {} is not below the hard one {}", what, soft, hard),
                    fmt::format("lifetimes.soft.{}", what)));
  }
  return {};  // a soft limit with no hard one is legal: rekey, but never cut traffic
}

}  // namespace

std::string_view DirectionName(Direction d) {
  return d == Direction::kInbound ? "inbound" : "outbound";
}

Status Validate(const SaSpec& spec) {
  if (spec.spi < kMinSpi) {
    return Fail(Bad(fmt::format("SPI {:#x} is reserved (RFC 4303 §2.1: values below 256)", spec.spi), "spi"));
  }
  if (spec.protocol != Protocol::kEsp) return Fail(Bad("only ESP SAs are supported", "protocol"));
  if (spec.mode != Mode::kTunnel) return Fail(Bad("only tunnel mode is supported", "mode"));
  if (IsUnspecified(spec.local_address)) return Fail(Bad("local outer address is not set", "local_address"));
  if (IsUnspecified(spec.remote_address))
    return Fail(Bad("remote outer address is not set", "remote_address"));
  if (spec.local_address.family() != spec.remote_address.family()) {
    return Fail(Bad(fmt::format("outer addresses {} and {} are of different families",
                                spec.local_address.ToString(), spec.remote_address.ToString()),
                    "remote_address"));
  }
  if (spec.encap.enabled && (spec.encap.local_port == 0 || spec.encap.remote_port == 0)) {
    return Fail(Bad("UDP encapsulation needs non-zero ports", "encap"));
  }
  if (auto s = ValidateSelectors(spec.selectors.local, "local"); !s) return s;
  if (auto s = ValidateSelectors(spec.selectors.remote, "remote"); !s) return s;

  const auto& t = spec.transform;
  auto encr = crypto::FindEncr(t.encr, t.encr_key_bits);
  if (!encr) {
    return Fail(Bad(fmt::format("encryption transform {} with key length {} is not supported",
                                static_cast<unsigned>(t.encr), t.encr_key_bits),
                    "transform.encr"));
  }
  if (spec.keys.encr.size() != encr->keymat_size) {
    return Fail(Bad(fmt::format("{} needs {} octets of encryption keymat (key{}), got {}", encr->name,
                                encr->keymat_size, encr->salt_size ? " and salt" : "", spec.keys.encr.size()),
                    "keys.encr"));
  }
  if (encr->aead) {
    if (t.integ != crypto::IntegId::kNone) {
      return Fail(
          Bad(fmt::format("{} is an AEAD and takes no integrity transform (RFC 4303 §3.2)", encr->name),
              "transform.integ"));
    }
    if (!spec.keys.integ.empty()) return Fail(Bad("an AEAD SA has no integrity key", "keys.integ"));
  } else {
    auto integ = crypto::FindInteg(t.integ);
    if (!integ) {
      return Fail(
          Bad(fmt::format("{} needs a supported integrity transform", encr->name), "transform.integ"));
    }
    if (spec.keys.integ.size() != integ->key_size) {
      return Fail(Bad(fmt::format("{} needs a {}-octet key, got {}", integ->name, integ->key_size,
                                  spec.keys.integ.size()),
                      "keys.integ"));
    }
  }

  if (auto s = ValidateLifetimePair(spec.lifetimes.soft.seconds, spec.lifetimes.hard.seconds, "seconds"); !s)
    return s;
  if (auto s = ValidateLifetimePair(spec.lifetimes.soft.bytes, spec.lifetimes.hard.bytes, "bytes"); !s)
    return s;
  if (auto s = ValidateLifetimePair(spec.lifetimes.soft.packets, spec.lifetimes.hard.packets, "packets"); !s)
    return s;

  if (spec.direction == Direction::kInbound && spec.replay_window != 0 &&
      (spec.replay_window < kMinReplayWindow || spec.replay_window > kMaxReplayWindow)) {
    return Fail(Bad(fmt::format("replay window {} is outside {}..{} (0 disables it)", spec.replay_window,
                                kMinReplayWindow, kMaxReplayWindow),
                    "replay_window"));
  }
  if (spec.connection.empty()) return Fail(Bad("connection name is empty", "connection"));
  return {};
}

std::string Describe(const SaSpec& spec) {
  std::string alg = "unsupported transform";
  if (auto encr = crypto::FindEncr(spec.transform.encr, spec.transform.encr_key_bits)) {
    alg = std::string(encr->name);
    if (!encr->aead) {
      auto integ = crypto::FindInteg(spec.transform.integ);
      alg += integ ? fmt::format("/{}", integ->name) : "/no-integrity";
    }
  }
  const bool in = spec.direction == Direction::kInbound;
  std::string encap = spec.encap.enabled
                          ? fmt::format(" (udp {}/{})", spec.encap.local_port, spec.encap.remote_port)
                          : std::string();
  return fmt::format("{} ESP SA {:#010x} {} {} {}{} {}{} conn={}", DirectionName(spec.direction), spec.spi,
                     spec.local_address.ToString(), in ? "<-" : "->", spec.remote_address.ToString(), encap,
                     alg, spec.transform.esn ? " esn" : "", spec.connection);
}

}  // namespace isthmus::ipsec
