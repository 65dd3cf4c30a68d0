// Headless Chromium driven over the DevTools protocol (a WebSocket, Boost.Beast)
// for browser tests: load a page, run JavaScript in it, wait for what it
// shows, take screenshots, and collect the console's errors. Loopback only:
// Chromium starts with the flags that keep it off the network.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lineup::testing {

class Browser {
 public:
  // Starts Chromium with a fresh profile in `profile_dir` and connects to its
  // one page; check ok() (and error()) before use.
  explicit Browser(const std::string& profile_dir, int width = 1300, int height = 900);
  ~Browser();
  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // Loads `url` and waits for the document to be complete.
  bool Navigate(const std::string& url);
  // Evaluates an expression in the page (promises awaited); its JSON value,
  // or null with error() set when it threw.
  nlohmann::json Eval(const std::string& expression);
  // Evaluates `condition` every 100 ms until it is truthy, up to `timeout_ms`.
  bool WaitFor(const std::string& condition, int timeout_ms = 15'000);
  // The page as a PNG (the whole page, not only the window); false on failure.
  bool Screenshot(const std::string& path);
  // Console errors, uncaught exceptions and failed loads seen so far.
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  nlohmann::json Call(const std::string& method, const nlohmann::json& params);
  void Note(const nlohmann::json& event);

  struct Connection;
  std::unique_ptr<Connection> connection_;
  std::string error_;
  std::vector<std::string> problems_;
  int next_id_ = 1;
};

// JavaScript string literal of `text` (for building expressions).
std::string JsString(const std::string& text);

}  // namespace lineup::testing
