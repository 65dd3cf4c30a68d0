// Runs a scenario: the ns-3 network carries TWAMP test packets built and
// read by the real Session-Sender and Session-Reflector cores (measure/),
// with ns-3's simulated time as their clock; each probe becomes a sample in
// the event log the moment the sender knows its fate (the reply's arrival,
// or the loss timeout), and the real analyzer and controller fold that log
// in lockstep, exactly as `lineup replay` will read it. Then the scenario's
// expectations are checked against what was measured and decided.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "measure/metrics.h"
#include "sim/scenario.h"
#include "store/event_log.h"

namespace lineup::sim {

// One probe as the sender saw it, in scenario time.
struct ProbePoint {
  Nanos sent{0};      // T1
  bool lost = false;  // no reply within the loss timeout
  std::uint32_t sequence = 0;
  std::uint32_t reflector_sequence = 0;  // answered probes: the reflector's own count
  double forward_ms = 0, backward_ms = 0, rtt_ms = 0;
};

// What a window of a tunnel's probes measured.
struct Measured {
  std::uint64_t sent = 0, lost = 0;
  std::uint64_t forward_lost = 0, backward_lost = 0;  // where the direction is known
  double loss_percent = 0, forward_loss_percent = 0, backward_loss_percent = 0;
  double rtt_mean_ms = 0, rtt_stddev_ms = 0;
  double forward_mean_ms = 0, forward_stddev_ms = 0;
  double backward_mean_ms = 0, backward_stddev_ms = 0;
  // Mean |IPDV| of consecutive answered probes (measure::IpdvChain, the
  // analyzer's): of the round trip, and of each one-way delay.
  double jitter_ms = 0, forward_jitter_ms = 0, backward_jitter_ms = 0;
};
// A session's probes in sequence order, as they become known; the figures
// need no probe kept.
class MeasureAccumulator {
 public:
  void Add(const ProbePoint& p);
  Measured Result() const;

 private:
  Measured m_;
  double sum_ = 0, sum2_ = 0, fsum_ = 0, fsum2_ = 0, bsum_ = 0, bsum2_ = 0;
  double ipdv_ = 0, fipdv_ = 0, bipdv_ = 0;
  std::uint64_t ipdv_count_ = 0;
  std::uint32_t first_answered_ = 0;
  std::optional<ProbePoint> previous_;  // the last answered one
  // The one jitter, as the analyzer computes it: round trip and each way.
  measure::IpdvChain<double> chain_, forward_chain_, backward_chain_;
};
// The probes of [from, to).
Measured Measure(const std::vector<ProbePoint>& probes, Nanos from, Nanos to);

struct ExpectationResult {
  Expectation expectation;
  bool passed = false;
  std::string what;                     // the expectation in words
  std::string detail;                   // what the run showed
  std::optional<Nanos> time_to_switch;  // `on` with `after`: the move's delay
};

// A decision in scenario time.
struct Decision {
  Nanos at{0};
  std::string traffic_class, from, to, rule, reason;
};

struct RunOptions {
  std::optional<std::uint32_t> seed;  // instead of the scenario's
  // Where the events go, as the run goes; it must be empty. None: the
  // events are only counted.
  store::EventLog* log = nullptr;
  // Every probe in RunOutcome::probes_by_session, for tests and tools that
  // look at them; its memory grows with the run. Off, a run's memory stays
  // flat however long it is: expectations are measured as the probes come.
  bool keep_probes = true;
  // The phase ("simulating": the network, the analyzer and the controller
  // together, the log written as it goes) and its share done, 0..1.
  std::function<void(std::string_view, double)> progress;
};

struct RunOutcome {
  std::uint32_t seed = 0;
  double wall_seconds = 0;     // the whole run
  double network_seconds = 0;  // of which the ns-3 simulation
  std::uint64_t probes = 0;
  std::uint64_t runs = 0;             // sessions' runs, each with its summary in the log
  std::uint64_t events = 0;           // written to the log
  std::uint64_t packets_dropped = 0;  // by the loss models, both ways
  std::uint64_t queue_drops = 0;      // by the links' queues
  std::uint64_t cross_packets = 0;    // cross traffic sent
  std::vector<Decision> decisions;
  std::vector<std::pair<Nanos, std::string>> outages;  // TunnelDown: when, which tunnel
  // The analyzer's judgement of lines as it changed: down and up (sla_class
  // empty), in and out of violation of an SLA class.
  struct LineChange {
    Nanos at{0};
    std::string tunnel, sla_class;
    bool bad = false;
  };
  std::vector<LineChange> line_changes;
  // SessionFault: one session of a tunnel unanswered while the tunnel is up.
  struct Fault {
    Nanos at{0};
    std::string tunnel, session;
  };
  std::vector<Fault> session_faults;
  // Every probe by session name (a tunnel's only session is named after
  // it), with RunOptions::keep_probes.
  std::map<std::string, std::vector<ProbePoint>> probes_by_session;
  std::vector<ExpectationResult> results;
  bool passed() const;
};

[[nodiscard]] Result<RunOutcome> RunScenario(const Scenario& scenario,
                                             const RunOptions& options = {});

// Many seeds of one scenario: the verdicts and time to switch per expectation.
struct ExpectationSummary {
  std::string what;
  std::uint32_t passed = 0, failed = 0;
  std::vector<Nanos> times_to_switch;  // of the runs that switched
  std::vector<std::uint32_t> failed_seeds;
};
struct SeedsOutcome {
  std::uint32_t first_seed = 0, runs = 0;
  double wall_seconds = 0;
  std::vector<ExpectationSummary> expectations;
  bool passed() const;
};
[[nodiscard]] Result<SeedsOutcome> RunSeeds(
    const Scenario& scenario, std::uint32_t first_seed, std::uint32_t runs,
    const std::function<void(std::uint32_t done, std::uint32_t runs)>& progress = {});

}  // namespace lineup::sim
