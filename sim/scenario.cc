#include "sim/scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "analyzer/config.h"
#include "base/time_text.h"
#include "measure/dscp.h"
#include "measure/endpoint.h"

namespace lineup::sim {
namespace {

using namespace std::chrono_literals;

constexpr Nanos kMaxDuration = 24h * 7;

// Delay, jitter and loss of one direction, or of both (then `i` holds the
// defaults, and a direction's own section starts from what both say).
void ReadImpairment(yaml::Node& n, net::Impairment& i) {
  i.delay_ns = n.Duration("delay", Nanos(i.delay_ns), 0s, 10s).count();
  i.jitter_ns = n.Duration("jitter", Nanos(i.jitter_ns), 0s, 10s).count();
  i.loss = n.Number("loss_percent", i.loss * 100, 0, 100) / 100;
  if (auto burst = n.Child("burst")) {
    // Gilbert-Elliott: per-packet chances (percent) to enter and leave the bad state.
    i.to_bad = burst->Number("enter_percent", 1, 0, 100) / 100;
    i.to_good = burst->Number("leave_percent", 30, 0.001, 100) / 100;
    i.loss_bad = burst->Number("loss_in_bad_percent", 100, 0, 100) / 100;
    burst->CheckNoOtherKeys();
  }
}

void ReadLink(yaml::Node& n, net::Link& l) {
  l.rate_mbps = n.Number("rate_mbps", 100, 0.01, 100000);
  net::Impairment both;
  ReadImpairment(n, both);
  l.forward = l.backward = both;
  if (auto forward = n.Child("forward")) {
    ReadImpairment(*forward, l.forward);
    forward->CheckNoOtherKeys();
  }
  if (auto backward = n.Child("backward")) {
    ReadImpairment(*backward, l.backward);
    backward->CheckNoOtherKeys();
  }
  l.reorder = n.Bool("reorder", true);
  if (auto queue = n.Child("queue")) {
    const std::string d =
        queue->Choice("discipline", {"droptail", "fq_codel", "codel", "red", "pie"}, "droptail");
    using Q = net::QueueDiscipline;
    l.queue = d == "fq_codel" ? Q::kFqCoDel
              : d == "codel"  ? Q::kCoDel
              : d == "red"    ? Q::kRed
              : d == "pie"    ? Q::kPie
                              : Q::kDropTail;
    l.queue_packets = static_cast<std::uint32_t>(queue->Integer("packets", 200, 1, 100000));
    queue->CheckNoOtherKeys();
  }
  if (auto cross = n.Child("cross")) {
    const std::string p = cross->Choice("pattern", {"poisson", "constant", "on_off"}, "poisson");
    using P = net::CrossPattern;
    l.cross_pattern = p == "constant" ? P::kConstant : p == "on_off" ? P::kOnOff : P::kPoisson;
    l.cross_packet_bytes =
        static_cast<std::uint32_t>(cross->Integer("packet_bytes", 1000, 64, 9000));
    l.cross_on_ns = cross->Duration("on", 1s, 1ms, kMaxDuration).count();
    l.cross_off_ns = cross->Duration("off", 1s, 0s, kMaxDuration).count();
    if (l.cross_pattern != P::kOnOff && (cross->Has("on") || cross->Has("off")))
      cross->ErrorAt(cross->Has("on") ? "on" : "off",
                     "only the on_off pattern has on and off periods");
    cross->CheckNoOtherKeys();
  }
}

// The values a timeline changes, to restore them after a change with `for`.
struct LinkState {
  net::Change::Values forward, backward;
  double cross_mbps = 0;
};

net::Change::Values ValuesOf(const net::Impairment& i) {
  return {i.delay_ns, i.jitter_ns, i.loss, i.to_bad};
}

// The values of one direction a change sets (both directions' keys, then the
// direction's own), kept in `state`.
void ReadChange(yaml::Node& c, net::Change::Values& change, net::Change::Values& state) {
  if (c.Has("delay")) state.delay_ns = change.delay_ns = c.Duration("delay", 0s, 0s, 10s).count();
  if (c.Has("jitter"))
    state.jitter_ns = change.jitter_ns = c.Duration("jitter", 0s, 0s, 10s).count();
  if (c.Has("loss_percent")) state.loss = change.loss = c.Number("loss_percent", 0, 0, 100) / 100;
  if (c.Has("burst_enter_percent")) {
    state.to_bad = change.to_bad = c.Number("burst_enter_percent", 0, 0, 100) / 100;
  }
}

// What `restore` must set back to `before` of what `change` set.
void Restore(const net::Change::Values& change, const net::Change::Values& before,
             net::Change::Values& restore) {
  if (change.delay_ns >= 0) restore.delay_ns = before.delay_ns;
  if (change.jitter_ns >= 0) restore.jitter_ns = before.jitter_ns;
  if (change.loss >= 0) restore.loss = before.loss;
  if (change.to_bad >= 0) restore.to_bad = before.to_bad;
}

void ReadTimeline(yaml::Node& n, const net::Link& link, Nanos duration,
                  std::vector<net::Change>& changes) {
  LinkState state{ValuesOf(link.forward), ValuesOf(link.backward), 0};
  Nanos busy_until{-1};  // the end of the last change with `for` or `over`
  Nanos last_at{-1};
  for (auto& c : n.List("timeline")) {
    net::Change change;
    change.link = link.name;
    if (!c.Has("at")) c.Error("'at' is required: when the change happens, e.g. at: 2m");
    const Nanos at = c.Duration("at", 0s, 0s, kMaxDuration);
    if (at > duration) c.ErrorAt("at", "is after the end of the scenario (duration)");
    if (at < last_at) c.ErrorAt("at", "changes must be in time order");
    if (at < busy_until) {
      c.ErrorAt("at", fmt::format("falls inside the previous change, which lasts until {}: start "
                                  "later or shorten its 'for' or 'over'",
                                  FormatDuration(busy_until)));
    }
    last_at = at;
    change.at_ns = at.count();
    const LinkState before = state;
    ReadChange(c, change.forward, state.forward);
    ReadChange(c, change.backward, state.backward);
    if (auto forward = c.Child("forward")) {
      ReadChange(*forward, change.forward, state.forward);
      forward->CheckNoOtherKeys();
    }
    if (auto backward = c.Child("backward")) {
      ReadChange(*backward, change.backward, state.backward);
      backward->CheckNoOtherKeys();
    }
    if (c.Has("cross_mbps"))
      state.cross_mbps = change.cross_mbps = c.Number("cross_mbps", 0, 0, 100000);
    // An outage: every packet lost, both ways, bursts or not.
    if (c.Bool("outage", false)) {
      for (auto* v : {&change.forward, &change.backward}) {
        v->loss = 1;
        v->to_bad = 0;
      }
      state.forward.loss = state.backward.loss = 1;
      state.forward.to_bad = state.backward.to_bad = 0;
    }
    if (c.Has("over")) {
      // A ramp: from the values in force at `at` to these, linearly.
      const Nanos over = c.Duration("over", 1s, 1ms, kMaxDuration);
      if (at + over > duration) {
        c.ErrorAt("over",
                  fmt::format("the ramp would end at {}, after the end of the scenario ({})",
                              FormatDuration(at + over), FormatDuration(duration)));
      }
      change.ramp_ns = over.count();
      busy_until = at + over;
    }
    changes.push_back(change);
    if (c.Has("for")) {
      // Back to the values before this change once it has lasted `for`.
      const Nanos length = c.Duration("for", 1s, 1ms, kMaxDuration);
      if (change.ramp_ns > length.count())
        c.ErrorAt("for", "is shorter than the ramp ('over'): the values would go back mid-ramp");
      busy_until = at + length;
      if (busy_until < duration) {
        net::Change restore;
        restore.link = link.name;
        restore.at_ns = busy_until.count();
        Restore(change.forward, before.forward, restore.forward);
        Restore(change.backward, before.backward, restore.backward);
        if (change.cross_mbps >= 0) restore.cross_mbps = before.cross_mbps;
        changes.push_back(restore);
      }
      state = before;
    }
    c.CheckNoOtherKeys();
  }
}

// A time of an expectation: within the scenario, or an error at its key
// (a check past the end would look at nothing and pass).
Nanos TimeWithin(yaml::Node& n, std::string_view key, Nanos fallback, Nanos duration) {
  const Nanos t = n.Duration(key, fallback, 0s, kMaxDuration);
  if (n.Has(key) && t > duration) {
    n.ErrorAt(key, fmt::format("{} is after the end of the scenario ({}): the check would see "
                               "nothing there",
                               FormatDuration(t), FormatDuration(duration)));
  }
  return t;
}

// The `dscp` of a node (a number or a name), else the fallback.
std::uint8_t ReadDscp(yaml::Node& n, std::uint8_t fallback) {
  if (!n.Has("dscp")) return fallback;
  auto dscp = measure::ParseDscp(n.String("dscp"));
  if (!dscp) {
    n.ErrorAt("dscp", dscp.error().message);
    return fallback;
  }
  return *dscp;
}

// The line of an `on:` expectation: a tunnel, or a path through hubs.
void CheckLine(yaml::Node& n, const std::string& line, const std::set<std::string>& tunnels,
               std::string_view key) {
  for (const auto& part : TunnelsOfLine(line)) {
    if (tunnels.count(part) == 0) {
      n.ErrorAt(key, fmt::format("'{}' is no tunnel of the scenario (tunnels: {}; a path through "
                                 "hubs is its tunnels joined by '>')",
                                 part, fmt::join(tunnels, ", ")));
      return;
    }
  }
}

Expectation ReadExpectation(yaml::Node& n, Nanos duration,
                            const std::map<std::string, std::string>& classes,
                            const std::set<std::string>& tunnels,
                            const std::set<std::string>& sessions) {
  Expectation e;
  e.from = TimeWithin(n, "from", 0s, duration);
  e.to = TimeWithin(n, "to", duration, duration);
  auto range = [&](std::string_view key, Expectation::Kind kind) {
    auto values = n.Strings(key);
    if (values.size() != 2) {
      n.ErrorAt(key, "expected [low, high]");
      return;
    }
    e.kind = kind;
    try {
      e.low = std::stod(values[0]);
      e.high = std::stod(values[1]);
    } catch (...) {
      n.ErrorAt(key, "expected two numbers: [low, high]");
    }
    if (e.low > e.high) n.ErrorAt(key, "low is above high");
  };
  if (n.Has("traffic_class")) {
    e.subject = n.String("traffic_class");
    if (classes.count(e.subject) == 0)
      n.ErrorAt("traffic_class", fmt::format("unknown traffic class '{}'", e.subject));
    const auto cls = classes.find(e.subject);
    e.sla_class = cls == classes.end() ? "" : cls->second;
    if (n.Has("not_on")) {
      // Never on that line in [from, to): at most 0 s on it.
      e.kind = Expectation::kTimeOn;
      e.line = n.String("not_on");
      CheckLine(n, e.line, tunnels, "not_on");
      e.lines = {e.line};
    } else if (n.Has("max_time_on_violated")) {
      e.kind = Expectation::kTimeOnViolated;
      e.at_most = n.Duration("max_time_on_violated", 0s, 0s, kMaxDuration);
      if (e.sla_class.empty() && cls != classes.end()) {
        n.ErrorAt("max_time_on_violated",
                  "the traffic class has no sla_class: nothing says when its line is violated");
      }
    } else if (n.Has("on_any_of")) {
      e.kind = Expectation::kOn;
      e.lines = n.Strings("on_any_of");
      if (e.lines.empty()) n.ErrorAt("on_any_of", "give the lines: on_any_of: [a, b]");
      for (const auto& line : e.lines) CheckLine(n, line, tunnels, "on_any_of");
      e.line = fmt::format("{}", fmt::join(e.lines, " or "));
      if (!n.Has("at"))
        n.Error("'on_any_of' needs 'at': the time the class must be on one of them");
      e.at = TimeWithin(n, "at", duration, duration);
      e.after = TimeWithin(n, "after", 0s, duration);
      e.rule = n.String("rule");
    } else if (n.Has("on") && n.Has("at_most")) {
      e.kind = Expectation::kTimeOn;
      e.line = n.String("on");
      CheckLine(n, e.line, tunnels, "on");
      e.at_most = n.Duration("at_most", 0s, 0s, kMaxDuration);
      if (n.Has("at")) n.ErrorAt("at", "give either 'at' (on that line then) or 'at_most'");
    } else if (n.Has("on")) {
      e.kind = Expectation::kOn;
      e.line = n.String("on");
      CheckLine(n, e.line, tunnels, "on");
      e.at = TimeWithin(n, "at", duration, duration);
      e.after = TimeWithin(n, "after", 0s, duration);
      e.rule = n.String("rule");
      if (!n.Has("at")) {
        n.Error(
            "'on' needs 'at' (the time the class must be on that line) or 'at_most' (the "
            "longest it may be on it in [from, to))");
      }
    } else if (n.Has("max_switches")) {
      e.kind = Expectation::kMaxSwitches;
      e.count = static_cast<std::uint32_t>(n.Integer("max_switches", 0, 0, 1'000'000));
      e.rule = n.String("rule");  // only moves by that rule count
    } else {
      n.Error(
          "a traffic class expectation needs 'on' (with 'at' or 'at_most'), 'on_any_of', "
          "'not_on', 'max_switches' or 'max_time_on_violated'");
    }
    if (e.kind == Expectation::kOn) {
      if (e.lines.empty()) e.lines = {e.line};
      if (n.Has("rule") && !n.Has("after"))
        n.ErrorAt("rule", "'rule' is the rule of the move after 'after': give 'after' too");
      if (n.Has("time_to_switch_max")) {
        e.time_to_switch_max = n.Duration("time_to_switch_max", 0s, 0s, kMaxDuration);
        if (!n.Has("after")) {
          n.ErrorAt("time_to_switch_max",
                    "the time to switch counts from 'after' (when the trouble began): give it");
        }
      }
      if (n.Has("after") && n.Has("at") && e.after > e.at) {
        n.ErrorAt("after", fmt::format("{} is later than 'at' ({}): the move must come before the "
                                       "time it is checked",
                                       FormatDuration(e.after), FormatDuration(e.at)));
      }
    }
  } else if (n.Has("tunnel") || n.Has("session")) {
    // A tunnel's figures are its one session's; a tunnel with several
    // sessions (probes.sessions) has its figures per session.
    const bool session = n.Has("session");
    e.subject = n.String(session ? "session" : "tunnel");
    if (session && sessions.count(e.subject) == 0) {
      n.ErrorAt("session", fmt::format("unknown session '{}' (sessions: {})", e.subject,
                                       fmt::join(sessions, ", ")));
    } else if (!session && tunnels.count(e.subject) == 0) {
      n.ErrorAt("tunnel", fmt::format("unknown tunnel '{}'", e.subject));
    }
    if (session && (n.Has("down") || n.Has("session_fault")))
      n.Error("'down' and 'session_fault' are about a tunnel: give 'tunnel'");
    if (n.Has("loss_percent")) {
      range("loss_percent", Expectation::kLoss);
    } else if (n.Has("forward_loss_percent")) {
      range("forward_loss_percent", Expectation::kForwardLoss);
    } else if (n.Has("backward_loss_percent")) {
      range("backward_loss_percent", Expectation::kBackwardLoss);
    } else if (n.Has("rtt_ms")) {
      range("rtt_ms", Expectation::kRtt);
    } else if (n.Has("jitter_ms")) {
      range("jitter_ms", Expectation::kJitter);
    } else if (n.Has("forward_delay_ms")) {
      range("forward_delay_ms", Expectation::kForwardDelay);
    } else if (n.Has("backward_delay_ms")) {
      range("backward_delay_ms", Expectation::kBackwardDelay);
    } else if (n.Has("forward_jitter_ms")) {
      range("forward_jitter_ms", Expectation::kForwardJitter);
    } else if (n.Has("backward_jitter_ms")) {
      range("backward_jitter_ms", Expectation::kBackwardJitter);
    } else if (n.Has("down")) {
      e.kind = n.Bool("down", true) ? Expectation::kDown : Expectation::kNotDown;
    } else if (n.Has("session_fault")) {
      e.kind = Expectation::kSessionFault;
      if (!n.Bool("session_fault", true))
        n.ErrorAt("session_fault", "only 'session_fault: true' (a fault reported) is a check");
    } else {
      n.Error(
          "a tunnel expectation needs loss_percent, forward_loss_percent, backward_loss_percent, "
          "rtt_ms, jitter_ms, forward_delay_ms, backward_delay_ms, forward_jitter_ms, "
          "backward_jitter_ms, down or session_fault");
    }
  } else {
    n.Error("an expectation is about a 'traffic_class', a 'tunnel' or a 'session'");
  }
  // A rule named in a check is one the controller has (a typo would match
  // no move and pass or fail for the wrong reason).
  static const std::set<std::string> kRules = {"initial",   "initial_best_of_worst",
                                               "blackout",  "unknown",
                                               "brownout",  "best_of_worst",
                                               "better",    "preferred",
                                               "rebalance", "direct"};
  if (!e.rule.empty() && kRules.count(e.rule) == 0) {
    n.ErrorAt("rule", fmt::format("'{}' is no rule of the controller (rules: {})", e.rule,
                                  fmt::join(kRules, ", ")));
  }
  if (e.from > e.to) n.Error("'from' is after 'to'");
  n.CheckNoOtherKeys();
  return e;
}

}  // namespace

std::vector<std::string> TunnelsOfLine(const std::string& line) {
  std::vector<std::string> tunnels;
  std::size_t begin = 0;
  while (true) {
    const std::size_t cut = line.find('>', begin);
    tunnels.push_back(line.substr(begin, cut == std::string::npos ? cut : cut - begin));
    if (cut == std::string::npos) return tunnels;
    begin = cut + 1;
  }
}

Result<Scenario> ParseScenario(std::string_view text, std::string origin) {
  auto doc = yaml::Document::Parse(text, origin);
  if (!doc) return tl::unexpected(doc.error());
  auto root = doc->Root();
  Scenario s;
  s.origin = origin;
  s.name = root.RequiredString("name");
  s.description = root.String("description");
  s.duration = root.Duration("duration", 10min, 1s, kMaxDuration);
  s.seed = static_cast<std::uint32_t>(root.Integer("seed", 1, 1, 1'000'000'000));
  s.start = FromUnixNanos(1'767'225'600'000'000'000);  // 2026-01-01T00:00:00Z
  s.network.duration_ns = s.duration.count();
  s.network.seed = s.seed;

  s.config.analysis = analyzer::ReadAnalyzerConfig(root);
  s.config.policy = autoflow::ReadPolicy(root, s.config.analysis);
  s.config.text =
      doc->Subset({"tunnels", "hubs", "analyzer", "sla_classes", "policy", "traffic_classes"});
  std::set<std::string> tunnels;
  std::map<std::string, std::string> classes;  // traffic class -> its SLA class
  for (const auto& [name, end] : s.config.policy.tunnels) tunnels.insert(name);
  for (const auto& c : s.config.policy.classes) classes.emplace(c.name, c.sla_class);
  if (tunnels.empty())
    root.Error("'tunnels' is required: the lines of the scenario, with site and peer");

  // The volume of each traffic class, on the line the controller chooses.
  for (auto& [name, volume] : root.Entries("traffic")) {
    if (classes.count(name) == 0) {
      std::vector<std::string> names;
      names.reserve(classes.size());
      for (const auto& [c, sla] : classes) names.push_back(c);
      volume.Error(fmt::format("'{}' is no traffic class of the scenario (traffic classes: {})",
                               name,
                               names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
      continue;
    }
    if (!volume.Has("mbps")) volume.Error("'mbps' is required: the class's volume, e.g. mbps: 8");
    s.traffic_mbps[name] = volume.Number("mbps", 0, 0, 100000);
    volume.CheckNoOtherKeys();
  }

  // The underlay of each tunnel; a tunnel without an entry gets the defaults.
  std::set<std::string> described;
  for (auto& [name, link] : root.Entries("links")) {
    if (tunnels.count(name) == 0) {
      link.Error(fmt::format("'{}' is no tunnel of the scenario (tunnels: {})", name,
                             fmt::join(tunnels, ", ")));
      continue;
    }
    described.insert(name);
    net::Link l;
    l.name = name;
    l.a = s.config.policy.tunnels.at(name).site;
    l.b = s.config.policy.tunnels.at(name).peer;
    ReadLink(link, l);
    ReadTimeline(link, l, s.duration, s.network.changes);
    link.CheckNoOtherKeys();
    s.network.links.push_back(l);
  }
  for (const auto& name : tunnels) {
    if (described.count(name) != 0) continue;
    net::Link l;
    l.name = name;
    l.a = s.config.policy.tunnels.at(name).site;
    l.b = s.config.policy.tunnels.at(name).peer;
    s.network.links.push_back(l);
  }
  std::optional<std::vector<std::pair<std::string, yaml::Node>>> sessions_node;
  if (auto probes = root.Child("probes")) {
    s.probe_interval = probes->Duration("interval", 100ms, 1ms, 1h);
    s.loss_timeout = probes->Duration("loss_timeout", 1s, 1ms, 1min);
    s.padding = static_cast<std::uint32_t>(probes->Integer("padding", 30, 30, 1400));
    s.dscp = ReadDscp(*probes, s.dscp);
    s.probed = probes->Strings("tunnels");
    for (const auto& t : s.probed) {
      if (tunnels.count(t) == 0) probes->ErrorAt("tunnels", fmt::format("unknown tunnel '{}'", t));
    }
    if (probes->Has("sessions")) sessions_node = probes->Entries("sessions");
    probes->CheckNoOtherKeys();
  }
  if (s.probed.empty()) s.probed.assign(tunnels.begin(), tunnels.end());
  if (!sessions_node || sessions_node->empty()) {
    const std::uint16_t port = measure::kDefaultTestPort;
    for (const auto& t : s.probed) {
      ProbeSession session;
      session.name = t;
      session.tunnel = t;
      session.padding = s.padding;
      session.dscp = s.dscp;
      session.port = port;
      s.sessions.push_back(session);
    }
  } else {
    // Each named session on each of its tunnels, to a port of its own.
    std::uint16_t port = measure::kDefaultTestPort;
    for (auto& [name, n] : *sessions_node) {
      ProbeSession session;
      if (name.empty() || name.find_first_of("/> ") != std::string::npos)
        n.Error(fmt::format("'{}' cannot name a session: no '/', '>' or spaces", name));
      if (n.Has("interval")) session.interval = n.Duration("interval", 100ms, 1ms, 1h);
      session.padding = static_cast<std::uint32_t>(n.Integer("padding", s.padding, 30, 1400));
      session.dscp = ReadDscp(n, s.dscp);
      std::vector<std::string> on = n.Strings("tunnels");
      for (const auto& t : on) {
        if (tunnels.count(t) == 0) n.ErrorAt("tunnels", fmt::format("unknown tunnel '{}'", t));
      }
      if (on.empty()) on = s.probed;
      struct Dead {
        Nanos from, to;
        std::vector<std::string> tunnels;
      };
      std::vector<Dead> dead;
      for (auto& d : n.List("dead")) {
        Dead span;
        span.from = TimeWithin(d, "from", 0s, s.duration);
        span.to = TimeWithin(d, "to", s.duration + s.loss_timeout, s.duration);
        if (d.Has("to") && span.to <= span.from) d.ErrorAt("to", "is not after 'from'");
        span.tunnels = d.Strings("tunnels");
        for (const auto& t : span.tunnels) {
          if (std::find(on.begin(), on.end(), t) == on.end()) {
            d.ErrorAt("tunnels", fmt::format("the session has no probes on '{}' (its tunnels: {})",
                                             t, fmt::join(on, ", ")));
          }
        }
        d.CheckNoOtherKeys();
        dead.push_back(std::move(span));
      }
      n.CheckNoOtherKeys();
      for (const auto& t : on) {
        ProbeSession copy = session;
        copy.name = fmt::format("{}/{}", t, name);
        copy.tunnel = t;
        copy.port = port;
        for (const auto& span : dead) {
          if (span.tunnels.empty() ||
              std::find(span.tunnels.begin(), span.tunnels.end(), t) != span.tunnels.end())
            copy.dead.emplace_back(span.from, span.to);
        }
        s.sessions.push_back(std::move(copy));
      }
      ++port;
    }
  }
  std::set<std::string> session_names;
  for (const auto& session : s.sessions) session_names.insert(session.name);
  for (auto& e : root.List("expect")) {
    s.expectations.push_back(ReadExpectation(e, s.duration, classes, tunnels, session_names));
    s.expectations.back().text = fmt::format("{}:{}", origin, e.Line());
  }
  root.CheckNoOtherKeys();
  if (auto status = doc->Status(); !status) return tl::unexpected(status.error());
  return s;
}

Result<Scenario> LoadScenario(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("cannot read the scenario '{}': {}", path, std::strerror(errno)));
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseScenario(text, path);
}

}  // namespace lineup::sim
