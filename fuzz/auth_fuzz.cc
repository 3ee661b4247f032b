// The sign-in parsers fed arbitrary bytes: the token endpoint's form bodies (auth/form.cc) and the
// authority's whole grant handling over them, access tokens through validation (auth/tokens.cc), and
// base64url. The first byte picks the parser; the rest is the input. Seeds: fuzz/corpus/auth.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/clock.h"
#include "mgmt/auth/authority.h"
#include "mgmt/auth/form.h"
#include "mgmt/auth/tokens.h"
// The unit tests' key helper (header-only), shared rather than copied.
#include "../tests/unit/mgmt/test_keys.h"

namespace {

using namespace isthmus::mgmt::auth;

struct World {
  isthmus::SeededRng rng{1};
  std::unique_ptr<PrincipalDirectory> principals;
  std::optional<TokenIssuer> issuer;
  std::optional<Authority> authority;
  std::string secret;
  World() {
    principals = std::move(*PrincipalDirectory::Load(
        {}, [](const std::vector<isthmus::mgmt::RowChange>&) -> isthmus::Status { return {}; }, rng,
        [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000)); }));
    auto made = principals->CreateOrPatch({"fuzz", {{"", Role::kReader, "/subscriptions/s"}}, 1});
    secret = made->secret;
    // A key made once per process (2048-bit generation is slow, and the input picks no key).
    const std::string pem = isthmus::mgmt::testing::RsaPrivateKeyPem();
    issuer.emplace(std::move(*TokenIssuer::FromPem(pem)));
    auto copy = TokenIssuer::FromPem(pem);
    authority.emplace(std::move(*copy), *principals, AuthorityOptions{"t", {"https://127.0.0.1:7480"}}, [] {
      return std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    });
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World w;
  if (size == 0) return 0;
  const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0:
      (void)ParseForm(input);
      break;
    case 1:
      (void)w.authority->Token(input, "");
      break;
    case 2: {
      ValidationRules rules{{"https://127.0.0.1:7480"}, {"https://127.0.0.1:7480/adfs"}};
      (void)w.issuer->Validate(input, rules,
                               std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000)));
      (void)w.authority->Authenticate(input);
      break;
    }
    default:
      (void)Base64UrlDecode(input);
      (void)w.authority->Token(
          "grant_type=client_credentials&scope=https%3A%2F%2F127.0.0.1%3A7480%2F.default", "Basic " + input);
      break;
  }
  return 0;
}
