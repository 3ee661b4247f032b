#include "ike/wire/sa_payload.h"

#include <fmt/format.h>

namespace isthmus::ike::wire {
namespace {

constexpr std::uint8_t kLastSubstruc = 0;
constexpr std::uint8_t kMoreProposals = 2;   // §3.3.1
constexpr std::uint8_t kMoreTransforms = 3;  // §3.3.2
constexpr std::size_t kProposalFixed = 8;
constexpr std::size_t kTransformFixed = 8;
constexpr std::uint16_t kAttrFormatTv = 0x8000;

WireResult<std::vector<TransformAttribute>> ParseAttributes(ByteView bytes, std::size_t base) {
  std::vector<TransformAttribute> attrs;
  ByteReader r(bytes);
  while (!r.empty()) {
    std::size_t at = base + r.pos();
    if (r.remaining() < 4) return Malformed("truncated transform attribute", at);
    std::uint16_t word = r.U16();
    TransformAttribute a;
    a.tv = word & kAttrFormatTv;
    a.type = word & 0x7FFF;
    if (a.tv) {
      a.value = r.U16();
    } else {
      std::uint16_t len = r.U16();
      if (len > r.remaining())
        return Malformed(fmt::format("attribute length {} overruns the transform", len), at);
      ByteView v = r.Take(len);
      a.data.assign(v.begin(), v.end());
    }
    if (a.type == kAttrKeyLength) {
      if (!a.tv) return Malformed("Key Length attribute must use the TV format (§3.3.5)", at);
      for (const auto& prev : attrs) {
        if (prev.type == kAttrKeyLength) return Malformed("Key Length attribute repeated", at);
      }
    }
    attrs.push_back(std::move(a));
  }
  return attrs;
}

// Parses one substructure list item's fixed "Last Substruc | RESERVED | Length" prefix and checks that
// the last-substructure marker agrees with what follows.
WireResult<ByteView> TakeSubstruc(ByteReader& r, std::size_t base, std::size_t fixed, std::uint8_t more,
                                  const char* name) {
  std::size_t at = base + r.pos();
  if (r.remaining() < fixed) return Malformed(fmt::format("truncated {}", name), at);
  std::uint8_t last = r.U8();
  r.U8();  // RESERVED
  std::uint16_t len = r.U16();
  if (len < fixed)
    return Malformed(fmt::format("{} length {} is below its minimum {}", name, len, fixed), at);
  if (len - 4u > r.remaining())
    return Malformed(fmt::format("{} length {} overruns the payload", name, len), at);
  ByteView rest = r.Take(len - 4u);
  if (last != kLastSubstruc && last != more) {
    return Malformed(fmt::format("{} has Last Substruc {}, expected 0 or {}", name, last, more), at);
  }
  if (last == kLastSubstruc && !r.empty()) {
    return Malformed(fmt::format("data follows the {} marked last", name), at);
  }
  if (last == more && r.empty())
    return Malformed(fmt::format("{} promises another but none follows", name), at);
  return rest;
}

}  // namespace

Transform Transform::Of(TransformType type, std::uint16_t id, std::optional<std::uint16_t> key_length) {
  Transform t{type, id, {}};
  if (key_length) t.attributes.push_back({kAttrKeyLength, true, *key_length, {}});
  return t;
}

std::optional<std::uint16_t> Transform::key_length() const {
  for (const auto& a : attributes) {
    if (a.type == kAttrKeyLength && a.tv) return a.value;
  }
  return std::nullopt;
}

const Transform* Proposal::Find(TransformType t) const {
  for (const auto& tr : transforms) {
    if (tr.type == t) return &tr;
  }
  return nullptr;
}

WireResult<SaPayload> SaPayload::Parse(ByteView body) {
  SaPayload sa;
  if (body.empty()) return Malformed("SA payload carries no proposal");
  ByteReader r(body);
  while (!r.empty()) {
    std::size_t pstart = r.pos();
    auto pbytes = TakeSubstruc(r, 0, kProposalFixed, kMoreProposals, "proposal");
    if (!pbytes) return std::unexpected(pbytes.error());
    ByteReader pr(*pbytes);
    std::size_t pbase = pstart + 4;
    Proposal p;
    p.number = pr.U8();
    p.protocol = static_cast<ProtocolId>(pr.U8());
    std::uint8_t spi_size = pr.U8();
    std::uint8_t num_transforms = pr.U8();
    if (p.number == 0) return Malformed("proposal number 0", pstart + 4);
    std::size_t expect_num = sa.proposals.size() + 1;
    if (!sa.proposals.empty() && p.number != expect_num) {
      return Malformed(fmt::format("proposal number {} where {} was due", p.number, expect_num), pstart + 4);
    }
    if (sa.proposals.size() == 1 && sa.proposals[0].number != 1) {
      return Malformed("several proposals must be numbered from 1", pstart + 4);
    }
    bool spi_ok = true;
    switch (p.protocol) {
      case ProtocolId::kIke:
        spi_ok = spi_size == 0 || spi_size == 8;
        break;
      case ProtocolId::kAh:
      case ProtocolId::kEsp:
        spi_ok = spi_size == 4;
        break;
      default:
        break;  // unknown protocols stay parseable; the negotiator will not choose them
    }
    if (!spi_ok) {
      return Malformed(
          fmt::format("SPI size {} is wrong for protocol {}", spi_size, static_cast<unsigned>(p.protocol)),
          pstart + 6);
    }
    if (spi_size > pr.remaining()) return Malformed("SPI overruns the proposal", pstart + 8);
    ByteView spi = pr.Take(spi_size);
    p.spi.assign(spi.begin(), spi.end());
    while (!pr.empty()) {
      std::size_t tstart = pbase + pr.pos();
      auto tbytes = TakeSubstruc(pr, pbase, kTransformFixed, kMoreTransforms, "transform");
      if (!tbytes) return std::unexpected(tbytes.error());
      ByteReader tr(*tbytes);
      Transform t;
      t.type = static_cast<TransformType>(tr.U8());
      tr.U8();  // RESERVED
      t.id = tr.U16();
      auto attrs = ParseAttributes(tr.Rest(), tstart + kTransformFixed);
      if (!attrs) return std::unexpected(attrs.error());
      t.attributes = std::move(*attrs);
      p.transforms.push_back(std::move(t));
    }
    if (p.transforms.size() != num_transforms) {
      return Malformed(
          fmt::format("Num Transforms says {} but {} follow", num_transforms, p.transforms.size()),
          pstart + 7);
    }
    sa.proposals.push_back(std::move(p));
  }
  return sa;
}

void SaPayload::AppendBody(ByteWriter& w) const {
  if (proposals.empty()) w.Fail("SA payload with no proposal");
  for (std::size_t i = 0; i < proposals.size(); ++i) {
    const Proposal& p = proposals[i];
    std::size_t pstart = w.size();
    w.U8(i + 1 == proposals.size() ? kLastSubstruc : kMoreProposals);
    w.U8(0);
    w.U16(0);  // length, patched below
    w.U8(p.number);
    w.U8(static_cast<std::uint8_t>(p.protocol));
    w.Count8(p.spi.size(), "proposal SPI size");
    w.Count8(p.transforms.size(), "Num Transforms");
    w.Append(p.spi);
    for (std::size_t j = 0; j < p.transforms.size(); ++j) {
      const Transform& t = p.transforms[j];
      std::size_t tstart = w.size();
      w.U8(j + 1 == p.transforms.size() ? kLastSubstruc : kMoreTransforms);
      w.U8(0);
      w.U16(0);
      w.U8(static_cast<std::uint8_t>(t.type));
      w.U8(0);
      w.U16(t.id);
      for (const auto& a : t.attributes) {
        if (a.type > 0x7FFF) w.Fail("attribute type");
        if (a.tv) {
          w.U16(static_cast<std::uint16_t>(kAttrFormatTv | a.type));
          w.U16(a.value);
        } else {
          w.U16(a.type & 0x7FFF);
          w.Count16(a.data.size(), "attribute length");
          w.Append(a.data);
        }
      }
      w.PatchU16(tstart + 2, w.size() - tstart, "transform length");
    }
    w.PatchU16(pstart + 2, w.size() - pstart, "proposal length");
  }
}

}  // namespace isthmus::ike::wire
