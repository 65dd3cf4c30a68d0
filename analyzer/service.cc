#include "analyzer/service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace lineup::analyzer {

constexpr std::uint64_t kCheckpointEvery = 1024;

AnalyzerService::AnalyzerService(store::EventLog& log, AnalyzerConfig config, std::string consumer)
    : log_(log), consumer_(std::move(consumer)), analyzer_(std::move(config)) {}

AnalyzerService::~AnalyzerService() { Stop(); }

Result<std::unique_ptr<AnalyzerService>> AnalyzerService::Start(store::EventLog& log,
                                                                AnalyzerConfig config,
                                                                std::string consumer) {
  if (auto valid = Validate(config); !valid) return tl::unexpected(valid.error());
  auto checkpoint = log.LoadCheckpoint(consumer);
  if (!checkpoint) return tl::unexpected(checkpoint.error());
  std::unique_ptr<AnalyzerService> service(
      new AnalyzerService(log, std::move(config), std::move(consumer)));
  // Rebuild: fold what was folded before, without appending again.
  std::vector<store::Event> discard;
  auto rebuilt = log.ReadPositions(0, *checkpoint, {}, [&](const store::LogEntry& e) {
    if (e.event) {
      discard.clear();
      service->analyzer_.Apply(*e.event, discard);
    }
    return true;
  });
  if (!rebuilt) return tl::unexpected(rebuilt.error());
  service->next_ = *checkpoint;
  auto sub = log.Subscribe(*checkpoint, {}, [s = service.get()](const store::LogEntry& e) {
    s->OnEntry(e);
  });
  if (!sub) {
    return Fail(sub.error().code,
                fmt::format("analyzer '{}' cannot follow the log: {}", service->consumer_,
                            sub.error().message));
  }
  service->subscription_ = std::move(*sub);
  return service;
}

void AnalyzerService::OnEntry(const store::LogEntry& entry) {
  std::lock_guard lock(mutex_);
  if (error_) return;  // stopped advancing: a restart redoes from the checkpoint
  if (entry.event) {
    std::vector<store::Event> out;
    analyzer_.Apply(*entry.event, out);
    if (!out.empty()) {
      if (auto appended = log_.Append(out); !appended) {
        error_ = appended.error();
        spdlog::error("analyzer '{}': cannot append its verdicts at position {}: {}", consumer_,
                      entry.position, appended.error().message);
        return;
      }
    }
  } else {
    spdlog::warn("analyzer '{}': skipping {}", consumer_, entry.event.error().message);
  }
  next_ = entry.position + 1;
  if (++since_checkpoint_ >= kCheckpointEvery) {
    since_checkpoint_ = 0;
    if (auto saved = log_.SaveCheckpoint(consumer_, next_); !saved) error_ = saved.error();
  }
}

void AnalyzerService::Stop() {
  if (!subscription_) return;
  subscription_->Stop();
  subscription_.reset();
  std::lock_guard lock(mutex_);
  if (!error_) {
    if (auto saved = log_.SaveCheckpoint(consumer_, next_); !saved) error_ = saved.error();
  }
}

std::vector<Verdict> AnalyzerService::Ranking(const std::string& sla_class) const {
  std::lock_guard lock(mutex_);
  return analyzer_.Ranking(sla_class);
}

std::optional<Error> AnalyzerService::last_error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

}  // namespace lineup::analyzer
