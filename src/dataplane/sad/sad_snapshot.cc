#include "dataplane/sad/sad_snapshot.h"

#include <algorithm>
#include <cstring>
#include <map>

namespace isthmus::dataplane {

SadSnapshot::Key SadSnapshot::KeyOf(const std::uint8_t* a, bool v4) {
  Key k;
  auto load = [](const std::uint8_t* p, int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
    return v;
  };
  if (v4) {
    k.hi = load(a, 4) << 32;
  } else {
    k.hi = load(a, 8);
    k.lo = load(a + 8, 8);
  }
  return k;
}

SadSnapshot::Key SadSnapshot::MaskOf(int length, bool v4) {
  (void)v4;  // IPv4 keys live in the top 32 bits of `hi`, so one rule serves both families
  Key m;
  auto bits = [](int n) { return n <= 0 ? 0 : n >= 64 ? ~std::uint64_t{0} : ~std::uint64_t{0} << (64 - n); };
  m.hi = bits(length);
  m.lo = bits(length - 64);
  return m;
}

std::shared_ptr<const SadSnapshot> SadSnapshot::Build(std::vector<SadEntry> inbound,
                                                      std::vector<SadEntry> outbound, std::uint64_t version) {
  auto s = std::shared_ptr<SadSnapshot>(new SadSnapshot());
  s->version_ = version;
  s->inbound_ = std::move(inbound);
  std::stable_sort(s->inbound_.begin(), s->inbound_.end(),
                   [](const SadEntry& a, const SadEntry& b) { return a.sa->spi() < b.sa->spi(); });
  s->outbound_ = std::move(outbound);
  // (family, length) -> key -> newest outbound index claiming it.
  std::map<std::pair<bool, int>, std::map<Key, std::uint32_t>, std::greater<>> tables;
  for (std::uint32_t i = 0; i < s->outbound_.size(); ++i) {
    // Remote selectors are read through the spec the runtime was built from; see SaRuntime.
    for (const net::Prefix& p : s->outbound_[i].sa->remote_prefixes()) {
      const bool v4 = p.address().is_v4();
      Key k = KeyOf(p.address().bytes(), v4);
      tables[{v4, p.length()}][k] = i;  // later (newer) installs overwrite older ones
    }
  }
  for (auto& [fl, routes] : tables) {
    LengthTable t;
    t.length = fl.second;
    t.mask = MaskOf(fl.second, fl.first);
    for (const auto& [k, idx] : routes) t.routes.push_back({k, idx});
    (fl.first ? s->v4_ : s->v6_).push_back(std::move(t));
  }
  return s;
}

const SadEntry* SadSnapshot::FindInbound(std::uint32_t spi) const {
  auto it = std::lower_bound(inbound_.begin(), inbound_.end(), spi,
                             [](const SadEntry& e, std::uint32_t s) { return e.sa->spi() < s; });
  return it != inbound_.end() && it->sa->spi() == spi ? &*it : nullptr;
}

const SadEntry* SadSnapshot::Lpm(const std::vector<LengthTable>& tables, const std::uint8_t* dst,
                                 bool v4) const {
  const Key full = KeyOf(dst, v4);
  for (const LengthTable& t : tables) {
    const Key k{full.hi & t.mask.hi, full.lo & t.mask.lo};
    auto it = std::lower_bound(t.routes.begin(), t.routes.end(), k,
                               [](const Route& r, const Key& key) { return r.key < key; });
    if (it != t.routes.end() && it->key == k) return &outbound_[it->outbound_index];
  }
  return nullptr;
}

const SadEntry* SadSnapshot::FindOutbound(const std::uint8_t* dst, bool v4) const {
  return Lpm(v4 ? v4_ : v6_, dst, v4);
}

SadPublisher::SadPublisher() {
  current_.store(SadSnapshot::Build({}, {}, 0));
}

void SadPublisher::Publish(std::shared_ptr<const SadSnapshot> s) {
  current_.store(std::move(s), std::memory_order_release);
  version_.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace isthmus::dataplane
