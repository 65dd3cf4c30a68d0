// Ports for tests that must write a port into a configuration before the
// program under test binds it (a daemon's reflectors and the sessions that
// probe them). The kernel chooses: we bind port 0, learn the port, and check
// that the same port is free on every address the test will use. Tests that
// bind sockets themselves bind port 0 directly and need none of this.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lineup::testing {

// A UDP port free on each of `addresses` (IPv4 or IPv6 literals) right now.
std::uint16_t FreeUdpPort(const std::vector<std::string>& addresses = {"127.0.0.1"});
// The same for TCP (a TWAMP server's control port).
std::uint16_t FreeTcpPort(const std::vector<std::string>& addresses = {"127.0.0.1"});

}  // namespace lineup::testing
