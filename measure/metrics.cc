#include "measure/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace lineup::measure {
namespace {

__extension__ typedef __int128 Int128;

// Nearest-rank percentile of sorted values, p in (0, 100].
Nanos Percentile(const std::vector<Nanos>& sorted, double p) {
  return sorted[NearestRankIndex(sorted.size(), p / 100.0)];
}

// Accepted packets in sequence order.
std::vector<const PacketRecord*> Answered(const std::vector<PacketRecord>& packets) {
  std::vector<const PacketRecord*> out;
  for (const auto& p : packets) {
    if (p.reply) out.push_back(&p);
  }
  return out;
}

template <typename DelayOf>
DirectionStats Direction(const std::vector<const PacketRecord*>& by_sequence,
                         const std::vector<const PacketRecord*>& by_arrival, DelayOf delay_of) {
  DirectionStats stats;
  std::vector<Nanos> delays;
  delays.reserve(by_sequence.size());
  for (const auto* p : by_sequence) delays.push_back(delay_of(*p));
  stats.delay = ComputeDelayStats(delays);

  // IPDV between consecutive sequence numbers both answered (IpdvChain).
  Int128 sum_abs = 0;
  IpdvChain<Nanos> chain;
  for (const auto* p : by_sequence) {
    const auto ipdv = chain.Next(p->sequence, delay_of(*p));
    if (!ipdv) continue;
    const Nanos d = *ipdv;
    if (stats.jitter.pairs == 0) {
      stats.jitter.min = stats.jitter.max = d;
    } else {
      stats.jitter.min = std::min(stats.jitter.min, d);
      stats.jitter.max = std::max(stats.jitter.max, d);
    }
    sum_abs += std::abs(d.count());
    ++stats.jitter.pairs;
  }
  if (stats.jitter.pairs > 0) {
    stats.jitter.mean_abs =
        Nanos(static_cast<std::int64_t>(sum_abs / static_cast<Int128>(stats.jitter.pairs)));
  }
  // RFC 3550 interarrival jitter over consecutive arrivals.
  double j = 0;
  for (std::size_t i = 1; i < by_arrival.size(); ++i) {
    const double d =
        double(delay_of(*by_arrival[i]).count()) - double(delay_of(*by_arrival[i - 1]).count());
    j += (std::abs(d) - j) / 16.0;
  }
  stats.jitter.rfc3550 = Nanos(std::llround(std::min(j, 9.2e18)));
  return stats;
}

}  // namespace

// a - b without overflow: a hostile or broken peer can put any timestamp in a
// reply, and two delays 200 years apart do not fit 64-bit nanoseconds.
Nanos SaturatingSub(Nanos a, Nanos b) {
  const Int128 d = Int128{a.count()} - b.count();
  const Int128 hi = INT64_MAX;
  const Int128 lo = INT64_MIN + 1;  // so that std::abs stays defined
  return Nanos(static_cast<std::int64_t>(d > hi ? hi : (d < lo ? lo : d)));
}

DelayStats ComputeDelayStats(std::vector<Nanos> values) {
  DelayStats s;
  s.count = values.size();
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.min = values.front();
  s.max = values.back();
  // Sum in 128 bits: thousands of multi-second delays overflow nothing.
  Int128 sum = 0;
  for (auto v : values) sum += v.count();
  const double mean = double(sum) / double(values.size());
  s.mean = Nanos(static_cast<std::int64_t>(std::llround(mean)));
  double var = 0;
  for (auto v : values) var += (double(v.count()) - mean) * (double(v.count()) - mean);
  s.stddev = Nanos(std::llround(std::min(std::sqrt(var / double(values.size())), 9.2e18)));
  s.median = Percentile(values, 50);
  s.p95 = Percentile(values, 95);
  s.p99 = Percentile(values, 99);
  return s;
}

void RunRecorder::OnSent(std::uint32_t sequence, WallTime t1) {
  if (sequence >= packets_.size()) packets_.resize(std::size_t{sequence} + 1);
  packets_[sequence].sequence = sequence;
  packets_[sequence].t1 = t1;
}

RunRecorder::Verdict RunRecorder::OnReply(std::uint32_t sequence, ProbeReply reply) {
  if (closed_) {
    ++late_;
    return Verdict::kLate;
  }
  if (sequence >= packets_.size()) {
    ++unexpected_;
    return Verdict::kUnexpected;
  }
  PacketRecord& record = packets_[sequence];
  if (record.reply) {
    ++record.duplicates;
    ++duplicates_;
    return Verdict::kDuplicate;
  }
  reply.arrival = accepted_++;
  record.reply = reply;
  return Verdict::kAccepted;
}

Summary RunRecorder::Summarize(ReflectorNumbering numbering) const {
  Summary s;
  s.sent = static_cast<std::uint32_t>(packets_.size());
  s.duplicates = duplicates_;
  s.late = late_;
  s.unexpected = unexpected_;

  const auto by_sequence = Answered(packets_);
  auto by_arrival = by_sequence;
  std::sort(by_arrival.begin(), by_arrival.end(),
            [](auto* a, auto* b) { return a->reply->arrival < b->reply->arrival; });
  s.received = static_cast<std::uint32_t>(by_sequence.size());
  s.lost = s.sent - s.received;  // received counts distinct sent sequences: <= sent

  // Round-trip reordering: a packet is reordered when its number is below the
  // highest seen so far (RFC 4737 §4.1.1, NextExp).
  std::int64_t next_expected = 0;
  for (const auto* p : by_arrival) {
    if (p->sequence < next_expected) {
      ++s.reordered;
    } else {
      next_expected = std::int64_t{p->sequence} + 1;
    }
  }

  bool any_renumbered = false;
  bool all_synchronized = !by_sequence.empty();
  for (const auto* p : by_sequence) {
    const ProbeReply& r = *p->reply;
    any_renumbered |= r.reflector_sequence != p->sequence;
    all_synchronized &= r.clocks_synchronized;
    if (r.reply_tos >= 0 && (r.reply_tos >> 2) != sent_dscp_) ++s.dscp_changed;
    auto widen = [](int& lo, int& hi, int v) {
      if (v < 0) return;
      lo = lo < 0 ? v : std::min(lo, v);
      hi = std::max(hi, v);
    };
    widen(s.ttl_at_reflector_min, s.ttl_at_reflector_max, r.ttl_at_reflector);
    widen(s.reply_ttl_min, s.reply_ttl_max, r.reply_ttl);
  }
  s.one_way_synchronized = all_synchronized;
  s.stateful_reflector = numbering == ReflectorNumbering::kStateful ||
                         (numbering == ReflectorNumbering::kAuto && any_renumbered);

  if (s.lost == 0) {  // nothing lost: nothing to attribute, whatever the reflector
    s.lost_forward = 0;
    s.lost_backward = 0;
  }
  if (s.stateful_reflector && !by_sequence.empty()) {
    // The reflector numbers from a base b: reply k carries b + (packets it got
    // before k). A fresh sender state starts at b = 0; a positive offset shows
    // numbering left over from earlier traffic, which we subtract.
    std::int64_t offset = INT64_MIN;
    std::int64_t highest = INT64_MIN;
    for (const auto* p : by_sequence) {
      const std::int64_t r = p->reply->reflector_sequence;
      offset = std::max(offset, r - std::int64_t{p->sequence});
      highest = std::max(highest, r);
    }
    const std::int64_t base = std::max<std::int64_t>(offset, 0);
    const std::int64_t reflected = std::clamp<std::int64_t>(highest - base + 1, s.received, s.sent);
    s.lost_forward = static_cast<std::uint32_t>(s.sent - reflected);
    s.lost_backward = static_cast<std::uint32_t>(reflected - s.received);

    // Forward reordering: in the reflector's arrival order, a sender number
    // below the highest seen so far.
    auto by_reflector = by_sequence;
    std::sort(by_reflector.begin(), by_reflector.end(), [](auto* a, auto* b) {
      return a->reply->reflector_sequence < b->reply->reflector_sequence;
    });
    std::uint32_t forward_reordered = 0;
    std::int64_t expected = 0;
    for (const auto* p : by_reflector) {
      if (p->sequence < expected) {
        ++forward_reordered;
      } else {
        expected = std::int64_t{p->sequence} + 1;
      }
    }
    s.reordered_forward = forward_reordered;
  }

  s.forward = Direction(by_sequence, by_arrival,
                        [](const PacketRecord& p) { return p.reply->Forward(p.t1); });
  s.backward =
      Direction(by_sequence, by_arrival, [](const PacketRecord& p) { return p.reply->Backward(); });
  s.round_trip = Direction(by_sequence, by_arrival,
                           [](const PacketRecord& p) { return p.reply->RoundTrip(p.t1); });
  return s;
}

}  // namespace lineup::measure
