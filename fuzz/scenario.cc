// Text as a simulator scenario (lineup sim): YAML, lines, timelines,
// expectations. Seeds: the scenarios in the repository.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sim/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)lineup::sim::ParseScenario(text, "fuzz.yaml");
  return 0;
}
