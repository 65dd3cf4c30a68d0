#include "measure/endpoint.h"

#include <fmt/format.h>

#include <array>
#include <charconv>

namespace lineup::measure {
namespace {

Result<IpAddress> ParseAddress(std::string_view text, std::string_view context) {
  boost::system::error_code ec;
  IpAddress address = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a numeric IPv4 or IPv6 address (in '{}')", text, context));
  }
  return address;
}

template <typename Int>
Result<Int> ParseNumber(std::string_view text, Int max, std::string_view what,
                        std::string_view context) {
  unsigned long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max || text.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a valid {} (0-{}) in '{}'", text, what, max, context));
  }
  return static_cast<Int>(value);
}

// Mask of the top `bits` bits of a byte array.
template <std::size_t N>
std::array<unsigned char, N> Masked(std::array<unsigned char, N> bytes, unsigned bits) {
  for (std::size_t i = 0; i < N; ++i) {
    const std::size_t keep = bits >= 8 * (i + 1) ? 8 : (bits > 8 * i ? bits - 8 * i : 0);
    bytes[i] &= static_cast<unsigned char>(0xff00 >> keep);
  }
  return bytes;
}

}  // namespace

Result<UdpEndpoint> ParseEndpoint(std::string_view text, std::uint16_t default_port) {
  std::string_view host = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return Fail(ErrorCode::kInvalidArgument, fmt::format("'{}' lacks the closing ']'", text));
    }
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("expected ':PORT' after ']' in '{}'", text));
      }
      port = rest.substr(1);
    }
  } else if (text.find(':') == text.rfind(':') && text.find(':') != std::string_view::npos) {
    // Exactly one colon: IPv4 with a port. More colons: a bare IPv6 address.
    host = text.substr(0, text.find(':'));
    port = text.substr(text.find(':') + 1);
  }
  auto address = ParseAddress(host, text);
  if (!address) return tl::unexpected(address.error());
  std::uint16_t port_number = default_port;
  if (!port.empty() || text.back() == ':') {
    auto parsed = ParseNumber<std::uint16_t>(port, 65535, "port", text);
    if (!parsed) return tl::unexpected(parsed.error());
    port_number = *parsed;
  }
  return UdpEndpoint(*address, port_number);
}

std::string FormatEndpoint(const UdpEndpoint& endpoint) {
  if (endpoint.address().is_v6()) {
    return fmt::format("[{}]:{}", endpoint.address().to_string(), endpoint.port());
  }
  return fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

Result<Prefix> Prefix::Parse(std::string_view text) {
  const auto slash = text.find('/');
  auto address = ParseAddress(text.substr(0, slash), text);
  if (!address) return tl::unexpected(address.error());
  const unsigned max = address->is_v4() ? 32 : 128;
  unsigned length = max;
  if (slash != std::string_view::npos) {
    auto parsed = ParseNumber<unsigned>(text.substr(slash + 1), max, "prefix length", text);
    if (!parsed) return tl::unexpected(parsed.error());
    length = *parsed;
  }
  Prefix prefix;
  prefix.length_ = length;
  if (address->is_v4()) {
    prefix.network_ = boost::asio::ip::address_v4(Masked(address->to_v4().to_bytes(), length));
  } else {
    prefix.network_ = boost::asio::ip::address_v6(Masked(address->to_v6().to_bytes(), length));
  }
  return prefix;
}

bool Prefix::Contains(const IpAddress& address) const {
  const IpAddress candidate = network_.is_v4() ? Unmapped(address) : address;
  if (candidate.is_v4() != network_.is_v4()) return false;
  if (candidate.is_v4()) {
    return Masked(candidate.to_v4().to_bytes(), length_) == network_.to_v4().to_bytes();
  }
  return Masked(candidate.to_v6().to_bytes(), length_) == network_.to_v6().to_bytes();
}

std::string Prefix::ToString() const { return fmt::format("{}/{}", network_.to_string(), length_); }

IpAddress Unmapped(const IpAddress& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

boost::asio::ip::address_v6 Mapped(const IpAddress& address) {
  return address.is_v4()
             ? boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, address.to_v4())
             : address.to_v6();
}

namespace {

// Multicast, the IPv4 limited broadcast, or unspecified: not one unicast host.
const char* NotUnicast(const IpAddress& a) {
  if (a.is_multicast()) return "a multicast address";
  if (a.is_v4() && a.to_v4() == boost::asio::ip::address_v4::broadcast()) {
    return "the broadcast address";
  }
  if (a.is_unspecified()) return "unspecified";
  return nullptr;
}

}  // namespace

std::string RefuseTestEndpoints(const IpAddress& sender_in, std::uint16_t sender_port,
                                const IpAddress& reflector_in, const IpAddress& control_peer,
                                const TestEndpointRules& rules) {
  const IpAddress sender = Unmapped(sender_in);
  const IpAddress reflector = Unmapped(reflector_in);
  if (const char* why = NotUnicast(sender)) {
    return fmt::format("the Session-Sender address {} is {}: a test session answers one host",
                       sender.to_string(), why);
  }
  if (const char* why = NotUnicast(reflector)) {
    return fmt::format("the Session-Reflector address {} is {}: a test session listens on one",
                       reflector.to_string(), why);
  }
  if (!rules.allow_third_party_senders && sender != Unmapped(control_peer)) {
    return fmt::format(
        "the Session-Sender {} is not the control connection's peer {}: replies go only to the "
        "client (a server option, allow_third_party_senders, permits other senders)",
        sender.to_string(), Unmapped(control_peer).to_string());
  }
  if (sender == reflector && (sender_port == 0 || rules.own_ports.count(sender_port) != 0)) {
    return fmt::format(
        "the Session-Sender {}:{} is {} of this server's own ports: two sessions would answer "
        "each other",
        sender.to_string(), sender_port, sender_port == 0 ? "any" : "one");
  }
  return "";
}

}  // namespace lineup::measure
