// Helpers shared by the unit and end-to-end tests.
#pragma once

#include <filesystem>
#include <string>

namespace maskdetect::testing {

// ../shared beside the repository (set at configure time; MASKDETECT_SHARED_DIR overrides).
std::filesystem::path shared_dir();
// A path under ../shared; the test is skipped visibly (not passed) when it is absent.
std::filesystem::path shared_file(const std::string& relative);
// The same under ../shared/fixtures.
std::filesystem::path fixture(const std::string& relative);
std::filesystem::path source_dir();
std::filesystem::path binary();

// A fresh empty directory under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs a shell command; returns its exit status and captures stdout and stderr.
struct CommandResult {
  int status = -1;
  std::string out, err;
};
CommandResult run_command(const std::string& command);
std::string shell_quote(const std::string& s);
std::string read_text(const std::filesystem::path& path);

}  // namespace maskdetect::testing
