#include "gateway/engine_config.h"

#include <chrono>

#include <fmt/format.h>

#include "ike/sa/azure_policy.h"
#include "ike/sa/proposal.h"

namespace isthmus::gateway {

ike::LifetimeConfig LifetimeFor(std::uint32_t seconds) {
  ike::LifetimeConfig l;
  if (seconds == 0) return l;
  const auto hard = std::chrono::milliseconds(std::uint64_t{seconds} * 1000);
  l.hard = hard;
  l.margin = hard / 10;
  l.jitter = hard / 20;
  return l;
}

ike::wire::IdPayload IdFor(const std::string& text) {
  if (auto a = net::IpAddress::Parse(text)) return ike::wire::IdPayload::Address(*a);
  return ike::wire::IdPayload::Fqdn(text);
}

namespace {

Result<std::vector<ike::sa::Proposal>> Proposals(const std::vector<std::string>& texts,
                                                 ike::wire::ProtocolId p, const std::string& field) {
  std::vector<ike::sa::Proposal> out;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto r = ike::sa::ParseProposals(texts[i], p);
    if (!r) {
      return Fail(Error::Invalid("InvalidProposal", r.error().message, fmt::format("{}[{}]", field, i)));
    }
    out.insert(out.end(), r->begin(), r->end());
  }
  if (out.empty()) return Fail(Error::Invalid("InvalidProposal", "no proposal", field));
  return out;
}

ike::ConnectionMode ModeFor(ConnectionMode m) {
  switch (m) {
    case ConnectionMode::kInitiator:
      return ike::ConnectionMode::kInitiator;
    case ConnectionMode::kResponder:
      return ike::ConnectionMode::kResponder;
    case ConnectionMode::kBoth:
      break;
  }
  return ike::ConnectionMode::kBoth;
}

}  // namespace

Result<std::vector<ike::ConnectionConfig>> ToEngineConnections(const GatewayConfig& config) {
  std::vector<ike::ConnectionConfig> out;
  for (std::size_t i = 0; i < config.connections.size(); ++i) {
    const auto& c = config.connections[i];
    const std::string field = fmt::format("connections[{}]", i);
    ike::ConnectionConfig e;
    e.name = c.name;
    e.local = {config.local_address, config.ike_port};
    e.remote = {c.remote_address, config.ike_port};
    e.local_id = IdFor(c.local_id.value_or(config.local_id));
    e.remote_id = IdFor(c.remote_id);
    e.psk = c.shared_key;
    e.local_prefixes = c.local_prefixes;
    e.remote_prefixes = c.remote_prefixes;
    if (c.ipsec_policy) {
      const auto& t = *c.ipsec_policy;
      const ike::sa::AzureIpsecPolicy pol{t.ipsec_encryption, t.ipsec_integrity, t.ike_encryption,
                                          t.ike_integrity,    t.dh_group,        t.pfs_group};
      auto ike = ike::sa::AzureIkeProposal(pol);
      auto esp = ike::sa::AzureEspProposal(pol);
      for (const auto* r : {&ike, &esp}) {
        if (!*r) {
          const Error& err = r->error();
          return Fail(
              Error::Invalid(err.code, err.message, fmt::format("{}.ipsec_policy.{}", field, err.target)));
        }
      }
      e.ike_proposals = {std::move(*ike)};
      e.esp_proposals = {std::move(*esp)};
    } else {
      auto ike = Proposals(c.ike_proposals, ike::wire::ProtocolId::kIke, field + ".ike_proposals");
      if (!ike) return Fail(ike.error());
      auto esp = Proposals(c.esp_proposals, ike::wire::ProtocolId::kEsp, field + ".esp_proposals");
      if (!esp) return Fail(esp.error());
      e.ike_proposals = std::move(*ike);
      e.esp_proposals = std::move(*esp);
    }
    e.mode = ModeFor(c.mode);
    e.dpd_timeout = std::chrono::seconds(c.dpd_timeout_s);
    e.ike_lifetime = LifetimeFor(c.ike_lifetime_s);
    e.child_lifetime = LifetimeFor(c.child_lifetime_s);
    e.force_encapsulation = c.force_encapsulation;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace isthmus::gateway
