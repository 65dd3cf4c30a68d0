// The Session-Reflector protocol core for TWAMP Light (RFC 5357 Appendix I)
// and STAMP (RFC 8762): takes a received datagram with its metadata and builds
// the reply. No sockets and no clock: the caller passes T2 (kernel receive
// time) and stamps T3 with PatchTimestamp just before the send. One instance
// per listening socket; not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "measure/endpoint.h"
#include "measure/test_security.h"
#include "measure/wire.h"

namespace lineup::measure {

enum class ReflectorFormat {
  kStamp,       // bytes 14-15 of the reply echo the sender's SSID (RFC 8972);
                // a request under 44 octets is answered as TWAMP Light
  kTwampLight,  // bytes 14-15 are MBZ (RFC 5357)
};

struct ReflectorConfig {
  ReflectorFormat format = ReflectorFormat::kStamp;
  // Stateful: the reflector numbers its replies per sender (so the sender can
  // tell forward from backward loss). Stateless: it echoes the sender's number.
  bool stateful = true;
  // DSCP of replies: nullopt copies the received DSCP (RFC 7750 style).
  std::optional<std::uint8_t> reply_dscp;
  // Senders outside every prefix are dropped; empty allows every sender.
  std::vector<Prefix> allow;
  // Without this a reply is never longer than the request (no amplification),
  // so requests shorter than the 41-byte reflector header are dropped.
  bool allow_larger_reply = false;
  // A sender not heard from for this long is forgotten (its numbering restarts).
  Nanos sender_idle_timeout = std::chrono::seconds(60);
  // Per-sender state is bounded; senders past the limit are still reflected
  // (stateless numbering) and counted.
  std::size_t max_senders = 65536;
  // Replies per second to one sender (stateful numbering), in bursts of up to
  // a tenth of a second's worth; more are dropped as rate_limited. Two
  // reflectors of different owners pointed at each other otherwise
  // ping-pong as fast as they can (57k packets/s each once). 0: no limit.
  double max_replies_per_sender = 10000;
  // Stated in every reply's Error Estimate (our clock's sync state and error).
  ErrorEstimate error_estimate;
  // Listen through this interface or VRF only (SO_BINDTODEVICE); empty: any.
  std::string device;
  // A full-TWAMP test session in authenticated or encrypted mode: requests
  // and replies use the secure layouts, sealed with the session's cipher.
  // Replies are then at least the 112-byte secure reflector header.
  std::shared_ptr<TestCipher> security;
  // Sources never answered: the addresses and ports our own reflectors listen
  // on. A datagram "from" one of them is spoofed to start a loop (a reflector
  // answering itself) or is another reflector's reply (two reflectors
  // answering each other); either way answering it feeds a loop.
  std::vector<UdpEndpoint> never_answer;
  // A negotiated test session (RFC 5357 §3.5): answer this one sender only,
  // its address and port (port 0: any port of the address), and keep state
  // for it alone. Datagrams from anyone else are dropped as not_negotiated.
  std::optional<UdpEndpoint> only_sender;
};

[[nodiscard]] Result<void> Validate(const ReflectorConfig& config);

enum class DropReason : std::uint8_t {
  kNotAllowed,     // source outside the allow-list
  kTooShort,       // shorter than the sender header (14 octets; 48 when secure)
  kNoAmplify,      // a symmetric reply would be shorter than the reflector header
  kTooLong,        // longer than the receive buffer (kMaxDatagram)
  kSendFailed,     // the kernel refused the reply
  kAuthFailed,     // a secure session's packet whose HMAC does not match
  kOwnAddress,     // "from" one of our own reflectors: a spoofed loop or another reflector's reply
  kNotNegotiated,  // a negotiated session's datagram from another address or port than agreed
  kRateLimited,    // over max_replies_per_sender
  kCount,
};
const char* ToString(DropReason reason);

struct ReflectorCounters {
  std::uint64_t received = 0;
  std::uint64_t reflected = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(DropReason::kCount)> dropped{};
  std::uint64_t senders_over_limit = 0;  // replies numbered statelessly for lack of room
  // STAMP reflector only: requests under 44 octets answered as TWAMP Light.
  std::uint64_t twamp_light_by_length = 0;

  std::uint64_t Dropped(DropReason r) const { return dropped[static_cast<std::size_t>(r)]; }
  std::uint64_t DroppedTotal() const;
};

struct SenderKey {
  UdpEndpoint peer;
  std::uint16_t ssid = 0;
  bool operator==(const SenderKey&) const = default;
};
// Keyed (SipHash-2-4 under the process's key, base/keyed_hash.h): senders
// choose their address, port and SSID, so a fixed hash could be flooded
// with keys that share one bucket.
struct SenderKeyHash {
  std::size_t operator()(const SenderKey& key) const;
};

struct SenderState {
  std::uint32_t next_sequence = 0;
  std::uint64_t received = 0;
  std::uint64_t reflected = 0;
  WallTime first_seen;
  WallTime last_seen;
  double tokens = 0;  // replies it may still get now (max_replies_per_sender)
};

// What the socket layer knows about one received datagram.
struct ReceivedMeta {
  UdpEndpoint peer;
  WallTime receive_time;   // T2: the kernel's receive timestamp
  int ttl = -1;            // received TTL / Hop Limit; -1 when unknown
  int tos = -1;            // received TOS / Traffic Class byte; -1 when unknown
  bool truncated = false;  // the datagram did not fit the receive buffer
};

struct ReplyPlan {
  std::size_t length = 0;
  std::uint8_t tos = 0;  // TOS / Traffic Class byte for the reply (DSCP << 2)
};

class ReflectorCore {
 public:
  explicit ReflectorCore(ReflectorConfig config);

  // Builds the reply to `request` in `reply` (which must hold at least
  // max(request.size(), 112) bytes) with the Timestamp field left zero, or
  // returns nullopt when the request is dropped (and counted). The reply is
  // ready to send once Stamp has put T3 in.
  std::optional<ReplyPlan> Reflect(ConstByteSpan request, const ReceivedMeta& meta, ByteSpan reply);
  // Writes T3 into a reply built by Reflect (and seals a secure one).
  void Stamp(ByteSpan reply, NtpTimestamp t3);

  // Counts a reply the kernel refused after Reflect built it.
  void CountSendFailure();

  // Adds to the sources never answered (the socket layer knows its own
  // endpoints only once it has bound them).
  void NeverAnswer(const std::vector<UdpEndpoint>& endpoints);

  // Forgets senders idle since before `now - sender_idle_timeout`.
  void ForgetIdleSenders(WallTime now);

  const ReflectorCounters& counters() const { return counters_; }
  const std::unordered_map<SenderKey, SenderState, SenderKeyHash>& senders() const {
    return senders_;
  }
  const ReflectorConfig& config() const { return config_; }

 private:
  bool Allowed(const IpAddress& address) const;
  bool IsTheNegotiatedSender(const UdpEndpoint& peer) const;
  void Drop(DropReason reason);

  ReflectorConfig config_;
  std::set<UdpEndpoint> never_answer_;
  ReflectorCounters counters_;
  std::unordered_map<SenderKey, SenderState, SenderKeyHash> senders_;
};

}  // namespace lineup::measure
