#include "ike/tasks/natd.h"

#include <array>

#include <openssl/evp.h>

#include "ike/tasks/task.h"

namespace isthmus::ike::tasks {
namespace {

void PutU64(wire::Bytes& out, std::uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}

}  // namespace

wire::Bytes NatdHash(std::uint64_t spi_i, std::uint64_t spi_r, const Endpoint& ep) {
  wire::Bytes in;
  PutU64(in, spi_i);
  PutU64(in, spi_r);
  const std::size_t len = ep.address.is_v4() ? 4 : 16;
  in.insert(in.end(), ep.address.bytes(), ep.address.bytes() + len);
  in.push_back(static_cast<std::uint8_t>(ep.port >> 8));
  in.push_back(static_cast<std::uint8_t>(ep.port));
  // SHA-1 is what §2.23 mandates; it is a fingerprint here, not a security primitive.
  // TODO(crypto): a crypto::Hash interface would keep OpenSSL out of ike/.
  wire::Bytes out(kNatdHashSize);
  unsigned int n = 0;
  if (EVP_Digest(in.data(), in.size(), out.data(), &n, EVP_sha1(), nullptr) != 1 || n != kNatdHashSize) {
    out.assign(kNatdHashSize, 0);
  }
  return out;
}

std::vector<wire::Payload> NatdNotifies(std::uint64_t spi_i, std::uint64_t spi_r, const Endpoint& local,
                                        const Endpoint& remote, bool force, Rng& rng) {
  std::vector<wire::Payload> out;
  wire::Bytes src = force ? RandomBytes(rng, kNatdHashSize) : NatdHash(spi_i, spi_r, local);
  out.push_back(Notify(wire::NotifyType::kNatDetectionSourceIp, std::move(src)));
  out.push_back(Notify(wire::NotifyType::kNatDetectionDestinationIp, NatdHash(spi_i, spi_r, remote)));
  return out;
}

NatdResult CheckNatd(const wire::Message& m, const Endpoint& local, const Endpoint& remote) {
  NatdResult r;
  bool src_match = false;
  bool dst_seen = false;
  bool dst_match = false;
  bool src_seen = false;
  const auto& h = m.header;
  const wire::Bytes src_expect = NatdHash(h.initiator_spi, h.responder_spi, remote);
  const wire::Bytes dst_expect = NatdHash(h.initiator_spi, h.responder_spi, local);
  for (const wire::NotifyPayload* n : m.Notifies()) {
    if (n->type == wire::NotifyType::kNatDetectionSourceIp) {
      src_seen = true;
      if (n->data == src_expect) src_match = true;
    } else if (n->type == wire::NotifyType::kNatDetectionDestinationIp) {
      dst_seen = true;
      if (n->data == dst_expect) dst_match = true;
    }
  }
  r.present = src_seen && dst_seen;
  if (r.present) {
    r.nat_there = !src_match;
    r.nat_here = !dst_match;
  }
  return r;
}

}  // namespace isthmus::ike::tasks
