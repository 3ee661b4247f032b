#include "dataplane/esp/drop_reason.h"

namespace isthmus::dataplane {

const char* DropName(Drop d) {
  switch (d) {
    case Drop::kNone:
      return "none";
    case Drop::kTruncated:
      return "truncated";
    case Drop::kUnknownSpi:
      return "unknown_spi";
    case Drop::kSeqZero:
      return "seq_zero";
    case Drop::kReplayed:
      return "replayed";
    case Drop::kTooOld:
      return "too_old";
    case Drop::kBadIcv:
      return "bad_icv";
    case Drop::kBadPadding:
      return "bad_padding";
    case Drop::kBadNextHeader:
      return "bad_next_header";
    case Drop::kDummyPacket:
      return "dummy_packet";
    case Drop::kNoSaForDestination:
      return "no_sa_for_destination";
    case Drop::kOversize:
      return "oversize";
    case Drop::kSeqExhausted:
      return "seq_exhausted";
    case Drop::kMalformedInner:
      return "malformed_inner";
    case Drop::kSaExpired:
      return "sa_expired";
    case Drop::kSelectorMismatch:
      return "selector_mismatch";
    case Drop::kNotForUs:
      return "not_for_us";
    case Drop::kIoError:
      return "io_error";
    case Drop::kCount:
      break;
  }
  return "unknown";
}

}  // namespace isthmus::dataplane
