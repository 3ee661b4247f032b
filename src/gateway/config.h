// The gateway configuration: what isthmus-gateway reads from its JSON file, and what isthmusd's
// renderer generates for each gateway it realizes. One type, parsed and rendered here, in a library
// (isthmus::gateway_config) that links base, net and JSON only, so isthmusd shares it.
//
// { "local": {"address": "198.18.0.1", "id": "198.18.0.1"},
//   "tunnel": {"interface": "isth0", "mtu": 1400, "mss_clamp": 1350},
//   "control_socket": "/run/isthmus/gw.sock",
//   "ike": {"cookie_threshold": 64, "max_half_open": 4096},
//   "connections": [ { "name": "to-b", "remote_address": "198.18.0.2", "remote_id": "198.18.0.2",
//       "shared_key": "…", "local_prefixes": ["10.1.0.0/16"], "remote_prefixes": ["10.2.0.0/16"],
//       "ike_proposals": ["aes256gcm16-prfsha256-ecp256"], "esp_proposals": ["aes256gcm16"],
//       "mode": "initiator|responder|both", "dpd_timeout_s": 45,
//       "ike_lifetime_s": 28800, "child_lifetime_s": 27000, "encapsulation": "auto|force",
//       "ipsec_policy": {"ipsecEncryption": "GCMAES256", "ipsecIntegrity": "GCMAES256",
//                        "ikeEncryption": "AES256", "ikeIntegrity": "SHA256", "dhGroup": "ECP256",
//                        "pfsGroup": "None"} } ] }
// "ipsec_policy" is Azure's custom IPsec/IKE policy, field for field; when present it replaces
// ike_proposals/esp_proposals (ike/sa/azure_policy.h maps it, so a policy means the same as on Azure).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/secret.h"
#include "net/prefix.h"

namespace isthmus::gateway {

enum class ConnectionMode { kInitiator, kResponder, kBoth };

// Azure's ipsecPolicies entry, as text (validated when the engine configuration is built).
struct AzureIpsecPolicyText {
  std::string ipsec_encryption, ipsec_integrity, ike_encryption, ike_integrity, dh_group, pfs_group;
  auto operator<=>(const AzureIpsecPolicyText&) const = default;
};

struct ConnectionConfig {
  std::string name;
  net::IpAddress remote_address;
  std::string remote_id;                // an IP address or an FQDN/key id as text
  std::optional<std::string> local_id;  // overrides the gateway's local id for this connection
  SecretBytes shared_key;
  std::vector<net::Prefix> local_prefixes;
  std::vector<net::Prefix> remote_prefixes;
  // strongSwan syntax, validated by ike/sa's parser. The defaults are modern (DESIGN.md §4).
  std::vector<std::string> ike_proposals = {"aes256gcm16-prfsha256-ecp256"};
  std::vector<std::string> esp_proposals = {"aes256gcm16"};
  ConnectionMode mode = ConnectionMode::kBoth;
  std::uint32_t dpd_timeout_s = 45;        // Azure's default
  std::uint32_t ike_lifetime_s = 28800;    // Azure: IKE SA lifetime 28,800 s
  std::uint32_t child_lifetime_s = 27000;  // Azure: IPsec SA lifetime 27,000 s
  bool force_encapsulation = true;  // always ESP-in-UDP on 4500 (needed behind NAT, and by kernel-libipsec)
  bool policy_based_selectors = false;
  std::optional<AzureIpsecPolicyText> ipsec_policy;
};

struct GatewayConfig {
  net::IpAddress local_address;
  std::string local_id;
  std::string tunnel_interface = "isth0";
  std::uint32_t tunnel_mtu = 1400;  // Azure's VPN gateway MTU
  std::uint32_t mss_clamp = 1350;   // Azure's TCP MSS clamp
  std::string control_socket;       // empty: none
  std::uint16_t ike_port = 500;     // RFC 7296 §2; 4500 for NAT-T (RFC 3948)
  std::uint16_t natt_port = 4500;
  // DoS limits of the IKE responder (ike::EngineConfig): half-open SAs before cookies are demanded
  // (RFC 7296 §2.6), and the most kept at all. strongSwan's cookie_threshold / init_limit_half_open.
  std::uint32_t cookie_threshold = 64;
  std::uint32_t max_half_open = 4096;
  std::vector<ConnectionConfig> connections;
};

// Parses and validates the whole file; the error names the field ("connections[1].remote_prefixes[0]").
// The shared key never appears in an error.
Result<GatewayConfig> ParseGatewayConfig(const std::string& json_text);

// The JSON text of a configuration, shared key included (the file is the gateway's secret: write it
// mode 0600). ParseGatewayConfig(RenderGatewayConfig(c)) gives back c; equal configurations render to
// equal text, so the text is what the fabric compares to decide whether a gateway needs a reload.
std::string RenderGatewayConfig(const GatewayConfig& config);

// An error for humans, naming its field once ("connections[1].mode: 'x' is not one of …").
std::string DescribeError(const Error& e);

const char* ModeName(ConnectionMode m);

}  // namespace isthmus::gateway
