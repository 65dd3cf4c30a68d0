// The `lineup` subcommands. Each Add* registers its options on the app and
// sets `run` to the function that executes it and returns the exit code:
// 0 success, 1 the measurement found no reply, 2 bad usage or configuration.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace lineup::cli {

// The program's version and the commit it was built from ("0.9.0 (abc123)").
const char* Version();
// Whether this program has the ns-3 simulator (sim, emulate, run --lab): the
// development build does, the edge package's does not.
bool SimulatorBuiltIn();

using Runner = std::function<int()>;

void AddProbeCommand(CLI::App& app, Runner& run);
void AddReflectCommand(CLI::App& app, Runner& run);
void AddDemoCommand(CLI::App& app, Runner& run);
void AddLogCommand(CLI::App& app, Runner& run);
void AddReportCommand(CLI::App& app, Runner& run);
void AddAnalyzeCommand(CLI::App& app, Runner& run);
void AddAutoflowCommand(CLI::App& app, Runner& run);  // autoflow and replay
void AddSimCommand(CLI::App& app, Runner& run);
void AddEmulateCommand(CLI::App& app, Runner& run);
void AddTwampCommands(CLI::App& app, Runner& run);  // twamp-server and twping
void AddRunCommand(CLI::App& app, Runner& run);     // the daemon
// sessions, add-session, edit-session, delete-session, run-session, results,
// schedule, responders, paths: a running daemon over its API
void AddRemoteCommands(CLI::App& app, Runner& run);
// lineup completion bash: from the commands registered before it.
void AddCompletionCommand(CLI::App& app, Runner& run);

}  // namespace lineup::cli
