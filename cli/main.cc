#include <sys/resource.h>

#include <cstdio>
#include <exception>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"

namespace lineup::cli {
bool SimulatorBuiltIn() { return LINEUP_WITH_SIMULATOR != 0; }
}  // namespace lineup::cli

namespace {

int Main(int argc, char** argv) {
  // Servers and many sessions hold a socket each: use the whole descriptor
  // allowance the system grants, not the 1,024 soft default.
  if (rlimit files{}; ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("lineup"));
  CLI::App app{"lineup: measures WAN lines with TWAMP/STAMP and moves traffic to the best one",
               "lineup"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("lineup ") + lineup::cli::Version(),
                       "Print the version and the commit it was built from, then exit");
  app.footer("Run 'lineup COMMAND --help' for a command's options; docs/ has the guides.");
  lineup::cli::Runner run;
  lineup::cli::AddProbeCommand(app, run);
  lineup::cli::AddReflectCommand(app, run);
  lineup::cli::AddDemoCommand(app, run);
  lineup::cli::AddLogCommand(app, run);
  lineup::cli::AddAnalyzeCommand(app, run);
  lineup::cli::AddReportCommand(app, run);
  lineup::cli::AddAutoflowCommand(app, run);
#if LINEUP_WITH_SIMULATOR
  lineup::cli::AddSimCommand(app, run);
  lineup::cli::AddEmulateCommand(app, run);
#endif
  lineup::cli::AddTwampCommands(app, run);
  lineup::cli::AddRunCommand(app, run);
  lineup::cli::AddRemoteCommands(app, run);
  lineup::cli::AddCompletionCommand(app, run);
  if (argc == 1) {
    // No command: say which there are, as --help does, instead of an error.
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return run ? run() : 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    // A fault of ours, not of the input: say so instead of a bare abort.
    std::fprintf(stderr, "lineup: internal error: %s (please report it)\n", e.what());
    return 70;  // EX_SOFTWARE
  } catch (...) {
    std::fprintf(stderr, "lineup: internal error (please report it)\n");
    return 70;
  }
}
