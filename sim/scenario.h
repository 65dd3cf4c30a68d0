// Scenarios: a topology with impairments over time, the TWAMP probes, the SLA
// classes and policy (the same sections as lineup.yaml), and expectations
// the run must meet. The format is documented in docs/sim.md; the library
// of scenarios is in scenarios/.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "autoflow/policy.h"
#include "sim/netsim.h"

namespace lineup::sim {

// A check on the run, in scenario time (from its start).
struct Expectation {
  enum Kind {
    kOn,              // traffic class `subject` is on line `line` (or one of `lines`) at `at`
    kTimeOn,          // ... on line `line` for at most `at_most` in [from, to) (not_on: 0)
    kTimeOnViolated,  // ... at most `at_most` in [from, to) on a line the analyzer holds
                      // down or in violation of the class's SLA class
    kMaxSwitches,     // at most `count` moves of class `subject` in [from, to)
    kLoss,  // measured round-trip loss % of tunnel `subject` in [from, to) within [low, high]
    kForwardLoss,    // ... of the outbound direction (sender to reflector)
    kBackwardLoss,   // ... of the inbound direction
    kRtt,            // mean round trip (ms)
    kJitter,         // mean |IPDV| (ms)
    kForwardDelay,   // mean one-way delay, sender to reflector (ms)
    kBackwardDelay,  // ... reflector to sender
    kForwardJitter,  // mean |IPDV| of the one-way delay, sender to reflector (ms)
    kBackwardJitter,
    kDown,          // tunnel `subject` reported down within [from, to)
    kNotDown,       // ... never reported down within [from, to)
    kSessionFault,  // a session of tunnel `subject` reported faulty within [from, to)
  };
  Kind kind = kOn;
  std::string subject;
  std::string line;
  std::vector<std::string> lines;  // kOn: any of these (`on_any_of`); else {line}
  std::string sla_class;           // kTimeOnViolated: the traffic class's
  Nanos at{0}, from{0}, to{0};
  Nanos after{0};                           // kOn: the impairment start, for the time to switch
  std::optional<Nanos> time_to_switch_max;  // kOn with `after`: the move within this
  Nanos at_most{0};                         // kTimeOn
  std::string rule;                         // kOn with `after`: the rule the move there must have
  std::uint32_t count = 0;
  double low = 0, high = 0;
  std::string text;  // where it is written (file:line), for messages
};

// The tunnels of a line: a tunnel, or a path through hubs written as its
// tunnels joined by '>' (paris-hub>berlin-hub).
std::vector<std::string> TunnelsOfLine(const std::string& line);

// A TWAMP session of the scenario on one tunnel. By default each probed
// tunnel has one, named after it; `probes.sessions` gives a tunnel several
// (a voice session with EF probes beside a bulk one), each named
// TUNNEL/NAME as the daemon names them, to its own reflector port.
struct ProbeSession {
  std::string name;               // TUNNEL, or TUNNEL/NAME
  std::string tunnel;             // the tunnel it measures
  std::optional<Nanos> interval;  // none: the scenario's probe interval
  std::uint32_t padding = 30;
  std::uint8_t dscp = 0;
  std::uint16_t port = 0;  // the reflector's UDP port on the tunnel's far end
  // Spans [from, to) of scenario time in which its reflector port does not
  // answer (a dead port, a reflector down) while the tunnel carries on.
  std::vector<std::pair<Nanos, Nanos>> dead;
};

struct Scenario {
  std::string name;
  std::string description;
  std::string origin;  // the file
  Nanos duration{std::chrono::minutes(10)};
  std::uint32_t seed = 1;
  WallTime start;  // scenario time 0 in the log
  net::Network network;
  Nanos probe_interval{std::chrono::milliseconds(100)};
  // A probe without a reply after this long is lost (and known lost then).
  Nanos loss_timeout{std::chrono::seconds(1)};
  std::uint32_t padding = 30;
  std::uint8_t dscp = 0;
  std::vector<std::string> probed;     // tunnels with a TWAMP session (default: all)
  std::vector<ProbeSession> sessions;  // every session, in order
  autoflow::LoadedConfig config;       // SLA classes, tunnels, policy
  // The volume of traffic classes (wire Mbit/s from site to peer), carried
  // on the line the controller puts each on.
  std::map<std::string, double> traffic_mbps;
  std::vector<Expectation> expectations;
};

[[nodiscard]] Result<Scenario> ParseScenario(std::string_view yaml, std::string origin);
[[nodiscard]] Result<Scenario> LoadScenario(const std::string& path);

}  // namespace lineup::sim
