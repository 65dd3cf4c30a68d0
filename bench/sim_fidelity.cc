// The simulator's fidelity table: for each kind of impairment, what is
// configured (and what theory expects of it) against what the real TWAMP
// cores measure, at probe intervals of 20 ms, 100 ms and 1 s, over seeds.
// Prints a Markdown table for docs/sim.md.
//
//   sim_fidelity [SEEDS] [PROBES]   (default 20 seeds of 2,000 probes each)
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "base/time_text.h"
#include "sim/harness.h"

namespace {

using namespace lineup;
using namespace std::chrono_literals;

struct Row {
  std::string kind;    // the impairment
  std::string link;    // its YAML (the {} is replaced by the ramp's length where it has one)
  std::string figure;  // what is measured
  double expected;
  std::string bound_text;
  std::function<double(const sim::Measured&)> read;
  std::function<bool(double)> within;
  // The window measured, as shares of the run (a ramp is measured at its
  // middle); the run is `probes` intervals long.
  double from = 0, to = 1;
  bool ramp = false;
  double probes_share = 1;  // fewer probes for the costly cross-traffic row
};

double Relative(double measured, double expected) {
  return std::abs(measured - expected) / expected;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint32_t seeds = argc > 1 ? static_cast<std::uint32_t>(std::atoi(argv[1])) : 20;
  const std::uint32_t probes = argc > 2 ? static_cast<std::uint32_t>(std::atoi(argv[2])) : 2000;
  const double ser_ms = 74 * 8 / 100e6 * 1e3;  // a 74-byte probe at 100 Mbit/s, each way
  const std::vector<Row> rows = {
      {"delay 20 ms", "{delay: 20ms}", "one-way delay (ms)", 20 + ser_ms, "± 0.05 ms",
       [](const sim::Measured& m) { return m.forward_mean_ms; },
       [=](double v) { return std::abs(v - (20 + ser_ms)) <= 0.05; }},
      {"jitter ± 5 ms", "{delay: 50ms, jitter: 5ms}", "one-way jitter (ms)", 10.0 / 3, "± 10 %",
       [](const sim::Measured& m) { return m.forward_jitter_ms; },
       [](double v) { return Relative(v, 10.0 / 3) <= 0.10; }},
      {"jitter ± 50 ms", "{delay: 100ms, jitter: 50ms}", "one-way jitter (ms)", 100.0 / 3, "± 10 %",
       [](const sim::Measured& m) { return m.forward_jitter_ms; },
       [](double v) { return Relative(v, 100.0 / 3) <= 0.10; }},
      {"jitter ± 50 ms", "{delay: 100ms, jitter: 50ms}", "round-trip jitter (ms)", 14.0 * 50 / 15,
       "± 10 %", [](const sim::Measured& m) { return m.jitter_ms; },
       [](double v) { return Relative(v, 14.0 * 50 / 15) <= 0.10; }},
      {"jitter ± 50 ms", "{delay: 100ms, jitter: 50ms}", "one-way delay (ms)", 100 + ser_ms,
       "± 5 %", [](const sim::Measured& m) { return m.forward_mean_ms; },
       [=](double v) { return Relative(v, 100 + ser_ms) <= 0.05; }},
      {"loss 5 % each way", "{loss_percent: 5}", "round-trip loss (%)", 9.75, "± 3σ",
       [](const sim::Measured& m) { return m.loss_percent; }, nullptr},
      {"loss 5 % outbound only", "{forward: {loss_percent: 5}}", "outbound loss (%)", 5, "± 3σ",
       [](const sim::Measured& m) { return m.forward_loss_percent; }, nullptr},
      {"loss 5 % outbound only", "{forward: {loss_percent: 5}}", "inbound loss (%)", 0, "exactly 0",
       [](const sim::Measured& m) { return m.backward_loss_percent; },
       [](double v) { return v == 0; }},
      {"bursts 2 % in, 25 % out", "{burst: {enter_percent: 2, leave_percent: 25}}",
       "outbound loss (%)", 100 * 0.02 / 0.27, "(bursty: no 3σ)",
       [](const sim::Measured& m) { return m.forward_loss_percent; }, [](double) { return true; }},
      {"ramp 20 → 220 ms", "{delay: 20ms, timeline: [{at: 0s, over: {}, delay: 220ms}]}",
       "one-way delay at mid-ramp (ms)", 120 + ser_ms, "± 1 ms",
       [](const sim::Measured& m) { return m.forward_mean_ms; },
       [=](double v) { return std::abs(v - (120 + ser_ms)) <= 1; }, 0.45, 0.55, true},
      {"5 % overload", "{rate_mbps: 10, timeline: [{at: 0s, cross_mbps: 10.5}]}",
       "outbound loss (%)", 100 * (1 - 10 / 10.5), "± 30 %",
       [](const sim::Measured& m) { return m.forward_loss_percent; },
       [](double v) { return Relative(v, 100 * (1 - 10 / 10.5)) <= 0.30; }, 0.1, 1, false, 0.5},
  };
  std::cout << "| impairment | figure | probe every | expected | mean over seeds | range | bound "
               "| seeds within |\n|---|---|---|---|---|---|---|---|\n";
  for (const auto& row : rows) {
    for (const Nanos interval : {Nanos(20ms), Nanos(100ms), Nanos(1s)}) {
      const auto count = static_cast<std::int64_t>(probes * row.probes_share);
      const Nanos duration = interval * count;
      std::string link = row.link;
      if (row.ramp) link.replace(link.find("{}"), 2, FormatDuration(duration));
      const std::string yaml = fmt::format(
          "name: fidelity\nduration: {}\ntunnels:\n  a: {{site: x, peer: y}}\nlinks:\n  a: {}\n"
          "probes: {{interval: {}}}\n",
          FormatDuration(duration), link, FormatDuration(interval));
      auto scenario = sim::ParseScenario(yaml, "fidelity");
      if (!scenario) {
        std::cerr << scenario.error().message << "\n" << yaml;
        return 2;
      }
      std::vector<double> values;
      std::uint32_t within = 0;
      for (std::uint32_t seed = 1; seed <= seeds; ++seed) {
        sim::RunOptions options;
        options.seed = seed;
        auto run = sim::RunScenario(*scenario, options);
        if (!run) {
          std::cerr << run.error().message << "\n";
          return 1;
        }
        const auto from = std::chrono::duration_cast<Nanos>(duration * row.from);
        const auto to = std::chrono::duration_cast<Nanos>(duration * row.to);
        const sim::Measured m = sim::Measure(run->probes_by_session.at("a"), from, to);
        const double v = row.read(m);
        values.push_back(v);
        bool ok = false;
        if (row.within) {
          ok = row.within(v);
        } else {
          // 3 standard deviations of a proportion over the probes measured.
          const double p = row.expected / 100;
          ok = std::abs(v / 100 - p) <= 3 * std::sqrt(p * (1 - p) / double(m.sent));
        }
        within += ok;
      }
      double sum = 0;
      for (double v : values) sum += v;
      const auto [low, high] = std::minmax_element(values.begin(), values.end());
      std::cout << fmt::format("| {} | {} | {} | {:.3f} | {:.3f} | {:.3f}–{:.3f} | {} | {}/{} |\n",
                               row.kind, row.figure, FormatDuration(interval), row.expected,
                               sum / double(values.size()), *low, *high, row.bound_text, within,
                               seeds);
      std::cout.flush();
    }
  }
  return 0;
}
