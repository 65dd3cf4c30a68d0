// `lineup run`: the daemon. With -c it runs lineup.yaml; without, the main
// job's embedded default: three tunnels on loopback with responders, their
// senders, the analyzer and the controller, logging to lineup-data/log. It
// prints each line's last figures, the rankings and the decisions as they
// change; SIGHUP reloads the file (an invalid one is refused and the running
// configuration kept); SIGTERM/SIGINT stop, flush the log and exit 0.
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "base/time_text.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/service_notify.h"
#include "daemon/api.h"
#include "daemon/daemon.h"
#include "net/free_port.h"
#include "report/report_render.h"

namespace lineup::cli {
namespace {

using namespace std::chrono_literals;

struct RunOptions {
  std::string config;
  std::string log_dir;
  std::string duration;
  std::string report = "lineup-data/report.html";
  std::string api;
  bool lab = false;
  bool quiet = false;
  bool verbose = false;
  bool check = false;
};

// The main job's configuration: three lines from this host to three far
// ends on loopback, each answered by a responder of this daemon. The far ends
// listen on 18620 when it is free on all three addresses, else on a port the
// kernel finds free there, so a second `lineup run` (or the test suite) can
// run beside a first.
Result<std::string> EmbeddedConfig(const std::string& log_dir) {
  auto port = net::FreePort(net::Transport::kUdp, {"127.0.1.1", "127.0.1.2", "127.0.1.3"}, 18620);
  if (!port) {
    return lineup::Fail(
        ErrorCode::kIo,
        "the embedded default finds no UDP port free on 127.0.1.1-3: " + port.error().message);
  }
  return fmt::format(R"(# lineup run's embedded default (lineup run -c FILE runs your own).
daemon:
  log_dir: {0}
  schedule: {{every: 2s}}
tunnels:
  line-a: {{site: here, peer: hub, local: 127.0.0.1, remote: 127.0.1.1, probes: [probe]}}
  line-b: {{site: here, peer: hub, local: 127.0.0.1, remote: 127.0.1.2, probes: [probe]}}
  line-c: {{site: here, peer: hub, local: 127.0.0.1, remote: 127.0.1.3, probes: [probe]}}
sessions:
  probe: {{count: 20, interval: 50ms, port: {1}, wait: 500ms}}
reflectors:
  - {{name: far-a, listen: "127.0.1.1:{1}"}}
  - {{name: far-b, listen: "127.0.1.2:{1}"}}
  - {{name: far-c, listen: "127.0.1.3:{1}"}}
analyzer:
  ranking_interval: 5s
)",
                     log_dir, *port);
}

int RunLab(const RunOptions& o);

std::atomic<int> g_signal{0};
extern "C" void OnSignal(int sig) { g_signal = sig; }

std::string Ms(Nanos d) {
  return fmt::format("{:.3f}", std::chrono::duration<double, std::milli>(d).count());
}

constexpr std::string_view kCommand = "run";

Result<daemon::DaemonConfig> Load(const RunOptions& o) {
  Result<daemon::DaemonConfig> config = tl::unexpected(Error{});
  if (o.config.empty()) {
    auto text = EmbeddedConfig(o.log_dir.empty() ? "lineup-data/log" : o.log_dir);
    if (!text) return tl::unexpected(text.error());
    config = daemon::ParseDaemonConfig(*text, "(embedded default)");
  } else {
    config = daemon::LoadDaemonConfig(o.config);
  }
  if (config && !o.log_dir.empty()) config->log_dir = o.log_dir;
  if (config && !o.api.empty()) config->api.listen = o.api;
  return config;
}

// --check: the file is read and checked as a start or a SIGHUP would, and
// what it defines is listed; nothing is bound, opened or sent.
int Check(const RunOptions& o, const daemon::DaemonConfig& c) {
  const auto& policy = c.analysis.policy;
  std::cout << fmt::format(
      "{}: valid\n  {} tunnel(s), {} sender session(s), {} responder(s), {} SLA class(es), "
      "{} traffic class(es), {} hub(s)\n  log {}, API on {}, actuator {}\n",
      o.config.empty() ? "(embedded default)" : o.config, policy.tunnels.size(), c.senders.size(),
      c.responders.size(), c.analysis.analysis.classes.size(), policy.classes.size(),
      policy.hubs.size(), c.log_dir, c.api.listen, c.actuator);
  std::cout << "  not checked: whether the addresses can be bound and the peers answer "
               "(that needs the run)\n";
  return 0;
}

int Run(const RunOptions& o) {
  if (o.lab && !o.check) return RunLab(o);
  auto config = Load(o);
  if (!config) return Fail(kCommand, config.error().message);
  if (o.check) return Check(o, *config);
  std::optional<Nanos> duration;
  if (!o.duration.empty()) {
    auto d = ParseDuration(o.duration);
    if (!d || *d <= Nanos(0))
      return Fail(kCommand, fmt::format("--for '{}': give a positive duration", o.duration));
    duration = *d;
  }
  RealClock clock;
  std::mutex print;
  daemon::DaemonOptions options;
  options.version = Version();
  if (o.verbose && !o.quiet) {
    options.on_run = [&](const daemon::SessionView& s, const daemon::RunResult& r) {
      std::lock_guard lock(print);
      if (r.error) {
        std::cout << fmt::format("{:<24} run {:<4} failed: {}\n", s.config.name, r.run, *r.error);
        return;
      }
      const auto& m = r.summary;
      // No reply, no figure: '-' rather than a 0 that reads as a fast line.
      auto figure = [](Nanos d, std::size_t count) -> std::string {
        return count > 0 ? Ms(d) : "-";
      };
      std::cout << fmt::format(
                       "{:<24} run {:<4} rtt {:>8} ms p95 {:>8} ms  jitter {:>7} ms  loss {}/{}\n",
                       s.config.name, r.run, figure(m.round_trip.delay.mean, m.received),
                       figure(m.round_trip.delay.p95, m.received),
                       figure(m.round_trip.jitter.mean_abs, m.round_trip.jitter.pairs), m.lost,
                       m.sent)
                << std::flush;
    };
  }
  const WallTime began = clock.Now();
  auto started = daemon::Daemon::Start(std::move(*config), clock, options);
  if (!started) return Fail(kCommand, started.error().message);
  auto& d = **started;
  // -q: nothing on stdout; the start, reload and stop lines (where it listens,
  // the API's address) still go to stderr, as a daemon's log does.
  std::ostream& said = o.quiet ? std::cerr : std::cout;
  said << fmt::format("lineup run: {} sessions, {} responders, log in {}{}\n", d.Sessions().size(),
                      d.config().responders.size(), d.config().log_dir,
                      o.config.empty() ? " (embedded default; -c FILE for yours)" : "")
       << std::flush;
  for (const auto& r : d.config().responders) {
    said << fmt::format("listening on {} ({})\n", measure::FormatEndpoint(r.listen), r.name);
  }
  auto api = daemon::ApiServer::Start(d, d.config().api);
  if (!api) {
    d.Stop();
    return Fail(kCommand, api.error().message + " (--api ADDRESS:PORT to choose another)");
  }
  const auto at = (*api)->endpoint();
  const std::string base = measure::FormatEndpoint({at.address(), at.port()});
  said << fmt::format("API on http://{0}/api/ , metrics on /metrics , web page on http://{0}/\n",
                      base)
       << std::flush;

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGHUP, OnSignal);
  ServiceNotifier systemd;
  auto status = [&] {
    return fmt::format("{} sessions, {} responders, API on {}", d.Sessions().size(),
                       d.config().responders.size(), base);
  };
  systemd.Ready(status());
  std::string last_paths;
  std::uint64_t seen = d.log().head();  // events from here on are news
  while (true) {
    std::this_thread::sleep_for(200ms);
    // The keep-alive only while the daemon answers (its state lock is free).
    if (systemd.watchdog()) {
      (void)d.Sessions();
      systemd.Alive(clock.Monotonic());
    }
    if (const int sig = g_signal.exchange(0); sig != 0) {
      if (sig != SIGHUP) break;
      systemd.Reloading();
      // READY again however the reload ends (each refusal below continues).
      struct ReadyAgain {
        ServiceNotifier& n;
        std::function<std::string()> status;
        ~ReadyAgain() { n.Ready(status()); }
      };
      const ReadyAgain again{systemd, status};
      if (o.config.empty()) {
        std::cerr << "lineup run: SIGHUP: the embedded default has no file to reload\n";
        continue;
      }
      auto next = daemon::LoadDaemonConfig(o.config);
      if (!next) {
        std::cerr << "lineup run: SIGHUP: " << o.config
                  << " is not valid; keeping the running configuration:\n"
                  << next.error().message << "\n";
        continue;
      }
      if (!o.log_dir.empty()) next->log_dir = o.log_dir;
      if (!o.api.empty()) next->api.listen = o.api;
      // The changes made through the API stay on top of the new file.
      if (auto merged = daemon::WithApiChanges(*next, d.config().api_changes, o.config); merged) {
        next = std::move(merged);
      } else {
        std::cerr
            << "lineup run: SIGHUP: the API's changes do not fit the new file; keeping the running "
               "configuration:\n"
            << merged.error().message << "\n";
        continue;
      }
      if (auto ok = d.Reload(std::move(*next)); !ok) {
        std::cerr << "lineup run: SIGHUP: " << ok.error().message << "\n";
      } else {
        const std::size_t kept = daemon::CountApiChanges(d.config().api_changes);
        said << fmt::format("reloaded {}: {} sessions, {} responders{}\n", o.config,
                            d.Sessions().size(), d.config().responders.size(),
                            kept == 0 ? ""
                                      : fmt::format(" ({} changes made through the API stay "
                                                    "on top: lineup changes)",
                                                    kept))
             << std::flush;
      }
    }
    if (duration && clock.Now() - began >= *duration) break;
    if (o.quiet) continue;
    // What an operator wants to see as it happens: each line's state when it
    // changes and each decision with its reason (from the log, as the page's
    // events), and the ranking when a class's line changes; no ranking for
    // scores that move with every probe or equal lines that swap places.
    std::string events;
    if (const std::uint64_t head = d.log().head(); head > seen) {
      (void)d.log().ReadPositions(
          seen, head, store::ReadFilter::WithoutSamples(), [&](const store::LogEntry& e) {
            if (!e.event) return true;
            const auto j = daemon::LineEventOf(e.event->event);
            if (!j) return true;
            const std::string time = j->value("time", "");
            events += fmt::format("{}  {}{}\n", time.size() > 19 ? time.substr(11, 8) : time,
                                  j->value("text", ""),
                                  j->contains("reason") ? ": " + j->value("reason", "") : "");
            return true;
          });
      seen = head;
    }
    std::string lines_now;
    for (const auto& [cls, a] : d.Paths()) lines_now += cls + "->" + a.to + ";";
    std::string rankings;
    if (lines_now != last_paths) {
      for (const auto& [cls, ranking] : d.Rankings()) {
        std::string line;
        for (const auto& v : ranking) {
          if (!v.judged) continue;
          const char* state = v.down ? " (down)" : !v.compliant ? " (out of SLA)" : "";
          line += fmt::format("{}{} {:.2f}{}", line.empty() ? "" : " > ", v.tunnel, v.score, state);
        }
        if (!line.empty()) rankings += fmt::format("  {:<10} {}\n", cls, line);
      }
    }
    std::lock_guard lock(print);
    std::cout << events;
    if (!rankings.empty()) {
      std::cout << "ranking (score 0-1, higher is better)\n" << rankings;
      last_paths = lines_now;
    }
    std::cout << std::flush;
  }
  systemd.Stopping();
  const std::string log_dir = d.config().log_dir;
  const auto analysis = d.config().analysis.analysis;
  (*api)->Stop();
  d.Stop();
  said << "stopped; the log is flushed\n";
  if (o.quiet || o.report.empty()) return 0;

  // The SLA report of this run, from the log.
  store::RocksLogOptions read_only;
  read_only.mode = store::OpenMode::kReadOnly;
  read_only.create_if_missing = false;
  auto log = store::OpenRocksLog(log_dir, read_only);
  if (!log) {
    std::cerr << "lineup run: cannot read the log for the report: " << log.error().message << "\n";
    return 0;
  }
  analyzer::ReportOptions ro;
  ro.from = began;
  ro.to = clock.Now();
  ro.warmup = 1s;
  auto report = analyzer::BuildReport(**log, analysis, ro);
  if (!report) {
    std::cerr << "lineup run: no report: " << report.error().message << "\n";
    return 0;
  }
  std::cout << "\n" << TextSummary(*report);
  std::ofstream html(o.report, std::ios::binary | std::ios::trunc);
  html << analyzer::ReportHtml(*report);
  if (html) std::cout << fmt::format("report with plots: {}\n", o.report);
  return 0;
}

// A child process; optionally its stdout comes back through a pipe.
struct Child {
  pid_t pid = -1;
  int out = -1;
  static Child Spawn(const std::vector<std::string>& argv, bool capture) {
    Child c;
    int fds[2] = {-1, -1};
    if (capture && ::pipe2(fds, O_CLOEXEC) != 0) return c;
    c.pid = ::fork();
    if (c.pid == 0) {
      if (capture) ::dup2(fds[1], STDOUT_FILENO);
      std::vector<char*> args;
      args.reserve(argv.size() + 1);
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      _exit(127);
    }
    if (capture) {
      ::close(fds[1]);
      c.out = fds[0];
    }
    return c;
  }
  // Reads stdout until `text` appears (or the child ends); returns what was read.
  std::string WaitFor(const std::string& text) const {
    std::string seen;
    char buffer[4096];
    while (seen.find(text) == std::string::npos) {
      const ssize_t n = ::read(out, buffer, sizeof buffer);
      if (n <= 0) break;
      seen.append(buffer, static_cast<std::size_t>(n));
    }
    return seen;
  }
  int Stop(int sig) const {
    if (pid <= 0) return -1;
    ::kill(pid, sig);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (out >= 0) ::close(out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

// The lab: three lines across network namespaces, impaired by ns-3 in real
// time (lineup emulate), a reflector on the far side, and this daemon on the
// near side, so ranking and switching happen on real packets.
int RunLab(const RunOptions& o) {
  if (!SimulatorBuiltIn()) {
    return Fail(kCommand,
                "--lab needs the ns-3 simulator, which this build leaves out (the edge package): "
                "run the development build (scripts/build, build/cli/lineup)");
  }
  if (::geteuid() != 0) {
    return Fail(
        kCommand,
        "--lab builds network namespaces and tap devices: run it as root (or without --lab on "
        "loopback)");
  }
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string prefix = fmt::format("lu{}", ::getpid());
  const std::string dir = std::filesystem::temp_directory_path() / prefix;
  std::filesystem::create_directories(dir);
  const std::string scenario = dir + "/lab-scenario.yaml";
  std::ofstream(scenario) << R"(name: lab
description: three lines of the main job's lab, impaired by ns-3
duration: 7d
tunnels:
  line-a: {site: edge, peer: far}
  line-b: {site: edge, peer: far}
  line-c: {site: edge, peer: far}
links:
  line-a:
    delay: 10ms
    jitter: 1ms
    timeline:
      - {at: 40s, outage: true, for: 30s}   # a blackout: the traffic moves, then comes back
  line-b: {delay: 35ms, jitter: 12ms}
  line-c: {delay: 15ms, jitter: 1ms, loss_percent: 6}
)";
  const std::string log_dir =
      o.log_dir.empty() ? std::filesystem::absolute("lineup-data/log").string() : o.log_dir;
  const std::string config = dir + "/lab.yaml";
  std::ofstream(config) << fmt::format(
      R"(# lineup run --lab: the daemon in {0}-edge, the far ends in {0}-far.
daemon:
  log_dir: {1}
  schedule: {{every: 2s}}
tunnels:
  line-a: {{site: edge, peer: far, local: 10.1.0.1, remote: 10.2.0.1, probes: [probe]}}
  line-b: {{site: edge, peer: far, local: 10.1.1.1, remote: 10.2.1.1, probes: [probe]}}
  line-c: {{site: edge, peer: far, local: 10.1.2.1, remote: 10.2.2.1, probes: [probe]}}
sessions:
  probe: {{count: 20, interval: 50ms, port: 862, wait: 500ms}}
analyzer:
  ranking_interval: 5s
policy:   # the lab's, so the return shows within two minutes (defaults: 30s, 2m)
  min_dwell: 10s
  failback_delay: 20s
)",
      prefix, log_dir);
  std::cout << "lab: three lines between network namespaces, impaired by ns-3 in real time:\n"
               "  line-a 10 ms +-1 ms (a 30 s blackout from 40 s on); line-b 35 ms +-12 ms;\n"
               "  line-c 15 ms +-1 ms, 6% loss each way\n"
            << std::flush;
  Child lab = Child::Spawn({self, "emulate", scenario, "--prefix", prefix, "-q"}, true);
  const std::string said = lab.WaitFor("ready");
  if (said.find("ready") == std::string::npos) {
    lab.Stop(SIGTERM);
    return Fail(kCommand, "the lab did not start:\n" + said);
  }
  Child far = Child::Spawn({"ip", "netns", "exec", prefix + "-far", self, "reflect", "-l",
                            "10.2.0.1", "-l", "10.2.1.1", "-l", "10.2.2.1"},
                           true);
  far.WaitFor("listening on 10.2.2.1");
  std::vector<std::string> argv{
      "ip",       "netns",
      "exec",     prefix + "-edge",
      self,       "run",
      "-c",       config,
      "--report", o.report.empty() ? "" : std::filesystem::absolute(o.report).string()};
  if (!o.duration.empty()) argv.insert(argv.end(), {"--for", o.duration});
  if (!o.api.empty()) argv.insert(argv.end(), {"--api", o.api});
  if (o.quiet) argv.push_back("-q");
  if (o.verbose) argv.push_back("-v");
  std::cout
      << fmt::format(
             "the daemon runs in {0}-edge (its API there: ip netns exec {0}-edge lineup paths)\n",
             prefix)
      << std::flush;
  // Signals reach the daemon through its process group; wait for it.
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  Child daemon = Child::Spawn(argv, false);
  int status = 0;
  ::waitpid(daemon.pid, &status, 0);
  far.Stop(SIGTERM);
  lab.Stop(SIGTERM);
  std::filesystem::remove_all(dir);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

void AddRunCommand(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand("run",
                                 "The daemon: responders, scheduled sender sessions, the event "
                                 "log, SLA analysis and path selection in one "
                                 "process. Without -c it runs the main job on loopback (three "
                                 "lines, lineup-data/log). SIGHUP reloads, "
                                 "SIGTERM stops.");
  auto o = std::make_shared<RunOptions>();
  cmd->add_option("-c,--config", o->config,
                  "lineup.yaml with daemon, tunnels, sessions, SLA classes and policy");
  cmd->add_option("--log-dir", o->log_dir, "Event log directory (overrides daemon.log_dir)");
  cmd->add_option("--api", o->api,
                  "Where the REST API listens (overrides api.listen; default 127.0.0.1:8862)");
  cmd->add_option("--for", o->duration, "Stop after this long (default: until SIGTERM/SIGINT)");
  cmd->add_option("--report", o->report, "Where to write the HTML SLA report at exit ('' for none)")
      ->capture_default_str();
  cmd->add_flag("-v,--verbose", o->verbose,
                "Also a line per run of every session (RTT, jitter, loss)");
  cmd->add_flag("-q,--quiet", o->quiet,
                "Nothing on stdout: no live output, no report; where it listens and the API's "
                "address go to stderr");
  cmd->add_flag("--check", o->check,
                "Read and check the configuration as a start would, list what it defines, and "
                "exit: 0 when valid, 2 with every mistake and its place");
  cmd->add_flag(
      "--lab", o->lab,
      "The main job across network namespaces: three lines impaired by ns-3 in real time (root)");
  cmd->callback([&run, o] { run = [o] { return Run(*o); }; });
}

}  // namespace lineup::cli
