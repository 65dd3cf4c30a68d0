// The append-only event log: the source of truth of Lineup. Every event gets
// a global position (dense, from 0, never reused) and a revision within its
// stream. Appends of a batch are atomic. Two implementations: RocksDB on disk
// (OpenRocksLog) and in memory for unit tests (MakeMemoryLog).
//
// Thread safety: every method may be called from any thread. There is one
// writer per log directory (the process that opened it as kWriter).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/events.h"

namespace lineup::store {

// One entry as read: the event, or the reason its record could not be decoded
// (the reader carries on past it).
struct LogEntry {
  std::uint64_t position = 0;
  Result<RecordedEvent> event;
};

// Return false to stop reading.
using Visitor = std::function<bool(const LogEntry&)>;

struct ReadFilter {
  bool probe_samples = true;  // the per-packet samples (kept apart, retained shorter)
  bool other_events = true;   // everything else
  static ReadFilter SamplesOnly() { return {true, false}; }
  static ReadFilter WithoutSamples() { return {false, true}; }
};

struct RetentionPolicy {
  // Probe samples older than this are deleted (0: keep by age).
  Nanos sample_max_age{0};
  // Probe samples beyond this many bytes on disk, oldest first (0: no limit).
  std::uint64_t sample_max_bytes = 0;
};

struct TrimReport {
  std::uint64_t samples_trimmed_before = 0;  // samples below this position are gone
  std::uint64_t samples_deleted = 0;
};

struct LogStats {
  std::uint64_t head = 0;    // the next position to be written
  std::uint64_t events = 0;  // records present (after retention)
  std::uint64_t probe_samples = 0;
  std::uint64_t streams = 0;
  std::uint64_t sample_trim_point = 0;
  std::uint64_t disk_bytes = 0;  // live data on disk (0 in memory)
  std::optional<WallTime> first_time, last_time;
};

class Subscription {
 public:
  virtual ~Subscription() = default;
  // Stops delivery; returns after the delivery thread has finished.
  virtual void Stop() = 0;
  // The position of the next entry to deliver.
  virtual std::uint64_t next_position() const = 0;
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  // Appends a batch atomically and returns each event's position. An event
  // whose event_id was appended before is not written again: its earlier
  // position is returned. An event with expected_revision fails the whole
  // batch with kConflict when its stream's revision differs. Returns once the batch is
  // acknowledged: a crash of this process after that loses nothing.
  [[nodiscard]] virtual Result<std::vector<std::uint64_t>> Append(
      std::span<const Event> events) = 0;
  [[nodiscard]] Result<std::uint64_t> Append(const Event& event);

  // Positions [from, to) in order.
  [[nodiscard]] virtual Result<void> ReadPositions(std::uint64_t from, std::uint64_t to,
                                                   const ReadFilter& filter,
                                                   const Visitor& visit) const = 0;
  // A stream's events from a revision on, in order.
  [[nodiscard]] virtual Result<void> ReadStream(const std::string& stream,
                                                std::uint64_t from_revision,
                                                const Visitor& visit) const = 0;
  // Events with time in [from, to), by time then position. The cost depends
  // on the size of the range, not of the log.
  [[nodiscard]] virtual Result<void> ReadTime(WallTime from, WallTime to, const ReadFilter& filter,
                                              const Visitor& visit) const = 0;

  // Catches up from `from`, then follows live appends, calling `deliver` on a
  // thread of its own, in position order, each entry once (at-least-once
  // across restarts: a consumer stores its checkpoint after it has acted).
  // Fails clearly when `from` is below the sample trim point and samples are
  // wanted.
  [[nodiscard]] virtual Result<std::unique_ptr<Subscription>> Subscribe(
      std::uint64_t from, const ReadFilter& filter,
      std::function<void(const LogEntry&)> deliver) = 0;

  // Consumer checkpoints: the next position the consumer needs.
  [[nodiscard]] virtual Result<void> SaveCheckpoint(const std::string& consumer,
                                                    std::uint64_t position) = 0;
  [[nodiscard]] virtual Result<std::uint64_t> LoadCheckpoint(const std::string& consumer) const = 0;

  [[nodiscard]] virtual Result<TrimReport> ApplyRetention(const RetentionPolicy& policy,
                                                          WallTime now) = 0;

  virtual std::uint64_t head() const = 0;
  // The current revision count of a stream (0 when it has no events).
  virtual std::uint64_t StreamRevision(const std::string& stream) const = 0;
  [[nodiscard]] virtual Result<LogStats> Stats() const = 0;

  // Makes everything acknowledged durable against a machine crash now.
  [[nodiscard]] virtual Result<void> Sync() = 0;

  // Writes memory tables out and compacts the files (reclaims the space of
  // trimmed samples; the log's size on disk is then its real size).
  [[nodiscard]] virtual Result<void> Compact() = 0;
};

// The limits Append enforces on every event.
inline constexpr std::size_t kMaxStreamName = 1024;
inline constexpr std::size_t kMaxEventId = 256;

std::unique_ptr<EventLog> MakeMemoryLog();

enum class OpenMode {
  kWriter,    // the one process that appends
  kReadOnly,  // a snapshot of what was on disk at open
  kFollower,  // reads while a writer runs, catching up on every read
};

struct RocksLogOptions {
  OpenMode mode = OpenMode::kWriter;
  bool create_if_missing = true;
  // Group commit: the write-ahead log is synced to disk this often, or after
  // this many appended events, whichever comes first. Appends are
  // acknowledged once in the operating system, so a process crash loses
  // nothing; a machine crash loses at most this window. 0 ms: sync every append.
  Nanos sync_interval = std::chrono::milliseconds(100);
  std::uint64_t sync_every_events = 100'000;
  // A follower's scratch directory (default: DIR/.follower-PID).
  std::string follower_dir;
  // Memory for recent appends per column family before they go to disk.
  // RocksDB also wants this much free disk to recover from a full disk.
  std::uint64_t memtable_bytes = 64 << 20;
};

// Opens (or creates) the log in `directory`. Errors name the directory and
// what to do: another writer holds it, it is not writable, it is damaged.
[[nodiscard]] Result<std::unique_ptr<EventLog>> OpenRocksLog(const std::string& directory,
                                                             const RocksLogOptions& options = {});

}  // namespace lineup::store
