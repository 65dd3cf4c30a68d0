// Endpoints as people type them on a command line: an address, or a host
// name resolved through the system's resolver (getaddrinfo, by Asio).
#pragma once

#include <string_view>

#include "base/result.h"
#include "measure/endpoint.h"

namespace lineup::net {

// "ADDR[:PORT]" as measure::ParseEndpoint reads it, or "NAME[:PORT]": the
// name's first address in the resolver's order (RFC 6724: ::1 before
// 127.0.0.1 for localhost). A name that does not resolve is an error naming
// it and the resolver's reason. Blocks while the resolver works.
[[nodiscard]] Result<measure::UdpEndpoint> ResolveEndpoint(
    std::string_view text, std::uint16_t default_port = measure::kDefaultTestPort);

}  // namespace lineup::net
