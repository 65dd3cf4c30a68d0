// Event log figures on this machine: append throughput with the default
// durability, catch-up replay, live-tail latency, bytes per probe sample on
// disk, and how a time-range read grows with the log. Prints key=value lines.
//   store_bench DIR [EVENTS]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "store/event_log.h"

namespace {

using namespace lineup;
using namespace lineup::store;
using Steady = std::chrono::steady_clock;

double Seconds(Steady::time_point since) {
  return std::chrono::duration<double>(Steady::now() - since).count();
}

// A probe sample as a 10 pps session produces it: realistic timestamps, so the
// compression figure is honest. Event time advances 100 us per event.
Event MakeSample(std::uint64_t i, std::mt19937_64& rng) {
  const std::int64_t t1 = 1'700'000'000'000'000'000 + static_cast<std::int64_t>(i) * 100'000;
  ProbeSample p;
  p.sequence = static_cast<std::uint32_t>(i / 16);
  p.t1_ns = t1;
  p.t2_ns = t1 + 5'000'000 + static_cast<std::int64_t>(rng() % 400'000);
  p.t3_ns = p.t2_ns + 20'000 + static_cast<std::int64_t>(rng() % 5'000);
  p.t4_ns = p.t3_ns + 7'000'000 + static_cast<std::int64_t>(rng() % 400'000);
  p.reflector_sequence = p.sequence;
  p.ttl_at_reflector = 251;
  p.reply_ttl = 60;
  p.reply_tos = 0xB8;
  return Event{FromUnixNanos(t1), "session/tunnel-" + std::to_string(i % 16), p, {}, {}};
}

double TimeRangeRead(const EventLog& log, std::uint64_t at_event, std::size_t* count) {
  // One second of event time (10,000 events) around `at_event`.
  const WallTime from =
      FromUnixNanos(1'700'000'000'000'000'000 + static_cast<std::int64_t>(at_event) * 100'000);
  const auto start = Steady::now();
  *count = 0;
  for (int rep = 0; rep < 5; ++rep) {
    (void)log.ReadTime(from, from + std::chrono::seconds(1), {}, [&](const LogEntry&) {
      ++*count;
      return true;
    });
  }
  *count /= 5;
  return Seconds(start) / 5;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: store_bench DIR [EVENTS]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::uint64_t total = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 2'000'000;
  std::filesystem::remove_all(dir);
  auto opened = OpenRocksLog(dir);
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().message.c_str());
    return 2;
  }
  auto& log = *opened;
  std::mt19937_64 rng(1);

  // Append in batches of 1,000 with the default durability (group commit).
  constexpr std::uint64_t kBatch = 1000;
  std::vector<Event> batch;
  batch.reserve(kBatch);
  const std::uint64_t small = total / 4;
  double small_range_s = 0;
  std::size_t small_range_n = 0;
  const auto append_start = Steady::now();
  auto append_restart = append_start;
  double append_s = 0;
  for (std::uint64_t i = 0; i < total;) {
    batch.clear();
    for (std::uint64_t k = 0; k < kBatch && i < total; ++k, ++i)
      batch.push_back(MakeSample(i, rng));
    if (!log->Append(batch)) {
      std::fprintf(stderr, "append failed\n");
      return 1;
    }
    if (i == small) {  // the time-range read while the log is a quarter of its final size
      append_s += Seconds(append_start);
      (void)log->Compact();  // both sizes are read from files, like for like
      small_range_s = TimeRangeRead(*log, small / 2, &small_range_n);
      append_restart = Steady::now();
    }
  }
  append_s += Seconds(append_restart);
  std::printf("append_events=%llu append_events_per_s=%.0f\n", (unsigned long long)total,
              double(total) / append_s);

  // Live tail: one event every millisecond, append call to delivery.
  std::vector<double> latencies;
  std::mutex m;
  std::vector<Steady::time_point> sent(2000);
  const std::uint64_t tail_from = log->head();
  auto sub = log->Subscribe(tail_from, {}, [&](const LogEntry& e) {
    const auto now = Steady::now();
    std::lock_guard lock(m);
    latencies.push_back(
        std::chrono::duration<double, std::micro>(now - sent[e.position - tail_from]).count());
  });
  for (std::size_t k = 0; k < sent.size(); ++k) {
    sent[k] = Steady::now();
    (void)log->Append(MakeSample(total + k, rng));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  (*sub)->Stop();
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double q) {
    return latencies.empty() ? 0 : latencies[size_t(q * double(latencies.size() - 1))];
  };
  std::printf("tail_samples=%zu tail_p50_us=%.0f tail_p99_us=%.0f tail_max_us=%.0f\n",
              latencies.size(), pct(0.5), pct(0.99), latencies.empty() ? 0 : latencies.back());

  // Catch-up replay: read and decode everything from position 0.
  const auto replay_start = Steady::now();
  std::uint64_t decoded = 0, errors = 0;
  (void)log->ReadPositions(0, UINT64_MAX, {}, [&](const LogEntry& e) {
    if (e.event) {
      ++decoded;
    } else {
      ++errors;
    }
    return true;
  });
  const double replay_s = Seconds(replay_start);
  std::printf("replay_events=%llu replay_errors=%llu replay_events_per_s=%.0f\n",
              (unsigned long long)decoded, (unsigned long long)errors, double(decoded) / replay_s);

  if (auto c = log->Compact(); !c) std::fprintf(stderr, "compact: %s\n", c.error().message.c_str());
  std::size_t large_range_n = 0;
  const double large_range_s = TimeRangeRead(*log, total / 2, &large_range_n);
  std::printf("range_read_events=%zu at_%llu_events_ms=%.2f at_%llu_events_ms=%.2f ratio=%.2f\n",
              large_range_n, (unsigned long long)small, small_range_s * 1e3,
              (unsigned long long)total, large_range_s * 1e3, large_range_s / small_range_s);

  auto stats = log->Stats();
  std::uint64_t sst = 0;
  for (auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (f.path().extension() == ".sst") sst += f.file_size();
  }
  std::printf("disk_bytes_after_compaction=%llu bytes_per_event_all_indexes=%.1f\n",
              (unsigned long long)sst, double(sst) / double(log->head()));
  (void)stats;
  log.reset();
  std::filesystem::remove_all(dir);
  return errors == 0 ? 0 : 1;
}
