// What the fuzz targets and their seeds share: the test-session keys, so
// seeds of the secure layouts open in the target, and the control server's
// hooks, so a seeded conversation is answered as it was when written.
#pragma once

#include <cstdlib>
#include <memory>

#include "measure/control_session.h"
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

// Grants every session (on port 5000); starting and stopping do nothing.
inline measure::control::ServerHooks AcceptingHooks() {
  namespace c = measure::control;
  c::ServerHooks hooks;
  hooks.open = [](const c::SessionRequest&, const c::Block&) {
    return c::SessionGrant{c::Accept::kOk, 5000, 0};
  };
  hooks.start = [](const std::vector<c::Block>&) {};
  hooks.stop = [](const std::vector<c::Block>&) {};
  return hooks;
}

}  // namespace lineup::fuzz
