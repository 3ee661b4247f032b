// Anti-replay window for ESP (RFC 4303 §3.4.3) with extended sequence numbers (RFC 4303 Appendix A),
// kept as the bitmap ring of RFC 6479: sliding forward clears whole 64-bit blocks instead of shifting
// the entire bitmap, so the cost per packet is constant however large the window.
//
// Use on the packet path: Infer() the 64-bit number from the 32 bits on the wire, Check() it before
// spending cycles on the ICV, and Update() only after the ICV verified (a forged packet must never move
// the window). Not thread-safe: one window per inbound SA per worker.
#pragma once

#include <array>
#include <cstdint>

namespace isthmus::dataplane {

class ReplayWindow {
 public:
  // Implementation choice: 4096 bits. RFC 4303 asks for at least 32 and recommends 64; multi-queue
  // receivers and GRO batches reorder far more than that at 10 Gbit/s, and 1024 is the project floor.
  static constexpr std::uint32_t kBlockBits = 64;
  static constexpr std::uint32_t kMaxBlocks = 65;  // 64 usable blocks + 1 being cleared (RFC 6479 §2)

  enum class Verdict : std::uint8_t { kOk, kReplayed, kTooOld, kZero };

  // `window_bits` is rounded up to a multiple of 64 and capped at 4096; at least 64.
  explicit ReplayWindow(std::uint32_t window_bits = 4096, bool esn = true);

  std::uint32_t window_bits() const { return window_; }
  std::uint64_t highest() const { return top_; }

  // RFC 4303 Appendix A2.2: reconstruct the high 32 bits from the window's position. Without ESN the
  // high half is always zero.
  std::uint64_t Infer(std::uint32_t seq_low) const;
  Verdict Check(std::uint64_t seq) const;
  // Marks `seq` as received. Call only for a sequence number that passed Check() and authenticated.
  void Update(std::uint64_t seq);

 private:
  std::uint64_t& Block(std::uint64_t seq) { return bits_[(seq / kBlockBits) % blocks_]; }
  const std::uint64_t& Block(std::uint64_t seq) const { return bits_[(seq / kBlockBits) % blocks_]; }

  std::uint32_t window_;
  std::uint32_t blocks_;
  bool esn_;
  std::uint64_t top_ = 0;  // highest sequence number received; 0 = none yet (ESP never sends 0)
  std::array<std::uint64_t, kMaxBlocks> bits_{};
};

}  // namespace isthmus::dataplane
