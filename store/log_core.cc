#include "store/log_core.h"

#include <vector>

#include <fmt/format.h>

namespace lineup::store {

Result<std::uint64_t> EventLog::Append(const Event& event) {
  auto positions = Append(std::span<const Event>(&event, 1));
  if (!positions) return tl::unexpected(positions.error());
  return positions->front();
}

namespace internal {

Result<void> ValidateEvents(std::span<const Event> events) {
  for (const auto& e : events) {
    if (e.stream.empty() || e.stream.size() > kMaxStreamName ||
        e.stream.find('\0') != std::string::npos) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("event stream name must be 1-{} bytes without NUL (got {} bytes)",
                              kMaxStreamName, e.stream.size()));
    }
    if (e.event_id.size() > kMaxEventId) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("event id must be at most {} bytes", kMaxEventId));
    }
  }
  return {};
}

Result<Plan> PlanAppend(
    std::span<const Event> events, std::uint64_t head,
    const std::function<std::uint64_t(const std::string&)>& stream_revision,
    const std::function<std::optional<std::uint64_t>(const std::string&)>& find_id) {
  if (auto valid = ValidateEvents(events); !valid) return tl::unexpected(valid.error());
  Plan plan;
  plan.new_head = head;
  std::unordered_map<std::string, std::uint64_t> batch_ids;
  for (const auto& e : events) {
    PlannedEvent p;
    p.event = &e;
    if (!e.event_id.empty()) {
      if (auto it = batch_ids.find(e.event_id); it != batch_ids.end()) {
        p.duplicate = true;
        p.position = it->second;
      } else if (auto existing = find_id(e.event_id)) {
        p.duplicate = true;
        p.position = *existing;
      }
    }
    if (!p.duplicate) {
      auto [it, fresh] = plan.revisions.try_emplace(e.stream, 0);
      if (fresh) it->second = stream_revision(e.stream);
      if (e.expected_revision && *e.expected_revision != it->second) {
        return Fail(ErrorCode::kConflict,
                    fmt::format("stream '{}' is at revision {}, not the expected {}: reload it "
                                "and decide again",
                                e.stream, it->second, *e.expected_revision));
      }
      p.revision = it->second++;
      p.position = plan.new_head++;
      if (!e.event_id.empty()) batch_ids.emplace(e.event_id, p.position);
    }
    plan.events.push_back(p);
  }
  return plan;
}

void Notifier::Publish(std::uint64_t head) {
  {
    std::lock_guard lock(mutex_);
    head_ = std::max(head_, head);
    ++generation_;
  }
  changed_.notify_all();
}

void Notifier::WaitBeyond(std::uint64_t position, Nanos timeout) {
  std::unique_lock lock(mutex_);
  const std::uint64_t generation = generation_;
  changed_.wait_for(lock, timeout,
                    [&] { return head_ > position || closed_ || generation_ != generation; });
}

void Notifier::Register(Subscription* s) {
  std::lock_guard lock(mutex_);
  subscriptions_.insert(s);
}

void Notifier::Unregister(Subscription* s) {
  std::lock_guard lock(mutex_);
  subscriptions_.erase(s);
}

void Notifier::Close() {
  std::set<Subscription*> open;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    open = subscriptions_;
  }
  changed_.notify_all();
  for (auto* s : open) s->Stop();
}

FollowingSubscription::FollowingSubscription(const EventLog& log,
                                             std::shared_ptr<Notifier> notifier, std::uint64_t from,
                                             ReadFilter filter,
                                             std::function<void(const LogEntry&)> deliver,
                                             Nanos poll)
    : log_(log),
      notifier_(std::move(notifier)),
      next_(from),
      filter_(filter),
      deliver_(std::move(deliver)),
      poll_(poll) {
  notifier_->Register(this);
  thread_ = std::thread([this] { Run(); });
}

FollowingSubscription::~FollowingSubscription() {
  Stop();
  notifier_->Unregister(this);
}

void FollowingSubscription::Stop() {
  stop_ = true;
  notifier_->Publish(0);  // wake the thread
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void FollowingSubscription::Run() {
  while (!stop_) {
    const std::uint64_t head = log_.head();
    std::uint64_t next = next_.load();
    if (next >= head) {
      notifier_->WaitBeyond(next, poll_);
      continue;
    }
    // Entries are copied out in batches and delivered with no lock of the log
    // held, so a subscriber may append (the analyzer appends its verdicts).
    constexpr std::size_t kBatch = 512;
    std::vector<LogEntry> batch;
    batch.reserve(kBatch);
    auto read = log_.ReadPositions(next, head, filter_, [&](const LogEntry& entry) {
      batch.push_back(entry);
      return batch.size() < kBatch && !stop_;
    });
    for (const auto& entry : batch) {
      if (stop_) break;
      deliver_(entry);
      next_ = entry.position + 1;
    }
    if (!read) {  // e.g. the log is closing; try again after a pause
      notifier_->WaitBeyond(head, poll_);
      continue;
    }
    if (!stop_ && batch.size() < kBatch) next_ = head;  // filtered-out positions are passed too
  }
}

std::string TrimmedMessage(std::uint64_t from, std::uint64_t trim_point) {
  return fmt::format(
      "position {} is behind the probe-sample trim point {}: the samples before it were deleted "
      "by retention. Resume from {}, or read without probe samples",
      from, trim_point, trim_point);
}

}  // namespace internal
}  // namespace lineup::store
