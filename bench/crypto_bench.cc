// Per-packet cost of the data-plane transforms and per-SA cost of key exchange and prf+.
// Run: build/<dir>/bench/crypto_bench [--benchmark_filter=Seal]
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "crypto/aead.h"
#include "crypto/cipher.h"
#include "crypto/integrity.h"
#include "crypto/key_exchange.h"
#include "crypto/prf.h"

namespace isthmus::crypto {
namespace {

std::unique_ptr<Aead> MakeAead(int which, AeadPath path = AeadPath::kDirect) {
  const std::vector<std::uint8_t> keymat(36, 0x5c);
  auto a = which == 0 ? Aead::Create(EncrId::kAesGcm16, 256, keymat, path)
                      : Aead::Create(EncrId::kChaCha20Poly1305, 0, keymat, path);
  return a ? std::move(*a) : nullptr;
}

std::string Label(const benchmark::State& state) {
  return std::string(state.range(0) == 0 ? "AES-256-GCM" : "ChaCha20-Poly1305") +
         (state.range(2) == 0 ? " direct" : " EVP");
}

AeadPath PathArg(const benchmark::State& state) {
  return state.range(2) == 0 ? AeadPath::kDirect : AeadPath::kEvp;
}

// args: {0 = AES-256-GCM | 1 = ChaCha20-Poly1305, plaintext size, 0 = direct | 1 = EVP (aead.h)}
void BM_AeadSealInPlace(benchmark::State& state) {
  auto aead = MakeAead(static_cast<int>(state.range(0)), PathArg(state));
  const auto n = static_cast<std::size_t>(state.range(1));
  std::vector<std::uint8_t> buf(n + 16, 0xab);
  std::uint8_t aad[8] = {1, 2, 3, 4, 0, 0, 0, 0};  // SPI || seq, as ESP
  std::uint64_t seq = 0;
  for (auto _ : state) {
    ++seq;
    std::uint8_t iv[8];
    std::memcpy(iv, &seq, 8);
    bool ok = aead->Seal(AeadIv(iv), aad, std::span(buf).first(n), buf);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetLabel(Label(state));
}
BENCHMARK(BM_AeadSealInPlace)->ArgsProduct({{0, 1}, {0, 64, 1400, 9000}, {0, 1}});

void BM_AeadOpen(benchmark::State& state) {
  auto aead = MakeAead(static_cast<int>(state.range(0)), PathArg(state));
  const auto n = static_cast<std::size_t>(state.range(1));
  std::vector<std::uint8_t> pt(n, 0xab), sealed(n + 16), out(n);
  const std::uint8_t iv[8] = {};
  const std::uint8_t aad[8] = {};
  if (!aead->Seal(AeadIv(iv), aad, pt, sealed)) state.SkipWithError("seal failed");
  for (auto _ : state) {
    bool ok = aead->Open(AeadIv(iv), aad, sealed, out);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetLabel(Label(state));
}
BENCHMARK(BM_AeadOpen)->ArgsProduct({{0, 1}, {64, 1400}, {0, 1}});

// For comparison with the notes' "~200 ns of parameter handling": a fresh key per packet.
void BM_AeadCreatePerPacket(benchmark::State& state) {
  std::vector<std::uint8_t> buf(1400 + 16, 0xab);
  const std::uint8_t iv[8] = {};
  for (auto _ : state) {
    auto aead = MakeAead(0);
    bool ok = aead->Seal(AeadIv(iv), {}, std::span(buf).first(1400), buf);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 1400));
}
BENCHMARK(BM_AeadCreatePerPacket);

void BM_CbcHmacEncryptThenMac(benchmark::State& state) {
  auto cbc = Cipher::Create(EncrId::kAesCbc, 256, std::vector<std::uint8_t>(32, 1));
  auto mac = Integrity::Create(IntegId::kHmacSha2_256_128, std::vector<std::uint8_t>(32, 2));
  if (!cbc || !mac) {
    state.SkipWithError("create failed");
    return;
  }
  std::vector<std::uint8_t> buf(1408, 0xab), iv(16, 3), icv(16);
  for (auto _ : state) {
    bool ok = (*cbc)->Encrypt(iv, buf, buf) && (*mac)->Compute(buf, icv);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * buf.size()));
}
BENCHMARK(BM_CbcHmacEncryptThenMac);

// One side of a key exchange: key generation plus the shared-secret computation.
void BM_KeyExchange(benchmark::State& state) {
  const auto group = static_cast<KeGroup>(state.range(0));
  auto peer = KeyExchange::Create(group);
  if (!peer) {
    state.SkipWithError("create failed");
    return;
  }
  for (auto _ : state) {
    auto ke = KeyExchange::Create(group);
    auto shared = (*ke)->ComputeShared((*peer)->PublicValue());
    benchmark::DoNotOptimize(shared);
  }
}
BENCHMARK(BM_KeyExchange)->Arg(2)->Arg(14)->Arg(19)->Arg(20)->Arg(31)->Unit(benchmark::kMicrosecond);

// What one side does per SA (as bench/ike_rate's "KE-pairs/s"): key generation, encoding our public
// value, importing/validating the peer's value and deriving the shared secret.
void BM_KeyExchangePair(benchmark::State& state) {
  const auto group = static_cast<KeGroup>(state.range(0));
  auto peer = KeyExchange::Create(group);
  if (!peer) {
    state.SkipWithError("create failed");
    return;
  }
  const auto pub = (*peer)->PublicValue();
  const std::vector<std::uint8_t> peer_pub(pub.begin(), pub.end());
  for (auto _ : state) {
    auto ke = KeyExchange::Create(group);
    if (!ke) {
      state.SkipWithError("create failed");
      break;
    }
    auto ours = (*ke)->PublicValue();
    benchmark::DoNotOptimize(ours.data());
    auto shared = (*ke)->ComputeShared(peer_pub);
    if (!shared) {
      state.SkipWithError("derive failed");
      break;
    }
    benchmark::DoNotOptimize(shared);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_KeyExchangePair)->Arg(2)->Arg(14)->Arg(19)->Arg(20)->Arg(31)->Unit(benchmark::kMicrosecond);

// IKE SA keymat: SK_d, SK_ai/ar (0 for AEAD), SK_ei/er (36 each), SK_pi/pr with SHA-256.
void BM_PrfPlusIkeKeymat(benchmark::State& state) {
  auto prf = Prf::Create(PrfId::kHmacSha2_256);
  const std::vector<std::uint8_t> key(32, 7), seed(80, 9);
  for (auto _ : state) {
    auto k = PrfPlus(**prf, key, seed, 32 + 2 * 36 + 2 * 32);
    benchmark::DoNotOptimize(k);
  }
}
BENCHMARK(BM_PrfPlusIkeKeymat);

}  // namespace
}  // namespace isthmus::crypto

BENCHMARK_MAIN();
