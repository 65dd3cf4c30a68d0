#include "measure/wire.h"

#include <fmt/format.h>

#include <algorithm>

namespace lineup::measure {
namespace {

__extension__ typedef unsigned __int128 Uint128;

constexpr std::size_t kSequenceAt = 0;
constexpr std::size_t kTimestampAt = 4;
constexpr std::size_t kErrorEstimateAt = 12;
constexpr std::size_t kSsidAt = 14;
constexpr std::size_t kReceiveTimestampAt = 16;
constexpr std::size_t kSenderSequenceAt = 24;
constexpr std::size_t kSenderTimestampAt = 28;
constexpr std::size_t kSenderErrorEstimateAt = 36;
constexpr std::size_t kSenderTtlAt = 40;

void PutTimestamp(ByteSpan out, std::size_t at, NtpTimestamp ts) { PutU64(out, at, ts.Raw()); }
NtpTimestamp GetTimestamp(ConstByteSpan in, std::size_t at) {
  return NtpTimestamp::FromRaw(GetU64(in, at));
}

Result<std::size_t> CheckEncodeLength(std::size_t length, std::size_t minimum, std::size_t out_size,
                                      const char* what) {
  if (length < minimum || length > kMaxTestPacketLength) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("{} length {} is outside [{}, {}]", what,
                                                         length, minimum, kMaxTestPacketLength));
  }
  if (out_size < length) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("{} of {} bytes does not fit a {}-byte buffer", what, length, out_size));
  }
  return length;
}

}  // namespace

std::uint16_t ErrorEstimate::Pack() const {
  return static_cast<std::uint16_t>((synchronized ? 0x8000 : 0) | (ptp_format ? 0x4000 : 0) |
                                    ((scale & 0x3f) << 8) | multiplier);
}

ErrorEstimate ErrorEstimate::Unpack(std::uint16_t bits) {
  return {(bits & 0x8000) != 0, (bits & 0x4000) != 0, static_cast<std::uint8_t>((bits >> 8) & 0x3f),
          static_cast<std::uint8_t>(bits & 0xff)};
}

Nanos ErrorEstimate::Error() const {
  // multiplier * 2^scale * 1e9 / 2^32 ns, rounded up. scale <= 63 can overflow
  // 64 bits, so saturate: such estimates mean "unknown, very large".
  const Uint128 units = static_cast<Uint128>(multiplier) << scale;
  const Uint128 ns = (units * 1'000'000'000u + ((std::uint64_t{1} << 32) - 1)) >> 32;
  const auto cap = static_cast<Uint128>(INT64_MAX);
  return Nanos(static_cast<std::int64_t>(ns > cap ? cap : ns));
}

ErrorEstimate ErrorEstimate::FromError(Nanos error, bool synchronized) {
  const std::int64_t ns = std::max<std::int64_t>(error.count(), 0);
  // Error in 2^-32 s units, rounded up.
  const Uint128 units = ((static_cast<Uint128>(ns) << 32) + 999'999'999u) / 1'000'000'000u;
  for (std::uint8_t scale = 0; scale < 64; ++scale) {
    const Uint128 step = static_cast<Uint128>(1) << scale;
    const Uint128 mult = (units + step - 1) / step;
    if (mult <= 255) {
      return {synchronized, false, scale, static_cast<std::uint8_t>(std::max<int>(1, int(mult)))};
    }
  }
  return {synchronized, false, 63, 255};
}

WallTime DecodeTimestamp(NtpTimestamp field, bool ptp_format) {
  return ptp_format ? FromPtp({field.seconds, field.fraction}) : FromNtp(field);
}

NtpTimestamp EncodeTimestamp(WallTime t, bool ptp_format) {
  if (!ptp_format) return ToNtp(t);
  const PtpTimestamp p = ToPtp(t);
  return {p.seconds, p.nanoseconds};
}

Result<std::size_t> Encode(const SenderPacket& packet, ByteSpan out) {
  auto length = CheckEncodeLength(packet.length, kSenderHeaderLength, out.size(), "sender packet");
  if (!length) return length;
  if (packet.ssid != 0 && packet.length < kSsidAt + 2) {
    return Fail(ErrorCode::kInvalidArgument, "an SSID needs a sender packet of 16 bytes or more");
  }
  std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(packet.length), std::byte{0});
  PutU32(out, kSequenceAt, packet.sequence);
  PutTimestamp(out, kTimestampAt, packet.timestamp);
  PutU16(out, kErrorEstimateAt, packet.error_estimate.Pack());
  if (packet.length >= kSsidAt + 2) PutU16(out, kSsidAt, packet.ssid);
  return packet.length;
}

Result<SenderPacket> DecodeSenderPacket(ConstByteSpan in) {
  if (in.size() < kSenderHeaderLength) {
    return Fail(ErrorCode::kMalformed,
                fmt::format("sender packet of {} bytes is shorter than the {}-byte minimum",
                            in.size(), kSenderHeaderLength));
  }
  SenderPacket p;
  p.sequence = GetU32(in, kSequenceAt);
  p.timestamp = GetTimestamp(in, kTimestampAt);
  p.error_estimate = ErrorEstimate::Unpack(GetU16(in, kErrorEstimateAt));
  p.ssid = in.size() >= kSsidAt + 2 ? GetU16(in, kSsidAt) : 0;
  p.length = in.size();
  return p;
}

Result<std::size_t> Encode(const ReflectorPacket& packet, ByteSpan out) {
  auto length =
      CheckEncodeLength(packet.length, kReflectorHeaderLength, out.size(), "reflector packet");
  if (!length) return length;
  std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(packet.length), std::byte{0});
  PutU32(out, kSequenceAt, packet.sequence);
  PutTimestamp(out, kTimestampAt, packet.timestamp);
  PutU16(out, kErrorEstimateAt, packet.error_estimate.Pack());
  PutU16(out, kSsidAt, packet.ssid);
  PutTimestamp(out, kReceiveTimestampAt, packet.receive_timestamp);
  PutU32(out, kSenderSequenceAt, packet.sender_sequence);
  PutTimestamp(out, kSenderTimestampAt, packet.sender_timestamp);
  PutU16(out, kSenderErrorEstimateAt, packet.sender_error_estimate.Pack());
  PutU8(out, kSenderTtlAt, packet.sender_ttl);
  return packet.length;
}

Result<ReflectorPacket> DecodeReflectorPacket(ConstByteSpan in) {
  if (in.size() < kShortReflectorLength) {
    return Fail(ErrorCode::kMalformed,
                fmt::format("reflector packet of {} bytes is shorter than the {}-byte minimum",
                            in.size(), kShortReflectorLength));
  }
  ReflectorPacket p;
  p.sequence = GetU32(in, kSequenceAt);
  p.timestamp = GetTimestamp(in, kTimestampAt);
  p.error_estimate = ErrorEstimate::Unpack(GetU16(in, kErrorEstimateAt));
  p.ssid = GetU16(in, kSsidAt);
  p.receive_timestamp = GetTimestamp(in, kReceiveTimestampAt);
  p.sender_sequence = GetU32(in, kSenderSequenceAt);
  p.sender_timestamp = GetTimestamp(in, kSenderTimestampAt);
  p.sender_error_estimate = ErrorEstimate::Unpack(GetU16(in, kSenderErrorEstimateAt));
  p.length = in.size();
  p.sender_ttl = p.HasSenderTtl() ? GetU8(in, kSenderTtlAt) : 0;
  return p;
}

void PatchTimestamp(ByteSpan encoded, NtpTimestamp timestamp) {
  PutTimestamp(encoded, kTimestampAt, timestamp);
}

}  // namespace lineup::measure
