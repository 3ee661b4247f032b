#include "ike/tasks/task.h"

#include <algorithm>

#include "ike/sa/proposal_selection.h"

namespace isthmus::ike::tasks {

wire::Payload Notify(wire::NotifyType type, wire::Bytes data) {
  return wire::Payload::Of(wire::NotifyPayload::Of(type, std::move(data)));
}

std::vector<wire::Payload> ErrorResponse(wire::NotifyType type, wire::Bytes data) {
  std::vector<wire::Payload> out;
  out.push_back(Notify(type, std::move(data)));
  return out;
}

wire::Bytes RandomBytes(Rng& rng, std::size_t n) {
  wire::Bytes b(n);
  rng.Fill(b);
  return b;
}

wire::Bytes Spi32(std::uint32_t spi) {
  return {static_cast<std::uint8_t>(spi >> 24), static_cast<std::uint8_t>(spi >> 16),
          static_cast<std::uint8_t>(spi >> 8), static_cast<std::uint8_t>(spi)};
}

wire::Bytes Spi64(std::uint64_t spi) {
  wire::Bytes b;
  for (int s = 56; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(spi >> s));
  return b;
}

bool NonceLess(wire::ByteView a, wire::ByteView b) {
  // Nonces are compared as numbers: a shorter one is padded with leading zeros (strongSwan compares
  // memcmp over the common length; equal-length nonces, the usual case, agree either way).
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t x = i + a.size() >= n ? a[i + a.size() - n] : 0;
    const std::uint8_t y = i + b.size() >= n ? b[i + b.size() - n] : 0;
    if (x != y) return x < y;
  }
  return false;
}

const wire::Bytes& MinNonce(const wire::Bytes& a, const wire::Bytes& b) {
  return NonceLess(b, a) ? b : a;
}

Result<crypto::KeGroup> AdoptRequestedGroup(const wire::NotifyPayload& n,
                                            std::vector<sa::Proposal>& proposals, crypto::KeGroup& group,
                                            int& retries, int max_retries) {
  auto requested = n.invalid_ke_group();
  if (!requested || ++retries > max_retries) {
    return Fail(Error::Invalid("INVALID_KE_PAYLOAD", "bad INVALID_KE_PAYLOAD"));
  }
  auto g = sa::GroupForInvalidKe(proposals, group, *requested);
  if (!g) return Fail(g.error());
  proposals = sa::PromoteKeGroup(proposals, *g);
  group = *g;
  return *g;
}

}  // namespace isthmus::ike::tasks
