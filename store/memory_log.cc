// The in-memory EventLog for unit tests: the same record encoding, planning
// and subscription code as the RocksDB log, with maps instead of column
// families.
#include <map>
#include <shared_mutex>

#include "store/codec.h"
#include "store/log_core.h"

namespace lineup::store {
namespace {

using internal::Notifier;

class MemoryLog final : public EventLog {
 public:
  MemoryLog() : notifier_(std::make_shared<Notifier>()) {}
  ~MemoryLog() override { notifier_->Close(); }

  Result<std::vector<std::uint64_t>> Append(std::span<const Event> events) override {
    std::unique_lock lock(mutex_);
    auto plan = internal::PlanAppend(
        events, head_,
        [&](const std::string& s) {
          auto it = revisions_.find(s);
          return it == revisions_.end() ? std::uint64_t{0} : it->second;
        },
        [&](const std::string& id) -> std::optional<std::uint64_t> {
          auto it = ids_.find(id);
          if (it == ids_.end()) return std::nullopt;
          return it->second;
        });
    if (!plan) return tl::unexpected(plan.error());
    std::vector<std::uint64_t> positions;
    for (const auto& p : plan->events) {
      positions.push_back(p.position);
      if (p.duplicate) continue;
      std::string record;
      EncodeRecord(*p.event, p.revision, record);
      const bool sample = p.event->IsProbeSample();
      (sample ? samples_ : others_).emplace(p.position, std::move(record));
      by_time_.emplace(std::make_pair(ToUnixNanos(p.event->time), p.position), sample);
      streams_[p.event->stream].push_back(p.position);
      if (!p.event->event_id.empty()) ids_.emplace(p.event->event_id, p.position);
    }
    for (const auto& [stream, revision] : plan->revisions) revisions_[stream] = revision;
    head_ = plan->new_head;
    lock.unlock();
    notifier_->Publish(plan->new_head);
    return positions;
  }

  Result<void> ReadPositions(std::uint64_t from, std::uint64_t to, const ReadFilter& filter,
                             const Visitor& visit) const override {
    std::shared_lock lock(mutex_);
    auto s = filter.probe_samples ? samples_.lower_bound(from) : samples_.end();
    auto o = filter.other_events ? others_.lower_bound(from) : others_.end();
    for (;;) {
      const bool s_ok = s != samples_.end() && s->first < to;
      const bool o_ok = o != others_.end() && o->first < to;
      if (!s_ok && !o_ok) break;
      auto& it = (s_ok && (!o_ok || s->first < o->first)) ? s : o;
      if (!Visit(it->first, it->second, visit)) break;
      ++it;
    }
    return {};
  }

  Result<void> ReadStream(const std::string& stream, std::uint64_t from_revision,
                          const Visitor& visit) const override {
    std::shared_lock lock(mutex_);
    auto it = streams_.find(stream);
    if (it == streams_.end()) return {};
    for (std::size_t r = from_revision; r < it->second.size(); ++r) {
      const std::uint64_t p = it->second[r];
      const std::string* record = Find(p);
      if (record == nullptr) continue;  // trimmed sample
      if (!Visit(p, *record, visit)) break;
    }
    return {};
  }

  Result<void> ReadTime(WallTime from, WallTime to, const ReadFilter& filter,
                        const Visitor& visit) const override {
    std::shared_lock lock(mutex_);
    auto it = by_time_.lower_bound({ToUnixNanos(from), 0});
    const auto end = by_time_.lower_bound({ToUnixNanos(to), 0});
    for (; it != end; ++it) {
      const bool sample = it->second;
      if (sample ? !filter.probe_samples : !filter.other_events) continue;
      const std::string* record = Find(it->first.second);
      if (record == nullptr) continue;
      if (!Visit(it->first.second, *record, visit)) break;
    }
    return {};
  }

  Result<std::unique_ptr<Subscription>> Subscribe(
      std::uint64_t from, const ReadFilter& filter,
      std::function<void(const LogEntry&)> deliver) override {
    {
      std::shared_lock lock(mutex_);
      if (filter.probe_samples && from < trim_point_) {
        return Fail(ErrorCode::kUnavailable, internal::TrimmedMessage(from, trim_point_));
      }
    }
    return std::unique_ptr<Subscription>(std::make_unique<internal::FollowingSubscription>(
        *this, notifier_, from, filter, std::move(deliver), std::chrono::milliseconds(100)));
  }

  Result<void> SaveCheckpoint(const std::string& consumer, std::uint64_t position) override {
    std::unique_lock lock(mutex_);
    checkpoints_[consumer] = position;
    return {};
  }

  Result<std::uint64_t> LoadCheckpoint(const std::string& consumer) const override {
    std::shared_lock lock(mutex_);
    auto it = checkpoints_.find(consumer);
    return it == checkpoints_.end() ? 0 : it->second;
  }

  Result<TrimReport> ApplyRetention(const RetentionPolicy& policy, WallTime now) override {
    std::unique_lock lock(mutex_);
    TrimReport report;
    std::uint64_t bytes = 0;
    for (const auto& [p, r] : samples_) bytes += r.size();
    const std::int64_t cutoff =
        policy.sample_max_age.count() > 0 ? ToUnixNanos(now - policy.sample_max_age) : INT64_MIN;
    while (!samples_.empty()) {
      const auto& [position, record] = *samples_.begin();
      auto decoded = DecodeRecord(position, AsBytes(record));
      const bool too_old = decoded && ToUnixNanos(decoded->event.time) < cutoff;
      const bool too_big = policy.sample_max_bytes > 0 && bytes > policy.sample_max_bytes;
      if (!too_old && !too_big) break;
      bytes -= record.size();
      trim_point_ = position + 1;
      samples_.erase(samples_.begin());
      ++report.samples_deleted;
    }
    report.samples_trimmed_before = trim_point_;
    return report;
  }

  std::uint64_t head() const override {
    std::shared_lock lock(mutex_);
    return head_;
  }

  std::uint64_t StreamRevision(const std::string& stream) const override {
    std::shared_lock lock(mutex_);
    auto it = revisions_.find(stream);
    return it == revisions_.end() ? 0 : it->second;
  }

  Result<LogStats> Stats() const override {
    std::shared_lock lock(mutex_);
    LogStats s;
    s.head = head_;
    s.events = samples_.size() + others_.size();
    s.probe_samples = samples_.size();
    s.streams = revisions_.size();
    s.sample_trim_point = trim_point_;
    if (!by_time_.empty()) {
      s.first_time = FromUnixNanos(by_time_.begin()->first.first);
      s.last_time = FromUnixNanos(by_time_.rbegin()->first.first);
    }
    return s;
  }

  Result<void> Sync() override { return {}; }
  Result<void> Compact() override { return {}; }

 private:
  static ConstByteSpan AsBytes(const std::string& s) {
    return ConstByteSpan(reinterpret_cast<const std::byte*>(s.data()), s.size());
  }
  const std::string* Find(std::uint64_t p) const {
    if (auto it = others_.find(p); it != others_.end()) return &it->second;
    if (auto it = samples_.find(p); it != samples_.end()) return &it->second;
    return nullptr;
  }
  static bool Visit(std::uint64_t position, const std::string& record, const Visitor& visit) {
    return visit(LogEntry{position, DecodeRecord(position, AsBytes(record))});
  }

  mutable std::shared_mutex mutex_;
  std::shared_ptr<Notifier> notifier_;
  std::uint64_t head_ = 0;
  std::uint64_t trim_point_ = 0;
  std::map<std::uint64_t, std::string> samples_, others_;
  std::map<std::pair<std::int64_t, std::uint64_t>, bool> by_time_;  // -> is a sample
  std::unordered_map<std::string, std::vector<std::uint64_t>> streams_;
  std::unordered_map<std::string, std::uint64_t> revisions_, ids_, checkpoints_;
};

}  // namespace

std::unique_ptr<EventLog> MakeMemoryLog() { return std::make_unique<MemoryLog>(); }

}  // namespace lineup::store
