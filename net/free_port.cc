#include "net/free_port.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace lineup::net {
namespace {

// A socket bound to address:port, closed when it goes.
class Bound {
 public:
  Bound(Transport transport, const std::string& address, std::uint16_t port) {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_INET;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
      length = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
      family = AF_INET6;
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
      length = sizeof(sockaddr_in6);
    } else {
      error_ = fmt::format("'{}' is not an IPv4 or IPv6 address", address);
      return;
    }
    fd_ = socket(family, transport == Transport::kUdp ? SOCK_DGRAM : SOCK_STREAM, 0);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
      error_ = fmt::format("cannot bind {} port {}: {}", address, port, std::strerror(errno));
      return;
    }
    port_ = ntohs(family == AF_INET ? v4->sin_port : v6->sin6_port);
  }
  ~Bound() {
    if (fd_ >= 0) close(fd_);
  }
  Bound(const Bound&) = delete;
  Bound& operator=(const Bound&) = delete;

  std::uint16_t port() const { return port_; }
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::string error_;
};

bool FreeEverywhere(Transport transport, const std::vector<std::string>& addresses,
                    std::uint16_t port) {
  std::vector<std::unique_ptr<Bound>> held;  // held together, so one port fits all
  for (const auto& a : addresses) {
    held.push_back(std::make_unique<Bound>(transport, a, port));
    if (held.back()->port() != port) return false;
  }
  return true;
}

}  // namespace

Result<std::uint16_t> FreePort(Transport transport, const std::vector<std::string>& addresses,
                               std::uint16_t preferred) {
  if (addresses.empty()) return Fail(ErrorCode::kInvalidArgument, "FreePort: no address");
  if (preferred != 0 && FreeEverywhere(transport, addresses, preferred)) return preferred;
  std::string last_error;
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::uint16_t port = 0;
    {
      Bound first(transport, addresses.front(), 0);
      if (!first.error().empty()) return Fail(ErrorCode::kIo, first.error());
      port = first.port();
    }
    if (FreeEverywhere(transport, addresses, port)) return port;
  }
  return Fail(ErrorCode::kIo, fmt::format("no {} port is free on all of {} after 100 tries",
                                          transport == Transport::kUdp ? "UDP" : "TCP",
                                          fmt::join(addresses, ", ")));
}

}  // namespace lineup::net
