// Requests to the daemon's REST API through its router (daemon::Route), as
// they arrive after HTTP parsing: a method, a target, a body. One daemon,
// started once on a log in a temporary directory, takes every input, so
// changes build on each other as a client's would; every 256 inputs it goes
// back to its own configuration.
//
// Input: the first byte picks the method, then the target up to the first
// newline, then the body. Seeds: fuzz/corpus/api_request/.
//
// The daemon runs on a fake clock that never moves, so no session's schedule
// fires, and a request to run a session now is refused here: inputs never
// send probes anywhere. A configuration whose responders listen beyond
// loopback is refused here too (409), so inputs never open a port outside.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/api.h"
#include "daemon/config.h"

namespace lineup::daemon {
namespace {

bool OnLoopback(const DaemonConfig& config) {
  for (const auto& r : config.responders) {
    if (!measure::Unmapped(r.listen.address()).is_loopback()) return false;
  }
  return true;
}

// The daemon as the router sees it, minus what would reach the network.
class FuzzDaemon final : public Daemon {
 public:
  explicit FuzzDaemon(std::unique_ptr<Daemon> d) : d_(std::move(d)) {}
  std::vector<SessionView> Sessions() const override { return d_->Sessions(); }
  std::optional<SessionView> Session(const std::string& id) const override {
    return d_->Session(id);
  }
  std::vector<RunResult> History(const std::string& id) const override { return d_->History(id); }
  std::vector<ResponderView> Responders() const override { return d_->Responders(); }
  std::vector<std::pair<std::string, std::vector<analyzer::Verdict>>> Rankings() const override {
    return d_->Rankings();
  }
  std::vector<std::pair<std::string, autoflow::Assignment>> Paths() const override {
    return d_->Paths();
  }
  std::vector<analyzer::SessionState> LineSessions() const override { return d_->LineSessions(); }
  std::vector<autoflow::LineDampingState> Damping() const override { return d_->Damping(); }
  std::vector<std::pair<CollectorConfig, ExporterCounters>> Collectors() const override {
    return d_->Collectors();
  }
  Result<void> RunNow(const std::string&, std::function<void(const RunResult&)>) override {
    return Fail(ErrorCode::kUnavailable, "no runs while fuzzing");
  }
  Result<void> Reload(DaemonConfig config) override {
    if (!OnLoopback(config)) return Fail(ErrorCode::kInvalidArgument, "loopback only in fuzzing");
    return d_->Reload(std::move(config));
  }
  DaemonConfig config() const override { return d_->config(); }
  void Stop() override { d_->Stop(); }
  store::EventLog& log() override { return d_->log(); }
  const Clock& clock() const override { return d_->clock(); }
  std::string version() const override { return d_->version(); }

 private:
  std::unique_ptr<Daemon> d_;
};

constexpr std::string_view kConfig = R"(daemon:
  log_dir: LOG
  schedule: {every: 1h}
tunnels:
  a: {site: here, peer: hub, local: 127.0.0.1, remote: 127.0.0.2, probes: [voice]}
  b: {site: here, peer: hub, local: 127.0.0.1, remote: 127.0.0.3, probes: [voice]}
sessions:
  voice: {count: 5, interval: 20ms, port: 862, dscp: ef}
reflectors:
  - {name: far, listen: "127.0.0.1:0"}
)";

struct Harness {
  std::string dir;
  FakeClock clock{FromUnixNanos(1'795'000'000'000'000'000)};
  DaemonConfig config;
  std::unique_ptr<FuzzDaemon> daemon;
  Jobs jobs;
  std::size_t inputs = 0;

  Harness() {
    char made[] = "/tmp/lineup-fuzz-api-XXXXXX";
    if (::mkdtemp(made) == nullptr) std::abort();
    dir = made;
    std::string text(kConfig);
    text.replace(text.find("LOG"), 3, dir + "/log");
    auto parsed = ParseDaemonConfig(text, "fuzz.yaml");
    if (!parsed) std::abort();
    config = *parsed;
    auto started = Daemon::Start(config, clock);
    if (!started) std::abort();
    daemon = std::make_unique<FuzzDaemon>(std::move(*started));
  }
};

// Lives to the end; the fuzzer exits through exit(), which stops the daemon
// and removes its log.
Harness* g_harness = nullptr;

Harness& TheHarness() {
  if (g_harness == nullptr) {
    g_harness = new Harness();
    std::atexit([] {
      g_harness->daemon->Stop();
      std::error_code ignored;
      std::filesystem::remove_all(g_harness->dir, ignored);
    });
  }
  return *g_harness;
}

constexpr const char* kMethods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};

}  // namespace
}  // namespace lineup::daemon

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lineup::daemon;
  if (size == 0) return 0;
  Harness& h = TheHarness();
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  HttpRequest request;
  request.method = kMethods[data[0] % std::size(kMethods)];
  const auto newline = text.find('\n');
  request.target = std::string(text.substr(0, newline));
  if (newline != std::string_view::npos) request.body = std::string(text.substr(newline + 1));
  Routed routed = Route(*h.daemon, h.jobs, request, "");
  if (routed.response && routed.response->status == 200 && (data[0] & 0x80) != 0) {
    (void)Metrics(*h.daemon);
  }
  if (++h.inputs % 256 == 0) (void)h.daemon->Reload(h.config);
  return 0;
}
