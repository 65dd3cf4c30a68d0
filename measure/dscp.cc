#include "measure/dscp.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace lineup::measure {
namespace {

constexpr std::array<DscpName, 23> kNames{{
    {"be", 0},    {"le", 1},    {"cs1", 8},   {"af11", 10}, {"af12", 12}, {"af13", 14},
    {"cs2", 16},  {"af21", 18}, {"af22", 20}, {"af23", 22}, {"cs3", 24},  {"af31", 26},
    {"af32", 28}, {"af33", 30}, {"cs4", 32},  {"af41", 34}, {"af42", 36}, {"af43", 38},
    {"cs5", 40},  {"va", 44},   {"ef", 46},   {"cs6", 48},  {"cs7", 56},
}};

}  // namespace

std::span<const DscpName> DscpNames() { return kNames; }

Result<std::uint8_t> ParseDscp(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "cs0") lower = "be";
  for (const auto& n : kNames) {
    if (n.name == lower) return n.value;
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) {
    if (value <= 63) return static_cast<std::uint8_t>(value);
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("DSCP {} is out of range 0-63 (the TOS byte is DSCP << 2)", value));
  }
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("'{}' is not a DSCP: use 0-63 or a name such as be, af11-af43, "
                          "cs1-cs7, ef, va, le",
                          text));
}

std::string DscpToString(std::uint8_t value) {
  for (const auto& n : kNames) {
    if (n.value == value) return fmt::format("{} ({})", value, n.name);
  }
  return std::to_string(value);
}

}  // namespace lineup::measure
