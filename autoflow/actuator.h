// Where decisions go besides the log: record only (the default), a hook
// command (for `ip route replace`, `ip rule`, nftables marks), or a stream of
// JSON lines (standard output, a file, or a Unix socket) for an external data
// plane. Actuators run on a thread of their own behind a queue that keeps the
// latest decision per traffic class, so a slow or failing actuator never
// holds up the controller, and the data plane always ends on the latest
// decision. Every decision is in the log whatever the actuator does.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/result.h"
#include "store/events.h"

namespace lineup::autoflow {

class Actuator {
 public:
  virtual ~Actuator() = default;
  virtual std::string name() const = 0;
  // Applies one PathSwitched decision.
  [[nodiscard]] virtual Result<void> Apply(const store::Event& decision) = 0;
};

// Runs `command` with arguments TRAFFIC_CLASS FROM TO RULE and the
// environment LINEUP_TRAFFIC_CLASS, LINEUP_FROM, LINEUP_TO, LINEUP_RULE,
// LINEUP_REASON, LINEUP_WEIGHTS ("a=0.75,b=0.25"), LINEUP_PATH, LINEUP_TIME.
// Exit 0 is success; a run longer than `timeout` is killed; a failure is
// retried `retries` times, 200 ms apart and growing. Timeouts and pauses
// run on `clock`, which must outlive the actuator.
std::unique_ptr<Actuator> MakeHookActuator(std::string command, Nanos timeout, int retries,
                                           const Clock& clock);

// One JSON object per decision and line: to "-" (standard output), to
// "unix:PATH" (a stream socket; reconnects), or appended to a file.
[[nodiscard]] Result<std::unique_ptr<Actuator>> MakeJsonLinesActuator(const std::string& target);

// "hook:COMMAND", "jsonl:TARGET" or "record"; nullptr for record only.
[[nodiscard]] Result<std::unique_ptr<Actuator>> MakeActuator(const std::string& spec,
                                                             Nanos hook_timeout, int hook_retries,
                                                             const Clock& clock);

struct ActuatorStats {
  std::uint64_t applied = 0;
  std::uint64_t failed = 0;
  std::uint64_t superseded = 0;  // replaced by a newer decision for the class before running
};

class ActuatorQueue {
 public:
  // `clock` times each apply for the log; it must outlive the queue.
  ActuatorQueue(std::unique_ptr<Actuator> actuator, const Clock& clock);
  ~ActuatorQueue();  // applies what is queued, then stops
  void Push(const store::Event& decision);
  // Waits until the queue is empty (for tests and orderly shutdown).
  void Drain();
  ActuatorStats stats() const;

 private:
  void Run();

  std::unique_ptr<Actuator> actuator_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, store::Event> pending_;  // traffic class -> latest decision
  bool busy_ = false;
  bool stop_ = false;
  ActuatorStats stats_;
  std::thread thread_;
};

}  // namespace lineup::autoflow
