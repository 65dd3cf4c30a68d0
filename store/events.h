// The events of Lineup's log: every measurement, configuration change and
// decision. Each payload is a plain value type with a schema version and a
// Fields() function that lists its fields for cereal; a field added later is
// read only from records whose version has it, so old logs stay readable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/clock.h"

namespace lineup::store {

// Stable numbers: they are on disk. Never reuse one.
enum class EventType : std::uint16_t {
  kSessionConfigured = 1,  // added or changed
  kSessionDeleted = 2,
  kProbeSample = 10,
  kRunSummary = 11,
  kSlaViolated = 20,
  kSlaRecovered = 21,
  kTunnelDown = 22,
  kTunnelUp = 23,
  kRankingChanged = 24,
  kSessionFault = 25,  // one session of a line unanswered while the line carries others
  kSessionRecovered = 26,
  kPathSwitched = 30,
  kPolicyChanged = 31,
};

const char* ToString(EventType type);

// Stream names, defined here only. A session's configuration, samples, runs
// and faults go to "session/<name>"; a tunnel's verdicts to "tunnel/<name>";
// an SLA class's rankings to "class/<name>"; a traffic class's decisions to
// "traffic/<name>"; the policy in force to "policy".
inline constexpr std::string_view kSessionStreamPrefix = "session/";
inline constexpr std::string_view kTunnelStreamPrefix = "tunnel/";
inline constexpr std::string_view kClassStreamPrefix = "class/";
inline constexpr std::string_view kTrafficStreamPrefix = "traffic/";
inline constexpr std::string_view kPolicyStream = "policy";
inline std::string SessionStreamOf(std::string_view session) {
  return std::string(kSessionStreamPrefix).append(session);
}
inline std::string TunnelStreamOf(std::string_view tunnel) {
  return std::string(kTunnelStreamPrefix).append(tunnel);
}
inline std::string ClassStreamOf(std::string_view sla_class) {
  return std::string(kClassStreamPrefix).append(sla_class);
}
inline std::string TrafficStreamOf(std::string_view traffic_class) {
  return std::string(kTrafficStreamPrefix).append(traffic_class);
}
// The name after `prefix` in `stream`; nullopt when the stream has another prefix.
inline std::optional<std::string> NameInStream(std::string_view stream, std::string_view prefix) {
  if (stream.substr(0, prefix.size()) != prefix) return std::nullopt;
  return std::string(stream.substr(prefix.size()));
}

// The value of "KEY=VALUE" in a settings text of space-separated words ("" when absent).
std::string SettingsWord(std::string_view settings, std::string_view key);

struct SessionConfigured {
  static constexpr EventType kType = EventType::kSessionConfigured;
  static constexpr std::uint16_t kSchemaVersion = 2;
  std::string session;
  std::string destination;
  std::string source;
  std::uint32_t count = 0;
  std::int64_t interval_ns = 0;
  bool poisson = false;
  std::uint32_t padding = 0;
  std::uint8_t dscp = 0;
  std::uint8_t ttl = 0;
  bool dont_fragment = false;
  std::string settings;  // anything else, as the configuration wrote it
  std::string tunnel;    // v2: the tunnel the session measures ("": itself)

  template <class A>
  void Fields(A& a, std::uint16_t version) {
    a(session, destination, source, count, interval_ns, poisson, padding, dscp, ttl, dont_fragment,
      settings);
    if (version >= 2) {
      a(tunnel);
    } else if constexpr (A::is_loading::value) {
      tunnel = SettingsWord(settings, "tunnel");  // v1 (lineup run) kept it in the settings
    }
  }
  bool operator==(const SessionConfigured&) const = default;
};

struct SessionDeleted {
  static constexpr EventType kType = EventType::kSessionDeleted;
  static constexpr std::uint16_t kSchemaVersion = 1;
  std::string session;
  std::string reason;
  template <class A>
  void Fields(A& a, std::uint16_t) {
    a(session, reason);
  }
  bool operator==(const SessionDeleted&) const = default;
};

// One test packet: its four timestamps, or lost.
struct ProbeSample {
  static constexpr EventType kType = EventType::kProbeSample;
  static constexpr std::uint16_t kSchemaVersion = 1;
  std::uint32_t sequence = 0;
  std::int64_t t1_ns = 0;
  std::int64_t t2_ns = 0;
  std::int64_t t3_ns = 0;
  std::int64_t t4_ns = 0;
  std::uint32_t reflector_sequence = 0;
  std::int16_t ttl_at_reflector = -1;
  std::int16_t reply_ttl = -1;
  std::int16_t reply_tos = -1;
  bool lost = false;
  bool clocks_synchronized = false;

  template <class A>
  void Fields(A& a, std::uint16_t) {
    a(sequence, t1_ns, t2_ns, t3_ns, t4_ns, reflector_sequence, ttl_at_reflector, reply_ttl,
      reply_tos, lost, clocks_synchronized);
  }
  bool operator==(const ProbeSample&) const = default;
};

struct DelayFigures {
  std::int64_t min_ns = 0, mean_ns = 0, max_ns = 0, median_ns = 0, p95_ns = 0, p99_ns = 0,
               stddev_ns = 0, jitter_ns = 0, rfc3550_ns = 0;
  std::uint32_t count = 0;
  template <class A>
  void serialize(A& a) {
    a(min_ns, mean_ns, max_ns, median_ns, p95_ns, p99_ns, stddev_ns, jitter_ns, rfc3550_ns, count);
  }
  bool operator==(const DelayFigures&) const = default;
};

// The figures of one test run.
struct RunSummary {
  static constexpr EventType kType = EventType::kRunSummary;
  static constexpr std::uint16_t kSchemaVersion = 1;
  std::int64_t started_ns = 0;
  std::int64_t finished_ns = 0;
  std::uint32_t sent = 0;
  std::uint32_t received = 0;
  std::uint32_t lost = 0;
  std::int64_t lost_forward = -1;  // -1: unknown (stateless reflector)
  std::int64_t lost_backward = -1;
  std::uint32_t duplicates = 0;
  std::uint32_t reordered = 0;
  std::uint32_t late = 0;
  bool one_way_synchronized = false;
  DelayFigures forward, backward, round_trip;

  template <class A>
  void Fields(A& a, std::uint16_t) {
    a(started_ns, finished_ns, sent, received, lost, lost_forward, lost_backward, duplicates,
      reordered, late, one_way_synchronized, forward, backward, round_trip);
  }
  bool operator==(const RunSummary&) const = default;
};

// SLA state changes, with the figures that caused them.
struct SlaChange {
  std::string tunnel;
  std::string sla_class;
  std::string metric;  // "rtt_p95", "loss", "jitter", ...
  double value = 0;
  double threshold = 0;
  std::string detail;
  template <class A>
  void Fields(A& a, std::uint16_t) {
    a(tunnel, sla_class, metric, value, threshold, detail);
  }
  bool operator==(const SlaChange&) const = default;
};
struct SlaViolated : SlaChange {
  static constexpr EventType kType = EventType::kSlaViolated;
  static constexpr std::uint16_t kSchemaVersion = 1;
};
struct SlaRecovered : SlaChange {
  static constexpr EventType kType = EventType::kSlaRecovered;
  static constexpr std::uint16_t kSchemaVersion = 1;
};

struct TunnelState {
  std::string tunnel;
  std::uint32_t consecutive_lost = 0;
  std::string detail;
  template <class A>
  void Fields(A& a, std::uint16_t) {
    a(tunnel, consecutive_lost, detail);
  }
  bool operator==(const TunnelState&) const = default;
};
struct TunnelDown : TunnelState {
  static constexpr EventType kType = EventType::kTunnelDown;
  static constexpr std::uint16_t kSchemaVersion = 1;
};
struct TunnelUp : TunnelState {
  static constexpr EventType kType = EventType::kTunnelUp;
  static constexpr std::uint16_t kSchemaVersion = 1;
};

// A session that stopped being answered while another session of its line
// was still answered: a fault of that session (a reflector port, a filter),
// not an outage of the line. Its samples do not count for the line meanwhile.
struct SessionFaultState {
  std::string session;
  std::string tunnel;
  std::uint32_t consecutive_lost = 0;
  std::string detail;
  template <class A>
  void Fields(A& a, std::uint16_t) {
    a(session, tunnel, consecutive_lost, detail);
  }
  bool operator==(const SessionFaultState&) const = default;
};
struct SessionFault : SessionFaultState {
  static constexpr EventType kType = EventType::kSessionFault;
  static constexpr std::uint16_t kSchemaVersion = 1;
};
struct SessionRecovered : SessionFaultState {
  static constexpr EventType kType = EventType::kSessionRecovered;
  static constexpr std::uint16_t kSchemaVersion = 1;
};

struct RankedTunnel {
  std::string tunnel;
  double score = 0;
  bool compliant = false;
  template <class A>
  void serialize(A& a) {
    a(tunnel, score, compliant);
  }
  bool operator==(const RankedTunnel&) const = default;
};

// A ranked tunnel's figures over its window (ms, ms, percent).
struct LineFigures {
  double latency_ms = 0;
  double jitter_ms = 0;
  double loss_percent = 0;
  template <class A>
  void serialize(A& a) {
    a(latency_ms, jitter_ms, loss_percent);
  }
  bool operator==(const LineFigures&) const = default;
};

// The evidence behind a ranked tunnel's loss figure, so that the controller
// can tell lines apart only where the measurements can.
struct LineEvidence {
  double loss_low_percent = 0;  // Wilson bounds at the class's confidence
  double loss_high_percent = 100;
  double loss_share = 0;      // what the loss threshold contributes to the score
  std::uint64_t samples = 0;  // probes in the window(s) judged
  bool unknown = false;       // no fresh measurement: never a target
  template <class A>
  void serialize(A& a) {
    a(loss_low_percent, loss_high_percent, loss_share, samples, unknown);
  }
  bool operator==(const LineEvidence&) const = default;
};

struct RankingChanged {
  static constexpr EventType kType = EventType::kRankingChanged;
  static constexpr std::uint16_t kSchemaVersion = 3;
  std::string sla_class;
  std::vector<RankedTunnel> ranking;  // best first
  std::vector<LineFigures> figures;   // v2: the same order as ranking (paths through hubs use them)
  std::vector<LineEvidence> evidence;  // v3: the same order as ranking
  template <class A>
  void Fields(A& a, std::uint16_t version) {
    a(sla_class, ranking);
    if (version >= 2) a(figures);
    if (version >= 3) a(evidence);
  }
  bool operator==(const RankingChanged&) const = default;
};

// A load-balanced class's share of traffic on one line.
struct LineWeight {
  std::string tunnel;
  double weight = 0;  // 0..1, the weights of a decision sum to 1
  template <class A>
  void serialize(A& a) {
    a(tunnel, weight);
  }
  bool operator==(const LineWeight&) const = default;
};

// The controller moved a traffic class to another line (or set of lines).
struct PathSwitched {
  static constexpr EventType kType = EventType::kPathSwitched;
  static constexpr std::uint16_t kSchemaVersion = 2;
  std::string traffic_class;
  std::string from;    // "" at the first decision
  std::string to;      // a tunnel, "a+b" for a load-balanced set, "" when no line is usable
  std::string rule;    // which policy rule decided
  std::string reason;  // the figures, in words
  std::vector<LineWeight> weights;  // v2: load balance shares
  std::vector<std::string> path;    // v2: tunnels of a path through hubs, in order

  template <class A>
  void Fields(A& a, std::uint16_t version) {
    a(traffic_class, from, to, rule, reason);
    if (version >= 2) a(weights, path);
  }
  bool operator==(const PathSwitched&) const = default;
};

// The policy in force, as data: what the analyzer and the controller need,
// so a replay never depends on today's YAML grammar. Enumerations are stored
// as their documented numbers (autoflow/policy_record.cc maps them), times in
// nanoseconds.
struct ThresholdRecord {
  std::uint8_t metric = 0;     // 0 latency, 1 jitter, 2 loss, 3 MOS
  std::uint8_t statistic = 0;  // 0 mean, 1 median, 2 p95, 3 p99, 4 max
  double enter = 0;
  double exit = 0;
  template <class A>
  void serialize(A& a) {
    a(metric, statistic, enter, exit);
  }
  bool operator==(const ThresholdRecord&) const = default;
};

struct SlaClassRecord {
  std::string name;
  std::uint8_t latency = 0;  // 0 round trip, 1 outbound, 2 inbound
  std::uint32_t window_samples = 0;
  std::int64_t window_ns = 0;
  std::vector<ThresholdRecord> thresholds;
  std::uint32_t min_samples = 0;
  double confidence = 0;
  std::vector<std::uint8_t> dscp;
  template <class A>
  void serialize(A& a) {
    a(name, latency, window_samples, window_ns, thresholds, min_samples, confidence, dscp);
  }
  bool operator==(const SlaClassRecord&) const = default;
};

struct AntiFlapRecord {
  std::int64_t min_dwell_ns = 0;
  double min_improvement_percent = 0;
  double min_score_gain = 0;
  bool damping = false;
  double damping_penalty = 0, damping_suppress = 0, damping_reuse = 0;
  std::int64_t damping_half_life_ns = 0, damping_max_suppress_ns = 0;
  std::int64_t failback_delay_ns = 0;
  std::uint32_t max_switches = 0;
  std::int64_t switch_period_ns = 0;
  std::int64_t initial_wait_ns = 0;
  template <class A>
  void serialize(A& a) {
    a(min_dwell_ns, min_improvement_percent, min_score_gain, damping, damping_penalty,
      damping_suppress, damping_reuse, damping_half_life_ns, damping_max_suppress_ns,
      failback_delay_ns, max_switches, switch_period_ns, initial_wait_ns);
  }
  bool operator==(const AntiFlapRecord&) const = default;
};

struct TrafficClassRecord {
  std::string name;
  std::string sla_class;
  std::uint8_t strategy = 0;  // 0 best, 1 priority, 2 load balance
  std::vector<std::string> tunnels;
  std::vector<std::string> preferred;
  bool best_of_worst = true;
  std::string destination;
  std::string source;
  double path_latency_ms = 0, path_loss_percent = 0, path_jitter_ms = 0;
  AntiFlapRecord anti_flap;
  template <class A>
  void serialize(A& a) {
    a(name, sla_class, strategy, tunnels, preferred, best_of_worst, destination, source,
      path_latency_ms, path_loss_percent, path_jitter_ms, anti_flap);
  }
  bool operator==(const TrafficClassRecord&) const = default;
};

struct TunnelRecord {
  std::string name;
  std::string site;
  std::string peer;
  template <class A>
  void serialize(A& a) {
    a(name, site, peer);
  }
  bool operator==(const TunnelRecord&) const = default;
};

struct NamePairRecord {
  std::string key;
  std::string value;
  template <class A>
  void serialize(A& a) {
    a(key, value);
  }
  bool operator==(const NamePairRecord&) const = default;
};

struct PolicyRecord {
  // The analyzer's part.
  std::vector<SlaClassRecord> sla_classes;
  std::uint32_t blackout_after_lost = 0;
  std::int64_t ranking_interval_ns = 0;
  std::vector<NamePairRecord> tunnel_of_session;  // session -> tunnel
  bool sessions_without_tunnel_are_lines = false;
  std::int64_t stale_after_ns = 0;
  std::vector<NamePairRecord> site_of_tunnel;  // tunnel -> site, for reports
  // The controller's part.
  std::vector<TrafficClassRecord> classes;
  std::vector<TunnelRecord> tunnels;
  std::vector<std::string> hubs;
  template <class A>
  void serialize(A& a) {
    a(sla_classes, blackout_after_lost, ranking_interval_ns, tunnel_of_session,
      sessions_without_tunnel_are_lines, stale_after_ns, site_of_tunnel, classes, tunnels, hubs);
  }
  bool operator==(const PolicyRecord&) const = default;
};

struct PolicyChanged {
  static constexpr EventType kType = EventType::kPolicyChanged;
  static constexpr std::uint16_t kSchemaVersion = 2;
  std::string name;
  std::string document;  // the policy as loaded (YAML or JSON text), for people and the API
  // v2: the policy as data; replay uses it, never the document. Empty in a
  // v1 record, whose document is read with today's grammar instead.
  std::optional<PolicyRecord> policy;
  template <class A>
  void Fields(A& a, std::uint16_t version) {
    a(name, document);
    if (version >= 2) {
      bool present = policy.has_value();
      a(present);
      if (present && !policy) policy.emplace();
      if (present) a(*policy);
    }
  }
  bool operator==(const PolicyChanged&) const = default;
};

using Payload = std::variant<SessionConfigured, SessionDeleted, ProbeSample, RunSummary,
                             SlaViolated, SlaRecovered, TunnelDown, TunnelUp, RankingChanged,
                             PathSwitched, PolicyChanged, SessionFault, SessionRecovered>;

EventType TypeOf(const Payload& payload);

struct Event {
  WallTime time;       // when it happened (not when it was logged)
  std::string stream;  // what it is about: a session, tunnel or traffic class
  Payload payload;
  std::string event_id;  // optional: an append with a known id is not written twice
  std::optional<std::uint64_t> expected_revision;  // optional: the stream's revision before it

  EventType type() const { return TypeOf(payload); }
  bool IsProbeSample() const { return type() == EventType::kProbeSample; }
};

// An event as the log holds it.
struct RecordedEvent {
  std::uint64_t position = 0;  // global, dense, from 0
  std::uint64_t revision = 0;  // within its stream, dense, from 0
  Event event;
};

}  // namespace lineup::store
