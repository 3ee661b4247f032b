#include "dataplane/replay/replay_window.h"

#include <algorithm>

namespace isthmus::dataplane {

ReplayWindow::ReplayWindow(std::uint32_t window_bits, bool esn) : esn_(esn) {
  std::uint32_t usable = (kMaxBlocks - 1) * kBlockBits;
  window_ =
      std::clamp<std::uint32_t>((window_bits + kBlockBits - 1) / kBlockBits * kBlockBits, kBlockBits, usable);
  blocks_ = window_ / kBlockBits + 1;
}

std::uint64_t ReplayWindow::Infer(std::uint32_t seq_low) const {
  if (!esn_) return seq_low;
  const std::uint32_t tl = static_cast<std::uint32_t>(top_);
  const std::uint32_t th = static_cast<std::uint32_t>(top_ >> 32);
  const std::uint32_t w = window_;
  std::uint32_t seqh;
  if (tl >= w - 1) {
    // Case A: the window lies within one 2^32 subspace.
    seqh = seq_low >= tl - w + 1 ? th : th + 1;
  } else {
    // Case B: the window spans two subspaces; tl - w + 1 wraps below zero.
    seqh = seq_low >= tl - w + 1 /* mod 2^32 */ ? th - 1 : th;
    if (th == 0 && seq_low >= tl - w + 1) seqh = 0;  // nothing lies below the first subspace
  }
  return (static_cast<std::uint64_t>(seqh) << 32) | seq_low;
}

ReplayWindow::Verdict ReplayWindow::Check(std::uint64_t seq) const {
  if (seq == 0) return Verdict::kZero;
  if (seq > top_) return Verdict::kOk;
  if (top_ - seq >= window_) return Verdict::kTooOld;
  return (Block(seq) >> (seq % kBlockBits)) & 1 ? Verdict::kReplayed : Verdict::kOk;
}

void ReplayWindow::Update(std::uint64_t seq) {
  if (seq > top_) {
    // Clear the blocks the window slides over (at most all of them), then move the top.
    std::uint64_t from = top_ / kBlockBits, to = seq / kBlockBits;
    std::uint64_t n = std::min<std::uint64_t>(to - from, blocks_);
    for (std::uint64_t i = 1; i <= n; ++i) bits_[(from + i) % blocks_] = 0;
    top_ = seq;
  }
  Block(seq) |= std::uint64_t{1} << (seq % kBlockBits);
}

}  // namespace isthmus::dataplane
