// `lineup report LOG`: the SLA report over a time range, as a terminal
// summary, JSON, CSV or a self-contained HTML page.
#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "analyzer/config.h"
#include "base/time_text.h"
#include "cli/commands.h"
#include "cli/log_access.h"
#include "cli/output.h"
#include "report/report_render.h"

namespace lineup::cli {
namespace {

struct ReportCliOptions {
  std::string dir = "lineup-data/log";
  std::string config;
  std::string from, to;
  std::string format;  // text, json, csv, html; default from --output's extension
  std::string table = "summary";
  std::string output;
  std::size_t points = 240;
  std::string gap;
  std::string warmup;
  bool quiet = false;
};

constexpr std::string_view kCommand = "report";

std::string Pct(double v) { return fmt::format("{:.2f}%", v); }

int Report(const ReportCliOptions& o) {
  std::string format = o.format;
  if (format.empty()) {
    auto ends = [&](std::string_view ext) {
      return o.output.size() >= ext.size() &&
             o.output.compare(o.output.size() - ext.size(), ext.size(), ext) == 0;
    };
    format = ends(".html") || ends(".htm") ? "html"
             : ends(".json")               ? "json"
             : ends(".csv")                ? "csv"
                                           : "text";
  }
  if (format != "text" && format != "json" && format != "csv" && format != "html") {
    return Fail(kCommand,
                fmt::format("--format {} is not known: use text, json, csv or html", format));
  }
  auto table = analyzer::ParseCsvTable(o.table);
  if (!table) return Fail(kCommand, table.error().message);

  analyzer::AnalyzerConfig config;
  if (o.config.empty()) {
    config.classes = analyzer::DefaultSlaClasses();
  } else {
    auto loaded = analyzer::LoadAnalyzerConfig(o.config);
    if (!loaded) return Fail(kCommand, loaded.error().message);
    config = std::move(*loaded);
  }
  auto log = OpenLogForReading(o.dir);
  if (!log) return Fail(kCommand, log.error().message);
  auto stats = (*log)->Stats();
  if (!stats) return Fail(kCommand, stats.error().message);
  if (!stats->first_time) {
    return Fail(kCommand, fmt::format("the log in {} is empty: nothing to report", o.dir), 1);
  }

  RealClock clock;
  analyzer::ReportOptions options;
  options.from = *stats->first_time;
  options.to = *stats->last_time + Nanos(1);
  if (!o.from.empty()) {
    auto t = ParseTime(o.from, clock.Now());
    if (!t) return Fail(kCommand, "--from: " + t.error().message);
    options.from = *t;
  }
  if (!o.to.empty()) {
    auto t = ParseTime(o.to, clock.Now());
    if (!t) return Fail(kCommand, "--to: " + t.error().message);
    options.to = *t;
  }
  options.buckets = o.points;
  if (!o.gap.empty()) {
    auto d = ParseDuration(o.gap);
    if (!d) return Fail(kCommand, "--gap: " + d.error().message);
    options.gap_after = *d;
  }
  if (!o.warmup.empty()) {
    auto d = ParseDuration(o.warmup);
    if (!d) return Fail(kCommand, "--warmup: " + d.error().message);
    options.warmup = *d;
  }
  const bool show_progress = !o.quiet && isatty(STDERR_FILENO) != 0;
  if (show_progress) {
    options.progress = [](double share) {
      std::cerr << fmt::format("\rreading the log: {:3.0f} %", 100 * share) << std::flush;
    };
  }
  auto report = analyzer::BuildReport(**log, config, options);
  if (show_progress) std::cerr << "\r\033[K" << std::flush;
  if (!report)
    return Fail(kCommand, report.error().message,
                report.error().code == ErrorCode::kNotFound ? 1 : 2);

  std::string text;
  if (format == "json") {
    text = analyzer::ReportJson(*report);
  } else if (format == "csv") {
    text = analyzer::ReportCsv(*report, *table);
  } else if (format == "html") {
    text = analyzer::ReportHtml(*report);
  } else {
    text = TextSummary(*report);
  }
  if (o.output.empty() || o.output == "-") {
    std::cout << text << std::flush;
    return 0;
  }
  std::ofstream file(o.output, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file)
    return Fail(kCommand,
                fmt::format("cannot write {}: check the directory exists and has space", o.output));
  if (!o.quiet) {
    std::cerr << fmt::format(
        "wrote {} ({} tunnels, {} probe samples, {} violations) to {}\n", format,
        report->tunnels.size(), report->samples,
        [&] {
          std::size_t n = 0;
          for (const auto& t : report->tunnels)
            for (const auto& c : t.classes) n += c.violations.size();
          return n;
        }(),
        o.output);
  }
  return 0;
}

}  // namespace

std::string TextSummary(const analyzer::Report& r) {
  std::string out = fmt::format(
      "SLA report {} .. {}: {} probe samples, {} tunnels, {} path switches\n\n", FormatTime(r.from),
      FormatTime(r.to), r.samples, r.tunnels.size(), r.switches.size());
  std::string header =
      fmt::format("{:<20} {:<10} {:>8} {:>8} {:>9} {:>9} {:>9} {:>8}", "tunnel", "site", "avail",
                  "loss", "rtt p50", "rtt p95", "rtt p99", "jitter");
  for (const auto& c : r.classes) header += fmt::format(" {:>9}", c.name.substr(0, 9));
  out += header + "\n";
  for (const auto& t : r.tunnels) {
    std::string line =
        fmt::format("{:<20} {:<10} {:>8} {:>8} {:>9.3f} {:>9.3f} {:>9.3f} {:>8.3f}", t.name, t.site,
                    Pct(t.availability_percent), fmt::format("{:.3f}%", t.loss_percent),
                    t.rtt_ms.p50, t.rtt_ms.p95, t.rtt_ms.p99, t.jitter_ms.mean);
    for (const auto& c : t.classes) {
      line += fmt::format(" {:>9}", c.judged.count() > 0 ? Pct(c.compliance_percent) : "-");
    }
    out += line + "\n";
  }
  out += "(latency and jitter in ms; class columns: compliance, '-' not judged)\n";
  std::size_t shown = 0, total = 0;
  std::string violations;
  for (const auto& t : r.tunnels) {
    for (const auto& c : t.classes) {
      for (const auto& v : c.violations) {
        if (++total > 20) continue;
        ++shown;
        violations += fmt::format(
            "  {:<20} {:<10} {} {:>10}  {}{}\n", t.name, c.sla_class,
            FormatTime(v.start).substr(0, 19),
            FormatDuration(std::chrono::duration_cast<std::chrono::seconds>(v.duration())),
            v.metric, v.ongoing ? " (ongoing)" : "");
      }
    }
  }
  out += fmt::format("\nviolations: {}\n{}", total, violations);
  if (shown < total)
    out += fmt::format("  ... {} more (--format csv --table violations)\n", total - shown);
  if (!r.switches.empty()) {
    out += fmt::format("\npath switches: {}\n", r.switches.size());
    for (std::size_t i = 0; i < r.switches.size() && i < 20; ++i) {
      const auto& s = r.switches[i];
      out += fmt::format("  {} {:<10} {} -> {}  {}\n", FormatTime(s.time).substr(0, 19),
                         s.traffic_class, s.from, s.to, s.reason);
    }
  }
  for (const auto& n : r.notes) out += "note: " + n + "\n";
  return out;
}

void AddReportCommand(CLI::App& app, Runner& run) {
  auto o = std::make_shared<ReportCliOptions>();
  auto* cmd = app.add_subcommand(
      "report",
      "SLA report over a time range: availability, compliance, percentiles, violations, "
      "switches, per site; as text, JSON, CSV or an HTML page with plots");
  cmd->add_option("dir", o->dir, "The log directory")->capture_default_str();
  cmd->add_option("-c,--config", o->config,
                  "lineup.yaml with SLA classes and tunnels (default: the built-in classes)");
  cmd->add_option("--from", o->from,
                  "Start (2026-11-24T09:00:00Z, or -1h); default: the log's start");
  cmd->add_option("--to", o->to, "End, exclusive; default: the log's end");
  cmd->add_option("-f,--format", o->format,
                  "text, json, csv or html (default: from --output's extension, else text)");
  cmd->add_option("--table", o->table,
                  "CSV table: summary, violations, outages, gaps, switches, sites, series")
      ->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Write to this file instead of standard output");
  cmd->add_option("--points", o->points, "Points per plot")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--gap", o->gap,
                  "No probe for longer than this is a measurement gap (default: 10 probe "
                  "intervals, at least 5s)");
  cmd->add_option("--warmup", o->warmup,
                  "Samples this long before --from fill the windows (default 10m)");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress or confirmation on standard error");
  cmd->callback([o, &run] { run = [o] { return Report(*o); }; });
}

}  // namespace lineup::cli
