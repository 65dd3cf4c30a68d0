// The daemon's REST API (JSON over HTTP/1.1, Boost.Beast) and its Prometheus
// endpoint. Requests are handled by Handle(), a function of the request and
// the daemon, so they are tested without sockets; ApiServer puts it on a
// listener of its own thread (a run in the foreground waits there without
// holding anything else up). See docs/daemon.md for every route.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "daemon/daemon.h"
#include "daemon/metrics.h"

namespace lineup::daemon {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query
  std::string body;
  std::string authorization;  // the Authorization header
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Runs started in the background, to poll.
class Jobs {
 public:
  struct Job {
    std::string id;
    std::string session;
    std::string state = "running";  // "running", "done", "failed"
    std::optional<RunResult> result;
  };
  std::string Add(const std::string& session);
  void Finish(const std::string& id, const RunResult& result);
  std::optional<Job> Get(const std::string& id) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Job> jobs_;
  std::uint64_t next_ = 1;
};

// The answer to a request that needs no waiting; `foreground` is set instead
// when the request asks to run a session and wait for its result (the caller
// runs it and answers with RunJson).
struct Routed {
  std::optional<HttpResponse> response;
  std::optional<std::string> foreground;  // session id
};
Routed Route(Daemon& daemon, Jobs& jobs, const HttpRequest& request, const std::string& token);

std::string SessionJson(const SessionView& session);
std::string RunJson(const RunResult& run);
// An event that tells what happened to a line (violated, recovered, down, up,
// session_fault, session_recovered, switch) as GET /api/events gives it, with
// a sentence ("text"); nullopt for any other event.
std::optional<nlohmann::json> LineEventOf(const store::Event& event);

class ApiServer {
 public:
  // A connection that sends no whole request for this long is closed.
  static constexpr Nanos kIdleTimeout = std::chrono::seconds(30);

  // Listens on `config.listen`; a listener beyond loopback needs a token
  // (api.token_file), and with one every request but the web page's files
  // must carry it.
  [[nodiscard]] static Result<std::unique_ptr<ApiServer>> Start(Daemon& daemon,
                                                                const ApiConfig& config);
  virtual ~ApiServer() = default;
  virtual boost::asio::ip::tcp::endpoint endpoint() const = 0;
  virtual void Stop() = 0;
};

}  // namespace lineup::daemon
