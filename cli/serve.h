// The foreground loop of the long-running commands (reflect, twamp-server):
// run until SIGINT or SIGTERM, or for a set time, and print the status on
// SIGUSR1 and at a regular interval.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <optional>

#include "base/clock.h"

namespace lineup::cli {

// Runs `io` until SIGINT/SIGTERM or until `duration` has passed, calling
// `print` on every SIGUSR1 and every `every` (0: only on SIGUSR1).
void RunPrintingStatus(boost::asio::io_context& io, const Clock& clock, Nanos every,
                       std::optional<Nanos> duration, const std::function<void()>& print);

}  // namespace lineup::cli
