#include "base/keyed_hash.h"

#include <bit>
#include <random>

namespace lineup {
namespace {

struct SipState {
  std::uint64_t v0, v1, v2, v3;

  void Round() {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }
  void Absorb(std::uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
};

std::uint64_t LoadLittle(const std::byte* p, std::size_t n) {
  std::uint64_t m = 0;
  for (std::size_t i = 0; i < n; ++i)
    m |= std::uint64_t(std::to_integer<std::uint8_t>(p[i])) << (8 * i);
  return m;
}

}  // namespace

std::uint64_t SipHash24(const SipKey& key, std::span<const std::byte> data) {
  SipState s{key[0] ^ 0x736f6d6570736575ULL, key[1] ^ 0x646f72616e646f6dULL,
             key[0] ^ 0x6c7967656e657261ULL, key[1] ^ 0x7465646279746573ULL};
  const std::size_t whole = data.size() / 8 * 8;
  for (std::size_t i = 0; i < whole; i += 8) s.Absorb(LoadLittle(data.data() + i, 8));
  // The last block: the remaining bytes, the length's low byte on top.
  std::uint64_t last = LoadLittle(data.data() + whole, data.size() - whole);
  last |= std::uint64_t(data.size() & 0xff) << 56;
  s.Absorb(last);
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

const SipKey& ProcessHashKey() {
  static const SipKey key = [] {
    std::random_device device;
    auto draw = [&] { return (std::uint64_t(device()) << 32) | device(); };
    return SipKey{draw(), draw()};
  }();
  return key;
}

}  // namespace lineup
