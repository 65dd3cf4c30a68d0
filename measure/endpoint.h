// Parsing of the addresses a user types: endpoints ("192.0.2.1:862",
// "[2001:db8::1]:862", "::1") and CIDR prefixes for allow-lists.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace lineup::measure {

using UdpEndpoint = boost::asio::ip::udp::endpoint;
using IpAddress = boost::asio::ip::address;

inline constexpr std::uint16_t kDefaultTestPort = 862;

// "ADDR", "ADDR:PORT", "[V6]:PORT" or a bare IPv6 address. Numeric only: no
// name resolution, so a typo fails here and not later on the wire.
[[nodiscard]] Result<UdpEndpoint> ParseEndpoint(std::string_view text,
                                                std::uint16_t default_port = kDefaultTestPort);
std::string FormatEndpoint(const UdpEndpoint& endpoint);

// An IPv4 or IPv6 prefix. An IPv4-mapped IPv6 address matches the IPv4 prefix.
class Prefix {
 public:
  // "10.0.0.0/8", "2001:db8::/32", or a single address (a host prefix).
  [[nodiscard]] static Result<Prefix> Parse(std::string_view text);
  bool Contains(const IpAddress& address) const;
  std::string ToString() const;
  bool operator==(const Prefix&) const = default;

 private:
  IpAddress network_;
  unsigned length_ = 0;
};

}  // namespace lineup::measure
