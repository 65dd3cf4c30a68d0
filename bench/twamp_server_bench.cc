// Load on a TWAMP server process: N control connections from this process,
// each with one test session at one packet per second, all at once. Reports
// the setup time for all N (connect, greeting, set-up, Request-TW-Session,
// Start-Sessions/Start-Ack), then the server's CPU share of one core and its
// resident memory per session in the steady state, read from /proc/PID.
//   twamp_server_bench PORT SERVER_PID CONNECTIONS STEADY_SECONDS [MODE]
// MODE: unauthenticated (default), mixed, authenticated or encrypted (key
// identity "bench", secret "bench secret").
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "net/twamp_client.h"

namespace {

using Steady = std::chrono::steady_clock;

// utime + stime of a process, in seconds.
double ProcessCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt (fields 3-13)
  unsigned long long utime = 0, stime = 0;
  fields >> utime >> stime;
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

long ProcessRssKb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lineup;
  if (argc < 5) {
    std::fprintf(stderr,
                 "usage: twamp_server_bench PORT SERVER_PID CONNECTIONS STEADY_SECONDS [MODE]\n");
    return 2;
  }
  const auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
  const int server_pid = std::atoi(argv[2]);
  const int connections = std::atoi(argv[3]);
  const int steady_seconds = std::atoi(argv[4]);
  const std::string mode_name = argc > 5 ? argv[5] : "unauthenticated";
  std::uint32_t mode = measure::control::kUnauthenticated;
  if (mode_name == "mixed") mode = measure::control::kMixed;
  if (mode_name == "authenticated") mode = measure::control::kAuthenticated;
  if (mode_name == "encrypted") mode = measure::control::kEncrypted;
  if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  const long rss_idle = ProcessRssKb(server_pid);
  boost::asio::io_context io(1);
  RealClock clock;
  int started = 0, finished = 0, failed = 0;
  std::uint64_t sent = 0, received = 0;
  const auto t0 = Steady::now();
  Steady::time_point all_started{};
  for (int i = 0; i < connections; ++i) {
    measure::TwampTestOptions o;
    o.server = measure::TcpEndpoint(boost::asio::ip::make_address("127.0.0.1"), port);
    o.control.mode = mode;
    if (mode != measure::control::kUnauthenticated) {
      o.control.key_id = "bench";
      o.control.secret = "bench secret";
    }
    // Long enough to cover the setup, a settling pause and the window.
    o.session.count = static_cast<std::uint32_t>(steady_seconds + 30);
    o.session.interval = std::chrono::seconds(1);
    o.session.wait = std::chrono::seconds(1);
    o.reply_timeout = std::chrono::seconds(60);
    o.connect_timeout = std::chrono::seconds(60);
    o.on_started = [&] {
      if (++started == connections) all_started = Steady::now();
    };
    measure::RunTwampTest(io, clock, o, [&](Result<measure::TwampTestResult> r) {
      ++finished;
      if (!r) {
        if (++failed <= 3)
          std::fprintf(stderr, "connection failed: %s\n", r.error().message.c_str());
        return;
      }
      for (const auto& s : r->tests.at(0)) {
        sent += s.summary.sent;
        received += s.summary.received;
      }
    });
  }
  // Setup, then 10 s to settle, then the measured window.
  while (started + failed < connections && io.run_one_for(std::chrono::seconds(60)) > 0) {
  }
  const double setup_s = std::chrono::duration<double>(all_started - t0).count();
  boost::asio::steady_timer timer(io);
  double cpu_a = 0, cpu_b = 0;
  long rss_steady = 0;
  timer.expires_after(std::chrono::seconds(10));
  timer.async_wait([&](auto) {
    cpu_a = ProcessCpuSeconds(server_pid);
    timer.expires_after(std::chrono::seconds(steady_seconds));
    timer.async_wait([&](auto) {
      cpu_b = ProcessCpuSeconds(server_pid);
      rss_steady = ProcessRssKb(server_pid);
    });
  });
  io.run();
  const double cpu_pct = 100.0 * (cpu_b - cpu_a) / steady_seconds;
  std::printf(
      "mode=%s connections=%d sessions_started=%d failed=%d setup_s=%.2f "
      "server_cpu_pct_of_core=%.2f "
      "server_rss_idle_mb=%.1f server_rss_mb=%.1f rss_per_session_kb=%.1f packets_sent=%llu "
      "received=%llu\n",
      mode_name.c_str(), connections, started, failed, started == connections ? setup_s : -1.0,
      cpu_pct, double(rss_idle) / 1024, double(rss_steady) / 1024,
      double(rss_steady - rss_idle) / connections, (unsigned long long)sent,
      (unsigned long long)received);
  return failed == 0 && sent == received ? 0 : 1;
}
