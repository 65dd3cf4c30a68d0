// What both EventLog implementations share: batch planning (positions,
// revisions, idempotent ids, expected revisions), head notification, and the
// following subscription. Private to store/.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "store/event_log.h"

namespace lineup::store::internal {

[[nodiscard]] Result<void> ValidateEvents(std::span<const Event> events);

struct PlannedEvent {
  const Event* event = nullptr;
  std::uint64_t position = 0;
  std::uint64_t revision = 0;
  bool duplicate = false;  // an earlier append (or this batch) has its event id
};

struct Plan {
  std::vector<PlannedEvent> events;
  std::uint64_t new_head = 0;
  std::unordered_map<std::string, std::uint64_t> revisions;  // streams touched: new counts
};

// `find_id` returns the position of an already appended event id.
[[nodiscard]] Result<Plan> PlanAppend(
    std::span<const Event> events, std::uint64_t head,
    const std::function<std::uint64_t(const std::string&)>& stream_revision,
    const std::function<std::optional<std::uint64_t>(const std::string&)>& find_id);

// Wakes subscribers when the head moves; stops them when the log closes.
class Notifier {
 public:
  void Publish(std::uint64_t head);
  // Waits until the head passes `position`, the timeout passes, or Close().
  void WaitBeyond(std::uint64_t position, Nanos timeout);
  void Register(Subscription* s);
  void Unregister(Subscription* s);
  // Stops every registered subscription (the log is closing).
  void Close();

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t head_ = 0;
  std::uint64_t generation_ = 0;  // every Publish wakes waiters (Stop uses it)
  bool closed_ = false;
  std::set<Subscription*> subscriptions_;
};

// Reads [next, head) whenever the head moves (or every `poll`, for logs
// whose head moves in another process), delivering each entry in order.
class FollowingSubscription final : public Subscription {
 public:
  FollowingSubscription(const EventLog& log, std::shared_ptr<Notifier> notifier, std::uint64_t from,
                        ReadFilter filter, std::function<void(const LogEntry&)> deliver,
                        Nanos poll);
  ~FollowingSubscription() override;
  void Stop() override;
  std::uint64_t next_position() const override { return next_.load(); }

 private:
  void Run();

  const EventLog& log_;
  std::shared_ptr<Notifier> notifier_;
  std::atomic<std::uint64_t> next_;
  ReadFilter filter_;
  std::function<void(const LogEntry&)> deliver_;
  Nanos poll_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string TrimmedMessage(std::uint64_t from, std::uint64_t trim_point);

}  // namespace lineup::store::internal
