// The physical limit for the reflector benchmark: a plain UDP echo that
// returns every datagram unchanged with recvmmsg/sendmmsg batches of 32, on
// one thread. Prints "listening on PORT", runs until SIGTERM/SIGINT.
// With a second argument "meta" it also asks the kernel for what a TWAMP
// reflector needs (receive timestamp, TTL, TOS), to show what that costs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {
volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 0;
  const bool meta = argc > 2 && std::strcmp(argv[2], "meta") == 0;
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  const int buffer = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
  if (meta) {
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
    setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
    setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::perror("bind");
    return 2;
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("listening on %d\n", ntohs(addr.sin_port));
  std::fflush(stdout);
  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);

  constexpr int kBatch = 32;
  constexpr int kSize = 2048;
  std::vector<char> data(kBatch * kSize);
  std::vector<sockaddr_in> names(kBatch);
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  std::vector<char> control(kBatch * 256);
  unsigned long long echoed = 0;
  while (!g_stop) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = {data.data() + i * kSize, kSize};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_name = &names[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      if (meta) {
        msgs[i].msg_hdr.msg_control = control.data() + i * 256;
        msgs[i].msg_hdr.msg_controllen = 256;
      }
    }
    const int n = recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) continue;
    for (int i = 0; i < n; ++i) {
      iov[i].iov_len = msgs[i].msg_len;
      msgs[i].msg_hdr.msg_control = nullptr;  // send without the received metadata
      msgs[i].msg_hdr.msg_controllen = 0;
    }
    int sent = 0;
    while (sent < n) {
      const int m = sendmmsg(fd, msgs.data() + sent, static_cast<unsigned>(n - sent), 0);
      if (m <= 0) break;
      sent += m;
    }
    echoed += static_cast<unsigned long long>(n);
  }
  std::printf("echoed %llu\n", echoed);
  close(fd);
  return 0;
}
