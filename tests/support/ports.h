// Ports for tests that must write a port into a configuration before the
// program under test binds it (a daemon's reflectors and the sessions that
// probe them): net::FreePort's, or the test stops. Tests that bind sockets
// themselves bind port 0 and read it back instead.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "net/free_port.h"

namespace lineup::testing {

inline std::uint16_t FreePortOrThrow(net::Transport transport,
                                     const std::vector<std::string>& addresses) {
  auto port = net::FreePort(transport, addresses);
  if (!port) throw std::runtime_error(port.error().message);
  return *port;
}

// A UDP port free on each of `addresses` right now.
inline std::uint16_t FreeUdpPort(const std::vector<std::string>& addresses = {"127.0.0.1"}) {
  return FreePortOrThrow(net::Transport::kUdp, addresses);
}

// The same for TCP (a TWAMP server's control port).
inline std::uint16_t FreeTcpPort(const std::vector<std::string>& addresses = {"127.0.0.1"}) {
  return FreePortOrThrow(net::Transport::kTcp, addresses);
}

}  // namespace lineup::testing
