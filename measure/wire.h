// TWAMP-Test (RFC 5357 §4.1.2, §4.2.1, unauthenticated mode) and STAMP
// (RFC 8762 §4.2.1, §4.3.1, with the SSID of RFC 8972 §3) packet codecs.
//
// The two formats share one layout: a STAMP packet is a TWAMP-Test packet
// whose bytes 14-15 carry the Session-Sender Identifier and whose minimum
// length is 44 bytes. Pure functions over byte spans; no I/O, no clock.
//
// Authenticated and encrypted test packets (RFC 5357 §4.1.2 figures 3-4) move
// every field to 16-byte aligned offsets and add an HMAC; they arrive with
// TWAMP-Control and get codecs of their own beside these.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/ntp.h"
#include "base/result.h"

namespace lineup::measure {

// Error Estimate (RFC 4656 §4.1.2; Z bit from RFC 8762 §4.2.1):
//
//     0                   1
//     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |S|Z|   Scale   |   Multiplier  |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// S: the clock is synchronized to UTC. Z: the packet's timestamps are in
// PTPv2 truncated format instead of NTP. Error = Multiplier * 2^(Scale-32) s.
struct ErrorEstimate {
  bool synchronized = false;
  bool ptp_format = false;
  std::uint8_t scale = 0;       // 6 bits
  std::uint8_t multiplier = 1;  // must not be 0 on transmit

  std::uint16_t Pack() const;
  static ErrorEstimate Unpack(std::uint16_t bits);
  // The error the estimate states, rounded up to whole nanoseconds.
  Nanos Error() const;
  // The smallest estimate whose Error() is at least `error` (saturating at the
  // largest representable value; a zero error is stated as 1 * 2^-32 s).
  static ErrorEstimate FromError(Nanos error, bool synchronized);

  bool operator==(const ErrorEstimate&) const = default;
};

// A timestamp field exactly as carried (NTP, or PTP when Z is set).
WallTime DecodeTimestamp(NtpTimestamp field, bool ptp_format);
NtpTimestamp EncodeTimestamp(WallTime t, bool ptp_format);

inline constexpr std::size_t kSenderHeaderLength = 14;     // RFC 5357 §4.1.2
inline constexpr std::size_t kReflectorHeaderLength = 41;  // RFC 5357 §4.2.1
inline constexpr std::size_t kStampMinLength = 44;         // RFC 8762 §4.2.1
// A reflector header cut after the Sender Error Estimate (no MBZ, no Sender
// TTL), as some responders send it: accepted on receipt, never sent.
inline constexpr std::size_t kShortReflectorLength = 38;
// The largest UDP payload over IPv4 (65535 - 20 - 8).
inline constexpr std::size_t kMaxTestPacketLength = 65507;

// Session-Sender test packet, unauthenticated:
//
//     0                   1                   2                   3
//     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  0 |                        Sequence Number                        |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  4 |                          Timestamp                            |
//  8 |                                                               |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// 12 |        Error Estimate         |  SSID (STAMP) / Padding ...   |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// 16 .         MBZ (STAMP, to byte 44) / Packet Padding              .
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// We always send zero padding, so a packet with SSID 0 is at once a valid
// TWAMP-Test and a valid STAMP packet.
struct SenderPacket {
  std::uint32_t sequence = 0;
  NtpTimestamp timestamp;
  ErrorEstimate error_estimate;
  std::uint16_t ssid = 0;                // bytes 14-15; needs length >= 16 when non-zero
  std::size_t length = kStampMinLength;  // whole UDP payload
};

// Writes `packet.length` bytes into `out`. Fails when `out` is too small or
// the length is outside [14, 65507].
[[nodiscard]] Result<std::size_t> Encode(const SenderPacket& packet, ByteSpan out);
// Reads a sender packet; the SSID is read when the packet has bytes 14-15.
// Padding and MBZ are not checked (RFC 8762 §4.2.1: ignored on receipt).
[[nodiscard]] Result<SenderPacket> DecodeSenderPacket(ConstByteSpan in);

// Session-Reflector test packet, unauthenticated:
//
//     0                   1                   2                   3
//     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  0 |                        Sequence Number                        |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  4 |                          Timestamp                            |
//  8 |                                                               |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// 12 |        Error Estimate         |       MBZ / SSID (STAMP)      |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// 16 |                       Receive Timestamp                       |
// 20 |                                                               |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// 24 |                    Sender Sequence Number                     |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// 28 |                       Sender Timestamp                        |
// 32 |                                                               |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// 36 |     Sender Error Estimate     |              MBZ              |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// 40 |  Sender TTL   |  MBZ (STAMP, to byte 44) / Packet Padding ... |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct ReflectorPacket {
  std::uint32_t sequence = 0;
  NtpTimestamp timestamp;  // T3, when the reply left the reflector
  ErrorEstimate error_estimate;
  std::uint16_t ssid = 0;          // 0 (MBZ) in TWAMP
  NtpTimestamp receive_timestamp;  // T2
  std::uint32_t sender_sequence = 0;
  NtpTimestamp sender_timestamp;  // T1
  ErrorEstimate sender_error_estimate;
  std::uint8_t sender_ttl = 0;  // TTL / Hop Limit of the received sender packet
  std::size_t length = kStampMinLength;

  // False for a short reply (kShortReflectorLength to 40 octets): no Sender TTL.
  bool HasSenderTtl() const { return length >= kReflectorHeaderLength; }
};

// Writes at least the 41-octet header (a short one is never sent).
[[nodiscard]] Result<std::size_t> Encode(const ReflectorPacket& packet, ByteSpan out);
// Reads 38 octets or more; sender_ttl is 0 when the reply is short.
[[nodiscard]] Result<ReflectorPacket> DecodeReflectorPacket(ConstByteSpan in);

// Overwrites the Timestamp field (bytes 4-11) of an encoded reflector packet:
// T3 is taken as late as possible, after the rest of the reply is built.
void PatchTimestamp(ByteSpan encoded, NtpTimestamp timestamp);

}  // namespace lineup::measure
