// The HTML report: one page, inline CSS and SVG, no script and no external
// resource, so it opens offline and can be mailed as one file.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

#include "base/time_text.h"
#include "report/report_render.h"

namespace lineup::analyzer {
namespace {

constexpr double kWidth = 960, kHeight = 160;
constexpr double kLeft = 58, kRight = 24, kTop = 20, kBottom = 24;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

std::string Escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// "2026-11-24 09:00:00 UTC".
std::string Readable(WallTime t) {
  std::string s = FormatTime(t).substr(0, 19);
  s[10] = ' ';
  return s + " UTC";
}

std::string Span(Nanos d) {
  const std::int64_t s = d.count() / 1'000'000'000;
  if (d < std::chrono::seconds(1)) return fmt::format("{:.3g} ms", double(d.count()) / 1e6);
  if (s < 120) return fmt::format("{:.1f} s", double(d.count()) / 1e9);
  if (s < 7200) return fmt::format("{}m {:02}s", s / 60, s % 60);
  if (s < 172800) return fmt::format("{}h {:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d {:02}h", s / 86400, s % 86400 / 3600);
}

// A round axis step: 1, 2 or 5 times a power of ten, for about `ticks` ticks.
double NiceStep(double max, int ticks) {
  const double raw = max / ticks;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

class Chart {
 public:
  // `label` is drawn above the plot; `title` names it for screen readers.
  Chart(const Report& r, std::string title, std::string label, double max_value, double min_top,
        double max_top = 1e300)
      : r_(r), title_(std::move(title)), label_(std::move(label)) {
    const double top = std::max(max_value * 1.08, min_top);  // headroom above the highest point
    step_ = NiceStep(top, 4);
    ymax_ = std::min(step_ * std::ceil(top / step_), max_top);
    from_ = double(ToUnixNanos(r.from));
    span_ = double(ToUnixNanos(r.to)) - from_;
  }

  double X(WallTime t) const {
    return kLeft + std::clamp((double(ToUnixNanos(t)) - from_) / span_, 0.0, 1.0) * kPlotW;
  }
  double XBucket(std::size_t i) const {
    return X(r_.from + r_.bucket * static_cast<std::int64_t>(i) + r_.bucket / 2);
  }
  double Y(double v) const { return kTop + kPlotH - std::clamp(v / ymax_, 0.0, 1.0) * kPlotH; }

  void Band(const Interval& i, std::string_view css, const std::string& title) {
    const double x0 = X(i.start), x1 = std::max(X(i.end), x0 + 1.0);
    body_ += fmt::format(
        "<rect class=\"{}\" x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\"><title>{}</title>"
        "</rect>\n",
        css, x0, kTop, x1 - x0, kPlotH, Escape(title));
  }

  // A line through the buckets that have a value; broken where they do not.
  void Line(const std::vector<std::optional<double>>& values, std::string_view css) {
    std::string points;
    auto flush = [&] {
      if (!points.empty())
        body_ += fmt::format("<polyline class=\"{}\" points=\"{}\"/>\n", css, points);
      points.clear();
    };
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!values[i]) {
        flush();
        continue;
      }
      points +=
          fmt::format("{}{:.1f},{:.1f}", points.empty() ? "" : " ", XBucket(i), Y(*values[i]));
    }
    flush();
  }

  void Bars(const std::vector<std::optional<double>>& values, std::string_view css) {
    const double w = std::max(1.0, kPlotW / double(values.size()) - 0.5);
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!values[i] || *values[i] <= 0) continue;
      const double y = Y(*values[i]);
      body_ += fmt::format(
          "<rect class=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\">"
          "<title>{:.2f} %</title></rect>\n",
          css, XBucket(i) - w / 2, y, w, kTop + kPlotH - y, *values[i]);
    }
  }

  void Marker(const SwitchRecord& s) {
    const double x = X(s.time);
    body_ += fmt::format(
        "<g class=\"switch\"><title>{} {}: {} &#8594; {} ({})</title>"
        "<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\"/>"
        "<path d=\"M{:.1f},{} l-4,-7 h8 z\"/></g>\n",
        Escape(Readable(s.time)), Escape(s.traffic_class), Escape(s.from), Escape(s.to),
        Escape(s.reason.empty() ? s.rule : s.reason), x, kTop, x, kTop + kPlotH, x, kTop + 7);
  }

  std::string Svg() const {
    std::string svg = fmt::format(
        "<svg class=\"plot\" viewBox=\"0 0 {} {}\" role=\"img\" "
        "aria-label=\"{}\">\n<title>{}</title>\n",
        kWidth, kHeight, Escape(title_), Escape(title_));
    // Horizontal grid and value labels.
    for (double v = 0; v <= ymax_ + step_ / 2; v += step_) {
      svg += fmt::format(
          "<line class=\"grid\" x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>"
          "<text class=\"ylabel\" x=\"{}\" y=\"{:.1f}\">{}</text>\n",
          kLeft, kLeft + kPlotW, Y(v), Y(v), kLeft - 6, Y(v) + 4, fmt::format("{:g}", v));
    }
    svg += fmt::format("<text class=\"label\" x=\"{}\" y=\"{}\">{}</text>\n", kLeft, kTop - 6,
                       Escape(label_));
    svg += TimeAxis();
    svg += body_;
    svg += fmt::format("<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n",
                       kLeft, kTop, kPlotW, kPlotH);
    return svg + "</svg>\n";
  }

 private:
  std::string TimeAxis() const {
    static constexpr std::int64_t kSteps[] = {1,     2,     5,     10,    15,     30,    60,
                                              120,   300,   600,   900,   1800,   3600,  7200,
                                              10800, 21600, 43200, 86400, 172800, 604800};
    const double seconds = span_ / 1e9;
    std::int64_t step = kSteps[std::size(kSteps) - 1];
    for (auto s : kSteps) {
      if (seconds / double(s) <= 8) {
        step = s;
        break;
      }
    }
    const std::int64_t from_s =
        static_cast<std::int64_t>(std::ceil(from_ / 1e9 / double(step))) * step;
    std::string out;
    for (std::int64_t s = from_s; double(s) * 1e9 <= from_ + span_; s += step) {
      const WallTime t = FromUnixNanos(s * 1'000'000'000);
      const std::string full = FormatTime(t);
      std::string label = step < 60 ? full.substr(11, 8) : full.substr(11, 5);
      if (seconds > 86400) label = full.substr(5, 5) + " " + full.substr(11, 5);
      out += fmt::format(
          "<line class=\"tick\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\"/>"
          "<text class=\"xlabel\" x=\"{0:.1f}\" y=\"{3}\">{4}</text>\n",
          X(t), kTop + kPlotH, kTop + kPlotH + 4, kHeight - 6, label);
    }
    return out;
  }

  const Report& r_;
  std::string title_, label_;
  double step_ = 1, ymax_ = 1, from_ = 0, span_ = 1;
  std::string body_;
};

// The bands every chart of a tunnel shows.
void Bands(Chart& c, const TunnelReport& t) {
  for (const auto& g : t.gaps) {
    c.Band(g, "gap",
           fmt::format("no measurement {} - {} ({})", Readable(g.start), Readable(g.end),
                       Span(g.duration())));
  }
  for (const auto& cls : t.classes) {
    for (const auto& v : cls.violations) {
      if (v.metric == "blackout") continue;  // drawn as an outage
      c.Band(v, "violation",
             fmt::format("{} violated ({} {:.3f} over {:g}) {} - {} ({}){}", cls.sla_class,
                         v.metric, v.value, v.threshold, Readable(v.start), Readable(v.end),
                         Span(v.duration()), v.ongoing ? ", ongoing" : ""));
    }
  }
  for (const auto& o : t.outages) {
    c.Band(o, "outage",
           fmt::format("down (blackout) {} - {} ({})", Readable(o.start), Readable(o.end),
                       Span(o.duration())));
  }
}

std::string Percent(double v) {
  if (v >= 99.995 && v < 100) return "99.99 %";
  return fmt::format("{:.2f} %", v);
}

const char* Grade(double compliance) {
  return compliance >= 99.9 ? "good" : compliance >= 99 ? "fair" : "bad";
}

std::string TunnelSection(const Report& r, const TunnelReport& t) {
  std::vector<std::optional<double>> mean, max, jitter, loss;
  double top_rtt = 0, top_jitter = 0, top_loss = 0;
  for (const auto& b : t.series) {
    const bool answered = b.sent > b.lost;
    mean.push_back(answered ? std::optional(b.rtt_mean_ms) : std::nullopt);
    max.push_back(answered ? std::optional(b.rtt_max_ms) : std::nullopt);
    jitter.push_back(answered ? std::optional(b.jitter_ms) : std::nullopt);
    loss.push_back(b.sent > 0 ? std::optional(100.0 * b.lost / b.sent) : std::nullopt);
    if (answered) {
      top_rtt = std::max(top_rtt, b.rtt_max_ms);
      top_jitter = std::max(top_jitter, b.jitter_ms);
    }
    if (b.sent > 0) top_loss = std::max(top_loss, 100.0 * b.lost / b.sent);
  }
  std::vector<const SwitchRecord*> switches;
  for (const auto& s : r.switches) {
    if (s.from == t.name || s.to == t.name) switches.push_back(&s);
  }
  auto chart = [&](Chart c) {
    Bands(c, t);
    return c;
  };
  Chart latency = chart(Chart(r, t.name + ": round-trip latency",
                              "round-trip latency (ms): mean and max", top_rtt, 1));
  latency.Line(max, "rtt-max");
  latency.Line(mean, "rtt-mean");
  Chart jit = chart(Chart(r, t.name + ": jitter", "jitter (ms, mean |IPDV|)", top_jitter, 1));
  jit.Line(jitter, "jitter");
  Chart lost = chart(Chart(r, t.name + ": loss", "loss (%)", top_loss, 1, 100));
  lost.Bars(loss, "loss");
  for (const auto* s : switches) {
    latency.Marker(*s);
    jit.Marker(*s);
    lost.Marker(*s);
  }
  std::string out = fmt::format(
      "<section class=\"tunnel\" id=\"tunnel-{0}\">\n<h2>{0} <small>site {1} &middot; sessions "
      "{2}</small></h2>\n",
      Escape(t.name), Escape(t.site), Escape(fmt::format("{}", fmt::join(t.sessions, ", "))));
  out += fmt::format(
      "<p class=\"figures\">availability <b>{}</b> &middot; loss <b>{:.3f} %</b> ({} of {}) "
      "&middot; RTT p50 <b>{:.3f}</b> / p95 <b>{:.3f}</b> / p99 <b>{:.3f} ms</b> &middot; jitter "
      "mean <b>{:.3f} ms</b> &middot; probe every {}</p>\n",
      t.measured.count() > 0 ? Percent(t.availability_percent) : "no data", t.loss_percent, t.lost,
      t.sent, t.rtt_ms.p50, t.rtt_ms.p95, t.rtt_ms.p99, t.jitter_ms.mean,
      t.probe_interval.count() > 0 ? fmt::format("{} ({:.3g}/s)", Span(t.probe_interval),
                                                 1e9 / double(t.probe_interval.count()))
                                   : "-");
  out += latency.Svg() + jit.Svg() + lost.Svg();
  out += "</section>\n";
  return out;
}

constexpr const char* kStyle = R"(
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1000px; color: #202124; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin: 28px 0 4px; }
h2 small { font-weight: normal; color: #5f6368; font-size: 13px; }
.meta, .figures { color: #3c4043; margin: 4px 0 8px; }
table { border-collapse: collapse; margin: 8px 0 16px; width: 100%; }
th, td { border-bottom: 1px solid #dadce0; padding: 4px 8px; text-align: left; font-variant-numeric: tabular-nums; }
th { background: #f1f3f4; font-weight: 600; }
td.num { text-align: right; }
td.good { background: #e6f4ea; } td.fair { background: #fef7e0; } td.bad { background: #fce8e6; }
.notes li { color: #b06000; }
svg.plot { width: 100%; height: auto; display: block; margin: 2px 0; }
svg .grid { stroke: #e8eaed; } svg .tick { stroke: #9aa0a6; }
svg .frame { fill: none; stroke: #9aa0a6; }
svg text { font: 11px system-ui, sans-serif; fill: #5f6368; }
svg .label { font-weight: 600; fill: #3c4043; }
svg .ylabel { text-anchor: end; } svg .xlabel { text-anchor: middle; }
svg .rtt-mean { fill: none; stroke: #1a73e8; stroke-width: 1.5; }
svg .rtt-max { fill: none; stroke: #a8c7fa; stroke-width: 1; }
svg .jitter { fill: none; stroke: #9334e6; stroke-width: 1.5; }
svg .loss { fill: #e37400; }
svg .violation { fill: #f9ab00; fill-opacity: 0.18; }
svg .outage { fill: #d93025; fill-opacity: 0.28; }
svg .gap { fill: url(#hatch); fill-opacity: 1; }
svg .switch line { stroke: #188038; stroke-width: 1.5; stroke-dasharray: 4 3; }
svg .switch path { fill: #188038; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 14px; height: 10px; margin-right: 4px; vertical-align: -1px; }
)";

}  // namespace

std::string ReportHtml(const Report& r) {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>Lineup SLA report {} - {}</title>\n<style>{}</style>\n</head>\n<body>\n",
      Escape(Readable(r.from)), Escape(Readable(r.to)), kStyle);
  // The hatch pattern gaps are drawn with, defined once for every plot.
  out +=
      "<svg width=\"0\" height=\"0\" style=\"position:absolute\"><defs><pattern id=\"hatch\" "
      "width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
      "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f1f3f4\"/>"
      "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#bdc1c6\" stroke-width=\"2\"/>"
      "</pattern></defs></svg>\n";
  out += fmt::format(
      "<h1>SLA report</h1>\n<p class=\"meta\">{} &ndash; {} ({}) &middot; {} tunnels at {} sites "
      "&middot; {} probe samples &middot; {} path switches &middot; plot points of {}</p>\n",
      Escape(Readable(r.from)), Escape(Readable(r.to)), Span(r.to - r.from), r.tunnels.size(),
      r.sites.size(), r.samples, r.switches.size(), Span(r.bucket));
  if (!r.notes.empty()) {
    out += "<ul class=\"notes\">\n";
    for (const auto& n : r.notes) out += fmt::format("<li>{}</li>\n", Escape(n));
    out += "</ul>\n";
  }

  // Summary: a row per tunnel, a column per class.
  out +=
      "<h2>Summary</h2>\n<table class=\"summary\">\n<tr><th>tunnel</th><th>site</th>"
      "<th>availability</th><th>loss</th><th>RTT p95</th><th>jitter</th>";
  for (const auto& c : r.classes) out += fmt::format("<th>{}</th>", Escape(c.name));
  out += "</tr>\n";
  for (const auto& t : r.tunnels) {
    out += fmt::format(
        "<tr><td><a href=\"#tunnel-{0}\">{0}</a></td><td>{1}</td><td class=\"num {2}\">{3}</td>"
        "<td class=\"num\">{4:.3f} %</td><td class=\"num\">{5:.3f} ms</td><td "
        "class=\"num\">{6:.3f} "
        "ms</td>",
        Escape(t.name), Escape(t.site), Grade(t.availability_percent),
        t.measured.count() > 0 ? Percent(t.availability_percent) : "no data", t.loss_percent,
        t.rtt_ms.p95, t.jitter_ms.mean);
    for (const auto& c : t.classes) {
      if (c.judged.count() == 0) {
        out += "<td class=\"num\">not judged</td>";
      } else {
        out += fmt::format("<td class=\"num {}\">{}</td>", Grade(c.compliance_percent),
                           Percent(c.compliance_percent));
      }
    }
    out += "</tr>\n";
  }
  out += "</table>\n";

  out +=
      "<h2>Sites</h2>\n<table class=\"sites\">\n<tr><th>site</th><th>tunnels</th>"
      "<th>availability (any tunnel up)</th>";
  for (const auto& c : r.classes)
    out += fmt::format("<th>{} (any tunnel compliant)</th>", Escape(c.name));
  out += "<th>violations</th><th>switches</th></tr>\n";
  for (const auto& s : r.sites) {
    out += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"num {}\">{}</td>", Escape(s.name),
                       Escape(fmt::format("{}", fmt::join(s.tunnels, ", "))),
                       Grade(s.availability_percent), Percent(s.availability_percent));
    for (const auto& [cls, pct] : s.compliance_percent) {
      out += fmt::format("<td class=\"num {}\">{}</td>", Grade(pct), Percent(pct));
    }
    out += fmt::format("<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n", s.violations,
                       s.switches);
  }
  out += "</table>\n";

  out +=
      "<p class=\"legend\"><span><i style=\"background:#1a73e8\"></i>mean RTT</span>"
      "<span><i style=\"background:#a8c7fa\"></i>max RTT</span>"
      "<span><i style=\"background:#9334e6\"></i>jitter</span>"
      "<span><i style=\"background:#e37400\"></i>loss</span>"
      "<span><i style=\"background:#fde7b0\"></i>SLA violation</span>"
      "<span><i style=\"background:#f2b8b5\"></i>down (blackout)</span>"
      "<span><i style=\"background:#dadce0\"></i>no measurement</span>"
      "<span><i style=\"background:#188038\"></i>path switch</span></p>\n";
  for (const auto& t : r.tunnels) out += TunnelSection(r, t);

  out += "<h2>Violations</h2>\n";
  std::string rows;
  for (const auto& t : r.tunnels) {
    for (const auto& c : t.classes) {
      for (const auto& v : c.violations) {
        rows += fmt::format(
            "<tr><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td class=\"num\">{}</td>"
            "<td>{}</td><td>{}</td></tr>\n",
            Escape(t.name), Escape(c.sla_class), v.from_before ? "&le; " : "",
            Escape(Readable(v.start)), v.ongoing ? "ongoing" : Escape(Readable(v.end)),
            Span(v.duration()), Escape(v.metric), Escape(v.detail));
      }
    }
  }
  out += rows.empty() ? "<p>None in this range.</p>\n"
                      : "<table class=\"violations\">\n<tr><th>tunnel</th><th>class</th>"
                        "<th>start</th><th>end</th><th>duration</th><th>metric</th>"
                        "<th>detail</th></tr>\n" +
                            rows + "</table>\n";

  out += "<h2>Path switches</h2>\n";
  if (r.switches.empty()) {
    out += "<p>None in this range.</p>\n";
  } else {
    out +=
        "<table class=\"switches\">\n<tr><th>time</th><th>traffic class</th><th>from</th>"
        "<th>to</th><th>reason</th></tr>\n";
    for (const auto& s : r.switches) {
      out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                         Escape(Readable(s.time)), Escape(s.traffic_class), Escape(s.from),
                         Escape(s.to), Escape(s.reason.empty() ? s.rule : s.reason));
    }
    out += "</table>\n";
  }

  out +=
      "<h2>SLA classes</h2>\n<table class=\"classes\">\n<tr><th>class</th><th>window</th>"
      "<th>thresholds (enter / exit)</th></tr>\n";
  for (const auto& c : r.classes) {
    std::string thresholds;
    for (const auto& t : c.thresholds) {
      const char* unit = t.metric == Metric::kLoss ? " %" : t.metric == Metric::kMos ? "" : " ms";
      const std::string what =
          t.metric == Metric::kLatency
              ? fmt::format("{} {} latency", ToString(t.statistic), ToString(c.latency))
              : ToString(t.metric);
      thresholds += fmt::format("{}{} {:g} / {:g}{}", thresholds.empty() ? "" : "; ", what, t.enter,
                                t.exit, unit);
    }
    const std::string window = c.window.samples > 0
                                   ? fmt::format("last {} probes", c.window.samples)
                                   : "last " + FormatDuration(c.window.duration);
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n", Escape(c.name), window,
                       Escape(thresholds));
  }
  out +=
      "</table>\n<p class=\"meta\">Generated by lineup report. Percentages leave out "
      "measurement gaps; compliance counts from each tunnel's first verdict.</p>\n"
      "</body>\n</html>\n";
  return out;
}

}  // namespace lineup::analyzer
