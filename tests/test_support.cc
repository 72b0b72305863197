#include "test_support.hpp"

#include <sys/wait.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace fs = std::filesystem;

namespace maskdetect::testing {

fs::path shared_dir() {
  if (const char* env = std::getenv("MASKDETECT_SHARED_DIR")) return env;
  return MASKDETECT_SHARED_DIR;
}

fs::path shared_file(const std::string& relative) {
  fs::path p = shared_dir() / relative;
  if (!fs::exists(p)) {
    WARN("SKIPPED: " << p << " is absent (set MASKDETECT_SHARED_DIR)");
    // Catch2 v2 has no SKIP; the CTest registration treats exit code 4 as skipped.
    std::exit(4);
  }
  return p;
}

fs::path fixture(const std::string& relative) { return shared_file("fixtures/" + relative); }

fs::path source_dir() { return MASKDETECT_SOURCE_DIR; }
fs::path binary() { return MASKDETECT_BINARY; }

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  path_ = fs::temp_directory_path() /
          ("maskdetect-test-" + std::to_string(rd()) + "-" + std::to_string(counter++));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

CommandResult run_command(const std::string& command) {
  TempDir tmp;
  const fs::path out = tmp.path() / "stdout", err = tmp.path() / "stderr";
  const std::string full = "(" + command + ") >" + shell_quote(out.string()) + " 2>" +
                           shell_quote(err.string()) + " </dev/null";
  CommandResult r;
  const int raw = std::system(full.c_str());
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

}  // namespace maskdetect::testing
