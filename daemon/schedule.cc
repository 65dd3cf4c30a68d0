#include "daemon/schedule.h"

#include <fmt/format.h>

#include <charconv>
#include <ctime>

namespace lineup::daemon {
namespace {

// One field into `bits` (indices min..max). Returns false on bad syntax.
template <std::size_t N>
Result<void> ParseField(std::string_view field, int min, int max, std::bitset<N>& bits,
                        const char* name) {
  auto bad = [&](std::string_view why) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("cron {} '{}': {}", name, field, why));
  };
  auto number = [&](std::string_view s, int& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
  };
  if (field.empty()) return bad("empty");
  std::size_t from = 0;
  while (from <= field.size()) {
    const std::size_t comma = std::min(field.find(',', from), field.size());
    std::string_view part = field.substr(from, comma - from);
    int step = 1;
    if (auto slash = part.find('/'); slash != std::string_view::npos) {
      if (!number(part.substr(slash + 1), step) || step < 1)
        return bad("the step after / must be a number >= 1");
      part = part.substr(0, slash);
    }
    int low = min, high = max;
    if (part != "*") {
      const auto dash = part.find('-');
      if (dash == std::string_view::npos) {
        if (!number(part, low)) return bad("expected *, a number, a range a-b or a step */n");
        high = step > 1 ? max : low;
      } else if (!number(part.substr(0, dash), low) || !number(part.substr(dash + 1), high)) {
        return bad("a range is two numbers, a-b");
      }
    }
    if (low < min || high > max || low > high)
      return bad(fmt::format("values must be {}-{}", min, max));
    for (int v = low; v <= high; v += step) bits.set(static_cast<std::size_t>(v));
    from = comma + 1;
  }
  return {};
}

}  // namespace

Result<CronSpec> CronSpec::Parse(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() && text[at] == ' ') ++at;
    const std::size_t end = std::min(text.find(' ', at), text.size());
    if (end > at) fields.push_back(text.substr(at, end - at));
    at = end;
  }
  if (fields.size() != 5) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("cron '{}': give five fields, minute hour day-of-month month day-of-week",
                    text));
  }
  CronSpec c;
  c.text_ = std::string(text);
  std::bitset<8> weekdays;
  for (auto r : {ParseField(fields[0], 0, 59, c.minutes_, "minute"),
                 ParseField(fields[1], 0, 23, c.hours_, "hour"),
                 ParseField(fields[2], 1, 31, c.days_, "day of month"),
                 ParseField(fields[3], 1, 12, c.months_, "month"),
                 ParseField(fields[4], 0, 7, weekdays, "day of week")}) {
    if (!r) return tl::unexpected(r.error());
  }
  for (std::size_t d = 0; d < 7; ++d) c.weekdays_[d] = weekdays[d];
  if (weekdays[7]) c.weekdays_[0] = true;
  c.any_day_ = fields[2] == "*";
  c.any_weekday_ = fields[4] == "*";
  return c;
}

// Month, day of month and day of week (cron's either-day rule).
bool CronSpec::DayMatches(int day, int month, int weekday) const {
  if (!months_[static_cast<std::size_t>(month)]) return false;
  const bool day_ok = days_[static_cast<std::size_t>(day)];
  const bool weekday_ok = weekdays_[static_cast<std::size_t>(weekday)];
  if (any_day_ && any_weekday_) return true;
  if (any_day_) return weekday_ok;
  if (any_weekday_) return day_ok;
  return day_ok || weekday_ok;
}

std::optional<WallTime> CronSpec::Next(WallTime after) const {
  using namespace std::chrono;
  auto t = floor<minutes>(after) + minutes(1);  // the next whole minute
  const auto limit = t + hours(24 * 366 * 5);
  while (t < limit) {
    const sys_days day = floor<days>(t);
    const year_month_day ymd{day};
    const int weekday = static_cast<int>(std::chrono::weekday{day}.c_encoding());
    const int month = static_cast<int>(static_cast<unsigned>(ymd.month()));
    const int dom = static_cast<int>(static_cast<unsigned>(ymd.day()));
    // Whole days that cannot match are skipped, then whole hours.
    if (!DayMatches(dom, month, weekday)) {
      t = day + days(1);
      continue;
    }
    const int hour = static_cast<int>(duration_cast<hours>(t - day).count());
    if (!hours_[static_cast<std::size_t>(hour)]) {
      t = day + hours(hour + 1);
      continue;
    }
    const int minute = static_cast<int>(duration_cast<minutes>(t - day).count() % 60);
    if (minutes_[static_cast<std::size_t>(minute)]) return WallTime(t);
    t += minutes(1);
  }
  return std::nullopt;
}

std::optional<WallTime> Schedule::Next(WallTime last) const {
  if (every > Nanos(0)) return last + every;
  std::optional<WallTime> best;
  for (const auto& c : at) {
    auto n = c.Next(last);
    if (n && (!best || *n < *best)) best = n;
  }
  return best;
}

std::string Schedule::Describe() const {
  if (every > Nanos(0))
    return fmt::format("every {}s", std::chrono::duration<double>(every).count());
  std::string out;
  for (const auto& c : at) out += (out.empty() ? "at " : ", ") + c.text();
  return out.empty() ? "on demand" : out;
}

}  // namespace lineup::daemon
