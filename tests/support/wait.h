// Polling for tests that watch a running daemon from outside: it runs on the
// real clock and threads of its own, so the test asks until `ready` holds.
// Where the code under test takes a Clock, advance a FakeClock instead
// (tests/support/fake_time.h).
#pragma once

#include <chrono>
#include <thread>

namespace lineup::testing {

// Calls `ready` every `poll` until it returns true (then true) or `limit`
// has passed (then its last answer).
template <typename F>
bool WaitFor(F ready, std::chrono::nanoseconds limit = std::chrono::seconds(15),
             std::chrono::nanoseconds poll = std::chrono::milliseconds(20)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (ready()) return true;
    std::this_thread::sleep_for(poll);
  }
  return ready();
}

}  // namespace lineup::testing
