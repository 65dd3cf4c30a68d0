// The analyzer following a log live (see store/fold_service.h): it rebuilds
// its state from the log up to its checkpoint, then judges new measurements
// as they are appended and appends its verdicts.
#pragma once

#include <memory>
#include <string>

#include "analyzer/analyzer.h"
#include "store/fold_service.h"

namespace lineup::analyzer {

class AnalyzerService {
 public:
  [[nodiscard]] static Result<std::unique_ptr<AnalyzerService>> Start(
      store::EventLog& log, AnalyzerConfig config, std::string consumer = "analyzer");
  // Stops following and saves the checkpoint.
  void Stop() { service_->Stop(); }
  // The next log position to fold.
  std::uint64_t next_position() const { return service_->next_position(); }
  // Thread-safe snapshot of a class's ranking.
  std::vector<Verdict> Ranking(const std::string& sla_class) const {
    return service_->Locked([&] { return analyzer_->Ranking(sla_class); });
  }
  // Thread-safe snapshot of every session as the analyzer sees it (its
  // tunnel, and whether it is at fault while its line carries others).
  std::vector<SessionState> Sessions() const {
    return service_->Locked([&] { return analyzer_->Sessions(); });
  }
  std::optional<Error> last_error() const { return service_->last_error(); }

 private:
  std::unique_ptr<Analyzer> analyzer_;
  std::unique_ptr<store::FoldService> service_;
};

}  // namespace lineup::analyzer
