#include "autoflow/actuator.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/time_text.h"

extern char** environ;

namespace lineup::autoflow {
namespace {

const store::PathSwitched& Decision(const store::Event& e) {
  return std::get<store::PathSwitched>(e.payload);
}

std::string Weights(const store::PathSwitched& p) {
  std::string out;
  for (const auto& w : p.weights)
    out += fmt::format("{}{}={:.4f}", out.empty() ? "" : ",", w.tunnel, w.weight);
  return out;
}

class HookActuator final : public Actuator {
 public:
  HookActuator(std::string command, Nanos timeout, int retries, const Clock& clock)
      : command_(std::move(command)), timeout_(timeout), retries_(retries), clock_(clock) {}
  std::string name() const override { return "hook " + command_; }

  Result<void> Apply(const store::Event& e) override {
    Error last;
    for (int attempt = 0; attempt <= retries_; ++attempt) {
      if (attempt > 0) SleepFor(clock_, std::chrono::milliseconds(200 * attempt));
      auto r = RunOnce(e);
      if (r) return r;
      last = r.error();
      spdlog::warn("actuator {}: attempt {} of {} failed: {}", command_, attempt + 1, retries_ + 1,
                   last.message);
    }
    return tl::unexpected(last);
  }

 private:
  Result<void> RunOnce(const store::Event& e) {
    const auto& p = Decision(e);
    std::vector<std::string> args = {command_, p.traffic_class, p.from, p.to, p.rule};
    std::vector<std::string> env;
    for (char** v = environ; *v; ++v) {
      if (std::strncmp(*v, "LINEUP_", 7) != 0) env.emplace_back(*v);
    }
    std::string path;
    for (const auto& hop : p.path) path += (path.empty() ? "" : ",") + hop;
    env.push_back("LINEUP_TRAFFIC_CLASS=" + p.traffic_class);
    env.push_back("LINEUP_FROM=" + p.from);
    env.push_back("LINEUP_TO=" + p.to);
    env.push_back("LINEUP_RULE=" + p.rule);
    env.push_back("LINEUP_REASON=" + p.reason);
    env.push_back("LINEUP_WEIGHTS=" + Weights(p));
    env.push_back("LINEUP_PATH=" + path);
    env.push_back("LINEUP_TIME=" + FormatTime(e.time));
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& v : env) envp.push_back(v.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);  // keep stdout clean
    // Its own process group: a hook that times out is killed with whatever it
    // started (a `sleep` or an `ip monitor` would otherwise outlive it).
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    pid_t pid = -1;
    const int spawned =
        posix_spawnp(&pid, command_.c_str(), &actions, &attributes, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (spawned != 0) {
      return Fail(ErrorCode::kIo,
                  fmt::format("cannot run '{}': {}", command_, std::strerror(spawned)));
    }
    const MonoTime deadline = clock_.Monotonic() + timeout_;
    int status = 0;
    for (;;) {
      const pid_t done = waitpid(pid, &status, WNOHANG);
      if (done == pid) break;
      if (done < 0 && errno != EINTR) return Fail(ErrorCode::kIo, std::strerror(errno));
      if (clock_.Monotonic() >= deadline) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        return Fail(ErrorCode::kUnavailable, fmt::format("'{}' did not finish within {}: killed",
                                                         command_, FormatDuration(timeout_)));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polls the child, keeps no time
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
    if (WIFEXITED(status)) {
      return Fail(ErrorCode::kIo,
                  fmt::format("'{}' exited with status {}", command_, WEXITSTATUS(status)));
    }
    return Fail(ErrorCode::kIo, fmt::format("'{}' was killed by signal {}", command_,
                                            WIFSIGNALED(status) ? WTERMSIG(status) : 0));
  }

  std::string command_;
  Nanos timeout_;
  int retries_;
  const Clock& clock_;
};

nlohmann::json DecisionJson(const store::Event& e) {
  const auto& p = Decision(e);
  nlohmann::json weights = nlohmann::json::object();
  for (const auto& w : p.weights) weights[w.tunnel] = w.weight;
  return {{"time", FormatTime(e.time)},
          {"traffic_class", p.traffic_class},
          {"from", p.from},
          {"to", p.to},
          {"rule", p.rule},
          {"reason", p.reason},
          {"weights", weights},
          {"path", p.path}};
}

class JsonLinesActuator final : public Actuator {
 public:
  explicit JsonLinesActuator(std::string target) : target_(std::move(target)) {}
  std::string name() const override { return "jsonl " + target_; }

  Result<void> Apply(const store::Event& e) override {
    const std::string line = DecisionJson(e).dump() + "\n";
    if (target_ == "-") {
      std::cout << line << std::flush;
      return {};
    }
    if (target_.rfind("unix:", 0) == 0) return ToSocket(line);
    std::ofstream out(target_, std::ios::app);
    out << line;
    out.flush();
    if (!out) return Fail(ErrorCode::kIo, fmt::format("cannot append to {}", target_));
    return {};
  }

 private:
  Result<void> ToSocket(const std::string& line) {
    boost::system::error_code ec;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!socket_.is_open()) {
        socket_.connect(boost::asio::local::stream_protocol::endpoint(target_.substr(5)), ec);
        if (ec) {
          socket_.close();
          return Fail(ErrorCode::kUnavailable,
                      fmt::format("cannot connect to {}: {}", target_, ec.message()));
        }
      }
      boost::asio::write(socket_, boost::asio::buffer(line), ec);
      if (!ec) return {};
      socket_.close();  // the peer went away: reconnect once
    }
    return Fail(ErrorCode::kIo, fmt::format("cannot write to {}: {}", target_, ec.message()));
  }

  std::string target_;
  boost::asio::io_context io_;
  boost::asio::local::stream_protocol::socket socket_{io_};
};

}  // namespace

std::unique_ptr<Actuator> MakeHookActuator(std::string command, Nanos timeout, int retries,
                                           const Clock& clock) {
  return std::make_unique<HookActuator>(std::move(command), timeout, retries, clock);
}

Result<std::unique_ptr<Actuator>> MakeJsonLinesActuator(const std::string& target) {
  if (target.empty())
    return Fail(ErrorCode::kInvalidArgument, "jsonl needs a target: -, unix:PATH or a file");
  return std::unique_ptr<Actuator>(std::make_unique<JsonLinesActuator>(target));
}

Result<std::unique_ptr<Actuator>> MakeActuator(const std::string& spec, Nanos hook_timeout,
                                               int hook_retries, const Clock& clock) {
  if (spec.empty() || spec == "record") return std::unique_ptr<Actuator>();
  if (spec.rfind("hook:", 0) == 0 && spec.size() > 5) {
    return MakeHookActuator(spec.substr(5), hook_timeout, hook_retries, clock);
  }
  if (spec.rfind("jsonl:", 0) == 0) return MakeJsonLinesActuator(spec.substr(6));
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("actuator '{}' is not known: use record, hook:COMMAND, jsonl:- , "
                          "jsonl:unix:PATH or jsonl:FILE",
                          spec));
}

ActuatorQueue::ActuatorQueue(std::unique_ptr<Actuator> actuator, const Clock& clock)
    : actuator_(std::move(actuator)), clock_(clock) {
  if (actuator_) thread_ = std::thread([this] { Run(); });
}

ActuatorQueue::~ActuatorQueue() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ActuatorQueue::Push(const store::Event& decision) {
  if (!actuator_) return;
  {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = pending_.insert_or_assign(Decision(decision).traffic_class, decision);
    if (!inserted) ++stats_.superseded;
  }
  changed_.notify_all();
}

void ActuatorQueue::Drain() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return (pending_.empty() && !busy_) || !actuator_; });
}

ActuatorStats ActuatorQueue::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void ActuatorQueue::Run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stop_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping, nothing left
    store::Event next = std::move(pending_.begin()->second);
    pending_.erase(pending_.begin());
    busy_ = true;
    lock.unlock();
    const MonoTime started = clock_.Monotonic();
    auto applied = actuator_->Apply(next);
    const auto ms = std::chrono::duration<double, std::milli>(clock_.Monotonic() - started).count();
    const auto& p = Decision(next);
    if (applied) {
      spdlog::info("actuator {}: {} {} -> {} applied in {:.1f} ms", actuator_->name(),
                   p.traffic_class, p.from, p.to, ms);
    } else {
      spdlog::error(
          "actuator {}: {} {} -> {} NOT applied: {} (the decision is in the log; the "
          "controller carries on)",
          actuator_->name(), p.traffic_class, p.from, p.to, applied.error().message);
    }
    lock.lock();
    busy_ = false;
    ++(applied ? stats_.applied : stats_.failed);
    changed_.notify_all();
  }
}

}  // namespace lineup::autoflow
