#include "report/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/icl/interval_set.hpp>
#include <cmath>
#include <map>
#include <set>

#include "base/time_text.h"
#include "measure/metrics.h"

namespace lineup::analyzer {
namespace {

using namespace std::chrono_literals;
// Times as nanoseconds since 1970, in right-open intervals [a, b).
using TimeSet = boost::icl::interval_set<std::int64_t>;
using Span = boost::icl::interval<std::int64_t>;

std::int64_t Length(const TimeSet& set) {
  std::int64_t total = 0;
  for (const auto& i : set) total += i.upper() - i.lower();
  return total;
}

TimeSet Range(std::int64_t from, std::int64_t to) {
  TimeSet s;
  if (to > from) s.add(Span::right_open(from, to));
  return s;
}

double Percent(std::int64_t part, std::int64_t whole) {
  return whole > 0 ? 100.0 * double(part) / double(whole) : 0.0;
}

Distribution Distribute(std::vector<float>& values) {
  Distribution d;
  d.count = values.size();
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (float v : values) sum += v;
  auto at = [&](double fraction) {
    return double(values[measure::NearestRankIndex(values.size(), fraction)]);
  };
  d.min = values.front();
  d.max = values.back();
  d.mean = sum / double(values.size());
  d.p50 = at(0.50);
  d.p95 = at(0.95);
  d.p99 = at(0.99);
  return d;
}

double Ms(std::int64_t ns) { return double(ns) / 1e6; }

// What the report gathers per tunnel while it reads.
struct Gathered {
  std::set<std::string> sessions;
  std::vector<std::int64_t> times;  // of the probes sent in the range, in time order
  std::vector<float> rtt, ipdv, outbound, inbound;
  bool all_synced = true;
  std::uint64_t sent = 0, lost = 0;
  // Per session: the one jitter (measure::IpdvChain), never across sessions.
  std::map<std::string, measure::IpdvChain<double>, std::less<>> ipdv_chains;
  std::optional<Interval> down_since;
  std::vector<Interval> outages;
  struct PerClass {
    std::optional<std::int64_t> judged_since;
    std::optional<Violation> open;
    std::vector<Violation> violations;
  };
  std::vector<PerClass> classes;
  std::vector<Bucket> series;
  std::vector<std::uint32_t> ipdv_count;  // per bucket
};

// Closes an interval at `end`, clipped to the range; drops it if it ended
// before the range.
template <class I>
void Close(I interval, WallTime end, WallTime from, std::vector<I>& into, bool ongoing) {
  if (end <= from) return;
  if (interval.start < from) {
    interval.start = from;
    interval.from_before = true;
  }
  interval.end = end;
  interval.ongoing = ongoing;
  into.push_back(std::move(interval));
}

class Builder {
 public:
  Builder(const AnalyzerConfig& config, const ReportOptions& options)
      : config_(config), options_(options), analyzer_(config) {
    from_ = ToUnixNanos(options.from);
    to_ = ToUnixNanos(options.to);
    const std::int64_t buckets = static_cast<std::int64_t>(options.buckets);
    bucket_ns_ = std::max<std::int64_t>(1, (to_ - from_ + buckets - 1) / buckets);
  }

  void OnEntry(const store::RecordedEvent& r) {
    const WallTime time = r.event.time;
    const std::int64_t t = ToUnixNanos(time);
    // Every event goes to the analyzer: sessions' configurations and
    // deletions decide which line their samples speak for.
    out_.clear();
    analyzer_.Apply(r, out_);
    for (const auto& o : out_) {
      if (auto tunnel = store::NameInStream(o.stream, store::kTunnelStreamPrefix))
        OnVerdict(o, GatheredFor(*tunnel));
    }
    if (const auto* run = std::get_if<store::RunSummary>(&r.event.payload)) {
      // When each session was scheduled to be idle: the pauses between its runs.
      const std::string tunnel = analyzer_.TunnelOf(r.event.stream);
      if (!tunnel.empty() && run->finished_ns >= run->started_ns)
        runs_[tunnel][r.event.stream].emplace_back(run->started_ns, run->finished_ns);
    }
    if (const auto* s = std::get_if<store::ProbeSample>(&r.event.payload)) {
      const std::string tunnel = analyzer_.TunnelOf(r.event.stream);
      if (tunnel.empty()) return;  // a diagnostic session: on no line
      Gathered& g = GatheredFor(tunnel);
      if (t >= from_) {
        ++report_.samples;
        OnSample(r.event.stream, tunnel, t, *s, g);
      }
    } else if (t >= from_) {
      ++report_.events;
      if (const auto* p = std::get_if<store::PathSwitched>(&r.event.payload)) {
        report_.switches.push_back({time, p->traffic_class, p->from, p->to, p->rule, p->reason});
      }
    }
  }

  Report Finish(const store::LogStats& stats, std::uint64_t unreadable) {
    report_.from = options_.from;
    report_.to = options_.to;
    report_.bucket = Nanos(bucket_ns_);
    report_.classes = config_.classes;
    std::map<std::string, std::vector<const TunnelReport*>> by_site;
    for (auto& [name, g] : gathered_) {
      report_.tunnels.push_back(Tunnel(name, g));
    }
    for (const auto& t : report_.tunnels) by_site[t.site].push_back(&t);
    for (const auto& [site, tunnels] : by_site) report_.sites.push_back(Site(site, tunnels));
    if (unreadable > 0) {
      report_.notes.push_back(fmt::format(
          "{} log records could not be decoded and were skipped (see `lineup log dump`)",
          unreadable));
    }
    if (stats.sample_trim_point > 0 && stats.first_time && *stats.first_time > options_.from) {
      report_.notes.push_back(
          fmt::format("probe samples before {} were deleted by retention: the range starts earlier",
                      FormatTime(*stats.first_time)));
    }
    return std::move(report_);
  }

 private:
  Gathered& GatheredFor(const std::string& tunnel) {
    auto [it, inserted] = gathered_.try_emplace(tunnel);
    if (inserted) {
      it->second.classes.resize(config_.classes.size());
      it->second.series.resize(options_.buckets);
      it->second.ipdv_count.resize(options_.buckets);
    }
    return it->second;
  }

  void OnSample(const std::string& stream, const std::string& tunnel, std::int64_t t,
                const store::ProbeSample& s, Gathered& g) {
    const std::string_view session = std::string_view(stream).substr(stream.find('/') + 1);
    if (g.sessions.size() < 64) g.sessions.emplace(session);
    g.times.push_back(t);
    ++g.sent;
    const auto b = std::min<std::size_t>(static_cast<std::size_t>((t - from_) / bucket_ns_),
                                         options_.buckets - 1);
    Bucket& bucket = g.series[b];
    ++bucket.sent;
    auto chain = g.ipdv_chains.find(session);
    if (chain == g.ipdv_chains.end()) chain = g.ipdv_chains.try_emplace(std::string(session)).first;
    if (s.lost) {
      chain->second.Next(s.sequence, std::nullopt);
      ++g.lost;
      ++bucket.lost;
    } else {
      const double out = Ms(s.t2_ns - s.t1_ns);
      const double in = Ms(s.t4_ns - s.t3_ns);
      const double rtt = out + in;
      g.rtt.push_back(static_cast<float>(rtt));
      g.all_synced = g.all_synced && s.clocks_synchronized;
      if (g.all_synced) {
        g.outbound.push_back(static_cast<float>(out));
        g.inbound.push_back(static_cast<float>(in));
      }
      const std::uint32_t answered = bucket.sent - bucket.lost;
      bucket.rtt_mean_ms += (rtt - bucket.rtt_mean_ms) / answered;
      bucket.rtt_max_ms = std::max(bucket.rtt_max_ms, rtt);
      if (const auto d = chain->second.Next(s.sequence, rtt)) {
        const double ipdv = std::abs(*d);
        g.ipdv.push_back(static_cast<float>(ipdv));
        bucket.jitter_ms += (ipdv - bucket.jitter_ms) / ++g.ipdv_count[b];
      }
    }
    for (std::size_t c = 0; c < config_.classes.size(); ++c) {
      auto& pc = g.classes[c];
      if (!pc.judged_since && analyzer_.Judged(tunnel, c)) {
        pc.judged_since = g.times.size() == 1 ? from_ : t;  // judged before the range
      }
    }
  }

  std::size_t ClassIndex(const std::string& name) const {
    for (std::size_t c = 0; c < config_.classes.size(); ++c) {
      if (config_.classes[c].name == name) return c;
    }
    return config_.classes.size();
  }

  void OnVerdict(const store::Event& o, Gathered& g) {
    if (std::holds_alternative<store::TunnelDown>(o.payload)) {
      g.down_since = Interval{o.time, o.time, false, false};
    } else if (std::holds_alternative<store::TunnelUp>(o.payload)) {
      if (g.down_since) Close(*g.down_since, o.time, options_.from, g.outages, false);
      g.down_since.reset();
    } else if (const auto* v = std::get_if<store::SlaViolated>(&o.payload)) {
      const std::size_t c = ClassIndex(v->sla_class);
      // A line without measurements is a gap here, measured as such.
      if (c == config_.classes.size() || v->metric == "unknown") return;
      Violation open;
      open.start = open.end = o.time;
      open.sla_class = v->sla_class;
      open.metric = v->metric;
      open.value = v->value;
      open.threshold = v->threshold;
      open.detail = v->detail;
      g.classes[c].open = std::move(open);
    } else if (const auto* r = std::get_if<store::SlaRecovered>(&o.payload)) {
      const std::size_t c = ClassIndex(r->sla_class);
      if (c == config_.classes.size()) return;
      auto& pc = g.classes[c];
      if (pc.open) Close(*pc.open, o.time, options_.from, pc.violations, false);
      pc.open.reset();
    }
  }

  // How long the tunnel goes unprobed by plan: its most frequent session's
  // usual (median) pause between the end of a run and the start of the next.
  // A session probing back to back pauses 0; one run every 30 s that probes
  // for 10 s pauses 20 s, and only a silence beyond that is a gap (a run that
  // did not happen, a daemon that was down). Without run summaries: 0.
  std::int64_t PlannedPause(const std::string& tunnel) const {
    const auto it = runs_.find(tunnel);
    if (it == runs_.end()) return 0;
    std::optional<std::int64_t> shortest;
    for (const auto& [stream, runs] : it->second) {
      std::vector<std::int64_t> pauses;
      for (std::size_t i = 1; i < runs.size(); ++i)
        pauses.push_back(std::max<std::int64_t>(0, runs[i].first - runs[i - 1].second));
      std::int64_t pause = 0;
      if (!pauses.empty()) {
        const auto mid = pauses.begin() + static_cast<std::ptrdiff_t>(pauses.size() / 2);
        std::nth_element(pauses.begin(), mid, pauses.end());
        pause = *mid;
      }
      shortest = std::min(shortest.value_or(pause), pause);
    }
    return shortest.value_or(0);
  }

  TunnelReport Tunnel(const std::string& name, Gathered& g) {
    TunnelReport t;
    t.name = name;
    auto site = config_.site_of_tunnel.find(name);
    t.site = site == config_.site_of_tunnel.end() ? "-" : site->second;
    t.sessions.assign(g.sessions.begin(), g.sessions.end());
    t.sent = g.sent;
    t.lost = g.lost;
    t.loss_percent = g.sent > 0 ? 100.0 * double(g.lost) / double(g.sent) : 0;
    t.rtt_ms = Distribute(g.rtt);
    t.jitter_ms = Distribute(g.ipdv);
    if (g.all_synced && !g.outbound.empty()) {
      t.outbound_ms = Distribute(g.outbound);
      t.inbound_ms = Distribute(g.inbound);
    }
    t.series = std::move(g.series);

    // Gaps: no probe for longer than gap_after (the edges of the range too).
    std::vector<std::int64_t> steps;
    for (std::size_t i = 1; i < g.times.size(); ++i) steps.push_back(g.times[i] - g.times[i - 1]);
    if (!steps.empty()) {
      const auto mid = steps.begin() + static_cast<std::ptrdiff_t>(steps.size() / 2);
      std::nth_element(steps.begin(), mid, steps.end());
      t.probe_interval = Nanos(*mid);
    }
    const std::int64_t gap_after =
        options_.gap_after > Nanos(0) ? options_.gap_after.count()
                                      : std::max<std::int64_t>(std::chrono::nanoseconds(5s).count(),
                                                               10 * t.probe_interval.count()) +
                                            PlannedPause(name);
    TimeSet gaps;
    std::int64_t previous = from_;
    auto gap = [&](std::int64_t a, std::int64_t b) {
      if (b - a <= gap_after) return;
      gaps.add(Span::right_open(a, b));
      t.gaps.push_back({FromUnixNanos(a), FromUnixNanos(b), false, false});
    };
    for (std::int64_t time : g.times) {
      gap(previous, time);
      previous = time;
    }
    gap(previous, to_);
    if (!t.gaps.empty() && t.gaps.back().end == options_.to) t.gaps.back().ongoing = true;
    g.times = {};

    const TimeSet measured = Range(from_, to_) - gaps;
    t.measured = Nanos(Length(measured));
    if (g.down_since) Close(*g.down_since, options_.to, options_.from, g.outages, true);
    t.outages = std::move(g.outages);
    TimeSet down;
    for (const auto& o : t.outages)
      down.add(Span::right_open(ToUnixNanos(o.start), ToUnixNanos(o.end)));
    down &= measured;
    t.down = Nanos(Length(down));
    t.availability_percent = Percent(Length(measured) - Length(down), Length(measured));
    up_[name] = measured - down;
    measured_[name] = measured;

    for (std::size_t c = 0; c < config_.classes.size(); ++c) {
      auto& pc = g.classes[c];
      ClassFigures f;
      f.sla_class = config_.classes[c].name;
      if (pc.open) Close(*pc.open, options_.to, options_.from, pc.violations, true);
      f.violations = std::move(pc.violations);
      const TimeSet judged = pc.judged_since ? Range(*pc.judged_since, to_) & measured : TimeSet();
      TimeSet violated;
      for (const auto& v : f.violations) {
        violated.add(Span::right_open(ToUnixNanos(v.start), ToUnixNanos(v.end)));
      }
      violated &= judged;
      f.judged = Nanos(Length(judged));
      f.violated = Nanos(Length(violated));
      f.compliance_percent = Percent(Length(judged) - Length(violated), Length(judged));
      compliant_[{name, c}] = judged - violated;
      judged_[{name, c}] = judged;
      t.classes.push_back(std::move(f));
    }
    if (!t.gaps.empty()) {
      report_.notes.push_back(
          fmt::format("{}: {} measurement gap(s) ({} in all) are left out of its figures", name,
                      t.gaps.size(), FormatElapsed(Nanos(Length(gaps)))));
    }
    return t;
  }

  SiteReport Site(const std::string& name, const std::vector<const TunnelReport*>& tunnels) {
    SiteReport s;
    s.name = name;
    TimeSet up, measured;
    std::set<std::string> members;
    for (const auto* t : tunnels) {
      s.tunnels.push_back(t->name);
      members.insert(t->name);
      up += up_[t->name];
      measured += measured_[t->name];
      s.sent += t->sent;
      s.lost += t->lost;
      for (const auto& c : t->classes) s.violations += c.violations.size();
    }
    s.availability_percent = Percent(Length(up), Length(measured));
    for (std::size_t c = 0; c < config_.classes.size(); ++c) {
      TimeSet compliant, judged;
      for (const auto* t : tunnels) {
        compliant += compliant_[{t->name, c}];
        judged += judged_[{t->name, c}];
      }
      s.compliance_percent.emplace_back(config_.classes[c].name,
                                        Percent(Length(compliant), Length(judged)));
    }
    for (const auto& sw : report_.switches) {
      if (members.count(sw.from) != 0 || members.count(sw.to) != 0) ++s.switches;
    }
    return s;
  }

  const AnalyzerConfig& config_;
  const ReportOptions& options_;
  Analyzer analyzer_;
  std::int64_t from_ = 0, to_ = 0, bucket_ns_ = 1;
  std::vector<store::Event> out_;
  std::map<std::string, Gathered> gathered_;
  // Per tunnel, per session stream: each run's [started, finished].
  std::map<std::string, std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>>>
      runs_;
  std::map<std::string, TimeSet> up_, measured_;
  std::map<std::pair<std::string, std::size_t>, TimeSet> compliant_, judged_;
  Report report_;
};

}  // namespace

Result<Report> BuildReport(const store::EventLog& log, const AnalyzerConfig& config,
                           const ReportOptions& options) {
  if (auto valid = Validate(config); !valid) return tl::unexpected(valid.error());
  if (options.from >= options.to) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("the report range is empty: --from {} is not before --to {}",
                            FormatTime(options.from), FormatTime(options.to)));
  }
  if (options.buckets < 1 || options.buckets > 100'000) {
    return Fail(ErrorCode::kInvalidArgument, "plot points must be between 1 and 100000");
  }
  auto stats = log.Stats();
  if (!stats) return tl::unexpected(stats.error());
  Nanos warmup = options.warmup;
  if (warmup <= Nanos(0)) {
    warmup = 10min;
    for (const auto& c : config.classes) warmup = std::max(warmup, c.window.duration);
  }
  const WallTime read_from = options.from - warmup;
  Builder builder(config, options);
  std::uint64_t unreadable = 0, seen = 0;
  const double span = double(ToUnixNanos(options.to) - ToUnixNanos(read_from));
  auto read = log.ReadTime(read_from, options.to, {}, [&](const store::LogEntry& e) {
    if (!e.event) {
      ++unreadable;
      return true;
    }
    builder.OnEntry(*e.event);
    if (options.progress && ++seen % 262'144 == 0) {
      options.progress(double(ToUnixNanos(e.event->event.time) - ToUnixNanos(read_from)) / span);
    }
    return true;
  });
  if (!read) return tl::unexpected(read.error());
  Report report = builder.Finish(*stats, unreadable);
  if (options.progress) options.progress(1.0);
  if (report.samples == 0) {
    const std::string held = stats->first_time ? fmt::format("the log holds events from {} to {}",
                                                             FormatTime(*stats->first_time),
                                                             FormatTime(*stats->last_time))
                                               : std::string("the log is empty");
    return Fail(ErrorCode::kNotFound,
                fmt::format("no probe samples between {} and {}: {}; choose a range with "
                            "measurements (--from/--to)",
                            FormatTime(options.from), FormatTime(options.to), held));
  }
  return report;
}

}  // namespace lineup::analyzer
