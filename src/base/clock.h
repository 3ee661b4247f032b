// Time and randomness as interfaces: protocol cores take them injected so tests are deterministic.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace isthmus {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
};

// A clock that moves only when told to: for sans-IO tests.
class ManualClock final : public Clock {
 public:
  TimePoint Now() const override { return now_; }
  void Advance(Duration d) { now_ += d; }
  void Set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_{};
};

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void Fill(std::span<std::uint8_t> out) = 0;
  std::uint64_t NextU64() {
    std::uint64_t v = 0;
    Fill({reinterpret_cast<std::uint8_t*>(&v), sizeof v});
    return v;
  }
};

// The kernel's CSPRNG (getrandom(2)): for tokens, GUIDs and generated keys outside the crypto library.
class OsRng final : public Rng {
 public:
  void Fill(std::span<std::uint8_t> out) override;
};

// A random RFC 4122 version-4 UUID in its usual text form.
std::string NewGuid(Rng& rng);

// Deterministic, seeded, NOT cryptographic: splitmix64. For tests and simulations only.
class SeededRng final : public Rng {
 public:
  explicit SeededRng(std::uint64_t seed) : state_(seed) {}
  void Fill(std::span<std::uint8_t> out) override;

 private:
  std::uint64_t Next();
  std::uint64_t state_;
};

}  // namespace isthmus
