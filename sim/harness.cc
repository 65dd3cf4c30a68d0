#include "sim/harness.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <memory>
#include <random>

#include "analyzer/analyzer.h"
#include "autoflow/controller.h"
#include "autoflow/policy_record.h"
#include "autoflow/service.h"
#include "base/ntp.h"
#include "base/time_text.h"
#include "measure/reflector.h"
#include "measure/session.h"
#include "store/measurements.h"

namespace lineup::sim {
namespace {

// The host's own time, for how long a run took to compute.
const RealClock kHost;

double Seconds(MonoTime since) {
  return std::chrono::duration<double>(kHost.Monotonic() - since).count();
}

double Ms(Nanos d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string At(Nanos t) { return FormatElapsed(t); }

// The first six items, comma-separated, then "..." if there are more.
std::string FirstSix(const std::vector<std::string>& items) {
  const std::size_t shown = std::min<std::size_t>(items.size(), 6);
  return fmt::format("{}{}",
                     fmt::join(items.begin(), items.begin() + static_cast<long>(shown), ", "),
                     items.size() > shown ? ", ..." : "");
}

// A simulated session runs as the daemon runs one: in runs of a bounded
// number of probes, each with its own sender state and its own summary in
// the log, so memory stays flat however long the scenario. Runs follow each
// other without a pause; a run closes once the fate of its last probe is
// known (its reply, or T1 + the loss threshold), and a reply is routed to
// its run by the T1 it echoes. The reflector sees one sender throughout, so
// its numbering runs on across runs (each summary subtracts the leftover).
constexpr Nanos kRunLength = std::chrono::minutes(1);

struct Run {
  measure::SenderSession sender;
  std::uint32_t base = 0;  // the session-wide sequence of its first probe
  WallTime started;
  std::vector<bool> known;  // per probe of the run: its fate is known
  std::uint32_t next = 0;   // the next of its probes to log
  Run(measure::SessionConfig config, std::uint32_t b, WallTime t)
      : sender(std::move(config)), base(b), started(t), known(sender.config().count, false) {}
  bool Holds(std::uint32_t sequence) const {
    return sequence >= base && sequence - base < sender.config().count;
  }
};

// A TWAMP session over one tunnel: the real sender and reflector cores.
struct Session {
  std::string tunnel;
  measure::SessionConfig config;  // its count: all the probes of the scenario
  std::uint32_t run_probes = 1;   // per run
  std::uint32_t sent = 0;         // so far, over all its runs
  std::deque<Run> runs;           // open, oldest first
  measure::ReflectorCore reflector;
  measure::UdpEndpoint local;                 // the sender's address, as the reflector sees it
  Nanos phase{0};                             // its first probe, in [0, interval)
  std::vector<std::pair<Nanos, Nanos>> dead;  // when the reflector port does not answer
  Session(std::string t, measure::SessionConfig c, measure::ReflectorConfig rc,
          measure::UdpEndpoint l)
      : tunnel(std::move(t)),
        config(std::move(c)),
        run_probes(
            static_cast<std::uint32_t>(std::max<std::int64_t>(1, kRunLength / config.interval))),
        reflector(std::move(rc)),
        local(std::move(l)) {}
  bool DeadAt(Nanos t) const {
    return std::any_of(dead.begin(), dead.end(),
                       [t](const auto& span) { return t >= span.first && t < span.second; });
  }
  // The run of the next probe, a new one when the last has sent all of its.
  Run& Sending(WallTime t1) {
    if (runs.empty() || runs.back().sender.AllSent()) {
      measure::SessionConfig c = config;
      c.count = std::min(run_probes, config.count - sent);
      runs.emplace_back(std::move(c), sent, t1);
    }
    return runs.back();
  }
  // The open run a probe belongs to, by its session-wide sequence.
  Run* Of(std::uint32_t sequence) {
    for (auto& run : runs)
      if (run.Holds(sequence)) return &run;
    return nullptr;
  }
  // The open run of a reply: the latest one started by the T1 it echoes
  // (an undecodable reply goes to the newest run, which counts it).
  Run* OfReply(ConstByteSpan datagram) {
    if (runs.empty()) return nullptr;
    auto packet = measure::DecodeReflectorPacket(datagram);
    if (!packet) return &runs.back();
    const WallTime t1 = measure::DecodeTimestamp(packet->sender_timestamp, false);
    // Half an interval of slack: the echoed T1 is truncated to NTP's resolution.
    for (auto run = runs.rbegin(); run != runs.rend(); ++run)
      if (run->started - config.interval / 2 <= t1) return &*run;
    return nullptr;  // its run has closed: late, as for a daemon's closed socket
  }
};

ByteSpan Bytes(std::uint8_t* data, std::size_t length) {
  return {reinterpret_cast<std::byte*>(data), length};
}
ConstByteSpan Bytes(const std::uint8_t* data, std::size_t length) {
  return {reinterpret_cast<const std::byte*>(data), length};
}

measure::UdpEndpoint Endpoint(std::uint32_t address, std::uint16_t port) {
  return {boost::asio::ip::address_v4(address), port};
}

// The sessions, one per probed tunnel. Each starts at its own point of the
// first interval, drawn from the seed: where the probes fall against an
// outage's start is part of what a seed varies, so time-to-switch figures
// over seeds show their true spread (a fixed phase gave every seed the same).
std::vector<std::unique_ptr<Session>> MakeSessions(const Scenario& s, std::uint32_t seed) {
  std::vector<std::unique_ptr<Session>> sessions;
  std::mt19937_64 phases(0x9e3779b97f4a7c15ULL ^ seed);
  measure::ErrorEstimate synced = measure::ErrorEstimate::FromError(Nanos(1), true);
  for (const auto& spec : s.sessions) {
    std::size_t index = 0;
    while (s.network.links[index].name != spec.tunnel) ++index;
    const Nanos interval = spec.interval.value_or(s.probe_interval);
    measure::SessionConfig c;
    c.name = spec.name;
    c.destination = Endpoint(net::LinkAddress(index, true), spec.port);
    c.interval = interval;
    c.padding = spec.padding;
    c.dscp = spec.dscp;
    c.wait = s.loss_timeout;
    c.reflector = measure::ReflectorNumbering::kStateful;
    c.error_estimate = synced;
    std::uniform_int_distribution<std::int64_t> phase_of(0, interval.count() - 1);
    const Nanos offset(phase_of(phases));
    c.count = static_cast<std::uint32_t>((s.duration - offset - Nanos(1)) / interval + 1);
    measure::ReflectorConfig rc;
    rc.error_estimate = synced;
    rc.sender_idle_timeout = s.duration + s.loss_timeout + std::chrono::hours(1);
    sessions.push_back(std::make_unique<Session>(spec.tunnel, c, rc,
                                                 Endpoint(net::LinkAddress(index, false), 50000)));
    sessions.back()->phase = offset;
    sessions.back()->dead = spec.dead;
  }
  return sessions;
}

// What the network tells the pipeline: a probe sent, a reply the sender
// accepted.
struct ProbeEvents {
  virtual ~ProbeEvents() = default;
  virtual void Sent(std::size_t session, std::uint32_t sequence) = 0;
  virtual void Answered(std::size_t session, std::uint32_t sequence) = 0;
};

std::vector<net::Probe> Wire(const Scenario& s, std::vector<std::unique_ptr<Session>>& sessions,
                             ProbeEvents& events) {
  std::vector<net::Probe> probes;
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    Session* session = sessions[i].get();
    const auto& c = session->config;
    net::Probe p;
    p.link = session->tunnel;
    p.start_ns = session->phase.count();
    p.interval_ns = c.interval.count();
    p.count = c.count;
    p.tos = static_cast<std::uint8_t>(c.dscp << 2);
    p.port = c.destination.port();
    const WallTime start = s.start;
    p.build = [session, start, i, &events](std::int64_t t, std::uint8_t* out,
                                           std::size_t capacity) {
      if (capacity < session->config.PacketLength()) return std::size_t{0};
      const WallTime t1 = start + Nanos(t);
      const std::size_t n = session->Sending(t1).sender.BuildProbe(t1, Bytes(out, capacity));
      if (n > 0) events.Sent(i, session->sent++);
      return n;
    };
    p.on_reply = [session, start, i, &events](std::int64_t t, const std::uint8_t* data,
                                              std::size_t length, int ttl, int tos) {
      Run* run = session->OfReply(Bytes(data, length));
      if (!run) return;
      const auto verdict = run->sender.OnDatagram(Bytes(data, length), start + Nanos(t), ttl, tos);
      if (verdict == measure::RunRecorder::Verdict::kAccepted)
        events.Answered(i, run->base + run->sender.last_reply_sequence());
    };
    p.reflect = [session, start](std::int64_t t, const std::uint8_t* in, std::size_t length,
                                 int ttl, int tos, std::uint8_t* out, std::size_t capacity) {
      if (session->DeadAt(Nanos(t))) return std::size_t{0};
      measure::ReceivedMeta meta;
      meta.peer = session->local;
      meta.receive_time = start + Nanos(t);
      meta.ttl = ttl;
      meta.tos = tos;
      auto plan = session->reflector.Reflect(Bytes(in, length), meta, Bytes(out, capacity));
      if (!plan) return std::size_t{0};
      // Answered at once: T3 = T2.
      session->reflector.Stamp(Bytes(out, plan->length), ToNtp(meta.receive_time));
      return plan->length;
    };
    probes.push_back(std::move(p));
  }
  return probes;
}

// The log, the analyzer and the controller in lockstep: every event appended
// is folded by both at once and their outputs appended right after it, so
// the log holds exactly the order `lineup replay` and a restart will fold.
// Events stream to the log (an empty one, so positions count from 0) in
// batches as the run goes, and nothing of them stays in memory; without a
// log they are only counted.
class Lockstep {
 public:
  Lockstep(store::EventLog* log, const analyzer::AnalyzerConfig& config, WallTime start)
      : log_(log), analyzer_(config), start_(start) {}

  Result<void> Feed(store::Event event) {
    pending_.push_back(std::move(event));
    while (!pending_.empty()) {
      store::RecordedEvent r;
      r.event = std::move(pending_.front());
      pending_.pop_front();
      r.position = appended_++;
      if (log_) {
        batch_.push_back(r.event);
        if (batch_.size() == kBatch)
          if (auto flushed = Flush(); !flushed) return flushed;
      }
      r.revision = revisions_[r.event.stream]++;
      out_.clear();
      analyzer_.Apply(r, out_);
      controller_.Apply(r, out_);
      Observe(r.event);
      for (auto& o : out_) pending_.push_back(std::move(o));
    }
    return {};
  }

  std::vector<Decision> decisions;
  std::vector<std::pair<Nanos, std::string>> outages;
  std::vector<RunOutcome::LineChange> line_changes;
  std::vector<RunOutcome::Fault> session_faults;
  std::function<void(const store::PathSwitched&)> on_switch;

  // Writes what is batched; the log must give the positions counted here.
  Result<void> Flush() {
    if (!log_ || batch_.empty()) return {};
    auto positions = log_->Append(batch_);
    if (!positions) return tl::unexpected(positions.error());
    if (positions->empty() || positions->back() + 1 != appended_) {
      return Fail(ErrorCode::kInternal,
                  "the scenario's log was written by someone else during the run");
    }
    batch_.clear();
    return {};
  }
  std::uint64_t appended() const { return appended_; }

 private:
  void Observe(const store::Event& e) {
    const Nanos at = e.time - start_;
    if (const auto* p = std::get_if<store::PathSwitched>(&e.payload)) {
      decisions.push_back({at, p->traffic_class, p->from, p->to, p->rule, p->reason});
      if (on_switch) on_switch(*p);
    } else if (const auto* d = std::get_if<store::TunnelDown>(&e.payload)) {
      outages.emplace_back(at, d->tunnel);
      line_changes.push_back({at, d->tunnel, "", true});
    } else if (const auto* u = std::get_if<store::TunnelUp>(&e.payload)) {
      line_changes.push_back({at, u->tunnel, "", false});
    } else if (const auto* v = std::get_if<store::SlaViolated>(&e.payload)) {
      line_changes.push_back({at, v->tunnel, v->sla_class, true});
    } else if (const auto* r = std::get_if<store::SlaRecovered>(&e.payload)) {
      line_changes.push_back({at, r->tunnel, r->sla_class, false});
    } else if (const auto* f = std::get_if<store::SessionFault>(&e.payload)) {
      session_faults.push_back({at, f->tunnel, f->session});
    }
  }

  static constexpr std::size_t kBatch = 8192;
  store::EventLog* log_;
  std::uint64_t appended_ = 0;
  std::vector<store::Event> batch_;
  analyzer::Analyzer analyzer_;
  autoflow::Controller controller_;
  WallTime start_;
  std::map<std::string, std::uint64_t> revisions_;
  std::deque<store::Event> pending_;
  std::vector<store::Event> out_;
};

// Whether an expectation is about a session's measured figures.
bool Measures(const Expectation& e) {
  switch (e.kind) {
    case Expectation::kOn:
    case Expectation::kTimeOn:
    case Expectation::kTimeOnViolated:
    case Expectation::kMaxSwitches:
    case Expectation::kDown:
    case Expectation::kNotDown:
    case Expectation::kSessionFault:
      return false;
    default:
      return true;
  }
}

// Feeds each probe's sample into the pipeline the moment the sender knows
// its fate, with the product's one convention (store::SampleEvent: at the
// reply, or at T1 + the loss threshold), so the analyzer and controller
// decide during the simulation, at the times a device would; and moves each
// traffic class's volume to the line the controller puts it on.
class Live final : public ProbeEvents {
 public:
  Live(const Scenario& s, std::vector<std::unique_ptr<Session>>& sessions, Lockstep& lockstep,
       RunOutcome& run, bool keep_probes)
      : scenario_(s),
        sessions_(sessions),
        lockstep_(lockstep),
        run_(run),
        keep_probes_(keep_probes),
        clock_(net::MakeSimulatorClock(s.start)),
        measured_(s.expectations.size()) {
    for (const auto& session : sessions_) {
      streams_.push_back(store::SessionStream(session->config));
      previous_.emplace_back();
      if (keep_probes_) run_.probes_by_session[session->config.name].resize(session->config.count);
      // The expectations on this session's figures.
      std::vector<std::size_t> mine;
      for (std::size_t k = 0; k < s.expectations.size(); ++k) {
        if (Measures(s.expectations[k]) && s.expectations[k].subject == session->config.name)
          mine.push_back(k);
      }
      expectations_of_.push_back(std::move(mine));
    }
    lockstep_.on_switch = [this](const store::PathSwitched& p) { Moved(p); };
  }

  void Sent(std::size_t i, std::uint32_t sequence) override {
    // Just after T1 + the threshold: lost, unless the reply came by then
    // (one at exactly the threshold still counts, as the recorder takes it).
    clock_->Timers()->Schedule(clock_->Monotonic() + scenario_.loss_timeout + Nanos(1),
                               [this, i, sequence]() { Emit(i, sequence); });
  }
  void Answered(std::size_t i, std::uint32_t sequence) override { Emit(i, sequence); }

  const Result<void>& status() const { return status_; }
  // What the probes measured for expectation k (of the scenario's).
  Measured measured(std::size_t k) const { return measured_[k].Result(); }

 private:
  // The probe's fate is known: its sample, and those after it that were
  // only waiting for it, are due (store::SampleEvent: in sequence order,
  // over the session's runs too). Once all of its probes are logged, a run
  // closes with its summary.
  void Emit(std::size_t i, std::uint32_t sequence) {
    Session& session = *sessions_[i];
    Run* run = session.Of(sequence);
    if (!run || run->known[sequence - run->base]) return;
    run->known[sequence - run->base] = true;
    while (status_ && !session.runs.empty()) {
      Run& oldest = session.runs.front();
      const std::uint32_t count = oldest.sender.config().count;
      while (status_ && oldest.next < count && oldest.known[oldest.next])
        Log(i, oldest, oldest.next++);
      if (!status_ || oldest.next < count) return;
      Close(session, oldest);
      session.runs.pop_front();
    }
  }

  void Close(const Session& session, Run& run) {
    run.sender.Close();
    measure::SessionResult result;
    result.config = run.sender.config();
    result.local = session.local;
    result.started = run.started;
    result.finished = clock_->Now();
    result.summary = run.sender.Summarize();
    ++run_.runs;
    status_ = lockstep_.Feed(store::SummaryEvent(result));
  }

  void Log(std::size_t i, const Run& run, std::uint32_t index) {
    Session& session = *sessions_[i];
    const measure::PacketRecord& packet = run.sender.recorder().packets()[index];
    store::Event event =
        store::SampleEvent(streams_[i], packet, scenario_.loss_timeout, previous_[i]);
    previous_[i] = event.time;
    const std::uint32_t sequence = run.base + index;
    ProbePoint point;
    point.sent = packet.t1 - scenario_.start;
    point.sequence = sequence;
    point.lost = std::get<store::ProbeSample>(event.payload).lost;
    if (!point.lost) {
      point.reflector_sequence = packet.reply->reflector_sequence;
      point.forward_ms = Ms(packet.reply->Forward(packet.t1));
      point.backward_ms = Ms(packet.reply->Backward());
      point.rtt_ms = Ms(packet.reply->RoundTrip(packet.t1));
    }
    for (const std::size_t k : expectations_of_[i]) {
      const Expectation& e = scenario_.expectations[k];
      if (point.sent >= e.from && point.sent < e.to) measured_[k].Add(point);
    }
    if (keep_probes_) run_.probes_by_session[session.config.name][sequence] = point;
    ++run_.probes;
    status_ = lockstep_.Feed(std::move(event));
  }

  // The class's volume leaves the links of its old line for those of its new.
  void Moved(const store::PathSwitched& p) {
    const auto volume = scenario_.traffic_mbps.find(p.traffic_class);
    if (volume == scenario_.traffic_mbps.end()) return;
    line_of_[p.traffic_class] = p.to;
    std::map<std::string, double> load;
    for (const auto& [name, line] : line_of_) {
      if (line.empty()) continue;
      for (const auto& tunnel : TunnelsOfLine(line))
        load[tunnel] += scenario_.traffic_mbps.at(name);
    }
    for (auto& [tunnel, mbps] : load_) {
      if (load.count(tunnel) == 0) {
        net::SetLoad(tunnel, 0);
        mbps = 0;
      }
    }
    for (const auto& [tunnel, mbps] : load) {
      if (load_[tunnel] != mbps) net::SetLoad(tunnel, mbps);
      load_[tunnel] = mbps;
    }
  }

  const Scenario& scenario_;
  std::vector<std::unique_ptr<Session>>& sessions_;
  Lockstep& lockstep_;
  RunOutcome& run_;
  bool keep_probes_;
  std::unique_ptr<Clock> clock_;
  std::vector<MeasureAccumulator> measured_;               // per expectation
  std::vector<std::vector<std::size_t>> expectations_of_;  // per session: on its figures
  std::vector<std::string> streams_;
  std::vector<WallTime> previous_;              // the time of the last sample logged
  std::map<std::string, std::string> line_of_;  // traffic class -> its line
  std::map<std::string, double> load_;          // tunnel -> Mbit/s of classes on it
  Result<void> status_ = {};
};

std::string Describe(const Expectation& e) {
  const std::string window = fmt::format("in [{}, {})", At(e.from), At(e.to));
  const std::string range = fmt::format("within [{:g}, {:g}]", e.low, e.high);
  switch (e.kind) {
    case Expectation::kOn:
      return fmt::format("{} on {} at {}{}", e.subject, e.line, At(e.at),
                         e.time_to_switch_max
                             ? fmt::format(", moved there within {} of {}",
                                           FormatElapsed(*e.time_to_switch_max), At(e.after))
                             : std::string());
    case Expectation::kTimeOn:
      if (e.at_most == Nanos(0)) return fmt::format("{} never on {} {}", e.subject, e.line, window);
      return fmt::format("{} on {} for at most {} {}", e.subject, e.line, FormatElapsed(e.at_most),
                         window);
    case Expectation::kTimeOnViolated:
      return fmt::format("{} at most {} on a line down or out of SLA class {} {}", e.subject,
                         FormatElapsed(e.at_most), e.sla_class, window);
    case Expectation::kMaxSwitches:
      return fmt::format("at most {}{} switch{} of {} {}", e.count,
                         e.rule.empty() ? "" : " " + e.rule, e.count == 1 ? "" : "es", e.subject,
                         window);
    case Expectation::kLoss:
      return fmt::format("round-trip loss of {} {} {} %", e.subject, window, range);
    case Expectation::kForwardLoss:
      return fmt::format("outbound loss of {} {} {} %", e.subject, window, range);
    case Expectation::kBackwardLoss:
      return fmt::format("inbound loss of {} {} {} %", e.subject, window, range);
    case Expectation::kRtt:
      return fmt::format("mean round trip of {} {} {} ms", e.subject, window, range);
    case Expectation::kJitter:
      return fmt::format("jitter of {} {} {} ms", e.subject, window, range);
    case Expectation::kForwardDelay:
      return fmt::format("mean outbound delay of {} {} {} ms", e.subject, window, range);
    case Expectation::kBackwardDelay:
      return fmt::format("mean inbound delay of {} {} {} ms", e.subject, window, range);
    case Expectation::kForwardJitter:
      return fmt::format("outbound jitter of {} {} {} ms", e.subject, window, range);
    case Expectation::kBackwardJitter:
      return fmt::format("inbound jitter of {} {} {} ms", e.subject, window, range);
    case Expectation::kDown:
      return fmt::format("{} reported down {}", e.subject, window);
    case Expectation::kNotDown:
      return fmt::format("{} never down {}", e.subject, window);
    case Expectation::kSessionFault:
      return fmt::format("a session of {} reported faulty {}", e.subject, window);
  }
  return "?";
}

std::string Move(const Decision& d) {
  return fmt::format("{} {} -> {} ({})", At(d.at), d.from.empty() ? "-" : d.from,
                     d.to.empty() ? "-" : d.to, d.rule);
}

// Spans of time, [begin, end), sorted and merged.
using Spans = std::vector<std::pair<Nanos, Nanos>>;

Spans Merged(Spans spans) {
  std::sort(spans.begin(), spans.end());
  Spans out;
  for (const auto& s : spans) {
    if (!out.empty() && s.first <= out.back().second) {
      out.back().second = std::max(out.back().second, s.second);
    } else {
      out.push_back(s);
    }
  }
  return out;
}

// When the analyzer held `tunnel` down, or in violation of `sla_class`.
Spans BadSpans(const RunOutcome& run, const std::string& tunnel, const std::string& sla_class,
               Nanos end) {
  Spans spans;
  std::optional<Nanos> down_since, violated_since;
  for (const auto& c : run.line_changes) {
    if (c.tunnel != tunnel) continue;
    std::optional<Nanos>* since = nullptr;
    if (c.sla_class.empty()) {
      since = &down_since;
    } else if (c.sla_class == sla_class) {
      since = &violated_since;
    } else {
      continue;
    }
    if (c.bad && !*since) *since = c.at;
    if (!c.bad && *since) {
      spans.emplace_back(**since, c.at);
      since->reset();
    }
  }
  if (down_since) spans.emplace_back(*down_since, end);
  if (violated_since) spans.emplace_back(*violated_since, end);
  return Merged(std::move(spans));
}

// Calls stay(line, since, until) for each stretch of [from, to) that class
// `e.subject` spent on one line: from the last decision before `from`, then
// each decision inside. A stretch before the first decision has no line.
template <class Stay>
void ForEachStay(const Expectation& e, const RunOutcome& run, Stay stay) {
  std::string line;
  Nanos since = e.from;
  auto close = [&](Nanos until) {
    if (until > since) stay(line, since, until);
  };
  for (const auto& d : run.decisions) {
    if (d.traffic_class != e.subject) continue;
    if (d.at >= e.to) break;
    if (d.at <= e.from) {
      line = d.to;
      continue;
    }
    close(d.at);
    line = d.to;
    since = d.at;
  }
  close(e.to);
}

// How long class `e.subject` was, in [from, to), on a line (or a path
// through hubs, by any of its tunnels) the analyzer held down or in
// violation of the class's SLA class.
Nanos TimeOnBadLines(const Expectation& e, const RunOutcome& run) {
  Nanos total{0};
  ForEachStay(e, run, [&](const std::string& line, Nanos since, Nanos until) {
    if (line.empty()) return;
    Spans bad;
    for (const auto& tunnel : TunnelsOfLine(line)) {
      for (const auto& s : BadSpans(run, tunnel, e.sla_class, e.to)) bad.push_back(s);
    }
    for (const auto& [b, f] : Merged(std::move(bad))) {
      const Nanos lo = std::max(b, since), hi = std::min(f, until);
      if (hi > lo) total += hi - lo;
    }
  });
  return total;
}

// `m`: the session's figures over [from, to), for the expectations on them;
// `probed`: whether a session of that name was there.
ExpectationResult Check(const Expectation& e, const RunOutcome& run, const Measured& m,
                        bool probed) {
  ExpectationResult r;
  r.expectation = e;
  r.what = Describe(e);
  auto within = [&](double value, std::string shown) {
    r.passed = value >= e.low && value <= e.high;
    r.detail = std::move(shown);
  };
  const bool measures = Measures(e);
  switch (e.kind) {
    case Expectation::kOn: {
      const Decision* current = nullptr;
      const Decision* arrival = nullptr;
      auto wanted = [&](const std::string& line) {
        return std::find(e.lines.begin(), e.lines.end(), line) != e.lines.end();
      };
      for (const auto& d : run.decisions) {
        if (d.traffic_class != e.subject) continue;
        if (d.at <= e.at) current = &d;
        if (!arrival && e.after > Nanos(0) && d.at >= e.after && wanted(d.to)) arrival = &d;
      }
      r.passed = current && wanted(current->to);
      if (!current) {
        r.detail = fmt::format("no decision for {} by {}", e.subject, At(e.at));
      } else {
        r.detail =
            fmt::format("on {} since {} (rule {})", current->to.empty() ? "no line" : current->to,
                        At(current->at), current->rule);
      }
      if (arrival) {
        r.time_to_switch = arrival->at - e.after;
        r.detail += fmt::format("; moved to {} {} after {} (rule {})", e.line,
                                FormatElapsed(*r.time_to_switch), At(e.after), arrival->rule);
        if (!e.rule.empty() && arrival->rule != e.rule) {
          r.passed = false;
          r.detail += fmt::format(", expected rule {}", e.rule);
        }
        if (e.time_to_switch_max && *r.time_to_switch > *e.time_to_switch_max) {
          r.passed = false;
          r.detail += fmt::format(", more than {}", FormatElapsed(*e.time_to_switch_max));
        }
      } else if (e.after > Nanos(0)) {
        r.detail += fmt::format("; never moved to {} after {}", e.line, At(e.after));
        if (e.time_to_switch_max) r.passed = false;
      }
      break;
    }
    case Expectation::kTimeOn: {
      Nanos on{0};
      std::vector<std::string> stays;
      ForEachStay(e, run, [&](const std::string& line, Nanos since, Nanos until) {
        if (line != e.line) return;
        on += until - since;
        stays.push_back(fmt::format("{}..{}", At(since), At(until)));
      });
      r.passed = on <= e.at_most;
      r.detail = fmt::format("on {} for {}", e.line, FormatElapsed(on));
      if (!stays.empty()) r.detail += fmt::format(" ({})", FirstSix(stays));
      break;
    }
    case Expectation::kTimeOnViolated: {
      const Nanos on = TimeOnBadLines(e, run);
      r.passed = on <= e.at_most;
      r.detail = fmt::format("on a line down or out of {} for {}", e.sla_class, FormatElapsed(on));
      break;
    }
    case Expectation::kMaxSwitches: {
      std::vector<std::string> moves;
      for (const auto& d : run.decisions) {
        if (d.traffic_class == e.subject && !d.from.empty() && d.at >= e.from && d.at < e.to &&
            (e.rule.empty() || d.rule == e.rule)) {
          moves.push_back(Move(d));
        }
      }
      r.passed = moves.size() <= e.count;
      r.detail = fmt::format("{} switch{}", moves.size(), moves.size() == 1 ? "" : "es");
      if (!moves.empty()) r.detail += ": " + FirstSix(moves);
      break;
    }
    case Expectation::kLoss: {
      within(m.loss_percent, fmt::format("measured {:.2f} % ({} of {} probes lost)", m.loss_percent,
                                         m.lost, m.sent));
      break;
    }
    case Expectation::kForwardLoss: {
      within(m.forward_loss_percent,
             fmt::format("measured {:.2f} % ({} probes lost on the way out of {})",
                         m.forward_loss_percent, m.forward_lost, m.sent));
      break;
    }
    case Expectation::kBackwardLoss: {
      within(m.backward_loss_percent,
             fmt::format("measured {:.2f} % ({} replies lost on the way back)",
                         m.backward_loss_percent, m.backward_lost));
      break;
    }
    case Expectation::kRtt: {
      within(m.rtt_mean_ms, fmt::format("measured {:.3f} ms (stddev {:.3f} ms, {} replies)",
                                        m.rtt_mean_ms, m.rtt_stddev_ms, m.sent - m.lost));
      break;
    }
    case Expectation::kJitter: {
      within(m.jitter_ms, fmt::format("measured {:.3f} ms", m.jitter_ms));
      break;
    }
    case Expectation::kForwardDelay: {
      within(m.forward_mean_ms, fmt::format("measured {:.3f} ms (stddev {:.3f} ms)",
                                            m.forward_mean_ms, m.forward_stddev_ms));
      break;
    }
    case Expectation::kBackwardDelay: {
      within(m.backward_mean_ms, fmt::format("measured {:.3f} ms (stddev {:.3f} ms)",
                                             m.backward_mean_ms, m.backward_stddev_ms));
      break;
    }
    case Expectation::kForwardJitter: {
      within(m.forward_jitter_ms, fmt::format("measured {:.3f} ms", m.forward_jitter_ms));
      break;
    }
    case Expectation::kBackwardJitter: {
      within(m.backward_jitter_ms, fmt::format("measured {:.3f} ms", m.backward_jitter_ms));
      break;
    }
    case Expectation::kDown:
    case Expectation::kNotDown: {
      // The first time the analyzer called the tunnel down in the window.
      std::optional<Nanos> down;
      for (const auto& [at, tunnel] : run.outages) {
        if (tunnel == e.subject && at >= e.from && at < e.to) {
          down = at;
          break;
        }
      }
      r.passed = down.has_value() == (e.kind == Expectation::kDown);
      r.detail =
          down ? fmt::format("{} at {}", e.kind == Expectation::kDown ? "down" : "reported down",
                             At(*down))
               : "never reported down in that window";
      break;
    }
    case Expectation::kSessionFault: {
      for (const auto& f : run.session_faults) {
        if (f.tunnel == e.subject && f.at >= e.from && f.at < e.to) {
          r.passed = true;
          r.detail = fmt::format("{} reported faulty at {}", f.session, At(f.at));
          break;
        }
      }
      if (!r.passed) r.detail = "no session fault reported in that window";
      break;
    }
  }
  if (measures && !probed) {
    r.passed = false;
    r.detail = fmt::format(
        "{} was not probed (see probes.tunnels; a tunnel with several "
        "sessions has its figures per session: 'session: TUNNEL/NAME')",
        e.subject);
  } else if (measures) {
    // A figure over nothing is no evidence: it fails, whatever its range.
    const std::uint64_t replies = m.sent - m.lost;
    const bool jitter = e.kind == Expectation::kJitter || e.kind == Expectation::kForwardJitter ||
                        e.kind == Expectation::kBackwardJitter;
    const bool on_replies = jitter || e.kind == Expectation::kRtt ||
                            e.kind == Expectation::kForwardDelay ||
                            e.kind == Expectation::kBackwardDelay;
    const std::uint64_t needed = jitter ? 2 : 1;
    if ((on_replies ? replies : m.sent) < needed) {
      r.passed = false;
      r.detail = fmt::format(
          "nothing to measure: {} probes sent and {} answered in [{}, {}) (a {} needs {} {})",
          m.sent, replies, At(e.from), At(e.to), jitter ? "jitter" : "figure", needed,
          on_replies ? (needed == 1 ? "reply" : "replies in a row") : "probe");
    }
  }
  return r;
}

}  // namespace

void MeasureAccumulator::Add(const ProbePoint& p) {
  ++m_.sent;
  const auto sequence = static_cast<std::uint32_t>(p.sequence);
  const auto d = chain_.Next(sequence, p.lost ? std::nullopt : std::optional<double>(p.rtt_ms));
  const auto fd =
      forward_chain_.Next(sequence, p.lost ? std::nullopt : std::optional<double>(p.forward_ms));
  const auto bd =
      backward_chain_.Next(sequence, p.lost ? std::nullopt : std::optional<double>(p.backward_ms));
  if (p.lost) {
    ++m_.lost;
    return;
  }
  if (d) {
    ipdv_ += std::abs(*d);
    fipdv_ += std::abs(*fd);
    bipdv_ += std::abs(*bd);
    ++ipdv_count_;
  }
  sum_ += p.rtt_ms;
  sum2_ += p.rtt_ms * p.rtt_ms;
  fsum_ += p.forward_ms;
  fsum2_ += p.forward_ms * p.forward_ms;
  bsum_ += p.backward_ms;
  bsum2_ += p.backward_ms * p.backward_ms;
  if (previous_) {
    // Between two answered probes the reflector's numbering tells which
    // of the lost ones it saw (replies lost) and which it did not.
    const std::uint64_t gap = p.sequence - previous_->sequence - 1;
    const std::uint64_t seen = p.reflector_sequence > previous_->reflector_sequence
                                   ? p.reflector_sequence - previous_->reflector_sequence - 1
                                   : 0;
    m_.backward_lost += std::min(seen, gap);
    m_.forward_lost += gap - std::min(seen, gap);
  } else {
    first_answered_ = p.sequence;
  }
  previous_ = p;
}

Measured MeasureAccumulator::Result() const {
  Measured m = m_;
  const std::uint64_t answered = m.sent - m.lost;
  if (m.sent > 0) m.loss_percent = 100.0 * double(m.lost) / double(m.sent);
  if (answered > 0) {
    const double n = double(answered);
    m.rtt_mean_ms = sum_ / n;
    m.rtt_stddev_ms = std::sqrt(std::max(0.0, sum2_ / n - m.rtt_mean_ms * m.rtt_mean_ms));
    m.forward_mean_ms = fsum_ / n;
    m.forward_stddev_ms =
        std::sqrt(std::max(0.0, fsum2_ / n - m.forward_mean_ms * m.forward_mean_ms));
    m.backward_mean_ms = bsum_ / n;
    m.backward_stddev_ms =
        std::sqrt(std::max(0.0, bsum2_ / n - m.backward_mean_ms * m.backward_mean_ms));
  }
  if (ipdv_count_ > 0) {
    m.jitter_ms = ipdv_ / double(ipdv_count_);
    m.forward_jitter_ms = fipdv_ / double(ipdv_count_);
    m.backward_jitter_ms = bipdv_ / double(ipdv_count_);
  }
  if (previous_ && previous_->sequence != first_answered_) {
    // Directions are known for the probes after the first answered one up to the last.
    const double span = double(previous_->sequence - first_answered_);
    m.forward_loss_percent = 100.0 * double(m.forward_lost) / span;
    const double reached = span - double(m.forward_lost);
    if (reached > 0) m.backward_loss_percent = 100.0 * double(m.backward_lost) / reached;
  }
  return m;
}

Measured Measure(const std::vector<ProbePoint>& probes, Nanos from, Nanos to) {
  MeasureAccumulator accumulator;
  for (const auto& p : probes) {
    if (p.sent >= from && p.sent < to) accumulator.Add(p);
  }
  return accumulator.Result();
}

bool RunOutcome::passed() const {
  return std::all_of(results.begin(), results.end(), [](const auto& r) { return r.passed; });
}

bool SeedsOutcome::passed() const {
  return std::all_of(expectations.begin(), expectations.end(),
                     [](const auto& e) { return e.failed == 0; });
}

Result<RunOutcome> RunScenario(const Scenario& scenario, const RunOptions& options) {
  const MonoTime wall_start = kHost.Monotonic();
  RunOutcome run;
  run.seed = options.seed.value_or(scenario.seed);
  if (options.log && options.log->head() != 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "the scenario's log must start empty: give a new directory for it");
  }
  auto progress = [&](std::string_view phase, double share) {
    if (options.progress) options.progress(phase, share);
  };

  auto sessions = MakeSessions(scenario, run.seed);
  for (const auto& s : sessions) {
    if (auto valid = measure::Validate(s->config); !valid) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: the probes of {}: {}", scenario.origin, s->tunnel,
                              valid.error().message));
    }
  }
  Lockstep lockstep(options.log, scenario.config.analysis, scenario.start);
  store::PolicyChanged policy = autoflow::PolicyEvent(scenario.origin, scenario.config);
  if (auto r = lockstep.Feed({scenario.start, std::string(store::kPolicyStream), policy, {}, {}});
      !r)
    return tl::unexpected(r.error());
  for (const auto& s : sessions) {
    store::SessionConfigured what = store::ConfiguredFrom(s->config);
    what.tunnel = s->tunnel;  // as the daemon logs it: the session measures its tunnel
    store::Event configured{scenario.start, store::SessionStream(s->config), what, {}, {}};
    if (auto r = lockstep.Feed(std::move(configured)); !r) return tl::unexpected(r.error());
  }

  Live live(scenario, sessions, lockstep, run, options.keep_probes);
  auto probes = Wire(scenario, sessions, live);
  net::Network network = scenario.network;
  network.seed = run.seed;
  // Run on past the loss threshold so that every probe's fate is known.
  network.duration_ns = (scenario.duration + scenario.loss_timeout + Nanos(2)).count();
  const net::RunInfo info =
      net::Run(network, probes, [&](double share) { progress("simulating", share); });
  if (!live.status()) return tl::unexpected(live.status().error());
  run.network_seconds = info.wall_seconds;
  run.packets_dropped = info.packets_dropped;
  run.queue_drops = info.queue_drops;
  run.cross_packets = info.cross_packets;

  // Every run closed with its summary as its last probe's fate became known.
  for (const auto& s : sessions) {
    if (!s->runs.empty()) {
      return Fail(ErrorCode::kInternal,
                  fmt::format("{}: {} of {}'s runs never closed", scenario.origin, s->runs.size(),
                              s->config.name));
    }
    // Probes the run had no time to send have no point.
    if (options.keep_probes) run.probes_by_session[s->config.name].resize(s->sent);
  }
  run.decisions = std::move(lockstep.decisions);
  run.outages = std::move(lockstep.outages);
  run.line_changes = std::move(lockstep.line_changes);
  run.session_faults = std::move(lockstep.session_faults);
  if (auto flushed = lockstep.Flush(); !flushed) return tl::unexpected(flushed.error());
  run.events = lockstep.appended();
  if (options.log) {
    if (auto synced = options.log->Sync(); !synced) return tl::unexpected(synced.error());
  }

  for (std::size_t k = 0; k < scenario.expectations.size(); ++k) {
    const Expectation& e = scenario.expectations[k];
    const bool probed = std::any_of(sessions.begin(), sessions.end(), [&](const auto& session) {
      return session->config.name == e.subject;
    });
    run.results.push_back(Check(e, run, live.measured(k), probed));
  }
  run.wall_seconds = Seconds(wall_start);
  return run;
}

Result<SeedsOutcome> RunSeeds(const Scenario& scenario, std::uint32_t first_seed,
                              std::uint32_t runs,
                              const std::function<void(std::uint32_t, std::uint32_t)>& progress) {
  const MonoTime wall_start = kHost.Monotonic();
  SeedsOutcome out;
  out.first_seed = first_seed;
  out.runs = runs;
  for (const auto& e : scenario.expectations) {
    ExpectationSummary summary;
    summary.what = Describe(e);
    out.expectations.push_back(summary);
  }
  for (std::uint32_t k = 0; k < runs; ++k) {
    if (progress) progress(k, runs);
    RunOptions options;
    options.keep_probes = false;
    options.seed = first_seed + k;
    auto run = RunScenario(scenario, options);
    if (!run) return tl::unexpected(run.error());
    for (std::size_t i = 0; i < run->results.size(); ++i) {
      const auto& r = run->results[i];
      auto& summary = out.expectations[i];
      if (r.passed) {
        ++summary.passed;
      } else {
        ++summary.failed;
        summary.failed_seeds.push_back(run->seed);
      }
      if (r.time_to_switch) summary.times_to_switch.push_back(*r.time_to_switch);
    }
  }
  if (progress) progress(runs, runs);
  out.wall_seconds = Seconds(wall_start);
  return out;
}

}  // namespace lineup::sim
