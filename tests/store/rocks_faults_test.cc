// The RocksDB log under faults: restarts, a second writer, readers beside a
// writer, a damaged record, a process killed mid-append, a full disk.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include "store/event_log.h"
#include "tests/store/sample_events.h"
#include "tests/store/temp_dir.h"

namespace lineup::store {
namespace {

using lineup::testing::TempDir;
using std::chrono::milliseconds;
using testing::Sample;

RocksLogOptions Mode(OpenMode mode) {
  RocksLogOptions options;
  options.mode = mode;
  return options;
}

std::unique_ptr<EventLog> MustOpen(const std::string& dir, RocksLogOptions options = {}) {
  auto log = OpenRocksLog(dir, options);
  EXPECT_TRUE(log) << log.error().message;
  return log ? std::move(*log) : nullptr;
}

std::size_t CountEntries(const EventLog& log, std::vector<std::string>* errors = nullptr) {
  std::size_t n = 0;
  EXPECT_TRUE(log.ReadPositions(0, UINT64_MAX, {}, [&](const LogEntry& e) {
    if (!e.event && errors) errors->push_back(e.event.error().message);
    ++n;
    return true;
  }));
  return n;
}

TEST(RocksLogTest, ReopenContinuesWhereItStopped) {
  TempDir dir;
  {
    auto log = MustOpen(dir / "log");
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->Append(Sample(i % 2 ? "a" : "b", i)));
    ASSERT_TRUE(log->SaveCheckpoint("analyzer", 3));
  }
  auto log = MustOpen(dir / "log");
  EXPECT_EQ(log->head(), 5u);
  EXPECT_EQ(log->StreamRevision("a"), 2u);
  EXPECT_EQ(log->StreamRevision("b"), 3u);
  EXPECT_EQ(log->LoadCheckpoint("analyzer").value(), 3u);
  EXPECT_EQ(log->Append(Sample("a", 9)).value(), 5u);
  std::vector<RecordedEvent> a;
  ASSERT_TRUE(log->ReadStream("a", 0, [&](const LogEntry& e) {
    a.push_back(*e.event);
    return true;
  }));
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a.back().revision, 2u);
}

TEST(RocksLogTest, SecondWriterIsRefusedWithAClearMessage) {
  TempDir dir;
  auto first = MustOpen(dir / "log");
  auto second = OpenRocksLog(dir / "log");
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("in use by another writer"), std::string::npos)
      << second.error().message;
}

TEST(RocksLogTest, FollowerReadsWhileTheWriterAppends) {
  TempDir dir;
  auto writer = MustOpen(dir / "log");
  ASSERT_TRUE(writer->Append(Sample("s", 0)));
  auto follower = MustOpen(dir / "log", Mode(OpenMode::kFollower));
  ASSERT_NE(follower, nullptr);
  EXPECT_EQ(follower->head(), 1u);
  std::atomic<std::uint64_t> delivered{0};
  auto sub = follower->Subscribe(0, {}, [&](const LogEntry& e) {
    EXPECT_TRUE(e.event);
    delivered = e.position + 1;
  });
  ASSERT_TRUE(sub);
  for (int i = 1; i < 50; ++i) ASSERT_TRUE(writer->Append(Sample("s", i)));
  for (int i = 0; i < 300 && delivered < 50; ++i) std::this_thread::sleep_for(milliseconds(10));
  EXPECT_EQ(delivered.load(), 50u);
  EXPECT_FALSE(follower->Append(Sample("s", 0)));  // readers never write
  (*sub)->Stop();
}

TEST(RocksLogTest, ReadOnlyOpenAndMissingLog) {
  TempDir dir;
  {
    auto log = MustOpen(dir / "log");
    ASSERT_TRUE(log->Append(Sample("s", 0)));
  }
  auto reader = MustOpen(dir / "log", Mode(OpenMode::kReadOnly));
  EXPECT_EQ(CountEntries(*reader), 1u);
  auto missing = OpenRocksLog(dir / "nothing-here", Mode(OpenMode::kReadOnly));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("nothing-here"), std::string::npos);
}

TEST(RocksLogTest, UnwritableDirectoryIsAClearError) {
  TempDir dir;
  std::ofstream(dir / "a-file") << "x";
  auto log = OpenRocksLog(dir / "a-file/log");
  ASSERT_FALSE(log);
  EXPECT_NE(log.error().message.find("cannot create the log directory"), std::string::npos)
      << log.error().message;
}

TEST(RocksLogTest, DamagedRecordIsNamedAndTheRestStaysReadable) {
  TempDir dir;
  {
    auto log = MustOpen(dir / "log");
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->Append(Sample("s", i)));
  }
  {  // damage position 2 behind the log's back
    rocksdb::Options options;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name : {"default", "events", "samples", "time", "streams", "meta"}) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir / "log", families, &handles, &db).ok());
    const std::string key("\0\0\0\0\0\0\0\2", 8);
    ASSERT_TRUE(db->Put({}, handles[2], key, "garbage that is no record at all").ok());
    for (auto* h : handles) (void)db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  auto log = MustOpen(dir / "log");
  std::vector<std::string> errors;
  EXPECT_EQ(CountEntries(*log, &errors), 5u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("position 2"), std::string::npos) << errors[0];
}

// A child appends at full speed and reports each acknowledged head through a
// pipe; we SIGKILL it at a random moment, many times. After every restart the
// log must be exactly a prefix: contiguous positions, every record intact,
// nothing acknowledged missing, each sample's number equal to its position.
TEST(RocksLogTest, KilledWriterLeavesAnExactPrefix) {
  TempDir dir;
  const std::string path = dir / "log";
  std::mt19937 rng(4242);
  std::uint64_t acknowledged = 0;
  constexpr int kKills = 12;
  for (int round = 0; round < kKills; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      auto log = OpenRocksLog(path);
      if (!log) _exit(3);
      for (;;) {
        const std::uint64_t head = (*log)->head();
        std::vector<Event> batch;
        for (std::uint64_t i = 0; i < 64; ++i) {
          batch.push_back(
              Sample("s" + std::to_string(i % 4), static_cast<std::uint32_t>(head + i)));
        }
        if (!(*log)->Append(batch)) _exit(4);
        const std::uint64_t acked = head + 64;
        if (write(fds[1], &acked, sizeof(acked)) != sizeof(acked)) _exit(5);
      }
    }
    close(fds[1]);
    // Every other round waits for the first acknowledged batch before the
    // random delay, so kills land mid-append even when opening the log is
    // slow on a loaded machine; the other rounds may also kill during open.
    if (round % 2 == 0) {
      std::uint64_t first = 0;
      if (read(fds[0], &first, sizeof(first)) == sizeof(first))
        acknowledged = std::max(acknowledged, first);
    }
    std::this_thread::sleep_for(milliseconds(30 + rng() % 150));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself, status " << status;
    std::uint64_t acked = 0;
    while (read(fds[0], &acked, sizeof(acked)) == sizeof(acked))
      acknowledged = std::max(acknowledged, acked);
    close(fds[0]);

    auto log = MustOpen(path);
    ASSERT_NE(log, nullptr);
    const std::uint64_t head = log->head();
    ASSERT_GE(head, acknowledged) << "round " << round << ": an acknowledged append was lost";
    ASSERT_EQ(head % 64, 0u) << "a batch was torn";
    std::uint64_t expected = 0;
    ASSERT_TRUE(log->ReadPositions(0, UINT64_MAX, {}, [&](const LogEntry& e) {
      EXPECT_EQ(e.position, expected);
      EXPECT_TRUE(e.event) << e.event.error().message;
      if (e.event) {
        EXPECT_EQ(std::get<ProbeSample>(e.event->event.payload).sequence,
                  static_cast<std::uint32_t>(e.position));
      }
      ++expected;
      return true;
    }));
    ASSERT_EQ(expected, head) << "positions are not contiguous";
    std::uint64_t revisions = 0;
    for (int s = 0; s < 4; ++s) revisions += log->StreamRevision("s" + std::to_string(s));
    ASSERT_EQ(revisions, head);
  }
  EXPECT_GT(acknowledged, 0u);
}

// Fills the filesystem at `dir` completely with a file `name`.
void FillDisk(const std::string& dir, const std::string& name) {
  std::ofstream filler(dir + "/" + name, std::ios::binary);
  std::vector<char> block(1 << 16, 'x');
  while (filler.write(block.data(), block.size())) {
  }
}

TEST(RocksLogTest, FullDiskIsAClearErrorAndAppendsResume) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
  TempDir dir;
  const std::string mnt = dir / "small";
  std::filesystem::create_directories(mnt);
  // RocksDB clears a no-space error only with a memtable's worth free: a
  // 4 MB memtable keeps this disk small and the test quick.
  if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=24m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  }
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt};
  std::uint64_t acked = 0;
  // Batches of 500, numbered by position; the WAL is preallocated in large
  // steps, so it takes a few megabytes to reach the end of the disk.
  auto append = [&](EventLog& log) {
    std::vector<Event> batch;
    for (std::uint64_t i = 0; i < 500; ++i) {
      batch.push_back(Sample("s", static_cast<std::uint32_t>(acked + i)));
    }
    auto r = log.Append(batch);
    if (r) acked += batch.size();
    return r;
  };
  RocksLogOptions options;
  options.memtable_bytes = 4 << 20;
  {
    auto log = MustOpen(mnt + "/log", options);
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(append(*log));
    FillDisk(mnt, "filler");
    std::optional<Error> failure;
    for (int i = 0; i < 4000 && !failure; ++i) {
      if (auto r = append(*log); !r) failure = r.error();
    }
    ASSERT_TRUE(failure) << "the disk never filled";
    EXPECT_NE(failure->message.find("full"), std::string::npos) << failure->message;
    for (int i = 0; i < 10; ++i) (void)append(*log);  // fail, or fit where the reopen freed space
    std::filesystem::remove(mnt + "/filler");
    auto again = append(*log);
    ASSERT_TRUE(again) << again.error().message;
    ASSERT_TRUE(log->Sync());
    EXPECT_EQ(log->head(), acked);
    std::uint64_t n = CountEntries(*log);
    EXPECT_EQ(n, acked);
    // Fill the disk again and close while it is full: no crash, nothing lost.
    FillDisk(mnt, "filler");
    for (int i = 0; i < 4000; ++i) {
      if (!append(*log)) break;
    }
  }
  std::filesystem::remove(mnt + "/filler");
  auto log = MustOpen(mnt + "/log", options);
  ASSERT_NE(log, nullptr);
  std::vector<std::string> errors;
  EXPECT_EQ(CountEntries(*log, &errors), acked);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(log->head(), acked);
  std::uint64_t expected = 0;  // and in order: sample i carries number i
  ASSERT_TRUE(log->ReadPositions(0, UINT64_MAX, {}, [&](const LogEntry& e) {
    EXPECT_EQ(std::get<ProbeSample>(e.event->event.payload).sequence, expected++);
    return true;
  }));
}

}  // namespace
}  // namespace lineup::store
