#include "cli/log_access.h"

#include <fmt/format.h>

#include <filesystem>

namespace lineup::cli {

Result<std::unique_ptr<store::EventLog>> OpenLogForReading(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(dir) / "CURRENT", ec)) {
    return lineup::Fail(
        ErrorCode::kNotFound,
        fmt::format("there is no event log in '{}': give the directory lineup writes its "
                    "log to (the default is lineup-data/log)",
                    dir));
  }
  store::RocksLogOptions options;
  options.mode = store::OpenMode::kFollower;
  return store::OpenRocksLog(dir, options);
}

}  // namespace lineup::cli
