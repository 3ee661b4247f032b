// Maps the standalone gateway configuration (config.h) onto the IKE engine's per-connection
// configuration (ike/engine/types.h): proposals parsed from strongSwan syntax, identities, endpoints on
// port 500, lifetimes with the rekey margin and jitter the engine uses.
#pragma once

#include <vector>

#include "base/result.h"
#include "gateway/config.h"
#include "ike/engine/types.h"

namespace isthmus::gateway {

// Rekey timing derived from a configured lifetime (implementation choice, close to strongSwan's
// defaults of rekey at ~90 % of the lifetime): margin = 10 % of the lifetime, jitter = 5 %, so the two
// ends rarely start the same rekey at once. A zero lifetime never rekeys.
ike::LifetimeConfig LifetimeFor(std::uint32_t seconds);

// An ID given as an IP address becomes ID_IPV4_ADDR/ID_IPV6_ADDR, anything else ID_FQDN (what
// strongSwan does with `id = ...`).
ike::wire::IdPayload IdFor(const std::string& text);

// Fails (naming the field) if a proposal does not parse.
Result<std::vector<ike::ConnectionConfig>> ToEngineConnections(const GatewayConfig& config);

}  // namespace isthmus::gateway
