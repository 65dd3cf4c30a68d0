// Parsing of the addresses a user types: endpoints ("192.0.2.1:862",
// "[2001:db8::1]:862", "::1") and CIDR prefixes for allow-lists.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <set>
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

// The address without its IPv4-mapped IPv6 dress (::ffff:192.0.2.1 -> 192.0.2.1).
IpAddress Unmapped(const IpAddress& address);
// The address as IPv6, an IPv4 one as IPv4-mapped (192.0.2.1 -> ::ffff:192.0.2.1).
boost::asio::ip::address_v6 Mapped(const IpAddress& address);

// Whom a TWAMP server lets a client name in Request-TW-Session (RFC 5357
// §3.5), so that a test session can be neither a loop nor a reflector aimed
// at someone else.
struct TestEndpointRules {
  // The RFC lets the Session-Sender be another host than the Control-Client;
  // by default it must be the control connection's peer, or anyone could aim
  // replies (2.9x the size of a 14-octet probe) at a third party.
  bool allow_third_party_senders = false;
  // The ports this server listens on at the reflector's address (its test
  // sessions' and its control listeners'): a sender there is the server itself.
  std::set<std::uint16_t> own_ports;
};

// Why a session between these addresses must be refused ("" : it may run).
// `sender` and `reflector` as the request names them after defaults are
// applied; `control_peer` the control connection's remote address.
std::string RefuseTestEndpoints(const IpAddress& sender, std::uint16_t sender_port,
                                const IpAddress& reflector, const IpAddress& control_peer,
                                const TestEndpointRules& rules);

}  // namespace lineup::measure
