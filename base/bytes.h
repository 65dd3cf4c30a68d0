// Big-endian (network order) stores and loads over byte spans. Callers check
// the span is long enough; these never cast pointers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace lineup {

using ByteSpan = std::span<std::byte>;
using ConstByteSpan = std::span<const std::byte>;

inline void PutU8(ByteSpan out, std::size_t at, std::uint8_t v) { out[at] = std::byte{v}; }

inline void PutU16(ByteSpan out, std::size_t at, std::uint16_t v) {
  out[at] = std::byte(v >> 8);
  out[at + 1] = std::byte(v & 0xff);
}

inline void PutU32(ByteSpan out, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + i] = std::byte((v >> (24 - 8 * i)) & 0xff);
}

inline void PutU64(ByteSpan out, std::size_t at, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out[at + i] = std::byte((v >> (56 - 8 * i)) & 0xff);
}

inline std::uint8_t GetU8(ConstByteSpan in, std::size_t at) {
  return std::to_integer<std::uint8_t>(in[at]);
}

inline std::uint16_t GetU16(ConstByteSpan in, std::size_t at) {
  return static_cast<std::uint16_t>((GetU8(in, at) << 8) | GetU8(in, at + 1));
}

inline std::uint32_t GetU32(ConstByteSpan in, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | GetU8(in, at + i);
  return v;
}

inline std::uint64_t GetU64(ConstByteSpan in, std::size_t at) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | GetU8(in, at + i);
  return v;
}

}  // namespace lineup
