#include "base/secret.h"

#include <gtest/gtest.h>

namespace isthmus {
namespace {

TEST(SecretBytes, ComparesByContent) {
  SecretBytes a(std::string_view("key-one"));
  SecretBytes b(std::string_view("key-one"));
  SecretBytes c(std::string_view("key-two"));
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  EXPECT_FALSE(a == SecretBytes(std::string_view("key-on")));
}

TEST(SecretBytes, MoveLeavesSourceEmpty) {
  SecretBytes a(std::string_view("abc"));
  SecretBytes b(std::move(a));
  EXPECT_EQ(b.size(), 3u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from state is specified here
}

TEST(SecureWipe, ZeroesMemory) {
  std::uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  SecureWipe(buf, sizeof buf);
  for (auto b : buf) EXPECT_EQ(b, 0);
}

}  // namespace
}  // namespace isthmus
