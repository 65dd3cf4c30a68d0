#include "cli/log_access.h"

namespace lineup::cli {

Result<std::unique_ptr<store::EventLog>> OpenLogForReading(const std::string& dir) {
  store::RocksLogOptions options;
  options.mode = store::OpenMode::kFollower;
  return store::OpenRocksLog(dir, options);
}

}  // namespace lineup::cli
