// The fuzz seed corpus: generated from the same hand-written messages as the tests, and checked to
// stay parseable. Regenerate with
//   ISTHMUS_WRITE_IKE_CORPUS=$PWD/fuzz/corpus/ike_message ./ike_wire_test --gtest_filter='Corpus.*'
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "test_messages.h"

namespace isthmus::ike::wire {
namespace {

using testing::ProtectedBytes;
using testing::Repeat;

std::map<std::string, Bytes> Seeds() {
  std::map<std::string, Bytes> seeds;
  seeds["ike_sa_init_request"] = testing::InitRequestBytes();
  Message resp = testing::InitRequestMessage();
  resp.header.response = true;
  resp.header.initiator = false;
  resp.header.responder_spi = 0x1112131415161718ULL;
  resp.payloads.push_back(Payload::Of(CertReqPayload{CertEncoding::kX509Signature, Repeat(0x33, 20)}));
  resp.payloads.push_back(Payload::Of(NotifyPayload::Of(NotifyType::kIkev2FragmentationSupported)));
  seeds["ike_sa_init_response"] = *SerializeMessage(resp);
  Message invalid_ke = resp;
  invalid_ke.header.responder_spi = 0;
  invalid_ke.payloads = {Payload::Of(NotifyPayload::InvalidKe(ke_group::kCurve25519))};
  seeds["ike_sa_init_invalid_ke"] = *SerializeMessage(invalid_ke);
  // Protected messages in the "null cipher" framing (no IV, no ICV) so the fuzzer reaches the inner
  // payloads.
  seeds["ike_auth_request"] =
      ProtectedBytes(ExchangeType::kIkeAuth, false, testing::AuthRequestContents(), 0, 0);
  seeds["create_child_sa_request"] = ProtectedBytes(
      ExchangeType::kCreateChildSa, false,
      {Payload::Of(NotifyPayload::AboutChildSa(NotifyType::kRekeySa, ProtocolId::kEsp, 0x01020304)),
       Payload::Of(testing::EspProposal(0x0a0b0c0d)), Payload::Of(NoncePayload{Repeat(0x6e, 32)}),
       Payload::Of(KePayload{ke_group::kCurve25519, Repeat(0x4b, 32)}),
       Payload::Tsi(testing::Ts("fd00:1::/48")), Payload::Tsr(testing::Ts("fd00:4::/48"))},
      0, 0);
  seeds["informational_delete"] = ProtectedBytes(
      ExchangeType::kInformational, false,
      {Payload::Of(DeletePayload::ChildSas(ProtocolId::kEsp, {1, 2})), Payload::Of(ConfigPayload{1, {}})}, 0,
      0);
  seeds["informational_empty"] = ProtectedBytes(ExchangeType::kInformational, true, {}, 0, 0);
  return seeds;
}

TEST(Corpus, SeedsParseAndVerifyTheirEnvelope) {
  for (const auto& [name, bytes] : Seeds()) {
    auto m = ParseMessage(bytes);
    ASSERT_TRUE(m.has_value()) << name << ": " << m.error().ToString();
    EXPECT_TRUE(VerifyEnvelope(*m).has_value()) << name;
    if (const auto* sk = m->encrypted()) {
      auto chain = StripSkPadding(sk->body, 1);
      ASSERT_TRUE(chain.has_value()) << name;
      auto inner = ParseInnerPayloads(sk->first_inner, *chain);
      ASSERT_TRUE(inner.has_value()) << name << ": " << inner.error().ToString();
      m->inner = inner->payloads;
    }
    EXPECT_TRUE(Verify(*m).has_value()) << name << ": " << Verify(*m).error().ToString();
  }
}

// Writes the seeds and reads them back. With ISTHMUS_WRITE_IKE_CORPUS=<dir> it writes them there, which
// is how fuzz/corpus/ike_message is regenerated; otherwise into a temporary directory.
TEST(Corpus, WritesSeedsThatReadBackIdentically) {
  const char* asked = std::getenv("ISTHMUS_WRITE_IKE_CORPUS");
  std::filesystem::path dir =
      asked ? std::filesystem::path(asked)
            : std::filesystem::temp_directory_path() / ("isthmus-ike-corpus-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const auto& [name, bytes] : Seeds()) {
    auto path = dir / (name + ".bin");
    {
      std::ofstream out(path, std::ios::binary);
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      ASSERT_TRUE(out.good()) << name;
    }
    std::ifstream in(path, std::ios::binary);
    std::vector<std::uint8_t> back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(back, bytes) << name;
  }
  if (!asked) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace isthmus::ike::wire
