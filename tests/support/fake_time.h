// Drives an Asio event loop on a FakeClock: time moves only when the test
// moves it, timers fire in time order, and real loopback sockets deliver
// whatever they carry at the fake time it arrives. A run of minutes of
// protocol time then takes milliseconds and never depends on how busy the
// machine is.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <thread>

#include "base/clock.h"

namespace lineup::testing {

// Runs what is ready now, including what loopback sockets deliver while it
// runs, until the loop has been quiet for a moment.
inline void Settle(boost::asio::io_context& io) {
  for (int quiet = 0; quiet < 3;) {
    io.restart();
    if (io.poll() > 0) {
      quiet = 0;
    } else {
      ++quiet;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
}

// Moves `clock` forward by `d`: each timer due on the way fires in time
// order, and the loop runs what it woke before the next one fires.
inline void RunFor(FakeClock& clock, boost::asio::io_context& io, Nanos d) {
  const MonoTime until = clock.Monotonic() + d;
  Settle(io);
  for (auto next = clock.NextDue(); next && *next <= until; next = clock.NextDue()) {
    clock.FireNext();
    Settle(io);
  }
  clock.AdvanceTo(until);
  Settle(io);
}

// Runs until `done()` holds or `limit` of fake time has passed; returns done().
template <typename Done>
bool RunUntil(FakeClock& clock, boost::asio::io_context& io, Done done, Nanos limit) {
  const MonoTime until = clock.Monotonic() + limit;
  Settle(io);
  while (!done()) {
    const auto next = clock.NextDue();
    if (!next || *next > until) break;
    clock.FireNext();
    Settle(io);
  }
  return done();
}

}  // namespace lineup::testing
