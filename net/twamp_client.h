// The Control-Client and Session-Sender (the Initiator) on real sockets:
// connects to a TWAMP server, negotiates the mode, requests test sessions,
// starts them, runs the Session-Senders (SenderRunner), stops them with the
// exact count, and repeats that for as many tests as asked, on one control
// connection.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <optional>
#include <string>

#include "measure/control_session.h"
#include "net/sender_runner.h"
#include "net/twamp_server.h"

namespace lineup::measure {

struct TwampTestOptions {
  TcpEndpoint server;
  control::ClientOptions control;
  // Every session's parameters; destination and source are filled in from
  // the control connection and the server's Accept-Session.
  SessionConfig session;
  // Pad the sender packets (instead of session.padding) so that they are as
  // long as the replies in the mode the server accepts: 44 octets both ways
  // unauthenticated, 112 in authenticated and encrypted test sessions (what
  // twping does by default; otherwise 78 out and 112 back).
  bool symmetric_padding = false;
  std::uint32_t sessions = 1;        // per test, run at once
  std::uint32_t tests = 1;           // tests on the same control connection
  Nanos test_interval{0};            // between the starts of consecutive tests
  std::uint16_t reflector_port = 0;  // asked for; 0 lets the server choose
  // The sessions' Start Time: this long after each test's requests (the
  // senders wait for it after Start-Ack).
  Nanos start_delay{0};
  Nanos connect_timeout = std::chrono::seconds(10);
  Nanos reply_timeout = std::chrono::seconds(10);  // for each control answer
  // Called after each Start-Ack, when the test's sessions begin.
  std::function<void()> on_started;
};

struct TwampTestResult {
  std::uint32_t mode = 0;
  TcpEndpoint local;                              // the control connection's
  std::vector<std::vector<SessionResult>> tests;  // per test, per session
  std::vector<std::uint16_t> ports;               // the test ports the server gave, in order
  // Set when the server closed the control connection during a test: why
  // the last test's results are partial (and no later test ran).
  std::optional<std::string> closed_mid_test;
};

using TwampTestDone = std::function<void(Result<TwampTestResult>)>;

// Runs on `io`; `done` is called once on its thread.
void RunTwampTest(boost::asio::io_context& io, const Clock& clock, TwampTestOptions options,
                  TwampTestDone done);

}  // namespace lineup::measure
