// Micro-benchmarks of the protocol core: what one packet costs without I/O.
#include <benchmark/benchmark.h>

#include <random>
#include <unordered_map>
#include <vector>

#include "measure/reflector.h"
#include "measure/session.h"

namespace lineup::measure {
namespace {

void BM_EncodeSenderPacket(benchmark::State& state) {
  std::vector<std::byte> out(44);
  SenderPacket p;
  for (auto _ : state) {
    p.sequence++;
    benchmark::DoNotOptimize(Encode(p, out));
  }
}
BENCHMARK(BM_EncodeSenderPacket);

void BM_DecodeReflectorPacket(benchmark::State& state) {
  std::vector<std::byte> in(44);
  ReflectorPacket p;
  (void)Encode(p, in);
  for (auto _ : state) benchmark::DoNotOptimize(DecodeReflectorPacket(in));
}
BENCHMARK(BM_DecodeReflectorPacket);

void BM_ReflectorCoreReflect(benchmark::State& state) {
  ReflectorCore core(ReflectorConfig{});
  std::vector<std::byte> request(44), reply(kMaxTestPacketLength);
  (void)Encode(SenderPacket{}, request);
  const ReceivedMeta meta{ParseEndpoint("127.0.0.1:5000").value(), FromUnixNanos(1), 64, 0};
  for (auto _ : state) benchmark::DoNotOptimize(core.Reflect(request, meta, reply));
}
BENCHMARK(BM_ReflectorCoreReflect);

// Hash flooding (issue 19). Senders choose their address, port and SSID, so
// with an unkeyed hash they can choose ones that share a bucket. The flood
// set: kFloodSenders (port, SSID) pairs of one address that FNV-1a, the
// reflector's hash before it was keyed, puts in bucket 0 of a table sized
// for them. Argument 0: as many random senders; 1: the flood set.
constexpr std::size_t kFloodSenders = 4000;

struct UnkeyedFnv1a {  // the reflector's hash before SipHash (5f779f9)
  std::size_t operator()(const SenderKey& key) const {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    auto mix = [&h](std::uint64_t byte) {
      h ^= byte;
      h *= 0x100000001b3ULL;
    };
    for (auto b : key.peer.address().to_v4().to_bytes()) mix(b);
    mix(key.peer.port() >> 8);
    mix(key.peer.port() & 0xff);
    mix(key.ssid >> 8);
    mix(key.ssid & 0xff);
    return h;
  }
};

const std::vector<SenderKey>& Senders(bool flood) {
  static const auto sets = [] {
    const auto address = boost::asio::ip::make_address("127.0.0.2");
    std::vector<SenderKey> random, chosen;
    std::mt19937_64 rng(19);
    while (random.size() < kFloodSenders) {
      random.push_back(
          {UdpEndpoint(address, std::uint16_t(1024 + rng() % 64000)), std::uint16_t(rng())});
    }
    std::unordered_map<SenderKey, int, UnkeyedFnv1a> sized;
    sized.reserve(kFloodSenders);
    const std::size_t buckets = sized.bucket_count();
    for (std::uint32_t port = 1024; port <= 65535 && chosen.size() < kFloodSenders; ++port) {
      for (std::uint32_t ssid = 0; ssid <= 65535 && chosen.size() < kFloodSenders; ++ssid) {
        const SenderKey key{UdpEndpoint(address, std::uint16_t(port)), std::uint16_t(ssid)};
        if (UnkeyedFnv1a{}(key) % buckets == 0) chosen.push_back(key);
      }
    }
    return std::pair(random, chosen);
  }();
  return flood ? sets.second : sets.first;
}

// What the flood did to a table under the unkeyed hash: one lookup.
void BM_SenderLookupUnkeyedHash(benchmark::State& state) {
  const auto& senders = Senders(state.range(0) == 1);
  std::unordered_map<SenderKey, int, UnkeyedFnv1a> table;
  table.reserve(senders.size());
  for (const auto& k : senders) table.emplace(k, 0);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(table.find(senders[i]));
    i = i + 1 == senders.size() ? 0 : i + 1;
  }
  state.counters["largest_bucket"] = double(table.bucket_size(table.bucket(senders[0])));
}
BENCHMARK(BM_SenderLookupUnkeyedHash)->Arg(0)->Arg(1);

// One packet through the reflector core (keyed hash), the senders in turn.
void BM_ReflectorCoreManySenders(benchmark::State& state) {
  const auto& senders = Senders(state.range(0) == 1);
  ReflectorConfig config;
  config.max_replies_per_sender = 0;  // no rate limit: every packet is the table's work
  ReflectorCore core(config);
  std::vector<std::vector<std::byte>> requests;
  for (const auto& k : senders) {
    std::vector<std::byte> request(44);
    SenderPacket p;
    p.ssid = k.ssid;
    p.length = request.size();
    (void)Encode(p, request);
    requests.push_back(std::move(request));
  }
  std::vector<std::byte> reply(kMaxTestPacketLength);
  std::size_t i = 0;
  for (auto _ : state) {
    const ReceivedMeta meta{senders[i].peer, FromUnixNanos(1), 64, 0};
    benchmark::DoNotOptimize(core.Reflect(requests[i], meta, reply));
    i = i + 1 == senders.size() ? 0 : i + 1;
  }
  std::size_t largest = 0;
  const auto& table = core.senders();
  for (std::size_t b = 0; b < table.bucket_count(); ++b)
    largest = std::max(largest, table.bucket_size(b));
  state.counters["largest_bucket"] = double(largest);
}
BENCHMARK(BM_ReflectorCoreManySenders)->Arg(0)->Arg(1);

void BM_SummarizeRun(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  RunRecorder rec;
  for (std::uint32_t i = 0; i < n; ++i) {
    rec.OnSent(i, FromUnixNanos(std::int64_t{i} * 1'000'000));
    ProbeReply r;
    r.t2 = FromUnixNanos(std::int64_t{i} * 1'000'000 + 5000 + (i % 7) * 100);
    r.t3 = r.t2 + Nanos(30);
    r.t4 = r.t3 + Nanos(6000);
    r.reflector_sequence = i;
    rec.OnReply(i, r);
  }
  for (auto _ : state) benchmark::DoNotOptimize(rec.Summarize(ReflectorNumbering::kStateful));
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_SummarizeRun)->Arg(100)->Arg(10000);

}  // namespace
}  // namespace lineup::measure

BENCHMARK_MAIN();
