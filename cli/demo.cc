// `lineup demo`: the main job on an embedded default. Starts reflectors on
// loopback (IPv4 and IPv6) in a thread of their own, runs three sender
// sessions against them, prints the results and the reflector counters.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <iostream>
#include <optional>
#include <thread>

#include "base/time_text.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "net/clock_sync.h"
#include "net/reflector_server.h"
#include "net/sender_runner.h"
#include "store/event_log.h"
#include "store/measurements.h"

namespace lineup::cli {
namespace {

namespace asio = boost::asio;

struct DemoOptions {
  std::uint32_t count = 50;
  std::string interval = "20ms";
  std::string log_dir = "lineup-data/log";
  bool no_log = false;
  bool json = false;
};

bool Ipv6Loopback() {
  asio::io_context io;
  asio::ip::udp::socket s(io);
  boost::system::error_code ec;
  s.open(asio::ip::udp::v6(), ec);
  if (!ec) s.bind(asio::ip::udp::endpoint(asio::ip::address_v6::loopback(), 0), ec);
  return !ec;
}

int Run(const DemoOptions& o) {
  auto interval = DurationArg("demo", "-i", o.interval);
  if (!interval) {
    std::cerr << "lineup demo: --interval: " << interval.error().message << "\n";
    return 2;
  }
  RealClock clock;
  std::unique_ptr<store::EventLog> log;
  if (!o.no_log) {
    auto opened = store::OpenRocksLog(o.log_dir);
    if (!opened) {
      std::cerr << "lineup demo: " << opened.error().message << " (or run with --no-log)\n";
      return 2;
    }
    log = std::move(*opened);
  }
  std::vector<measure::UdpEndpoint> listen{measure::ParseEndpoint("127.0.0.1:0").value()};
  const bool v6 = Ipv6Loopback();
  if (v6) listen.push_back(measure::ParseEndpoint("[::1]:0").value());

  asio::io_context reflector_io;
  measure::ReflectorConfig rc;
  rc.error_estimate = measure::LocalErrorEstimate();
  auto reflector = measure::ReflectorServer::Create(reflector_io, clock, listen, rc);
  if (!reflector) {
    std::cerr << "lineup demo: " << reflector.error().message << "\n";
    return 2;
  }
  const auto bound = (*reflector)->Status();
  auto guard = asio::make_work_guard(reflector_io);
  std::thread reflector_thread([&] { reflector_io.run(); });

  auto session = [&](std::string name, const measure::UdpEndpoint& to) {
    measure::SessionConfig c;
    c.name = std::move(name);
    c.destination = to;
    c.count = o.count;
    c.interval = *interval;
    c.wait = std::chrono::milliseconds(500);
    c.error_estimate = measure::LocalErrorEstimate();
    return c;
  };
  std::vector<measure::SessionConfig> sessions;
  sessions.push_back(session("line-a ipv4 best-effort", bound[0].local));
  auto voice = session("line-a ipv4 voice (EF, Poisson)", bound[0].local);
  voice.dscp = 46;
  voice.interval_kind = measure::IntervalKind::kPoisson;
  sessions.push_back(voice);
  if (v6) {
    auto video = session("line-b ipv6 video (AF41, 512 B)", bound[1].local);
    video.dscp = 34;
    video.padding = 498;
    sessions.push_back(video);
  }
  if (!o.json) {
    std::cout << "lineup demo: reflectors on";
    for (const auto& l : bound) std::cout << " " << measure::FormatEndpoint(l.local);
    std::cout << "; " << sessions.size() << " sessions of " << o.count << " packets\n\n"
              << std::flush;
  }

  asio::io_context sender_io;
  measure::SenderRunner runner(sender_io, clock);
  std::vector<measure::SessionResult> results(sessions.size());
  std::size_t logged = 0;
  std::optional<Error> log_error;
  if (log) {
    std::vector<store::Event> configured;
    configured.reserve(sessions.size());
    for (const auto& c : sessions) {
      configured.push_back(
          {clock.Now(), store::SessionStream(c), store::ConfiguredFrom(c), {}, {}});
    }
    if (auto r = log->Append(configured); r) {
      logged += r->size();
    } else {
      log_error = r.error();
    }
  }
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    auto started = runner.Start(sessions[i], [&, i](measure::SessionResult r) {
      if (log && !log_error) {
        auto events = store::EventsFromRun(r);
        if (auto appended = log->Append(events); appended) {
          logged += appended->size();
        } else {
          log_error = appended.error();
        }
      }
      results[i] = std::move(r);
    });
    if (!started) {
      std::cerr << "lineup demo: " << started.error().message << "\n";
      return 2;
    }
  }
  sender_io.run();
  guard.reset();
  reflector_io.stop();
  reflector_thread.join();

  const auto status = (*reflector)->Status();
  if (o.json) {
    nlohmann::json out{{"sessions", nlohmann::json::array()}, {"reflector", ReflectorJson(status)}};
    for (const auto& r : results) out["sessions"].push_back(SessionJson(r, false));
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& r : results) std::cout << SessionTable(r) << "\n";
    std::cout << "reflector counters\n" << ReflectorTable(status);
    if (log && !log_error) {
      std::cout << "\nlogged " << logged << " events to " << o.log_dir << " (now at position "
                << log->head() << "): lineup log stats " << o.log_dir << "\n";
    }
  }
  if (log_error) {
    std::cerr << "lineup demo: " << log_error->message << "\n";
    return 2;
  }
  for (const auto& r : results) {
    if (r.summary.received == 0) return 1;
  }
  return 0;
}

}  // namespace

void AddDemoCommand(CLI::App& app, Runner& run) {
  auto o = std::make_shared<DemoOptions>();
  auto* cmd = app.add_subcommand(
      "demo", "Run reflectors and senders on loopback and print what they measured");
  cmd->add_option("-c,--count", o->count, "Packets per session")->capture_default_str();
  cmd->add_option("-i,--interval", o->interval, "Gap between packets")->capture_default_str();
  cmd->add_option("--log", o->log_dir, "Event log directory (RocksDB), appended to")
      ->capture_default_str();
  cmd->add_flag("--no-log", o->no_log, "Do not write the event log");
  cmd->add_flag("--json", o->json, "Print JSON");
  cmd->callback([o, &run] { run = [o] { return Run(*o); }; });
}

}  // namespace lineup::cli
