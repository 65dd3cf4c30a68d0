// Per-packet records and per-run statistics of a test session: delay in each
// direction and round trip, jitter, loss per direction, duplicates and
// reordering. Pure: fed with timestamps, never reads a clock.
//
// Per packet with T1 (sender send), T2 (reflector receive), T3 (reflector
// send), T4 (sender receive), all in integer nanoseconds:
//   forward = T2 - T1, backward = T4 - T3, round trip = (T4 - T1) - (T3 - T2)
// so round trip == forward + backward exactly, for every packet.
#pragma once

#include <algorithm>
#include <cmath>

#include <cstdint>
#include <optional>
#include <vector>

#include "base/clock.h"

namespace lineup::measure {

// The 0-based index of the nearest-rank percentile (`fraction` in (0, 1]) of
// `n` sorted values, n > 0: the smallest value with at least that share of
// values at or below it. Every percentile in Lineup uses this definition.
inline std::size_t NearestRankIndex(std::size_t n, double fraction) {
  const double rank = std::ceil(fraction * double(n));
  return rank < 1 ? 0 : std::min(n, static_cast<std::size_t>(rank)) - 1;
}

struct ProbeReply {
  WallTime t2;
  WallTime t3;
  WallTime t4;
  std::uint32_t reflector_sequence = 0;
  int ttl_at_reflector = -1;  // the Sender TTL field
  int reply_ttl = -1;         // TTL / Hop Limit of the reply at the sender
  int reply_tos = -1;         // TOS / Traffic Class byte of the reply
  std::size_t length = 0;
  bool clocks_synchronized = false;  // both Error Estimates have S set
  std::size_t arrival = 0;           // order among this run's accepted replies

  Nanos Forward(WallTime t1) const { return t2 - t1; }
  Nanos Backward() const { return t4 - t3; }
  Nanos RoundTrip(WallTime t1) const { return (t4 - t1) - (t3 - t2); }
};

struct PacketRecord {
  std::uint32_t sequence = 0;
  WallTime t1;
  std::optional<ProbeReply> reply;  // the first copy that arrived
  std::uint32_t duplicates = 0;     // further copies
};

struct DelayStats {
  std::size_t count = 0;
  Nanos min{0}, max{0}, mean{0}, median{0}, p95{0}, p99{0}, stddev{0};
};

// Jitter as IP Packet Delay Variation between consecutive sequence numbers
// (RFC 3393, RFC 5481 §4.1) and as the RFC 3550 §6.4.1 smoothed estimate
// (J += (|D| - J) / 16 over consecutive arrivals).
struct JitterStats {
  std::size_t pairs = 0;
  Nanos mean_abs{0}, min{0}, max{0}, rfc3550{0};
};

// a - b for IPDV: nanoseconds saturate (a hostile peer's timestamps can be
// centuries apart); milliseconds as double cannot overflow.
Nanos SaturatingSub(Nanos a, Nanos b);
inline double SaturatingSub(double a, double b) { return a - b; }

// Lineup's one jitter: IPDV between consecutive sequence numbers both
// answered (RFC 5481 §4.1); "jitter" everywhere is the mean of its absolute
// value. A lost probe breaks the chain: the pair across a gap is not an IPDV.
// The probe summary, the analyzer, the report and the simulator all take
// their pairs from here. Feed probes in sequence order.
template <class Delay>
class IpdvChain {
 public:
  // The IPDV of `sequence` to its predecessor, when both were answered;
  // `delay` is empty for a lost probe.
  std::optional<Delay> Next(std::uint32_t sequence, std::optional<Delay> delay) {
    std::optional<Delay> ipdv;
    if (delay && previous_ && previous_sequence_ + 1 == sequence) {
      ipdv = SaturatingSub(*delay, *previous_);
    }
    previous_ = delay;
    previous_sequence_ = sequence;
    return ipdv;
  }
  // Forget the predecessor (a session restarted, a fault's samples dropped).
  void Reset() { previous_.reset(); }

 private:
  std::optional<Delay> previous_;
  std::uint32_t previous_sequence_ = 0;
};

struct DirectionStats {
  DelayStats delay;
  JitterStats jitter;
};

// How the reflector numbers its replies, which decides whether loss can be
// split by direction.
enum class ReflectorNumbering {
  kAuto,       // stateful if any reply's number differs from the sender's
  kStateful,   // the reflector counts what it received from us
  kStateless,  // the reflector echoes our number: only total loss is known
};

struct Summary {
  std::uint32_t sent = 0;
  std::uint32_t received = 0;  // distinct sequence numbers answered
  std::uint32_t lost = 0;      // sent - received, never negative
  // Split by direction when the reflector is stateful. Packets after the last
  // answered one cannot be told apart and count as forward loss.
  std::optional<std::uint32_t> lost_forward;
  std::optional<std::uint32_t> lost_backward;
  std::uint32_t duplicates = 0;
  std::uint32_t reordered = 0;                     // round trip, RFC 4737 §4.1.1 (arrival order)
  std::optional<std::uint32_t> reordered_forward;  // from the reflector's numbering
  std::uint32_t late = 0;                          // replies after the session closed
  std::uint32_t unexpected = 0;                    // replies for sequence numbers never sent
  std::uint32_t malformed = 0;                     // datagrams that are no reflector packet
  std::uint32_t short_replies = 0;  // 38-40 octet replies (no Sender TTL), counted as answers
  std::uint32_t dscp_changed = 0;   // replies whose DSCP differs from the one sent
  bool stateful_reflector = false;
  // One-way figures are meaningful only when both clocks say synchronized.
  bool one_way_synchronized = false;
  DirectionStats forward, backward, round_trip;
  int ttl_at_reflector_min = -1, ttl_at_reflector_max = -1;
  int reply_ttl_min = -1, reply_ttl_max = -1;

  double LossRatio() const { return sent == 0 ? 0.0 : double(lost) / double(sent); }
};

DelayStats ComputeDelayStats(std::vector<Nanos> values);

// Collects one run. Sequence numbers are dense from 0 in send order.
class RunRecorder {
 public:
  enum class Verdict { kAccepted, kDuplicate, kUnexpected, kLate };

  explicit RunRecorder(std::uint8_t sent_dscp = 0) : sent_dscp_(sent_dscp) {}

  void OnSent(std::uint32_t sequence, WallTime t1);
  Verdict OnReply(std::uint32_t sequence, ProbeReply reply);
  // After Close every reply counts as late and is not used.
  void Close() { closed_ = true; }

  Summary Summarize(ReflectorNumbering numbering) const;
  const std::vector<PacketRecord>& packets() const { return packets_; }
  std::size_t answered() const { return accepted_; }

 private:
  std::vector<PacketRecord> packets_;
  std::size_t accepted_ = 0;
  std::uint32_t duplicates_ = 0;
  std::uint32_t late_ = 0;
  std::uint32_t unexpected_ = 0;
  std::uint8_t sent_dscp_;
  bool closed_ = false;
};

}  // namespace lineup::measure
