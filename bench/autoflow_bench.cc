// Controller figures: decision latency from an analyzer event to the
// PathSwitched event with 1,000 tunnels and 16 classes, in process and
// through a log followed live; and path computation through hubs on a
// 1,000-site hub-and-spoke overlay. Prints key=value lines.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "autoflow/controller.h"
#include "autoflow/service.h"
#include "autoflow/topology.h"

namespace {

using namespace lineup;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

constexpr int kTunnels = 1000;
constexpr int kClasses = 16;

std::string Name(int i) { return fmt::format("tunnel-{:04}", i); }

std::string PolicyYaml() {
  std::string y = "tunnels:\n";
  for (int i = 0; i < kTunnels; ++i)
    y += fmt::format("  {}: {{site: edge, peer: hub-{}}}\n", Name(i), i % 4);
  y += "sla_classes:\n";
  for (int c = 0; c < kClasses; ++c)
    y += fmt::format("  - {{name: sla-{}, latency_ms: {{enter: {}, exit: {}}}}}\n", c, 100 + c,
                     90 + c);
  y += "policy: {min_dwell: 0s, failback_delay: 0s, min_improvement_percent: 5, max_switches: "
       "100000}\n";
  y += "traffic_classes:\n";
  for (int c = 0; c < kClasses; ++c)
    y += fmt::format("  - {{name: class-{}, sla_class: sla-{}}}\n", c, c);
  return y;
}

store::RankingChanged Ranking(int cls, std::mt19937_64& rng) {
  store::RankingChanged r;
  r.sla_class = fmt::format("sla-{}", cls);
  for (int i = 0; i < kTunnels; ++i) {
    r.ranking.push_back({Name(i), double(rng() % 1000) / 1000.0, true});
    r.figures.push_back({double(rng() % 100), 1, 0.1});
  }
  std::sort(r.ranking.begin(), r.ranking.end(),
            [](const auto& a, const auto& b) { return a.score > b.score; });
  return r;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * double(v.size())))];
}

}  // namespace

int main() {
  auto config = autoflow::ParseConfig(PolicyYaml(), "bench.yaml");
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return 1;
  }
  std::mt19937_64 rng(3);
  WallTime now = FromUnixNanos(1'795'000'000'000'000'000);
  std::uint64_t position = 0;

  // In process: the time Apply takes for a verdict that moves a class.
  autoflow::Controller controller(config->policy);
  std::vector<store::Event> out;
  auto feed = [&](store::Payload p) {
    store::RecordedEvent r;
    r.position = position++;
    r.event = store::Event{now, "x", std::move(p), {}, {}};
    out.clear();
    controller.Apply(r, out);
  };
  for (int c = 0; c < kClasses; ++c) feed(Ranking(c, rng));
  std::vector<double> violated_us, ranking_us;
  std::size_t switched = 0;
  for (int i = 0; i < 4000; ++i) {
    now += 100ms;
    const int c = i % kClasses;
    const std::string line = controller.Current(fmt::format("class-{}", c))->to;
    store::SlaViolated v;
    v.tunnel = line;
    v.sla_class = fmt::format("sla-{}", c);
    v.metric = "loss";
    auto t0 = Steady::now();
    feed(v);
    violated_us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - t0).count());
    switched += out.size();
    if (i % 16 == 0) {
      auto r = Ranking(c, rng);
      t0 = Steady::now();
      feed(r);
      ranking_us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - t0).count());
    }
  }
  std::printf("decide_on_violation_p50_us=%.1f p99_us=%.1f max_us=%.1f switches=%zu of=%zu\n",
              Percentile(violated_us, 0.5), Percentile(violated_us, 0.99),
              *std::max_element(violated_us.begin(), violated_us.end()), switched,
              violated_us.size());
  std::printf("decide_on_ranking_of_1000_p50_us=%.1f p99_us=%.1f\n", Percentile(ranking_us, 0.5),
              Percentile(ranking_us, 0.99));

  // Through a log followed live: append the verdict, wait for the decision.
  auto log = store::MakeMemoryLog();
  if (!autoflow::RecordPolicy(*log, "bench.yaml", *config, now)) return 1;
  std::vector<store::Event> setup;
  for (int c = 0; c < kClasses; ++c)
    setup.push_back(store::Event{now, "class", Ranking(c, rng), {}, {}});
  if (!log->Append(setup)) return 1;
  const RealClock clock;
  auto service = autoflow::ControllerService::Start(*log, nullptr, clock);
  if (!service) return 1;
  while ((*service)->next_position() < log->head()) std::this_thread::sleep_for(1ms);
  std::vector<double> e2e_us;
  for (int i = 0; i < 1000; ++i) {
    now += 100ms;
    const int c = i % kClasses;
    std::string line;
    for (const auto& [cls, a] : (*service)->Assignments()) {
      if (cls == fmt::format("class-{}", c)) line = a.to;
    }
    store::SlaViolated v;
    v.tunnel = line;
    v.sla_class = fmt::format("sla-{}", c);
    v.metric = "loss";
    const std::uint64_t before = log->head();
    const auto t0 = Steady::now();
    if (!log->Append(std::vector<store::Event>{store::Event{now, "tunnel/x", v, {}, {}}})) return 1;
    while (log->head() < before + 2) std::this_thread::yield();  // the verdict, then the switch
    e2e_us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - t0).count());
  }
  (*service)->Stop();
  std::printf("through_the_log_p50_us=%.1f p99_us=%.1f (append verdict -> PathSwitched appended)\n",
              Percentile(e2e_us, 0.5), Percentile(e2e_us, 0.99));

  // Paths through hubs: 1,000 sites, each with a tunnel to two hubs, the hubs linked.
  std::map<std::string, autoflow::TunnelEnd> overlay;
  for (int s = 0; s < 1000; ++s) {
    overlay[fmt::format("s{}-a", s)] = {fmt::format("site-{}", s), "hub-a"};
    overlay[fmt::format("s{}-b", s)] = {fmt::format("site-{}", s), "hub-b"};
  }
  overlay["hub-link"] = {"hub-a", "hub-b"};
  autoflow::Topology topology(overlay);
  for (const auto& [name, end] : overlay) {
    topology.SetLine(name, autoflow::PathFigures{double(5 + rng() % 60), double(rng() % 20) / 10,
                                                 double(rng() % 10)});
  }
  std::vector<double> path_us;
  std::size_t found = 0;
  for (int i = 0; i < 200; ++i) {
    const auto from = fmt::format("site-{}", rng() % 1000);
    const auto to = fmt::format("site-{}", rng() % 1000);
    const auto t0 = Steady::now();
    auto paths = topology.Best(from, to, autoflow::Limits{150, 3, 30}, 3);
    path_us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - t0).count());
    found += !paths.empty();
  }
  std::printf("hub_path_1000_sites_p50_us=%.0f p99_us=%.0f places=%zu tunnels=%zu found=%zu/200\n",
              Percentile(path_us, 0.5), Percentile(path_us, 0.99), topology.places(),
              overlay.size(), found);
  return 0;
}
