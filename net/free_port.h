// A port the kernel finds free on several addresses at once, for a
// configuration written before anything binds it (the embedded default's far
// ends and the sessions that probe them; tests that start a daemon). Programs
// that bind a socket themselves bind port 0 and read it back instead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace lineup::net {

enum class Transport { kUdp, kTcp };

// `preferred` when it is free on every one of `addresses` (IPv4 or IPv6
// literals), else a port the kernel hands out for port 0 that is free on all
// of them. Free means bindable now: another process may still take it before
// the caller binds it, which the caller reports like any bind failure.
[[nodiscard]] Result<std::uint16_t> FreePort(Transport transport,
                                             const std::vector<std::string>& addresses,
                                             std::uint16_t preferred = 0);

}  // namespace lineup::net
