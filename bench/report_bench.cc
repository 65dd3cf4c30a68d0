// SLA report figures: writes a RocksDB log of N probe samples (16 tunnels at
// one probe per second each, with brownouts, blackouts and gaps), then times
// reports over growing ranges of it. Prints key=value lines.
//   report_bench DIR [EVENTS]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "analyzer/config.h"
#include "report/report.h"
#include "report/report_render.h"
#include "store/event_log.h"
#include "tests/support/synthetic.h"

namespace {

using namespace lineup;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

double Seconds(Steady::time_point since) {
  return std::chrono::duration<double>(Steady::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: report_bench DIR [EVENTS]\n");
    return 2;
  }
  const std::uint64_t events = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10'000'000;
  constexpr int kTunnels = 16;
  const WallTime start = FromUnixNanos(1'795'000'000'000'000'000);
  const Nanos span = 1s * static_cast<std::int64_t>(events / kTunnels);
  const WallTime end = start + span;

  // Every tunnel: a 5-minute brownout and a 2-minute blackout each ~6 hours,
  // a 10-minute measurement gap each ~2 days; offsets differ per tunnel.
  std::vector<testing::SyntheticTunnel> tunnels;
  std::mt19937_64 rng(11);
  for (int i = 0; i < kTunnels; ++i) {
    testing::SyntheticTunnel t{"tunnel-" + std::to_string(i), 10.0 + 5 * i, 1.5, 0.001, {}};
    for (WallTime at = start + 1h * (i % 6); at < end; at += 6h) {
      t.impairments.push_back({at, at + 5min, testing::Impairment::kDelay, 180});
      t.impairments.push_back({at + 3h, at + 3h + 2min, testing::Impairment::kLoss, 1.0});
    }
    for (WallTime at = start + 1h * (7 + i); at < end; at += 48h) {
      t.impairments.push_back({at, at + 10min, testing::Impairment::kSilence, 0});
    }
    tunnels.push_back(std::move(t));
  }
  auto log = store::OpenRocksLog(argv[1], {});
  if (!log) {
    std::fprintf(stderr, "%s\n", log.error().message.c_str());
    return 1;
  }
  auto t0 = Steady::now();
  std::vector<store::Event> batch;
  std::uint64_t written = 0;
  testing::ForEachSample(tunnels, start, end, 1s, 5, [&](store::Event&& e) {
    batch.push_back(std::move(e));
    if (batch.size() == 10'000) {
      if (!(*log)->Append(batch)) std::abort();
      written += batch.size();
      batch.clear();
    }
  });
  if (!batch.empty() && !(*log)->Append(batch)) std::abort();
  written += batch.size();
  if (!(*log)->Sync()) std::abort();
  std::printf("log_events=%llu days=%.2f write_s=%.1f\n", static_cast<unsigned long long>(written),
              double(span.count()) / 86400e9, Seconds(t0));

  analyzer::AnalyzerConfig config;
  config.classes = analyzer::DefaultSlaClasses();
  double first_rate = 0;
  for (double share : {0.125, 0.25, 0.5, 1.0}) {
    analyzer::ReportOptions options;
    options.from = start;
    options.to = start + std::chrono::duration_cast<Nanos>(span * share);
    options.warmup = 1ns;  // nothing before the start anyway
    t0 = Steady::now();
    auto report = analyzer::BuildReport(**log, config, options);
    const double build = Seconds(t0);
    if (!report) {
      std::fprintf(stderr, "%s\n", report.error().message.c_str());
      return 1;
    }
    t0 = Steady::now();
    const std::size_t html = analyzer::ReportHtml(*report).size();
    const double render = Seconds(t0);
    const double rate = double(report->samples) / build;
    if (first_rate == 0) first_rate = rate;
    std::size_t violations = 0;
    for (const auto& t : report->tunnels) {
      for (const auto& c : t.classes) violations += c.violations.size();
    }
    std::printf(
        "range_share=%.3f samples=%llu build_s=%.2f samples_per_s=%.0f html_s=%.3f html_kb=%zu "
        "violations=%zu rate_vs_smallest=%.2f\n",
        share, static_cast<unsigned long long>(report->samples), build, rate, render, html / 1024,
        violations, rate / first_rate);
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("max_rss_mb=%.0f\n", double(usage.ru_maxrss) / 1024);
  return 0;
}
