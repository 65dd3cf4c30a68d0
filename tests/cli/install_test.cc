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

using lineup::testing::ReadFile;
using lineup::testing::Shell;

namespace {

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
  const std::string script = ReadFile(completion);
  for (const char* word : {"twping", "run", "changes", "--reset", "--padding", "-D"}) {
    EXPECT_NE(script.find(word), std::string::npos) << word;
  }
  said.clear();
  EXPECT_EQ(Shell("bash -n " + completion, said), 0) << said;

  // The man page, when help2man was there to write it.
  const std::string man = root + "/usr/share/man/man1/lineup.1.gz";
  if (std::filesystem::exists(man)) {
    std::string page;
    EXPECT_EQ(Shell("zcat " + man, page), 0);
    EXPECT_NE(page.find(".TH LINEUP"), std::string::npos) << page;
    EXPECT_NE(page.find("twping"), std::string::npos) << page;
  }

  // The edge program: no simulator, so neither ns-3 nor GSL on the device.
  said.clear();
  EXPECT_EQ(Shell("ldd " + root + "/usr/bin/lineup", said), 0) << said;
  EXPECT_EQ(said.find("libns3"), std::string::npos) << said;
  EXPECT_EQ(said.find("libgsl"), std::string::npos) << said;
  said.clear();
  EXPECT_NE(Shell(root + "/usr/bin/lineup run --lab", said), 0);
  EXPECT_NE(said.find("needs the ns-3 simulator"), std::string::npos) << said;
  EXPECT_TRUE(std::filesystem::exists(root + "/usr/share/doc/lineup/copyright"));
  EXPECT_TRUE(std::filesystem::exists(root + "/usr/share/doc/lineup/changelog.gz"));

  // systemd reads the unit as it is, the program path pointed at this root.
  const std::string analyze = lineup::testing::FindProgram("systemd-analyze");
  if (analyze.empty()) GTEST_SKIP() << "systemd-analyze is not installed";
  std::string unit = ReadFile(root + "/usr/lib/systemd/system/lineup.service");
  unit = std::regex_replace(unit, std::regex("/usr/bin/lineup"), root + "/usr/bin/lineup");
  const std::string copy = dir.path() + "/lineup.service";
  std::ofstream(copy) << unit;
  said.clear();
  EXPECT_EQ(Shell(analyze + " verify --man=no " + copy, said), 0) << said;
  EXPECT_EQ(said, "") << said;
}

}  // namespace

namespace {

// The Debian package of the edge program: what it holds, what it depends on,
// and lintian's verdict (no error, no warning).
TEST(InstallTest, TheDebianPackageIsTheEdgeProgramAndLintianClean) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "the package is made from the release build, not a sanitizer's";
#endif
  lineup::testing::TempDir dir;
  std::string said;
  ASSERT_EQ(
      Shell("cd " + dir.path() +
                " && cpack -G DEB --config " LINEUP_BUILD_DIR "/CPackConfig.cmake -B " + dir.path(),
            said),
      0)
      << said;
  std::string deb;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.path().extension() == ".deb") deb = e.path().string();
  }
  ASSERT_FALSE(deb.empty()) << said;
  std::string contents;
  ASSERT_EQ(Shell("dpkg-deb -c " + deb, contents), 0) << contents;
  for (const char* file :
       {"./usr/bin/lineup", "./usr/lib/systemd/system/lineup.service",
        "./usr/share/man/man1/lineup.1.gz", "./usr/share/doc/lineup/copyright"}) {
    EXPECT_NE(contents.find(file), std::string::npos) << file << "\n" << contents;
  }
  // Unpacked into a fresh root, the program runs from there and checks the
  // configuration it ships.
  const std::string root = dir.path() + "/root";
  said.clear();
  ASSERT_EQ(Shell("dpkg-deb -x " + deb + " " + root, said), 0) << said;
  said.clear();
  EXPECT_EQ(Shell(root + "/usr/bin/lineup --version", said), 0) << said;
  EXPECT_EQ(said.rfind("lineup ", 0), 0u) << said;
  said.clear();
  EXPECT_EQ(Shell(root + "/usr/bin/lineup run --check -c " + root +
                      "/usr/share/doc/lineup/examples/lineup.yaml",
                  said),
            0)
      << said;
  std::string depends;
  ASSERT_EQ(Shell("dpkg-deb -f " + deb + " Depends", depends), 0) << depends;
  EXPECT_NE(depends.find("libprometheus-cpp-core"), std::string::npos) << depends;
  EXPECT_NE(depends.find("libsystemd0"), std::string::npos) << depends;
  EXPECT_EQ(depends.find("ns3"), std::string::npos) << depends;
  EXPECT_EQ(depends.find("gsl"), std::string::npos) << depends;

  const std::string lintian = lineup::testing::FindProgram("lintian");
  if (lintian.empty()) GTEST_SKIP() << "lintian is not installed (scripts/setup --test)";
  std::string verdict;
  EXPECT_EQ(Shell(lintian + " --tag-display-limit 0 " + deb + " | grep -E '^(E|W):'", verdict), 256)
      << verdict;  // grep finds nothing
}

}  // namespace
