// The EventLog on RocksDB. Layout (docs/store.md):
//   events   position(8 BE)                      -> record (codec.h)
//   samples  position(8 BE)                      -> record of a probe sample
//   time     time(8 BE, sign-flipped) position(8) -> 'E' or 'S'
//   streams  stream NUL revision(8 BE)           -> 'E'/'S' position(8 BE)
//   meta     "head" -> next position; "rev/S" -> stream S's revision count;
//            "ckpt/C" -> consumer C's checkpoint; "trim/samples" -> trim point;
//            "id/I" -> position of event id I
// Every append writes all of these in one WriteBatch, so a crash leaves
// either all of a batch or none of it.
#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "store/codec.h"
#include "store/log_core.h"

namespace lineup::store {
namespace {

using internal::Notifier;

enum Cf : std::size_t { kDefault, kEvents, kSamples, kTime, kStreams, kMeta, kCfCount };
constexpr const char* kCfNames[kCfCount] = {"default", "events",  "samples",
                                            "time",    "streams", "meta"};
constexpr char kSampleTag = 'S';
constexpr char kEventTag = 'E';
const std::string kHeadKey = "head";
const std::string kTrimKey = "trim/samples";

std::string U64Key(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (56 - 8 * i)) & 0xff);
  return out;
}

std::uint64_t ReadU64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string TimeKey(std::int64_t time, std::uint64_t position) {
  return U64Key(static_cast<std::uint64_t>(time) ^ (std::uint64_t{1} << 63)) + U64Key(position);
}

std::string StreamKey(const std::string& stream, std::uint64_t revision) {
  std::string key = stream;
  key.push_back('\0');
  return key + U64Key(revision);
}

ConstByteSpan Bytes(const rocksdb::Slice& s) {
  return ConstByteSpan(reinterpret_cast<const std::byte*>(s.data()), s.size());
}

// RocksDB's diagnostics go to our log, not to a LOG file beside the data: one
// place for operators to look, and no second file to fail when the disk fills.
class SpdlogLogger final : public rocksdb::Logger {
 public:
  explicit SpdlogLogger(std::string dir)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), dir_(std::move(dir)) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char buffer[1024];
    std::vsnprintf(buffer, sizeof(buffer), format, ap);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      spdlog::error("rocksdb {}: {}", dir_, buffer);
    } else {
      spdlog::warn("rocksdb {}: {}", dir_, buffer);
    }
  }

 private:
  std::string dir_;
};

// The stream name (through its NUL) of a stream-index key: the memtable keeps
// an insert hint per stream, so a stream's next revision goes in without a
// search from the top of the skiplist.
class StreamPrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "lineup.StreamPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const void* nul = std::memchr(key.data(), '\0', key.size());
    return rocksdb::Slice(key.data(),
                          nul ? static_cast<const char*>(nul) - key.data() + 1 : key.size());
  }
  bool InDomain(const rocksdb::Slice&) const override { return true; }
};

// Reads records by position where the positions asked for mostly ascend:
// steps forward when the wanted key is just ahead, seeks otherwise.
class PositionCursor {
 public:
  PositionCursor(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) : it_(db.NewIterator({}, cf)) {}

  // The iterator positioned on `position`, or null when there is no such record.
  const rocksdb::Iterator* At(std::uint64_t position) {
    constexpr std::uint64_t kMaxSteps = 8;
    if (it_->Valid()) {
      std::uint64_t current = ReadU64(it_->key().data());
      for (std::uint64_t steps = 0; current < position && position - current <= kMaxSteps &&
                                    steps < kMaxSteps && it_->Valid();
           ++steps) {
        it_->Next();
        if (it_->Valid()) current = ReadU64(it_->key().data());
      }
      if (it_->Valid() && current == position) return it_.get();
    }
    it_->Seek(U64Key(position));
    if (it_->Valid() && ReadU64(it_->key().data()) == position) return it_.get();
    return nullptr;
  }
  rocksdb::Status status() const { return it_->status(); }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
};

class RocksLog final : public EventLog {
 public:
  RocksLog(std::string dir, RocksLogOptions options)
      : dir_(std::move(dir)),
        options_(std::move(options)),
        notifier_(std::make_shared<Notifier>()) {}

  ~RocksLog() override {
    notifier_->Close();
    {
      std::lock_guard lock(sync_mutex_);
      closing_ = true;
    }
    sync_wake_.notify_all();
    if (sync_thread_.joinable()) sync_thread_.join();
    if (db_ && options_.mode == OpenMode::kWriter) (void)SyncNow();
    CloseDb();
    if (!follower_dir_.empty() && options_.follower_dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(follower_dir_, ec);
    }
  }

  Result<void> Open() {
    if (auto r = OpenDb(); !r) return r;
    if (options_.mode == OpenMode::kWriter && options_.sync_interval > Nanos(0)) {
      sync_thread_ = std::thread([this] { SyncLoop(); });
    }
    return {};
  }

  Result<void> OpenDb() {
    rocksdb::Options db_options;
    db_options.create_if_missing = options_.create_if_missing && options_.mode == OpenMode::kWriter;
    db_options.create_missing_column_families = options_.mode == OpenMode::kWriter;
    db_options.IncreaseParallelism(2);
    db_options.max_open_files = -1;  // required for followers; harmless otherwise
    db_options.keep_log_file_num = 4;
    db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
    db_options.info_log = std::make_shared<SpdlogLogger>(dir_);
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (std::size_t i = 0; i < kCfCount; ++i) {
      rocksdb::ColumnFamilyOptions cf;
      cf.write_buffer_size = options_.memtable_bytes;
      if (i == kSamples || i == kEvents) {
        cf.compression = rocksdb::kLZ4Compression;
        cf.bottommost_compression = rocksdb::kZSTD;
      }
      if (i == kStreams) {
        cf.memtable_insert_with_hint_prefix_extractor = std::make_shared<StreamPrefix>();
      }
      families.emplace_back(kCfNames[i], cf);
    }
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s;
    if (options_.mode == OpenMode::kWriter) {
      std::error_code ec;
      std::filesystem::create_directories(dir_, ec);
      if (ec) {
        return Fail(ErrorCode::kIo,
                    fmt::format("cannot create the log directory {}: {}", dir_, ec.message()));
      }
      s = rocksdb::DB::Open(db_options, dir_, families, &handles_, &raw);
    } else if (options_.mode == OpenMode::kReadOnly) {
      s = rocksdb::DB::OpenForReadOnly(db_options, dir_, families, &handles_, &raw);
    } else {
      follower_dir_ = options_.follower_dir.empty() ? fmt::format("{}/.follower-{}", dir_, getpid())
                                                    : options_.follower_dir;
      s = rocksdb::DB::OpenAsSecondary(db_options, dir_, follower_dir_, families, &handles_, &raw);
    }
    if (!s.ok()) return Fail(ErrorCode::kIo, OpenErrorMessage(s));
    db_.reset(raw);
    return LoadState();
  }

  void CloseDb() {
    for (auto* h : handles_) {
      if (db_) (void)db_->DestroyColumnFamilyHandle(h);
    }
    handles_.clear();
    db_.reset();
  }

  // After a failed write this DB instance is never written again (RocksDB 7.8
  // asserts when its recovered WAL writer is reused): close it and open the
  // directory afresh, which replays every acknowledged append from the WAL.
  // REQUIRES: writer_mutex_ held.
  Result<void> ReopenAfterFailure() {
    std::unique_lock lock(db_mutex_);
    CloseDb();
    if (auto r = OpenDb(); !r) {
      CloseDb();
      return Fail(ErrorCode::kIo,
                  fmt::format("{} (reopening after a write error)", r.error().message));
    }
    needs_resume_ = false;
    return {};
  }

  Result<std::vector<std::uint64_t>> Append(std::span<const Event> events) override {
    if (options_.mode != OpenMode::kWriter) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("the log in {} is open read-only: only its writer appends", dir_));
    }
    std::lock_guard lock(writer_mutex_);
    if (needs_resume_) {
      if (auto r = ReopenAfterFailure(); !r) return tl::unexpected(r.error());
    }
    auto plan = internal::PlanAppend(
        events, head_,
        [&](const std::string& stream) {
          auto it = revisions_.find(stream);
          return it == revisions_.end() ? std::uint64_t{0} : it->second;
        },
        [&](const std::string& id) -> std::optional<std::uint64_t> {
          std::string value;
          if (db_->Get({}, handles_[kMeta], "id/" + id, &value).ok() && value.size() == 8) {
            return ReadU64(value.data());
          }
          return std::nullopt;
        });
    if (!plan) return tl::unexpected(plan.error());

    rocksdb::WriteBatch batch;
    std::vector<std::uint64_t> positions;
    positions.reserve(plan->events.size());
    std::string record;
    // Index entries are put in key order: the memtable's skiplist then inserts
    // each next to the previous one instead of searching from the top (with
    // many interleaved streams this more than doubles append throughput).
    std::vector<std::pair<std::string, std::string>> time_index, stream_index;
    time_index.reserve(plan->events.size());
    stream_index.reserve(plan->events.size());
    for (const auto& p : plan->events) {
      positions.push_back(p.position);
      if (p.duplicate) continue;
      const Event& e = *p.event;
      const bool sample = e.IsProbeSample();
      const char tag = sample ? kSampleTag : kEventTag;
      record.clear();
      EncodeRecord(e, p.revision, record);
      const std::string key = U64Key(p.position);
      batch.Put(handles_[sample ? kSamples : kEvents], key, record);
      time_index.emplace_back(TimeKey(ToUnixNanos(e.time), p.position), std::string(1, tag));
      stream_index.emplace_back(StreamKey(e.stream, p.revision), std::string(1, tag) + key);
      if (!e.event_id.empty()) batch.Put(handles_[kMeta], "id/" + e.event_id, key);
    }
    const std::uint64_t written = time_index.size();
    if (written == 0) return positions;
    std::sort(time_index.begin(), time_index.end());
    std::sort(stream_index.begin(), stream_index.end());
    for (const auto& [k, v] : time_index) batch.Put(handles_[kTime], k, v);
    for (const auto& [k, v] : stream_index) batch.Put(handles_[kStreams], k, v);
    batch.Put(handles_[kMeta], kHeadKey, U64Key(plan->new_head));
    for (const auto& [stream, revision] : plan->revisions) {
      batch.Put(handles_[kMeta], "rev/" + stream, U64Key(revision));
    }
    rocksdb::WriteOptions write_options;
    write_options.sync = options_.sync_interval <= Nanos(0);
    if (auto s = db_->Write(write_options, &batch); !s.ok()) {
      needs_resume_ = true;
      return Fail(ErrorCode::kIo, WriteErrorMessage(s));
    }
    for (const auto& [stream, revision] : plan->revisions) revisions_[stream] = revision;
    head_ = plan->new_head;
    NoteUnsynced(written);
    notifier_->Publish(plan->new_head);
    return positions;
  }

  Result<void> ReadPositions(std::uint64_t from, std::uint64_t to, const ReadFilter& filter,
                             const Visitor& visit) const override {
    std::shared_lock db_lock(db_mutex_);
    if (!db_) return Fail(ErrorCode::kUnavailable, Closed());
    if (from >= to) return {};
    const std::string upper = U64Key(to);
    const rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> s(
        filter.probe_samples ? db_->NewIterator(ro, handles_[kSamples]) : nullptr);
    std::unique_ptr<rocksdb::Iterator> o(
        filter.other_events ? db_->NewIterator(ro, handles_[kEvents]) : nullptr);
    const std::string lower = U64Key(from);
    if (s) s->Seek(lower);
    if (o) o->Seek(lower);
    for (;;) {
      const bool s_ok = s && s->Valid();
      const bool o_ok = o && o->Valid();
      if (!s_ok && !o_ok) break;
      rocksdb::Iterator* it =
          (s_ok && (!o_ok || s->key().compare(o->key()) < 0)) ? s.get() : o.get();
      const std::uint64_t position = ReadU64(it->key().data());
      if (!visit(LogEntry{position, DecodeRecord(position, Bytes(it->value()))})) return {};
      it->Next();
    }
    for (auto* it : {s.get(), o.get()}) {
      if (it && !it->status().ok()) return Fail(ErrorCode::kIo, ReadErrorMessage(it->status()));
    }
    return {};
  }

  Result<void> ReadStream(const std::string& stream, std::uint64_t from_revision,
                          const Visitor& visit) const override {
    std::shared_lock db_lock(db_mutex_);
    if (!db_) return Fail(ErrorCode::kUnavailable, Closed());
    std::string prefix = stream;
    prefix.push_back('\0');
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, handles_[kStreams]));
    for (it->Seek(StreamKey(stream, from_revision)); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      const rocksdb::Slice v = it->value();
      if (v.size() != 9) continue;
      if (!VisitIndexed(v[0] == kSampleTag, ReadU64(v.data() + 1), visit)) return {};
    }
    if (!it->status().ok()) return Fail(ErrorCode::kIo, ReadErrorMessage(it->status()));
    return {};
  }

  Result<void> ReadTime(WallTime from, WallTime to, const ReadFilter& filter,
                        const Visitor& visit) const override {
    std::shared_lock db_lock(db_mutex_);
    if (!db_) return Fail(ErrorCode::kUnavailable, Closed());
    const std::string upper = TimeKey(ToUnixNanos(to), 0);
    const rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[kTime]));
    // Records are read through cursors, not one Get each: in time order the
    // positions mostly ascend, so most reads are a Next().
    PositionCursor samples(*db_, handles_[kSamples]);
    PositionCursor others(*db_, handles_[kEvents]);
    for (it->Seek(TimeKey(ToUnixNanos(from), 0)); it->Valid(); it->Next()) {
      if (it->key().size() != 16 || it->value().size() != 1) continue;
      const bool sample = it->value()[0] == kSampleTag;
      if (sample ? !filter.probe_samples : !filter.other_events) continue;
      const std::uint64_t position = ReadU64(it->key().data() + 8);
      PositionCursor& cursor = sample ? samples : others;
      const rocksdb::Iterator* record = cursor.At(position);
      if (record == nullptr) {
        if (cursor.status().ok()) continue;  // a sample deleted by retention
        if (!visit(LogEntry{position, Fail(ErrorCode::kIo, ReadErrorMessage(cursor.status()))})) {
          return {};
        }
        continue;
      }
      if (!visit(LogEntry{position, DecodeRecord(position, Bytes(record->value()))})) return {};
    }
    if (!it->status().ok()) return Fail(ErrorCode::kIo, ReadErrorMessage(it->status()));
    return {};
  }

  Result<std::unique_ptr<Subscription>> Subscribe(
      std::uint64_t from, const ReadFilter& filter,
      std::function<void(const LogEntry&)> deliver) override {
    const std::uint64_t trim = TrimPointShared();
    if (filter.probe_samples && from < trim) {
      return Fail(ErrorCode::kUnavailable, internal::TrimmedMessage(from, trim));
    }
    const Nanos poll = options_.mode == OpenMode::kWriter ? std::chrono::milliseconds(100)
                                                          : std::chrono::milliseconds(20);
    return std::unique_ptr<Subscription>(std::make_unique<internal::FollowingSubscription>(
        *this, notifier_, from, filter, std::move(deliver), poll));
  }

  Result<void> SaveCheckpoint(const std::string& consumer, std::uint64_t position) override {
    if (options_.mode != OpenMode::kWriter) {
      return Fail(ErrorCode::kInvalidArgument, "checkpoints are stored by the log's writer");
    }
    std::lock_guard lock(writer_mutex_);
    if (!db_) return Fail(ErrorCode::kUnavailable, Closed());
    if (auto s = db_->Put({}, handles_[kMeta], "ckpt/" + consumer, U64Key(position)); !s.ok()) {
      needs_resume_ = true;
      return Fail(ErrorCode::kIo, WriteErrorMessage(s));
    }
    return {};
  }

  Result<std::uint64_t> LoadCheckpoint(const std::string& consumer) const override {
    std::shared_lock db_lock(db_mutex_);
    if (!db_) return Fail(ErrorCode::kUnavailable, Closed());
    std::string value;
    auto s = db_->Get({}, handles_[kMeta], "ckpt/" + consumer, &value);
    if (s.IsNotFound()) return 0;
    if (!s.ok() || value.size() != 8) return Fail(ErrorCode::kIo, ReadErrorMessage(s));
    return ReadU64(value.data());
  }

  Result<TrimReport> ApplyRetention(const RetentionPolicy& policy, WallTime now) override {
    if (options_.mode != OpenMode::kWriter) {
      return Fail(ErrorCode::kInvalidArgument, "retention is applied by the log's writer");
    }
    std::lock_guard lock(writer_mutex_);
    if (needs_resume_) {
      if (auto r = ReopenAfterFailure(); !r) return tl::unexpected(r.error());
    }
    const std::uint64_t old_trim = TrimPoint();
    std::uint64_t trim = old_trim;
    std::uint64_t deleted = 0;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, handles_[kSamples]));
    if (policy.sample_max_age > Nanos(0)) {
      const std::int64_t cutoff = ToUnixNanos(now - policy.sample_max_age);
      for (it->Seek(U64Key(trim)); it->Valid(); it->Next()) {
        const rocksdb::Slice v = it->value();
        if (v.size() >= 14 && static_cast<std::int64_t>(GetU64(Bytes(v), 6)) >= cutoff) {
          break;  // samples are appended about in time order: stop at the first fresh one
        }
        trim = ReadU64(it->key().data()) + 1;
        ++deleted;
      }
    }
    if (policy.sample_max_bytes > 0) {
      std::uint64_t lo = trim, hi = head_;
      auto size_from = [&](std::uint64_t p) {
        const std::string a = U64Key(p), b = U64Key(head_);
        rocksdb::Range range(a, b);
        std::uint64_t size = 0;
        rocksdb::SizeApproximationOptions sao;
        sao.include_memtables = true;
        (void)db_->GetApproximateSizes(sao, handles_[kSamples], &range, 1, &size);
        return size;
      };
      if (size_from(lo) > policy.sample_max_bytes) {
        while (lo < hi) {  // smallest p whose tail fits the budget
          const std::uint64_t mid = lo + (hi - lo) / 2;
          if (size_from(mid) <= policy.sample_max_bytes) {
            hi = mid;
          } else {
            lo = mid + 1;
          }
        }
        for (it->Seek(U64Key(trim)); it->Valid() && ReadU64(it->key().data()) < lo; it->Next()) {
          ++deleted;
        }
        trim = lo;
      }
    }
    if (trim > old_trim) {
      rocksdb::WriteBatch batch;
      batch.DeleteRange(handles_[kSamples], U64Key(old_trim), U64Key(trim));
      batch.Put(handles_[kMeta], kTrimKey, U64Key(trim));
      if (auto s = db_->Write({}, &batch); !s.ok()) {
        needs_resume_ = true;
        return Fail(ErrorCode::kIo, WriteErrorMessage(s));
      }
      const std::string end = U64Key(trim);
      const rocksdb::Slice end_slice(end);
      (void)db_->CompactRange({}, handles_[kSamples], nullptr, &end_slice);
    }
    return TrimReport{trim, deleted};
  }

  std::uint64_t head() const override {
    if (options_.mode == OpenMode::kFollower) {
      std::shared_lock db_lock(db_mutex_);
      CatchUp();
      std::string value;
      if (db_->Get({}, handles_[kMeta], kHeadKey, &value).ok() && value.size() == 8) {
        return ReadU64(value.data());
      }
      return 0;
    }
    std::lock_guard lock(writer_mutex_);
    return head_;
  }

  std::uint64_t StreamRevision(const std::string& stream) const override {
    std::shared_lock db_lock(db_mutex_);
    if (!db_) return 0;
    std::string value;
    if (db_->Get({}, handles_[kMeta], "rev/" + stream, &value).ok() && value.size() == 8) {
      return ReadU64(value.data());
    }
    return 0;
  }

  Result<LogStats> Stats() const override {
    LogStats s;
    s.head = head();
    std::shared_lock db_lock(db_mutex_);
    if (!db_) return Fail(ErrorCode::kUnavailable, Closed());
    s.sample_trim_point = TrimPoint();
    std::uint64_t n = 0;
    db_->GetIntProperty(handles_[kSamples], "rocksdb.estimate-num-keys", &n);
    s.probe_samples = n;
    db_->GetIntProperty(handles_[kEvents], "rocksdb.estimate-num-keys", &n);
    s.events = s.probe_samples + n;
    for (auto* h : handles_) {
      std::uint64_t bytes = 0;
      db_->GetIntProperty(h, "rocksdb.live-sst-files-size", &bytes);
      s.disk_bytes += bytes;
      db_->GetIntProperty(h, "rocksdb.cur-size-all-mem-tables", &bytes);
      s.disk_bytes += bytes;
    }
    std::unique_ptr<rocksdb::Iterator> streams(db_->NewIterator({}, handles_[kMeta]));
    for (streams->Seek("rev/"); streams->Valid() && streams->key().starts_with("rev/");
         streams->Next()) {
      ++s.streams;
    }
    std::unique_ptr<rocksdb::Iterator> t(db_->NewIterator({}, handles_[kTime]));
    auto time_of = [](const rocksdb::Slice& k) {
      return FromUnixNanos(static_cast<std::int64_t>(ReadU64(k.data()) ^ (std::uint64_t{1} << 63)));
    };
    t->SeekToFirst();
    if (t->Valid() && t->key().size() == 16) s.first_time = time_of(t->key());
    t->SeekToLast();
    if (t->Valid() && t->key().size() == 16) s.last_time = time_of(t->key());
    return s;
  }

  Result<void> Sync() override {
    if (options_.mode != OpenMode::kWriter) return {};
    return SyncNow();
  }

  Result<void> Compact() override {
    if (options_.mode != OpenMode::kWriter) {
      return Fail(ErrorCode::kInvalidArgument, "compaction is done by the log's writer");
    }
    std::lock_guard lock(writer_mutex_);
    if (!db_) return Fail(ErrorCode::kUnavailable, Closed());
    std::vector<rocksdb::ColumnFamilyHandle*> families(handles_.begin() + 1, handles_.end());
    if (auto s = db_->Flush({}, families); !s.ok())
      return Fail(ErrorCode::kIo, WriteErrorMessage(s));
    rocksdb::CompactRangeOptions options;
    options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    for (auto* h : families) {
      if (auto s = db_->CompactRange(options, h, nullptr, nullptr); !s.ok()) {
        return Fail(ErrorCode::kIo, WriteErrorMessage(s));
      }
    }
    return {};
  }

 private:
  // Makes every acknowledged append durable with a tiny sync=true write: it
  // goes through RocksDB's write path, which handles a failing disk (calling
  // SyncWAL after a failed WAL write trips an assertion in RocksDB 7.8).
  // While the log waits for Resume, nothing is synced: what was acknowledged
  // before the failure is already in the operating system.
  Result<void> SyncNow() {
    std::lock_guard lock(writer_mutex_);
    if (needs_resume_ || !db_) {
      return Fail(ErrorCode::kIo, fmt::format("the log in {} awaits free space", dir_));
    }
    rocksdb::WriteBatch batch;
    batch.Put(handles_[kMeta], "synced", U64Key(head_));
    rocksdb::WriteOptions options;
    options.sync = true;
    if (auto s = db_->Write(options, &batch); !s.ok()) {
      needs_resume_ = true;
      return Fail(ErrorCode::kIo, WriteErrorMessage(s));
    }
    return {};
  }

  std::string OpenErrorMessage(const rocksdb::Status& s) const {
    const std::string what = s.ToString();
    if (what.find("Permission denied") != std::string::npos) {
      return fmt::format(
          "cannot open the log in {}: permission denied; run as a user who may write there "
          "(or give another --log-dir) ({})",
          dir_, what);
    }
    if (what.find("lock") != std::string::npos || what.find("LOCK") != std::string::npos) {
      return fmt::format(
          "the log in {} is in use by another writer (is lineup already running?); "
          "read it with a follower or read-only open instead ({})",
          dir_, what);
    }
    if (s.IsCorruption()) {
      return fmt::format(
          "the log in {} is damaged: {}. Keep a copy of the directory before "
          "anything else",
          dir_, what);
    }
    if (options_.mode != OpenMode::kWriter && s.IsInvalidArgument()) {
      return fmt::format("there is no Lineup log in {} ({})", dir_, what);
    }
    return fmt::format("cannot open the log in {}: {}", dir_, what);
  }

  std::string WriteErrorMessage(const rocksdb::Status& s) const {
    if (s.IsNoSpace() || s.ToString().find("No space") != std::string::npos) {
      return fmt::format(
          "the disk holding the log in {} is full ({}): nothing was lost; free "
          "space and appends resume",
          dir_, s.ToString());
    }
    return fmt::format("cannot write the log in {}: {}", dir_, s.ToString());
  }

  std::string ReadErrorMessage(const rocksdb::Status& s) const {
    return fmt::format("cannot read the log in {}: {}", dir_, s.ToString());
  }

  Result<void> LoadState() {
    std::string value;
    auto s = db_->Get({}, handles_[kMeta], kHeadKey, &value);
    if (s.ok() && value.size() == 8) {
      head_ = ReadU64(value.data());
    } else if (!s.IsNotFound()) {
      return Fail(ErrorCode::kIo, ReadErrorMessage(s));
    }
    if (options_.mode == OpenMode::kWriter) {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, handles_[kMeta]));
      for (it->Seek("rev/"); it->Valid() && it->key().starts_with("rev/"); it->Next()) {
        if (it->value().size() == 8) {
          revisions_[it->key().ToString().substr(4)] = ReadU64(it->value().data());
        }
      }
    }
    notifier_->Publish(head_);
    return {};
  }

  std::string Closed() const {
    return fmt::format("the log in {} is being reopened after a write error (is the disk full?)",
                       dir_);
  }

  std::uint64_t TrimPointShared() const {
    std::shared_lock db_lock(db_mutex_);
    return db_ ? TrimPoint() : 0;
  }

  // REQUIRES: db_mutex_ (shared) or writer_mutex_ held, db_ open.
  std::uint64_t TrimPoint() const {
    std::string value;
    if (db_->Get({}, handles_[kMeta], kTrimKey, &value).ok() && value.size() == 8) {
      return ReadU64(value.data());
    }
    return 0;
  }

  bool VisitIndexed(bool sample, std::uint64_t position, const Visitor& visit) const {
    std::string record;
    auto s = db_->Get({}, handles_[sample ? kSamples : kEvents], U64Key(position), &record);
    if (s.IsNotFound()) return true;  // a sample deleted by retention
    if (!s.ok()) {
      return visit(LogEntry{position, Fail(ErrorCode::kIo, ReadErrorMessage(s))});
    }
    return visit(LogEntry{position, DecodeRecord(position, Bytes(record))});
  }

  void CatchUp() const {
    std::lock_guard lock(catch_up_mutex_);
    (void)db_->TryCatchUpWithPrimary();
  }

  void NoteUnsynced(std::uint64_t n) {
    bool wake = false;
    {
      std::lock_guard lock(sync_mutex_);
      unsynced_ += n;
      wake = unsynced_ >= options_.sync_every_events;
    }
    if (wake) sync_wake_.notify_all();
  }

  void SyncLoop() {
    std::unique_lock lock(sync_mutex_);
    while (!closing_) {
      sync_wake_.wait_for(lock, options_.sync_interval,
                          [&] { return closing_ || unsynced_ >= options_.sync_every_events; });
      if (unsynced_ == 0) continue;
      unsynced_ = 0;
      lock.unlock();
      (void)SyncNow();  // a failure shows up on the next append
      lock.lock();
    }
  }

  std::string dir_;
  RocksLogOptions options_;
  std::string follower_dir_;
  // Readers hold db_mutex_ shared; ReopenAfterFailure holds it exclusively.
  mutable std::shared_mutex db_mutex_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::shared_ptr<Notifier> notifier_;

  mutable std::mutex writer_mutex_;  // guards head_, revisions_, needs_resume_
  std::uint64_t head_ = 0;
  std::unordered_map<std::string, std::uint64_t> revisions_;
  bool needs_resume_ = false;

  mutable std::mutex catch_up_mutex_;

  std::mutex sync_mutex_;
  std::condition_variable sync_wake_;
  std::uint64_t unsynced_ = 0;
  bool closing_ = false;
  std::thread sync_thread_;
};

}  // namespace

Result<std::unique_ptr<EventLog>> OpenRocksLog(const std::string& directory,
                                               const RocksLogOptions& options) {
  auto log = std::make_unique<RocksLog>(directory, options);
  if (auto r = log->Open(); !r) return tl::unexpected(r.error());
  return std::unique_ptr<EventLog>(std::move(log));
}

}  // namespace lineup::store
