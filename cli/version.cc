#include "cli/commands.h"

namespace lineup::cli {

const char* Version() { return LINEUP_VERSION; }

}  // namespace lineup::cli
