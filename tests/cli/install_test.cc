// `cmake --install` into a fresh root, as a package or an image build does:
// the program runs from there, the man page and the completion are the
// program's own, and systemd accepts the unit.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/store/temp_dir.h"
#include "tests/support/subprocess.h"

namespace {

int Shell(const std::string& command, std::string& said) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  for (char buf[512]; std::fgets(buf, sizeof buf, pipe);) said += buf;
  return ::pclose(pipe);
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(InstallTest, AFreshRootGetsTheProgramItsManPageCompletionAndAUnitSystemdAccepts) {
  lineup::testing::TempDir dir;
  const std::string root = dir.path() + "/root";
  std::string said;
  ASSERT_EQ(Shell("DESTDIR=" + root + " cmake --install " LINEUP_BUILD_DIR " --prefix /usr", said),
            0)
      << said;
  for (const char* file :
       {"/usr/bin/lineup", "/usr/share/bash-completion/completions/lineup",
        "/usr/lib/systemd/system/lineup.service", "/usr/share/doc/lineup/examples/lineup.yaml",
        "/usr/share/doc/lineup/monitoring/lineup-alerts.yml"}) {
    EXPECT_TRUE(std::filesystem::exists(root + file)) << file << "\n" << said;
  }
  said.clear();
  EXPECT_EQ(Shell(root + "/usr/bin/lineup --version", said), 0) << said;
  EXPECT_NE(said.find("lineup "), std::string::npos) << said;

  // The completion knows the commands and their options, and is valid bash.
  const std::string completion = root + "/usr/share/bash-completion/completions/lineup";
  const std::string script = Read(completion);
  for (const char* word : {"twping", "run", "changes", "--reset", "--padding", "-D"}) {
    EXPECT_NE(script.find(word), std::string::npos) << word;
  }
  said.clear();
  EXPECT_EQ(Shell("bash -n " + completion, said), 0) << said;

  // The man page, when help2man was there to write it.
  const std::string man = root + "/usr/share/man/man1/lineup.1";
  if (std::filesystem::exists(man)) {
    const std::string page = Read(man);
    EXPECT_NE(page.find(".TH LINEUP"), std::string::npos);
    EXPECT_NE(page.find("twping"), std::string::npos);
  }

  // systemd reads the unit as it is, the program path pointed at this root.
  const std::string analyze = lineup::testing::FindProgram("systemd-analyze");
  if (analyze.empty()) GTEST_SKIP() << "systemd-analyze is not installed";
  std::string unit = Read(root + "/usr/lib/systemd/system/lineup.service");
  unit = std::regex_replace(unit, std::regex("/usr/bin/lineup"), root + "/usr/bin/lineup");
  const std::string copy = dir.path() + "/lineup.service";
  std::ofstream(copy) << unit;
  said.clear();
  EXPECT_EQ(Shell(analyze + " verify --man=no " + copy, said), 0) << said;
  EXPECT_EQ(said, "") << said;
}

}  // namespace
