#include "ipsec/recording_sa_installer.h"

#include <fmt/format.h>

namespace isthmus::ipsec {
namespace {

std::string SaName(std::uint32_t spi, Direction d) {
  return fmt::format("{} SA {:#010x}", DirectionName(d), spi);
}

Error NotFound(std::uint32_t spi, Direction d) {
  return Error::NotFound(std::string(kSaNotFound), fmt::format("no {} is installed", SaName(spi, d)), "spi");
}

}  // namespace

RecordingSaInstaller::RecordingSaInstaller(std::uint32_t first_spi, std::uint32_t last_spi)
    : first_spi_(std::max(first_spi, kMinSpi)),
      last_spi_(std::max(last_spi, first_spi_)),
      next_spi_(first_spi_) {}

std::optional<Error> RecordingSaInstaller::TakeInjectedFailure(CallKind kind) {
  auto it = fail_next_.find(kind);
  if (it == fail_next_.end()) return std::nullopt;
  Error e = std::move(it->second);
  fail_next_.erase(it);
  return e;
}

bool RecordingSaInstaller::InboundSpiInUse(std::uint32_t spi) const {
  return reserved_.contains(spi) || installed_.contains({spi, Direction::kInbound});
}

Status RecordingSaInstaller::Record(Call call) {
  Status result = call.result;
  calls_.push_back(std::move(call));
  return result;
}

Result<std::uint32_t> RecordingSaInstaller::AllocateSpi() {
  Call call{CallKind::kAllocateSpi, 0, Direction::kInbound, {}, {}, {}};
  if (auto e = TakeInjectedFailure(CallKind::kAllocateSpi)) {
    call.result = Fail(*e);
    Record(std::move(call));
    return Fail(std::move(*e));
  }
  const std::uint64_t range = std::uint64_t{last_spi_} - first_spi_ + 1;
  for (std::uint64_t tried = 0; tried < range; ++tried) {
    const std::uint32_t candidate = next_spi_;
    next_spi_ = candidate == last_spi_ ? first_spi_ : candidate + 1;
    if (InboundSpiInUse(candidate)) continue;
    reserved_.insert(candidate);
    call.spi = candidate;
    Record(std::move(call));
    return candidate;
  }
  Error e{ErrorKind::kUnavailable,
          std::string(kSpiExhausted),
          fmt::format("all {} SPIs in {:#x}..{:#x} are in use", range, first_spi_, last_spi_),
          {}};
  call.result = Fail(e);
  Record(std::move(call));
  return Fail(std::move(e));
}

Status RecordingSaInstaller::ReleaseSpi(std::uint32_t spi) {
  Call call{CallKind::kReleaseSpi, spi, Direction::kInbound, {}, {}, {}};
  if (auto e = TakeInjectedFailure(CallKind::kReleaseSpi)) {
    call.result = Fail(std::move(*e));
  } else if (reserved_.erase(spi) == 0) {
    call.result = Fail(Error::NotFound(std::string(kSpiNotAllocated),
                                       fmt::format("SPI {:#010x} is not reserved", spi), "spi"));
  }
  return Record(std::move(call));
}

Status RecordingSaInstaller::AddSa(const SaSpec& spec) {
  Call call{CallKind::kAddSa, spec.spi, spec.direction, spec, {}, {}};
  const Key key{spec.spi, spec.direction};
  if (auto e = TakeInjectedFailure(CallKind::kAddSa)) {
    call.result = Fail(std::move(*e));
  } else if (auto valid = Validate(spec); !valid) {
    call.result = valid;
  } else if (installed_.contains(key)) {
    call.result = Fail(
        Error::Conflict(std::string(kSaExists),
                        fmt::format("{} is already installed", SaName(spec.spi, spec.direction)), "spi"));
  } else if (spec.direction == Direction::kInbound && !reserved_.contains(spec.spi)) {
    call.result = Fail(Error::Invalid(
        std::string(kSpiNotAllocated),
        fmt::format("inbound SPI {:#010x} was not allocated by AllocateSpi", spec.spi), "spi"));
  } else {
    if (spec.direction == Direction::kInbound) reserved_.erase(spec.spi);
    installed_.emplace(key, Entry{spec, {}});
  }
  return Record(std::move(call));
}

Status RecordingSaInstaller::UpdateSa(const SaPathUpdate& update) {
  Call call{CallKind::kUpdateSa, update.spi, update.direction, {}, update, {}};
  auto it = installed_.find({update.spi, update.direction});
  if (auto e = TakeInjectedFailure(CallKind::kUpdateSa)) {
    call.result = Fail(std::move(*e));
  } else if (it == installed_.end()) {
    call.result = Fail(NotFound(update.spi, update.direction));
  } else {
    SaSpec changed = it->second.spec;
    if (update.local_address) changed.local_address = *update.local_address;
    if (update.remote_address) changed.remote_address = *update.remote_address;
    if (update.encap) changed.encap = *update.encap;
    if (auto valid = Validate(changed); !valid) {
      call.result = valid;
    } else {
      it->second.spec = std::move(changed);
    }
  }
  return Record(std::move(call));
}

Status RecordingSaInstaller::DeleteSa(std::uint32_t spi, Direction direction) {
  Call call{CallKind::kDeleteSa, spi, direction, {}, {}, {}};
  if (auto e = TakeInjectedFailure(CallKind::kDeleteSa)) {
    call.result = Fail(std::move(*e));
  } else if (installed_.erase({spi, direction}) == 0) {
    call.result = Fail(NotFound(spi, direction));
  }
  return Record(std::move(call));
}

Result<SaUsage> RecordingSaInstaller::QueryUsage(std::uint32_t spi, Direction direction) {
  auto it = installed_.find({spi, direction});
  if (it == installed_.end()) return Fail(NotFound(spi, direction));
  return it->second.usage;
}

std::vector<SaEvent> RecordingSaInstaller::DrainEvents() {
  return std::exchange(events_, {});
}

std::vector<RecordingSaInstaller::Call> RecordingSaInstaller::CallsOf(CallKind kind) const {
  std::vector<Call> out;
  for (const auto& c : calls_) {
    if (c.kind == kind) out.push_back(c);
  }
  return out;
}

const SaSpec* RecordingSaInstaller::Find(std::uint32_t spi, Direction direction) const {
  auto it = installed_.find({spi, direction});
  return it == installed_.end() ? nullptr : &it->second.spec;
}

std::vector<SaSpec> RecordingSaInstaller::Installed(Direction direction) const {
  std::vector<SaSpec> out;
  for (const auto& [key, entry] : installed_) {
    if (key.second == direction) out.push_back(entry.spec);
  }
  return out;
}

void RecordingSaInstaller::SetUsage(std::uint32_t spi, Direction direction, const SaUsage& usage) {
  auto it = installed_.find({spi, direction});
  if (it != installed_.end()) it->second.usage = usage;
}

}  // namespace isthmus::ipsec
