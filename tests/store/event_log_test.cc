// EventLog behaviour, the same for the in-memory and the RocksDB log.
#include "store/event_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/store/sample_events.h"
#include "tests/store/temp_dir.h"

namespace lineup::store {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::kT0;
using testing::Sample;

struct Collected {
  std::vector<RecordedEvent> events;
  std::vector<std::string> errors;
};

Visitor Collect(Collected& out) {
  return [&out](const LogEntry& e) {
    if (e.event) {
      out.events.push_back(*e.event);
    } else {
      out.errors.push_back(e.event.error().message);
    }
    return true;
  };
}

Event Note(const std::string& stream, WallTime t = kT0) {
  return {t, stream, PolicyChanged{"p", stream, {}}, {}, {}};
}

class EventLogTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { log_ = Open(); }
  std::unique_ptr<EventLog> Open() {
    if (GetParam() == "memory") return MakeMemoryLog();
    auto log = OpenRocksLog(dir_ / "log");
    EXPECT_TRUE(log) << log.error().message;
    return std::move(*log);
  }
  lineup::testing::TempDir dir_;
  std::unique_ptr<EventLog> log_;
};

TEST_P(EventLogTest, PositionsAreDenseAndRevisionsPerStream) {
  std::vector<Event> batch{Note("a"), Note("b"), Note("a"), Sample("a", 0)};
  auto positions = log_->Append(batch);
  ASSERT_TRUE(positions) << positions.error().message;
  EXPECT_EQ(*positions, (std::vector<std::uint64_t>{0, 1, 2, 3}));
  EXPECT_EQ(log_->Append(Note("b")).value(), 4u);
  EXPECT_EQ(log_->head(), 5u);
  EXPECT_EQ(log_->StreamRevision("a"), 3u);
  EXPECT_EQ(log_->StreamRevision("b"), 2u);
  EXPECT_EQ(log_->StreamRevision("nope"), 0u);

  Collected all;
  ASSERT_TRUE(log_->ReadPositions(0, 100, {}, Collect(all)));
  ASSERT_EQ(all.events.size(), 5u);
  for (std::uint64_t i = 0; i < 5; ++i) EXPECT_EQ(all.events[i].position, i);
  EXPECT_EQ(all.events[2].revision, 1u);  // second event of stream a
  EXPECT_EQ(all.events[3].event.type(), EventType::kProbeSample);

  Collected samples, others;
  ASSERT_TRUE(log_->ReadPositions(0, 100, ReadFilter::SamplesOnly(), Collect(samples)));
  ASSERT_TRUE(log_->ReadPositions(1, 3, ReadFilter::WithoutSamples(), Collect(others)));
  EXPECT_EQ(samples.events.size(), 1u);
  ASSERT_EQ(others.events.size(), 2u);
  EXPECT_EQ(others.events[0].position, 1u);
}

TEST_P(EventLogTest, ReadStreamFromRevision) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log_->Append(Note(i % 2 ? "x" : "y")));
  Collected y;
  ASSERT_TRUE(log_->ReadStream("y", 1, Collect(y)));
  ASSERT_EQ(y.events.size(), 2u);
  EXPECT_EQ(y.events[0].position, 2u);
  EXPECT_EQ(y.events[1].position, 4u);
  EXPECT_EQ(y.events[1].revision, 2u);
  Collected none;
  ASSERT_TRUE(log_->ReadStream("unknown", 0, Collect(none)));
  EXPECT_TRUE(none.events.empty());
}

TEST_P(EventLogTest, ReadTimeRangeOrderedByTime) {
  // Appended out of time order: the range read sorts by time, then position.
  ASSERT_TRUE(log_->Append(Note("a", kT0 + seconds(30))));
  ASSERT_TRUE(log_->Append(Note("a", kT0 + seconds(10))));
  ASSERT_TRUE(log_->Append(Sample("a", 0, kT0 + seconds(20))));
  ASSERT_TRUE(log_->Append(Note("a", kT0 + seconds(40))));
  Collected c;
  ASSERT_TRUE(log_->ReadTime(kT0 + seconds(10), kT0 + seconds(40), {}, Collect(c)));
  ASSERT_EQ(c.events.size(), 3u);
  EXPECT_EQ(c.events[0].position, 1u);
  EXPECT_EQ(c.events[1].position, 2u);
  EXPECT_EQ(c.events[2].position, 0u);
  Collected no_samples;
  ASSERT_TRUE(
      log_->ReadTime(kT0, kT0 + seconds(60), ReadFilter::WithoutSamples(), Collect(no_samples)));
  EXPECT_EQ(no_samples.events.size(), 3u);
  Collected empty;
  ASSERT_TRUE(log_->ReadTime(kT0 + seconds(100), kT0 + seconds(200), {}, Collect(empty)));
  EXPECT_TRUE(empty.events.empty());
}

TEST_P(EventLogTest, ExpectedRevisionConflictRejectsTheWholeBatch) {
  ASSERT_TRUE(log_->Append(Note("s")));
  Event ok = Note("s");
  ok.expected_revision = 1;
  Event stale = Note("t");
  stale.expected_revision = 3;
  std::vector<Event> batch{ok, stale};
  auto r = log_->Append(batch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_NE(r.error().message.find("stream 't' is at revision 0, not the expected 3"),
            std::string::npos);
  EXPECT_EQ(log_->head(), 1u);  // nothing of the batch was written
  EXPECT_TRUE(log_->Append(ok));
}

TEST_P(EventLogTest, IdempotentAppendByEventId) {
  Event e = Note("s");
  e.event_id = "run-17";
  EXPECT_EQ(log_->Append(e).value(), 0u);
  EXPECT_EQ(log_->Append(e).value(), 0u);  // retried after a timeout: not written twice
  std::vector<Event> batch{Note("s"), e, e};
  EXPECT_EQ(log_->Append(batch).value(), (std::vector<std::uint64_t>{1, 0, 0}));
  Event f = Note("s");
  f.event_id = "run-18";
  std::vector<Event> twice{f, f};
  EXPECT_EQ(log_->Append(twice).value(), (std::vector<std::uint64_t>{2, 2}));
  EXPECT_EQ(log_->head(), 3u);
}

TEST_P(EventLogTest, RejectsBadStreamNames) {
  EXPECT_FALSE(log_->Append(Note("")));
  EXPECT_FALSE(log_->Append(Note(std::string("a\0b", 3))));
  EXPECT_FALSE(log_->Append(Note(std::string(2000, 'x'))));
  EXPECT_EQ(log_->head(), 0u);
}

TEST_P(EventLogTest, SubscribeCatchesUpThenFollowsLive) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(log_->Append(Note("s")));
  std::mutex m;
  std::vector<std::uint64_t> seen;
  auto sub = log_->Subscribe(4, {}, [&](const LogEntry& e) {
    std::lock_guard lock(m);
    seen.push_back(e.position);
  });
  ASSERT_TRUE(sub) << sub.error().message;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(log_->Append(Note("s")));
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard lock(m);
      if (seen.size() == 16) break;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  (*sub)->Stop();
  ASSERT_EQ(seen.size(), 16u);
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], 4 + i);  // ordered, once
  EXPECT_EQ((*sub)->next_position(), 20u);
}

TEST_P(EventLogTest, CheckpointsRoundTrip) {
  EXPECT_EQ(log_->LoadCheckpoint("analyzer").value(), 0u);
  ASSERT_TRUE(log_->SaveCheckpoint("analyzer", 1234));
  EXPECT_EQ(log_->LoadCheckpoint("analyzer").value(), 1234u);
}

TEST_P(EventLogTest, RetentionByAgeKeepsEverythingElse) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(log_->Append(Sample("s", i, kT0 + seconds(i))));
    ASSERT_TRUE(log_->Append(Note("s", kT0 + seconds(i))));
  }
  auto report = log_->ApplyRetention({seconds(5), 0}, kT0 + seconds(10));
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->samples_deleted, 5u);         // samples at 0..4 s
  EXPECT_EQ(report->samples_trimmed_before, 9u);  // position of the sample at 4 s, plus one
  Collected samples, others;
  ASSERT_TRUE(log_->ReadPositions(0, 100, ReadFilter::SamplesOnly(), Collect(samples)));
  ASSERT_TRUE(log_->ReadPositions(0, 100, ReadFilter::WithoutSamples(), Collect(others)));
  EXPECT_EQ(samples.events.size(), 5u);
  EXPECT_EQ(samples.events.front().position, 10u);
  EXPECT_EQ(others.events.size(), 10u);  // decisions and summaries are kept
  Collected by_time;
  ASSERT_TRUE(log_->ReadTime(kT0, kT0 + seconds(100), {}, Collect(by_time)));
  EXPECT_EQ(by_time.events.size(), 15u);
  EXPECT_TRUE(by_time.errors.empty());

  auto behind = log_->Subscribe(0, {}, [](const LogEntry&) {});
  ASSERT_FALSE(behind);
  EXPECT_NE(behind.error().message.find("behind the probe-sample trim point 9"), std::string::npos)
      << behind.error().message;
  EXPECT_TRUE(log_->Subscribe(0, ReadFilter::WithoutSamples(), [](const LogEntry&) {}));
  EXPECT_EQ(log_->Stats()->sample_trim_point, 9u);
}

TEST_P(EventLogTest, RetentionBySize) {
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(log_->Append(Sample("s", i, kT0 + milliseconds(i))));
  ASSERT_TRUE(log_->Sync());
  auto report = log_->ApplyRetention({Nanos(0), 20'000}, kT0);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_GT(report->samples_deleted, 0u);
  EXPECT_LT(report->samples_deleted, 2000u);
  EXPECT_EQ(report->samples_trimmed_before, report->samples_deleted);
}

TEST_P(EventLogTest, Stats) {
  ASSERT_TRUE(log_->Append(Sample("a", 0, kT0)));
  ASSERT_TRUE(log_->Append(Note("b", kT0 + seconds(5))));
  auto s = log_->Stats();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->head, 2u);
  EXPECT_EQ(s->streams, 2u);
  EXPECT_EQ(s->first_time, kT0);
  EXPECT_EQ(s->last_time, kT0 + seconds(5));
}

INSTANTIATE_TEST_SUITE_P(Implementations, EventLogTest, ::testing::Values("memory", "rocksdb"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace lineup::store
