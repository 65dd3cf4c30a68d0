// Crafted analyzer output streams for controller tests: verdicts, outages and
// the passing of time, as the controller reads them from the log.
#pragma once

#include <gtest/gtest.h>

#include "autoflow/controller.h"

namespace lineup::autoflow::testing {

using namespace std::chrono_literals;

inline const WallTime kT0 = FromUnixNanos(1'795'000'000'000'000'000);

class Stream {
 public:
  explicit Stream(const std::string& yaml) {
    auto config = ParseConfig(yaml, "test.yaml");
    EXPECT_TRUE(config) << config.error().message;
    if (config) controller_.emplace(config->policy);
  }

  // Moves time to kT0 + `at`, with a probe sample every second on the way
  // (the controller's timers run on event time).
  void At(Nanos at) {
    while (now_ + 1s < kT0 + at) {
      now_ += 1s;
      store::ProbeSample p;
      Feed(p, "session/x");
    }
    now_ = kT0 + at;
  }
  void Ranking(const std::string& sla, std::vector<store::RankedTunnel> ranking,
               std::vector<store::LineFigures> figures = {},
               std::vector<store::LineEvidence> evidence = {}) {
    Feed(store::RankingChanged{sla, std::move(ranking), std::move(figures), std::move(evidence)},
         "class/" + sla);
  }
  void Violated(const std::string& tunnel, const std::string& sla,
                const std::string& metric = "loss") {
    store::SlaViolated v;
    v.tunnel = tunnel;
    v.sla_class = sla;
    v.metric = metric;
    v.value = 5;
    v.threshold = 1;
    Feed(v, "tunnel/" + tunnel);
  }
  void Recovered(const std::string& tunnel, const std::string& sla) {
    store::SlaRecovered r;
    r.tunnel = tunnel;
    r.sla_class = sla;
    Feed(r, "tunnel/" + tunnel);
  }
  void Down(const std::string& tunnel) {
    store::TunnelDown d;
    d.tunnel = tunnel;
    Feed(d, "tunnel/" + tunnel);
  }
  void Up(const std::string& tunnel) {
    store::TunnelUp u;
    u.tunnel = tunnel;
    Feed(u, "tunnel/" + tunnel);
  }

  Controller& controller() { return *controller_; }
  const std::vector<store::Event>& decisions() const { return out_; }
  const std::vector<store::RecordedEvent>& inputs() const { return in_; }
  std::vector<const store::PathSwitched*> Switches() const {
    std::vector<const store::PathSwitched*> s;
    for (const auto& e : out_) s.push_back(&std::get<store::PathSwitched>(e.payload));
    return s;
  }
  std::string Using(const std::string& cls) {
    const Assignment* a = controller_->Current(cls);
    return a ? a->to : "";
  }
  WallTime now() const { return now_; }

  void Feed(store::Payload payload, const std::string& stream) {
    store::RecordedEvent r;
    r.position = position_++;
    r.event = store::Event{now_, stream, std::move(payload), {}, {}};
    in_.push_back(r);
    controller_->Apply(r, out_);
  }

 private:
  std::optional<Controller> controller_;
  WallTime now_ = kT0;
  std::uint64_t position_ = 0;
  std::vector<store::Event> out_;
  std::vector<store::RecordedEvent> in_;
};

// Three tunnels at one site, one SLA class, and the anti-flap timers (a
// `policy` mapping; the default: dwell 30 s, 10 %, failback 2 min, 4 per 10 min).
inline std::string Config(const std::string& traffic_class, const std::string& policy = "") {
  return R"(tunnels:
  mpls: {site: paris, peer: hub}
  inet: {site: paris, peer: hub}
  lte: {site: paris, peer: hub}
sla_classes:
  - name: voice
    latency_ms: {enter: 150, exit: 120}
policy: )" +
         (policy.empty() ? "{min_dwell: 30s, min_improvement_percent: 10, failback_delay: 2m, "
                           "max_switches: 4, switch_period: 10m, initial_wait: 0s}"
                         : policy) +
         R"(
traffic_classes:
)" + traffic_class;
}

}  // namespace lineup::autoflow::testing
