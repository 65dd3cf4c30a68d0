#include "daemon/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "store/events.h"

namespace lineup::daemon {
namespace {

namespace prom = prometheus;

prom::Family<prom::Gauge>& Gauge(prom::Registry& r, const std::string& name,
                                 const std::string& help) {
  return prom::BuildGauge().Name(name).Help(help).Register(r);
}

prom::Family<prom::Counter>& Counter(prom::Registry& r, const std::string& name,
                                     const std::string& help) {
  return prom::BuildCounter().Name(name).Help(help).Register(r);
}

double Seconds(Nanos d) { return std::chrono::duration<double>(d).count(); }

double UnixSeconds(WallTime t) { return double(ToUnixNanos(t)) / 1e9; }

void AddHistogram(prom::Family<prom::Histogram>& family, const prom::Labels& labels,
                  const DelayHistogram& h) {
  const prom::Histogram::BucketBoundaries bounds(kDelayBucketsSeconds.begin(),
                                                 kDelayBucketsSeconds.end());
  std::vector<double> increments(h.counts.begin(), h.counts.end());
  family.Add(labels, bounds).ObserveMultiple(increments, h.sum_seconds);
}

// process_* as other exporters name them, from /proc/self.
void ProcessMetrics(prom::Registry& r) {
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (!std::getline(stat, line)) return;
  // After the command (which may hold spaces) in parentheses: field 3 on.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return;
  std::istringstream fields(line.substr(close + 2));
  std::vector<std::string> f;
  for (std::string w; fields >> w;) f.push_back(w);
  if (f.size() < 22) return;
  const double tick = double(::sysconf(_SC_CLK_TCK));
  const double page = double(::sysconf(_SC_PAGESIZE));
  const double cpu = (std::stod(f[11]) + std::stod(f[12])) / tick;  // utime + stime
  const double start_ticks = std::stod(f[19]);
  const double vsize = std::stod(f[20]);
  const double rss = std::stod(f[21]) * page;
  Counter(r, "process_cpu_seconds_total", "User and system CPU time spent in seconds")
      .Add({})
      .Increment(cpu);
  Gauge(r, "process_resident_memory_bytes", "Resident memory size in bytes").Add({}).Set(rss);
  Gauge(r, "process_virtual_memory_bytes", "Virtual memory size in bytes").Add({}).Set(vsize);
  std::ifstream uptime("/proc/uptime");
  double up = 0;
  if (uptime >> up) {
    const double boot = double(ToUnixNanos(RealClock().Now())) / 1e9 - up;  // wall time of the boot
    Gauge(r, "process_start_time_seconds", "Start time of the process since the Unix epoch")
        .Add({})
        .Set(boot + start_ticks / tick);
  }
  std::error_code ec;
  double fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  Gauge(r, "process_open_fds", "Number of open file descriptors").Add({}).Set(fds);
  const long max_fds = ::sysconf(_SC_OPEN_MAX);
  if (max_fds > 0) {
    Gauge(r, "process_max_fds", "Maximum number of open file descriptors")
        .Add({})
        .Set(double(max_fds));
  }
}

}  // namespace

std::string Metrics(Daemon& daemon) {
  prom::Registry r;
  Gauge(r, "lineup_build_info", "Always 1; the version of the running program as a label")
      .Add({{"version", daemon.version()}})
      .Set(1);

  // Sessions: what each measured since it started here, and its last run.
  const auto sessions = daemon.Sessions();
  auto& sent = Counter(r, "lineup_session_packets_sent_total", "Test packets the session sent");
  auto& received = Counter(r, "lineup_session_packets_received_total",
                           "Test packets answered (distinct sequence numbers)");
  auto& lost = Counter(r, "lineup_session_packets_lost_total",
                       "Test packets lost, by direction (unknown: a stateless reflector)");
  auto& duplicates =
      Counter(r, "lineup_session_packets_duplicated_total", "Extra copies of answered packets");
  auto& runs = Counter(r, "lineup_session_runs_total", "Runs of the session since it started");
  auto& rtt_h = prom::BuildHistogram()
                    .Name("lineup_session_round_trip_seconds")
                    .Help("Round-trip delay of each answered test packet (reflector time removed)")
                    .Register(r);
  auto& out_h = prom::BuildHistogram()
                    .Name("lineup_session_outbound_delay_seconds")
                    .Help("One-way delay to the reflector (packets with both clocks synchronized)")
                    .Register(r);
  auto& in_h = prom::BuildHistogram()
                   .Name("lineup_session_inbound_delay_seconds")
                   .Help("One-way delay back from the reflector (both clocks synchronized)")
                   .Register(r);
  auto& last_at = Gauge(r, "lineup_session_last_measurement_timestamp_seconds",
                        "When the session's last run ended, since the Unix epoch (staleness: "
                        "time() minus this)");
  auto& rtt = Gauge(r, "lineup_session_rtt_seconds", "Mean round-trip delay of the last run");
  auto& jitter =
      Gauge(r, "lineup_session_jitter_seconds", "Mean round-trip IPDV of the session's last run");
  auto& loss = Gauge(r, "lineup_session_loss_ratio", "Share of the last run's packets lost (0-1)");
  for (const auto& s : sessions) {
    const prom::Labels labels{{"session", s.config.name}, {"tunnel", s.config.tunnel}};
    const auto& t = s.totals;
    sent.Add(labels).Increment(double(t.sent));
    received.Add(labels).Increment(double(t.received));
    for (const auto& [direction, n] :
         {std::pair{"outbound", t.lost_outbound}, std::pair{"inbound", t.lost_inbound},
          std::pair{"unknown", t.lost_unknown}}) {
      prom::Labels with = labels;
      with["direction"] = direction;
      lost.Add(with).Increment(double(n));
    }
    duplicates.Add(labels).Increment(double(t.duplicates));
    runs.Add(labels).Increment(double(s.runs));
    AddHistogram(rtt_h, labels, t.round_trip);
    AddHistogram(out_h, labels, t.outbound);  // empty while the clocks are not synchronized
    AddHistogram(in_h, labels, t.inbound);
    if (t.last_measurement) last_at.Add(labels).Set(UnixSeconds(*t.last_measurement));
    if (!s.last || s.last->error) continue;
    const auto& m = s.last->summary;
    if (m.received > 0) rtt.Add(labels).Set(Seconds(m.round_trip.delay.mean));
    if (m.round_trip.jitter.pairs > 0)
      jitter.Add(labels).Set(Seconds(m.round_trip.jitter.mean_abs));
    loss.Add(labels).Set(m.LossRatio());
  }
  auto& fault = Gauge(r, "lineup_session_fault",
                      "1 while the session is unanswered but its tunnel's other sessions are (a "
                      "session fault, not a line outage)");
  for (const auto& s : daemon.LineSessions()) {
    if (s.tunnel.empty()) continue;
    fault.Add({{"session", s.session}, {"tunnel", s.tunnel}}).Set(s.fault ? 1 : 0);
  }

  // Lines, as each SLA class judges them.
  const auto rankings = daemon.Rankings();
  auto& compliant = Gauge(r, "lineup_sla_compliant",
                          "1 when the tunnel meets the SLA class, 0 when not (judged tunnels)");
  auto& score =
      Gauge(r, "lineup_sla_score", "The tunnel's score in the SLA class (0-1, higher is better)");
  auto& latency =
      Gauge(r, "lineup_tunnel_latency_seconds", "The class's latency statistic of the tunnel");
  auto& tunnel_jitter =
      Gauge(r, "lineup_tunnel_jitter_seconds", "The tunnel's jitter over the class's window");
  auto& tunnel_loss =
      Gauge(r, "lineup_tunnel_loss_ratio", "The tunnel's loss over the class's window (0-1)");
  std::map<std::string, bool> down, unknown;
  for (const auto& [cls, ranking] : rankings) {
    for (const auto& v : ranking) {
      down[v.tunnel] = down[v.tunnel] || v.down;
      unknown[v.tunnel] = unknown[v.tunnel] || v.unknown;
      if (!v.judged) continue;
      const prom::Labels labels{{"tunnel", v.tunnel}, {"sla_class", cls}};
      compliant.Add(labels).Set(v.compliant ? 1 : 0);
      score.Add(labels).Set(v.score);
      latency.Add(labels).Set(v.latency_ms / 1000);
      tunnel_jitter.Add(labels).Set(v.jitter_ms / 1000);
      tunnel_loss.Add(labels).Set(v.loss_percent / 100);
    }
  }
  // One series per line and state, 1 for the state it is in: what a status
  // panel or an alert on "not up" reads. A session fault is the line's own
  // state only while the line is up otherwise.
  std::map<std::string, bool> faulty;
  for (const auto& s : daemon.LineSessions()) {
    if (!s.tunnel.empty()) faulty[s.tunnel] = faulty[s.tunnel] || s.fault;
  }
  auto& state = Gauge(r, "lineup_line_state",
                      "1 for the line's state (up, down, unknown, fault: a session unanswered "
                      "while the line answers), 0 for the others");
  for (const auto& [tunnel, is_down] : down) {
    const std::string now = is_down           ? "down"
                            : unknown[tunnel] ? "unknown"
                            : faulty[tunnel]  ? "fault"
                                              : "up";
    for (const char* each : {"up", "down", "unknown", "fault"})
      state.Add({{"tunnel", tunnel}, {"state", each}}).Set(now == each ? 1 : 0);
  }
  auto& down_g = Gauge(r, "lineup_tunnel_down", "1 while the tunnel is in a blackout");
  for (const auto& [tunnel, is_down] : down) down_g.Add({{"tunnel", tunnel}}).Set(is_down ? 1 : 0);
  auto& unknown_g = Gauge(r, "lineup_tunnel_unknown",
                          "1 while the tunnel has no fresh measurement (never compliant, never a "
                          "target)");
  for (const auto& [tunnel, is_unknown] : unknown)
    unknown_g.Add({{"tunnel", tunnel}}).Set(is_unknown ? 1 : 0);

  // Decisions.
  const auto damping = daemon.Damping();
  auto& penalty = Gauge(r, "lineup_line_damping_penalty",
                        "The line's flap penalty in the traffic class (RFC 2439 scheme, decayed "
                        "to now)");
  auto& suppressed = Gauge(r, "lineup_line_suppressed",
                           "1 while flap damping keeps the line from optional moves of the "
                           "traffic class");
  for (const auto& d : damping) {
    const prom::Labels labels{{"traffic_class", d.traffic_class}, {"tunnel", d.tunnel}};
    penalty.Add(labels).Set(d.penalty);
    suppressed.Add(labels).Set(d.suppressed ? 1 : 0);
  }
  auto& switches = Counter(r, "lineup_path_switches_total",
                           "Path switches of the traffic class (all time, from the log)");
  auto& current = Gauge(r, "lineup_path_current", "1 for the line the traffic class uses now");
  for (const auto& [cls, a] : daemon.Paths()) {
    switches.Add({{"traffic_class", cls}})
        .Increment(double(daemon.log().StreamRevision(store::TrafficStreamOf(cls))));
    if (!a.to.empty()) current.Add({{"traffic_class", cls}, {"tunnel", a.to}}).Set(1);
  }

  // Export and responders.
  auto& ipfix_sent =
      Counter(r, "lineup_ipfix_records_sent_total", "Run records exported to the IPFIX collector");
  auto& ipfix_dropped = Counter(r, "lineup_ipfix_records_dropped_total",
                                "Run records not exported (collector unreachable, queue full)");
  for (const auto& [c, n] : daemon.Collectors()) {
    ipfix_sent.Add({{"collector", c.Describe()}}).Increment(double(n.records_sent));
    ipfix_dropped.Add({{"collector", c.Describe()}}).Increment(double(n.records_dropped));
  }
  auto& r_received =
      Counter(r, "lineup_responder_received_total", "Test packets the responder received");
  auto& r_reflected =
      Counter(r, "lineup_responder_reflected_total", "Test packets the responder answered");
  auto& r_dropped =
      Counter(r, "lineup_responder_dropped_total", "Test packets the responder dropped, by reason");
  for (const auto& responder : daemon.Responders()) {
    const prom::Labels labels{{"responder", responder.config.name}};
    std::uint64_t in = 0, out = 0;
    std::array<std::uint64_t, static_cast<std::size_t>(measure::DropReason::kCount)> dropped{};
    for (const auto& l : responder.listeners) {
      in += l.counters.received;
      out += l.counters.reflected;
      for (std::size_t i = 0; i < dropped.size(); ++i) dropped[i] += l.counters.dropped[i];
    }
    r_received.Add(labels).Increment(double(in));
    r_reflected.Add(labels).Increment(double(out));
    for (std::size_t i = 0; i < dropped.size(); ++i) {
      prom::Labels with = labels;
      with["reason"] = measure::ToString(static_cast<measure::DropReason>(i));
      r_dropped.Add(with).Increment(double(dropped[i]));
    }
  }

  ProcessMetrics(r);
  return prom::TextSerializer().Serialize(r.Collect());
}

}  // namespace lineup::daemon
