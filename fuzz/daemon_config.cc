// Text as the daemon's configuration file (lineup run -c): YAML, then every
// section's validation. Seeds: the configuration files in the repository.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)lineup::daemon::ParseDaemonConfig(text, "fuzz.yaml");
  return 0;
}
