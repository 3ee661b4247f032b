// The HTTPS material isthmusd serves with: a local certificate authority made on first start and a
// server certificate it signs for the names clients dial (127.0.0.1, localhost, the listen address,
// extra names by flag). Users trust the CA once (docs/security.md); the `isthmus` CLI trusts it by itself.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"

namespace isthmus::mgmt::auth {

struct TlsMaterial {
  std::filesystem::path ca_cert;      // ca.pem: what clients trust (REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS)
  std::filesystem::path ca_key;       // ca.key: mode 0600, never leaves the directory
  std::filesystem::path server_cert;  // server.pem: the leaf, then the CA (a chain clients can verify)
  std::filesystem::path server_key;   // server.key: mode 0600
  bool issued = false;                // true when this call made a new server certificate
};

struct TlsOptions {
  // Subject alternative names of the server certificate: IPv4/IPv6 literals become IP SANs, anything
  // else a DNS SAN. Duplicates and case differences are ignored.
  std::vector<std::string> names;
  // Lifetimes (implementation choices: long enough to forget, short enough that a leaked key expires;
  // browsers refuse leaves valid for more than 398 days).
  std::chrono::hours ca_lifetime{24 * 3650};
  std::chrono::hours server_lifetime{24 * 397};
  // A server certificate closer than this to its end is reissued on start.
  std::chrono::hours renew_before{24 * 30};
};

// Makes `dir` (mode 0700) hold ca.pem, ca.key, server.pem and server.key, creating what is missing:
// the CA (EC P-256, basicConstraints CA:TRUE critical, keyUsage keyCertSign+cRLSign, subject key id)
// and a server certificate (EC P-256, signed by the CA with SHA-256, SANs from options.names,
// extendedKeyUsage serverAuth, authority key id, random 128-bit serial). An existing server certificate
// is kept when it is signed by the CA, covers every name and is not near its end; otherwise it is
// reissued. An existing CA is never replaced (clients trust it), unless its key is missing: then a new
// CA and server certificate are made. Files are written atomically (temp file, fsync, rename) and keys
// are created with mode 0600. A CA or key that cannot be read is an error naming the file, not silently
// replaced.
Result<TlsMaterial> EnsureTlsMaterial(const std::filesystem::path& dir, const TlsOptions& options);

// The SANs of a PEM certificate file as strings ("127.0.0.1", "localhost"); for diagnostics and tests.
Result<std::vector<std::string>> CertificateNames(const std::filesystem::path& pem);

}  // namespace isthmus::mgmt::auth
