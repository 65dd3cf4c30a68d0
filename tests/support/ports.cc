#include "tests/support/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace lineup::testing {
namespace {

// Binds a UDP socket to address:port; returns the bound port, 0 on failure.
std::uint16_t Bind(int type, const std::string& address, std::uint16_t port, int& fd) {
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
    throw std::invalid_argument("FreeUdpPort: not an address: " + address);
  }
  fd = socket(family, type, 0);
  if (fd < 0) return 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) return 0;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return 0;
  return ntohs(family == AF_INET ? v4->sin_port : v6->sin6_port);
}

std::uint16_t FreePort(int type, const std::vector<std::string>& addresses) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::vector<int> fds(addresses.size(), -1);
    std::uint16_t port = Bind(type, addresses.at(0), 0, fds[0]);
    bool free = port != 0;
    for (std::size_t i = 1; free && i < addresses.size(); ++i) {
      free = Bind(type, addresses[i], port, fds[i]) == port;
    }
    for (int fd : fds) {
      if (fd >= 0) close(fd);
    }
    if (free) return port;
  }
  throw std::runtime_error("FreePort: no port free on every address after 100 tries");
}

}  // namespace

std::uint16_t FreeUdpPort(const std::vector<std::string>& addresses) {
  return FreePort(SOCK_DGRAM, addresses);
}

std::uint16_t FreeTcpPort(const std::vector<std::string>& addresses) {
  return FreePort(SOCK_STREAM, addresses);
}

}  // namespace lineup::testing
