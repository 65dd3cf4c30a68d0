// Starting programs from tests: output to files, bounded waits, no shell.
#pragma once

#include <string>
#include <vector>

namespace lineup::testing {

// Path of a program on PATH, or empty.
std::string FindProgram(const std::string& name);

class Subprocess {
 public:
  // Starts argv[0] (looked up on PATH) with stdout and stderr going to files
  // in a fresh temporary directory.
  explicit Subprocess(const std::vector<std::string>& argv);
  ~Subprocess();  // SIGKILLs a process still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  bool started() const { return pid_ > 0; }
  int pid() const { return pid_; }
  void Signal(int signal) const;
  // Waits up to `timeout_ms`; returns the exit status (128+signal when
  // killed) or -1 on timeout.
  int Wait(int timeout_ms);
  // Waits until stdout or stderr contains `text`, up to `timeout_ms`.
  bool WaitForOutput(const std::string& text, int timeout_ms) const;
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  int pid_ = -1;
  int status_ = -1;
  std::string dir_;
};

// A file's whole text ("" when it cannot be read).
std::string ReadFile(const std::string& path);

// Runs `command` through /bin/sh, stdout and stderr appended to `said`;
// the status as pclose(3) gives it (0: success; exit code N as N << 8).
int Shell(const std::string& command, std::string& said);

// Runs to completion (bounded by `timeout_ms`) and returns stdout.
std::string RunAndCapture(const std::vector<std::string>& argv, int timeout_ms, int* status);

}  // namespace lineup::testing
