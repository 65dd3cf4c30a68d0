// SLA reports over a time range of the log: per tunnel and SLA class the
// availability, compliance, latency/jitter/loss percentiles, violations with
// start, end and duration, outages and measurement gaps; path switches; totals
// per site; and time series for plots. Verdicts are re-derived from the probe
// samples with the SLA classes given (so old measurements can be judged under
// a new SLA); path switches are the controller's, as logged.
//
// Time accounting: a *gap* is a stretch with no probe sent (the measurement
// itself stopped), longer than `gap_after`; gaps are left out of every
// percentage and marked in reports. A tunnel is *down* (blackout) from the
// analyzer's TunnelDown to its TunnelUp. Availability = up time / measured
// time; compliance = compliant time / judged time (from the first verdict).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/analyzer.h"
#include "store/event_log.h"

namespace lineup::analyzer {

struct ReportOptions {
  WallTime from;  // the range is [from, to)
  WallTime to;
  // Points per plot.
  std::size_t buckets = 240;
  // Samples this long before `from` fill the analyzer's windows (not reported).
  // 0: 10 minutes, or the longest time window of the classes if longer.
  Nanos warmup{0};
  // No probe for longer than this is a gap. 0: 10 median probe intervals,
  // at least 5 s, plus the pause the schedule plans between runs (the median
  // pause between the runs of the tunnel's most frequent session, from the
  // run summaries): runs every 30 s are no gaps, a missed run is.
  Nanos gap_after{0};
  // Called now and then with the share of the range read (0..1).
  std::function<void(double)> progress;
};

struct Interval {
  WallTime start;
  WallTime end;
  bool from_before = false;  // began before the range
  bool ongoing = false;      // had not ended at the end of the range
  Nanos duration() const { return end - start; }
};

struct Violation : Interval {
  std::string sla_class;
  std::string metric;  // "blackout", "round_trip_p95", "loss", ...
  double value = 0;    // the figure that crossed the threshold
  double threshold = 0;
  std::string detail;
};

struct Distribution {  // in milliseconds; count 0 means no data
  std::uint64_t count = 0;
  double min = 0, mean = 0, p50 = 0, p95 = 0, p99 = 0, max = 0;
};

struct ClassFigures {
  std::string sla_class;
  Nanos judged{0};                // measured time with a verdict
  Nanos violated{0};              // of which in violation (blackouts included)
  double compliance_percent = 0;  // of judged time; 0 when nothing was judged
  std::vector<Violation> violations;
};

// One plot point: the probes of one time bucket. Empty buckets have sent == 0.
struct Bucket {
  std::uint32_t sent = 0;
  std::uint32_t lost = 0;
  double rtt_mean_ms = 0;
  double rtt_max_ms = 0;
  double jitter_ms = 0;  // mean |IPDV| of consecutive answered probes
};

struct TunnelReport {
  std::string name;
  std::string site;
  std::vector<std::string> sessions;
  std::uint64_t sent = 0;
  std::uint64_t lost = 0;
  double loss_percent = 0;
  Distribution rtt_ms;
  Distribution jitter_ms;                               // |IPDV| of consecutive answered probes
  std::optional<Distribution> outbound_ms, inbound_ms;  // when every probe had synced clocks
  Nanos measured{0};                                    // the range minus gaps
  Nanos down{0};
  double availability_percent = 0;
  Nanos probe_interval{0};  // median
  std::vector<Interval> outages;
  std::vector<Interval> gaps;
  std::vector<ClassFigures> classes;  // in configuration order
  std::vector<Bucket> series;
};

struct SwitchRecord {
  WallTime time;
  std::string traffic_class, from, to, rule, reason;
};

struct SiteReport {
  std::string name;
  std::vector<std::string> tunnels;
  // Time at least one tunnel was up / compliant, of the time at least one was measured.
  double availability_percent = 0;
  std::vector<std::pair<std::string, double>> compliance_percent;  // per class
  std::uint64_t violations = 0;
  std::uint64_t switches = 0;
  std::uint64_t sent = 0;
  std::uint64_t lost = 0;
};

struct Report {
  WallTime from, to;
  Nanos bucket{0};
  std::vector<SlaClass> classes;
  std::vector<TunnelReport> tunnels;  // by name
  std::vector<SiteReport> sites;      // by name; tunnels with no site form site "-"
  std::vector<SwitchRecord> switches;
  std::uint64_t samples = 0;       // probe samples in the range
  std::uint64_t events = 0;        // other events in the range
  std::vector<std::string> notes;  // things a reader should know (gaps, trimmed samples, ...)
};

// Reads the log over the range (and the warm-up before it) once. Errors: an
// empty range, no probe samples in the range (the message says where the log
// has data), or a read failure. Safe while another process appends.
[[nodiscard]] Result<Report> BuildReport(const store::EventLog& log, const AnalyzerConfig& config,
                                         const ReportOptions& options);

}  // namespace lineup::analyzer
