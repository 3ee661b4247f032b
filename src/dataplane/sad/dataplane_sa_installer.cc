#include "dataplane/sad/dataplane_sa_installer.h"

#include <algorithm>

#include <fmt/format.h>

namespace isthmus::dataplane {
namespace {

// Implementation choice: how many random draws before declaring the SPI space exhausted. With 2^32
// SPIs and at most thousands in use a collision is rare; 64 misses in a row means something is wrong.
constexpr int kSpiAttempts = 64;

std::string Hex(std::uint32_t spi) {
  return fmt::format("0x{:08x}", spi);
}

Error NotFound(std::uint32_t spi, ipsec::Direction d) {
  return {ErrorKind::kNotFound, std::string(ipsec::kSaNotFound),
          fmt::format("no {} SA with SPI {}", ipsec::DirectionName(d), Hex(spi)), "spi"};
}

}  // namespace

DataplaneSaInstaller::DataplaneSaInstaller(const Clock& clock, Rng& spi_rng, Rng& iv_rng)
    : clock_(clock), spi_rng_(spi_rng), iv_rng_(iv_rng) {}

Result<std::uint32_t> DataplaneSaInstaller::AllocateSpi() {
  std::lock_guard lock(mu_);
  for (int i = 0; i < kSpiAttempts; ++i) {
    std::uint32_t spi = 0;
    spi_rng_.Fill({reinterpret_cast<std::uint8_t*>(&spi), sizeof spi});
    if (spi < ipsec::kMinSpi) continue;  // RFC 4303 §2.1: 0 never sent, 1..255 reserved
    if (reserved_.contains(spi) || installed_.contains({spi, ipsec::Direction::kInbound})) continue;
    reserved_.insert(spi);
    return spi;
  }
  return Fail({ErrorKind::kUnavailable, std::string(ipsec::kSpiExhausted), "no free inbound SPI", {}});
}

Status DataplaneSaInstaller::ReserveSpi(std::uint32_t spi) {
  std::lock_guard lock(mu_);
  if (spi < ipsec::kMinSpi) {
    return Fail(
        Error::Invalid("InvalidSpi", fmt::format("SPI {} is reserved (RFC 4303 §2.1)", Hex(spi)), "spi"));
  }
  if (reserved_.contains(spi) || installed_.contains({spi, ipsec::Direction::kInbound})) {
    return Fail(
        Error::Conflict(std::string(ipsec::kSaExists), fmt::format("SPI {} is in use", Hex(spi)), "spi"));
  }
  reserved_.insert(spi);
  return {};
}

Status DataplaneSaInstaller::ReleaseSpi(std::uint32_t spi) {
  std::lock_guard lock(mu_);
  if (reserved_.erase(spi) == 0) {
    return Fail(Error::NotFound(std::string(ipsec::kSpiNotAllocated),
                                fmt::format("SPI {} is not reserved", Hex(spi)), "spi"));
  }
  return {};
}

Status DataplaneSaInstaller::AddSa(const ipsec::SaSpec& spec) {
  if (auto v = ipsec::Validate(spec); !v) return v;
  std::lock_guard lock(mu_);
  const Key key{spec.spi, spec.direction};
  if (installed_.contains(key)) {
    return Fail(Error::Conflict(
        std::string(ipsec::kSaExists),
        fmt::format("{} SA {} is installed", ipsec::DirectionName(spec.direction), Hex(spec.spi)), "spi"));
  }
  if (spec.direction == ipsec::Direction::kInbound && !reserved_.contains(spec.spi)) {
    return Fail(Error::Invalid(std::string(ipsec::kSpiNotAllocated),
                               fmt::format("inbound SPI {} was not allocated here", Hex(spec.spi)), "spi"));
  }
  EspTransform t{spec.transform.encr, spec.transform.encr_key_bits, spec.transform.integ, spec.transform.esn};
  auto cipher = EspCipher::Create(t, spec.keys.encr.view(), spec.keys.integ.view(), iv_rng_);
  if (!cipher) return Fail(cipher.error());
  auto& conn = connections_[spec.connection];
  if (!conn) conn = std::make_shared<ConnectionRuntime>(spec.connection);
  auto rt = std::make_shared<SaRuntime>(spec, std::move(*cipher), conn, &events_, clock_.Now());
  SaPath path;
  path.local = {spec.local_address, spec.encap.local_port};
  // This data plane carries ESP in UDP only (no kernel ESP here); without NAT-T both ends use 4500.
  path.remote = {spec.remote_address, spec.encap.enabled ? spec.encap.remote_port : std::uint16_t{4500}};
  installed_.emplace(key, Installed{{std::move(rt), path}, next_order_++});
  if (spec.direction == ipsec::Direction::kInbound) reserved_.erase(spec.spi);
  ChangedLocked();
  return {};
}

Status DataplaneSaInstaller::UpdateSa(const ipsec::SaPathUpdate& u) {
  std::lock_guard lock(mu_);
  auto it = installed_.find({u.spi, u.direction});
  if (it == installed_.end()) return Fail(NotFound(u.spi, u.direction));
  SaPath& p = it->second.entry.path;
  if (u.local_address) p.local.address = *u.local_address;
  if (u.remote_address) p.remote.address = *u.remote_address;
  if (u.encap) {
    p.local.port = u.encap->local_port;
    p.remote.port = u.encap->enabled ? u.encap->remote_port : std::uint16_t{4500};
  }
  ChangedLocked();
  return {};
}

Status DataplaneSaInstaller::DeleteSa(std::uint32_t spi, ipsec::Direction direction) {
  std::lock_guard lock(mu_);
  if (installed_.erase({spi, direction}) == 0) return Fail(NotFound(spi, direction));
  ChangedLocked();  // workers drop their last reference when they next refresh; the cipher dies then
  return {};
}

Result<ipsec::SaUsage> DataplaneSaInstaller::QueryUsage(std::uint32_t spi, ipsec::Direction direction) {
  std::lock_guard lock(mu_);
  auto it = installed_.find({spi, direction});
  if (it == installed_.end()) return Fail(NotFound(spi, direction));
  const SaRuntime& sa = *it->second.entry.sa;
  ipsec::SaUsage u;
  u.bytes = sa.traffic.bytes.Get();
  u.packets = sa.traffic.packets.Get();
  u.installed_at = sa.installed_at();
  u.last_used = sa.last_used();
  return u;
}

std::vector<ipsec::SaEvent> DataplaneSaInstaller::DrainEvents() {
  return events_.Drain();
}

std::vector<std::shared_ptr<ConnectionRuntime>> DataplaneSaInstaller::Connections() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<ConnectionRuntime>> out;
  for (const auto& [name, c] : connections_) out.push_back(c);
  return out;
}

void DataplaneSaInstaller::DeferPublishing(bool defer) {
  std::lock_guard lock(mu_);
  defer_ = defer;
  if (!defer_ && dirty_) PublishLocked();
}

void DataplaneSaInstaller::Flush() {
  std::lock_guard lock(mu_);
  if (dirty_) PublishLocked();
}

void DataplaneSaInstaller::ChangedLocked() {
  if (defer_) {
    dirty_ = true;
  } else {
    PublishLocked();
  }
}

void DataplaneSaInstaller::PublishLocked() {
  dirty_ = false;
  std::vector<const Installed*> ordered;
  for (const auto& [k, v] : installed_) ordered.push_back(&v);
  std::sort(ordered.begin(), ordered.end(),
            [](const Installed* a, const Installed* b) { return a->order < b->order; });
  std::vector<SadEntry> in, out;
  for (const Installed* i : ordered) (i->entry.sa->inbound() ? in : out).push_back(i->entry);
  publisher_.Publish(SadSnapshot::Build(std::move(in), std::move(out), ++version_));
}

}  // namespace isthmus::dataplane
