// N concurrent sender sessions at one packet per interval each, from one
// thread, against a reflector at 127.0.0.1:PORT. Reports loss, the CPU this
// process used (getrusage) as a share of one core, and resident memory.
//   many_sessions PORT SESSIONS COUNT INTERVAL_MS
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "net/sender_runner.h"

namespace {

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

long MaxRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lineup;
  if (argc < 5) {
    std::fprintf(stderr, "usage: many_sessions PORT SESSIONS COUNT INTERVAL_MS\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int sessions = std::atoi(argv[2]);
  const auto count = static_cast<std::uint32_t>(std::atoi(argv[3]));
  const auto interval = std::chrono::milliseconds(std::atoi(argv[4]));

  const long rss_before = MaxRssKb();
  boost::asio::io_context io(1);  // one thread: no internal locking
  RealClock clock;
  measure::SenderRunner runner(io, clock);
  std::uint64_t sent = 0, received = 0, icmp = 0, send_errors = 0;
  int done = 0;
  const auto wall_start = std::chrono::steady_clock::now();
  for (int i = 0; i < sessions; ++i) {
    measure::SessionConfig c;
    c.destination = measure::UdpEndpoint(boost::asio::ip::make_address("127.0.0.1"),
                                         static_cast<std::uint16_t>(port));
    c.count = count;
    c.interval = interval;
    c.wait = std::chrono::seconds(1);
    // Spread the starts over one interval, as a scheduler would.
    const auto offset = interval * i / sessions;
    auto r = runner.Start(
        c,
        [&](measure::SessionResult result) {
          sent += result.summary.sent;
          received += result.summary.received;
          icmp += result.icmp_errors;
          send_errors += result.send_errors;
          ++done;
        },
        offset);
    if (!r) {
      std::fprintf(stderr, "session %d: %s\n", i, r.error().message.c_str());
      return 2;
    }
  }
  const double setup_cpu = CpuSeconds();
  const long rss_running = MaxRssKb();
  io.run();
  const double cpu = CpuSeconds() - setup_cpu;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::printf(
      "sessions=%d packets_sent=%llu received=%llu lost=%llu icmp_errors=%llu send_errors=%llu "
      "wall_s=%.1f cpu_s=%.2f cpu_pct_of_core=%.1f rss_mb=%.1f rss_per_session_kb=%.1f\n",
      done, (unsigned long long)sent, (unsigned long long)received,
      (unsigned long long)(sent - received), (unsigned long long)icmp,
      (unsigned long long)send_errors, wall, cpu, 100.0 * cpu / wall, double(MaxRssKb()) / 1024,
      double(rss_running - rss_before) / sessions);
  return sent == received ? 0 : 1;
}
