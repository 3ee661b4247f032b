// libFuzzer target for the IKEv2 codec: parse → verify → (if it parses) serialize → parse again, and
// insist the round trip is stable. Protected messages are read in the "null cipher" framing (the SK
// body is taken as plaintext, block size 1) so the inner payload parser is reached too.
//
//   ike_message_fuzz fuzz/corpus/ike_message -max_total_time=120
#include <cstddef>
#include <cstdint>
#include <utility>

#include "ike/wire/wire.h"

namespace wire = isthmus::ike::wire;

namespace {

// A broken invariant is a finding: crash so libFuzzer records the input.
void Require(bool ok) {
  if (!ok) __builtin_trap();
}

bool IsCodecNotify(wire::NotifyType t) {
  return t == wire::NotifyType::kNone || t == wire::NotifyType::kInvalidSyntax ||
         t == wire::NotifyType::kInvalidMajorVersion || t == wire::NotifyType::kUnsupportedCriticalPayload;
}

void CheckError(const wire::WireError& e) {
  Require(IsCodecNotify(e.notify));
  Require(!e.ToString().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  wire::ByteView input(data, size);
  auto parsed = wire::ParseMessage(input);
  if (!parsed) {
    CheckError(parsed.error());
    return 0;
  }
  wire::Message m = std::move(*parsed);
  Require(m.header.length == size);
  if (auto env = wire::VerifyEnvelope(m); !env) CheckError(env.error());

  if (const auto* sk = m.encrypted()) {
    Require(sk->body_offset + sk->body.size() == size);  // SK is last and its body ends the datagram
    auto chain = wire::StripSkPadding(sk->body, 1);
    if (chain) {
      auto inner = wire::ParseInnerPayloads(sk->first_inner, *chain);
      if (inner) {
        m.inner = std::move(inner->payloads);
      } else {
        CheckError(inner.error());
      }
    }
  }
  if (auto v = wire::Verify(m); !v) CheckError(v.error());

  // Whatever parses must serialize (the parser accepts nothing the serializer refuses) ...
  auto bytes = wire::SerializeMessage(m);
  Require(bytes.has_value());
  Require(bytes->size() <= size);  // only skipped payloads and ignored bits can disappear
  // ... and parse back to the same message.
  auto again = wire::ParseMessage(*bytes);
  Require(again.has_value());
  Require(again->payloads == m.payloads);
  Require(again->skipped.empty());
  wire::Header h = m.header;
  h.length = again->header.length;
  h.next_payload = again->header.next_payload;
  Require(h == again->header);
  // Serialization is a fixed point after one round.
  auto bytes2 = wire::SerializeMessage(*again);
  Require(bytes2.has_value() && *bytes2 == *bytes);

  if (m.inner) {
    auto chain = wire::SerializePayloadChain(*m.inner);
    Require(chain.has_value());
    auto inner = wire::ParseInnerPayloads(chain->first, chain->bytes);
    Require(inner.has_value());
    Require(inner->payloads == *m.inner);
  }
  return 0;
}
