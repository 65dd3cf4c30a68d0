// Boost 1.74's coroutine support (used by the TWAMP client) needs <utility> first.
#include <utility>

#include "daemon/daemon.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "net/clock_sync.h"
#include "net/timer.h"
#include "net/twamp_client.h"
#include "net/twamp_server.h"
#include "store/measurements.h"

namespace lineup::daemon {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::uint64_t Hash(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char ch : s) {
    h ^= static_cast<unsigned char>(ch);
    h *= 0x100000001b3ULL;
  }
  return h;
}

struct SessionSlot {
  SenderSession config;
  std::unique_ptr<net::Timer> timer;
  std::optional<WallTime> next_run;
  bool running = false;
  WallTime run_started;
  bool removed = false;
  std::uint64_t runs = 0;
  SessionTotals totals;
  std::deque<RunResult> history;
  std::vector<std::function<void(const RunResult&)>> waiting;  // RunNow callers
};

struct ResponderSlot {
  Responder config;
  std::unique_ptr<measure::ReflectorServer> light;
  std::unique_ptr<measure::TwampServer> twamp;
};

class DaemonImpl final : public Daemon {
 public:
  DaemonImpl(DaemonConfig config, const Clock& clock, DaemonOptions options)
      : config_(std::move(config)),
        clock_(clock),
        options_(std::move(options)),
        guard_(io_.get_executor()) {}

  ~DaemonImpl() override { Stop(); }

  Result<void> Open() {
    auto log = store::OpenRocksLog(config_.log_dir);
    if (!log) return tl::unexpected(log.error());
    log_ = std::move(*log);
    if (!config_.secrets_file.empty()) {
      auto secrets = measure::control::LoadSecrets(config_.secrets_file);
      if (!secrets) return tl::unexpected(secrets.error());
      secrets_ = std::move(*secrets);
    }
    // Changes made through the API before a restart are in the last
    // recorded document: they apply again on top of the file.
    if (config_.api_changes == "{}") {
      std::string recorded;
      (void)log_->ReadStream(std::string(store::kPolicyStream), 0, [&](const store::LogEntry& e) {
        if (e.event) {
          if (const auto* p = std::get_if<store::PolicyChanged>(&e.event->event.payload))
            recorded = p->document;
        }
        return true;
      });
      if (const std::string changes = ApiChangesOf(recorded); changes != "{}") {
        auto merged = WithApiChanges(config_, changes, "the API changes in the log");
        if (merged) {
          config_ = std::move(*merged);
          spdlog::info(
              "lineup run: {} changes made through the API (recorded in the log) apply on top of "
              "the file: 'lineup changes' lists them, 'lineup changes --reset' drops them",
              CountApiChanges(changes));
        } else {
          // The configuration recorded below no longer has them, so the
          // next start finds nothing to drop; the old record stays readable.
          spdlog::warn(
              "lineup run: the API changes recorded in the log no longer fit the configuration "
              "and are dropped (the configuration in force is recorded without them; see the "
              "dropped ones with 'lineup log dump {} --stream {}'): {}",
              config_.log_dir, store::kPolicyStream, merged.error().message);
        }
      }
    }
    runner_ = std::make_unique<measure::SenderRunner>(io_, clock_);
    const auto own = OwnEndpointsOf(config_.responders);
    for (const auto& r : config_.responders) {
      if (auto ok = StartResponder(r, own); !ok) return ok;
    }
    if (auto ok = RecordConfiguration(); !ok) return ok;
    auto analyzer = analyzer::AnalyzerService::Start(*log_, config_.analysis.analysis);
    if (!analyzer) return tl::unexpected(analyzer.error());
    analyzer_ = std::move(*analyzer);
    auto actuator = autoflow::MakeActuator(config_.actuator, 5s, 2, clock_);
    if (!actuator) return tl::unexpected(actuator.error());
    auto controller = autoflow::ControllerService::Start(*log_, std::move(*actuator), clock_);
    if (!controller) return tl::unexpected(controller.error());
    controller_ = std::move(*controller);
    if (auto ok = StartExporters(config_.collectors); !ok) return ok;
    for (const auto& s : config_.senders) AddSession(s);
    Retain();
    thread_ = std::thread([this] { io_.run(); });
    return {};
  }

  // ---------------------------------------------------------------- views

  std::vector<SessionView> Sessions() const override {
    std::lock_guard lock(mutex_);
    std::vector<SessionView> out;
    for (const auto& [id, slot] : sessions_) out.push_back(View(*slot));
    return out;
  }

  std::optional<SessionView> Session(const std::string& id) const override {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return std::nullopt;
    return View(*it->second);
  }

  std::vector<RunResult> History(const std::string& id) const override {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return {};
    return {it->second->history.begin(), it->second->history.end()};
  }

  std::vector<ResponderView> Responders() const override {
    // The servers' tables live on the daemon's thread: ask there.
    auto views =
        OnThread<std::vector<ResponderView>>(5s, [this]() -> Result<std::vector<ResponderView>> {
          std::vector<ResponderView> out;
          for (const auto& [id, slot] : responders_) {
            ResponderView v;
            v.config = slot.config;
            if (slot.light) v.listeners = slot.light->Status();
            if (slot.twamp) v.twamp_table = measure::FormatTwampServerStatus(slot.twamp->Status());
            out.push_back(std::move(v));
          }
          return out;
        });
    return views ? std::move(*views) : std::vector<ResponderView>{};
  }

  std::vector<std::pair<std::string, std::vector<analyzer::Verdict>>> Rankings() const override {
    std::vector<std::pair<std::string, std::vector<analyzer::Verdict>>> out;
    std::lock_guard lock(mutex_);
    if (!analyzer_) return out;
    for (const auto& c : config_.analysis.analysis.classes)
      out.emplace_back(c.name, analyzer_->Ranking(c.name));
    return out;
  }

  std::vector<std::pair<std::string, autoflow::Assignment>> Paths() const override {
    std::lock_guard lock(mutex_);
    if (!controller_) return {};
    return controller_->Assignments();
  }

  std::vector<analyzer::SessionState> LineSessions() const override {
    std::lock_guard lock(mutex_);
    if (!analyzer_) return {};
    return analyzer_->Sessions();
  }

  std::vector<autoflow::LineDampingState> Damping() const override {
    std::lock_guard lock(mutex_);
    if (!controller_) return {};
    return controller_->Damping(clock_.Now());
  }

  std::vector<std::pair<CollectorConfig, ExporterCounters>> Collectors() const override {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<CollectorConfig, ExporterCounters>> out;
    for (const auto& e : exporters_) out.emplace_back(e->config(), e->Counters());
    return out;
  }

  DaemonConfig config() const override {
    std::lock_guard lock(mutex_);
    return config_;
  }
  store::EventLog& log() override { return *log_; }
  const Clock& clock() const override { return clock_; }
  std::string version() const override { return options_.version; }

  // ---------------------------------------------------------------- actions

  Result<void> RunNow(const std::string& id, std::function<void(const RunResult&)> done) override {
    return OnThread<void>(5s, [this, id, done = std::move(done)]() mutable -> Result<void> {
      std::unique_lock lock(mutex_);
      auto it = sessions_.find(id);
      if (it == sessions_.end())
        return Fail(ErrorCode::kNotFound, fmt::format("no session '{}'", id));
      auto slot = it->second;
      if (done) slot->waiting.push_back(std::move(done));
      const bool already = slot->running;
      lock.unlock();
      if (!already) Run(slot, "api");
      return {};
    });
  }

  Result<void> Reload(DaemonConfig next) override {
    auto shared = std::make_shared<DaemonConfig>(std::move(next));
    return OnThread<void>(30s,
                          [this, shared]() -> Result<void> { return Apply(std::move(*shared)); });
  }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    auto cleanup = [this]() -> Result<void> {
      std::lock_guard lock(mutex_);
      for (auto& [id, slot] : sessions_) {
        slot->removed = true;
        if (slot->timer) slot->timer->Cancel();
      }
      for (auto& [id, slot] : responders_) StopResponder(slot);
      retention_.Cancel();
      return {};
    };
    if (thread_.joinable()) {
      (void)OnThread<void>(5s, cleanup);
      guard_.reset();
      io_.stop();
      thread_.join();
    } else {
      (void)cleanup();
    }
    if (controller_) controller_->Stop();
    if (analyzer_) analyzer_->Stop();
    if (log_) {
      if (auto ok = log_->Sync(); !ok)
        spdlog::warn("lineup run: flushing the log: {}", ok.error().message);
    }
  }

 private:
  // Runs `work` on the daemon's thread and waits for its answer.
  template <typename T, typename F>
  Result<T> OnThread(Nanos timeout, F work) const {
    auto promise = std::make_shared<std::promise<Result<T>>>();
    auto answer = promise->get_future();
    asio::post(io_, [promise, work = std::move(work)]() mutable { promise->set_value(work()); });
    if (answer.wait_for(timeout) != std::future_status::ready) {
      return Fail(ErrorCode::kUnavailable, "the daemon is busy: no answer in time");
    }
    return answer.get();
  }

  SessionView View(const SessionSlot& slot) const {
    SessionView v;
    v.config = slot.config;
    v.schedule = slot.config.settings.schedule ? slot.config.settings.schedule->Describe()
                                               : "global: " + config_.global_schedule.Describe();
    v.next_run = slot.next_run;
    v.running = slot.running;
    if (slot.running) {
      v.run_started = slot.run_started;
      v.run_elapsed = std::max(Nanos(0), clock_.Now() - slot.run_started);
    }
    v.runs = slot.runs;
    v.totals = slot.totals;
    if (!slot.history.empty()) v.last = slot.history.back();
    return v;
  }

  const Schedule& ScheduleOf(const SessionSlot& slot) const {
    return slot.config.settings.schedule ? *slot.config.settings.schedule : config_.global_schedule;
  }

  // Where every responder of a configuration can be reached: no light
  // reflector answers a datagram "from" one of them (it would feed a loop).
  // Computed once per configuration: a wildcard listener reads the host's
  // addresses.
  static std::vector<measure::UdpEndpoint> OwnEndpointsOf(const std::vector<Responder>& all) {
    std::vector<measure::UdpEndpoint> own;
    for (const auto& r : all) {
      for (auto& e : measure::OwnEndpoints(r.listen)) own.push_back(std::move(e));
    }
    return own;
  }

  // `own`: OwnEndpointsOf the configuration `r` belongs to.
  Result<void> StartResponder(const Responder& r, const std::vector<measure::UdpEndpoint>& own) {
    ResponderSlot slot;
    slot.config = r;
    if (r.kind == ResponderKind::kTwamp) {
      measure::TwampServerConfig tc;
      tc.listen.push_back({measure::TcpEndpoint(r.listen.address(), r.listen.port()), r.device});
      tc.allow = r.allow;
      tc.secrets = secrets_;
      if (secrets_.empty())
        tc.modes = measure::control::kUnauthenticated | measure::control::kReflectOctets;
      tc.reflector.error_estimate = measure::LocalErrorEstimate();
      auto server = measure::TwampServer::Create(io_, clock_, std::move(tc));
      if (!server)
        return Fail(server.error().code,
                    fmt::format("responder {}: {}", r.name, server.error().message));
      slot.twamp = std::move(*server);
    } else {
      measure::ReflectorConfig rc;
      rc.format = r.kind == ResponderKind::kStamp ? measure::ReflectorFormat::kStamp
                                                  : measure::ReflectorFormat::kTwampLight;
      rc.allow = r.allow;
      rc.device = r.device;
      rc.error_estimate = measure::LocalErrorEstimate();
      rc.never_answer = own;
      auto server = measure::ReflectorServer::Create(io_, clock_, {r.listen}, rc, buffers_);
      if (!server)
        return Fail(server.error().code,
                    fmt::format("responder {}: {}", r.name, server.error().message));
      slot.light = std::move(*server);
    }
    std::lock_guard lock(mutex_);
    responders_[r.id] = std::move(slot);
    return {};
  }

  // Probe samples past the retention (age, size) go at start and every 10
  // minutes; summaries, verdicts and decisions stay.
  void Retain() {
    if (config_.retention_age > Nanos(0) || config_.retention_bytes > 0) {
      store::RetentionPolicy policy;
      policy.sample_max_age = config_.retention_age;
      policy.sample_max_bytes = config_.retention_bytes;
      auto trimmed = log_->ApplyRetention(policy, clock_.Now());
      if (!trimmed) {
        spdlog::warn("lineup run: retention: {}", trimmed.error().message);
      } else if (trimmed->samples_deleted > 0) {
        spdlog::info("lineup run: retention removed {} probe samples", trimmed->samples_deleted);
      }
    }
    retention_.ExpiresAfter(std::chrono::minutes(10));
    retention_.AsyncWait([this](const boost::system::error_code& ec) {
      if (!ec && !stopped_) Retain();
    });
  }

  Result<void> StartExporters(const std::vector<CollectorConfig>& collectors) {
    std::vector<std::unique_ptr<Exporter>> started;
    for (const auto& c : collectors) {
      auto e = Exporter::Start(c, clock_);
      if (!e) return tl::unexpected(e.error());
      started.push_back(std::move(*e));
    }
    std::lock_guard lock(mutex_);
    exporters_ = std::move(started);
    return {};
  }

  static void StopResponder(ResponderSlot& slot) {
    if (slot.light) slot.light->Stop();
    if (slot.twamp) slot.twamp->Stop();
  }

  // The configuration as events: the whole document (also the controller's
  // policy) and each session's parameters, each written once per content.
  Result<void> RecordConfiguration() {
    const WallTime now = clock_.Now();
    autoflow::LoadedConfig in_force = config_.analysis;
    in_force.text = config_.text;  // the effective document: the file, then the API's changes
    auto recorded = autoflow::RecordPolicy(*log_, "lineup.yaml", in_force, now);
    if (!recorded) return tl::unexpected(recorded.error());
    std::vector<store::Event> events;
    for (const auto& s : config_.senders) {
      measure::SessionConfig c = SessionConfigOf(s);
      store::SessionConfigured e = store::ConfiguredFrom(c);
      e.settings = fmt::format("id={} protocol={}", s.id,
                               s.settings.protocol == Protocol::kTwamp ? "twamp" : "light");
      e.tunnel = s.tunnel;
      // Written once per configuration of the session: its parameters in the
      // configuration's words, and its name, make the key.
      const std::string key = s.name + "|" + SessionParamsJson(s).dump();
      events.push_back({now, store::SessionStream(c), e,
                        fmt::format("configured/{}/{:016x}", s.id, Hash(key)), std::nullopt});
    }
    if (events.empty()) return {};
    auto appended = log_->Append(events);
    if (!appended) return tl::unexpected(appended.error());
    return {};
  }

  measure::SessionConfig SessionConfigOf(const SenderSession& s) const {
    measure::SessionConfig c = s.settings.session;
    c.name = s.name;
    c.destination = s.remote;
    if (!s.local.address().is_unspecified() || s.local.port() != 0) c.source = s.local;
    c.device = s.device;
    c.reflector = s.settings.protocol == Protocol::kTwamp ? measure::ReflectorNumbering::kStateful
                                                          : measure::ReflectorNumbering::kAuto;
    c.error_estimate = measure::LocalErrorEstimate();
    c.seed = Hash(s.id);
    return c;
  }

  // On the daemon's thread (or before it runs).
  void AddSession(const SenderSession& s) {
    auto slot = std::make_shared<SessionSlot>();
    slot->config = s;
    slot->timer = std::make_unique<net::Timer>(io_, clock_);
    {
      std::lock_guard lock(mutex_);
      sessions_[s.id] = slot;
    }
    // Periodic sessions start spread over up to 5 s (by their id), so a
    // thousand sessions do not all fire at once.
    const Schedule& schedule = ScheduleOf(*slot);
    std::optional<WallTime> first;
    const WallTime now = clock_.Now();
    if (schedule.every > Nanos(0)) {
      const Nanos spread = std::min<Nanos>(schedule.every, 5s);
      first =
          now +
          Nanos(static_cast<std::int64_t>(Hash(s.id) % static_cast<std::uint64_t>(spread.count())));
    } else {
      first = schedule.Next(now);
    }
    Arm(slot, first);
  }

  void Arm(const std::shared_ptr<SessionSlot>& slot, std::optional<WallTime> at) {
    {
      std::lock_guard lock(mutex_);
      slot->next_run = at;
    }
    if (!at || slot->removed) return;
    slot->timer->ExpiresAfter(std::max<Nanos>(Nanos(0), *at - clock_.Now()));
    slot->timer->AsyncWait([this, slot](const boost::system::error_code& ec) {
      if (ec || slot->removed) return;
      if (slot->running) {  // still busy: try again at the next time
        Arm(slot, ScheduleOf(*slot).Next(clock_.Now()));
        return;
      }
      Run(slot, "schedule");
    });
  }

  void Run(const std::shared_ptr<SessionSlot>& slot, const std::string& trigger) {
    {
      std::lock_guard lock(mutex_);
      if (slot->running || slot->removed) return;
      slot->running = true;
      slot->run_started = clock_.Now();
    }
    const WallTime started = slot->run_started;
    const measure::SessionConfig c = SessionConfigOf(slot->config);
    auto finish = [this, slot, trigger, started](measure::SessionResult result) {
      Finish(slot, trigger, started, std::move(result));
    };
    if (slot->config.settings.protocol == Protocol::kTwamp) {
      measure::TwampTestOptions o;
      o.server = measure::TcpEndpoint(slot->config.remote.address(), slot->config.remote.port());
      o.control.mode = slot->config.settings.mode;
      if (!slot->config.settings.key_id.empty()) {
        o.control.key_id = slot->config.settings.key_id;
        if (auto it = secrets_.find(o.control.key_id); it != secrets_.end())
          o.control.secret = it->second;
      }
      o.session = c;
      o.reply_timeout = 10s;
      measure::RunTwampTest(io_, clock_, o, [finish, c](Result<measure::TwampTestResult> r) {
        measure::SessionResult result;
        result.config = c;
        if (!r) {
          result.error = r.error();
        } else if (r->closed_mid_test) {
          // The replies missing after the close are the server's doing, not
          // the line's: no samples from this run.
          result.error = Error{ErrorCode::kUnavailable, *r->closed_mid_test};
        } else if (!r->tests.empty() && !r->tests[0].empty()) {
          result = std::move(r->tests[0][0]);
          result.config.name = c.name;
        }
        finish(std::move(result));
      });
      return;
    }
    auto started_ok = runner_->Start(c, finish);
    if (!started_ok) {
      measure::SessionResult result;
      result.config = c;
      result.error = started_ok.error();
      finish(std::move(result));
    }
  }

  void Finish(const std::shared_ptr<SessionSlot>& slot, const std::string& trigger,
              WallTime started, measure::SessionResult result) {
    RunResult run;
    run.started = started;
    run.finished = clock_.Now();
    run.summary = result.summary;
    run.trigger = trigger;
    if (result.error) {
      run.error = result.error->message;
      spdlog::warn("lineup run: session {} ({}): {}", slot->config.name, slot->config.id,
                   result.error->message);
    } else {
      auto appended = log_->Append(store::EventsFromRun(result));
      if (!appended) {
        spdlog::error("lineup run: logging session {}: {}", slot->config.name,
                      appended.error().message);
      }
      if (!exporters_.empty()) {
        RunRecord record;
        record.started = result.started;
        record.finished = result.finished;
        record.source = result.local;
        record.destination = slot->config.remote;
        record.dscp = slot->config.settings.session.dscp;
        record.summary = result.summary;
        record.session = slot->config.name;
        record.tunnel = slot->config.tunnel;
        for (auto& e : exporters_) e->Export(record);  // never blocks
      }
    }
    std::vector<std::function<void(const RunResult&)>> waiting;
    SessionView view;
    {
      std::lock_guard lock(mutex_);
      slot->running = false;
      slot->totals.Add(result);
      run.run = ++slot->runs;
      slot->history.push_back(run);
      while (slot->history.size() > options_.history) slot->history.pop_front();
      waiting.swap(slot->waiting);
      view = View(*slot);
    }
    for (auto& w : waiting) w(run);
    if (options_.on_run) options_.on_run(view, run);
    if (slot->removed) return;
    const Schedule& schedule = ScheduleOf(*slot);
    // Periodic: every N from the start of the last run (no drift), or at once
    // when the run took longer than the period.
    std::optional<WallTime> next =
        schedule.every > Nanos(0) ? std::optional(std::max(started + schedule.every, clock_.Now()))
                                  : schedule.Next(clock_.Now());
    Arm(slot, next);
  }

  // On the daemon's thread.
  Result<void> Apply(DaemonConfig next) {
    if (next.log_dir != config_.log_dir) {
      return Fail(
          ErrorCode::kInvalidArgument,
          fmt::format("daemon.log_dir changed ({} -> {}): restart lineup run to move the log",
                      config_.log_dir, next.log_dir));
    }
    measure::control::Secrets secrets = secrets_;
    if (!next.secrets_file.empty()) {
      auto loaded = measure::control::LoadSecrets(next.secrets_file);
      if (!loaded) return tl::unexpected(loaded.error());
      secrets = std::move(*loaded);
    }
    // Responders first: a port that cannot be bound refuses the whole change.
    std::map<std::string, const Responder*> wanted;
    for (const auto& r : next.responders) wanted[r.id] = &r;
    std::vector<std::string> restart;
    for (const auto& [id, slot] : responders_) {
      auto it = wanted.find(id);
      if (it == wanted.end() || *it->second != slot.config) restart.push_back(id);
    }
    for (const auto& id : restart) {
      StopResponder(responders_.at(id));
      std::lock_guard lock(mutex_);
      responders_.erase(id);
    }
    secrets_ = std::move(secrets);
    const auto own = OwnEndpointsOf(next.responders);
    for (const auto& r : next.responders) {
      if (responders_.count(r.id) != 0) continue;
      if (auto ok = StartResponder(r, own); !ok) {
        spdlog::error("lineup run: {}", ok.error().message);
        return ok;
      }
    }
    // Sessions: removed ones stop, changed ones restart, new ones start.
    std::map<std::string, const SenderSession*> sessions;
    for (const auto& s : next.senders) sessions[s.id] = &s;
    std::vector<store::Event> events;
    const WallTime now = clock_.Now();
    std::vector<std::string> gone;
    for (const auto& [id, slot] : sessions_) {
      auto it = sessions.find(id);
      if (it != sessions.end() && *it->second == slot->config) continue;
      slot->removed = true;
      slot->timer->Cancel();
      gone.push_back(id);
      if (it == sessions.end() || it->second->name != slot->config.name) {  // its stream ends
        store::SessionDeleted d;
        d.session = slot->config.name;
        d.reason = "removed from the configuration";
        events.push_back(
            {now, store::SessionStream(SessionConfigOf(slot->config)), d, {}, std::nullopt});
      }
    }
    // (The log directory is the same: checked above.)
    const bool analysis_changed = next.text != config_.text;
    {
      std::lock_guard lock(mutex_);
      for (const auto& id : gone) sessions_.erase(id);
      config_ = std::move(next);
    }
    if (!events.empty()) {
      if (auto ok = log_->Append(events); !ok) spdlog::error("lineup run: {}", ok.error().message);
    }
    std::string before, after;
    for (const auto& e : exporters_) before += e->config().Describe() + ";";
    for (const auto& c : config_.collectors) after += c.Describe() + ";";
    if (before != after) {
      if (auto ok = StartExporters(config_.collectors); !ok)
        spdlog::error("lineup run: {}", ok.error().message);
    }
    if (auto ok = RecordConfiguration(); !ok) return ok;
    for (const auto& s : config_.senders) {
      if (sessions_.count(s.id) == 0) AddSession(s);
    }
    if (analysis_changed) {
      // New SLA classes or tunnels: the analyzer continues from its checkpoint
      // under them (the controller reads the policy from the log).
      analyzer_->Stop();
      auto analyzer = analyzer::AnalyzerService::Start(*log_, config_.analysis.analysis);
      if (!analyzer) return tl::unexpected(analyzer.error());
      std::lock_guard lock(mutex_);
      analyzer_ = std::move(*analyzer);
    }
    return {};
  }

  DaemonConfig config_;
  const Clock& clock_;
  DaemonOptions options_;
  mutable asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
  std::unique_ptr<store::EventLog> log_;
  measure::control::Secrets secrets_;
  std::unique_ptr<measure::SenderRunner> runner_;
  std::shared_ptr<measure::ReflectorBuffers> buffers_ = measure::MakeReflectorBuffers();
  mutable std::mutex mutex_;  // the maps' contents as the views see them
  std::map<std::string, std::shared_ptr<SessionSlot>> sessions_;
  std::map<std::string, ResponderSlot> responders_;
  std::unique_ptr<analyzer::AnalyzerService> analyzer_;
  std::unique_ptr<autoflow::ControllerService> controller_;
  std::vector<std::unique_ptr<Exporter>> exporters_;  // IPFIX, each with its own thread
  net::Timer retention_{io_, clock_};
  std::atomic<bool> stopped_{false};
};

}  // namespace

Result<std::unique_ptr<Daemon>> Daemon::Start(DaemonConfig config, const Clock& clock,
                                              DaemonOptions options) {
  auto daemon = std::make_unique<DaemonImpl>(std::move(config), clock, std::move(options));
  if (auto ok = daemon->Open(); !ok) return tl::unexpected(ok.error());
  return std::unique_ptr<Daemon>(std::move(daemon));
}

}  // namespace lineup::daemon
