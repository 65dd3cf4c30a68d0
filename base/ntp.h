// NTP timestamps (RFC 5905 §6) as carried by OWAMP/TWAMP/STAMP, and the
// truncated PTPv2 format STAMP allows (RFC 8762 §4.2.1, Z bit set).
#pragma once

#include <compare>
#include <cstdint>

#include "base/clock.h"

namespace lineup {

// 64-bit NTP timestamp: seconds since 1900-01-01 and a 2^-32 s fraction.
struct NtpTimestamp {
  std::uint32_t seconds = 0;
  std::uint32_t fraction = 0;

  std::uint64_t Raw() const { return (std::uint64_t{seconds} << 32) | fraction; }
  static NtpTimestamp FromRaw(std::uint64_t raw) {
    return {static_cast<std::uint32_t>(raw >> 32), static_cast<std::uint32_t>(raw)};
  }
  auto operator<=>(const NtpTimestamp&) const = default;
};

// 32-bit NTP short format: 16-bit seconds, 16-bit fraction.
struct NtpShort {
  std::uint16_t seconds = 0;
  std::uint16_t fraction = 0;
  auto operator<=>(const NtpShort&) const = default;
};

// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch).
inline constexpr std::int64_t kNtpUnixOffsetSeconds = 2'208'988'800;

// Wall time to NTP, rounding to the nearest 2^-32 s. Times from 2036-02-07 on
// wrap into NTP era 1, as RFC 5905 and RFC 4330 §3 describe.
NtpTimestamp ToNtp(WallTime t);

// NTP to wall time, rounding to the nearest nanosecond. Seconds values below
// 2^31 are read as era 1 (2036..2104), so the next wrap is handled. A
// nanosecond value survives ToNtp -> FromNtp exactly, since one fraction unit
// (~0.233 ns) is finer than a nanosecond.
WallTime FromNtp(NtpTimestamp ntp);

// Durations in NTP short format (used for intervals and round-trip figures).
NtpShort ToNtpShort(Nanos d);
Nanos FromNtpShort(NtpShort s);

// PTPv2 truncated timestamp: seconds and nanoseconds since 1970 (TAI is
// treated as UTC: the leap-second offset is not applied).
struct PtpTimestamp {
  std::uint32_t seconds = 0;
  std::uint32_t nanoseconds = 0;
};
PtpTimestamp ToPtp(WallTime t);
WallTime FromPtp(PtpTimestamp ptp);

}  // namespace lineup
