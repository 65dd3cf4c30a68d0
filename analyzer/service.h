// The analyzer following a log live: on start it rebuilds its state by
// folding the log up to its checkpoint (its outputs from then are already in
// the log), then follows new appends, appending what it concludes and saving
// its checkpoint as it goes. A restart therefore carries on where it stopped,
// and outputs written twice (after a crash between append and checkpoint) are
// written once, thanks to their event ids.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "analyzer/analyzer.h"
#include "store/event_log.h"

namespace lineup::analyzer {

class AnalyzerService {
 public:
  [[nodiscard]] static Result<std::unique_ptr<AnalyzerService>> Start(store::EventLog& log,
                                                                      AnalyzerConfig config,
                                                                      std::string consumer = "analyzer");
  ~AnalyzerService();

  // Stops following and saves the checkpoint.
  void Stop();
  // The next log position to fold.
  std::uint64_t next_position() const { return next_.load(); }
  // Thread-safe snapshot of a class's ranking.
  std::vector<Verdict> Ranking(const std::string& sla_class) const;
  // The last error appending outputs or saving the checkpoint, if any.
  std::optional<Error> last_error() const;

 private:
  AnalyzerService(store::EventLog& log, AnalyzerConfig config, std::string consumer);
  void OnEntry(const store::LogEntry& entry);

  store::EventLog& log_;
  std::string consumer_;
  mutable std::mutex mutex_;  // guards analyzer_ and error_
  Analyzer analyzer_;
  std::optional<Error> error_;
  std::atomic<std::uint64_t> next_{0};
  std::uint64_t since_checkpoint_ = 0;
  std::unique_ptr<store::Subscription> subscription_;
};

}  // namespace lineup::analyzer
