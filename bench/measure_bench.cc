// Micro-benchmarks of the protocol core: what one packet costs without I/O.
#include <benchmark/benchmark.h>

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
