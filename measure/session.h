// The Session-Sender protocol core: what a test session sends and when, and
// what it makes of the replies. No sockets and no clock: the adapter passes
// T1 when it sends and T4 (kernel receive time) when a reply arrives.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/result.h"
#include "measure/endpoint.h"
#include "measure/metrics.h"
#include "measure/test_security.h"
#include "measure/wire.h"

namespace lineup::measure {

enum class IntervalKind {
  kPeriodic,  // every `interval`
  kPoisson,   // exponential gaps with mean `interval` (RFC 2330 §11.1.1)
};

struct SessionConfig {
  std::string name;  // shown in reports; defaults to the destination
  UdpEndpoint destination;
  std::optional<UdpEndpoint> source;  // address and/or port to bind; any when unset
  std::string device;                 // send through this interface or VRF only (SO_BINDTODEVICE)
  std::uint32_t count = 10;
  Nanos interval = std::chrono::milliseconds(100);
  IntervalKind interval_kind = IntervalKind::kPeriodic;
  // Octets after the 14-byte sender header. 30 makes the 44-byte packet that
  // is valid STAMP and lets a TWAMP reflector answer with the same size.
  std::uint32_t padding = 30;
  std::uint8_t dscp = 0;
  std::uint8_t ecn = 0;
  std::uint8_t ttl = 255;  // RFC 4656 §4.1.2: senders use 255 so hops can be counted
  bool dont_fragment = false;
  // How long the run waits after the last send; also the loss threshold of
  // the log: a reply later than this after its probe is logged as a lost
  // sample (store::SampleEvent), as twping -L counts it.
  Nanos wait = std::chrono::seconds(2);
  std::uint16_t ssid = 0;  // STAMP Session-Sender Identifier
  ReflectorNumbering reflector = ReflectorNumbering::kAuto;
  std::uint64_t seed = 1;  // for Poisson gaps
  // Stated in every packet's Error Estimate.
  ErrorEstimate error_estimate;
  // A full-TWAMP session, negotiated over TWAMP-Control: its reflector
  // answers with at least the reflector header whatever the probe's size, so
  // any padding will do (TWAMP Light and STAMP reflectors do not amplify).
  bool negotiated = false;
  // A full-TWAMP session in authenticated or encrypted mode (set by the
  // Control-Client): probes and replies use the secure layouts.
  std::shared_ptr<TestCipher> security;

  std::size_t HeaderLength() const {
    return security ? kSecureSenderHeaderLength : kSenderHeaderLength;
  }
  // Equal parameters (a cipher compares by identity).
  bool operator==(const SessionConfig&) const = default;
  std::size_t PacketLength() const { return HeaderLength() + padding; }
  std::string DisplayName() const;
};

// Checks every parameter, naming the one that is wrong and its valid range.
[[nodiscard]] Result<void> Validate(const SessionConfig& config);

class SenderSession {
 public:
  // `config` must have passed Validate.
  explicit SenderSession(SessionConfig config);

  const SessionConfig& config() const { return config_; }
  bool AllSent() const { return next_sequence_ >= config_.count; }
  std::uint32_t next_sequence() const { return next_sequence_; }

  // Encodes the next probe, stamped with T1, into `out` (at least
  // PacketLength() bytes) and returns its length.
  std::size_t BuildProbe(WallTime t1, ByteSpan out);

  // The gap before the next probe (periodic, or a Poisson draw).
  Nanos NextGap();

  // Feeds a received datagram with T4 and the reply's TTL/TOS (-1 unknown).
  // Malformed replies are counted and ignored.
  RunRecorder::Verdict OnDatagram(ConstByteSpan datagram, WallTime t4, int ttl, int tos);
  // The sender sequence number of the last well-formed reply fed.
  std::uint32_t last_reply_sequence() const { return last_reply_sequence_; }

  // No more replies are taken after this; later ones count as late.
  void Close() { recorder_.Close(); }
  Summary Summarize() const { return WithDrops(recorder_.Summarize(config_.reflector)); }
  const RunRecorder& recorder() const { return recorder_; }
  std::uint32_t malformed() const { return malformed_; }
  std::uint32_t auth_failed() const { return auth_failed_; }

 private:
  Summary WithDrops(Summary s) const;

  SessionConfig config_;
  RunRecorder recorder_;
  std::uint32_t next_sequence_ = 0;
  std::uint32_t last_reply_sequence_ = 0;
  std::uint32_t malformed_ = 0;
  std::uint32_t short_replies_ = 0;
  std::uint32_t auth_failed_ = 0;
  std::mt19937_64 rng_;
};

// What one run of a session produced: its configuration, where it sent from,
// its summary and every packet's record. Plain data, made by the socket layer
// (net/sender_runner.h) and by the simulator, logged by store/measurements.h.
struct SessionResult {
  SessionConfig config;
  UdpEndpoint local;  // the address and port the session sent from
  WallTime started;
  WallTime finished;
  Summary summary;
  std::vector<PacketRecord> packets;
  std::uint32_t send_errors = 0;
  std::uint32_t icmp_errors = 0;  // e.g. port unreachable: no reflector listening
  std::optional<Error> error;     // set when the session could not run at all
};

}  // namespace lineup::measure
