// Load generator for reflector benchmarks. Sends 44-byte packets laid out as
// TWAMP-Test sender packets to 127.0.0.1:PORT.
//   udp_load throughput PORT SECONDS WINDOW  -> replies per second with up to
//       WINDOW packets in flight (closed loop, so no queue overflows)
//   udp_load latency PORT COUNT INTERVAL_US  -> ping-pong round-trip p50/p99
//       measured in user space with one packet in flight
// Prints one line of key=value figures.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

double Now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  const int buffer = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  return fd;
}

void Packet(char* p, unsigned seq) {
  std::memset(p, 0, 44);
  p[0] = char(seq >> 24);
  p[1] = char(seq >> 16);
  p[2] = char(seq >> 8);
  p[3] = char(seq);
  p[13] = 1;  // error estimate multiplier 1
}

int Throughput(int port, double seconds, int window) {
  const int fd = Connect(port);
  constexpr int kBatch = 32;
  std::vector<char> out(kBatch * 64);
  std::vector<char> in(kBatch * 2048);
  std::vector<iovec> out_iov(kBatch), in_iov(kBatch);
  std::vector<mmsghdr> out_msgs(kBatch), in_msgs(kBatch);
  unsigned seq = 0;
  long long sent = 0, received = 0, in_flight = 0;
  const double start = Now();
  double last_reply = start;
  double measure_from = start + 0.5;  // warm-up
  long long received_at_measure = -1;
  while (Now() - start < seconds + 0.5) {
    if (received_at_measure < 0 && Now() >= measure_from) received_at_measure = received;
    int to_send = std::min<long long>(kBatch, window - in_flight);
    if (to_send > 0) {
      for (int i = 0; i < to_send; ++i) {
        Packet(out.data() + i * 64, seq++);
        out_iov[i] = {out.data() + i * 64, 44};
        out_msgs[i].msg_hdr = {};
        out_msgs[i].msg_hdr.msg_iov = &out_iov[i];
        out_msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = sendmmsg(fd, out_msgs.data(), static_cast<unsigned>(to_send), 0);
      if (n > 0) {
        sent += n;
        in_flight += n;
      }
    }
    pollfd p{fd, POLLIN, 0};
    poll(&p, 1, 1);
    for (;;) {
      for (int i = 0; i < kBatch; ++i) {
        in_iov[i] = {in.data() + i * 2048, 2048};
        in_msgs[i].msg_hdr = {};
        in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
        in_msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = recvmmsg(fd, in_msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) break;
      received += n;
      in_flight -= n;
      last_reply = Now();
    }
    if (Now() - last_reply > 0.02) {  // lost packets: reopen the window
      in_flight = 0;
      last_reply = Now();
    }
  }
  const double elapsed = Now() - measure_from;
  const double rate = double(received - std::max(0LL, received_at_measure)) / elapsed;
  std::printf("replies_per_s=%.0f sent=%lld received=%lld lost=%lld\n", rate, sent, received,
              sent - received);
  return 0;
}

int Latency(int port, int count, int interval_us) {
  const int fd = Connect(port);
  std::vector<double> rtt;
  char out[64], in[2048];
  int lost = 0;
  for (int i = 0; i < count; ++i) {
    Packet(out, static_cast<unsigned>(i));
    const double t0 = Now();
    send(fd, out, 44, 0);
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 1000) > 0 && recv(fd, in, sizeof(in), 0) > 0) {
      rtt.push_back(Now() - t0);
    } else {
      ++lost;
    }
    usleep(static_cast<useconds_t>(interval_us));
  }
  std::sort(rtt.begin(), rtt.end());
  auto pct = [&](double q) { return rtt.empty() ? 0 : rtt[size_t(q * double(rtt.size() - 1))]; };
  std::printf("rtt_p50_us=%.1f rtt_p99_us=%.1f samples=%zu lost=%d\n", pct(0.5) * 1e6,
              pct(0.99) * 1e6, rtt.size(), lost);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(
        stderr,
        "usage: udp_load throughput PORT SECONDS WINDOW | latency PORT COUNT INTERVAL_US\n");
    return 2;
  }
  const std::string mode = argv[1];
  if (mode == "throughput")
    return Throughput(std::atoi(argv[2]), std::atof(argv[3]), std::atoi(argv[4]));
  if (mode == "latency") return Latency(std::atoi(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]));
  return 2;
}
