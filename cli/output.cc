#include "cli/output.h"

#include <iostream>

#include <fmt/format.h>

#include "base/time_text.h"
#include "measure/dscp.h"
#include "report/run_summary_json.h"
#include "store/measurements.h"

namespace lineup::cli {

int Fail(std::string_view command, std::string_view message, int code) {
  std::cerr << "lineup " << command << ": " << message << "\n";
  return code;
}

Result<Nanos> DurationArg(std::string_view command, std::string_view option,
                          std::string_view text) {
  auto d = ParseDuration(text);
  if (d && *d != Nanos(0) && HasNoUnit(text)) {
    std::cerr << fmt::format(
        "lineup {}: {} {} read as {}: a bare number is seconds (as twping "
        "reads it); write {}ms for milliseconds\n",
        command, option, text, FormatDuration(*d), text);
  }
  return d;
}

namespace {

using measure::DirectionStats;
using measure::Summary;

std::string Row(std::string_view label, const DirectionStats& d, std::string_view note) {
  if (d.delay.count == 0) return fmt::format("  {:<11}{:>10}\n", label, "-");
  std::string row =
      fmt::format("  {:<11}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}  {}", label, Millis(d.delay.min),
                  Millis(d.delay.mean), Millis(d.delay.max), Millis(d.delay.p95),
                  Millis(d.jitter.mean_abs), Millis(d.jitter.rfc3550), note);
  while (!row.empty() && row.back() == ' ') row.pop_back();
  return row + "\n";
}

std::string Optional(const std::optional<std::uint32_t>& v) { return v ? std::to_string(*v) : "?"; }

nlohmann::json OptionalJson(const std::optional<std::uint32_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

std::string SessionTable(const measure::SessionResult& r) {
  const auto& c = r.config;
  const Summary& s = r.summary;
  std::string out = fmt::format(
      "{} from {}: {} packets of {} B, {} {} ms, DSCP {}, TTL {}{}\n", c.DisplayName(),
      measure::FormatEndpoint(r.local), s.sent, c.PacketLength(),
      c.interval_kind == measure::IntervalKind::kPoisson ? "Poisson gaps, mean" : "every",
      Millis(c.interval), measure::DscpToString(c.dscp), c.ttl, c.dont_fragment ? ", DF" : "");
  if (r.error) return out + fmt::format("  error: {}\n", r.error->message);
  out += fmt::format("  {:<11}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}\n", "(ms)", "min", "avg", "max",
                     "p95", "jitter", "rfc3550");
  const std::string_view sync = s.one_way_synchronized ? "" : "clocks not synchronized";
  out += Row("outbound", s.forward, sync);
  out += Row("inbound", s.backward, sync);
  out += Row("round-trip", s.round_trip, "");
  out +=
      fmt::format("  loss {}/{} ({:.2f}%): outbound {}, inbound {} · duplicates {} · reordered {}",
                  s.lost, s.sent, 100.0 * s.LossRatio(), Optional(s.lost_forward),
                  Optional(s.lost_backward), s.duplicates, s.reordered);
  if (s.ttl_at_reflector_min >= 0) {
    out += fmt::format(" · TTL at reflector {}", s.ttl_at_reflector_min);
    if (s.ttl_at_reflector_max != s.ttl_at_reflector_min) {
      out += fmt::format("-{}", s.ttl_at_reflector_max);
    }
  }
  out += "\n";
  std::string notes;
  if (s.dscp_changed)
    notes += fmt::format(" {} replies came back with another DSCP;", s.dscp_changed);
  if (s.late) notes += fmt::format(" {} late replies ignored;", s.late);
  if (s.malformed) notes += fmt::format(" {} malformed replies;", s.malformed);
  if (s.short_replies) {
    notes += fmt::format(" {} replies in the short 38-40 octet form (no TTL at reflector);",
                         s.short_replies);
  }
  if (s.unexpected) notes += fmt::format(" {} replies for unsent numbers;", s.unexpected);
  if (r.icmp_errors) {
    notes += fmt::format(" {} ICMP errors (is a reflector listening on {}?);", r.icmp_errors,
                         measure::FormatEndpoint(c.destination));
  }
  if (r.send_errors) notes += fmt::format(" {} sends failed;", r.send_errors);
  if (s.received == 0 && s.sent > 0) {
    notes += " no reply came back, so no direction of loss is known;";
  } else if (!s.lost_forward && s.lost) {
    notes += " loss direction unknown (stateless reflector);";
  }
  if (!notes.empty()) out += "  note:" + notes.substr(0, notes.size() - 1) + "\n";
  return out;
}

std::string PacketTable(const measure::SessionResult& r) {
  std::string out = fmt::format("  {:>6} {:>6} {:>10} {:>10} {:>10} {:>5} {:>5} {:>5}\n", "seq",
                                "rseq", "out ms", "in ms", "rtt ms", "ttl", "rttl", "dscp");
  for (const auto& p : r.packets) {
    if (!p.reply) {
      out += fmt::format("  {:>6} {:>6} {:>10}\n", p.sequence, "-", "lost");
      continue;
    }
    const auto& x = *p.reply;
    out += fmt::format("  {:>6} {:>6} {:>10} {:>10} {:>10} {:>5} {:>5} {:>5}{}\n", p.sequence,
                       x.reflector_sequence, Millis(x.Forward(p.t1)), Millis(x.Backward()),
                       Millis(x.RoundTrip(p.t1)), x.ttl_at_reflector, x.reply_ttl,
                       x.reply_tos < 0 ? -1 : x.reply_tos >> 2,
                       p.duplicates ? fmt::format(" (+{} dup)", p.duplicates) : "");
  }
  return out;
}

std::string RawPacketLines(const measure::SessionResult& r) {
  std::string out;
  for (const auto& p : r.packets) {
    if (!p.reply) {
      out += fmt::format("{} {} - - - - -\n", p.sequence, ToUnixNanos(p.t1));
      continue;
    }
    const auto& x = *p.reply;
    out += fmt::format("{} {} {} {} {} {} {}\n", p.sequence, ToUnixNanos(p.t1), ToUnixNanos(x.t2),
                       ToUnixNanos(x.t3), ToUnixNanos(x.t4), x.ttl_at_reflector, x.reply_ttl);
  }
  return out;
}

std::string MachineSummary(const measure::SessionResult& r) {
  const Summary& s = r.summary;
  std::string out;
  auto line = [&out](std::string_view key, const auto& value) {
    out += fmt::format("{} {}\n", key, value);
  };
  auto ms = [](Nanos n) { return fmt::format("{:.6f}", double(n.count()) / 1e6); };
  auto optional = [](const std::optional<std::uint32_t>& v) {
    return v ? std::to_string(*v) : std::string("-");
  };
  line("SESSION", measure::FormatEndpoint(r.config.destination));
  line("SENT", s.sent);
  line("RECEIVED", s.received);
  line("LOST", s.lost);
  line("LOST_OUTBOUND", optional(s.lost_forward));
  line("LOST_INBOUND", optional(s.lost_backward));
  line("DUPLICATES", s.duplicates);
  line("REORDERED", s.reordered);
  line("SYNC", s.one_way_synchronized ? 1 : 0);
  const std::pair<std::string_view, const measure::DirectionStats*> directions[] = {
      {"RTT", &s.round_trip}, {"OUTBOUND", &s.forward}, {"INBOUND", &s.backward}};
  for (const auto& [name, d] : directions) {
    const bool known = d->delay.count > 0 && (d == &s.round_trip || s.one_way_synchronized);
    line(fmt::format("{}_MIN_MS", name), known ? ms(d->delay.min) : "-");
    line(fmt::format("{}_MEDIAN_MS", name), known ? ms(d->delay.median) : "-");
    line(fmt::format("{}_MAX_MS", name), known ? ms(d->delay.max) : "-");
    line(fmt::format("{}_JITTER_MS", name), d->jitter.pairs > 0 ? ms(d->jitter.mean_abs) : "-");
  }
  line("TTL_AT_REFLECTOR_MIN", s.ttl_at_reflector_min);
  line("TTL_AT_REFLECTOR_MAX", s.ttl_at_reflector_max);
  return out + "\n";
}

nlohmann::json SessionJson(const measure::SessionResult& r, bool packets) {
  const auto& c = r.config;
  const Summary& s = r.summary;
  // The run summary's one shape (docs/schema/run-summary.schema.json), then
  // what only a live run knows.
  nlohmann::json j = report::RunSummaryJson(store::SummaryFrom(r));
  j.update({
      {"session", c.DisplayName()},
      {"destination", measure::FormatEndpoint(c.destination)},
      {"source", measure::FormatEndpoint(r.local)},
      {"parameters",
       {{"count", c.count},
        {"interval_ns", c.interval.count()},
        {"interval_kind",
         c.interval_kind == measure::IntervalKind::kPoisson ? "poisson" : "periodic"},
        {"packet_bytes", c.PacketLength()},
        {"padding", c.padding},
        {"dscp", c.dscp},
        {"ecn", c.ecn},
        {"ttl", c.ttl},
        {"dont_fragment", c.dont_fragment},
        {"ssid", c.ssid},
        {"wait_ns", c.wait.count()}}},
      {"reordered_outbound", OptionalJson(s.reordered_forward)},
      {"unexpected", s.unexpected},
      {"malformed", s.malformed},
      {"short_replies", s.short_replies},
      {"dscp_changed", s.dscp_changed},
      {"icmp_errors", r.icmp_errors},
      {"send_errors", r.send_errors},
      {"stateful_reflector", s.stateful_reflector},
      {"ttl_at_reflector", {{"min", s.ttl_at_reflector_min}, {"max", s.ttl_at_reflector_max}}},
      {"reply_ttl", {{"min", s.reply_ttl_min}, {"max", s.reply_ttl_max}}},
  });
  if (r.error) j["error"] = r.error->message;
  if (packets) {
    auto& list = j["packets"] = nlohmann::json::array();
    for (const auto& p : r.packets) {
      nlohmann::json pj = {{"seq", p.sequence}, {"t1_unix_ns", ToUnixNanos(p.t1)}};
      if (p.reply) {
        const auto& x = *p.reply;
        pj.update({{"t2_unix_ns", ToUnixNanos(x.t2)},
                   {"t3_unix_ns", ToUnixNanos(x.t3)},
                   {"t4_unix_ns", ToUnixNanos(x.t4)},
                   {"reflector_seq", x.reflector_sequence},
                   {"outbound_ns", x.Forward(p.t1).count()},
                   {"inbound_ns", x.Backward().count()},
                   {"round_trip_ns", x.RoundTrip(p.t1).count()},
                   {"ttl_at_reflector", x.ttl_at_reflector},
                   {"reply_ttl", x.reply_ttl},
                   {"reply_tos", x.reply_tos},
                   {"bytes", x.length},
                   {"duplicates", p.duplicates}});
      } else {
        pj["lost"] = true;
      }
      list.push_back(std::move(pj));
    }
  }
  return j;
}

std::string ReflectorTable(const std::vector<measure::ListenerStatus>& status) {
  std::string out = fmt::format("{:<24}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>9}\n",
                                "listener", "received", "reflected", "not_allow", "too_short",
                                "no_amplif", "too_long", "send_fail", "auth_fail", "senders");
  using measure::DropReason;
  for (const auto& l : status) {
    const auto& c = l.counters;
    out += fmt::format("{:<24}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>9}\n",
                       measure::FormatEndpoint(l.local), c.received, c.reflected,
                       c.Dropped(DropReason::kNotAllowed), c.Dropped(DropReason::kTooShort),
                       c.Dropped(DropReason::kNoAmplify), c.Dropped(DropReason::kTooLong),
                       c.Dropped(DropReason::kSendFailed), c.Dropped(DropReason::kAuthFailed),
                       l.active_senders);
    for (const auto& [key, state] : l.senders) {
      out += fmt::format("  from {:<20} ssid {:<5} reflected {}\n",
                         measure::FormatEndpoint(key.peer), key.ssid, state.reflected);
    }
    if (l.SendersNotListed() > 0) {
      out += fmt::format("  ... and {} more senders\n", l.SendersNotListed());
    }
    if (c.twamp_light_by_length > 0) {
      out += fmt::format("  {} requests under 44 octets answered as TWAMP Light\n",
                         c.twamp_light_by_length);
    }
  }
  return out;
}

nlohmann::json ReflectorJson(const std::vector<measure::ListenerStatus>& status) {
  auto out = nlohmann::json::array();
  for (const auto& l : status) {
    nlohmann::json dropped;
    for (std::size_t i = 0; i < l.counters.dropped.size(); ++i) {
      dropped[measure::ToString(static_cast<measure::DropReason>(i))] = l.counters.dropped[i];
    }
    auto senders = nlohmann::json::array();
    for (const auto& [key, state] : l.senders) {
      senders.push_back({{"peer", measure::FormatEndpoint(key.peer)},
                         {"ssid", key.ssid},
                         {"received", state.received},
                         {"reflected", state.reflected},
                         {"last_seen_unix_ns", ToUnixNanos(state.last_seen)}});
    }
    out.push_back({{"listener", measure::FormatEndpoint(l.local)},
                   {"received", l.counters.received},
                   {"reflected", l.counters.reflected},
                   {"dropped", dropped},
                   {"senders_over_limit", l.counters.senders_over_limit},
                   {"twamp_light_by_length", l.counters.twamp_light_by_length},
                   {"active_senders", l.active_senders},
                   {"senders", senders},  // the ones that sent the most
                   {"senders_not_listed", l.SendersNotListed()}});
  }
  return out;
}

}  // namespace lineup::cli
