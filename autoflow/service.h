// The controller following a log live (see store/fold_service.h): it rebuilds
// its exact state from the log up to its checkpoint (so a restart does not
// switch again), then decides on new verdicts as they are appended, appends
// each PathSwitched and hands it to the actuator.
#pragma once

#include <memory>
#include <string>

#include "autoflow/actuator.h"
#include "autoflow/controller.h"
#include "store/fold_service.h"

namespace lineup::autoflow {

class ControllerService {
 public:
  // `actuator` may be null (record only).
  [[nodiscard]] static Result<std::unique_ptr<ControllerService>> Start(
      store::EventLog& log, std::unique_ptr<Actuator> actuator, const Clock& clock,
      std::string consumer = "autoflow");
  ~ControllerService();

  void Stop();
  std::uint64_t next_position() const { return service_->next_position(); }
  std::optional<Error> last_error() const { return service_->last_error(); }
  // The traffic classes' current lines (a snapshot).
  std::vector<std::pair<std::string, Assignment>> Assignments() const;
  // Every line's flap damping per traffic class, decayed to `now` (a snapshot).
  std::vector<LineDampingState> Damping(WallTime now) const;
  ActuatorQueue& actuator() { return *queue_; }

 private:
  std::unique_ptr<Controller> controller_;
  std::unique_ptr<ActuatorQueue> queue_;
  std::unique_ptr<store::FoldService> service_;
};

// Appends the configuration as a PolicyChanged event on stream "policy" (its
// text and, as data, its policy: autoflow/policy_record.h), unless the last
// one recorded is the same. Returns whether it did.
[[nodiscard]] Result<bool> RecordPolicy(store::EventLog& log, const std::string& name,
                                        const LoadedConfig& config, WallTime now);

}  // namespace lineup::autoflow
