// `lineup autoflow LOG`: the path-selection controller over a log, and
// `lineup replay LOG [--policy OTHER.yaml]`: offline replay and what-if.
#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "autoflow/replay.h"
#include "autoflow/service.h"
#include "base/time_text.h"
#include "cli/commands.h"
#include "cli/log_access.h"
#include "cli/output.h"

namespace lineup::cli {
namespace {

struct AutoflowOptions {
  std::string dir = "lineup-data/log";
  std::string config;
  std::string actuator = "record";
  std::string hook_timeout = "5s";
  int hook_retries = 2;
  bool follow = false;
  bool json = false;
  std::string policy;  // replay: the what-if policy
  std::size_t decisions = 40;
};

std::string Span(Nanos d) {
  const std::int64_t s = d.count() / 1'000'000'000;
  if (s < 60) return fmt::format("{:.1f}s", double(d.count()) / 1e9);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
}

int Autoflow(const AutoflowOptions& o) {
  if (o.config.empty())
    return Fail("autoflow", "give the policy: -c lineup.yaml (traffic_classes, policy)");
  auto config = autoflow::LoadConfig(o.config);
  if (!config) return Fail("autoflow", config.error().message);
  auto timeout = ParseDuration(o.hook_timeout);
  if (!timeout) return Fail("autoflow", "--hook-timeout: " + timeout.error().message);
  const RealClock clock;
  auto actuator = autoflow::MakeActuator(o.actuator, *timeout, o.hook_retries, clock);
  if (!actuator) return Fail("autoflow", actuator.error().message);
  auto log = store::OpenRocksLog(o.dir, {});
  if (!log) {
    return Fail("autoflow",
                log.error().message +
                    "\n(another lineup process may be writing this log: its own "
                    "controller already runs there; use lineup replay to try a policy)");
  }
  auto recorded = autoflow::RecordPolicy(**log, o.config, *config, clock.Now());
  if (!recorded) return Fail("autoflow", recorded.error().message);
  if (*recorded) std::cerr << fmt::format("recorded the policy of {} in the log\n", o.config);
  auto service = autoflow::ControllerService::Start(**log, std::move(*actuator), clock);
  if (!service) return Fail("autoflow", service.error().message);
  if (o.follow) {
    std::cerr << "following the log; Ctrl-C to stop\n";
    boost::asio::io_context io;
    boost::asio::signal_set stop(io, SIGINT, SIGTERM);
    stop.async_wait([&](boost::system::error_code, int) { io.stop(); });
    io.run();
  } else {
    while ((*service)->next_position() < (*log)->head() && !(*service)->last_error()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  (*service)->Stop();
  (*service)->actuator().Drain();
  if (auto error = (*service)->last_error()) return Fail("autoflow", error->message, 1);
  const auto assignments = (*service)->Assignments();
  if (o.json) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [cls, a] : assignments) {
      j[cls] = {{"line", a.to}, {"since", FormatTime(a.since)}, {"rule", a.rule}};
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("{:<16} {:<24} {:<24} {}\n", "traffic class", "line", "since", "rule");
  for (const auto& [cls, a] : assignments) {
    std::cout << fmt::format("{:<16} {:<24} {:<24} {}\n", cls, a.to.empty() ? "-" : a.to,
                             FormatTime(a.since).substr(0, 19), a.rule);
  }
  if (assignments.empty()) std::cout << "no decision yet: the analyzer has not judged any line\n";
  return 0;
}

std::string Short(const store::Event& e) {
  const auto& p = std::get<store::PathSwitched>(e.payload);
  return fmt::format("{} -> {} ({})", p.from.empty() ? "-" : p.from, p.to.empty() ? "-" : p.to,
                     p.rule);
}

nlohmann::json TimelineJson(const autoflow::Timeline& t) {
  nlohmann::json classes = nlohmann::json::object();
  for (const auto& c : t.classes) {
    nlohmann::json on = nlohmann::json::object();
    for (const auto& [line, d] : c.time_on) on[line.empty() ? "-" : line] = double(d.count()) / 1e9;
    classes[c.traffic_class] = {{"switches", c.switches},
                                {"assigned_s", double(c.assigned.count()) / 1e9},
                                {"out_of_sla_s", double(c.out_of_sla.count()) / 1e9},
                                {"exposed_s", double(c.exposed.count()) / 1e9},
                                {"time_on_s", on}};
  }
  nlohmann::json decisions = nlohmann::json::array();
  for (const auto& e : t.decisions) {
    const auto& p = std::get<store::PathSwitched>(e.payload);
    decisions.push_back({{"time", FormatTime(e.time)},
                         {"traffic_class", p.traffic_class},
                         {"from", p.from},
                         {"to", p.to},
                         {"rule", p.rule},
                         {"reason", p.reason}});
  }
  return {{"classes", classes}, {"decisions", decisions}};
}

int Replay(const AutoflowOptions& o) {
  std::optional<autoflow::LoadedConfig> what_if;
  if (!o.policy.empty()) {
    auto config = autoflow::LoadConfig(o.policy);
    if (!config) return Fail("replay", config.error().message);
    what_if = std::move(*config);
  }
  auto log = OpenLogForReading(o.dir);
  if (!log) return Fail("replay", log.error().message);
  const bool tty = isatty(STDERR_FILENO) != 0;
  auto result = autoflow::Replay(**log, std::move(what_if), [&](double share) {
    if (tty) std::cerr << fmt::format("\rreplaying: {:3.0f} %", 100 * share) << std::flush;
  });
  if (tty) std::cerr << "\r\033[K" << std::flush;
  if (!result) return Fail("replay", result.error().message, 1);
  const auto& r = *result;
  if (o.json) {
    nlohmann::json j = {{"from", FormatTime(r.from)},
                        {"to", FormatTime(r.to)},
                        {"events", r.events},
                        {"policy", o.policy.empty() ? "recorded" : o.policy},
                        {"identical", r.identical},
                        {"rejudged", r.rejudged},
                        {"recorded", TimelineJson(r.recorded)},
                        {"replayed", TimelineJson(r.replayed)}};
    if (r.first_difference) j["first_difference"] = *r.first_difference;
    std::cout << j.dump(2) << "\n";
    return !o.policy.empty() || r.identical ? 0 : 1;
  }
  const std::string label = o.policy.empty() ? "replayed" : "what-if";
  std::cout << fmt::format(
      "replayed {} events, {} .. {} ({}), under {}\n\n", r.events, FormatTime(r.from).substr(0, 19),
      FormatTime(r.to).substr(0, 19), Span(r.to - r.from),
      o.policy.empty() ? "the policy recorded in the log" : o.policy + " (what-if)");
  if (r.rejudged) {
    std::cout << "the what-if's SLA classes differ from the recorded ones: its analyzer "
                 "re-judged every line from the recorded probe samples\n";
  }
  if (o.policy.empty()) {
    if (r.identical) {
      std::cout << fmt::format("the replay reproduces all {} recorded decisions exactly\n",
                               r.recorded.decisions.size());
    } else {
      std::cout << fmt::format("the replay DIFFERS from the recording at decision {} of {}\n",
                               *r.first_difference + 1, r.recorded.decisions.size());
    }
  }
  // Per class, side by side.
  std::map<std::string, std::pair<const autoflow::ClassOutcome*, const autoflow::ClassOutcome*>>
      rows;
  for (const auto& c : r.recorded.classes) rows[c.traffic_class].first = &c;
  for (const auto& c : r.replayed.classes) rows[c.traffic_class].second = &c;
  auto lines = [](const autoflow::ClassOutcome* c) {
    if (!c) return std::string("-");
    std::string s;
    for (const auto& [line, d] : c->time_on) {
      s += fmt::format("{}{} {}", s.empty() ? "" : ", ", line.empty() ? "-" : line, Span(d));
    }
    return s;
  };
  std::cout << "\nexposed: time on a line whose samples were out of the class's (recorded) SLA, "
               "detection delay included;\nout of SLA: time on a line its timeline's verdicts "
               "called down or violated\n";
  std::cout << fmt::format("\n{:<14} {:>9} {:>9}   {:>10} {:>10}   {:>10} {:>10}   time per line\n",
                           "traffic class", "switches", label, "exposed", label, "out of SLA",
                           label);
  for (const auto& [cls, pair] : rows) {
    const auto* a = pair.first;
    const auto* b = pair.second;
    std::cout << fmt::format("{:<14} {:>9} {:>9}   {:>10} {:>10}   {:>10} {:>10}   recorded: {}\n",
                             cls, a ? std::to_string(a->switches) : "-",
                             b ? std::to_string(b->switches) : "-", a ? Span(a->exposed) : "-",
                             b ? Span(b->exposed) : "-", a ? Span(a->out_of_sla) : "-",
                             b ? Span(b->out_of_sla) : "-", lines(a));
    std::cout << fmt::format("{:<14} {:>9} {:>9}   {:>10} {:>10}   {:>10} {:>10}   {}: {}\n", "",
                             "", "", "", "", "", "", label, lines(b));
  }
  // Decisions, merged in time order.
  std::cout << fmt::format(
      "\ndecisions ({} recorded, {} {}){}\n", r.recorded.decisions.size(),
      r.replayed.decisions.size(), label,
      r.recorded.decisions.size() + r.replayed.decisions.size() > 2 * o.decisions
          ? fmt::format(", the first {} of each", o.decisions)
          : "");
  std::size_t i = 0, j = 0;
  const auto& a = r.recorded.decisions;
  const auto& b = r.replayed.decisions;
  while ((i < a.size() && i < o.decisions) || (j < b.size() && j < o.decisions)) {
    const bool take_a = i < a.size() && i < o.decisions &&
                        (j >= b.size() || j >= o.decisions || a[i].time <= b[j].time);
    const bool same = take_a && j < b.size() && j < o.decisions && a[i].time == b[j].time &&
                      a[i].payload == b[j].payload;
    const store::Event& e = take_a ? a[i] : b[j];
    const auto& p = std::get<store::PathSwitched>(e.payload);
    std::cout << fmt::format("  {}  {:<10} {:<32} {}\n", FormatTime(e.time).substr(0, 19),
                             p.traffic_class, take_a ? Short(a[i]) : "",
                             same     ? "(same)"
                             : take_a ? ""
                                      : Short(b[j]));
    if (take_a) ++i;
    if (!take_a || same) ++j;
  }
  return !o.policy.empty() || r.identical ? 0 : 1;
}

}  // namespace

void AddAutoflowCommand(CLI::App& app, Runner& run) {
  auto o = std::make_shared<AutoflowOptions>();
  auto* cmd = app.add_subcommand(
      "autoflow",
      "Choose the line per traffic class from the analyzer's verdicts, append each "
      "switch to the log and hand it to an actuator");
  cmd->add_option("dir", o->dir, "The log directory")->capture_default_str();
  cmd->add_option("-c,--config", o->config, "lineup.yaml with traffic_classes and policy")
      ->required();
  cmd->add_option("--actuator", o->actuator,
                  "record (default), hook:COMMAND, jsonl:- , jsonl:FILE or jsonl:unix:PATH")
      ->capture_default_str();
  cmd->add_option("--hook-timeout", o->hook_timeout, "Kill a hook running longer")
      ->capture_default_str();
  cmd->add_option("--hook-retries", o->hook_retries, "Retries of a failed hook")
      ->capture_default_str();
  cmd->add_flag("--follow", o->follow, "Keep deciding on new verdicts until Ctrl-C");
  cmd->add_flag("--json", o->json, "The current lines as JSON");
  cmd->callback([o, &run] { run = [o] { return Autoflow(*o); }; });

  auto r = std::make_shared<AutoflowOptions>();
  auto* replay = app.add_subcommand(
      "replay",
      "Replay a recorded log through the controller: check it reproduces the recorded "
      "decisions, or compare with another policy (what-if)");
  replay->add_option("dir", r->dir, "The log directory")->capture_default_str();
  replay->add_option("--policy", r->policy, "A lineup.yaml to try instead of the recorded policy");
  replay->add_option("--decisions", r->decisions, "Decisions to list")->capture_default_str();
  replay->add_flag("--json", r->json, "JSON");
  replay->callback([r, &run] { run = [r] { return Replay(*r); }; });
}

}  // namespace lineup::cli
