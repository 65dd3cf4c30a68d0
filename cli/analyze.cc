// `lineup analyze LOG`: runs the SLA analyzer over the log. By default it
// catches up from its checkpoint, appends its verdicts to the log and prints
// the rankings; --follow keeps it running; --dry-run replays the whole log
// under the given classes without writing (offline replay under another SLA).
#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>
#include <thread>

#include "analyzer/config.h"
#include "analyzer/service.h"
#include "cli/commands.h"
#include "cli/event_json.h"
#include "cli/log_access.h"
#include "cli/output.h"

namespace lineup::cli {
namespace {

struct AnalyzeOptions {
  std::string dir = "lineup-data/log";
  std::string config;
  std::string consumer = "analyzer";
  bool follow = false;
  bool dry_run = false;
  bool events = false;
  bool json = false;
};

constexpr std::string_view kCommand = "analyze";

void PrintRankings(const analyzer::AnalyzerConfig& config,
                   const std::function<std::vector<analyzer::Verdict>(const std::string&)>& ranking,
                   bool json) {
  nlohmann::json all = nlohmann::json::object();
  for (const auto& c : config.classes) {
    const auto verdicts = ranking(c.name);
    if (json) {
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& v : verdicts) {
        rows.push_back({{"tunnel", v.tunnel},
                        {"judged", v.judged},
                        {"compliant", v.compliant},
                        {"down", v.down},
                        {"score", v.score},
                        {"latency_ms", v.latency_ms},
                        {"jitter_ms", v.jitter_ms},
                        {"loss_percent", v.loss_percent},
                        {"mos", v.mos},
                        {"violated_metric", v.violated_metric}});
      }
      all[c.name] = rows;
      continue;
    }
    std::cout << fmt::format("{} ({} tunnels, best first)\n", c.name, verdicts.size());
    std::cout << fmt::format("  {:<3} {:<20} {:<11} {:>6} {:>10} {:>9} {:>8} {:>5}\n", "#",
                             "tunnel", "state", "score", "latency", "jitter", "loss", "MOS");
    int rank = 0;
    for (const auto& v : verdicts) {
      const std::string state = !v.judged     ? "not judged"
                                : v.down      ? "DOWN"
                                : v.compliant ? "compliant"
                                              : "VIOLATED";
      std::cout << fmt::format(
          "  {:<3} {:<20} {:<11} {:>6.3f} {:>7.3f} ms {:>6.3f} ms {:>7.2f}% {:>5.2f}{}\n", ++rank,
          v.tunnel, state, v.score, v.latency_ms, v.jitter_ms, v.loss_percent, v.mos,
          v.violated_metric.empty() ? "" : "  (" + v.violated_metric + ")");
    }
  }
  if (json) std::cout << all.dump(2) << "\n";
}

int DryRun(const AnalyzeOptions& o, const analyzer::AnalyzerConfig& config) {
  auto log = OpenLogForReading(o.dir);
  if (!log) return Fail(kCommand, log.error().message);
  analyzer::Analyzer a(config);
  std::vector<store::Event> out;
  std::uint64_t folded = 0, concluded = 0;
  auto read = (*log)->ReadPositions(0, UINT64_MAX, {}, [&](const store::LogEntry& e) {
    if (!e.event) return true;
    out.clear();
    a.Apply(*e.event, out);
    ++folded;
    for (const auto& ev : out) {
      ++concluded;
      if (o.events) {
        store::RecordedEvent r{e.position, 0, ev};
        std::cout << EventJson(r).dump() << "\n";
      }
    }
    return true;
  });
  if (!read) return Fail(kCommand, read.error().message);
  if (!o.events) {
    std::cout << fmt::format(
        "replayed {} events; the analyzer would conclude {} events (nothing written)\n\n", folded,
        concluded);
    PrintRankings(
        config, [&](const std::string& c) { return a.Ranking(c); }, o.json);
  }
  return 0;
}

int Analyze(const AnalyzeOptions& o) {
  analyzer::AnalyzerConfig config;
  if (o.config.empty()) {
    config.classes = analyzer::DefaultSlaClasses();
  } else {
    auto loaded = analyzer::LoadAnalyzerConfig(o.config);
    if (!loaded) return Fail(kCommand, loaded.error().message);
    config = std::move(*loaded);
  }
  if (o.dry_run) return DryRun(o, config);

  auto log = store::OpenRocksLog(o.dir, {});
  if (!log) {
    return Fail(kCommand,
                log.error().message +
                    "\n(another lineup process may be writing this log: its own analyzer already "
                    "runs there; use --dry-run to replay without writing)");
  }
  const std::uint64_t before = (*log)->head();
  auto service = analyzer::AnalyzerService::Start(**log, config, o.consumer);
  if (!service) return Fail(kCommand, service.error().message);
  if (o.follow) {
    std::cerr << fmt::format("analyzing {} from position {}; Ctrl-C to stop\n", o.dir,
                             (*service)->next_position());
    boost::asio::io_context io;
    boost::asio::signal_set stop(io, SIGINT, SIGTERM);
    stop.async_wait([&](boost::system::error_code, int) { io.stop(); });
    io.run();
  } else {
    // Catch up with what is in the log now, including the verdicts appended.
    while ((*service)->next_position() < (*log)->head() && !(*service)->last_error()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  (*service)->Stop();
  if (auto error = (*service)->last_error()) return Fail(kCommand, error->message, 1);
  if (!o.json) {
    std::cout << fmt::format("analyzed up to position {}; appended {} verdict events\n\n",
                             (*service)->next_position(), (*log)->head() - before);
  }
  PrintRankings(
      config, [&](const std::string& c) { return (*service)->Ranking(c); }, o.json);
  return 0;
}

}  // namespace

void AddAnalyzeCommand(CLI::App& app, Runner& run) {
  auto o = std::make_shared<AnalyzeOptions>();
  auto* cmd = app.add_subcommand(
      "analyze",
      "Judge tunnels against SLA classes: append verdicts to the log and print rankings");
  cmd->add_option("dir", o->dir, "The log directory")->capture_default_str();
  cmd->add_option("-c,--config", o->config,
                  "lineup.yaml with SLA classes and tunnels (default: the built-in classes)");
  cmd->add_option("--consumer", o->consumer, "Checkpoint name")->capture_default_str();
  cmd->add_flag("--follow", o->follow, "Keep analyzing new measurements until Ctrl-C");
  cmd->add_flag("--dry-run", o->dry_run,
                "Replay the whole log under these classes and write nothing");
  cmd->add_flag("--events", o->events, "With --dry-run: print the verdict events (JSON lines)");
  cmd->add_flag("--json", o->json, "Rankings as JSON");
  cmd->callback([o, &run] { run = [o] { return Analyze(*o); }; });
}

}  // namespace lineup::cli
