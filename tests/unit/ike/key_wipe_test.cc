// "Key memory wiped when an SA is deleted" (issue 12, Security), checked on the allocator rather than
// assumed from SecretBytes: every block freed through operator delete or through OpenSSL's allocator
// (CRYPTO_set_mem_functions, installed by this binary's main before OpenSSL's first allocation) is
// searched, just before it goes back to malloc, for any key of the SAs under test.
//
// Each case runs an SA's life twice with the same inputs. Derivation is deterministic, so the first run
// (not watched) learns the keys; the second run, watched, derives them again, keys the IKE SA's SK
// protector, derives a CHILD SA's keys, installs both ESP SAs in the data plane, seals and opens a
// packet, deletes the SAs and destroys everything. A key found in a freed block is key material that
// went back to the heap unwiped: a temporary copy, a cipher context freed without cleansing, a vector
// that grew. Whatever is still allocated at the end would be a leak (ASan's run of this test finds
// those); what this binary asserts is that nothing freed held a key.
#include <malloc.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include "base/clock.h"
#include "dataplane/sad/dataplane_sa_installer.h"
#include "ike/sa/ike_sa.h"
#include "ike/sa/keymat.h"
#include "ike/sa/sk_protector.h"

namespace {

// The keys being looked for: the first kProbe octets of each (random-looking derived key material, so
// a match by chance is impossible). Static storage: the watch never sees its own copies freed.
constexpr std::size_t kProbe = 16, kMaxKeys = 32;
std::array<std::array<unsigned char, kProbe>, kMaxKeys> g_keys{};
std::atomic<std::size_t> g_key_count{0};
std::atomic<bool> g_watching{false};
std::atomic<long> g_freed_blocks{0};  // blocks searched while watching
std::atomic<long> g_unwiped{0};       // of them, blocks holding a key
std::array<char, 256> g_first_finding{};
bool g_hooks_installed = false;

void Inspect(void* p) {
  if (!p || !g_watching.load(std::memory_order_relaxed)) return;
  g_freed_blocks.fetch_add(1, std::memory_order_relaxed);
  const std::size_t n = malloc_usable_size(p);
  const std::size_t keys = g_key_count.load(std::memory_order_relaxed);
  for (std::size_t k = 0; k < keys; ++k) {
    if (memmem(p, n, g_keys[k].data(), kProbe) != nullptr) {
      if (g_unwiped.fetch_add(1) == 0) {
        std::snprintf(g_first_finding.data(), g_first_finding.size(),
                      "key %zu in a freed block of %zu octets", k, n);
      }
      return;
    }
  }
}

void* HookMalloc(std::size_t n, const char*, int) {
  return std::malloc(n);
}
void* HookRealloc(void* p, std::size_t n, const char*, int) {
  // A realloc that moves frees the old block: the key bytes would stay behind in it.
  Inspect(p);
  return std::realloc(p, n);
}
void HookFree(void* p, const char*, int) {
  Inspect(p);
  std::free(p);
}

}  // namespace

// The replacements below pair malloc with free by design; GCC cannot see that through inlining.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  return operator new(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return operator new(n, t);
}
void operator delete(void* p) noexcept {
  Inspect(p);
  std::free(p);
}
void operator delete[](void* p) noexcept {
  Inspect(p);
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  Inspect(p);
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  Inspect(p);
  std::free(p);
}

namespace isthmus::ike::sa {
namespace {

using crypto::EncrId;
using crypto::IntegId;
using crypto::KeGroup;
using crypto::PrfId;
using ipsec::Direction;

void Learn(const SecretBytes& key) {
  if (key.size() < kProbe) return;
  const std::size_t i = g_key_count.fetch_add(1);
  ASSERT_LT(i, kMaxKeys);
  std::memcpy(g_keys[i].data(), key.data(), kProbe);
}

struct Case {
  const char* name;
  IkeSuite ike;
  ChildSuite child;
};
const Case kCases[] = {
    {"AES-GCM-256",
     {{EncrId::kAesGcm16, 256}, PrfId::kHmacSha2_256, IntegId::kNone, KeGroup::kEcp256},
     {{EncrId::kAesGcm16, 256}, IntegId::kNone}},
    {"AES-CBC-256 + HMAC-SHA2-256",
     {{EncrId::kAesCbc, 256}, PrfId::kHmacSha2_256, IntegId::kHmacSha2_256_128, KeGroup::kEcp256},
     {{EncrId::kAesCbc, 256}, IntegId::kHmacSha2_256_128}},
    {"ChaCha20-Poly1305",
     {{EncrId::kChaCha20Poly1305, 0}, PrfId::kHmacSha2_512, IntegId::kNone, KeGroup::kCurve25519},
     {{EncrId::kChaCha20Poly1305, 0}, IntegId::kNone}},
};

std::vector<std::uint8_t> Fill(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + 13 * i);
  return b;
}

ipsec::SaSpec Spec(Direction d, std::uint32_t spi, const ChildSuite& suite, const ipsec::SaKeys& keys) {
  ipsec::SaSpec s;
  s.direction = d;
  s.spi = spi;
  s.local_address = *net::IpAddress::Parse("198.18.0.1");
  s.remote_address = *net::IpAddress::Parse("198.18.0.2");
  s.selectors.local.push_back({*net::Prefix::Parse("10.1.0.0/16"), 0, 0, 65535});
  s.selectors.remote.push_back({*net::Prefix::Parse("10.2.0.0/16"), 0, 0, 65535});
  s.transform = {suite.encr.id, suite.encr.key_bits, suite.integ, false};
  s.keys = keys;
  s.connection = "vnet1-to-vnet2";
  return s;
}

// One IKE SA and its CHILD SA from keys to deletion; `learn` records the keys instead of using them.
void SaLifetime(const Case& c, bool learn) {
  const std::vector<std::uint8_t> gir = Fill(32, 1), ni = Fill(32, 2), nr = Fill(32, 3);
  auto keys = DeriveIkeSaKeys(c.ike, gir, ni, nr, 0x0102030405060708, 0x1112131415161718);
  ASSERT_TRUE(keys.has_value()) << keys.error().message;
  auto child = DeriveChildSaKeys(c.ike.prf, keys->sk_d, c.child, {}, ni, nr);
  ASSERT_TRUE(child.has_value()) << child.error().message;
  if (learn) {
    for (const SecretBytes* k :
         {&keys->sk_d, &keys->sk_ai, &keys->sk_ar, &keys->sk_ei, &keys->sk_er, &keys->sk_pi, &keys->sk_pr,
          &child->initiator_to_responder.encr, &child->initiator_to_responder.integ,
          &child->responder_to_initiator.encr, &child->responder_to_initiator.integ}) {
      Learn(*k);
    }
    return;
  }

  // The IKE SA as the engine holds it: its keys and its keyed SK protector, used once each way.
  {
    auto ike = std::make_unique<IkeSa>();
    auto protector = SkProtector::Create(c.ike, *keys, IkeRole::kInitiator);
    ASSERT_TRUE(protector.has_value()) << protector.error().message;
    auto peer = SkProtector::Create(c.ike, *keys, IkeRole::kResponder);
    ASSERT_TRUE(peer.has_value());
    ike->suite = c.ike;
    ike->keys = std::move(*keys);
    ike->protector = std::make_unique<SkProtector>(std::move(*protector));
    // A liveness check (an empty SK payload), sealed as the engine does and opened by the peer.
    SeededRng rng(5);
    wire::Header h;
    h.initiator_spi = 0x0102030405060708;
    h.responder_spi = 0x1112131415161718;
    h.exchange = wire::ExchangeType::kInformational;
    h.initiator = true;
    h.message_id = 2;
    const wire::SerializedChain empty;
    const auto sizes = ike->protector->SizesFor(0);
    auto frame = wire::BuildSkFrame(h, {}, empty.first, sizes.iv, sizes.ciphertext, sizes.icv);
    ASSERT_TRUE(frame.has_value());
    ASSERT_TRUE(ike->protector->SealFrame(*frame, empty.bytes, rng));
    auto opened = peer->Open(frame->associated_data(), std::span(frame->bytes).subspan(frame->iv_offset));
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    EXPECT_TRUE(opened->empty());
    ike.reset();  // the engine deleting the IKE SA
  }

  // Its CHILD SA in the data plane: installed both ways, deleted, the installer gone.
  {
    ManualClock clock;
    SeededRng spi_rng(42), iv_rng(43);
    auto sad = std::make_unique<dataplane::DataplaneSaInstaller>(clock, spi_rng, iv_rng);
    auto in_spi = sad->AllocateSpi();
    ASSERT_TRUE(in_spi.has_value());
    ASSERT_TRUE(sad->AddSa(Spec(Direction::kInbound, *in_spi, c.child, child->Inbound(IkeRole::kInitiator))));
    ASSERT_TRUE(
        sad->AddSa(Spec(Direction::kOutbound, 0xc0ffee01, c.child, child->Outbound(IkeRole::kInitiator))));
    ASSERT_NE(sad->publisher().Load()->FindInbound(*in_spi), nullptr);
    ASSERT_TRUE(sad->DeleteSa(*in_spi, Direction::kInbound));
    ASSERT_TRUE(sad->DeleteSa(0xc0ffee01, Direction::kOutbound));
    sad.reset();
  }
}

class KeyWipe : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(g_hooks_installed) << "OpenSSL allocated before main installed the hooks";
    g_key_count = 0;
    g_freed_blocks = 0;
    g_unwiped = 0;
    g_first_finding[0] = '\0';
  }
  void TearDown() override { g_watching = false; }
};

// The watch itself: a key copied into a plain heap buffer and freed is found, one wiped first is not.
TEST_F(KeyWipe, AnUnwipedCopyIsFoundAndAWipedOneIsNot) {
  SaLifetime(kCases[0], /*learn=*/true);
  ASSERT_GT(g_key_count.load(), 4u);
  g_watching = true;
  auto* copy = new std::vector<unsigned char>(g_keys[3].begin(), g_keys[3].end());
  delete copy;
  EXPECT_EQ(g_unwiped.load(), 1);
  { SecretBytes wiped(std::span<const std::uint8_t>(g_keys[3].data(), kProbe)); }
  EXPECT_EQ(g_unwiped.load(), 1);
  auto* raw = static_cast<unsigned char*>(OPENSSL_malloc(64));
  std::memcpy(raw + 20, g_keys[1].data(), kProbe);
  OPENSSL_free(raw);
  EXPECT_EQ(g_unwiped.load(), 2);
}

TEST_F(KeyWipe, NoKeyOfADeletedSaIsLeftInFreedMemory) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    SetUp();
    SaLifetime(c, /*learn=*/true);
    ASSERT_GE(g_key_count.load(), 7u);
    g_watching = true;
    SaLifetime(c, /*learn=*/false);
    g_watching = false;
    EXPECT_GT(g_freed_blocks.load(), 20) << "the watch saw no frees: are the hooks in place?";
    std::printf("%s: %zu keys looked for in %ld freed blocks\n", c.name, g_key_count.load(),
                g_freed_blocks.load());
    EXPECT_EQ(g_unwiped.load(), 0) << g_first_finding.data() << " (of " << g_freed_blocks.load()
                                   << " freed blocks)";
  }
}

}  // namespace
}  // namespace isthmus::ike::sa

int main(int argc, char** argv) {
  g_hooks_installed = CRYPTO_set_mem_functions(HookMalloc, HookRealloc, HookFree) == 1;
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
