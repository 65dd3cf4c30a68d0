#include "net/resolve.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

namespace lineup::net {
namespace {

// Letters, digits, '-' and '.', with at least one letter: a host name, not
// a mistyped address (those keep ParseEndpoint's message).
bool LooksLikeName(std::string_view host) {
  const auto allowed = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.';
  };
  return !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), allowed) &&
         std::any_of(host.begin(), host.end(),
                     [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

Result<measure::UdpEndpoint> ResolveEndpoint(std::string_view text, std::uint16_t default_port) {
  auto numeric = measure::ParseEndpoint(text, default_port);
  if (numeric) return numeric;
  const std::size_t colon = text.find(':');
  const std::string_view host = text.substr(0, colon);
  // More than one colon is IPv6 or a typo, never a name: the address's message stands.
  if (!LooksLikeName(host) || std::count(text.begin(), text.end(), ':') > 1) return numeric;
  boost::asio::io_context io;
  boost::asio::ip::udp::resolver resolver(io);
  boost::system::error_code ec;
  const auto results = resolver.resolve(std::string(host), "", ec);
  if (ec || results.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' did not resolve ({}): give an address, or a name the resolver "
                            "knows",
                            host, ec ? ec.message() : "no address"));
  }
  const auto address = results.begin()->endpoint().address();
  // The port as ParseEndpoint checks it, after the address it resolved to.
  const std::string port = colon == std::string_view::npos ? "" : std::string(text.substr(colon));
  return measure::ParseEndpoint(address.is_v6() ? fmt::format("[{}]{}", address.to_string(), port)
                                                : fmt::format("{}{}", address.to_string(), port),
                                default_port);
}

}  // namespace lineup::net
