// Parsing and printing of the values users type on the command line.
#pragma once

#include <string>
#include <string_view>

#include "measure/clock.h"
#include "measure/result.h"

namespace lineup::cli {

// "100ms", "1.5s", "250us", "2m", "1h", "500ns"; a bare number is seconds.
[[nodiscard]] Result<Nanos> ParseDuration(std::string_view text);

// Milliseconds with three decimals: "12.345".
std::string Millis(Nanos d);

}  // namespace lineup::cli
