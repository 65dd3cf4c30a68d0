#include "store/fold_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace lineup::store {

constexpr std::uint64_t kCheckpointEvery = 1024;

FoldService::FoldService(EventLog& log, std::string consumer, Fold fold, Written written)
    : log_(log),
      consumer_(std::move(consumer)),
      fold_(std::move(fold)),
      written_(std::move(written)) {}

FoldService::~FoldService() { Stop(); }

Result<std::unique_ptr<FoldService>> FoldService::Start(EventLog& log, std::string consumer,
                                                        Fold fold, Written written) {
  auto checkpoint = log.LoadCheckpoint(consumer);
  if (!checkpoint) return tl::unexpected(checkpoint.error());
  std::unique_ptr<FoldService> service(
      new FoldService(log, std::move(consumer), std::move(fold), std::move(written)));
  // Rebuild: fold what was folded before, without appending again.
  std::vector<Event> discard;
  auto rebuilt = log.ReadPositions(0, *checkpoint, {}, [&](const LogEntry& e) {
    if (e.event) {
      discard.clear();
      service->fold_(*e.event, discard);
    }
    return true;
  });
  if (!rebuilt) return tl::unexpected(rebuilt.error());
  service->next_ = *checkpoint;
  auto sub =
      log.Subscribe(*checkpoint, {}, [s = service.get()](const LogEntry& e) { s->OnEntry(e); });
  if (!sub) {
    return Fail(sub.error().code, fmt::format("'{}' cannot follow the log: {}", service->consumer_,
                                              sub.error().message));
  }
  service->subscription_ = std::move(*sub);
  return service;
}

void FoldService::OnEntry(const LogEntry& entry) {
  std::vector<Event> fresh;
  {
    std::lock_guard lock(mutex_);
    if (error_) return;
    if (entry.event) {
      std::vector<Event> out;
      fold_(*entry.event, out);
      if (!out.empty()) {
        const std::uint64_t head = log_.head();
        auto appended = log_.Append(out);
        if (!appended) {
          error_ = appended.error();
          spdlog::error("'{}': cannot append its {} outputs for position {}: {}", consumer_,
                        out.size(), entry.position, appended.error().message);
          return;
        }
        for (std::size_t i = 0; i < out.size(); ++i) {
          if ((*appended)[i] >= head) fresh.push_back(std::move(out[i]));  // not a duplicate
        }
      }
    } else {
      spdlog::warn("'{}': skipping {}", consumer_, entry.event.error().message);
    }
    next_ = entry.position + 1;
    if (++since_checkpoint_ >= kCheckpointEvery) {
      since_checkpoint_ = 0;
      if (auto saved = log_.SaveCheckpoint(consumer_, next_); !saved) error_ = saved.error();
    }
  }
  if (written_ && !fresh.empty()) written_(fresh);
}

void FoldService::Stop() {
  if (!subscription_) return;
  subscription_->Stop();
  subscription_.reset();
  std::lock_guard lock(mutex_);
  if (!error_) {
    if (auto saved = log_.SaveCheckpoint(consumer_, next_); !saved) error_ = saved.error();
  }
}

std::uint64_t FoldService::next_position() const {
  std::lock_guard lock(mutex_);
  return next_;
}

std::optional<Error> FoldService::last_error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

}  // namespace lineup::store
