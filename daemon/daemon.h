// The `lineup run` daemon's engine: keeps the responders up, runs every
// sender session on its schedule (TWAMP Light/STAMP or full TWAMP), logs each
// run to the event log, and lets the analyzer and the controller follow that
// log. One io_context thread carries the sockets; the analyzer and the
// controller follow the log on threads of their own. Every public method is
// thread-safe.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/service.h"
#include "autoflow/service.h"
#include "daemon/config.h"
#include "daemon/session_totals.h"
#include "net/reflector_server.h"
#include "net/sender_runner.h"
#include "store/event_log.h"

namespace lineup::daemon {

// One finished run of a session.
struct RunResult {
  std::uint64_t run = 0;  // per session, from 1
  WallTime started, finished;
  measure::Summary summary;
  std::optional<std::string> error;  // the run could not take place
  std::string trigger;               // "schedule", "api", ...
};

struct SessionView {
  SenderSession config;
  std::string schedule;  // in words
  std::optional<WallTime> next_run;
  bool running = false;
  std::optional<WallTime> run_started;  // while running
  Nanos run_elapsed{0};                 // while running: how long so far
  std::optional<RunResult> last;
  std::uint64_t runs = 0;
  SessionTotals totals;  // since the session started in this daemon
};

struct ResponderView {
  Responder config;
  std::vector<measure::ListenerStatus> listeners;  // STAMP / TWAMP Light
  std::optional<std::string> twamp_table;          // full TWAMP server
};

struct DaemonOptions {
  std::size_t history = 100;  // runs kept in memory per session (all are in the log)
  // Called on the daemon's thread after each run is logged.
  std::function<void(const SessionView&, const RunResult&)> on_run;
  std::string version = "unknown";  // the program's, for lineup_build_info
};

class Daemon {
 public:
  // Opens the log (the one writer), starts the responders, the analyzer and
  // the controller, records the configuration and schedules every session.
  [[nodiscard]] static Result<std::unique_ptr<Daemon>> Start(DaemonConfig config,
                                                             const Clock& clock,
                                                             DaemonOptions options = {});
  virtual ~Daemon() = default;

  virtual std::vector<SessionView> Sessions() const = 0;
  virtual std::optional<SessionView> Session(const std::string& id) const = 0;
  virtual std::vector<RunResult> History(const std::string& id) const = 0;
  virtual std::vector<ResponderView> Responders() const = 0;
  // Rankings per SLA class and the controller's current line per class.
  virtual std::vector<std::pair<std::string, std::vector<analyzer::Verdict>>> Rankings() const = 0;
  virtual std::vector<std::pair<std::string, autoflow::Assignment>> Paths() const = 0;
  // Sessions as the analyzer judges them: the tunnel each speaks for, and a
  // session fault (unanswered while its line's other sessions are answered).
  virtual std::vector<analyzer::SessionState> LineSessions() const = 0;
  // Flap damping of lines per traffic class, now.
  virtual std::vector<autoflow::LineDampingState> Damping() const = 0;
  // Per IPFIX collector: where, and what was sent and dropped.
  virtual std::vector<std::pair<CollectorConfig, ExporterCounters>> Collectors() const = 0;

  // Runs a session now (unless it runs already); `done` gets the result on
  // the daemon's thread.
  [[nodiscard]] virtual Result<void> RunNow(const std::string& id,
                                            std::function<void(const RunResult&)> done) = 0;

  // Applies a new configuration: sessions and responders that changed are
  // restarted, removed ones stopped, new ones started; the change is logged.
  // The caller validated it (LoadDaemonConfig); an error here (a port that
  // cannot be bound, a moved log) is returned and the sessions stay as they were.
  [[nodiscard]] virtual Result<void> Reload(DaemonConfig config) = 0;
  // A copy of the configuration in force.
  virtual DaemonConfig config() const = 0;

  // Stops the sessions (runs in progress end early and are logged), the
  // responders and the services, and flushes the log.
  virtual void Stop() = 0;
  virtual store::EventLog& log() = 0;
  // The daemon's clock: the API, the web page and the services read time and
  // set timers through it.
  virtual const Clock& clock() const = 0;
  virtual std::string version() const = 0;
  WallTime Now() const { return clock().Now(); }
};

}  // namespace lineup::daemon
