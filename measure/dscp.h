// Named DSCP code points (RFC 2474, RFC 2597, RFC 3246, RFC 5865, RFC 8622).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace lineup::measure {

struct DscpName {
  std::string_view name;
  std::uint8_t value;
};

// Every named code point, in ascending value order.
std::span<const DscpName> DscpNames();

// A number 0-63, or a name such as "ef", "af41", "cs6", "be", "va", "le"
// (case-insensitive).
[[nodiscard]] Result<std::uint8_t> ParseDscp(std::string_view text);

// The name of a value, or its number when it has none.
std::string DscpToString(std::uint8_t value);

}  // namespace lineup::measure
