#include "store/measurements.h"

#include <fmt/format.h>

#include <algorithm>

namespace lineup::store {
namespace {

DelayFigures Figures(const measure::DirectionStats& d) {
  return {d.delay.min.count(),      d.delay.mean.count(),
          d.delay.max.count(),      d.delay.median.count(),
          d.delay.p95.count(),      d.delay.p99.count(),
          d.delay.stddev.count(),   d.jitter.mean_abs.count(),
          d.jitter.rfc3550.count(), static_cast<std::uint32_t>(d.delay.count)};
}

std::string Ms(std::int64_t ns) { return fmt::format("{:.3f}", double(ns) / 1e6); }

}  // namespace

std::string SessionStream(const measure::SessionConfig& config) {
  return SessionStreamOf(config.DisplayName());
}

SessionConfigured ConfiguredFrom(const measure::SessionConfig& c) {
  SessionConfigured e;
  e.session = c.DisplayName();
  e.destination = measure::FormatEndpoint(c.destination);
  e.source = c.source ? measure::FormatEndpoint(*c.source) : "";
  e.count = c.count;
  e.interval_ns = c.interval.count();
  e.poisson = c.interval_kind == measure::IntervalKind::kPoisson;
  e.padding = c.padding;
  e.dscp = c.dscp;
  e.ttl = c.ttl;
  e.dont_fragment = c.dont_fragment;
  return e;
}

RunSummary SummaryFrom(const measure::SessionResult& r) {
  return SummaryFrom(r.summary, r.started, r.finished);
}

RunSummary SummaryFrom(const measure::Summary& s, WallTime started, WallTime finished) {
  RunSummary e;
  e.started_ns = ToUnixNanos(started);
  e.finished_ns = ToUnixNanos(finished);
  e.sent = s.sent;
  e.received = s.received;
  e.lost = s.lost;
  e.lost_forward = s.lost_forward ? std::int64_t{*s.lost_forward} : -1;
  e.lost_backward = s.lost_backward ? std::int64_t{*s.lost_backward} : -1;
  e.duplicates = s.duplicates;
  e.reordered = s.reordered;
  e.late = s.late;
  e.one_way_synchronized = s.one_way_synchronized;
  e.forward = Figures(s.forward);
  e.backward = Figures(s.backward);
  e.round_trip = Figures(s.round_trip);
  return e;
}

namespace {
bool InTime(const measure::PacketRecord& p, Nanos wait) {
  return p.reply && (wait <= Nanos(0) || p.reply->t4 - p.t1 <= wait);
}
}  // namespace

WallTime KnownAt(const measure::PacketRecord& p, Nanos wait) {
  return InTime(p, wait) ? p.reply->t4 : p.t1 + wait;
}

Event SampleEvent(const std::string& stream, const measure::PacketRecord& p, Nanos wait,
                  WallTime not_before) {
  ProbeSample s;
  s.sequence = p.sequence;
  s.t1_ns = ToUnixNanos(p.t1);
  if (InTime(p, wait)) {
    s.t2_ns = ToUnixNanos(p.reply->t2);
    s.t3_ns = ToUnixNanos(p.reply->t3);
    s.t4_ns = ToUnixNanos(p.reply->t4);
    s.reflector_sequence = p.reply->reflector_sequence;
    s.ttl_at_reflector = static_cast<std::int16_t>(p.reply->ttl_at_reflector);
    s.reply_ttl = static_cast<std::int16_t>(p.reply->reply_ttl);
    s.reply_tos = static_cast<std::int16_t>(p.reply->reply_tos);
    s.clocks_synchronized = p.reply->clocks_synchronized;
  } else {
    s.lost = true;
  }
  return Event{std::max(KnownAt(p, wait), not_before), stream, s, {}, {}};
}

std::vector<Event> EventsFromRun(const measure::SessionResult& r) {
  const std::string stream = SessionStream(r.config);
  std::vector<Event> out;
  out.reserve(r.packets.size() + 1);
  WallTime previous{};
  for (const auto& p : r.packets) {
    out.push_back(SampleEvent(stream, p, r.config.wait, previous));
    previous = out.back().time;
  }
  out.push_back(SummaryEvent(r));
  return out;
}

Event SummaryEvent(const measure::SessionResult& r) {
  const std::string stream = SessionStream(r.config);
  Event summary{r.finished, stream, SummaryFrom(r), {}, {}};
  summary.event_id = fmt::format("run/{}/{}", stream, ToUnixNanos(r.started));
  return summary;
}

std::string Describe(const Event& event) {
  return std::visit(
      [](const auto& p) -> std::string {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, ProbeSample>) {
          if (p.lost) return fmt::format("seq {} lost", p.sequence);
          const std::int64_t fwd = p.t2_ns - p.t1_ns;
          const std::int64_t bwd = p.t4_ns - p.t3_ns;
          return fmt::format("seq {} rtt {} ms (out {}, in {})", p.sequence, Ms(fwd + bwd), Ms(fwd),
                             Ms(bwd));
        } else if constexpr (std::is_same_v<T, RunSummary>) {
          return fmt::format("sent {} received {} lost {} ({:.2f}%), rtt min/avg/max {}/{}/{} ms",
                             p.sent, p.received, p.lost, p.sent ? 100.0 * p.lost / p.sent : 0.0,
                             Ms(p.round_trip.min_ns), Ms(p.round_trip.mean_ns),
                             Ms(p.round_trip.max_ns));
        } else if constexpr (std::is_same_v<T, SessionConfigured>) {
          return fmt::format("{} -> {}, {} packets every {} ms, DSCP {}", p.session, p.destination,
                             p.count, Ms(p.interval_ns), p.dscp);
        } else if constexpr (std::is_same_v<T, SessionDeleted>) {
          return fmt::format("{} deleted: {}", p.session, p.reason);
        } else if constexpr (std::is_base_of_v<SlaChange, T>) {
          return fmt::format("{} {}: {} {} vs threshold {} {}", p.tunnel, p.sla_class, p.metric,
                             p.value, p.threshold, p.detail);
        } else if constexpr (std::is_base_of_v<TunnelState, T>) {
          return fmt::format("{} after {} lost {}", p.tunnel, p.consecutive_lost, p.detail);
        } else if constexpr (std::is_base_of_v<SessionFaultState, T>) {
          return fmt::format("{} on {} after {} lost {}", p.session, p.tunnel, p.consecutive_lost,
                             p.detail);
        } else if constexpr (std::is_same_v<T, RankingChanged>) {
          std::string out = p.sla_class + ":";
          for (const auto& t : p.ranking) {
            out +=
                fmt::format(" {} {:.3f}{}", t.tunnel, t.score, t.compliant ? "" : " (violating)");
          }
          return out;
        } else if constexpr (std::is_same_v<T, PathSwitched>) {
          return fmt::format("{}: {} -> {} by {}: {}", p.traffic_class, p.from, p.to, p.rule,
                             p.reason);
        } else {
          return fmt::format("policy {}", p.name);
        }
      },
      event.payload);
}

}  // namespace lineup::store
