#include "cli/args.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <string>

namespace lineup::cli {

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
  }
  if (end == s.c_str() || scale == 0 || !std::isfinite(value) || value < 0 ||
      value * scale > 9.2e18) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a duration: use a number with ns, us, ms, s, m or h "
                            "(e.g. 100ms, 1.5s)",
                            text));
  }
  return Nanos(static_cast<std::int64_t>(std::llround(value * scale)));
}

std::string Millis(Nanos d) { return fmt::format("{:.3f}", double(d.count()) / 1e6); }

}  // namespace lineup::cli
