#include "base/keyed_hash.h"

#include <gtest/gtest.h>

#include <vector>

namespace lineup {
namespace {

// The reference vectors of the SipHash paper: key 00 01 .. 0f, message
// 00 01 .. (n-1).
std::uint64_t Reference(std::size_t n) {
  const SipKey key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
  std::vector<std::byte> m(n);
  for (std::size_t i = 0; i < n; ++i) m[i] = std::byte(i);
  return SipHash24(key, m);
}

TEST(KeyedHashTest, MatchesThePapersVectors) {
  EXPECT_EQ(Reference(0), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(Reference(1), 0x74f839c593dc67fdULL);
  EXPECT_EQ(Reference(15), 0xa129ca6149be45e5ULL);
}

TEST(KeyedHashTest, TheKeyChangesEveryHashAndIsDrawnOncePerProcess) {
  const std::vector<std::byte> m(20, std::byte{7});
  EXPECT_NE(SipHash24({1, 2}, m), SipHash24({1, 3}, m));
  EXPECT_EQ(&ProcessHashKey(), &ProcessHashKey());
  EXPECT_NE(ProcessHashKey(), (SipKey{0, 0}));
}

}  // namespace
}  // namespace lineup
