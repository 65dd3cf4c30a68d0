// When sender sessions run: every fixed interval, or at cron-style times.
// Pure functions over wall time (UTC); the daemon's scheduler asks Next().
//
// Cron: five fields, minute hour day-of-month month day-of-week, each `*`,
// a number, a range `a-b`, a step `*/n` or `a-b/n`, or a comma list of
// those; day-of-week 0-7 with 0 and 7 both Sunday. As in cron, when both
// day fields are restricted a day matching either runs.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace lineup::daemon {

class CronSpec {
 public:
  [[nodiscard]] static Result<CronSpec> Parse(std::string_view text);
  // The first whole minute strictly after `after` that matches (UTC), within
  // the next five years; nullopt when none does (e.g. 31 February).
  std::optional<WallTime> Next(WallTime after) const;
  const std::string& text() const { return text_; }
  bool operator==(const CronSpec&) const = default;

 private:
  bool DayMatches(int day, int month, int weekday) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1-31
  std::bitset<13> months_;   // 1-12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool any_day_ = true, any_weekday_ = true;
};

struct Schedule {
  Nanos every{0};            // 0: not periodic
  std::vector<CronSpec> at;  // cron times (used when `every` is 0)
  bool Empty() const { return every == Nanos(0) && at.empty(); }
  // The next run strictly after `last` (periodic: last + every).
  std::optional<WallTime> Next(WallTime last) const;
  std::string Describe() const;
  bool operator==(const Schedule&) const = default;
};

}  // namespace lineup::daemon
