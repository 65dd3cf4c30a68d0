#include "base/time_text.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

namespace lineup {

namespace {

// The length of a unit in nanoseconds, 0 for no unit we know.
double UnitScale(std::string_view unit) {
  if (unit == "s") return 1e9;
  if (unit == "ms") return 1e6;
  if (unit == "us") return 1e3;
  if (unit == "ns") return 1;
  if (unit == "m" || unit == "min") return 60e9;
  if (unit == "h") return 3600e9;
  if (unit == "d") return 86400e9;
  return 0;
}

}  // namespace

// A number with a unit, or several from the largest down ("1m30s",
// "2h15m"); a bare number is seconds.
Result<Nanos> ParseDuration(std::string_view text) {
  auto bad = [&]() {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a duration: use a number with ns, us, ms, s, m, h or d "
                            "(e.g. 100ms, 1.5s, 1m30s)",
                            text));
  };
  const std::string s(text);
  const char* p = s.c_str();
  double total = 0;
  double last_scale = 0;
  int terms = 0;
  while (*p != '\0') {
    if (*p == '-' || *p == '+' || std::isspace(static_cast<unsigned char>(*p))) return bad();
    char* end = nullptr;
    const double value = std::strtod(p, &end);
    if (end == p || !std::isfinite(value) || value < 0) return bad();
    const char* unit_end = end;
    while (std::isalpha(static_cast<unsigned char>(*unit_end))) ++unit_end;
    const std::string_view unit(end, static_cast<std::size_t>(unit_end - end));
    double scale = unit.empty() ? 1e9 : UnitScale(unit);
    // Units go from the largest down, each once; only the first term may be bare.
    if (scale == 0 || (unit.empty() && (terms > 0 || *unit_end != '\0')) ||
        (terms > 0 && scale >= last_scale)) {
      return bad();
    }
    total += value * scale;
    last_scale = scale;
    ++terms;
    p = unit_end;
  }
  if (terms == 0 || total > 9.2e18) return bad();
  return Nanos(static_cast<std::int64_t>(std::llround(total)));
}

bool HasNoUnit(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789.") == std::string_view::npos;
}

std::string FormatElapsed(Nanos d) {
  if (d < Nanos(0)) return "-" + FormatElapsed(-d);
  const std::int64_t ns = d.count();
  const std::int64_t minutes = ns / 60'000'000'000;
  std::string seconds = fmt::format("{:.3f}", double(ns % 60'000'000'000) / 1e9);
  while (seconds.back() == '0') seconds.pop_back();
  if (seconds.back() == '.') seconds.pop_back();
  if (minutes == 0) return seconds + "s";
  const std::string tail = seconds == "0" ? "" : seconds + "s";
  if (minutes < 60) return fmt::format("{}m{}", minutes, tail);
  return fmt::format("{}h{}m{}", minutes / 60, minutes % 60, tail);
}

std::string FormatDuration(Nanos d) {
  const std::int64_t ns = d.count();
  struct Unit {
    std::int64_t scale;
    const char* name;
  };
  for (const Unit u :
       {Unit{86'400'000'000'000, "d"}, Unit{3'600'000'000'000, "h"}, Unit{60'000'000'000, "m"},
        Unit{1'000'000'000, "s"}, Unit{1'000'000, "ms"}, Unit{1'000, "us"}}) {
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
  // With seconds, or without as a browser's datetime-local input writes a
  // whole minute ("2026-11-24T09:00Z").
  const bool with_seconds = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%c", &year, &month, &day,
                                        &hour, &minute, &second, &zone) == 7;
  const bool minutes_only = !with_seconds && std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d%c", &year,
                                                         &month, &day, &hour, &minute, &zone) == 6;
  if (minutes_only) second = 0;
  if ((with_seconds || minutes_only) && zone == 'Z' && month >= 1 && month <= 12 && day >= 1 &&
      day <= 31 && second < 61) {
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
