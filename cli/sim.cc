// `lineup sim SCENARIO`: runs a scenario in the ns-3 harness, prints the
// decisions and the expectations' verdicts, and writes the log (replayable
// with `lineup replay`) and an SLA report; `--seeds N` runs many seeds and
// summarises them.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/time_text.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "report/report.h"
#include "report/report_render.h"
#include "sim/harness.h"

namespace lineup::cli {
namespace {

namespace fs = std::filesystem;

struct SimOptions {
  std::string scenario;
  std::uint32_t seed = 0;  // 0: the scenario's
  std::uint32_t seeds = 0;
  std::string out;
  std::string interval;  // overrides the scenario's probe interval
  bool no_output = false;
  bool json = false;
  bool quiet = false;
};

constexpr std::string_view kCommand = "sim";

double Seconds(Nanos d) { return std::chrono::duration<double>(d).count(); }

// The file that marks a directory as lineup sim's output.
constexpr const char* kOutputMark = ".lineup-sim";

// Prepares DIR for a run's output. A directory an earlier run wrote (it has
// the mark) is emptied of what that run wrote; anything else in the way is
// refused, so --out never overwrites a file lineup sim did not write.
Result<void> PrepareOutput(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      return lineup::Fail(
          ErrorCode::kConflict,
          fmt::format("{} is a file, not a directory: choose another --out", dir.string()));
    }
    if (!fs::exists(dir / kOutputMark, ec)) {
      return lineup::Fail(
          ErrorCode::kConflict,
          fmt::format("{} holds files lineup sim did not write: choose another --out (or an "
                      "empty or new directory)",
                      dir.string()));
    }
    for (const char* name : {"log", "report.html", "report.json", "lineup.yaml", "run.json"}) {
      fs::remove_all(dir / name, ec);
      if (ec) {
        return lineup::Fail(ErrorCode::kIo, fmt::format("cannot replace {}: {}",
                                                        (dir / name).string(), ec.message()));
      }
    }
  }
  fs::create_directories(dir, ec);
  if (ec)
    return lineup::Fail(ErrorCode::kIo,
                        fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  std::ofstream mark(dir / kOutputMark, std::ios::trunc);
  mark << "Written by lineup sim: the next run with --out here replaces log, report.html, "
          "report.json, lineup.yaml and run.json.\n";
  if (!mark) {
    return lineup::Fail(ErrorCode::kIo,
                        fmt::format("cannot write {}", (dir / kOutputMark).string()));
  }
  return {};
}

Result<void> WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return lineup::Fail(ErrorCode::kIo, fmt::format("cannot write {}", path.string()));
  return {};
}

std::function<void(std::string_view, double)> ProgressLine(bool show) {
  if (!show) return {};
  return [](std::string_view phase, double share) {
    std::cerr << fmt::format("\r{}: {:3.0f} %\033[K", phase, 100 * share) << std::flush;
  };
}

nlohmann::json RunJson(const sim::Scenario& s, const sim::RunOutcome& run) {
  nlohmann::json j;
  j["scenario"] = s.name;
  j["file"] = s.origin;
  j["seed"] = run.seed;
  j["passed"] = run.passed();
  j["simulated_s"] = Seconds(s.duration);
  j["wall_s"] = run.wall_seconds;
  j["network_wall_s"] = run.network_seconds;
  j["probes"] = run.probes;
  j["events"] = run.events;
  j["packets_dropped"] = run.packets_dropped;
  j["queue_drops"] = run.queue_drops;
  j["cross_packets"] = run.cross_packets;
  j["decisions"] = nlohmann::json::array();
  for (const auto& d : run.decisions) {
    j["decisions"].push_back({{"at_s", Seconds(d.at)},
                              {"traffic_class", d.traffic_class},
                              {"from", d.from},
                              {"to", d.to},
                              {"rule", d.rule},
                              {"reason", d.reason}});
  }
  j["expectations"] = nlohmann::json::array();
  for (const auto& r : run.results) {
    nlohmann::json e{{"expectation", r.what},
                     {"where", r.expectation.text},
                     {"passed", r.passed},
                     {"detail", r.detail}};
    if (r.time_to_switch) e["time_to_switch_s"] = Seconds(*r.time_to_switch);
    j["expectations"].push_back(e);
  }
  return j;
}

void PrintRun(const sim::Scenario& s, const sim::RunOutcome& run) {
  const double simulated = Seconds(s.duration);
  std::cout << fmt::format("{} ({}), seed {}: {} simulated in {:.2f} s ({:.0f}x real time)\n",
                           s.name, s.origin, run.seed, FormatDuration(s.duration), run.wall_seconds,
                           simulated / std::max(run.wall_seconds, 1e-9));
  const std::string sessions =
      s.sessions.size() == s.probed.size()
          ? fmt::format("{} tunnels", s.probed.size())
          : fmt::format("{} sessions on {} tunnels", s.sessions.size(), s.probed.size());
  std::cout << fmt::format(
      "{} probed every {}: {} probes, {} packets lost to impairments, {} events\n", sessions,
      FormatDuration(s.probe_interval), run.probes, run.packets_dropped, run.events);
  if (run.cross_packets > 0 || run.queue_drops > 0) {
    std::cout << fmt::format("{} cross-traffic packets sent, {} packets dropped by the queues\n",
                             run.cross_packets, run.queue_drops);
  }
  std::cout << "\ndecisions\n";
  if (run.decisions.empty()) std::cout << "  (none)\n";
  for (const auto& d : run.decisions) {
    std::cout << fmt::format("  {:>10}  {:<10} {:>12} -> {:<12} {:<22} {}\n", FormatElapsed(d.at),
                             d.traffic_class, d.from.empty() ? "-" : d.from,
                             d.to.empty() ? "-" : d.to, d.rule, d.reason);
  }
  std::cout << "\nexpectations\n";
  if (run.results.empty()) std::cout << "  (none)\n";
  for (const auto& r : run.results) {
    std::cout << fmt::format("  {}  {}: {}\n        {}\n", r.passed ? "PASS" : "FAIL",
                             r.expectation.text, r.what, r.detail);
  }
}

std::string Distribution(std::vector<Nanos> t) {
  if (t.empty()) return "no switch";
  std::sort(t.begin(), t.end());
  Nanos sum{0};
  for (auto d : t) sum += d;
  return fmt::format("mean {}, p50 {}, worst {} over {} runs",
                     FormatElapsed(sum / static_cast<long>(t.size())),
                     FormatElapsed(t[(t.size() - 1) / 2]), FormatElapsed(t.back()), t.size());
}

int Seeds(const sim::Scenario& s, const SimOptions& o) {
  const std::uint32_t first = o.seed != 0 ? o.seed : s.seed;
  const bool show = !o.quiet && isatty(STDERR_FILENO) != 0;
  auto summary = sim::RunSeeds(s, first, o.seeds, [&](std::uint32_t done, std::uint32_t runs) {
    if (show) std::cerr << fmt::format("\rrun {}/{}\033[K", done, runs) << std::flush;
  });
  if (show) std::cerr << "\r\033[K" << std::flush;
  if (!summary) return Fail(kCommand, summary.error().message);
  if (o.json) {
    nlohmann::json j{{"scenario", s.name},
                     {"file", s.origin},
                     {"first_seed", first},
                     {"runs", o.seeds},
                     {"passed", summary->passed()},
                     {"wall_s", summary->wall_seconds},
                     {"probe_interval_s", Seconds(s.probe_interval)}};
    j["expectations"] = nlohmann::json::array();
    for (const auto& e : summary->expectations) {
      nlohmann::json times = nlohmann::json::array();
      for (auto t : e.times_to_switch) times.push_back(Seconds(t));
      j["expectations"].push_back({{"expectation", e.what},
                                   {"passed", e.passed},
                                   {"failed", e.failed},
                                   {"failed_seeds", e.failed_seeds},
                                   {"time_to_switch_s", times}});
    }
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << fmt::format("{} ({}): {} runs, seeds {}-{}, in {:.1f} s; probes every {}\n",
                             s.name, s.origin, o.seeds, first, first + o.seeds - 1,
                             summary->wall_seconds, FormatDuration(s.probe_interval));
    for (const auto& e : summary->expectations) {
      std::cout << fmt::format("  {}  {}/{}  {}\n", e.failed == 0 ? "PASS" : "FAIL", e.passed,
                               o.seeds, e.what);
      if (!e.times_to_switch.empty()) {
        std::cout << fmt::format("        time to switch: {}\n", Distribution(e.times_to_switch));
      }
      if (!e.failed_seeds.empty()) {
        std::cout << fmt::format("        failed with seeds {}\n", fmt::join(e.failed_seeds, ", "));
      }
    }
  }
  return summary->passed() ? 0 : 1;
}

int Sim(const SimOptions& o) {
  auto scenario = sim::LoadScenario(o.scenario);
  if (!scenario) return Fail(kCommand, scenario.error().message);
  if (!o.interval.empty()) {
    auto interval = ParseDuration(o.interval);
    if (!interval || *interval < std::chrono::milliseconds(1) ||
        *interval > std::chrono::hours(1)) {
      return Fail(
          kCommand,
          fmt::format("--interval {}: give a duration from 1ms to 1h, such as 20ms", o.interval));
    }
    scenario->probe_interval = *interval;
    for (auto& session : scenario->sessions) session.interval.reset();  // every session's
  }
  if (o.seeds > 0) return Seeds(*scenario, o);

  const fs::path out =
      o.out.empty() ? fs::path("lineup-sim") / fs::path(o.scenario).stem() : fs::path(o.out);
  std::unique_ptr<store::EventLog> log;
  if (!o.no_output) {
    if (auto ready = PrepareOutput(out); !ready) return Fail(kCommand, ready.error().message);
    auto opened = store::OpenRocksLog((out / "log").string(), {});
    if (!opened) return Fail(kCommand, opened.error().message);
    log = std::move(*opened);
  }
  sim::RunOptions options;
  options.keep_probes = false;  // flat memory: the expectations measure as the probes come
  if (o.seed != 0) options.seed = o.seed;
  options.log = log.get();
  const bool show = !o.quiet && isatty(STDERR_FILENO) != 0;
  options.progress = ProgressLine(show);
  auto run = sim::RunScenario(*scenario, options);
  if (show) std::cerr << "\r\033[K" << std::flush;
  if (!run) return Fail(kCommand, run.error().message);

  std::string report_path;
  if (log) {
    analyzer::ReportOptions ro;
    ro.from = scenario->start;
    ro.to = scenario->start + scenario->duration + scenario->loss_timeout;
    auto report = analyzer::BuildReport(*log, scenario->config.analysis, ro);
    if (!report) return Fail(kCommand, "the report: " + report.error().message);
    report_path = (out / "report.html").string();
    for (const auto& [path, text] :
         {std::pair{out / "report.html", analyzer::ReportHtml(*report)},
          std::pair{out / "report.json", analyzer::ReportJson(*report)},
          std::pair{out / "lineup.yaml", scenario->config.text},
          std::pair{out / "run.json", RunJson(*scenario, *run).dump(2) + "\n"}}) {
      if (auto written = WriteFile(path, text); !written)
        return Fail(kCommand, written.error().message);
    }
  }
  if (o.json) {
    auto j = RunJson(*scenario, *run);
    if (log) {
      j["log"] = (out / "log").string();
      j["report"] = report_path;
    }
    std::cout << j.dump(2) << "\n";
  } else {
    PrintRun(*scenario, *run);
    if (log) {
      std::cout << fmt::format("\nlog:     {}   (lineup replay {}; lineup report {} -c {})\n",
                               (out / "log").string(), (out / "log").string(),
                               (out / "log").string(), (out / "lineup.yaml").string());
      std::cout << fmt::format("report:  {} (and report.json; run.json has this run)\n",
                               report_path);
    }
    const auto failed = std::count_if(run->results.begin(), run->results.end(),
                                      [](const auto& r) { return !r.passed; });
    std::cout << fmt::format("\n{}: {} of {} expectations met\n", failed == 0 ? "PASSED" : "FAILED",
                             run->results.size() - static_cast<std::size_t>(failed),
                             run->results.size());
  }
  return run->passed() ? 0 : 1;
}

}  // namespace

void AddSimCommand(CLI::App& app, Runner& run) {
  auto o = std::make_shared<SimOptions>();
  auto* cmd =
      app.add_subcommand("sim", "Run a scenario in the ns-3 harness and check its expectations");
  cmd->add_option("scenario", o->scenario, "The scenario file (see scenarios/ and docs/sim.md)")
      ->required();
  cmd->add_option("--seed", o->seed, "Run with this seed instead of the scenario's")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seeds", o->seeds,
                  "Run this many seeds (from --seed or the scenario's) and summarise")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--out", o->out,
                  "Directory for the log and the report (default lineup-sim/SCENARIO)");
  cmd->add_option("--interval", o->interval,
                  "Probe every DURATION instead of the scenario's interval");
  cmd->add_flag("--no-output", o->no_output, "Write no log and no report");
  cmd->add_flag("--json", o->json, "Print the outcome as JSON");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress line");
  cmd->callback([&run, o]() { run = [o]() { return Sim(*o); }; });
}

}  // namespace lineup::cli
