#include "measure/time_text.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <string>

namespace lineup {

Result<Nanos> ParseDuration(std::string_view text) {
  const std::string s(text);
  char* end = nullptr;
  const double value = std::strtod(s.c_str(), &end);
  const std::string_view unit(end);
  double scale = 0;
  if (unit.empty() || unit == "s") {
    scale = 1e9;
  } else if (unit == "ms") {
    scale = 1e6;
  } else if (unit == "us") {
    scale = 1e3;
  } else if (unit == "ns") {
    scale = 1;
  } else if (unit == "m" || unit == "min") {
    scale = 60e9;
  } else if (unit == "h") {
    scale = 3600e9;
  } else if (unit == "d") {
    scale = 86400e9;
  }
  if (end == s.c_str() || scale == 0 || !std::isfinite(value) || value < 0 ||
      value * scale > 9.2e18) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a duration: use a number with ns, us, ms, s, m, h or d "
                            "(e.g. 100ms, 1.5s)",
                            text));
  }
  return Nanos(static_cast<std::int64_t>(std::llround(value * scale)));
}

std::string FormatDuration(Nanos d) {
  const std::int64_t ns = d.count();
  struct Unit {
    std::int64_t scale;
    const char* name;
  };
  for (const Unit u : {Unit{86'400'000'000'000, "d"}, Unit{3'600'000'000'000, "h"},
                       Unit{60'000'000'000, "m"}, Unit{1'000'000'000, "s"}, Unit{1'000'000, "ms"},
                       Unit{1'000, "us"}}) {
    if (ns != 0 && ns % u.scale == 0) return fmt::format("{}{}", ns / u.scale, u.name);
  }
  return fmt::format("{}ns", ns);
}

Result<WallTime> ParseTime(std::string_view text, WallTime now) {
  if (!text.empty() && text.front() == '-') {
    auto ago = ParseDuration(text.substr(1));
    if (!ago) return tl::unexpected(ago.error());
    return now - *ago;
  }
  const std::string s(text);
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) {
    return FromUnixNanos(std::stoll(s));
  }
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0;
  double second = 0;
  char zone = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%c", &year, &month, &day, &hour, &minute,
                  &second, &zone) == 7 &&
      zone == 'Z' && month >= 1 && month <= 12 && day >= 1 && day <= 31 && second < 61) {
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    const auto whole = static_cast<std::int64_t>(timegm(&tm));
    return FromUnixNanos(whole * 1'000'000'000 + std::llround(second * 1e9));
  }
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("'{}' is not a time: use 2026-11-24T09:00:00Z (UTC), -10m (ago), or "
                          "nanoseconds since 1970",
                          text));
}

std::string FormatTime(WallTime t) {
  const std::int64_t ns = ToUnixNanos(t);
  std::int64_t sec = ns / 1'000'000'000;
  std::int64_t frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --sec;
  }
  const auto whole = static_cast<std::time_t>(sec);
  std::tm tm{};
  gmtime_r(&whole, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

std::string Millis(Nanos d) { return fmt::format("{:.3f}", double(d.count()) / 1e6); }

}  // namespace lineup
