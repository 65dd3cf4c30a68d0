// A keyed hash for tables whose keys an attacker chooses (a reflector's
// senders: any source address, port and SSID): SipHash-2-4 (Aumasson and
// Bernstein, 2012) under a key drawn once per process, so a set of keys that
// collide here collides nowhere else and cannot be computed from outside.
// Written here because neither Boost 1.74 nor the standard library has a
// keyed hash, and OpenSSL's EVP_MAC allocates per call, which a per-packet
// hash cannot afford.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace lineup {

using SipKey = std::array<std::uint64_t, 2>;

// SipHash-2-4 of `data` under `key` (the key's two halves little-endian, as
// in the paper's test vectors).
std::uint64_t SipHash24(const SipKey& key, std::span<const std::byte> data);

// This process's key, drawn from std::random_device at first use.
const SipKey& ProcessHashKey();

}  // namespace lineup
