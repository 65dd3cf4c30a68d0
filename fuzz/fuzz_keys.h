// The test-session keys the fuzz targets and their seeds share, so seeds of
// the secure layouts open in the target.
#pragma once

#include <cstdlib>
#include <memory>

#include "measure/test_security.h"

namespace lineup::fuzz {

inline std::shared_ptr<measure::TestCipher> FuzzCipher(std::uint32_t mode) {
  measure::control::Block sid{};
  measure::control::SessionKeys keys;
  for (std::size_t i = 0; i < sid.size(); ++i) sid[i] = std::byte(i);
  for (std::size_t i = 0; i < keys.aes.size(); ++i) keys.aes[i] = std::byte(0x40 + i);
  for (std::size_t i = 0; i < keys.hmac.size(); ++i) keys.hmac[i] = std::byte(0x80 + i);
  auto cipher = measure::CreateTestCipher(sid, keys, mode);
  if (!cipher) std::abort();
  return *cipher;
}

}  // namespace lineup::fuzz
