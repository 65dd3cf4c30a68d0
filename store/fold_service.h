// A consumer that folds the log live and appends what it concludes (the
// analyzer's verdicts, the controller's decisions). On start it replays the
// log up to its checkpoint without appending (those outputs are in the log
// already), then follows new appends, appends its outputs and saves its
// checkpoint every 1,024 entries and on stop. A restart carries on where it
// stopped; outputs appended again after a crash between append and
// checkpoint are written once, as long as they carry event ids.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/event_log.h"

namespace lineup::store {

class FoldService {
 public:
  using Fold = std::function<void(const RecordedEvent&, std::vector<Event>& out)>;
  // Called with the outputs written for the first time, after they are in
  // the log (never for rebuilt or duplicate ones).
  using Written = std::function<void(const std::vector<Event>&)>;

  // `fold` runs under the service's lock; use Locked() to read its state.
  [[nodiscard]] static Result<std::unique_ptr<FoldService>> Start(EventLog& log,
                                                                  std::string consumer, Fold fold,
                                                                  Written written = {});
  ~FoldService();

  // Stops following and saves the checkpoint.
  void Stop();
  std::uint64_t next_position() const;
  // The last error appending or saving the checkpoint; the service stops
  // advancing at the first one (a restart redoes from the checkpoint).
  std::optional<Error> last_error() const;
  template <class F>
  auto Locked(F&& f) const {
    std::lock_guard lock(mutex_);
    return f();
  }

 private:
  FoldService(EventLog& log, std::string consumer, Fold fold, Written written);
  void OnEntry(const LogEntry& entry);

  EventLog& log_;
  std::string consumer_;
  Fold fold_;
  Written written_;
  mutable std::mutex mutex_;  // guards the fold's state, error_ and the counters
  std::optional<Error> error_;
  std::uint64_t next_ = 0;
  std::uint64_t since_checkpoint_ = 0;
  std::unique_ptr<Subscription> subscription_;
};

}  // namespace lineup::store
