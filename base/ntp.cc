#include "base/ntp.h"

namespace lineup {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kEraSeconds = std::int64_t{1} << 32;

// Splits a nanosecond count into whole seconds and the remainder in [0, 1e9).
void SplitNanos(std::int64_t ns, std::int64_t& sec, std::int64_t& rem) {
  sec = ns / kNanosPerSecond;
  rem = ns % kNanosPerSecond;
  if (rem < 0) {
    rem += kNanosPerSecond;
    --sec;
  }
}

}  // namespace

NtpTimestamp ToNtp(WallTime t) {
  std::int64_t sec = 0;
  std::int64_t rem = 0;
  SplitNanos(ToUnixNanos(t), sec, rem);
  // fraction = round(rem * 2^32 / 1e9); rem < 1e9 so the product fits in 63 bits.
  std::uint64_t frac = ((static_cast<std::uint64_t>(rem) << 32) + kNanosPerSecond / 2) /
                       static_cast<std::uint64_t>(kNanosPerSecond);
  std::int64_t ntp_sec = sec + kNtpUnixOffsetSeconds;
  if (frac == (std::uint64_t{1} << 32)) {  // rounded up into the next second
    frac = 0;
    ++ntp_sec;
  }
  return {static_cast<std::uint32_t>(ntp_sec & 0xffffffff), static_cast<std::uint32_t>(frac)};
}

WallTime FromNtp(NtpTimestamp ntp) {
  std::int64_t ntp_sec = ntp.seconds;
  if (ntp.seconds < 0x80000000u) ntp_sec += kEraSeconds;  // era 1 (after 2036-02-07)
  const std::int64_t unix_sec = ntp_sec - kNtpUnixOffsetSeconds;
  const std::uint64_t nanos =
      (std::uint64_t{ntp.fraction} * kNanosPerSecond + (std::uint64_t{1} << 31)) >> 32;
  return FromUnixNanos(unix_sec * kNanosPerSecond + static_cast<std::int64_t>(nanos));
}

NtpShort ToNtpShort(Nanos d) {
  std::int64_t sec = 0;
  std::int64_t rem = 0;
  SplitNanos(d.count(), sec, rem);
  std::uint64_t frac = ((static_cast<std::uint64_t>(rem) << 16) + kNanosPerSecond / 2) /
                       static_cast<std::uint64_t>(kNanosPerSecond);
  if (frac == (1u << 16)) {
    frac = 0;
    ++sec;
  }
  return {static_cast<std::uint16_t>(sec & 0xffff), static_cast<std::uint16_t>(frac)};
}

Nanos FromNtpShort(NtpShort s) {
  const std::uint64_t nanos = (std::uint64_t{s.fraction} * kNanosPerSecond + (1u << 15)) >> 16;
  return Nanos(std::int64_t{s.seconds} * kNanosPerSecond + static_cast<std::int64_t>(nanos));
}

PtpTimestamp ToPtp(WallTime t) {
  std::int64_t sec = 0;
  std::int64_t rem = 0;
  SplitNanos(ToUnixNanos(t), sec, rem);
  return {static_cast<std::uint32_t>(sec & 0xffffffff), static_cast<std::uint32_t>(rem)};
}

WallTime FromPtp(PtpTimestamp ptp) {
  return FromUnixNanos(std::int64_t{ptp.seconds} * kNanosPerSecond + ptp.nanoseconds);
}

}  // namespace lineup
