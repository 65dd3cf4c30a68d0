// `lineup log stats|dump|tail DIR`: inspect an event log, also while its
// writer runs (read through a follower instance).
#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "base/time_text.h"
#include "cli/commands.h"
#include "cli/event_json.h"
#include "cli/log_access.h"
#include "cli/output.h"
#include "store/measurements.h"

namespace lineup::cli {
namespace {

struct LogOptions {
  std::string dir = "lineup-data/log";
  bool json = false;
  std::uint64_t from = 0;
  std::uint64_t to = UINT64_MAX;
  std::string stream;
  std::string since, until;
  bool no_samples = false;
  bool from_end = false;
  std::string older_than;
  std::string max_size;
};

constexpr std::string_view kCommand = "log";

std::string HumanLine(const store::LogEntry& entry) {
  if (!entry.event)
    return fmt::format("{:>10}  ERROR {}", entry.position, entry.event.error().message);
  const auto& e = *entry.event;
  return fmt::format("{:>10}  {}  {:<28} {:>6}  {:<17} {}", e.position, FormatTime(e.event.time),
                     e.event.stream, e.revision, store::ToString(e.event.type()),
                     store::Describe(e.event));
}

void Print(const store::LogEntry& entry, bool json, std::size_t& errors) {
  if (!entry.event) ++errors;
  if (json) {
    if (entry.event) {
      std::cout << EventJson(*entry.event).dump() << "\n";
    } else {
      std::cout << nlohmann::json{{"position", entry.position},
                                  {"error", entry.event.error().message}}
                       .dump()
                << "\n";
    }
  } else {
    std::cout << HumanLine(entry) << "\n";
  }
}

int Stats(const LogOptions& o) {
  auto log = OpenLogForReading(o.dir);
  if (!log) return Fail(kCommand, log.error().message);
  auto s = (*log)->Stats();
  if (!s) return Fail(kCommand, s.error().message);
  if (o.json) {
    nlohmann::json j = {{"directory", o.dir},         {"head", s->head},
                        {"events_approx", s->events}, {"probe_samples_approx", s->probe_samples},
                        {"streams", s->streams},      {"sample_trim_point", s->sample_trim_point},
                        {"disk_bytes", s->disk_bytes}};
    if (s->first_time) j["first_time"] = FormatTime(*s->first_time);
    if (s->last_time) j["last_time"] = FormatTime(*s->last_time);
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format(
      "log          {}\n"
      "positions    0 .. {} (next {})\n"
      "events       ~{} (~{} probe samples, ~{} others)\n"
      "streams      {}\n"
      "sample trim  {}\n"
      "size         {:.1f} MiB (files and memory tables)\n"
      "time         {} .. {}\n",
      o.dir, s->head == 0 ? 0 : s->head - 1, s->head, s->events, s->probe_samples,
      s->events - std::min(s->events, s->probe_samples), s->streams,
      s->sample_trim_point == 0 ? "none"
                                : fmt::format("samples before {} deleted", s->sample_trim_point),
      double(s->disk_bytes) / (1 << 20), s->first_time ? FormatTime(*s->first_time) : "-",
      s->last_time ? FormatTime(*s->last_time) : "-");
  return 0;
}

int Dump(const LogOptions& o) {
  auto log = OpenLogForReading(o.dir);
  if (!log) return Fail(kCommand, log.error().message);
  const store::ReadFilter filter{!o.no_samples, true};
  std::size_t errors = 0;
  auto print = [&](const store::LogEntry& e) {
    Print(e, o.json, errors);
    return true;
  };
  Result<void> read;
  if (!o.stream.empty()) {
    read = (*log)->ReadStream(o.stream, 0, [&](const store::LogEntry& e) {
      if (e.position < o.from || e.position >= o.to) return true;
      if (o.no_samples && e.event && e.event->event.IsProbeSample()) return true;
      return print(e);
    });
  } else if (!o.since.empty() || !o.until.empty()) {
    RealClock clock;
    auto since = o.since.empty() ? Result<WallTime>(FromUnixNanos(INT64_MIN))
                                 : ParseTime(o.since, clock.Now());
    if (!since) return Fail(kCommand, "--since: " + since.error().message);
    auto until = o.until.empty() ? Result<WallTime>(FromUnixNanos(INT64_MAX))
                                 : ParseTime(o.until, clock.Now());
    if (!until) return Fail(kCommand, "--until: " + until.error().message);
    if (*until <= *since) return Fail(kCommand, "--until must be after --since");
    read = (*log)->ReadTime(*since, *until, filter, print);
  } else {
    read = (*log)->ReadPositions(o.from, o.to, filter, print);
  }
  std::cout << std::flush;
  if (!read) return Fail(kCommand, read.error().message);
  if (errors) {
    std::cerr << "lineup log: " << errors << " record(s) could not be decoded (shown as ERROR)\n";
    return 1;
  }
  return 0;
}

int Tail(const LogOptions& o) {
  auto log = OpenLogForReading(o.dir);
  if (!log) return Fail(kCommand, log.error().message);
  const std::uint64_t from = o.from_end ? (*log)->head() : o.from;
  std::mutex out;
  std::size_t errors = 0;
  auto sub = (*log)->Subscribe(from, {!o.no_samples, true}, [&](const store::LogEntry& e) {
    std::lock_guard lock(out);
    Print(e, o.json, errors);
    std::cout << std::flush;
  });
  if (!sub) return Fail(kCommand, sub.error().message);
  boost::asio::io_context io;
  boost::asio::signal_set stop(io, SIGINT, SIGTERM);
  stop.async_wait([&](boost::system::error_code, int) { io.stop(); });
  io.run();
  (*sub)->Stop();
  return 0;
}

Result<std::uint64_t> ParseSize(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  const std::string unit(end);
  double scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  if (unit == "K" || unit == "KB" || unit == "KiB") scale = 1024.0;
  if (unit == "M" || unit == "MB" || unit == "MiB") scale = 1024.0 * 1024;
  if (unit == "G" || unit == "GB" || unit == "GiB") scale = 1024.0 * 1024 * 1024;
  if (end == text.c_str() || scale == 0 || value <= 0) {
    return lineup::Fail(ErrorCode::kInvalidArgument,
                        fmt::format("'{}' is not a size: use e.g. 500M or 2G", text));
  }
  return static_cast<std::uint64_t>(value * scale);
}

int Trim(const LogOptions& o) {
  if (o.older_than.empty() && o.max_size.empty()) {
    return Fail(kCommand,
                "say what to delete: --samples-older-than DURATION and/or --samples-max-size SIZE");
  }
  store::RetentionPolicy policy;
  if (!o.older_than.empty()) {
    auto age = ParseDuration(o.older_than);
    if (!age || *age <= Nanos(0))
      return Fail(kCommand, "--samples-older-than must be a positive duration");
    policy.sample_max_age = *age;
  }
  if (!o.max_size.empty()) {
    auto size = ParseSize(o.max_size);
    if (!size) return Fail(kCommand, "--samples-max-size: " + size.error().message);
    policy.sample_max_bytes = *size;
  }
  store::RocksLogOptions options;
  options.create_if_missing = false;
  auto log = store::OpenRocksLog(o.dir, options);
  if (!log) return Fail(kCommand, log.error().message);
  RealClock clock;
  auto report = (*log)->ApplyRetention(policy, clock.Now());
  if (!report) return Fail(kCommand, report.error().message);
  std::cout << "deleted " << report->samples_deleted << " probe samples; samples before position "
            << report->samples_trimmed_before << " are gone, everything else is kept\n";
  return 0;
}

int Compact(const LogOptions& o) {
  store::RocksLogOptions options;
  options.create_if_missing = false;
  auto log = store::OpenRocksLog(o.dir, options);
  if (!log) return Fail(kCommand, log.error().message);
  if (auto r = (*log)->Compact(); !r) return Fail(kCommand, r.error().message);
  auto stats = (*log)->Stats();
  if (stats)
    std::cout << fmt::format("compacted: {:.1f} MiB\n", double(stats->disk_bytes) / (1 << 20));
  return 0;
}

}  // namespace

void AddLogCommand(CLI::App& app, Runner& run) {
  auto o = std::make_shared<LogOptions>();
  auto* cmd = app.add_subcommand("log", "Inspect an event log (also while lineup writes it)");
  cmd->require_subcommand(1);
  auto dir = [&](CLI::App* sub) {
    sub->add_option("dir", o->dir, "The log directory")->capture_default_str();
    sub->add_flag("--json", o->json, "JSON (one object per line for dump and tail)");
  };
  auto* stats = cmd->add_subcommand("stats", "Positions, counts, streams, size and time span");
  dir(stats);
  stats->callback([o, &run] { run = [o] { return Stats(*o); }; });

  auto* dump =
      cmd->add_subcommand("dump", "Print events: a position range, a stream, or a time range");
  dir(dump);
  dump->add_option("--from", o->from, "First position");
  dump->add_option("--to", o->to, "Stop before this position");
  dump->add_option("--stream", o->stream, "Only this stream (e.g. session/line-a)");
  dump->add_option("--since", o->since, "From this time (2026-11-24T09:00:00Z, or -10m)");
  dump->add_option("--until", o->until, "Before this time");
  dump->add_flag("--no-samples", o->no_samples, "Leave out per-packet probe samples");
  dump->callback([o, &run] { run = [o] { return Dump(*o); }; });

  auto* tail = cmd->add_subcommand("tail", "Print events as they are appended, until Ctrl-C");
  dir(tail);
  tail->add_option("--from", o->from, "Start at this position (default 0)");
  tail->add_flag("--from-end", o->from_end, "Only events appended from now on");
  tail->add_flag("--no-samples", o->no_samples, "Leave out per-packet probe samples");
  tail->callback([o, &run] { run = [o] { return Tail(*o); }; });

  auto* trim = cmd->add_subcommand(
      "trim",
      "Delete old probe samples (summaries, decisions and configuration are kept); "
      "needs the writer stopped");
  trim->add_option("dir", o->dir, "The log directory")->capture_default_str();
  trim->add_option("--samples-older-than", o->older_than,
                   "Delete samples older than this, e.g. 7d");
  trim->add_option("--samples-max-size", o->max_size, "Keep at most this much, e.g. 2G");
  trim->callback([o, &run] { run = [o] { return Trim(*o); }; });

  auto* compact =
      cmd->add_subcommand("compact", "Compact the files (after trim); needs the writer stopped");
  compact->add_option("dir", o->dir, "The log directory")->capture_default_str();
  compact->callback([o, &run] { run = [o] { return Compact(*o); }; });
}

}  // namespace lineup::cli
